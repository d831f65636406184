"""SIGKILL at random points, resume each time: the journal and the results end up exactly as an
uninterrupted run's, and no sample goes to the server again once it is journaled."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from collections import Counter

from evalsuite.files.journal import SAMPLES
from evalsuite.integrations.devserver import DevServer, Faults

from .conftest import ROOT, answers, by_key, cli, env_with_cache, journal, metrics, responder, run_cli

BENCH = "tail/large-number-addition"
N = 300
KILLS = 6


def args(out, url):
    return ["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", str(N),
            "--set", "per_bucket=100", "--out", str(out), "--no-progress", "--max-concurrency", "4"]


def lines_in(path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def journaled(out) -> dict[str, str]:
    """id -> prompt of every valid, error-free line now in the journal (a torn last line is skipped)."""
    done = {}
    raw = (out / SAMPLES).read_bytes() if (out / SAMPLES).exists() else b""
    for line in raw.split(b"\n")[:-1]:  # the part after the last newline is torn (or empty)
        record = json.loads(line)
        if record["error"] is None:
            done[record["id"]] = record["prompt"][-1]["content"]
    return done


def test_sigkill_at_random_points_then_resume(tmp_path):
    # A new draw every time (the property must hold wherever the kills land); every failure
    # message names the seed, and EVALSUITE_KILL_SEED=... replays it.
    seed = int(os.environ.get("EVALSUITE_KILL_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    table = answers(BENCH, N, {"per_bucket": "100"})
    cache = tmp_path / "cache"
    out = tmp_path / "killed"
    # Where to kill: once during start-up (by time), then after a rising number of journal lines.
    # (The last point stays 40 lines short of the end, so a slow poll cannot miss the run.)
    points = [("seconds", rng.uniform(0.3, 1.0))] + [("lines", n) for n in sorted(rng.sample(range(5, N - 40), KILLS - 1))]
    torn = 0
    with DevServer(responder(table), faults=Faults(latency_s=0.02)) as server:
        for kind, point in points:
            before = Counter(server.stats.prompts)
            already = journaled(out)
            proc = subprocess.Popen(cli(*args(out, server.url)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    env=env_with_cache(cache), cwd=ROOT)
            start = time.monotonic()
            while proc.poll() is None and time.monotonic() - start < 60:
                if kind == "seconds" and time.monotonic() - start >= point:
                    break
                if kind == "lines" and lines_in(out / SAMPLES) >= point:
                    break
                time.sleep(0.002)
            assert proc.poll() is None, f"seed {seed}: the run ended before the kill at {kind}={point}: " \
                                        f"{proc.stderr.read()[-2000:]}"
            proc.kill()  # SIGKILL: no handler, no flush, no cleanup
            proc.wait(30)
            proc.stderr.close()
            raw = (out / SAMPLES).read_bytes() if (out / SAMPLES).exists() else b""
            torn += bool(raw) and not raw.endswith(b"\n")
            # Nothing journaled before this attempt was requested again during it.
            again = [sid for sid, prompt in already.items() if server.stats.prompts[prompt] != before[prompt]]
            assert not again, f"seed {seed}: journaled samples requested again: {again[:5]}"
        before = Counter(server.stats.prompts)
        already = journaled(out)
        assert len(already) < N  # the last kill left work to do
        final = run_cli(args(out, server.url), cache)
        assert final.returncode == 0, f"seed {seed}: {final.stderr[-3000:]}"
        assert all(server.stats.prompts[p] == before[p] for p in already.values())

        reference = tmp_path / "uninterrupted"
        done = run_cli([*args(reference, server.url), "--no-cache"], cache)
        assert done.returncode == 0, done.stderr[-3000:]

    raw = (out / SAMPLES).read_bytes()
    assert raw.endswith(b"\n")  # no torn line
    lines = journal(out)  # every line parses
    assert len(lines) == N and len(by_key(lines)) == N  # exactly one line per sample
    a, b = by_key(lines), by_key(journal(reference))
    assert a.keys() == b.keys()
    for key in a:
        for field in ("scores", "prediction", "extraction", "response", "error"):
            assert a[key][field] == b[key][field], (seed, key, field)
    assert metrics(out) == metrics(reference), f"seed {seed}"
    print(f"seed {seed}, kills at {points}; torn last lines seen: {torn}")


def test_resume_repairs_a_torn_line_and_duplicates(tmp_path):
    """The states a kill can leave, made on purpose: a torn last line and a line written twice."""
    table = answers(BENCH, 30, {"per_bucket": "100"})
    cache = tmp_path / "cache"
    out = tmp_path / "run"
    with DevServer(responder(table)) as server:
        run = ["run", "--model", "openai/dev", "--base-url", server.url, "--benchmark", BENCH, "--limit", "30",
               "--set", "per_bucket=100", "--out", str(out), "--no-progress", "--no-cache"]
        assert run_cli(run, cache).returncode == 0
        expected = metrics(out)
        raw = (out / SAMPLES).read_bytes().split(b"\n")[:-1]
        torn_prompt = json.loads(raw[-1])["prompt"][-1]["content"]
        # Line 3 twice, the last line cut in half.
        damaged = b"\n".join([*raw[:-1], raw[2]]) + b"\n" + raw[-1][: len(raw[-1]) // 2]
        (out / SAMPLES).write_bytes(damaged)
        requests = server.stats.requests
        assert run_cli(run, cache).returncode == 0
        assert server.stats.requests == requests + 1  # only the torn sample
        assert server.stats.prompts[torn_prompt] == 2
    lines = journal(out)
    assert len(lines) == 30 and len(by_key(lines)) == 30
    assert metrics(out) == expected
