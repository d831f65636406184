"""``inspect/<provider>/<model>``: Inspect's OpenAI provider against the dev server gives the same
journal as our own ``openai/`` backend on the same replies; settings Inspect cannot take are refused."""

from __future__ import annotations

import json

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevReply, DevServer

from .conftest import REFUSAL, evalsuite_run, journal, mixed_replies

BENCHMARK, LIMIT = "tail/lcs", 8
# What differs between two runs of the same replies: timing, and how the reply was obtained.
NOT_COMPARED = {"latency_s", "attempts", "cached"}


def responder(replies: dict[str, str]):
    """Mixed replies, one with reasoning apart (``reasoning_content``) and one longer than the
    token limit (the dev server cuts it with finish_reason "length")."""
    prompts = sorted(replies)

    def answer(messages):
        prompt = messages[-1]["content"]
        if prompt == prompts[0]:
            return DevReply(content=replies[prompt], reasoning="let me think step by step about it")
        if prompt == prompts[1]:
            return "word " * 64
        return replies[prompt]

    return answer


def test_inspect_openai_provider_gives_the_journal_of_openai_backend(tmp_path, monkeypatch):
    replies = mixed_replies(BENCHMARK, LIMIT)
    with DevServer(responder(replies)) as server:
        direct = evalsuite_run(tmp_path / "direct", "openai/gpt-4o-mini", BENCHMARK, LIMIT, "--base-url", server.url,
                               "--max-tokens", "32", "--no-cache")
        # Inspect's openai provider reads its address and key from the environment
        # (inspect_ai/model/_providers/openai.py: OPENAI_BASE_URL, OPENAI_API_KEY). The dev server
        # answers any model name; a gpt-4o name keeps Inspect on chat completions with every
        # setting sent (an unknown name is taken for a frontier model: see the test below).
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
        through = evalsuite_run(tmp_path / "inspect", "inspect/openai/gpt-4o-mini", BENCHMARK, LIMIT,
                                "--max-tokens", "32", "--no-cache")
        bodies = [b for b in server.stats.bodies if b["messages"][-1]["content"] in replies]
    a = {r["id"]: r for r in journal(tmp_path / "direct")}
    b = {r["id"]: r for r in journal(tmp_path / "inspect")}
    assert set(a) == set(b) and len(a) == LIMIT
    for sample_id, record in a.items():
        assert {k: v for k, v in b[sample_id].items() if k not in NOT_COMPARED} == \
               {k: v for k, v in record.items() if k not in NOT_COMPARED}, sample_id
    # Carried over, checked against what the dev server does (words are tokens, cut at max_tokens):
    truncated = [r for r in b.values() if r["finish_reason"] == "length"]
    assert len(truncated) == 1 and truncated[0]["extraction"] == "failed: truncated"
    assert truncated[0]["usage"]["completion_tokens"] == 32
    thought = [r for r in b.values() if r["reasoning"]]
    assert len(thought) == 1 and thought[0]["reasoning"] == "let me think step by step about it"
    assert all(r["usage"]["prompt_tokens"] == len(" ".join(m["content"] for m in r["prompt"]).split())
               for r in b.values())
    assert next(r for r in b.values() if r["response"] == REFUSAL)["extraction"] == "failed: refusal"
    assert through["benchmarks"][BENCHMARK]["metrics"] == direct["benchmarks"][BENCHMARK]["metrics"]
    # Inspect sent the benchmark's settings: temperature, the token limit, the run's seed.
    inspect_bodies = bodies[LIMIT:]
    assert len(inspect_bodies) == LIMIT
    assert all(body["temperature"] == 0.0 and body["seed"] == 0 and body["max_tokens"] == 32 for body in inspect_bodies)


def test_top_k_travels_in_the_body_or_is_refused(tmp_path, monkeypatch):
    replies = mixed_replies(BENCHMARK, 2)
    with DevServer(lambda messages: replies[messages[-1]["content"]]) as server:
        # openai-api/<service>/<model>: any OpenAI-compatible server, at <SERVICE>_BASE_URL
        # (inspect_ai/model/_providers/openai_compatible.py).
        monkeypatch.setenv("LOCAL_BASE_URL", server.url)
        monkeypatch.setenv("LOCAL_API_KEY", "sk-test-not-a-key")
        evalsuite_run(tmp_path / "k", "inspect/openai-api/local/dev", BENCHMARK, 2, "--top-k", "7", "--min-p", "0.05",
                      "--no-cache")
        sent = [b for b in server.stats.bodies if b["messages"][-1]["content"] in replies]
    # Inspect's OpenAI provider has no top_k of its own: it goes in extra_body, never dropped.
    assert sent and all(body["top_k"] == 7 and body["min_p"] == 0.05 for body in sent)
    # mistral takes neither top_k nor extra_body through Inspect: refused before any request.
    code = main(["run", "--model", "inspect/mistral/x", "--benchmark", BENCHMARK, "--limit", "2", "--top-k", "7",
                 "--out", str(tmp_path / "refused"), "--no-progress"])
    assert code == 2
    assert not (tmp_path / "refused" / "samples.jsonl").exists()


def test_settings_inspect_would_leave_out_are_refused(tmp_path, monkeypatch, capsys):
    """Inspect's openai provider sends no temperature to o-series, gpt-5 and unknown model names
    (taken for frontier models) and no seed to the Responses API: refused, not dropped."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # never reached
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    for model, problem in [("inspect/openai/o3-mini", "temperature=0.0"), ("inspect/openai/my-server-model", "seed")]:
        code = main(["run", "--model", model, "--benchmark", BENCHMARK, "--limit", "1", "--no-progress",
                     "--out", str(tmp_path / model.replace("/", "_"))])
        assert code == 2
        assert problem in capsys.readouterr().err


def test_inspect_model_string_needs_a_provider_and_a_model(tmp_path, capsys):
    code = main(["run", "--model", "inspect/anthropic", "--benchmark", BENCHMARK, "--limit", "1",
                 "--out", str(tmp_path / "x"), "--no-progress"])
    assert code == 2
    assert "inspect/<provider>/<model>" in capsys.readouterr().err




def test_a_provider_key_never_reaches_the_journal(tmp_path, monkeypatch):
    """The provider's key (read by Inspect from the environment) is scrubbed from any recorded
    error; an unreachable server is recorded as the connection error itself."""
    key = "sk-test-secret-0123456789"
    monkeypatch.setenv("LOCAL_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: connection refused
    monkeypatch.setenv("LOCAL_API_KEY", key)
    from evalsuite.backends.inspect_backend import InspectBackend

    backend = InspectBackend("openai-api/local/dev", max_retries=0)
    assert key not in backend._scrub(f"401 for key {key}")
    code = main(["run", "--model", "inspect/openai-api/local/dev", "--benchmark", BENCHMARK, "--limit", "1",
                 "--no-progress", "--max-retries", "0", "--timeout", "5", "--out", str(tmp_path / "run"),
                 "--no-cache"])
    assert code == 1  # every sample failed
    [record] = journal(tmp_path / "run")
    assert record["error"].startswith("inspect APIConnectionError") and key not in json.dumps(record)
