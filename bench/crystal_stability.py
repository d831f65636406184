"""Timings of the crystal-stability benchmark: build, grade, aggregate. Prints numbers only.

    python bench/crystal_stability.py [N_SYNTHETIC]   (default 100000 rows for the aggregate)
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    n_big = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t0 = time.perf_counter()
    import pymatgen.analysis.phase_diagram
    import pymatgen.entries.compatibility  # noqa: F401
    t1 = time.perf_counter()
    from benchmarks.crystal_stability import CrystalStability, embedded_materials

    materials = embedded_materials()
    t2 = time.perf_counter()
    print(f"pymatgen import: {t1 - t0:.2f} s")
    print(f"embedded set build (423 entries, MP2020, hulls): {t2 - t1:.2f} s -> {len(materials)} rows")

    from evalsuite.types import SampleRecord

    for mode in ("classify", "e-above-hull", "formation-energy"):
        bench = CrystalStability({"mode": mode})
        samples = list(bench.samples(None, 0, None))
        t3 = time.perf_counter()
        records = []
        for s in samples:
            p = bench.extract(bench.oracle_response(s), s)
            sc = bench.score(p, s)
            records.append(SampleRecord(bench.name, s.id, [], None, p.value, s.target, sc.values,
                                        p.extraction_label, None, metadata=s.metadata))
        t4 = time.perf_counter()
        bench.aggregate(records, 0)
        t5 = time.perf_counter()
        print(f"{mode}: extract+score {1e6 * (t4 - t3) / len(samples):.0f} us/sample, "
              f"aggregate ({len(samples)} rows, bootstrap 1000) {t5 - t4:.2f} s")

    import numpy as np

    from scorers.materials import bootstrap_stability_metrics

    rng = np.random.default_rng(0)
    truth = rng.normal(0.05, 0.1, n_big)
    pred = truth + rng.normal(0, 0.05, n_big)
    t6 = time.perf_counter()
    bootstrap_stability_metrics(truth, pred, seed=0)
    print(f"bootstrap of all metrics, {n_big} rows x 1000 resamples: {time.perf_counter() - t6:.2f} s")


if __name__ == "__main__":
    main()
