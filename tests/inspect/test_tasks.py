"""``inspect eval evalsuite/<benchmark>`` grades every sample as ``evalsuite run`` does: the same
per-sample scores, the same metrics (within floating-point error), the same directions."""

from __future__ import annotations

import math

import pytest
from evalsuite.core import registry
from evalsuite.engine import subset

from .conftest import JUNK, REFUSAL, evalsuite_run, journal, mixed_replies, mock_model, write_replay


def inspect_eval(benchmark: str, model, tmp_path, **task_args):
    from inspect_ai import eval as inspect_eval_

    [log] = inspect_eval_(f"evalsuite/{benchmark}", task_args=task_args, model=model,
                          log_dir=str(tmp_path / "logs"), display="none")
    assert log.status == "success", log.error
    return log


@pytest.mark.parametrize(("benchmark", "limit"), [("tail/lcs", 8), ("retrosynthesis", 8), ("crystal-stability", 12)])
def test_inspect_eval_matches_evalsuite_run(tmp_path, benchmark, limit):
    replies = mixed_replies(benchmark, limit)
    log = inspect_eval(benchmark, mock_model(replies), tmp_path, limit=limit)
    assert log.eval.task == f"evalsuite/{benchmark}"
    samples = {str(s.id): s for s in log.samples}
    assert len(samples) == limit

    # The same replies, graded by evalsuite run.
    replay = write_replay(tmp_path / "replay.jsonl", {i: s.output.completion for i, s in samples.items()})
    data = evalsuite_run(tmp_path / "run", f"replay/{replay}", benchmark, limit)
    records = {r["id"]: r for r in journal(tmp_path / "run")}
    assert set(records) == set(samples)

    bench = registry.create(benchmark)
    drawn = {s.id: s for s in subset.select(bench, None, 0, limit=limit)}
    for sample_id, sample in samples.items():
        score, record = sample.scores["evalsuite"], records[sample_id]
        assert score.value == {k: v for k, v in record["scores"].items() if v is not None}
        assert score.metadata["evalsuite_record"]["scores"] == record["scores"]
        assert score.metadata["evalsuite_record"]["extraction"] == record["extraction"]
        # Independent of both harnesses: the oracle's reply earns the headline, junk and a
        # refusal earn nothing and fail extraction in their own ways.
        reply = sample.output.completion
        if reply == REFUSAL:
            assert record["extraction"] == "failed: refusal"
        elif reply == JUNK:
            assert record["extraction"].startswith("failed")
        elif reply == bench.oracle_response(drawn[sample_id]) and bench.headline in record["scores"]:
            assert record["scores"][bench.headline] == 1.0

    result = data["benchmarks"][benchmark]
    [evalscore] = [s for s in log.results.scores if s.scorer == "evalsuite"]
    metrics = {name: m.value for name, m in evalscore.metrics.items()}
    expected = {name: m["value"] for name, m in result["metrics"].items() if m["value"] is not None}
    assert set(metrics) == set(expected)
    for name, value in expected.items():
        assert math.isclose(metrics[name], value, rel_tol=1e-9, abs_tol=1e-12), name
    directions = evalscore.metadata["higher_is_better"]
    for name in result["metrics"]:
        assert directions[name] == result["higher_is_better"][name], name
    assert evalscore.metadata["headline"] == result["headline"]

