"""Several ``--base-url`` replicas: requests are spread over them, and one dying mid-run costs nothing."""

from __future__ import annotations

import threading
import time

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer, Faults

from .conftest import answers, by_key, journal, metrics, responder

BENCH = "tail/large-number-addition"
N = 240


def test_replica_dying_mid_run_is_routed_around(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    table = answers(BENCH, N, {"per_bucket": "80"})
    out = tmp_path / "run"
    a = DevServer(responder(table), faults=Faults(latency_s=0.01))
    b = DevServer(responder(table), faults=Faults(latency_s=0.01))
    stopped_at: list[tuple[int, int]] = []

    def kill_b_after_some_lines() -> None:
        journal_path = out / "samples.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal_path.exists() and journal_path.read_bytes().count(b"\n") >= N // 3:
                break
            time.sleep(0.005)
        stopped_at.append((a.stats.requests, b.stats.requests))
        b.stop()  # connections reset, then refused

    with a, b:
        watcher = threading.Thread(target=kill_b_after_some_lines)
        watcher.start()
        code = main(["run", "--model", "openai/dev", "--base-url", a.url, "--base-url", b.url, "--benchmark", BENCH,
                     "--limit", str(N), "--set", "per_bucket=80", "--out", str(out), "--no-progress",
                     "--max-concurrency", "8", "--retry-base-delay", "0.01", "--max-retries", "20"])
        watcher.join()
        assert code == 0
        # Round robin: while both lived, each took about half of the requests.
        (to_a, to_b), = stopped_at
        assert to_a + to_b >= N // 3 and 0.35 < to_b / (to_a + to_b) < 0.65, stopped_at
        # After b died, a served everything that was left (but the up to 8 requests b was answering).
        assert a.stats.requests - to_a >= N - (to_a + to_b) - 8
    lines = journal(out)
    assert len(lines) == N and len(by_key(lines)) == N and all(line["error"] is None for line in lines)
    assert sum(a.stats.successes.values()) + sum(b.stats.successes.values()) >= N
    reference = tmp_path / "reference"
    with DevServer(responder(table)) as c:
        assert main(["run", "--model", "openai/dev", "--base-url", c.url, "--benchmark", BENCH, "--limit", str(N),
                     "--set", "per_bucket=80", "--out", str(reference), "--no-progress", "--no-cache"]) == 0
    assert metrics(out) == metrics(reference)
