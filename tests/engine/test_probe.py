"""A run nobody answers fails loudly: the start-up probe and the error-rate check, against real
loopback servers (a closed port, a 404 path, a server that answers 500 to everything)."""

from __future__ import annotations

import json
import socket

import pytest

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer

from .conftest import oracle_replies, read_jsonl

BENCH = "tail/compare-numbers"


def run(out, url, *extra):
    return main(["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", "4",
                 "--out", str(out), "--no-progress", "--retry-base-delay", "0.01", *extra])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens once the socket is closed


@pytest.fixture
def status_server(loopback_http):
    """Answers every GET and POST with one HTTP status; counts the requests it got."""
    seen: list[str] = []
    state = {"status": 500}

    def answer(handler):
        length = int(handler.headers.get("Content-Length") or 0)
        handler.rfile.read(length)
        seen.append(f"{handler.command} {handler.path}")
        body = json.dumps({"error": {"message": f"broken backend {state['status']}"}}).encode()
        handler.send_response(state["status"])
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return loopback_http(respond=answer) + "/v1", seen, state


def test_closed_port_fails_before_any_sample_naming_the_url(tmp_path, cache_dir, capsys):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    assert run(tmp_path / "r", url) == 2
    err = capsys.readouterr().err
    assert f"no server answers at {url}" in err and "cannot connect" in err
    assert read_jsonl(tmp_path / "r" / "samples.jsonl") == []  # no sample spent its retries on it


def test_url_without_v1_is_a_404_with_a_hint(tmp_path, cache_dir, capsys):
    with DevServer() as server:
        bare = server.url.removesuffix("/v1")
        assert run(tmp_path / "r", bare) == 2
        assert server.stats.requests == 0  # the 404s came from the probe, no sample was sent
    err = capsys.readouterr().err
    assert f"{bare}/chat/completions answered HTTP 404" in err
    assert f"did you mean {bare}/v1?" in err


def test_server_answering_500_to_everything_fails_after_a_few_requests(tmp_path, cache_dir, capsys, status_server):
    url, seen, _ = status_server
    assert run(tmp_path / "r", url) == 2
    err = capsys.readouterr().err
    assert f"{url}/chat/completions answered HTTP 500: broken backend 500" in err
    assert f"{url}/models answered HTTP 500" in err
    # /models once, the tiny request twice; never the 4 samples x 9 attempts of the old behaviour.
    assert seen == ["GET /v1/models", "POST /v1/chat/completions", "POST /v1/chat/completions"]


def test_unauthorized_is_not_retried(tmp_path, cache_dir, capsys, status_server):
    url, seen, state = status_server
    state["status"] = 401
    assert run(tmp_path / "r", url) == 2
    assert "answered HTTP 401: broken backend 401" in capsys.readouterr().err
    assert seen == ["GET /v1/models", "POST /v1/chat/completions"]


def test_a_dead_replica_beside_a_live_one_only_warns(tmp_path, cache_dir, capsys):
    replies = oracle_replies(BENCH, 4)
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    with DevServer(lambda m: replies[m[-1]["content"]]) as server:
        assert run(tmp_path / "r", server.url, "--base-url", dead) == 0
        assert server.stats.probes == 1
    err = capsys.readouterr().err
    assert "warning: a replica is not usable" in err and dead in err


def test_a_finished_run_resumes_without_its_server(tmp_path, cache_dir):
    replies = oracle_replies(BENCH, 4)
    with DevServer(lambda m: replies[m[-1]["content"]]) as server:
        assert run(tmp_path / "r", server.url) == 0
    # Every sample is in the journal: nothing to send, so nothing to probe.
    assert run(tmp_path / "r", server.url) == 0


def test_every_sample_failing_exits_1_with_the_files_written(tmp_path, cache_dir, capsys):
    def responder(messages):
        raise RuntimeError("model crashed")  # the dev server answers 400 with this text

    with DevServer(responder) as server:
        assert run(tmp_path / "r", server.url) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("evalsuite: error: every sample failed (4 of 4 samples got no reply; results are "
                       "written but not to be trusted); first error: HTTP 400: responder failed: model crashed")
    assert (tmp_path / "r" / "results.json").exists() and len(read_jsonl(tmp_path / "r" / "samples.jsonl")) == 4
    # All failed: a generous --max-error-rate does not make such a run pass.
    assert run(tmp_path / "r2", server.url, "--max-error-rate", "1") == 2  # the server is gone now
    with DevServer(responder) as again:
        assert run(tmp_path / "r3", again.url, "--max-error-rate", "1") == 1


def test_error_rate_above_the_limit_exits_1_below_it_0(tmp_path, cache_dir, capsys):
    replies = oracle_replies(BENCH, 4)
    broken = sorted(replies)[0]

    def responder(messages):
        if messages[-1]["content"] == broken:
            raise RuntimeError("context window exceeded")
        return replies[messages[-1]["content"]]

    with DevServer(responder) as server:
        assert run(tmp_path / "a", server.url) == 1  # 1 of 4 = 25% > 10%
        assert "error rate 25.0% exceeds --max-error-rate 0.1 (1 of 4 samples" in capsys.readouterr().err
        assert run(tmp_path / "b", server.url, "--max-error-rate", "0.25") == 0  # 25% is not above 25%
