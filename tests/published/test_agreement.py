"""Cohen's kappa on the textbook case: 50 items, both graders yes on 20, A yes / B no on 5,
A no / B yes on 10, both no on 15. p_o = 35/50 = 0.7; A says yes 25/50, B 30/50, so
p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5 and kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4."""

from __future__ import annotations

import pytest

from evalsuite.stats.agreement import agreement


def test_textbook_kappa():
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    result = agreement(a, b)
    assert (result.n, result.agree) == (50, 35)
    assert result.percent == pytest.approx(70.0) and result.kappa == pytest.approx(0.4)


def test_kappa_undefined_when_both_give_one_class_and_errors_on_bad_input():
    assert agreement([1, 1], [1, 1]).kappa is None
    assert agreement([], []).percent is None
    with pytest.raises(ValueError, match="different lengths"):
        agreement([1], [1, 0])
