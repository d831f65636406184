"""The gate's statistics against independent references: hand-worked cases and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from evalsuite.gate.compare import compare_metric
from evalsuite.stats.paired import binom_cdf_half, bootstrap_p, holm, mcnemar_exact, paired_mean_draws


def test_mcnemar_hand_worked():
    # b=1, c=5: P(X<=1 | n=6, 1/2) = (C(6,0)+C(6,1))/2^6 = 7/64; two-sided doubles it: 14/64.
    assert mcnemar_exact(1, 5) == pytest.approx(14 / 64, rel=1e-15)
    assert mcnemar_exact(5, 1) == pytest.approx(14 / 64, rel=1e-15)
    # b=10, c=0: 2 * (1/2)^10 = 1/512
    assert mcnemar_exact(10, 0) == pytest.approx(2 / 1024, rel=1e-15)
    # Balanced discordance carries no evidence; no discordant pairs neither.
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0


@pytest.mark.parametrize("b,c", [(0, 1), (2, 9), (7, 3), (15, 25), (40, 10), (100, 0), (480, 530),
                                 (2600, 2800), (3000, 3300)])
def test_mcnemar_matches_scipy_binomtest(b, c):
    # Exact McNemar is the two-sided binomial test of b successes in b+c trials at p=1/2
    # (statsmodels' mcnemar(exact=True) computes the same quantity).
    reference = binomtest(b, b + c, 0.5, alternative="two-sided").pvalue
    assert mcnemar_exact(b, c) == pytest.approx(reference, rel=1e-9, abs=1e-300)


def test_binomial_cdf_large_n_uses_log_space_accurately():
    from scipy.stats import binom

    for k, n in [(2400, 5200), (4990, 10000), (100, 20000)]:
        assert binom_cdf_half(k, n) == pytest.approx(binom.cdf(k, n, 0.5), rel=1e-9, abs=1e-300)


def test_holm_hand_worked():
    # Sorted p: 0.01, 0.02, 0.04 with m=3 -> 0.03, max(0.03, 0.04)=0.04, max(0.04, 0.04)=0.04.
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    # Monotone and capped at 1.
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_bootstrap_reproducible_with_seed_and_seed_matters():
    rng = np.random.default_rng(1)
    base = rng.normal(1.0, 0.3, 300)
    cand = base + rng.normal(0.05, 0.3, 300)
    d1 = paired_mean_draws(base, cand, np.random.default_rng(7), 500)
    d2 = paired_mean_draws(base, cand, np.random.default_rng(7), 500)
    d3 = paired_mean_draws(base, cand, np.random.default_rng(8), 500)
    assert np.array_equal(d1, d2)
    assert not np.array_equal(d1, d3)
    # Draws centre on the observed paired mean difference (the bootstrap's plug-in estimate).
    assert d1.mean() == pytest.approx((cand - base).mean(), abs=0.01)


def test_bootstrap_p_value_definition():
    # 999 draws all above 0: p = 2 * (0 + 1) / 1000
    assert bootstrap_p(np.ones(999)) == pytest.approx(0.002)
    # Symmetric around zero: no evidence.
    assert bootstrap_p(np.array([-1.0, 1.0] * 500)) == 1.0


def _rec(rd, i, value):
    return rd.record("m", f"i{i}", {"mae": value})


def test_non_binary_metric_uses_seeded_paired_bootstrap(rd):
    rng = np.random.default_rng(3)
    errors = rng.gamma(2.0, 0.1, 400)
    base = [_rec(rd, i, float(v)) for i, v in enumerate(errors)]
    cand = [_rec(rd, i, float(v) + 0.05) for i, v in enumerate(errors)]  # uniformly worse
    continuous = {"per_sample": True, "proportion": False}
    row1 = compare_metric("m", "mae", False, base, cand, seed=11, resamples=800, **continuous)
    row2 = compare_metric("m", "mae", False, base, cand, seed=11, resamples=800, **continuous)
    row3 = compare_metric("m", "mae", False, base, cand, seed=12, resamples=800, **continuous)
    assert row1.test == "paired-bootstrap"
    assert row1 == row2
    assert row1.diff == pytest.approx(0.05)
    assert row1.drop == pytest.approx(0.05)  # lower is better: a rise is a drop
    # A constant paired shift has zero variance: every draw is exactly +0.05, so p = 2/801.
    assert row1.p == pytest.approx(2 / 801)
    assert row1.ci95 == pytest.approx((0.05, 0.05))
    assert row3.p == row1.p


def test_binary_metric_uses_mcnemar_counts(rd):
    base = [rd.record("m", f"i{i}", {"accuracy": 1.0}) for i in range(50)]
    cand = [rd.record("m", f"i{i}", {"accuracy": 0.0 if i < 6 else 1.0}) for i in range(50)]
    cand[10] = rd.record("m", "i10", {"accuracy": None})  # not applicable: left out of the pairs
    row = compare_metric("m", "accuracy", True, base, cand, seed=0, resamples=200, per_sample=True, proportion=True)
    assert row.test == "mcnemar-exact"
    assert row.discordant == (6, 0)
    assert row.p == pytest.approx(2 / 64)
    assert row.diff == pytest.approx(43 / 49 - 1.0)
    assert math.isclose(row.drop, -row.diff)
