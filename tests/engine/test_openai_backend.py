"""The openai backend against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import json
import socket

import pytest

from evalsuite.backends.openai_compat import retry_after
from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer, Faults

from .conftest import oracle_replies, read_jsonl

BENCH = "tail/compare-numbers"
SECRET = "sk-evalsuite-test-DO-NOT-WRITE-4242"


def oracle_server(limit: int, faults: Faults | None = None) -> DevServer:
    replies = oracle_replies(BENCH, limit)
    return DevServer(lambda messages: replies[messages[-1]["content"]], faults=faults)


def run(out, url, limit, *extra):
    return main(["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH,
                 "--limit", str(limit), "--out", str(out), "--no-progress", *extra])


def accuracy(out):
    return json.loads((out / "results.json").read_text())["benchmarks"][BENCH]["metrics"]["accuracy"]["value"]


def requests_of(out):
    """The last invocation's own request counts (run.requests keeps the first completion's
    provenance across reruns; docs/contracts.md#resultsjson)."""
    return json.loads((out / "results.json").read_text())["run"]["sessions"][-1]["requests"]


def test_journal_then_cache_avoid_every_repeat_request(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with oracle_server(12) as server:
        first = tmp_path / "first"
        assert run(first, server.url, 12) == 0
        assert accuracy(first) == 1.0
        assert server.stats.requests == 12
        # Same command, same --out: the journal answers everything.
        assert run(first, server.url, 12) == 0
        assert server.stats.requests == 12 and requests_of(first)["skipped_journal"] == 12
        # Fresh --out: the cache answers everything.
        second = tmp_path / "second"
        assert run(second, server.url, 12) == 0
        assert server.stats.requests == 12
        assert requests_of(second) | {} and requests_of(second)["from_cache"] == 12
        assert requests_of(second)["sent_to_model"] == 0
        assert accuracy(second) == 1.0
        assert server.stats.auth_headers == {f"Bearer {SECRET}"}  # the key was really used...
    for path in [*tmp_path.rglob("*")]:  # ...and never written anywhere
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_no_cache_sends_every_request_again(tmp_path, cache_dir):
    with oracle_server(5) as server:
        assert run(tmp_path / "a", server.url, 5) == 0
        assert run(tmp_path / "b", server.url, 5, "--no-cache") == 0
        assert server.stats.requests == 10


def test_client_error_fails_the_sample_with_the_server_message(tmp_path, cache_dir):
    def responder(messages):
        raise RuntimeError("context window exceeded")

    with DevServer(responder) as server:
        assert run(tmp_path / "r", server.url, 3) == 1  # every sample failed: written, then exit 1
        lines = read_jsonl(tmp_path / "r" / "samples.jsonl")
        assert server.stats.requests == 3  # a 4xx is not retried
    assert all(line["error"] == "HTTP 400: responder failed: context window exceeded" for line in lines)
    assert all(line["scores"]["accuracy"] == 0.0 for line in lines)


def test_faulty_server_still_gives_every_sample_its_right_answer(tmp_path, cache_dir):
    faults = Faults.mixed(0.3, hang_s=3.0, retry_after_s=0.01, seed=7)
    with oracle_server(40, faults) as server:
        out = tmp_path / "r"
        assert run(out, server.url, 40, "--timeout", "1", "--retry-base-delay", "0.01",
                   "--max-retries", "20", "--max-concurrency", "8") == 0
        assert sum(server.stats.faults.values()) > 0
    assert accuracy(out) == 1.0
    assert len(read_jsonl(out / "samples.jsonl")) == 40


def test_dead_replica_is_routed_around(tmp_path, cache_dir):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"  # bound, not listening: refused
        with oracle_server(10) as server:
            out = tmp_path / "r"
            assert main(["run", "--model", "openai/dev", "--base-url", dead, "--base-url", server.url,
                         "--benchmark", BENCH, "--limit", "10", "--out", str(out), "--no-progress",
                         "--retry-base-delay", "0.01"]) == 0
    assert accuracy(out) == 1.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), ("0.5", 0.5), ("100000", 120.0), (None, None)],
)
def test_retry_after_header(header, expected):
    headers = {} if header is None else {"retry-after": header}
    assert retry_after(headers) == expected


def test_missing_base_url_is_a_clear_error(tmp_path, capsys):
    assert main(["run", "--model", "openai/dev", "--benchmark", BENCH, "--out", str(tmp_path / "x")]) == 2
    assert "needs --base-url" in capsys.readouterr().err
