"""Peak memory of ``evalsuite run`` at 10,000 and 100,000 samples (target: < 400 MB, flat).

Run: python bench/memory.py [--sizes 10000,100000] [--model openai|oracle]

Each size runs ``evalsuite run`` on ``tail/large-number-addition`` (N samples over S/M/L) in a
fresh process and reads that process's peak resident set size from ``wait4`` (ru_maxrss). With
``--model openai`` (default) replies come over HTTP from ``python -m evalsuite.integrations.devserver`` in
another process (its echo responder: replies are wrong answers, graded like any reply) and pass
through the reply cache; ``--model oracle`` skips HTTP and measures the engine alone.
Samples are generated as a stream (TAIL remembers the instances it drew as 16-byte digests),
finished samples go to the journal, and aggregation reads the journal back into a column table
of what each benchmark's aggregate reads (a few dozen bytes per sample; ``Benchmark.reads``),
so the peak should barely move with N. numpy, which the table needs, is about 11 MB of the
peak at any N.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import BENCH, ROOT, Server


def measure(n: int, model: str, url: str | None, work: Path) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of one run."""
    command = [sys.executable, "-m", "evalsuite.cli", "run", "--model", model, "--benchmark", BENCH,
               "--limit", str(n), "--set", f"per_bucket={math.ceil(n / 3)}", "--out", str(work / "run"),
               "--no-progress", "--max-concurrency", "32"]
    if url:
        command += ["--base-url", url]
    env = dict(os.environ, EVALSUITE_CACHE=str(work / "cache"))
    start = time.perf_counter()
    with (work / "stderr.txt").open("w") as errors:  # a file, not a pipe: a full pipe would block the run
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
    wall = time.perf_counter() - start
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        print((work / "stderr.txt").read_text()[-2000:], file=sys.stderr)
    return usage.ru_maxrss / 1024, wall, rc  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--model", choices=["openai", "oracle"], default="openai")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"{BENCH}, model {args.model}, concurrency 32")
    peaks = []
    with tempfile.TemporaryDirectory(prefix="evalsuite-memory-") as tmp:
        for n in sizes:
            work = Path(tmp) / f"n{n}"
            work.mkdir()
            if args.model == "openai":
                with Server(None) as server:
                    peak, wall, rc = measure(n, "openai/dev", server.url, work)
            else:
                peak, wall, rc = measure(n, "oracle", None, work)
            peaks.append(peak)
            journal = (work / "run" / "samples.jsonl").stat().st_size / 2**20
            print(f"N={n:>7}  peak RSS {peak:6.1f} MB  ({wall:6.1f} s, {n / wall:5.0f} samples/s, exit {rc}, "
                  f"journal {journal:.0f} MB)  target < 400 MB", flush=True)
    if len(peaks) > 1:
        print(f"growth from N={sizes[0]} to N={sizes[-1]}: {peaks[-1] - peaks[0]:+.1f} MB "
              f"({peaks[-1] / peaks[0] - 1:+.1%})")


if __name__ == "__main__":
    main()
