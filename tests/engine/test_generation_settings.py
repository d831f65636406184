"""Generation settings, extra body fields, headers and model configs, checked in the requests a
real HTTP server received; each setting is part of the cache key and the resume fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.backends.openai_compat import default_timeout
from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer, Faults

from .conftest import oracle_replies, read_jsonl, run_cli

BENCH = "tail/lcs"
LIMIT = 5  # the replies cover every sample of the largest run below (--limit 5)
REPO = Path(__file__).resolve().parents[2]
HEADER_SECRET = "hdr-value-never-written-5150"
SETTINGS = ["--top-p", "0.95", "--top-k", "50", "--gen-arg", 'chat_template_kwargs={"enable_thinking": true}',
            "--header", "X-Team=eval", "--header", f"X-Token={HEADER_SECRET}"]


def oracle_server(faults: Faults | None = None) -> DevServer:
    replies = oracle_replies(BENCH, LIMIT)
    return DevServer(lambda messages: replies[messages[-1]["content"]], faults=faults)


def run(out, url, *extra):
    return main(["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", str(LIMIT),
                 "--out", str(out), "--no-progress", *extra])


def test_settings_and_headers_reach_the_server_and_key_the_cache(tmp_path, cache_dir):
    with oracle_server() as server:
        out = tmp_path / "run"
        assert run(out, server.url, *SETTINGS) == 0
        assert server.stats.requests == LIMIT
        for body, headers in zip(server.stats.bodies, server.stats.headers, strict=True):
            assert body["top_p"] == 0.95 and body["top_k"] == 50
            assert body["chat_template_kwargs"] == {"enable_thinking": True}
            assert "min_p" not in body and "reasoning_effort" not in body  # unset: the server's default
            assert headers["X-Team"] == "eval" and headers["X-Token"] == HEADER_SECRET
        config = json.loads((out / "config.json").read_text())
        generation = config["benchmarks"][BENCH]["generation"]
        assert generation["top_p"] == 0.95 and generation["top_k"] == 50
        assert generation["extra_body"] == {"chat_template_kwargs": {"enable_thinking": True}}
        assert config["backend"]["headers"] == ["X-Team", "X-Token"]  # names only
        results = json.loads((out / "results.json").read_text())
        assert results["run"]["benchmarks"][BENCH]["generation"] == generation

        # The same settings into a fresh --out: all from the cache.
        assert run(tmp_path / "same", server.url, *SETTINGS) == 0
        assert server.stats.requests == LIMIT
        # Each setting changed alone: new requests, and the first --out refuses to resume.
        variants = {
            "top_p": [*SETTINGS[:1], "0.9", *SETTINGS[2:]],
            "top_k": [*SETTINGS[:3], "40", *SETTINGS[4:]],
            "gen_arg": [*SETTINGS[:5], 'chat_template_kwargs={"enable_thinking": false}', *SETTINGS[6:]],
            "header": [*SETTINGS[:7], "X-Group=eval", *SETTINGS[8:]],
        }
        for index, (name, settings) in enumerate(variants.items(), start=1):
            assert run(tmp_path / name, server.url, *settings) == 0, name
            assert server.stats.requests == LIMIT * (index + 1), name
            assert run(out, server.url, *settings) == 2, name  # a different configuration
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert HEADER_SECRET.encode() not in path.read_bytes(), path
    for path in cache_dir.rglob("*"):
        if path.is_file():
            assert HEADER_SECRET.encode() not in path.read_bytes(), path


def test_max_completion_tokens_for_servers_that_want_it(tmp_path, cache_dir):
    with oracle_server() as server:
        out = tmp_path / "run"
        assert run(out, server.url, "--max-tokens", "300", "--max-tokens-param", "max_completion_tokens",
                   "--reasoning-effort", "high", "--min-p", "0.05", "--presence-penalty", "0.5",
                   "--frequency-penalty", "-0.5") == 0
        body = server.stats.bodies[0]
    assert body["max_completion_tokens"] == 300 and "max_tokens" not in body
    assert (body["reasoning_effort"], body["min_p"], body["presence_penalty"], body["frequency_penalty"]) == \
        ("high", 0.05, 0.5, -0.5)
    assert json.loads((out / "config.json").read_text())["backend"]["max_tokens_param"] == "max_completion_tokens"


def test_model_config_carries_the_vendor_settings(tmp_path, cache_dir):
    with oracle_server() as server:
        # the command of the issue, as a user types it (no --out: runs/<model name>)
        done = run_cli("run", "--model-config", str(REPO / "examples/models/intern-s1.yaml"), "--base-url", server.url,
                       "--benchmark", BENCH, "--limit", "5", "--no-progress", cwd=tmp_path,
                       env={"EVALSUITE_CACHE": str(cache_dir)})
        assert done.returncode == 0, done.stderr
        assert server.stats.requests == 5
        for body in server.stats.bodies:
            assert body["model"] == "internlm/Intern-S1"
            assert (body["temperature"], body["top_p"], body["top_k"], body["min_p"], body["max_tokens"]) == \
                (0.7, 1.0, 50, 0.0, 64000)
            assert body["chat_template_kwargs"] == {"enable_thinking": True}
        out = tmp_path / "runs" / "Intern-S1"
        assert len(read_jsonl(out / "samples.jsonl")) == 5
        # flags override the file, key by key
        assert main(["run", "--model-config", str(REPO / "examples/models/intern-s1.yaml"), "--base-url", server.url,
                     "--benchmark", BENCH, "--limit", "1", "--temperature", "0.2", "--gen-arg",
                     'chat_template_kwargs={"enable_thinking": false}', "--out", str(tmp_path / "o"),
                     "--no-progress"]) == 0
        body = server.stats.bodies[-1]
        assert body["temperature"] == 0.2 and body["top_p"] == 1.0
        assert body["chat_template_kwargs"] == {"enable_thinking": False}


def test_non_thinking_example_and_prices(tmp_path, cache_dir):
    with oracle_server() as server:
        out = tmp_path / "run"
        assert main(["run", "--model-config", str(REPO / "examples/models/qwen2.5-7b-instruct.yaml"),
                     "--base-url", server.url, "--benchmark", BENCH, "--limit", "2", "--out", str(out),
                     "--no-progress"]) == 0
        body = server.stats.bodies[0]
    assert body["model"] == "Qwen/Qwen2.5-7B-Instruct" and body["temperature"] == 0.0 and body["max_tokens"] == 2048
    assert "chat_template_kwargs" not in body
    results = json.loads((out / "results.json").read_text())
    assert results["run"]["prices"] == {"input_per_million": 0.30, "output_per_million": 0.30}


@pytest.mark.parametrize(("text", "message"), [
    ("model: openai/x\nbase_urls: [http://h]\n", "unknown key(s) base_urls"),
    ("generation: {top_p: high}\n", "generation.top_p must be int or float"),
    ("generation: {chat_template_kwargs: {}}\n", "not a generation setting"),
    ("extra_body: {top_p: 0.9}\n", "top_p has its own setting"),
    ("extra_body: {messages: []}\n", "messages is set by evalsuite"),
    ("price: {input: 1}\n", "price must be"),
    ("- a list\n", "expected a mapping"),
    ("model: [unclosed\n", "not valid YAML"),
])
def test_bad_model_configs_are_refused_with_the_key(tmp_path, capsys, text, message):
    path = tmp_path / "model.yaml"
    path.write_text(text)
    code = main(["run", "--model-config", str(path), "--model", "oracle", "--benchmark", BENCH, "--limit", "1",
                 "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--gen-arg", "chat_template_kwargs={enable_thinking: true}"], "not JSON"),
    (["--gen-arg", "temperature=0.3"], "temperature has its own setting (--temperature)"),
    (["--header", "X Bad=1"], "--header expects NAME=VALUE"),
    (["--price", "1"], "--price expects INPUT,OUTPUT"),
    (["--max-tokens-param", "max_completion_tokens"], "only apply to openai/NAME"),
])
def test_bad_generation_flags_are_refused(tmp_path, capsys, args, message):
    code = main(["run", "--model", "oracle", "--benchmark", BENCH, "--limit", "1", "--out", str(tmp_path / "o"),
                 "--no-progress", *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_lm_eval_refuses_settings_it_cannot_apply(tmp_path, capsys):
    code = main(["run", "--model", "lm-eval/local-chat-completions", "--model-args", "base_url=http://127.0.0.1:9/v1",
                 "--benchmark", BENCH, "--limit", "1", "--out", str(tmp_path / "o"), "--no-progress",
                 "--top-p", "0.9", "--gen-arg", 'chat_template_kwargs={"enable_thinking": true}'])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot apply top_p, extra_body" in err
    assert not (tmp_path / "o" / "samples.jsonl").exists()


def test_default_timeout_fits_long_thinking():
    # 30,000 tokens at 50 tokens/s is 600 s; the default allows twice that, 120 s at the least
    assert default_timeout(30_000) == 1200.0
    assert default_timeout(64_000) == 2560.0
    assert default_timeout(1024) == 120.0


def test_a_timed_out_sample_records_how_long_it_waited(tmp_path, cache_dir):
    with oracle_server(Faults(hang=1.0, hang_s=5.0)) as server:
        out = tmp_path / "run"
        # every sample timed out: the files are written and the run exits 1 (not to be trusted)
        assert run(out, server.url, "--timeout", "0.5", "--max-retries", "1", "--retry-base-delay", "0.01") == 1
    for line in read_jsonl(out / "samples.jsonl"):
        assert "timed out after 0.5 s" in line["error"]
        assert line["attempts"] == 2
        assert line["latency_s"] >= 0.5  # the client waited out its timeout: a slow model, not a dead one


def test_the_embedded_model_refuses_reasoning_effort(tmp_path, capsys):
    from evalsuite.backends.local import gguf_path
    from evalsuite.core.errors import BackendError

    try:
        gguf_path("smollm2")
    except BackendError as exc:
        pytest.skip(str(exc))
    code = main(["run", "--model", "local/smollm2", "--benchmark", BENCH, "--limit", "1", "--out", str(tmp_path / "o"),
                 "--no-progress", "--reasoning-effort", "high"])
    assert code == 2
    assert "cannot apply reasoning_effort" in capsys.readouterr().err
