"""``--shard I/N`` x 4, then ``evalsuite merge``: the same results.json metrics as one unsharded run."""

from __future__ import annotations

import json

import pytest

from evalsuite.cli import main
from evalsuite.engine.merge import merge_runs
from evalsuite.engine.runner import RunError
from evalsuite.integrations.devserver import DevServer

from .conftest import answers, by_key, journal, metrics, responder

BENCHES = "tail/large-number-addition,tail/compare-numbers"
LIMIT = 120


def run(out, url, *extra):
    return main(["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCHES, "--limit", str(LIMIT),
                 "--out", str(out), "--no-progress", "--no-cache", "--max-concurrency", "16", *extra])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shards")
    tables = [answers(name, LIMIT) for name in BENCHES.split(",")]
    with DevServer(responder(*tables)) as server:
        assert run(tmp / "whole", server.url) == 0
        shards = []
        for index in range(4):
            assert run(tmp / f"shard{index}", server.url, "--shard", f"{index}/4") == 0
            shards.append(tmp / f"shard{index}")
        assert server.stats.requests == 2 * 2 * LIMIT  # the shards split the work: each sample once
    return tmp, shards


def test_four_shards_merge_to_the_unsharded_results(runs, capsys):
    tmp, shards = runs
    sizes = [len(journal(s)) for s in shards]
    assert sum(sizes) == 2 * LIMIT and all(0 < n < 2 * LIMIT for n in sizes)  # a real split
    # Merge in a shuffled order through the CLI: order must not matter.
    assert main(["merge", *map(str, [shards[2], shards[0], shards[3], shards[1]]), "--out", str(tmp / "merged")]) == 0
    merged, whole = tmp / "merged", tmp / "whole"
    assert metrics(merged) == metrics(whole)
    def timeless(lines: list[dict]) -> list[dict]:  # request latencies differ between the two runs
        return [{k: v for k, v in line.items() if k != "latency_s"} for line in lines]

    assert by_key(timeless(journal(merged))) == by_key(timeless(journal(whole)))
    for name in BENCHES.split(","):
        # Not a trivial 1.0: the responder is wrong on about 30% of prompts.
        assert 0.5 < metrics(whole)["benchmarks"][name]["metrics"]["accuracy"]["value"] < 0.9
    # The merged run carries the unsharded fingerprint, so gate and report treat it as the same data.
    config = lambda run: json.loads((run / "config.json").read_text())  # noqa: E731
    assert config(merged) == config(whole)
    info = json.loads((merged / "results.json").read_text())["run"]
    assert info["shard"] is None and len(info["merged_from"]) == 4
    assert info["requests"]["scored"] == 2 * LIMIT


def test_merge_refuses_incomplete_or_mixed_shards(runs):
    tmp, shards = runs
    with pytest.raises(RunError, match="missing shard"):
        merge_runs(shards[:3], tmp / "partial")
    with pytest.raises(RunError, match="given twice"):
        merge_runs([*shards, shards[0]], tmp / "twice")
    with pytest.raises(RunError, match="not a shard"):
        merge_runs([*shards[:3], tmp / "whole"], tmp / "mixed")


def test_light_records_aggregate_like_full_records(runs):
    """results.load_records shares equal values between records; the metrics must not notice."""
    from evalsuite.core import registry
    from evalsuite.core.types import SampleRecord
    from evalsuite.files import results

    tmp, _ = runs
    light = results.load_records(tmp / "whole")
    for name in BENCHES.split(","):
        full = [SampleRecord.from_dict(line) for line in journal(tmp / "whole") if line["benchmark"] == name]
        bench = registry.create(name)
        assert bench.aggregate(light[name], 0).to_dict() == bench.aggregate(full, 0).to_dict()
        assert len(light[name]) == LIMIT
