"""Crystal-stability metrics as Matbench Discovery defines them (``matbench_discovery.metrics.
discovery.stable_metrics`` and ``calc_discovery_metrics``), vectorised so that a 257,000-row run
and its bootstrap cost seconds.

Definitions:
- a material is *stable* when its hull distance is ``<= 0`` eV/atom (``STABILITY_THRESHOLD``);
- a missing prediction (NaN) counts as a prediction of *unstable* (Matbench Discovery's
  ``fillna=True``);
- precision = TP/(TP+FP), recall = TPR = TP/(TP+FN), FNR = FN/(TP+FN), FPR = FP/(FP+TN),
  TNR = TN/(FP+TN), accuracy = (TP+TN)/n, prevalence = (TP+FN)/n, DAF = precision/prevalence;
- F1 = 2TP/(2TP+FP+FN), equal to 2PR/(P+R) wherever that is defined. Where a predictor finds no
  true positive but makes errors, this is 0; Matbench Discovery reports NaN there (its F1 is
  NaN whenever precision + recall is 0 or precision is undefined);
- MAE, RMSE and R^2 over the rows where both the true and the predicted value exist. R^2 is
  undefined (NaN, reported as null) when fewer than two rows have both or the true values are
  all equal; scikit-learn's ``r2_score``, which Matbench Discovery calls, reports 1.0 there
  for a perfect prediction and 0.0 otherwise.
- A ratio with a zero denominator is NaN (null).
- ``prevalence`` given: DAF divides by it instead of the rows' own prevalence, and it is what
  the ``prevalence`` metric reports. Matbench Discovery divides the DAF of its unique-prototype
  and most-stable-10k subsets by the prevalence of all unique prototypes.

Every metric comes from nine per-row terms (the four confusion indicators, whether both values
exist, |error|, error^2, the centred true value and its square) summed over rows. The value is
those sums over all rows; a bootstrap draw is the same sums weighted by how often each row was
drawn, which is one matrix product per chunk of draws instead of a pass per metric per draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from evalsuite.scorers.materials import STABILITY_THRESHOLD

MAX_E_FORM_ERROR = 5.0
"""eV/atom: Matbench Discovery's ``MAX_E_FORM_ERROR_THRESHOLD``. A formation-energy prediction
further than this from the DFT value is treated as missing in every metric."""
MOST_STABLE = 10_000
"""Size of Matbench Discovery's ``most_stable_10k`` subset."""
RESAMPLES = 1000
CHUNK = 2_000_000
"""Rows drawn per chunk of bootstrap draws: bounds the memory of the draw at ~64 MB, whatever n is."""
CLASSIFICATION = ("f1", "daf", "precision", "recall", "accuracy", "tpr", "fpr", "tnr", "fnr", "prevalence")
REGRESSION = ("mae", "rmse", "r2")

# columns of the per-row term matrix
_TP, _FN, _FP, _TN, _BOTH, _ABS, _SQ, _T, _T2 = range(9)


def row_terms(e_true: Any, e_pred: Any, threshold: float = STABILITY_THRESHOLD) -> np.ndarray:
    """(n, 9) float matrix of each row's contribution to the sums every metric is made of."""
    e_true, e_pred = np.asarray(e_true, dtype=float), np.asarray(e_pred, dtype=float)
    actual = e_true <= threshold
    has_truth = ~np.isnan(e_true)
    called = np.nan_to_num(e_pred, nan=np.inf) <= threshold  # missing = unstable
    both = has_truth & ~np.isnan(e_pred)
    diff = np.where(both, e_pred - e_true, 0.0)
    # centring on the mean truth keeps sum(t^2) - sum(t)^2 / m from cancelling; R^2 is shift-free
    centre = float(e_true[both].mean()) if both.any() else 0.0
    centred = np.where(both, e_true - centre, 0.0)
    terms = np.empty((e_true.size, 9))
    terms[:, _TP] = actual & called
    terms[:, _FN] = actual & ~called
    terms[:, _FP] = has_truth & ~actual & called
    terms[:, _TN] = has_truth & ~actual & ~called
    terms[:, _BOTH] = both
    terms[:, _ABS] = np.abs(diff)
    terms[:, _SQ] = diff * diff
    terms[:, _T] = centred
    terms[:, _T2] = centred * centred
    return terms


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def from_sums(sums: np.ndarray, *, regression: bool, prevalence: float | None = None) -> dict[str, np.ndarray]:
    """Every metric from term sums (last axis: the 9 terms), one value per leading index."""
    tp, fn, fp, tn = (sums[..., i] for i in (_TP, _FN, _FP, _TN))
    n, pos, neg = tp + fn + fp + tn, tp + fn, fp + tn
    precision = _ratio(tp, tp + fp)
    rows_prevalence = _ratio(pos, n)
    base = rows_prevalence if prevalence is None else np.full_like(tp, prevalence if prevalence > 0 else np.nan)
    out = {
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "daf": _ratio(precision, base),
        "precision": precision,
        "recall": _ratio(tp, pos),
        "accuracy": _ratio(tp + tn, n),
        "tpr": _ratio(tp, pos),
        "fpr": _ratio(fp, neg),
        "tnr": _ratio(tn, neg),
        "fnr": _ratio(fn, pos),
        "prevalence": base,
    }
    if regression:
        m = sums[..., _BOTH]
        ss_res = sums[..., _SQ]
        ss_tot = sums[..., _T2] - _ratio(sums[..., _T] ** 2, m)
        out["mae"] = _ratio(sums[..., _ABS], m)
        out["rmse"] = np.sqrt(_ratio(ss_res, m))
        # ss_tot below rounding noise of the sums means all true values are equal: undefined
        flat = ss_tot <= 1e-12 * np.maximum(sums[..., _T2], 1e-300)
        out["r2"] = np.where((m > 1) & ~flat, 1.0 - _ratio(ss_res, np.where(flat, 0.0, ss_tot)), np.nan)
    return out


def confusion(e_true: Any, e_pred: Any, threshold: float = STABILITY_THRESHOLD) -> dict[str, int]:
    """TP/FN/FP/TN counts; positive = stable (<= threshold); a NaN prediction counts as unstable."""
    sums = row_terms(e_true, e_pred, threshold).sum(axis=0)
    return {"tp": int(sums[_TP]), "fn": int(sums[_FN]), "fp": int(sums[_FP]), "tn": int(sums[_TN])}


def stability_metrics(e_true: Any, e_pred: Any, *, threshold: float = STABILITY_THRESHOLD,
                      regression: bool = True, prevalence: float | None = None) -> dict[str, float]:
    """The metrics of hull distances ``e_true`` / ``e_pred`` (eV/atom; NaN = missing prediction)."""
    sums = row_terms(e_true, e_pred, threshold).sum(axis=0)
    return {k: float(v) for k, v in from_sums(sums, regression=regression, prevalence=prevalence).items()}


def bootstrap_stability_metrics(
    e_true: Any,
    e_pred: Any,
    *,
    seed: int,
    resamples: int = RESAMPLES,
    regression: bool = True,
    prevalence: float | None = None,
    threshold: float = STABILITY_THRESHOLD,
) -> dict[str, tuple[float, float] | None]:
    """Percentile bootstrap 95% interval of every ``stability_metrics`` value, from one seeded
    set of resampled rows (materials drawn with replacement, true and predicted together).
    None where the metric is undefined in every draw. ``prevalence`` (a property of the whole
    data set) stays fixed across draws."""
    terms = row_terms(e_true, e_pred, threshold)
    n = terms.shape[0]
    if n == 0:
        return {}
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, CHUNK // n))
    sums = np.empty((resamples, terms.shape[1]))
    for start in range(0, resamples, chunk):
        k = min(resamples, start + chunk) - start
        picks = rng.integers(0, n, size=(k, n))
        picks += (np.arange(k) * n)[:, None]  # draw j's rows numbered j*n .. j*n + n-1
        weights = np.bincount(picks.ravel(), minlength=k * n).reshape(k, n)
        del picks
        sums[start:start + k] = weights @ terms  # how often each row was drawn, times its terms
    intervals: dict[str, tuple[float, float] | None] = {}
    for name, values in from_sums(sums, regression=regression, prevalence=prevalence).items():
        if np.all(np.isnan(values)):
            intervals[name] = None
            continue
        lo, hi = np.nanpercentile(values, [2.5, 97.5])
        intervals[name] = (float(lo), float(hi))
    return intervals


def dummy_baseline(e_true: Sequence[float] | np.ndarray, *, seed: int, regression: bool = True,
                   prevalence: float | None = None) -> dict[str, float]:
    """Matbench Discovery's dummy row: stratified random labels (stable with probability equal
    to the prevalence, numpy ``default_rng(seed)``); DAF set to its expectation 1 and, for the
    regression columns, the predictor that always says the mean true hull distance (R^2 = 0)."""
    e_true = np.asarray(e_true, dtype=float)
    rng = np.random.default_rng(seed)
    own = float(np.mean(e_true <= STABILITY_THRESHOLD)) if e_true.size else math.nan
    calls_stable = rng.random(e_true.size) < own
    row = stability_metrics(e_true, np.where(calls_stable, -1.0, 1.0), regression=False, prevalence=prevalence)
    row["daf"] = 1.0
    if regression:
        residual = e_true - e_true.mean() if e_true.size else e_true
        row["mae"] = float(np.abs(residual).mean()) if e_true.size else math.nan
        row["rmse"] = float(np.sqrt((residual**2).mean())) if e_true.size else math.nan
        row["r2"] = 0.0
    return row


def outliers(e_true: np.ndarray, e_pred: np.ndarray, limit: float = MAX_E_FORM_ERROR) -> np.ndarray:
    """Rows whose prediction is more than ``limit`` eV/atom off the truth (NaN is not an outlier).
    Matbench Discovery applies it to the formation energies themselves, unrounded
    (``matbench_discovery/data.py``): passed hull distances that went through ``true + pred -
    e_form`` arithmetic round differently, so a prediction exactly 5.0 off can flip."""
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(e_pred, dtype=float) - np.asarray(e_true, dtype=float)) > limit


def most_stable(e_pred: np.ndarray, order: np.ndarray, count: int = MOST_STABLE) -> np.ndarray:
    """Rows of the ``count`` lowest predicted hull distances, missing predictions last, ties in
    ``order`` (the data file's row order; Matbench Discovery sorts its frame with a stable sort)."""
    e_pred = np.asarray(e_pred, dtype=float)
    missing = np.isnan(e_pred)
    ranked = np.lexsort((order, np.where(missing, np.inf, e_pred), missing))
    return np.sort(ranked[:count])
