"""Repeated sampling (``--epochs K``): K replies per item -> avg@K, pass@k, maj@K and consistency.

The replies of one item are not independent draws of the benchmark, so every interval here is a
bootstrap over items, never over replies (docs/contracts.md#metrics):

- ``<metric>`` (avg@K): the mean over all replies; 95% CI from resampling items (the ratio of
  the resampled items' sums to their reply counts).
- ``pass@k`` for k = 1, 2, 4, ... < K and K, for a 0/1 headline: the unbiased estimator of Chen
  et al. 2021, ``1 - C(n - c, k) / C(n, k)`` per item (n replies, c right), averaged over items.
- ``G-Pass@k_τ`` for τ in 0.25, 0.5, 0.75, 1.0 and ``mG-Pass@k``, for every k > 1 of pass@k, for
  a 0/1 headline: the generalised pass@k of Liu et al. 2024, "Are Your LLMs Capable of Stable
  Reasoning?" (arXiv 2412.13147), as OpenCompass computes it (opencompass/openicl/icl_evaluator/
  icl_base_evaluator.py, ``compute_g_pass_at_k`` / ``compute_mg_pass_at_k``): per item the
  chance that at least ``m = max(ceil(τ k), 1)`` of k replies drawn without replacement from
  its n are right (a hypergeometric tail), and mG-Pass@k = (2 / k) Σ_{i = ceil(k / 2) + 1}^{k}
  of that chance with m = i; averaged over items (0..1 here, x 100 in OpenCompass).
- ``maj@K``: per item the majority answer in the benchmark's canonical form
  (``canonical_answer``), ties broken by first occurrence, failed extractions not voting; the
  item scores what the first reply giving that answer scored (graded once, not re-graded). An
  item without any answer scores its first reply (a failed extraction).
- ``consistency``: the share of items whose replies all give the same answer (no answer counts
  as one answer).
- an aggregate-only metric (crystal F1, HTE normalised yield): the benchmark's own aggregate per
  epoch, reported as the mean over epochs with the spread across epochs in ``epoch_spread``.

Groups hold the avg@K of every per-sample metric (groups a benchmark computes itself: the mean
over epochs); benchmark extras and baselines are those of epoch 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalsuite.core import intervals
from evalsuite.core.benchmark import Benchmark, Reads, sort_key, to_dicts
from evalsuite.core.record_table import RecordTable
from evalsuite.core.types import REFUSAL_LABEL, BenchmarkResult, MetricValue, label_failed

CONSISTENCY = "consistency"


def ks_for(epochs: int) -> list[int]:
    """The k of ``pass@k``: powers of two below K, then K itself."""
    out, k = [], 1
    while k < epochs:
        out.append(k)
        k *= 2
    return [*out, epochs]


def pass_name(metric: str, headline: str, k: int) -> str:
    return f"pass@{k}" if metric == headline else f"{metric}_pass@{k}"


def maj_name(metric: str, headline: str, epochs: int) -> str:
    return f"maj@{epochs}" if metric == headline else f"{metric}_maj@{epochs}"


def pass_at_k(n: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    """Per item, the unbiased pass@k of Chen et al. 2021 from n replies of which c are right:
    ``1 - C(n - c, k) / C(n, k)``; NaN where n < k (the estimator is undefined).

    ``math.comb`` on each distinct (n, c) pair (at most (K + 1)^2 of them): exact integers, so no
    overflow however large K is (floating binomials overflow past n ~ 1030)."""
    n, c = np.asarray(n, dtype=np.int64), np.asarray(c, dtype=np.int64)
    pairs, where = np.unique(np.stack([n, c], axis=1).reshape(-1, 2), axis=0, return_inverse=True)
    values = np.array([1.0 - math.comb(int(a - b), k) / math.comb(int(a), k) if a >= k else math.nan
                       for a, b in pairs.tolist()])
    return values[where.reshape(-1)] if values.size else np.full(n.shape, np.nan)


G_PASS_THRESHOLDS = (0.25, 0.5, 0.75, 1.0)


def g_pass_name(k: int, tau: float) -> str:
    return f"G-Pass@{k}_{tau}"


def mg_pass_name(k: int) -> str:
    return f"mG-Pass@{k}"


def at_least(n: int, c: int, k: int, m: int) -> float:
    """P[X >= m] for X ~ Hypergeometric(n replies, c right, k drawn): exact integers, then one
    division (0 where m > min(c, k) or k > n, as OpenCompass's ``_compute_g_pass_at_k``)."""
    if m > min(c, k) or k > n or c < 0 or n <= 0 or m < 0:
        return 0.0
    return sum(math.comb(c, j) * math.comb(n - c, k - j) for j in range(m, min(c, k) + 1)) / math.comb(n, k)


def g_pass_at_k(n: np.ndarray, c: np.ndarray, k: int, tau: float) -> np.ndarray:
    """Per item G-Pass@k_τ; NaN where n < k."""
    m = max(math.ceil(k * tau), 1)
    return np.array([at_least(int(a), int(b), k, m) if a >= k else math.nan for a, b in zip(n, c, strict=True)])


def mg_pass_at_k(n: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    """Per item mG-Pass@k = 2/k Σ_{i=ceil(k/2)+1}^{k} P[X >= i]; NaN where n < k."""
    low = math.ceil(k * 0.5)
    return np.array([2.0 * sum(at_least(int(a), int(b), k, i) for i in range(low + 1, k + 1)) / k
                     if a >= k else math.nan for a, b in zip(n, c, strict=True)])


def majority(answers: Sequence[Any]) -> int | None:
    """The index of the first reply giving the most frequent answer (None: no reply answered);
    a tie goes to the answer that came first."""
    counts: dict[Any, int] = {}
    first: dict[Any, int] = {}
    for index, answer in enumerate(answers):
        if answer is None:
            continue
        counts[answer] = counts.get(answer, 0) + 1
        first.setdefault(answer, index)
    if not counts:
        return None
    best = max(counts, key=lambda answer: (counts[answer], -first[answer]))
    return first[best]


def canonical_of(bench: Benchmark, prediction: Any) -> str:
    """``bench.canonical_answer(prediction)``, or the prediction's JSON where the benchmark has
    no such hook or it cannot read the value."""
    hook = getattr(bench, "canonical_answer", None)
    if hook is not None:
        try:
            return str(hook(prediction))
        except Exception:  # noqa: BLE001 - a value the hook cannot read still votes as itself
            pass
    return json.dumps(prediction, sort_keys=True, ensure_ascii=False, default=str)


def reads_of(bench: Benchmark) -> Reads:
    """What aggregation keeps per reply: the benchmark's reads plus the prediction (for maj@K)."""
    reads = bench.reads
    return Reads(metadata=reads.metadata, values=tuple(dict.fromkeys((*reads.values, "prediction"))))


# -- items x epochs ---------------------------------------------------------------------------

@dataclass
class Grid:
    """The replies of a run as items (rows, ids sorted) x epochs (columns)."""

    ids: np.ndarray
    tables: list[RecordTable]
    rows: list[np.ndarray]
    """per epoch: the item row of each of its table's rows"""

    @classmethod
    def of(cls, tables: list[RecordTable]) -> Grid:
        ids = np.unique(np.concatenate([t.ids for t in tables])) if tables else np.array([], dtype=bytes)
        return cls(ids, tables, [np.searchsorted(ids, t.ids) for t in tables])

    def matrix(self, column: Callable[[RecordTable], np.ndarray]) -> np.ndarray:
        """items x epochs of one per-reply value; NaN where an item has no reply in an epoch."""
        out = np.full((len(self.ids), len(self.tables)), np.nan)
        for epoch, (table, rows) in enumerate(zip(self.tables, self.rows, strict=True)):
            out[rows, epoch] = column(table)
        return out

    def answers(self, bench: Benchmark) -> list[list[Any]]:
        """Per item, its replies' canonical answers in epoch order (None: no answer extracted);
        epochs without a reply are left out."""
        cells: list[list[tuple[int, Any]]] = [[] for _ in range(len(self.ids))]
        for epoch, (table, rows) in enumerate(zip(self.tables, self.rows, strict=True)):
            failed = np.array([label_failed(label) for label in table.labels], dtype=bool)[table.label_codes] \
                if table.labels else np.zeros(len(table), dtype=bool)
            predictions = table.values.get("prediction")
            for index, row in enumerate(rows.tolist()):
                value = None if predictions is None else predictions[index]
                answer = None if failed[index] or value is None else canonical_of(bench, value)
                cells[row].append((epoch, answer))
        return [[answer for _, answer in sorted(item)] for item in cells]

    def group_slots(self, key: str) -> tuple[list[Any], np.ndarray]:
        """(distinct values of metadata ``key``, each item's slot: 0 without it, i + 1 with the
        i-th value), an item's value taken from its first epoch."""
        found: dict[Any, int] = {}
        slot = np.full(len(self.ids), -1, dtype=np.intp)
        for table, rows in zip(self.tables, self.rows, strict=True):
            values, of_row = table.slots(key)
            codes = [found.setdefault(v, len(found) + 1) for v in values]
            mapped = np.array([0, *codes], dtype=np.intp)[of_row]
            unset = slot[rows] < 0
            slot[rows[unset]] = mapped[unset]
        return list(found), np.maximum(slot, 0)


def engine_columns() -> dict[str, Callable[[RecordTable], np.ndarray]]:
    """The engine's per-reply outcomes as 0/1 columns (as ``table_metrics.failures`` counts them)."""

    def by_label(flag: Callable[[str], bool]) -> Callable[[RecordTable], np.ndarray]:
        return lambda t: np.array([flag(label) for label in t.labels], dtype=float)[t.label_codes] \
            if t.labels else np.zeros(len(t))

    return {
        "extraction_failure_rate": by_label(lambda label: label_failed(label) and label != REFUSAL_LABEL),
        "refusal_rate": by_label(lambda label: label == REFUSAL_LABEL),
        "error_rate": lambda t: np.array([bool(e) for e in t.errors], dtype=float)[t.error_codes]
        if t.errors else np.zeros(len(t)),
    }


# -- summaries --------------------------------------------------------------------------------

def avg_at_k(matrix: np.ndarray, seed: int) -> MetricValue:
    """The mean over all replies, 95% CI from a bootstrap over items; n = items with a value."""
    present = ~np.isnan(matrix)
    counts = present.sum(axis=1)
    sums = np.where(present, matrix, 0.0).sum(axis=1)
    keep = counts > 0
    sums, counts = sums[keep], counts[keep].astype(float)
    if not sums.size:
        return MetricValue(value=None, ci95=None, n=0)

    def ratio(draws: np.ndarray) -> np.ndarray:  # draws: resampled item indices
        picks = draws.astype(np.intp)
        return sums[picks].sum(axis=1) / counts[picks].sum(axis=1)

    ci = intervals.bootstrap_interval(np.arange(sums.size, dtype=float).tolist(), ratio, seed=seed)
    return MetricValue(value=float(sums.sum() / counts.sum()), ci95=ci, n=int(sums.size))


def item_mean(values: np.ndarray, seed: int) -> MetricValue:
    """The mean of per-item values (NaN skipped), 95% CI from a bootstrap over items."""
    present = values[~np.isnan(values)]
    if not present.size:
        return MetricValue(value=None, ci95=None, n=0)
    return MetricValue(value=float(present.mean()), ci95=intervals.bootstrap_interval(present.tolist(), seed=seed),
                       n=int(present.size))


def spread(values: list[float | None]) -> dict[str, Any]:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return {
        "per_epoch": values,
        "mean": float(np.mean(present)) if present else None,
        "sd": float(np.std(present, ddof=1)) if len(present) > 1 else None,
        "min": min(present) if present else None,
        "max": max(present) if present else None,
    }


def chosen_epochs(answers: list[list[Any]], present: np.ndarray) -> np.ndarray:
    """Per item, the epoch whose score maj@K takes: the majority answer's first reply, else the
    item's first reply."""
    out = np.zeros(len(answers), dtype=np.intp)
    for row, item in enumerate(answers):
        epochs = np.flatnonzero(present[row])
        pick = majority(item)
        out[row] = epochs[pick if pick is not None else 0] if epochs.size else 0
    return out


def item_values(bench: Benchmark, grid: Grid, headline: str, higher: bool | None, epochs: int
                ) -> dict[str, np.ndarray]:
    """Per item: the headline's pass@k (0/1 headline), maj@K, and 0/1 agreement of its answers.
    (The gate pairs these item by item; aggregation averages them.)"""
    out: dict[str, np.ndarray] = {}
    answers = grid.answers(bench)
    out[CONSISTENCY] = np.array([float(len(set(a)) == 1) if a else np.nan for a in answers])
    if not any(headline in t.scores for t in grid.tables):
        return out  # aggregate-only headline: per epoch mean and spread instead
    matrix = grid.matrix(lambda t: t.score(headline))
    present = ~np.isnan(matrix)
    values = matrix[present]
    if higher and bool(np.all((values == 0.0) | (values == 1.0))):
        n, c = present.sum(axis=1), (matrix == 1.0).sum(axis=1)
        for k in ks_for(epochs):
            out[pass_name(headline, headline, k)] = pass_at_k(n, c, k)
        for k in ks_for(epochs):
            if k < 2:
                continue  # G-Pass@1 is pass@1 at every threshold
            for tau in G_PASS_THRESHOLDS:
                out[g_pass_name(k, tau)] = g_pass_at_k(n, c, k, tau)
            out[mg_pass_name(k)] = mg_pass_at_k(n, c, k)
    if higher is not None:
        rows = np.arange(len(grid.ids))
        out[maj_name(headline, headline, epochs)] = matrix[rows, chosen_epochs(answers, present)]
    return out


# -- the benchmark's results ------------------------------------------------------------------

def combine(bench: Benchmark, tables: list[RecordTable], seed: int) -> BenchmarkResult:
    """One benchmark's results from its K per-epoch tables (K > 1)."""
    epochs = len(tables)
    per_epoch = [bench.aggregate(table, seed) for table in tables]
    first = per_epoch[0]
    grid = Grid.of(tables)
    headline = first.headline or bench.headline
    columns: dict[str, Callable[[RecordTable], np.ndarray]] = {
        name: score_column(name) for t in tables for name in t.scores}
    columns.update(engine_columns())
    matrices = {name: grid.matrix(column) for name, column in columns.items()}
    metrics: dict[str, MetricValue] = {}
    spreads: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys([*first.metrics, *matrices]):
        if name in matrices:
            metrics[name] = avg_at_k(matrices[name], seed)
        else:
            spreads[name] = spread([r.metrics[name].value if name in r.metrics else None for r in per_epoch])
            metrics[name] = MetricValue(value=spreads[name]["mean"], ci95=None, n=first.metrics[name].n)
    directions: dict[str, Any] = dict(first.higher_is_better)
    declared = bench.metric_set().get(headline)
    higher = declared.higher_is_better if declared is not None else directions.get(headline, True)
    for name, values in item_values(bench, grid, headline, higher, epochs).items():
        if name == CONSISTENCY:
            agree = values[~np.isnan(values)]
            metrics[name] = intervals.proportion(int(agree.sum()), int(agree.size))
            directions[name] = None
        elif name.startswith("maj@"):
            metrics[name] = intervals.summarize(values, seed=seed)
            directions[name] = higher
        else:
            metrics[name] = item_mean(values, seed)
            directions[name] = True
    grouped = groups(bench, grid, matrices, seed)
    for key in first.groups:  # groups a benchmark's own aggregate makes (crystal: arity)
        if key not in grouped:
            grouped[key] = epoch_mean_groups([r.groups.get(key, {}) for r in per_epoch])
    return BenchmarkResult(
        n=len(grid.ids), metrics=metrics, groups=grouped, headline=headline,
        higher_is_better=directions, baselines=first.baselines,
        extra={**first.extra, "epochs": epochs, "epoch_spread": spreads},
    )


def epoch_mean_groups(per_epoch: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """A group the benchmark's own aggregate computed: each metric's mean over the epochs (no CI:
    the spread of a group is not resampled)."""
    out: dict[str, dict[str, Any]] = {}
    for value, group in per_epoch[0].items():
        metrics = {}
        for name, entry in group.get("metrics", {}).items():
            values = [g.get(value, {}).get("metrics", {}).get(name, {}).get("value") for g in per_epoch]
            present = [v for v in values if v is not None]
            metrics[name] = {"value": float(np.mean(present)) if present else None, "ci95": None, "n": entry.get("n")}
        out[value] = {"n": group.get("n"), "metrics": metrics}
    return out


def score_column(name: str) -> Callable[[RecordTable], np.ndarray]:
    return lambda table: table.score(name)


def groups(bench: Benchmark, grid: Grid, matrices: dict[str, np.ndarray], seed: int
           ) -> dict[str, dict[str, dict[str, Any]]]:
    """``group_by`` key -> value -> {n items, avg@K of every per-sample metric}, ordered as
    ``BenchmarkBase.grouped_metrics`` orders them."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    order: dict[str, tuple[Any, ...]] = getattr(bench, "group_order", {})
    for key in getattr(bench, "group_by", ()):
        values, slot = grid.group_slots(key)
        rank = {value: i for i, value in enumerate(order.get(key, ()))}
        ordered = sorted(range(len(values)), key=lambda i: (rank.get(values[i], len(rank)), *sort_key(values[i])))
        out[key] = {}
        for index in ordered:
            mask = slot == index + 1
            metrics = {name: avg_at_k(matrix[mask], seed) for name, matrix in matrices.items()
                       if not np.all(np.isnan(matrix[mask]))}
            out[key][str(values[index])] = {"n": int(mask.sum()), "metrics": to_dicts(metrics)}
    return out
