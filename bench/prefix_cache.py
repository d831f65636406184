"""Prefix-cache friendliness: the dev server's simulated prefix-cache hit rate for a TAIL run with a
shared exemplar and ``--epochs 4``, in the order the samples are generated (epoch after epoch)
and in evalsuite's scheduled order (an item's epochs together, items sorted by prompt), with
separate requests and with one ``n``-request per item.

Run: python bench/prefix_cache.py [--limit 300] [--epochs 4] [--window 64] [--concurrency 32]

The run: ``tail/lcs`` with ``--set cot=tail`` (each item opens with a worked example) and one
shared worked example as the system prompt, against ``DevServer(prefix_window=W)``, which keeps
the prompts of its last W requests (a stand-in for the KV blocks a server's prefix cache still
holds) and counts, per request, the longest common prefix with any of them. Printed per order:
requests, the hit rate (share of prompt characters found in that cache) and the characters left
to prefill (what the server computes: the prompt characters minus the hits).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from evalsuite.benchmarks.tail import TASKS
from evalsuite.engine.runner import RunConfig, Runner
from evalsuite.integrations.devserver import DevServer, Faults, echo_responder

BENCH = "tail/lcs"


def shared_exemplar() -> str:
    task = next(t for t in TASKS if t.task == "lcs")
    return "You solve algorithm problems step by step.\n\n" + task({"cot": "tail"}).exemplar("S", 10_000, 1)


def measure(args: argparse.Namespace, work: Path, label: str, *, prefix_order: bool, n_sampling: bool) -> None:
    with DevServer(echo_responder, faults=Faults(latency_s=args.latency), record_prompts=False,
                   prefix_window=args.window) as server:
        config = RunConfig(model="openai/dev", benchmarks=[BENCH], out=work / label, limit=args.limit,
                           options=["cot=tail"], base_urls=[server.url], max_concurrency=args.concurrency,
                           epochs=args.epochs, use_cache=False, progress=False, prefix_order=prefix_order,
                           n_sampling=n_sampling, grade_workers=0,
                           overrides={"temperature": 0.8, "system_prompt": shared_exemplar()})
        Runner(config).run()
        stats = server.stats
    left = stats.prefix_prompt_chars - stats.prefix_hit_chars
    print(f"{label:34s} {stats.requests:9,d} {stats.prefix_hit_rate:9.1%} {stats.prefix_prompt_chars:14,d} {left:14,d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--window", type=int, default=64, help="prompts the simulated prefix cache holds")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.005)
    args = parser.parse_args()
    os.environ.setdefault("EVALSUITE_CACHE", tempfile.mkdtemp(prefix="evalsuite-prefix-"))
    print(f"{BENCH} cot=tail + shared exemplar, {args.limit} items x {args.epochs} epochs, "
          f"prefix cache of the last {args.window} prompts, concurrency {args.concurrency}")
    print(f"{'order':34s} {'requests':>9s} {'hit rate':>9s} {'prompt chars':>14s} {'to prefill':>14s}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measure(args, work, "as generated (epoch by epoch)", prefix_order=False, n_sampling=False)
        measure(args, work, "scheduled (epochs together)", prefix_order=True, n_sampling=False)
        measure(args, work, "scheduled + n (one request)", prefix_order=True, n_sampling=True)


if __name__ == "__main__":
    main()
