"""G-Pass@k and mG-Pass@k (Liu et al. 2024, arXiv 2412.13147; OpenCompass's
``compute_g_pass_at_k``): hand-computed on 4 items x K = 8 replies with 8, 0, 4 and 6 right.

Per item, X ~ Hypergeometric(n = 8, c right, k drawn); G-Pass@k_τ = P[X >= max(ceil(τk), 1)],
mG-Pass@k = 2/k Σ_{i = ceil(k/2)+1}^{k} P[X >= i].

c = 4, k = 4: P[X = j] = C(4,j) C(4,4-j) / C(8,4) = (1, 16, 36, 16, 1) / 70 for j = 0..4, so
P[X>=1] = 69/70, P[X>=2] = 53/70, P[X>=3] = 17/70, P[X>=4] = 1/70, mG = (2/4)(17+1)/70 = 9/70.
c = 6, k = 4: P[X = j] = C(6,j) C(2,4-j) / 70 = (0, 0, 15, 40, 15) / 70: P[X>=1] = P[X>=2] = 1,
P[X>=3] = 55/70, P[X>=4] = 15/70, mG = (2/4)(55+15)/70 = 1/2.
c = 4, k = 2: P[X=0] = C(4,2)/C(8,2) = 6/28, P[X=2] = 6/28: P[X>=1] = 22/28, P[X>=2] = 6/28;
m = ceil(2τ) = 1, 1, 2, 2 for τ = .25, .5, .75, 1; mG = (2/2) P[X>=2] = 6/28.
c = 6, k = 2: P[X=0] = C(2,2)/28 = 1/28, P[X=2] = C(6,2)/28 = 15/28: P[X>=1] = 27/28; mG = 15/28.
k = 8 = n: X = c exactly; m = 2, 4, 6, 8: c=4 -> 1, 1, 0, 0; c=6 -> 1, 1, 1, 0; mG@8 = (2/8)·#{i in
5..8: c >= i}: c=8 -> 1, c=6 -> 1/2, c=4 -> 0.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from evalsuite.core import registry
from evalsuite.core.record_table import RecordTable
from evalsuite.engine.grading import graded
from evalsuite.stats import repeated

RIGHT_PER_ITEM = (8, 0, 4, 6)


def expected() -> dict[str, float]:
    mean = lambda *xs: sum(xs) / len(xs)  # noqa: E731
    return {
        "G-Pass@8_0.25": mean(1, 0, 1, 1), "G-Pass@8_0.5": mean(1, 0, 1, 1),
        "G-Pass@8_0.75": mean(1, 0, 0, 1), "G-Pass@8_1.0": mean(1, 0, 0, 0), "mG-Pass@8": mean(1, 0, 0, 0.5),
        "G-Pass@4_0.25": mean(1, 0, 69 / 70, 1), "G-Pass@4_0.5": mean(1, 0, 53 / 70, 1),
        "G-Pass@4_0.75": mean(1, 0, 17 / 70, 55 / 70), "G-Pass@4_1.0": mean(1, 0, 1 / 70, 15 / 70),
        "mG-Pass@4": mean(1, 0, 9 / 70, 0.5),
        "G-Pass@2_0.25": mean(1, 0, 22 / 28, 27 / 28), "G-Pass@2_0.5": mean(1, 0, 22 / 28, 27 / 28),
        "G-Pass@2_0.75": mean(1, 0, 6 / 28, 15 / 28), "G-Pass@2_1.0": mean(1, 0, 6 / 28, 15 / 28),
        "mG-Pass@2": mean(1, 0, 6 / 28, 15 / 28),
    }


@pytest.fixture(scope="module")
def result(fixture_data):
    bench = registry.create("chembench4k/name-conversion")
    samples = list(bench.samples(fixture_data, 0, None))[:2]
    # two fixture questions, each used twice under another id: four items
    items = [replace(s, id=f"{s.id}-{copy}") for copy in "ab" for s in samples]
    tables = []
    for epoch in range(8):
        records = []
        for item, right in zip(items, RIGHT_PER_ITEM, strict=True):
            wrong = next(letter for letter in "ABCD" if letter != item.target)
            reply = item.target if epoch < right else wrong
            records.append(replace(graded(bench, item, reply), epoch=epoch))
        tables.append(RecordTable.of(records, repeated.reads_of(bench)))
    return bench, repeated.combine(bench, tables, seed=0)


def test_g_pass_and_mg_pass_equal_the_hand_computed_values(result):
    _, combined = result
    for name, value in expected().items():
        assert combined.metrics[name].value == pytest.approx(value, abs=1e-12), name


def test_g_pass_sits_beside_pass_at_k_maj_and_avg(result):
    bench, combined = result
    # pass@8: 3 of 4 items have a right reply; avg@8 = (8 + 0 + 4 + 6) / 32
    assert combined.metrics["pass@8"].value == pytest.approx(0.75)
    assert combined.metrics["accuracy"].value == pytest.approx(18 / 32)
    assert "maj@8" in combined.metrics
    for name in expected():
        declared = bench.metric_set().get(name)
        assert declared is not None and declared.higher_is_better is True, name


def test_threshold_one_is_all_k_right_and_zero_k_draws_are_undefined():
    import numpy as np

    n, c = np.array([8, 3]), np.array([5, 3])
    # τ = 1: C(c,k)/C(n,k); n=8, c=5, k=3: 10/56. n=3 < k=4: undefined (NaN)
    assert repeated.g_pass_at_k(n, c, 3, 1.0)[0] == pytest.approx(10 / 56)
    assert np.isnan(repeated.g_pass_at_k(n, c, 4, 1.0)[1])
