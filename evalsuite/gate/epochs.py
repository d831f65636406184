"""The gate and ``compare`` on runs with ``--epochs K`` > 1: items are paired and each item's value
over its replies is the unit of the paired bootstrap (its K replies are not independent).

- a per-sample metric: the item's mean over its replies (avg@K). Runs with different K compare
  on it (each item's mean has its own number of replies), and the report says so;
- ``pass@k``, ``maj@K`` (``evalsuite.stats.repeated``): the item's estimate / majority score; these
  need the same K in both runs (pass@4 of 4 replies and of 8 are different estimates of one
  number, but maj@4 and maj@8 are different numbers) and are refused otherwise;
- an aggregate-only metric (F1 ...): the benchmark's own aggregate per epoch, averaged over the
  epochs (as results.json reports it); each bootstrap draw resamples items once and recomputes
  every epoch of both runs on those items.

McNemar stays for K = 1 on both sides (``gate.compare_metric``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from evalsuite.core.errors import GateError
from evalsuite.core.types import SampleRecord
from evalsuite.files.frames import Run
from evalsuite.gate.recompute import RECOMPUTE_RESAMPLES, recomputer

REPEATED = re.compile(r"^(?:(?P<base>.+)_)?(?:pass|maj)@[1-9][0-9]*$|^consistency$"
                      r"|^m?G-Pass@[1-9][0-9]*(?:_[01]\.[0-9]+)?$")


def epochs_in(run: Run, benchmark: str) -> int:
    """Replies per item in a run: its records' largest epoch + 1 (1 for runs before --epochs)."""
    return max((r.epoch for r in run.records_of(benchmark)), default=0) + 1


def notes(base: Run, cand: Run, benchmarks: Sequence[str]) -> list[str]:
    out = []
    for name in benchmarks:
        if name not in base.benchmarks or name not in cand.benchmarks:
            continue
        ka, kb = epochs_in(base, name), epochs_in(cand, name)
        if ka != kb:
            out.append(f"{name}: the baseline has {ka} repl{'y' if ka == 1 else 'ies'} per item, the candidate "
                       f"{kb}: per-sample metrics are compared as each item's mean over its replies (avg@K); "
                       "pass@k and maj@K need the same --epochs")
    return out


def shared_repeated(base: Run, cand: Run, benchmark: str) -> list[str]:
    """The pass@k / maj@K metrics both runs report, when they have the same K > 1 (compare)."""
    if epochs_in(base, benchmark) != epochs_in(cand, benchmark) or epochs_in(base, benchmark) == 1:
        return []
    theirs = cand.benchmarks[benchmark].get("metrics") or {}
    return [m for m in base.benchmarks[benchmark].get("metrics") or {}
            if m in theirs and REPEATED.match(m) and m != "consistency"]


def by_item(records: Sequence[SampleRecord], ids: Sequence[str]) -> list[list[SampleRecord]]:
    """The replies of each of ``ids``, in epoch order."""
    replies: dict[str, list[SampleRecord]] = {i: [] for i in ids}
    for record in records:
        if record.id in replies:
            replies[record.id].append(record)
    return [sorted(replies[i], key=lambda r: r.epoch) for i in ids]


def item_means(items: list[list[SampleRecord]], metric: str) -> np.ndarray:
    """Each item's mean of ``metric`` over the replies that have a value (NaN: none has)."""
    out = np.full(len(items), np.nan)
    for row, replies in enumerate(items):
        values = [float(v) for r in replies if (v := r.scores.get(metric)) is not None]
        if values:
            out[row] = sum(values) / len(values)
    return out


def repeated_values(bench: Any, items: list[list[SampleRecord]], metric: str, epochs: int) -> np.ndarray | None:
    """Each item's ``pass@k`` / ``maj@K`` value as aggregation computes it (None: not computed
    for this benchmark, e.g. pass@k of a headline that is not 0/1)."""
    from evalsuite.core.record_table import RecordTable
    from evalsuite.stats import repeated

    reads = repeated.reads_of(bench)
    tables = [RecordTable.of([r for replies in items for r in replies if r.epoch == e], reads) for e in range(epochs)]
    grid = repeated.Grid.of(tables)
    declared = bench.metric_set().get(bench.headline)
    higher = declared.higher_is_better if declared is not None else True
    values = repeated.item_values(bench, grid, bench.headline, higher, epochs)
    if metric not in values:
        return None
    # the grid's rows are the ids sorted as bytes; put them back in the order of ``items``
    from evalsuite.core.record_table import encode_id

    order = np.searchsorted(grid.ids, np.array([encode_id(replies[0].id) for replies in items], dtype=bytes))
    return values[metric][order]


def is_aggregate_only(base: Run, cand: Run, benchmark: str, metric: str) -> bool:
    in_scores = any(metric in r.scores for run in (base, cand) for r in run.records_of(benchmark))
    return not in_scores and not REPEATED.match(metric)


def epoch_mean_draws(base: Run, cand: Run, benchmark: str, metric: str, ids: Sequence[str], seed: int,
                     resamples: int) -> tuple[float | None, float | None, np.ndarray, str]:
    """(baseline, candidate, bootstrap draws of candidate - baseline, the test's label) of an
    aggregate-only metric: the mean over epochs of the benchmark's aggregate."""
    from evalsuite.stats.paired import seeded_rng

    recompute = recomputer(base, benchmark, metric, seed)
    sides = []
    for which, run in (("baseline", base), ("candidate", cand)):
        items = by_item(run.records_of(benchmark), ids)
        epochs = epochs_in(run, benchmark)
        if any([r.epoch for r in replies] != list(range(epochs)) for replies in items):
            raise GateError([f"{benchmark}: the {which} run lacks some (item, epoch) replies; resume it first"])
        sides.append([[replies[e] for replies in items] for e in range(epochs)])

    def value(per_epoch: list[list[SampleRecord]]) -> float | None:
        values = [recompute(records) for records in per_epoch]
        present = [v for v in values if v is not None]
        return float(np.mean(present)) if len(present) == len(values) else None

    va, vb = value(sides[0]), value(sides[1])
    resample = [[recompute.resampler(records) for records in side] for side in sides]
    rng = seeded_rng(seed, benchmark, metric)
    picks_all = rng.integers(0, len(ids), size=(min(resamples, RECOMPUTE_RESAMPLES), len(ids)))
    draws = np.full(len(picks_all), np.nan)
    for row, picks in enumerate(picks_all):
        x, y = ([v for f in side if (v := f(picks)) is not None] for side in resample)
        if len(x) == len(resample[0]) and len(y) == len(resample[1]):
            draws[row] = float(np.mean(y)) - float(np.mean(x))
    label = f"paired-bootstrap (recomputed per epoch, K={len(sides[0])} vs K={len(sides[1])})"
    return va, vb, draws, label


def item_vectors(base: Run, cand: Run, benchmark: str, metric: str, ids: Sequence[str]
                 ) -> tuple[np.ndarray, np.ndarray, str]:
    """(baseline per item, candidate per item, the test's label); raises GateError where the
    metric cannot be paired item by item."""

    ka, kb = epochs_in(base, benchmark), epochs_in(cand, benchmark)
    a, b = by_item(base.records_of(benchmark), ids), by_item(cand.records_of(benchmark), ids)
    label = f"paired-bootstrap over items (K={ka} vs K={kb})"
    if any(metric in r.scores for replies in a + b for r in replies):
        return item_means(a, metric), item_means(b, metric), label
    if ka != kb:
        raise GateError([f"{benchmark}: {metric} compares runs with the same --epochs only "
                         f"(baseline {ka}, candidate {kb}); compare avg@K (the plain metric) instead"])
    bench = recomputer(base, benchmark, metric, 0).bench
    va, vb = repeated_values(bench, a, metric, ka), repeated_values(bench, b, metric, kb)
    if va is None or vb is None:
        raise GateError([f"{benchmark}: no per-item {metric} for this benchmark (its headline is not a 0/1 "
                         "per-sample metric)"])
    return va, vb, label
