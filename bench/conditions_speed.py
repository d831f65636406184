"""Time of load, oracle extract+score and aggregate for the condition benchmarks.

Usage: python bench/conditions_speed.py [HTE_DIR]   (default ../shared/data/hte)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from evalsuite.benchmarks.hte_conditions import BuchwaldHartwig, SuzukiMiyaura
from evalsuite.benchmarks.reaction_conditions import ReactionConditions
from evalsuite.core.types import SampleRecord


def measure(bench, data):
    t0 = time.perf_counter()
    samples = list(bench.samples(data, 0, None))
    t1 = time.perf_counter()
    records = []
    for s in samples:
        reply = bench.oracle_response(s)
        p = bench.extract(reply, s)
        sc = bench.score(p, s)
        records.append(SampleRecord(bench.name, s.id, [], reply, p.value, s.target, sc.values,
                                    p.extraction_label, None, sc.reason, s.metadata))
    t2 = time.perf_counter()
    result = bench.aggregate(records, 0)
    t3 = time.perf_counter()
    head = result.metrics[result.headline].value
    print(f"{bench.name:34s} n={len(samples):4d} load {t1 - t0:6.2f} s  oracle+score {1e3 * (t2 - t1) / len(samples):6.2f} ms/sample"
          f"  aggregate {t3 - t2:5.2f} s  {result.headline}={head:.3f}")
    for row, values in result.baselines.items():
        print(f"    {row:36s} " + "  ".join(f"{k}={v:.3f}" for k, v in values.items() if v is not None))


if __name__ == "__main__":
    hte = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data" / "hte"
    measure(ReactionConditions(), None)
    measure(SuzukiMiyaura(), hte / "suzuki_miyaura.csv")
    measure(BuchwaldHartwig(), hte / "buchwald_hartwig.csv")
