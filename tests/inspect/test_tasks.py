"""``inspect eval evalsuite/<benchmark>`` grades every sample as ``evalsuite run`` does: the same
per-sample scores, the same metrics (within floating-point error), the same directions."""

from __future__ import annotations

import math

import pytest

from evalsuite.core import images, registry
from evalsuite.engine import subset

from .conftest import JUNK, REFUSAL, evalsuite_run, journal, mixed_replies, mock_model, write_replay


def resolve_sample_attachments(sample):
    from inspect_ai.log import resolve_sample_attachments as resolve

    return resolve(sample)


def inspect_eval(benchmark: str, model, tmp_path, **task_args):
    from inspect_ai import eval as inspect_eval_

    [log] = inspect_eval_(f"evalsuite/{benchmark}", task_args=task_args, model=model,
                          log_dir=str(tmp_path / "logs"), display="none")
    assert log.status == "success", log.error
    return log


@pytest.mark.parametrize(("benchmark", "limit"), [("tail/lcs", 8), ("retrosynthesis", 8), ("crystal-stability", 12),
                                                  ("molecule-recognition", 4)])
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
        # The prompt Inspect sent is the one evalsuite sent, pictures included (as PNG data URLs).
        assert [m.role for m in sample.input] == [m["role"] for m in record["prompt"]]
        sent = resolve_sample_attachments(sample).input  # Inspect's log keeps data URLs as attachments
        pictures = [c for m in sent if isinstance(m.content, list) for c in m.content if c.type == "image"]
        assert len(pictures) == len(list(images.parts(record["prompt"])))
        assert all(c.image.startswith("data:image/png;base64,") for c in pictures)
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



def test_epochs_match_avg_and_pass_at_k(tmp_path):
    """``-T epochs=2``: the evalsuite metric equals ``evalsuite run --epochs 2`` (avg@2, pass@k, maj@2),
    and Inspect's own reducers give the headline's avg@2 (mean) and pass@2 (pass_at_2)."""
    benchmark, limit = "tail/lcs", 8
    replies = mixed_replies(benchmark, limit, seed=5)
    seeds: list[int | None] = []
    log = inspect_eval(benchmark, mock_model(replies, seeds), tmp_path, limit=limit, epochs=2, seed=5)
    assert sorted(s.epoch for s in log.samples) == [1] * limit + [2] * limit
    assert sorted(seeds) == [5] * limit + [6] * limit  # epoch e sent with seed + e, as evalsuite run sends it
    replay = write_replay(tmp_path / "replay.jsonl", {str(s.id): s.output.completion for s in log.samples})
    data = evalsuite_run(tmp_path / "run", f"replay/{replay}", benchmark, limit, "--epochs", "2", "--seed", "5")
    result = data["benchmarks"][benchmark]

    [ours] = [s for s in log.results.scores if s.reducer is None]
    expected = {name: m["value"] for name, m in result["metrics"].items() if m["value"] is not None}
    assert {"pass@1", "pass@2", "maj@2"} <= set(expected)
    assert set(ours.metrics) == set(expected)
    for name, value in expected.items():
        assert math.isclose(ours.metrics[name].value, value, abs_tol=1e-12), name
    reduced = {s.reducer: s.metrics["headline"].value for s in log.results.scores if s.reducer is not None}
    assert math.isclose(reduced["mean"], result["metrics"]["accuracy"]["value"], abs_tol=1e-12)
    assert math.isclose(reduced["pass_at_2"], result["metrics"]["pass@2"]["value"], abs_tol=1e-12)
    # Independently: both epochs got the same replies, so an item passes at 2 exactly when its
    # first reply is right; a quarter of the items got the oracle's answer.
    correct = sum(1 for s in log.samples if s.epoch == 1 and s.scores["evalsuite"].value.get("accuracy") == 1.0)
    assert correct >= limit // 4
    assert math.isclose(result["metrics"]["pass@2"]["value"], correct / limit, abs_tol=1e-12)


def test_task_parameters_are_the_run_options(tmp_path):
    """``-T buckets=L -T seed=1 -T limit=4``: the samples ``evalsuite samples tail/compare-numbers
    --set buckets=L --seed 1 --limit 4`` prints, and a log that imports back with those options."""
    import json

    from evalsuite.cli import main

    benchmark = "tail/compare-numbers"
    bench = registry.create(benchmark, {"buckets": "L"})
    drawn = list(subset.select(bench, None, 1, limit=4))
    replies = {s.prompt_text: bench.oracle_response(s) for s in drawn}
    log = inspect_eval(benchmark, mock_model(replies), tmp_path, limit=4, seed=1, buckets="L")
    assert [str(s.id) for s in log.samples] == sorted(s.id for s in drawn)
    assert {s.metadata["bucket"] for s in log.samples} == {"L"}
    assert log.eval.task_args["buckets"] == "L" and log.eval.task_args["seed"] == 1
    assert all(s.scores["evalsuite"].value["accuracy"] == 1.0 for s in log.samples)  # the oracle's answers
    assert main(["import", "inspect", log.location, "--out", str(tmp_path / "run")]) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    options = config["benchmarks"][benchmark]["options"]
    assert options["buckets"] == "L" and options == bench.config()["options"] and config["seed"] == 1
