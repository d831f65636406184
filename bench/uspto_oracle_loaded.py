"""USPTO-50K oracle runs through the grade pool while other processes load every core (issue 30, item 2).

Run: python bench/uspto_oracle_loaded.py [--runs 4] [--limit N] [--cap 30] [--load K] [--budget-s S]

Each run is ``evalsuite run --model oracle --benchmark retrosynthesis --data test.csv
--grade-workers 2 --grade-timeout CAP`` in a fresh process (grading in the pool, as a real run
does), while ``--load`` busy-loop processes (default: one per core) compete for the CPUs. An
oracle reply is always right, so every record must score top-1 = 1; a ``grader timeout`` record
is a false timeout, the fault this bench counts (before issue 30: 2 in 4 runs of 5,007). Prints,
per run, the samples graded, the wall time, the timeout records and top-1. ``--budget-s`` stops
starting runs once the budget is spent (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = Path(os.environ.get("EVALSUITE_SHARED_DATA", "/work/shared/data")) / "uspto50k" / "test.csv"


def burn(stop_at: float) -> None:
    x = 0
    while time.monotonic() < stop_at:
        x = (x * 1103515245 + 12345) % (1 << 31)


def one_run(data: Path, out: Path, limit: int | None, cap: float) -> dict:
    command = [sys.executable, "-m", "evalsuite.cli", "run", "--model", "oracle", "--benchmark", "retrosynthesis",
               "--data", str(data), "--out", str(out), "--no-progress", "--no-cache", "--grade-workers", "2",
               "--grade-timeout", str(cap)]
    if limit:
        command += ["--first", str(limit)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    took = time.perf_counter() - start
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()] \
        if (out / "samples.jsonl").exists() else []
    timeouts = [r["id"] for r in records if "grader timeout" in (r.get("reason") or "")]
    top1 = sum(r["scores"].get("top_1", 0) for r in records) / max(1, len(records))
    return {"exit": done.returncode, "n": len(records), "seconds": round(took, 1), "timeouts": timeouts,
            "top_1": round(top1, 5), "stderr": done.stderr[-300:] if done.returncode else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="the first N reactions (default all 5,007)")
    parser.add_argument("--cap", type=float, default=30.0)
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2, help="busy-loop processes")
    parser.add_argument("--budget-s", type=float, default=3600.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.budget_s
    load = [multiprocessing.Process(target=burn, args=(deadline + 600,), daemon=True) for _ in range(args.load)]
    for process in load:
        process.start()
    total_timeouts = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for index in range(args.runs):
                if time.monotonic() > deadline:
                    print(f"budget spent: {index} of {args.runs} runs done")
                    break
                result = one_run(args.data, Path(tmp) / f"run{index}", args.limit, args.cap)
                total_timeouts += len(result["timeouts"])
                print(f"run {index + 1}: {json.dumps(result)}", flush=True)
    finally:
        for process in load:
            process.terminate()
            process.join()
    print(f"{os.cpu_count()} CPUs, {args.load} busy-loop processes; grader timeout records in all runs: {total_timeouts}")


if __name__ == "__main__":
    main()
