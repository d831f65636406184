"""Confidence intervals against published values and their defining properties."""

import pytest

from evalsuite.core.intervals import bootstrap_interval, summarize, wilson_interval


def test_wilson_matches_published_values():
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 -> 0.2553 to 0.3662;
    # 0/10 -> 0 to 0.2775.
    lo, hi = wilson_interval(81, 263)
    assert lo == pytest.approx(0.2553, abs=5e-4) and hi == pytest.approx(0.3662, abs=5e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=5e-4)


def test_bootstrap_is_reproducible_and_seed_dependent():
    values = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.8]
    assert bootstrap_interval(values, seed=3) == bootstrap_interval(values, seed=3)
    assert bootstrap_interval(values, seed=3) != bootstrap_interval(values, seed=4)
    lo, hi = bootstrap_interval(values, seed=3)
    assert min(values) <= lo < sum(values) / len(values) < hi <= max(values)


def test_summarize_skips_not_applicable_values():
    metric = summarize([1.0, None, 0.0, 1.0])
    assert metric.n == 3 and metric.value == pytest.approx(2 / 3)
    assert summarize([None]).value is None
