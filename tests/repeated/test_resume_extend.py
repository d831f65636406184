"""A run with ``--epochs 4`` killed (SIGKILL) half way through its items resumes to exactly one line
per (item, epoch), asking the server only for what the journal lacks; ``--epochs 8`` on the same
``--out`` then sends only the new epochs' requests, and fewer epochs are refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer, Faults

from .conftest import BENCH, golds, journal, results, run_args, seeded_responder

N = 60
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def lines_in(path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def most_tokens_of_an_item(out, kind: str) -> int:
    """The most ``kind`` tokens one item's request carried (the dev server counts words) in a run that
    asked each item once: its epochs share that request's tokens, so they add up to it."""
    per_item: Counter = Counter()
    for line in journal(out):
        per_item[line["id"]] += int((line.get("usage") or {}).get(kind) or 0)
    return max(per_item.values())


def keys(out) -> Counter:
    return Counter((line["id"], line["epoch"]) for line in journal(out))


def test_sigkill_in_epoch_3_of_4_then_extend_to_8(tmp_path, monkeypatch):
    table = golds(N)
    out, cache = tmp_path / "run", tmp_path / "cache"
    monkeypatch.setenv("EVALSUITE_CACHE", str(cache))
    env = dict(os.environ, EVALSUITE_CACHE=str(cache))
    with DevServer(seeded_responder(table), faults=Faults(latency_s=0.02), with_body=True) as server:
        args = run_args(out, server.url, N, 4, "--max-concurrency", "4")
        proc = subprocess.Popen([sys.executable, "-m", "evalsuite.cli", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=env, cwd=ROOT)
        start = time.monotonic()
        target = 2 * N  # half way: an item's four epochs go together (one n-request), item after item
        while proc.poll() is None and lines_in(out / "samples.jsonl") < target and time.monotonic() - start < 120:
            time.sleep(0.002)
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        proc.kill()
        proc.wait(30)
        proc.stderr.close()
        raw = (out / "samples.jsonl").read_bytes()
        done = raw.split(b"\n")[:-1]  # a torn last line is not done
        per_item = Counter(json.loads(line)["id"] for line in done)
        assert 0 < len(per_item) < N and max(per_item.values()) <= 4, per_item
        assert sum(count == 4 for count in per_item.values()) >= len(per_item) - 4  # whole items, but those in flight
        before = Counter(server.stats.seeds)

        assert main(args) == 0  # resume
        assert keys(out) == {(sid, e): 1 for sid in {line["id"] for line in journal(out)} for e in range(4)}
        assert len(keys(out)) == 4 * N
        new = Counter(server.stats.seeds) - before
        journaled_before = {(json.loads(line)["prompt"][-1]["content"], json.loads(line)["epoch"]) for line in done}
        assert not set(new) & journaled_before  # nothing journaled was asked again
        assert all(count == 1 for count in new.values())

        # Extend in place to 8 epochs: only seeds 4..7, each (prompt, seed) once.
        before = Counter(server.stats.seeds)
        assert main(run_args(out, server.url, N, 8)) == 0
        new = Counter(server.stats.seeds) - before
        assert new == {(prompt, seed): 1 for prompt in table for seed in range(4, 8)}
        assert len(keys(out)) == 8 * N and set(keys(out).values()) == {1}
        extended = results(out)["benchmarks"][BENCH]

        # The same as a run that asked for 8 epochs from the start.
        fresh = tmp_path / "fresh"
        assert main(run_args(fresh, server.url, N, 8, "--no-cache")) == 0
        fresh_result = results(fresh)["benchmarks"][BENCH]
        # Only the token accounting differs: the fresh run prefilled each prompt once (one request
        # with n: 8), the extended run twice (n: 4, then n: 4 more); and a request's completion
        # tokens are shared out over its choices by length (the server counts no choice on its
        # own), so with other groupings the per-sample spread moves while the total stays.
        # An item the kill cut mid-request had its missing epochs asked in a request of their own on
        # resume: one more prefill of that item's prompt; and the epochs journaled from the cut
        # request kept their estimated shares of its completion tokens (shared by length), so that
        # item's total is off by at most what one request of it produces.
        split = sum(1 for count in per_item.values() if count < 4)
        fresh_acc, extended_acc = fresh_result["accounting"], extended["accounting"]
        extra = extended_acc.pop("prompt_tokens") - 2 * fresh_acc.pop("prompt_tokens")
        assert 0 <= extra <= split * most_tokens_of_an_item(fresh, "prompt_tokens"), (extra, split)
        off = abs(extended_acc.pop("completion_tokens") - fresh_acc.pop("completion_tokens"))
        assert off <= split * most_tokens_of_an_item(fresh, "completion_tokens"), (off, split)
        for acc in (fresh_acc, extended_acc):  # per-sample shares: they move with the grouping
            acc.pop("completion_tokens_per_sample")
            acc.pop("tokens_per_correct")
        assert fresh_acc == extended_acc
        assert fresh_result == extended

        # Fewer epochs than the directory holds: refused, nothing lost.
        assert main(run_args(out, server.url, N, 2)) == 2
        assert len(keys(out)) == 8 * N
