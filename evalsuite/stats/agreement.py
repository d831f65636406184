"""How far two graders of the same replies agree: percent agreement and Cohen's kappa.

Cohen (1960): kappa = (p_o - p_e) / (1 - p_e), with p_o the share of items both graders put in
the same class and p_e = Σ_c p_a(c) p_b(c) the share expected by chance from each grader's own
class frequencies. Undefined (None) when p_e = 1: both graders gave every item one and the same
class, so there is no disagreement that chance would not explain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Agreement:
    n: int
    agree: int
    percent: float | None
    kappa: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"n": self.n, "agree": self.agree, "percent": self.percent, "kappa": self.kappa}


def agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> Agreement:
    if len(a) != len(b):
        raise ValueError(f"two graders of different lengths ({len(a)} and {len(b)})")
    n = len(a)
    if n == 0:
        return Agreement(0, 0, None, None)
    agree = sum(1 for x, y in zip(a, b, strict=True) if x == y)
    observed = agree / n
    counts_a, counts_b = Counter(a), Counter(b)
    chance = sum(counts_a[c] * counts_b.get(c, 0) for c in counts_a) / (n * n)
    kappa = None if chance == 1 else (observed - chance) / (1 - chance)
    return Agreement(n, agree, 100.0 * observed, kappa)
