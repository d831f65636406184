"""Time `evalsuite --help` and `evalsuite list` (fresh interpreter each run); prints the median."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def timed(args: list[str], runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "evalsuite.cli", *args], capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


if __name__ == "__main__":
    print(f"evalsuite --help: {timed(['--help']):.3f} s (median of 7)")
    print(f"evalsuite list:   {timed(['list']):.3f} s (median of 7)")
