"""crystal-stability's ``point_values``, the gate's per-draw shortcut, against its ``aggregate``.

The gate recomputes an aggregate-only metric (F1, DAF ...) for each of 200 bootstrap draws; the
full aggregate bootstraps its own CIs every time. ``point_values`` must give exactly the values
``aggregate`` reports, on the data as it is and on draws with repeated rows, for every subset
and answer mode it applies to, with replies that miss, and must cover every metric a gate can guard.
"""

from __future__ import annotations

import numpy as np
import pytest

from evalsuite.benchmarks.crystal_stability import CrystalStability
from evalsuite.core.record_table import RecordTable
from evalsuite.engine.grading import graded
from evalsuite.gate.recompute import Recompute

from .layouts import wbm_row, write_wbm


def write_file(folder, n: int):
    e_hull = (np.arange(n) * 389 % n) / n * 0.6 - 0.2  # a permutation of -0.2 .. 0.4 (389 is prime)
    rows = [wbm_row(f"wbm-{1 + i // 5000}-{i % 5000 + 1}", "Fe2 O3", "-1.0", f"{e_hull[i]:.6f}",
                    unique=i % 5 != 0, index=i) for i in range(n)]
    return write_wbm(folder / f"wbm-{n}.csv.gz", rows)


@pytest.fixture(scope="module")
def wbm_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wbm")
    # most-stable-10k keeps 10,000 of the 10,160 unique prototypes: a subset of the rows
    return {"small": write_file(folder, 600), "big": write_file(folder, 12_700)}


def reply(bench: CrystalStability, target: dict, i: int) -> str:
    if i % 37 == 0:
        return "I cannot tell."  # no answer: a missing prediction
    if bench.option("mode") == "classify":
        stable = target["stable"] if i % 4 else not target["stable"]
        return f"Final Answer: {'stable' if stable else 'unstable'}"
    return f"Final Answer: {target['e_above_hull'] + ((i * 7) % 11 - 5) / 50:.4f} eV/atom"


@pytest.mark.parametrize(("mode", "subset"), [
    ("e-above-hull", "full"), ("e-above-hull", "unique-prototypes"), ("e-above-hull", "most-stable-10k"),
    ("classify", "full"), ("classify", "unique-prototypes"),  # most-stable-10k ranks by a predicted number
])
def test_point_values_are_the_aggregates_values(wbm_files, mode, subset):
    bench = CrystalStability({"mode": mode, "source": "wbm", "subset": subset})
    samples = list(bench.samples(wbm_files["big" if subset == "most-stable-10k" else "small"], 0, None))
    records = [graded(bench, s, reply(bench, s.target, i)) for i, s in enumerate(samples)]
    table = RecordTable.of(records, bench.reads)
    # the benchmark's own aggregate-only metrics that can be gated (the engine's failure rates
    # are read from the aggregate)
    guarded = {m.name for m in bench.declared_metrics() if not m.per_sample and m.higher_is_better is not None}
    rng = np.random.default_rng(7)
    draws = [table, *(table.take(np.sort(rng.integers(0, len(table), len(table)))) for _ in range(3))]
    if subset == "most-stable-10k":
        assert len(samples) == 10_160 and bench.aggregate(table, 0).extra["subset"]["n"] == 10_000
    for drawn in draws:
        points = bench.point_values(drawn, 0)
        full = bench.aggregate(drawn, 0).metrics
        assert guarded <= set(points), guarded - set(points)
        assert points == {name: full[name].value for name in points}
    assert points["f1"] is not None and 0 < points["f1"] < 1  # neither degenerate nor perfect

    # the gate's draws: picks index the records as the gate holds them (not in id order)
    shuffled = [records[i] for i in rng.permutation(len(records))]
    for metric in ("f1", "daf", "precision", "accuracy"):
        resample = Recompute(bench, metric, 0).resampler(shuffled)
        for _ in range(2):
            picks = rng.integers(0, len(shuffled), len(shuffled))
            expected = bench.aggregate([shuffled[i] for i in picks], 0).metrics[metric].value
            assert resample(picks) == expected
