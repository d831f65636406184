"""The embedded default model, served by llama.cpp in-process, on a few real samples."""

from __future__ import annotations

import json
import shlex

import pytest

from .conftest import read_jsonl, run_cli


@pytest.mark.slow
def test_local_smollm2_answers_real_samples(tmp_path, cache_dir):
    out = tmp_path / "run"
    result = run_cli("run", "--model", "local/smollm2", "--benchmark", "tail/compare-numbers",
                     "--limit", "3", "--max-tokens", "48", "--out", str(out), "--no-progress",
                     env={"EVALSUITE_CACHE": str(cache_dir)})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = read_jsonl(out / "samples.jsonl")
    assert len(lines) == 3
    assert all(line["error"] is None and line["response"] for line in lines)
    run = json.loads((out / "results.json").read_text())["run"]
    assert run["backend"]["model"] == "smollm2" and run["requests"]["sent_to_model"] == 3
    # The same samples again in a fresh directory come from the cache, not the model.
    again = run_cli("run", "--model", "local/smollm2", "--benchmark", "tail/compare-numbers",
                    "--limit", "3", "--max-tokens", "48", "--out", str(tmp_path / "again"), "--no-progress",
                    env={"EVALSUITE_CACHE": str(cache_dir)})
    assert again.returncode == 0, again.stderr[-2000:]
    rerun = json.loads((tmp_path / "again" / "results.json").read_text())["run"]["requests"]
    assert rerun["sent_to_model"] == 0 and rerun["from_cache"] == 3


@pytest.mark.slow
def test_a_finished_local_run_resumes_without_starting_llama_cpp(tmp_path, cache_dir):
    from evalsuite.engine.runner import RunConfig, Runner

    def run() -> Runner:
        config = RunConfig(model="local/smollm2", benchmarks=["tail/compare-numbers"], out=tmp_path / "run",
                           limit=2, overrides={"max_tokens": 16}, cache_path=cache_dir / "replies.sqlite",
                           progress=False)
        runner = Runner(config)
        runner.run()
        return runner

    first = run()
    assert first.backend.boots == 1 and first.counters.requested == 2
    again = run()  # every reply is in the journal: nothing to ask, so nothing to boot
    assert again.counters.skipped == 2 and again.counters.requested == 0
    assert again.backend.boots == 0


@pytest.mark.slow
def test_local_replies_do_not_depend_on_the_concurrency(tmp_path):
    """Issue 30 item 10: at temperature 0 the embedded model gives the same replies at
    --max-concurrency 8 (the default) and 1; the concurrency is not in the run's identity."""
    replies = {}
    for concurrency in ("8", "1"):
        out = tmp_path / f"c{concurrency}"
        result = run_cli("run", "--model", "local/smollm2", "--benchmark", "tail/compare-numbers", "--limit", "8",
                         "--max-tokens", "32", "--temperature", "0", "--max-concurrency", concurrency, "--out", str(out),
                         "--no-progress", "--no-cache")
        assert result.returncode == 0, result.stderr[-2000:]
        replies[concurrency] = {line["id"]: line["response"] for line in read_jsonl(out / "samples.jsonl")}
    assert replies["8"] == replies["1"]


@pytest.mark.slow
def test_readme_main_job_shows_right_and_wrong_answers_in_two_families(tmp_path, cache_dir):
    """Issue 31: the README's main job, run as written (cwd = a fresh folder), is not all zeros:
    at least two families have a strict headline strictly between 0 and 1, and each headline has
    its truncation share beside it in the summary."""
    from ..conftest import ROOT

    line = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("python3.11 -m venv"))
    args = shlex.split(line.split("&& evalsuite ", 1)[1])
    result = run_cli(*args, "--no-progress", env={"EVALSUITE_CACHE": str(cache_dir)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / args[args.index("--out") + 1]
    assert (tmp_path / args[args.index("--report") + 1]).is_file()
    benchmarks = json.loads((out / "results.json").read_text())["benchmarks"]
    mixed = {name.split("/")[0] for name, entry in benchmarks.items()
             if 0.0 < entry["metrics"][entry["headline"]]["value"] < 1.0}
    assert len(mixed) >= 2, {name: entry["metrics"][entry["headline"]]["value"] for name, entry in benchmarks.items()}
    header = next(line for line in result.stdout.splitlines() if line.startswith("benchmark "))
    assert header.split()[3:6] == ["metric", "value", "truncated"]
