"""Helpers for the lm-eval round trips: a deterministic mixed-quality responder, lm-eval runs
in-process on exported tasks, and per-sample score tables from both harnesses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..conftest import JUNK, REFUSAL, mixed_replies  # noqa: F401 - the tests take them from here


def responder_for(replies: dict[str, str]):
    return lambda messages: replies[messages[-1]["content"]]


def run_lm_eval(task_dir: Path, task: str, model: str, model_args: str, *, gen_kwargs: dict | None = None,
                output_path: Path | None = None) -> dict[str, Any]:
    """``lm_eval --include_path task_dir --tasks task --apply_chat_template --log_samples``, in
    process, with lm-eval's own task index left out (include_defaults=False)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    tracker = None
    if output_path is not None:
        from lm_eval.loggers import EvaluationTracker

        tracker = EvaluationTracker(output_path=str(output_path))
    result = simple_evaluate(
        model=model, model_args=model_args, tasks=[task],
        task_manager=TaskManager(include_path=str(task_dir), include_defaults=False),
        apply_chat_template=True, log_samples=True, gen_kwargs=gen_kwargs,
        evaluation_tracker=tracker, bootstrap_iters=0,
    )
    if tracker is not None:
        samples = result.pop("samples")
        tracker.save_results_aggregated(results=result, samples=samples)
        result["samples"] = samples
    return result


def lm_eval_scores(result: dict[str, Any], task: str) -> dict[str, dict[str, float]]:
    """Sample id -> {metric: value} from lm-eval's logged samples."""
    out = {}
    for row in result["samples"][task]:
        out[row["doc"]["id"]] = {m: row[m] for m in row["metrics"] if m in row}
    return out


def lm_eval_responses(result: dict[str, Any], task: str) -> dict[str, str]:
    return {row["doc"]["id"]: row["filtered_resps"][0] for row in result["samples"][task]}


def evalsuite_scores(run_dir: Path) -> dict[str, dict[str, float]]:
    """Sample id -> the same view of samples.jsonl: non-None scores, plus extraction failure
    (refusals excepted) as 0/1."""
    out = {}
    for line in (run_dir / "samples.jsonl").read_text().splitlines():
        record = json.loads(line)
        scores = {k: float(v) for k, v in record["scores"].items() if v is not None}
        failed = record["extraction"].startswith("failed") and record["extraction"] != "failed: refusal"
        scores["extraction_failure_rate"] = float(failed)
        out[record["id"]] = scores
    return out


def write_replay(path: Path, responses: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"id": k, "response": v}) + "\n" for k, v in responses.items()))
    return path


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No hub access, and a private reply cache, in every test here."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
