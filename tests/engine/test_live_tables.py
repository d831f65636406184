"""A fresh run aggregates from the records it journals as it goes (``Runner.live``); what it
writes must equal what reading its journal back gives (``results.aggregate`` without ``fed``),
for every kind of metric: proportions with groups (TAIL), confusion-matrix metrics (crystal
stability), top-k (retrosynthesis), slot accuracy (conditions), and repeated sampling. And the
planning thread parks between samples while the runner imports numpy."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from pathlib import Path

import pytest

from evalsuite.core import registry
from evalsuite.engine import subset
from evalsuite.engine.planner import SamplePlanner
from evalsuite.engine.runner import RunConfig, Runner
from evalsuite.files import results

BENCHES = ["tail/lcs", "crystal-stability", "retrosynthesis", "reaction-conditions"]
LIMIT = 30


def mixed_replay(path: Path) -> Path:
    """Oracle replies, a third of them replaced by a wrong answer and a fifth cut in half (by id)."""
    with path.open("w") as out:
        for name in BENCHES:
            bench = registry.create(name)
            for sample in subset.select(bench, None, 0, limit=LIMIT):
                reply = bench.oracle_response(sample)
                pick = int(hashlib.sha256(f"{name}|{sample.id}".encode()).hexdigest(), 16)
                if pick % 3 == 0:
                    reply = "Final Answer: 7"
                elif pick % 5 == 0:
                    reply = reply[: len(reply) // 2]
                out.write(json.dumps({"benchmark": name, "id": sample.id, "response": reply}) + "\n")
    return path


@pytest.mark.parametrize("epochs", [1, 3])
def test_live_tables_equal_the_journal_read_back(tmp_path, epochs):
    replay = mixed_replay(tmp_path / "replies.jsonl")
    out = tmp_path / "run"
    runner = Runner(RunConfig(model=f"replay/{replay}", benchmarks=BENCHES, out=out, limit=LIMIT,
                              epochs=epochs, progress=False, use_cache=False))
    written = runner.run()
    assert runner.live is not None  # the fresh run aggregated from its live tables
    benches = {name: p.bench for name, p in runner.planned.items()}
    again = results.aggregate(out, benches, 0, epochs=epochs, data={name: None for name in benches})
    on_disk = json.loads((out / results.RESULTS).read_text())["benchmarks"]
    assert on_disk == json.loads(json.dumps(again["benchmarks"]))
    accounting = {k: v for k, v in written["accounting"].items() if k != "wall_seconds"}  # the runner's clock
    assert json.loads(json.dumps(accounting)) == json.loads(json.dumps(again["accounting"]))
    headlines = {name: entry["metrics"][entry["headline"]]["value"] for name, entry in on_disk.items()}
    assert all(0.0 < value < 1.0 for value in headlines.values()), headlines  # right and wrong replies both
    assert all(entry["n"] == LIMIT for entry in on_disk.values())


def test_a_resumed_run_reads_its_journal_back(tmp_path):
    replay = mixed_replay(tmp_path / "replies.jsonl")
    out = tmp_path / "run"
    config = RunConfig(model=f"replay/{replay}", benchmarks=BENCHES[:1], out=out, limit=LIMIT, progress=False)
    Runner(config).run()
    rerun = Runner(config)
    rerun.run()
    assert rerun.live is None and rerun.counters.skipped == LIMIT


class SlowSamples:
    """A planning source whose samples take 2 ms each, counting those produced."""

    def __init__(self) -> None:
        self.made = 0
        bench = registry.create("tail/lcs")
        self.planned = {"tail/lcs": type("P", (), {"bench": bench, "data": None, "count": None, "data_hash": None})()}
        self.samples = list(bench.samples(None, 0, 300))

    def samples_of(self, bench, data):
        for sample in self.samples:
            time.sleep(0.002)
            self.made += 1
            yield sample


def test_planner_parks_between_samples_until_resumed():
    source = SlowSamples()

    async def scenario() -> tuple[int, int, bool]:
        planner = SamplePlanner(source)
        planner.start()
        await asyncio.sleep(0.05)
        await planner.hold()
        assert planner.parked.is_set() and threading.active_count() >= 2
        parked_at = source.made
        await asyncio.sleep(0.05)  # 25 samples' time: none is made while parked
        still = source.made
        planner.resume()
        batches = [batch async for _, batch in planner.batches()]
        planner.close()
        return parked_at, still, sum(map(len, batches)) == 300

    parked_at, still, everything = asyncio.run(scenario())
    assert 0 < parked_at == still < 300 and everything
