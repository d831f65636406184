"""Matbench Discovery stability metrics against confusion matrices counted by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evalsuite.scorers.stability_metrics import (
    bootstrap_stability_metrics,
    confusion,
    dummy_baseline,
    most_stable,
    outliers,
    stability_metrics,
)

NAN = float("nan")
# Six materials; stable means e_above_hull <= 0 (threshold 0, inclusive).
TRUE = [-0.1, 0.0, 0.05, 0.2, -0.02, 0.3]  # stable: yes yes no no yes no -> 3 pos, 3 neg


def test_mixed_case_with_a_missing_prediction():
    pred = [-0.05, 0.1, -0.01, 0.25, NAN, 0.4]
    # row 0: pred stable, true stable -> TP      row 3: pred unstable, true unstable -> TN
    # row 1: pred unstable, true stable -> FN    row 4: missing = unstable, true stable -> FN
    # row 2: pred stable, true unstable -> FP    row 5: TN
    # TP=1 FN=2 FP=1 TN=2
    counts = confusion(TRUE, pred)
    assert {k: int(v) for k, v in counts.items()} == {"tp": 1, "fn": 2, "fp": 1, "tn": 2}
    m = stability_metrics(TRUE, pred)
    assert m["precision"] == pytest.approx(1 / 2)
    assert m["recall"] == m["tpr"] == pytest.approx(1 / 3)
    assert m["f1"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))  # = 0.4
    assert m["f1"] == pytest.approx(0.4)
    assert m["accuracy"] == pytest.approx(3 / 6)
    assert m["fpr"] == pytest.approx(1 / 3)
    assert m["tnr"] == pytest.approx(2 / 3)
    assert m["fnr"] == pytest.approx(2 / 3)
    assert m["prevalence"] == pytest.approx(1 / 2)
    assert m["daf"] == pytest.approx((1 / 2) / (1 / 2))
    # regression metrics over the 5 rows where both exist:
    # errors 0.05, 0.1, 0.06, 0.05, 0.1 -> MAE 0.36/5 = 0.072
    # squares 0.0025 + 0.01 + 0.0036 + 0.0025 + 0.01 = 0.0286 -> RMSE sqrt(0.00572)
    # true values -0.1, 0, 0.05, 0.2, 0.3: mean 0.09, SS_tot = 0.0361 + 0.0081 + 0.0016
    #   + 0.0121 + 0.0441 = 0.102 -> R2 = 1 - 0.0286 / 0.102
    assert m["mae"] == pytest.approx(0.072)
    assert m["rmse"] == pytest.approx(math.sqrt(0.00572))
    assert m["r2"] == pytest.approx(1 - 0.0286 / 0.102)


def test_all_stable_predictor():
    m = stability_metrics(TRUE, [-1.0] * 6)
    # TP=3 FP=3 TN=0 FN=0
    assert (m["precision"], m["recall"], m["accuracy"]) == pytest.approx((0.5, 1.0, 0.5))
    assert m["f1"] == pytest.approx(2 / 3)
    assert (m["fpr"], m["tnr"], m["fnr"]) == pytest.approx((1.0, 0.0, 0.0))
    assert m["daf"] == pytest.approx(1.0)  # precision equals prevalence: no enrichment


def test_all_unstable_predictor():
    m = stability_metrics(TRUE, [1.0] * 6)
    # TP=0 FP=0 TN=3 FN=3: precision 0/0 is undefined, F1 = 2*0/(0+0+3) = 0
    assert math.isnan(m["precision"]) and math.isnan(m["daf"])
    assert m["f1"] == 0.0
    assert (m["recall"], m["accuracy"], m["tnr"], m["fnr"], m["fpr"]) == pytest.approx(
        (0.0, 0.5, 1.0, 1.0, 0.0))


def test_all_missing_predictions_count_as_unstable():
    missing = stability_metrics(TRUE, [NAN] * 6)
    unstable = stability_metrics(TRUE, [1.0] * 6)
    for name in ("f1", "recall", "accuracy", "tnr", "fnr", "fpr"):
        assert missing[name] == unstable[name]
    # no row with both values: regression metrics are undefined
    assert math.isnan(missing["mae"]) and math.isnan(missing["r2"])


def test_perfect_classifier_daf_is_one_over_prevalence():
    truth = [-0.05, 0.1, 0.2, 0.3]  # one stable in four: prevalence 1/4
    m = stability_metrics(truth, truth)
    assert m["prevalence"] == pytest.approx(0.25)
    assert m["precision"] == m["recall"] == m["f1"] == m["accuracy"] == 1.0
    assert m["daf"] == pytest.approx(4.0)
    assert m["mae"] == 0.0 and m["r2"] == 1.0


def test_threshold_is_inclusive_at_zero():
    # true 0.0 is stable; predicted exactly 0.0 is a stable call
    m = stability_metrics([0.0, 0.001], [0.0, 0.0])
    assert (m["precision"], m["recall"]) == (0.5, 1.0)


def test_constant_truth_leaves_r2_undefined():
    # all true hull distances equal: SS_tot = 0, R^2 undefined (null), whatever the prediction
    # (scikit-learn's r2_score would say 1.0 for the perfect one and 0.0 for the other)
    assert math.isnan(stability_metrics([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])["r2"])
    assert math.isnan(stability_metrics([0.1, 0.1, 0.1], [0.0, 0.2, 0.1])["r2"])
    assert math.isnan(stability_metrics([0.1], [0.1])["r2"])  # one row


def test_fixed_prevalence_is_the_daf_denominator():
    # DAF = precision / the given prevalence (the unique-prototype rule), reported as prevalence
    m = stability_metrics(TRUE, [-0.05, 0.1, -0.01, 0.25, NAN, 0.4], prevalence=0.25)
    assert m["precision"] == pytest.approx(0.5)
    assert m["daf"] == pytest.approx(0.5 / 0.25) and m["prevalence"] == 0.25


def test_outliers_and_most_stable_ranking():
    truth = np.array([0.0, 0.1, 0.2, 0.3])
    assert outliers(truth, np.array([5.0, 5.2, NAN, -4.8])).tolist() == [False, True, False, True]
    # lowest predicted first; missing last; ties broken by file order (order), not row order
    pred = np.array([0.2, NAN, -0.1, 0.2, 0.0])
    order = np.array([4, 0, 1, 2, 3])
    assert most_stable(pred, order, count=3).tolist() == [2, 3, 4]  # -0.1, 0.0, then row 3 (order 2) before row 0
    assert most_stable(pred, order, count=5).tolist() == [0, 1, 2, 3, 4]


def naive_bootstrap(truth, pred, seed, resamples=1000):
    """The bootstrap written the slow, obvious way: one draw at a time, counting by hand."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(truth), size=(resamples, len(truth)))
    out = {"f1": [], "precision": [], "accuracy": [], "mae": [], "r2": []}
    for picks in idx:
        t, p = truth[picks], pred[picks]
        actual, called = t <= 0, np.nan_to_num(p, nan=np.inf) <= 0
        tp, fp = np.sum(actual & called), np.sum(~actual & called)
        fn, tn = np.sum(actual & ~called), np.sum(~actual & ~called)
        out["f1"].append(2 * tp / (2 * tp + fp + fn))
        out["precision"].append(tp / (tp + fp) if tp + fp else np.nan)
        out["accuracy"].append((tp + tn) / len(t))
        both = ~np.isnan(p)
        out["mae"].append(np.mean(np.abs(p[both] - t[both])))
        ss_tot = np.sum((t[both] - t[both].mean()) ** 2)
        out["r2"].append(1 - np.sum((p[both] - t[both]) ** 2) / ss_tot)
    return {k: tuple(np.nanpercentile(v, [2.5, 97.5])) for k, v in out.items()}


def test_vectorised_bootstrap_equals_the_draw_by_draw_one():
    rng = np.random.default_rng(5)
    truth = rng.normal(0.02, 0.1, size=200)
    pred = truth + rng.normal(0.0, 0.05, size=200)
    pred[::17] = NAN  # some missing predictions
    fast = bootstrap_stability_metrics(truth, pred, seed=11)
    for name, (lo, hi) in naive_bootstrap(truth, pred, seed=11).items():
        assert fast[name] == pytest.approx((lo, hi), rel=1e-9, abs=1e-12), name


def test_dummy_baseline_is_seeded_and_stratified():
    rng = np.random.default_rng(123)
    truth = rng.normal(0.05, 0.1, size=2000)
    a = dummy_baseline(truth, seed=7)
    assert a == dummy_baseline(truth, seed=7)
    assert a != dummy_baseline(truth, seed=8)
    prevalence = float(np.mean(truth <= 0))
    assert a["prevalence"] == pytest.approx(prevalence)
    # random labels drawn at the prevalence: precision ~ prevalence, recall ~ prevalence
    assert a["precision"] == pytest.approx(prevalence, abs=0.05)
    assert a["recall"] == pytest.approx(prevalence, abs=0.05)
    assert a["daf"] == 1.0 and a["r2"] == 0.0
    # the regression columns are those of always predicting the mean true hull distance
    assert a["mae"] == pytest.approx(float(np.mean(np.abs(truth - truth.mean()))))


def test_bootstrap_interval_brackets_the_value_and_is_seeded():
    rng = np.random.default_rng(0)
    truth = rng.normal(0.0, 0.1, size=300)
    pred = truth + rng.normal(0.0, 0.05, size=300)
    value = stability_metrics(truth, pred)
    first = bootstrap_stability_metrics(truth, pred, seed=3)
    assert first == bootstrap_stability_metrics(truth, pred, seed=3)
    for name in ("f1", "accuracy", "mae", "r2"):
        lo, hi = first[name]
        assert lo <= value[name] <= hi
        assert lo < hi
