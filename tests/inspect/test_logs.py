"""Runs as Inspect logs: ``evalsuite export inspect`` writes a log Inspect's own reader reads back
with every sample, score and metric; ``evalsuite import inspect`` turns it (or a log of ``inspect
eval evalsuite/<benchmark>``) into a run directory that report, compare and gate read."""

from __future__ import annotations

import json
import math

import pytest

from evalsuite.cli import main

from .conftest import evalsuite_run, journal, mixed_replies, mock_model, write_replay

BENCHMARK, LIMIT = "crystal-stability", 12


def replayed_run(tmp_path, benchmark=BENCHMARK, limit=LIMIT, *extra):
    from evalsuite.core import registry
    from evalsuite.engine import subset

    replies = mixed_replies(benchmark, limit)
    bench = registry.create(benchmark)
    by_id = {s.id: replies[s.prompt_text] for s in subset.select(bench, None, 0, limit=limit)}
    replay = write_replay(tmp_path / "replay.jsonl", by_id)
    return evalsuite_run(tmp_path / "run", f"replay/{replay}", benchmark, limit, *extra), tmp_path / "run"


def test_export_reads_back_with_inspect_and_imports_to_the_same_results(tmp_path):
    from inspect_ai.log import read_eval_log

    data, run_dir = replayed_run(tmp_path)
    assert main(["export", "inspect", str(run_dir), "--out", str(tmp_path / "run.eval")]) == 0

    log = read_eval_log(str(tmp_path / "run.eval"))
    assert log.status == "success" and log.eval.task == f"evalsuite/{BENCHMARK}"
    lines = {r["id"]: r for r in journal(run_dir)}
    assert len(log.samples) == LIMIT and log.eval.dataset.samples == LIMIT
    for sample in log.samples:
        line = lines[str(sample.id)]
        assert sample.epoch == 1
        assert sample.scores["evalsuite"].value == {k: v for k, v in line["scores"].items() if v is not None}
        assert sample.scores["evalsuite"].explanation == line["reason"]
        assert sample.output.completion == (line["response"] or "")
        assert sample.messages[0].text == line["prompt"][0]["content"]
    result = data["benchmarks"][BENCHMARK]
    [score] = log.results.scores
    assert {k: m.value for k, m in score.metrics.items()} == \
           {k: m["value"] for k, m in result["metrics"].items() if m["value"] is not None}
    assert score.metrics["f1"].value == result["metrics"]["f1"]["value"]  # aggregate-only, carried
    assert score.metadata["higher_is_better"]["fpr"] is False

    assert main(["import", "inspect", str(tmp_path / "run.eval"), "--out", str(tmp_path / "imported")]) == 0
    imported = json.loads((tmp_path / "imported" / "results.json").read_text())
    assert imported["benchmarks"][BENCHMARK]["metrics"] == result["metrics"]
    assert imported["benchmarks"][BENCHMARK]["higher_is_better"] == result["higher_is_better"]
    def by_key(lines):  # Inspect's writer orders samples by id
        return sorted(lines, key=lambda r: (r["id"], r["epoch"]))

    assert by_key(journal(tmp_path / "imported")) == by_key(journal(run_dir))
    # compare and gate read the imported directory as any run: same replies, no difference.
    assert main(["compare", str(run_dir), str(tmp_path / "imported")]) == 0
    assert main(["gate", "--baseline", str(run_dir), "--candidate", str(tmp_path / "imported")]) == 0


def test_a_log_of_inspect_eval_imports_as_a_run(tmp_path):
    from inspect_ai import eval as inspect_eval

    benchmark, limit = "tail/lcs", 8
    [log] = inspect_eval(f"evalsuite/{benchmark}", task_args={"limit": limit}, display="none",
                         model=mock_model(mixed_replies(benchmark, limit)), log_dir=str(tmp_path / "logs"))
    assert main(["import", "inspect", log.location, "--out", str(tmp_path / "imported")]) == 0
    data = json.loads((tmp_path / "imported" / "results.json").read_text())
    [score] = log.results.scores
    for name, value in {k: m.value for k, m in score.metrics.items()}.items():
        assert math.isclose(data["benchmarks"][benchmark]["metrics"][name]["value"], value, abs_tol=1e-12), name
    assert data["run"]["model"] == "mockllm/model" and data["benchmarks"][benchmark]["n"] == limit
    assert main(["report", str(tmp_path / "imported"), "--out", str(tmp_path / "report.html")]) == 0
    # Importing over a run directory asks first; a log of another task is refused.
    assert main(["import", "inspect", log.location, "--out", str(tmp_path / "imported")]) == 2


def test_export_with_epochs_keeps_every_reply(tmp_path):
    from inspect_ai.log import read_eval_log

    data, run_dir = replayed_run(tmp_path, "tail/lcs", 4, "--epochs", "2", "--temperature", "0.5")
    assert main(["export", "inspect", str(run_dir), "--out", str(tmp_path / "run.json")]) == 0
    log = read_eval_log(str(tmp_path / "run.json"))
    assert sorted((str(s.id), s.epoch) for s in log.samples) == sorted((r["id"], r["epoch"] + 1) for r in journal(run_dir))
    assert log.eval.config.epochs == 2
    assert main(["import", "inspect", str(tmp_path / "run.json"), "--out", str(tmp_path / "imported")]) == 0
    imported = json.loads((tmp_path / "imported" / "results.json").read_text())
    assert imported["benchmarks"]["tail/lcs"]["metrics"] == data["benchmarks"]["tail/lcs"]["metrics"]
    assert "pass@2" in imported["benchmarks"]["tail/lcs"]["metrics"]


def test_bad_input_is_refused_plainly(tmp_path, capsys):
    from inspect_ai.log import EvalConfig, EvalDataset, EvalLog, EvalSpec, write_eval_log

    (tmp_path / "not-a-log.eval").write_bytes(b"not a zip")
    assert main(["import", "inspect", str(tmp_path / "not-a-log.eval"), "--out", str(tmp_path / "x")]) == 2
    assert "not an Inspect log" in capsys.readouterr().err
    other = EvalLog(eval=EvalSpec(task="theirs/task", model="m", dataset=EvalDataset(), config=EvalConfig(),
                                  created="2025-01-01T00:00:00+00:00"))
    write_eval_log(other, str(tmp_path / "other.eval"))
    assert main(["import", "inspect", str(tmp_path / "other.eval"), "--out", str(tmp_path / "x")]) == 2
    assert "is not an evalsuite task" in capsys.readouterr().err
    assert main(["export", "inspect", str(tmp_path), "--out", str(tmp_path / "x.eval")]) == 2
    assert main(["export", "inspect", str(tmp_path), "--out", str(tmp_path / "x.txt")]) == 2
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("argv", [["export", "inspect", "--benchmark", "tail/lcs", "--out", "x.eval"],
                                  ["export", "lm-eval", "somedir", "--benchmark", "tail/lcs", "--out", "x"]])
def test_export_arguments_are_checked(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
