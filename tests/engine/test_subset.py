"""``--limit N``: a seeded subset stratified by the benchmark's groups; ``--first N``: data order."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter

from evalsuite.core import registry
from evalsuite.core.types import Sample
from evalsuite.engine.subset import allocate, select, stratified


def test_allocate_hand_worked():
    # 273 stable, 9 unstable, 50 drawn: one each first, then 48 * 272/280 = 46.63 and
    # 48 * 8/280 = 1.37 -> 46 and 1, the last one to the larger remainder (stable).
    assert allocate({"stable": 273, "unstable": 9}, 50) == {"stable": 48, "unstable": 2}
    # Fewer draws than strata: no minimum; 2 * (5, 3, 2)/10 = 1, 0.6, 0.4 -> 1, 0, 0, then b.
    assert allocate({"a": 5, "b": 3, "c": 2}, 2) == {"a": 1, "b": 1, "c": 0}
    assert allocate({"a": 5, "b": 3}, 8) == {"a": 5, "b": 3}
    assert allocate({"a": 5, "b": 3}, 100) == {"a": 5, "b": 3}


def items(n: int) -> list[Sample]:
    return [Sample(id=f"x{i}", messages=[], target=None, metadata={"g": "rare" if i % 50 == 0 else "common"})
            for i in range(n)]


def drawn(samples, limit, seed):
    return [s.id for s in stratified(samples, lambda s: s.metadata["g"], limit, seed, "toy")]


def test_same_seed_same_items_whatever_the_data_order():
    data = items(1000)
    first = drawn(data, 30, seed=7)
    shuffled = data[:]
    random.Random(1).shuffle(shuffled)
    assert sorted(drawn(shuffled, 30, seed=7)) == sorted(first)
    assert drawn(data, 30, seed=7) == first
    assert set(drawn(data, 30, seed=8)) != set(first)
    # in data order, and each stratum its share: 20 of 1000 are rare -> 30 * 19/980 + 1 = 1.58 -> 2 (after remainders)
    assert first == sorted(first, key=lambda i: int(i[1:]))
    assert Counter(data[int(i[1:])].metadata["g"] for i in first) == Counter(common=28, rare=2)


def test_nothing_drawn_below_one():
    assert drawn(items(10), 0, seed=0) == []


def cli_samples(*args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "evalsuite.cli", "samples", *args], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_crystal_limit_keeps_both_classes_and_first_keeps_data_order():
    full = list(registry.create("crystal-stability", {}).samples(None, 0, None))
    unstable = sum(not s.target["stable"] for s in full)
    assert 0 < unstable < len(full)
    drawn_lines = cli_samples("crystal-stability", "--limit", "50")
    classes = Counter(line["target"]["stable"] for line in drawn_lines)
    assert len(drawn_lines) == 50 and classes[False] >= 1 and classes[True] >= 1
    firsts = cli_samples("crystal-stability", "--first", "5")
    assert [line["id"] for line in firsts] == [s.id for s in full[:5]]


def test_retrosynthesis_limit_covers_every_reaction_class():
    bench = registry.create("retrosynthesis", {})
    classes = {s.metadata["reaction_class"] for s in bench.samples(None, 0, None)}
    chosen = list(select(bench, None, 0, limit=len(classes)))
    assert len(chosen) == len(classes)
    assert {s.metadata["reaction_class"] for s in chosen} == classes
    again = [s.id for s in select(registry.create("retrosynthesis", {}), None, 0, limit=len(classes))]
    assert again == [s.id for s in chosen]


def test_tail_limit_is_split_over_the_buckets_without_generating_the_rest():
    bench = registry.create("tail/large-number-addition", {"per_bucket": "100000"})
    chosen = list(select(bench, None, 3, limit=7))  # 100,000 per bucket would take minutes to generate
    assert Counter(s.metadata["bucket"] for s in chosen) == Counter(S=3, M=2, L=2)


def test_limit_and_first_together_are_refused():
    done = subprocess.run([sys.executable, "-m", "evalsuite.cli", "samples", "crystal-stability", "--limit", "3",
                           "--first", "3"], capture_output=True, text=True)
    assert done.returncode != 0 and "not allowed with argument" in done.stderr


def test_a_run_records_first_and_a_resume_with_limit_instead_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "evalsuite.cli", "run", "--model", "oracle", "--benchmark",
                               "retrosynthesis", "--out", str(out), "--no-progress", *extra], capture_output=True, text=True)

    assert run("--first", "4").returncode == 0
    config = json.loads((out / "config.json").read_text())
    assert config["first"] == 4 and config["limit"] is None
    ids = [json.loads(line)["id"] for line in (out / "samples.jsonl").read_text().splitlines()]
    full = [s.id for s in registry.create("retrosynthesis", {}).samples(None, 0, None)]
    assert sorted(ids) == sorted(full[:4])  # journal lines come in grading order (the grade pool's)
    refused = run("--limit", "4")
    assert refused.returncode != 0 and "different configuration" in refused.stderr
