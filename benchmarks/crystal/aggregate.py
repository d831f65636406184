"""crystal-stability's aggregate: Matbench Discovery's metrics with bootstrap CIs, on the subset
the ``subset`` option names, overall and per arity, with baselines and what was chosen.

It reads columns, not records: the hull distances come from the ``target`` and ``prediction``
columns of the run's ``RecordTable`` (``CrystalStability.reads``), the arity and the source row
order from metadata, and every metric is computed with numpy over arrays
(``evalsuite.scorers.stability_metrics``), so a 257,000-row run aggregates in seconds.

Subsets (``subset``; Matbench Discovery's ``TestSubset``):
- ``full``: every sample.
- ``unique-prototypes``: the samples are already only the rows with ``unique_prototype`` True.
- ``most-stable-10k``: of those, the 10,000 with the lowest *predicted* hull distance (missing
  predictions last, ties in source row order), so the subset depends on the model.
In both prototype subsets DAF divides the subset's precision by the prevalence of stable
materials among all the run's unique prototypes (Matbench Discovery's
``wbm_uniq_proto_prevalence``, computed from the unrounded hull distances the file holds), and
the ``prevalence`` metric reports that denominator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evalsuite.benchmarks.crystal.data import MBD_DECIMALS, formation_energy_outlier, predicted_hull_distance
from evalsuite.core.benchmark import metric_means, to_dicts
from evalsuite.core.record_table import RecordTable
from evalsuite.core.types import BenchmarkResult, MetricValue, SampleRecord
from evalsuite.scorers import stability_metrics as sm

if TYPE_CHECKING:
    from evalsuite.benchmarks.crystal_stability import CrystalStability


@dataclass(frozen=True)
class Distances:
    """Per row: the true hull distance as scored (rounded with ``rounding=mbd``), the predicted
    one (NaN where missing, masked or not placeable), the mask, and the unrounded truth (the
    DAF denominator of the prototype subsets is computed from it, as Matbench Discovery's
    ``wbm_uniq_proto_prevalence`` is)."""

    e_true: np.ndarray
    e_pred: np.ndarray
    masked: np.ndarray
    e_true_raw: np.ndarray
    no_e_form: np.ndarray  # formation-energy mode: a truth without a DFT formation energy


def hull_distances(bench: CrystalStability, table: RecordTable) -> Distances:
    """The rows' hull distances under Matbench Discovery's rules: the outlier mask compares the
    predicted with the DFT formation energy, unrounded (``matbench_discovery/data.py``), then
    ``rounding=mbd`` rounds truth and prediction to 3 decimals (``prepare_model_predictions``)."""
    mode, rounding = bench.option("mode"), bench.rounds()
    targets = table.values["target"]
    predictions = table.values["prediction"]
    n = len(table)
    e_true_raw = np.fromiter((float(t["e_above_hull"]) for t in targets), dtype=float, count=n)
    e_true = np.round(e_true_raw, MBD_DECIMALS) if rounding else e_true_raw
    e_pred = np.fromiter((predicted_hull_distance(mode, p, t, rounding) for p, t in zip(predictions, targets, strict=True)),
                         dtype=float, count=n)
    if bench.mask_applies():
        masked = np.fromiter((formation_energy_outlier(p, t, sm.MAX_E_FORM_ERROR)
                              for p, t in zip(predictions, targets, strict=True)), dtype=bool, count=n)
    else:
        masked = np.zeros(n, dtype=bool)
    e_pred[masked] = np.nan
    no_e_form = np.fromiter((mode == "formation-energy" and t.get("e_form_per_atom") is None for t in targets),
                            dtype=bool, count=n)
    return Distances(e_true, e_pred, masked, e_true_raw, no_e_form)


def positions(table: RecordTable) -> np.ndarray:
    """Each row's place in its source file (the id order where a record has none)."""
    metas = [table.metas[code] for code in table.meta_codes]
    return np.array([m.get("position", i) for i, m in enumerate(metas)], dtype=np.int64)


@dataclass(frozen=True)
class Chosen:
    """The rows of the ``subset`` option and their hull distances."""

    rows: np.ndarray
    e_true: np.ndarray  # of the chosen rows
    e_pred: np.ndarray
    prevalence: float | None  # the DAF denominator of the prototype subsets


def chosen_rows(bench: CrystalStability, e_true: np.ndarray, e_pred: np.ndarray,
                position: np.ndarray | None, e_true_raw: np.ndarray | None = None) -> Chosen:
    """``position``: each row's place in the source file (needed by most-stable-10k only);
    ``e_true_raw``: the unrounded truth for the DAF denominator (default ``e_true``)."""
    subset = bench.option("subset")
    if subset == "most-stable-10k":
        assert position is not None
        rows = sm.most_stable(e_pred, position)
    else:
        rows = np.arange(len(e_true))
    # the DAF denominator of the prototype subsets: all unique prototypes of the run
    prevalence = None
    raw = e_true if e_true_raw is None else e_true_raw
    if subset != "full" and len(raw):
        prevalence = float(np.mean(raw[~np.isnan(raw)] <= sm.STABILITY_THRESHOLD))
    return Chosen(rows, e_true[rows], e_pred[rows], prevalence)


def point_rows(bench: CrystalStability, table: RecordTable) -> Callable[[np.ndarray], dict[str, float | None]]:
    """rows of ``table`` (sorted, repeats allowed) -> the Matbench Discovery metrics of those rows,
    as ``aggregate`` reports them but without intervals, groups or baselines. The gate recomputes
    them for each of its 200 draws: the hull distances are read from the records once, a draw is
    array indexing (the full aggregate, with its own 1,000-draw bootstrap per call, took 82 s for
    a gate of 5,000 rows)."""
    found = hull_distances(bench, table)
    e_true, e_pred, e_true_raw = found.e_true, found.e_pred, found.e_true_raw
    position = positions(table) if bench.option("subset") == "most-stable-10k" else None
    regression = bench.option("mode") != "classify"

    def values(rows: np.ndarray) -> dict[str, float | None]:
        chosen = chosen_rows(bench, e_true[rows], e_pred[rows], None if position is None else position[rows],
                             e_true_raw[rows])
        if chosen.rows.size == 0:
            return {}
        found = sm.stability_metrics(chosen.e_true, chosen.e_pred, regression=regression, prevalence=chosen.prevalence)
        return {name: None if math.isnan(value) else value for name, value in found.items()}

    return values


def aggregate(bench: CrystalStability, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
    table = RecordTable.of(records, bench.reads)
    regression = bench.option("mode") != "classify"
    subset = bench.option("subset")
    found = hull_distances(bench, table)
    e_true, e_pred, masked = found.e_true, found.e_pred, found.masked
    picked = chosen_rows(bench, e_true, e_pred, positions(table) if subset == "most-stable-10k" else None,
                         found.e_true_raw)
    rows, t, p, prevalence = picked.rows, picked.e_true, picked.e_pred, picked.prevalence
    chosen = table if len(rows) == len(table) else table.take(rows)

    result = BenchmarkResult(n=len(table), metrics=metric_means(chosen, seed, bench.metric_set()),
                             headline=bench.headline)
    result.metrics.update(discovery(t, p, seed, regression, prevalence))
    result.groups = bench.grouped_metrics(chosen, seed)
    names, slot = chosen.slots("arity")
    for index, value in enumerate(names, start=1):
        group = result.groups.get("arity", {}).get(str(value))
        if group is not None:
            members = slot == index
            group["metrics"].update(to_dicts(discovery(t[members], p[members], seed, regression, prevalence)))
    if len(rows):
        result.baselines = {
            "dummy": clean(sm.dummy_baseline(t, seed=seed, regression=regression, prevalence=prevalence)),
            # "on the hull" for every material: hull distance 0, called stable
            "always-stable": clean(sm.stability_metrics(t, np.zeros_like(t), regression=regression,
                                                        prevalence=prevalence)),
        }
    result.extra = {
        "confusion": sm.confusion(t, p),
        "stability_threshold": sm.STABILITY_THRESHOLD,
        "mode": bench.option("mode"),
        "source": bench.option("source"),
        "subset": {"name": subset, "n": len(rows), "of": len(table),
                   "daf_prevalence": prevalence},
        "outlier_mask": {"applied": bench.mask_applies(), "limit_ev_per_atom": sm.MAX_E_FORM_ERROR,
                         "masked": int(masked[rows].sum())},
        "rounding": {"name": bench.option("rounding"), "default": bench.options["rounding"],
                     "decimals": MBD_DECIMALS if bench.rounds() else None,
                     "note": "Matbench Discovery's leaderboard rounds truth and predictions to 3 decimals: "
                             "--set rounding=mbd"},
        "missing_predictions": int(np.isnan(p).sum()),
        "no_formation_energy": int(found.no_e_form[rows].sum()),
        "left_out": left_out_of(bench),
        "baseline_seed": seed,
    }
    return result


def discovery(e_true: np.ndarray, e_pred: np.ndarray, seed: int, regression: bool,
              prevalence: float | None) -> dict[str, MetricValue]:
    """The Matbench Discovery metrics of these rows, each with its bootstrap 95% CI."""
    if e_true.size == 0:
        return {}
    values = sm.stability_metrics(e_true, e_pred, regression=regression, prevalence=prevalence)
    intervals = sm.bootstrap_stability_metrics(e_true, e_pred, seed=seed, regression=regression,
                                               prevalence=prevalence)
    n_both = int((~np.isnan(e_true) & ~np.isnan(e_pred)).sum())
    return {
        name: MetricValue(value=None if math.isnan(value) else value, ci95=intervals.get(name),
                          n=n_both if name in sm.REGRESSION else int(e_true.size))
        for name, value in values.items()
    }


def left_out_of(bench: CrystalStability) -> dict[str, Any] | None:
    """The data rows never asked, by reason, with the rows read (None when this process read no
    data, e.g. ``evalsuite merge``). A row with a truth but no formation energy is not left out
    in formation-energy mode: it is asked and counted as a missing prediction
    (``no_formation_energy``)."""
    if bench.left_out is None:
        return None
    return {"rows_read": bench.rows_read, "by_reason": dict(bench.left_out),
            "total": int(sum(bench.left_out.values()))}


def clean(row: dict[str, float]) -> dict[str, Any]:
    return {k: None if math.isnan(v) else v for k, v in row.items()}
