"""``--model lm-eval/NAME``: lm-eval's model classes as an evalsuite backend, against a real
OpenAI-compatible server on loopback."""

from __future__ import annotations

import importlib.util
import json

import pytest

from evalsuite.backends.lm_eval_backend import LmEvalBackend
from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer

from .conftest import mixed_replies, responder_for

BENCH = "tail/compare-numbers"
SECRET = "sk-evalsuite-lm-eval-test-DO-NOT-WRITE-7311"


def run(out, model, limit, *extra):
    return main(["run", "--model", model, "--benchmark", BENCH, "--limit", str(limit), "--out", str(out),
                 "--no-progress", *extra])


def lines(out):
    return [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]


def test_lm_eval_chat_class_gives_the_same_results_as_the_openai_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    limit = 16
    replies = mixed_replies(BENCH, limit)
    with DevServer(responder_for(replies)) as server:
        assert run(tmp_path / "openai", "openai/dev", limit, "--base-url", server.url) == 0
        assert run(tmp_path / "lm", "lm-eval/local-chat-completions", limit, "--model-args",
                   f"base_url={server.url}/chat/completions,model=dev,auth_token={SECRET}") == 0
        # Every request was answered, so each prompt was one the server knew: the same messages.
        assert server.stats.requests == 2 * limit and sum(server.stats.successes.values()) == 2 * limit
        assert server.stats.auth_headers == {f"Bearer {SECRET}"}  # the key was used by both...
    fields = ("id", "prompt", "response", "prediction", "target", "scores", "extraction", "error", "reason")
    a = sorted(({k: x[k] for k in fields} for x in lines(tmp_path / "openai")), key=lambda x: x["id"])
    b = sorted(({k: x[k] for k in fields} for x in lines(tmp_path / "lm")), key=lambda x: x["id"])
    assert a == b and len(a) == limit
    assert {x["scores"]["accuracy"] for x in a} == {0.0, 1.0}
    assert {x["extraction"] for x in a} >= {"failed: refusal", "final-answer"}
    metrics = [json.loads((tmp_path / d / "results.json").read_text())["benchmarks"][BENCH]["metrics"]
               for d in ("openai", "lm")]
    assert metrics[0] == metrics[1]
    for path in tmp_path.rglob("*"):  # ...and written nowhere
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_concurrent_requests_are_batched_and_cached(tmp_path):
    limit = 12
    replies = mixed_replies(BENCH, limit)
    with DevServer(responder_for(replies)) as server:
        from evalsuite.backends import create_backend

        backend = create_backend("lm-eval/local-chat-completions", max_concurrency=8,
                                 model_args=f"base_url={server.url}/chat/completions")
        assert isinstance(backend, LmEvalBackend)
        assert run(tmp_path / "a", "lm-eval/local-chat-completions", limit, "--max-concurrency", "8",
                   "--model-args", f"base_url={server.url}/chat/completions") == 0
        assert server.stats.requests == limit
        # A fresh directory: the reply cache answers, the server sees nothing new.
        assert run(tmp_path / "b", "lm-eval/local-chat-completions", limit,
                   "--model-args", f"base_url={server.url}/chat/completions") == 0
        assert server.stats.requests == limit
    requests = json.loads((tmp_path / "b" / "results.json").read_text())["run"]["requests"]
    assert requests["from_cache"] == limit and requests["sent_to_model"] == 0


def test_batching_collects_requests_that_arrive_together():
    import asyncio

    from evalsuite.backends import Request
    from evalsuite.core import registry

    bench = registry.create(BENCH)
    samples = list(bench.samples(None, 0, 10))
    replies = mixed_replies(BENCH, 10)
    with DevServer(responder_for(replies)) as server:
        backend = LmEvalBackend("local-chat-completions", f"base_url={server.url}/chat/completions",
                                max_concurrency=4)

        async def go():
            await backend.start()
            try:
                return await asyncio.gather(*(backend.generate(Request(bench, s, bench.generation)) for s in samples))
            finally:
                await backend.close()

        out = asyncio.run(go())
    assert [r.text for r in out] == [replies[s.messages[-1]["content"]] for s in samples]
    assert backend.batches == [4, 4, 2]


def test_a_rejected_request_fails_only_its_sample(tmp_path):
    limit = 6
    replies = mixed_replies(BENCH, limit)
    bad = min(replies)

    def responder(messages):
        if messages[-1]["content"] == bad:
            raise RuntimeError("context window exceeded")
        return replies[messages[-1]["content"]]

    with DevServer(responder) as server:
        assert run(tmp_path / "r", "lm-eval/local-chat-completions", limit, "--model-args",
                   f"base_url={server.url}/chat/completions,max_retries=1", "--max-error-rate", "0.5") == 0
    records = lines(tmp_path / "r")
    failed = [r for r in records if r["error"]]
    assert len(records) == limit and len(failed) == 1
    assert "400" in failed[0]["error"] and failed[0]["scores"]["accuracy"] == 0.0
    assert all(r["response"] == replies[r["prompt"][-1]["content"]] for r in records if not r["error"])


def test_identity_has_no_credentials():
    backend = LmEvalBackend("local-chat-completions",
                            f"base_url=http://x/v1/chat/completions,auth_token={SECRET},api_key={SECRET},model=m",
                            max_concurrency=2)
    identity = json.dumps(backend.identity())
    assert SECRET not in identity and '"model": "m"' in identity
    # The address is provenance, not identity; each secret is a digest, so another key is another run.
    assert "http://x" not in identity and backend.endpoints() == ["http://x/v1/chat/completions"]
    other = LmEvalBackend("local-chat-completions", "auth_token=another-key-123,api_key=x,model=m")
    assert other.identity()["model_args"]["auth_token"] != backend.identity()["model_args"]["auth_token"]


def test_unknown_model_class_is_a_clear_error(tmp_path, capsys):
    assert run(tmp_path / "x", "lm-eval/no-such-class", 1) == 2
    err = capsys.readouterr().err
    assert "no-such-class" in err and "local-chat-completions" in err  # lm-eval's list of names


def test_malformed_model_args_is_a_clear_error(tmp_path, capsys):
    assert run(tmp_path / "x", "lm-eval/local-chat-completions", 1, "--model-args", "base_url") == 2
    assert "--model-args expects k=v" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed here")
def test_torch_class_without_torch_says_how_to_install_it(tmp_path, capsys):
    assert run(tmp_path / "x", "lm-eval/hf", 1, "--model-args", "pretrained=gpt2") == 2
    err = capsys.readouterr().err
    assert "needs the package 'torch'" in err and "evalsuite[torch]" in err
