"""evalsuite benchmarks run inside lm-eval (``evalsuite export lm-eval``) grade every sample
exactly as ``evalsuite run`` does on the same replies."""

from __future__ import annotations

import json

import pytest

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer
from evalsuite.integrations.export_lm_eval import task_name

from .conftest import (
    evalsuite_scores,
    lm_eval_responses,
    lm_eval_scores,
    mixed_replies,
    responder_for,
    run_lm_eval,
    write_replay,
)


def export(out, benchmark, limit, *extra):
    assert main(["export", "lm-eval", "--benchmark", benchmark, "--out", str(out), "--limit", str(limit), *extra]) == 0


def evalsuite_run(out, model, benchmark, limit, *extra):
    assert main(["run", "--model", model, "--benchmark", benchmark, "--limit", str(limit), "--out", str(out),
                 "--no-progress", *extra]) == 0
    return json.loads((out / "results.json").read_text())["benchmarks"][benchmark]


def test_task_names_and_files(tmp_path):
    assert task_name("tail/compare-numbers") == "evalsuite_tail_compare_numbers"
    assert task_name("hte-conditions/suzuki-miyaura") == "evalsuite_hte_conditions_suzuki_miyaura"
    export(tmp_path, "tail/compare-numbers", 3)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["evalsuite_tail_compare_numbers.jsonl", "evalsuite_tail_compare_numbers.yaml", "evalsuite_tasks.py"]
    lines = [json.loads(x) for x in (tmp_path / "evalsuite_tail_compare_numbers.jsonl").read_text().splitlines()]
    assert len(lines) == 3 and all(line["benchmark"] == "tail/compare-numbers" for line in lines)
    # The same samples `evalsuite samples` prints (docs/contracts.md#cli).
    from evalsuite.core import registry

    bench = registry.create("tail/compare-numbers")
    assert [(s.id, s.messages, s.target) for s in bench.samples(None, 0, 3)] == \
        [(x["id"], x["prompt"], x["target"]) for x in lines]


def test_family_export_is_one_task_per_member_plus_a_group(tmp_path):
    from lm_eval.tasks import TaskManager

    from evalsuite.core import registry

    export(tmp_path, "tail", 1)
    members = registry.families()["tail"]
    manager = TaskManager(include_path=str(tmp_path), include_defaults=False)
    # Only our tasks are indexed: lm-eval's own task index (thousands of YAML files) is not read.
    assert set(manager.all_subtasks) == {task_name(m) for m in members}
    assert manager.all_groups == ["evalsuite_tail"]


def test_options_seed_and_limit_reach_the_exported_samples(tmp_path):
    export(tmp_path / "a", "tail/compare-numbers", 4, "--seed", "1", "--set", "buckets=L")
    lines = [json.loads(x) for x in (tmp_path / "a" / "evalsuite_tail_compare_numbers.jsonl").read_text().splitlines()]
    assert len(lines) == 4 and {line["metadata"]["bucket"] for line in lines} == {"L"}
    yaml_text = (tmp_path / "a" / "evalsuite_tail_compare_numbers.yaml").read_text()
    assert "buckets: L" in yaml_text and "seed: 1" in yaml_text


@pytest.mark.parametrize(("benchmark", "limit"), [("tail/compare-numbers", 12), ("retrosynthesis", 8)])
def test_lm_eval_on_devserver_matches_evalsuite_run_per_sample(tmp_path, benchmark, limit):
    """Both harnesses against the same deterministic OpenAI-compatible server: lm-eval with the
    exported task, evalsuite with ``openai/``; then evalsuite again on lm-eval's logged replies."""
    task = task_name(benchmark)
    export(tmp_path / "tasks", benchmark, limit)
    replies = mixed_replies(benchmark, limit)
    with DevServer(responder_for(replies)) as server:
        result = run_lm_eval(tmp_path / "tasks", task, "local-chat-completions",
                             f"base_url={server.url}/chat/completions,model=dev")
        # The responder answers only prompts it knows: lm-eval sent evalsuite's exact prompts.
        assert server.stats.requests == limit and sum(server.stats.successes.values()) == limit
        direct = evalsuite_run(tmp_path / "direct", "openai/dev", benchmark, limit, "--base-url", server.url)
    ours = lm_eval_scores(result, task)
    theirs = evalsuite_scores(tmp_path / "direct")
    assert len(ours) == limit and ours == theirs
    headline = direct["headline"]
    # The mix really exercises grading: right and wrong answers, and unparseable replies.
    assert {s[headline] for s in ours.values()} == {0.0, 1.0}
    assert {s["extraction_failure_rate"] for s in ours.values()} == {0.0, 1.0}
    # lm-eval's aggregate is the mean of the same per-sample values.
    assert result["results"][task][f"{headline},none"] == pytest.approx(direct["metrics"][headline]["value"])
    # evalsuite on lm-eval's own logged replies: the same scores again.
    replay = write_replay(tmp_path / "replay.jsonl", lm_eval_responses(result, task))
    assert set(lm_eval_responses(result, task).values()) <= set(replies.values())
    evalsuite_run(tmp_path / "replayed", f"replay/{replay}", benchmark, limit)
    assert evalsuite_scores(tmp_path / "replayed") == ours


@pytest.mark.slow
def test_lm_eval_on_embedded_model_matches_evalsuite_run_per_sample(tmp_path):
    """lm-eval against the embedded SmolLM2 server; evalsuite grades lm-eval's replies the same."""
    from evalsuite.backends.local import LocalBackend

    benchmark, limit = "tail/compare-numbers", 3
    task = task_name(benchmark)
    export(tmp_path / "tasks", benchmark, limit)
    backend = LocalBackend("smollm2", max_concurrency=1)
    server = backend._start_server()  # the llama.cpp server alone: lm-eval is the client here
    try:
        url = server.listening_address.rstrip("/") + "/v1/chat/completions"
        result = run_lm_eval(tmp_path / "tasks", task, "local-chat-completions",
                             f"base_url={url},model=smollm2,max_retries=2",
                             gen_kwargs={"max_gen_toks": 24})
    finally:
        del server
    responses = lm_eval_responses(result, task)
    assert len(responses) == limit and all(isinstance(r, str) and r for r in responses.values())
    replay = write_replay(tmp_path / "replay.jsonl", responses)
    evalsuite_run(tmp_path / "replayed", f"replay/{replay}", benchmark, limit)
    assert evalsuite_scores(tmp_path / "replayed") == lm_eval_scores(result, task)
