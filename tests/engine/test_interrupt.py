"""Ctrl-C leaves a run that the same command resumes, without losing or repeating samples."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from evalsuite.integrations.devserver import DevServer, Faults

from .conftest import oracle_replies, read_jsonl

BENCH = "tail/count-letters"


def test_ctrl_c_then_resume(tmp_path, cache_dir):
    replies = oracle_replies(BENCH, 40)
    out = tmp_path / "run"
    with DevServer(lambda m: replies[m[-1]["content"]], faults=Faults(latency_s=0.1)) as server:
        cmd = [sys.executable, "-m", "evalsuite.cli", "run", "--model", "openai/dev", "--base-url", server.url,
               "--benchmark", BENCH, "--limit", "40", "--max-concurrency", "2", "--out", str(out), "--no-progress"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, EVALSUITE_CACHE=str(cache_dir)))
        deadline = time.time() + 60
        while time.time() < deadline:  # interrupt once some, but not all, samples are journaled
            journal = out / "samples.jsonl"
            if journal.exists() and len(journal.read_text().splitlines()) >= 6:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err[-2000:]
        assert "run the same command again to resume" in err
        partial = read_jsonl(out / "samples.jsonl")
        assert 6 <= len(partial) < 40
        before = server.stats.requests

        resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                                 env=dict(os.environ, EVALSUITE_CACHE=str(cache_dir)))
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        # Only the unfinished samples went to the server again (at most the 2 in flight were lost).
        assert server.stats.requests - before <= 40 - len(partial) + 2
    lines = read_jsonl(out / "samples.jsonl")
    assert len(lines) == 40 and len({line["id"] for line in lines}) == 40
    results = json.loads((out / "results.json").read_text())
    assert results["benchmarks"][BENCH]["metrics"]["accuracy"]["value"] == 1.0
