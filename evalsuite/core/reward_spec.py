"""How a benchmark turns its per-sample scores into one training reward in [0, 1].

Each benchmark declares a ``RewardSpec`` (``BenchmarkBase.reward``; default: its headline metric,
exact 0/1). The reward is computed from the very ``Score`` that ``evalsuite run`` journals, so a
reward and an evaluation can never disagree about what was right. Declared, not computed ad hoc,
so a trainer's log can say exactly what it optimised (``docs/contracts.md#rewards``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RewardSpec:
    """``correct``: the per-sample metric that is 1 exactly when the answer is right.

    The score is, in order of precedence:
    - ``band=(metric, tolerance)``: 1 when that metric (an absolute error) is at most the
      tolerance, else 0; ``correct`` is then the same test (crystal hull distance);
    - ``credit``: the mean of these metrics (share of slots right; normalised yield);
    - otherwise 1 when correct, else ``partial_weight`` x the ``partial`` metric (a declared
      partial credit such as the Tanimoto similarity of the first candidate), else 0.
    A metric without a value counts as 0.
    """

    correct: str
    credit: tuple[str, ...] = ()
    partial: str | None = None
    partial_weight: float = 0.0
    band: tuple[str, float] | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.partial_weight <= 1.0:
            raise ValueError(f"RewardSpec: partial_weight must lie in [0, 1], got {self.partial_weight}")

    def metrics(self) -> tuple[str, ...]:
        """Every metric the reward reads."""
        names = (self.correct, *self.credit, *((self.partial,) if self.partial else ()))
        return (*names, self.band[0]) if self.band else names

    def reward(self, values: Mapping[str, float | None]) -> tuple[float, bool]:
        """(score in [0, 1], correct) of one sample's score values."""
        if self.band is not None:
            error = values.get(self.band[0])
            within = error is not None and error <= self.band[1]
            return (1.0 if within else 0.0), within
        correct = values.get(self.correct) == 1.0
        if self.credit:
            parts = [values.get(name) or 0.0 for name in self.credit]
            return clip(sum(parts) / len(parts)), correct
        if correct:
            return 1.0, True
        if self.partial is not None and self.partial_weight > 0:
            return clip(self.partial_weight * (values.get(self.partial) or 0.0)), False
        return 0.0, False

    def describe(self) -> str:
        if self.band is not None:
            return f"1 if {self.band[0]} <= {self.band[1]} else 0"
        if self.credit:
            return f"mean of {', '.join(self.credit)}"
        if self.partial is not None and self.partial_weight > 0:
            return f"1 if {self.correct} else {self.partial_weight} x {self.partial}"
        return f"1 if {self.correct} else 0"


def clip(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
