"""Time to generate every TAIL sample: 18 tasks x 3 buckets x 500 (the default), cot=none and cot=tail.

Run: python bench/tail_generation.py [--per-bucket N] [--seed S]. Prints seconds per task and in
total (target: under 30 s for the 27,000 default samples on the development machine).
"""

from __future__ import annotations

import argparse
import time

from evalsuite.benchmarks.tail import TASKS


def generate(per_bucket: int, seed: int, cot: str) -> tuple[int, float, dict[str, float]]:
    per_task: dict[str, float] = {}
    count, start = 0, time.perf_counter()
    for task in TASKS:
        begin = time.perf_counter()
        bench = task({"per_bucket": str(per_bucket), "cot": cot})
        count += sum(1 for _ in bench.samples(None, seed, None))
        per_task[task.task] = time.perf_counter() - begin
    return count, time.perf_counter() - start, per_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-bucket", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for cot in ("none", "tail"):
        count, total, per_task = generate(args.per_bucket, args.seed, cot)
        print(f"cot={cot}: {count} samples in {total:.2f} s ({count / total:.0f} samples/s)")
        for name, seconds in sorted(per_task.items(), key=lambda item: -item[1])[:5]:
            print(f"  slowest: {name:26s} {seconds:.2f} s")


if __name__ == "__main__":
    main()
