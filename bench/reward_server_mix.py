"""A hostile request mix against ``evalsuite serve rewards`` (issue 19, done-3).

Run: python bench/reward_server_mix.py [--n 10000] [--cap 0.3] [--concurrency 16]

Starts a real server on a free loopback port (``--grade-workers 2 --grade-timeout CAP
--max-items 64 --max-body 3 MB``) and sends N requests, cycling through: well-formed TAIL
batches (right and wrong answers), 1 MB completions, 5,000-atom SMILES, invalid JSON bodies,
oversized batches, oversized bodies, malformed items, and (1 in 50) a retrosynthesis completion
that keeps RDKit busy well past the cap. Prints what came back per kind, the server's memory
before and after, and whether it is still healthy. tests/rewards/test_server.py runs the same
mix, scaled down.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp

MAX_ITEMS = 64
MAX_BODY = 3 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, cap: float, workers: int = 2) -> subprocess.Popen:
    command = [sys.executable, "-m", "evalsuite.cli", "serve", "rewards", "--port", str(port),
               "--grade-workers", str(workers), "--grade-timeout", str(cap), "--max-items", str(MAX_ITEMS),
               "--max-body", str(MAX_BODY)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def wait_healthy(url: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return await response.json()
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("reward server did not come up")
            await asyncio.sleep(0.1)


def children(pid: int) -> list[int]:
    """Child processes of every thread of ``pid`` (the grade workers are started by a thread)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the grade workers), in MB."""
    total = 0
    for p in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def tail_cases(count: int) -> list[tuple[str, str, str, float]]:
    """(benchmark, target, completion, expected score): right answers then off-by-one ones."""
    from evalsuite.core import registry

    bench = registry.create("tail/large-number-addition", {"per_bucket": str(count // 3 + 1)})
    cases = []
    for i, sample in enumerate(bench.samples(None, 0, count)):
        if i % 2:
            last = sample.target[-1]
            wrong = sample.target[:-1] + str((int(last) + 1) % 10)
            cases.append((bench.name, sample.target, f"Final Answer: {wrong}", 0.0))
        else:
            cases.append((bench.name, sample.target, bench.oracle_response(sample), 1.0))
    return cases


SLOW_OPTIONS = {"k": 50}  # every candidate counts, so every one is parsed


def slow_completion(variant: int = 0) -> str:
    """50 distinct valid 17x17 carbon grids (one N on the rim, one 13C; ~90,000 characters,
    under the reply cap): with ``k=50`` about a second of RDKit ring perception. ``variant``
    moves the 13C label, so that no two variants share a molecule and no grader cache can make
    a later one fast."""
    from rdkit import Chem

    side = 17
    rim = [(0, j) for j in range(side)] + [(side - 1, j) for j in range(side)] + \
          [(i, 0) for i in range(1, side - 1)] + [(i, side - 1) for i in range(1, side - 1)]

    def grid(k: int) -> str:
        mol = Chem.RWMol()
        index = {(i, j): mol.AddAtom(Chem.Atom(6)) for i in range(side) for j in range(side)}
        for (i, j), atom in index.items():
            for other in ((i + 1, j), (i, j + 1)):
                if other in index:
                    mol.AddBond(atom, index[other], Chem.BondType.SINGLE)
        mol.GetAtomWithIdx(index[rim[k]]).SetAtomicNum(7)  # three bonds on the rim: a valid amine
        mol.GetAtomWithIdx((side * side // 2 + variant) % (side * side)).SetIsotope(13)
        return Chem.MolToSmiles(mol)

    return json.dumps([grid(k) for k in range(50)])


KINDS = ("tail-batch", "megabyte", "big-smiles", "bad-json", "too-many", "too-big", "malformed", "tail-batch",
         "megabyte", "tail-batch")


def request_for(i: int, tail: list) -> tuple[str, bytes, dict[str, Any]]:
    """(kind, body, what is expected) of request i."""
    if i % 50 == 49:
        slow = slow_completion(i // 50 % 280)
        body = [{"benchmark": "retrosynthesis", "target": "CCO", "completion": slow,
                 "options": SLOW_OPTIONS}]
        return "slow", json.dumps(body).encode(), {"status": 200, "statuses": ["timeout"]}
    kind = KINDS[i % len(KINDS)]
    if kind == "tail-batch":
        chosen = [tail[(i * 8 + j) % len(tail)] for j in range(8)]
        body = [{"benchmark": b, "target": t, "completion": c} for b, t, c, _ in chosen]
        return kind, json.dumps(body).encode(), {"status": 200, "scores": [s for *_, s in chosen]}
    if kind == "megabyte":
        b, t, c, s = tail[i % len(tail)]
        body = [{"benchmark": b, "target": t, "completion": "x" * 1_000_000 + "\n" + c}]
        return kind, json.dumps(body).encode(), {"status": 200, "scores": [s]}
    if kind == "big-smiles":
        body = [{"benchmark": "retrosynthesis", "target": "CCO", "completion": json.dumps(["C" * 5000])}]
        return kind, json.dumps(body).encode(), {"status": 200, "statuses": ["invalid"]}
    if kind == "bad-json":
        return kind, b'[{"benchmark": "tail/lcs", "target": ', {"status": 400}
    if kind == "too-many":
        b, t, c, _ = tail[0]
        body = [{"benchmark": b, "target": t, "completion": c}] * (MAX_ITEMS + 1)
        return kind, json.dumps(body).encode(), {"status": 413}
    if kind == "too-big":
        return kind, b'[{"benchmark": "tail/lcs", "target": "\\"1\\"", "completion": "' + b"y" * MAX_BODY + b'"}]', \
            {"status": 413}
    body = [{"benchmark": "no-such-benchmark", "target": "1", "completion": "x"}] if i % 2 else [{"target": "1"}]
    return kind, json.dumps(body).encode(), {"status": 400}


async def run_mix(url: str, n: int, concurrency: int = 16) -> dict[str, Any]:
    """Send the mix; returns per-kind counts of (as expected / not) and the slowest timeout."""
    tail = tail_cases(64)
    outcome: dict[str, Counter] = defaultdict(Counter)
    problems: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    timeouts_ms: list[float] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            kind, body, expected = request_for(i, tail)
            try:
                async with session.post(f"{url}/score", data=body,
                                        headers={"Content-Type": "application/json"}) as response:
                    status = response.status
                    rows = await response.json() if status == 200 else None
            except aiohttp.ClientError as exc:  # a refused oversized body may close the connection
                status, rows = (413 if kind == "too-big" else -1), None
                if kind != "too-big":
                    problems.append(f"{kind} #{i}: {exc}")
            good = status == expected["status"]
            if good and rows is not None:
                if "scores" in expected:
                    good = [r["score"] for r in rows] == expected["scores"]
                if "statuses" in expected:
                    good = [r["status"] for r in rows] == expected["statuses"]
                timeouts_ms.extend(r["latency_ms"] for r in rows if r["status"] == "timeout")
            outcome[kind]["as expected" if good else "NOT as expected"] += 1
            if not good and len(problems) < 10:
                problems.append(f"{kind} #{i}: HTTP {status} {str(rows)[:200]}")

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return {"outcome": {k: dict(v) for k, v in outcome.items()}, "problems": problems,
            "max_timeout_latency_ms": max(timeouts_ms, default=None)}


async def timed_slow(url: str, count: int) -> list[tuple[str, float]]:
    """Slow requests one at a time (the pool idle): status and latency of each."""
    out = []
    async with aiohttp.ClientSession() as session:
        for n in range(count):
            body = [{"benchmark": "retrosynthesis", "target": "CCO",
                     "completion": slow_completion(281 + n), "options": SLOW_OPTIONS}]
            async with session.post(f"{url}/score", json=body) as response:
                row = (await response.json())[0]
            out.append((row["status"], row["latency_ms"]))
    return out


async def healthz(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as response:
        return await response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--cap", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, args.cap)
    try:
        asyncio.run(wait_healthy(url))
        before = rss_mb(server.pid)
        t0 = time.perf_counter()
        result = asyncio.run(run_mix(url, args.n, args.concurrency))
        elapsed = time.perf_counter() - t0
        after = rss_mb(server.pid)
        slow = asyncio.run(timed_slow(url, 3))
        health = asyncio.run(healthz(url))
    finally:
        server.terminate()
        code = server.wait(timeout=30)
    print(f"{os.cpu_count()} CPUs; {args.n} requests, concurrency {args.concurrency}, cap {args.cap} s: {elapsed:.1f} s")
    for kind, counts in sorted(result["outcome"].items()):
        print(f"  {kind:11s} {counts}")
    for problem in result["problems"]:
        print(f"  problem: {problem}")
    print(f"slowest timeout in the mix: {result['max_timeout_latency_ms']} ms; alone: {slow}")
    print(f"server + workers RSS: {before:.0f} MB before, {after:.0f} MB after; healthz after: {health}")
    print(f"exit code after SIGTERM: {code}")


if __name__ == "__main__":
    main()
