"""Rewards throughput: items per second of ``evalsuite.rewards`` in process, in the grade pool and
through ``evalsuite serve rewards``.

Run: python bench/rewards.py [--n 10000] [--data USPTO50K.csv] [--workers N] [--retro-only]

Figures (issue 19, done-5):
- TAIL (``tail/large-number-addition``, half right, half off by one): N gradings with
  ``rewards.grade`` in process; N through the server (batches of 64, 4 requests in flight);
- retrosynthesis (USPTO-50K test rows, cycled; each gold graded against two completions in a
  row, the oracle and a ranked list with the gold at rank 2): N gradings in process
  (``grade_many(workers=0)``), in the grade pool with one worker and with every core, and through
  the server (every core). Why in a row: the scorer caches a gold's canonical form, so a second
  completion of the same gold costs about half the first (2.9 s vs 1.7 s per 5,007); golds spread
  over the cycle instead would reach the cache of one worker every time but of a given one of two
  workers half the time, and the speed-up would measure cache hits, not parallelism.
The server runs in its own process; its pool workers are separate processes too, so on a
machine shared with other work the figures move with the load: the load average is printed, and
beside the speed-up a control (a CPU loop in N processes vs 1) says what parallelism the machine
gave at that moment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reward_server_mix as mix

from evalsuite.core import registry
from evalsuite.engine.grade_pool import GradePool, default_workers
from evalsuite.rewards import Request, grade, grade_many
from evalsuite.rewards.batch import grade_items, item_of


def tail_requests(n: int) -> list[Request]:
    return [Request(b, t, c) for b, t, c, _ in mix.tail_cases(n)]


def retro_requests(n: int, data: Path) -> list[Request]:
    bench = registry.create("retrosynthesis")
    samples = list(bench.samples(data, 0, None))
    out = []
    for i in range(n):
        # two completions a gold, in a row, as a GRPO group comes: the second finds the gold's
        # canonical form cached in whichever worker took the first, with one worker or many
        sample = samples[(i // 2) % len(samples)]
        reply = bench.oracle_response(sample) if i % 2 == 0 else json.dumps(["CCO", sample.target, "CC(=O)O"])
        out.append(Request("retrosynthesis", sample.target, reply))
    return out


def timed(label: str, n: int, work) -> float:
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    print(f"{label:52s} {n:6d} items  {elapsed:7.2f} s  {n / elapsed:8.0f} items/s", flush=True)
    return elapsed


async def through_server(url: str, requests: list[Request], batch: int = 64, in_flight: int = 4) -> list[dict]:
    chunks = [requests[i:i + batch] for i in range(0, len(requests), batch)]
    results: list[list[dict]] = [[] for _ in chunks]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(chunks)):
        queue.put_nowait(i)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            body = [{"benchmark": r.benchmark, "target": r.target, "completion": r.completion} for r in chunks[i]]
            async with session.post(f"{url}/score", json=body) as response:
                response.raise_for_status()
                results[i] = await response.json()

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        await asyncio.gather(*(worker(session) for _ in range(in_flight)))
    return [row for chunk in results for row in chunk]


def served(requests: list[Request], workers: int, label: str) -> float:
    port = mix.free_port()
    url = f"http://127.0.0.1:{port}"
    server = mix.start_server(port, 30.0, workers)
    try:
        asyncio.run(mix.wait_healthy(url))
        asyncio.run(through_server(url, requests[:200]))  # warm the workers; different items, then cleared
        rows: list[dict] = []
        fresh = [Request(r.benchmark, r.target, (r.completion or "") + " ", r.options) for r in requests]

        def work() -> None:
            rows.extend(asyncio.run(through_server(url, fresh)))

        elapsed = timed(label, len(requests), work)
        assert len(rows) == len(requests) and not [r for r in rows if r["status"] in ("timeout", "error")]
        return elapsed
    finally:
        server.terminate()
        server.wait(timeout=30)


def parallelism(workers: int, seconds: float = 1.5) -> float:
    """What the machine gives right now: a fixed pure-Python CPU loop in ``workers`` processes at
    once vs in one (ideal: ``workers``); the pool cannot beat this on a shared machine."""
    import subprocess

    loop = "import time\nt=time.perf_counter()\nx=0\nfor i in range(N): x+=i*i\nprint(time.perf_counter()-t)"
    probe = subprocess.run([sys.executable, "-c", loop.replace("N", "3_000_000")], capture_output=True, text=True)
    n = int(3_000_000 * seconds / float(probe.stdout))
    code = loop.replace("N", str(n))

    def run(k: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL) for _ in range(k)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    one = run(1)
    return workers * one / run(workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("EVALSUITE_SHARED_DATA", "../shared/data"))
                        / "uspto50k" / "test.csv")
    parser.add_argument("--workers", type=int, default=default_workers(), help="'all cores' (default: this machine's)")
    parser.add_argument("--retro-only", action="store_true", help="only the retrosynthesis figures")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start, Python {sys.version.split()[0]}")

    if not args.retro_only:
        tail = tail_requests(args.n)
        grade(tail[0].benchmark, tail[0].target, tail[0].completion)  # imports and the benchmark built
        timed("TAIL, rewards.grade in process", args.n,
              lambda: [grade(r.benchmark, r.target, r.completion) for r in tail])
        served(tail, args.workers, f"TAIL, through the server ({args.workers} workers)")

    retro = retro_requests(args.n, args.data)
    items = [item_of(r, i) for i, r in enumerate(retro)]
    grade_many(retro[:50], workers=0)  # RDKit loaded
    timed("retrosynthesis, in process (workers=0)", args.n, lambda: grade_items(items, workers=0))
    one = all_ = 0.0
    for workers in sorted({1, args.workers}):
        with GradePool(workers, warm=["retrosynthesis"]) as pool:
            pool.grade(items[:2 * workers])  # every worker started and warm

            def work(pool: GradePool = pool) -> None:
                grade_items(items, pool=pool)

            elapsed = timed(f"retrosynthesis, grade pool, {workers} worker(s)", args.n, work)
        one = elapsed if workers == 1 else one
        all_ = elapsed if workers == args.workers else all_
    print(f"retrosynthesis speed-up, {args.workers} workers vs 1: {one / all_:.2f}x "
          f"(control: a CPU loop in {args.workers} processes vs 1 gets {parallelism(args.workers):.2f}x now)")
    if not args.retro_only:
        served(retro, args.workers, f"retrosynthesis, through the server ({args.workers} workers)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
