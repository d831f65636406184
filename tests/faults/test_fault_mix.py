"""A server failing 30% of requests, with every kind of fault, changes no number of a run."""

from __future__ import annotations

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer, Faults

from .conftest import answers, by_key, journal, metrics, responder

BENCH = "tail/large-number-addition"
N = 500
KINDS = {"rate_limit", "server_error", "hang", "drop", "malformed", "empty_choices"}


def run(out, url, *extra):
    return main(["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", str(N),
                 "--set", "per_bucket=200", "--out", str(out), "--no-progress", "--max-concurrency", "32", *extra])


def test_thirty_percent_faults_change_no_sample_score(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    table = answers(BENCH, N, {"per_bucket": "200"})
    assert len(table) == N
    faults = Faults.mixed(0.30, hang_s=5.0, retry_after_s=0.01, seed=11)
    with DevServer(responder(table), faults=faults) as server:
        faulty = tmp_path / "faulty"
        assert run(faulty, server.url, "--timeout", "1", "--retry-base-delay", "0.01", "--max-retries", "30") == 0
        stats = server.stats
        # The mix really happened: every kind, about 30% of all requests.
        assert set(stats.faults) == KINDS and all(stats.faults[k] >= 5 for k in KINDS), stats.faults
        share = sum(stats.faults.values()) / stats.requests
        assert 0.22 < share < 0.38, share
        assert sum(stats.successes.values()) == N  # one good reply per sample, none wasted
    with DevServer(responder(table)) as clean_server:
        clean = tmp_path / "clean"
        assert run(clean, clean_server.url, "--no-cache") == 0
        assert clean_server.stats.requests == N

    faulty_lines, clean_lines = journal(faulty), journal(clean)
    assert len(faulty_lines) == N and len(by_key(faulty_lines)) == N  # no sample counted twice
    assert all(line["error"] is None for line in faulty_lines)
    a, b = by_key(faulty_lines), by_key(clean_lines)
    assert a.keys() == b.keys()
    for key in a:
        for field in ("scores", "prediction", "extraction", "response", "target"):
            assert a[key][field] == b[key][field], (key, field)
    assert metrics(faulty) == metrics(clean)
    result = metrics(faulty)["benchmarks"][BENCH]
    assert result["n"] == N
    # The responder is right on about 70% of prompts (a hash decides), so the accuracy shows it.
    assert 0.6 < result["metrics"]["accuracy"]["value"] < 0.8
