"""Confidence intervals for metrics: Wilson for proportions, seeded bootstrap for the rest.

numpy is imported inside the functions so that ``evalsuite --help`` stays fast.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from evalsuite.core.types import MetricValue

if TYPE_CHECKING:
    import numpy as np

Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_CHUNK = 2_000_000
"""Resampled values drawn at once: 16 MB of indices plus 16 MB of values, whatever n is."""


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_interval(
    values: Sequence[float],
    statistic: Callable | None = None,
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of ``statistic`` (default: mean), reproducible by seed.

    ``statistic`` receives a 2-D array (resamples x n) and returns one value per row, so that
    the whole bootstrap is one vectorised call.
    """
    import numpy as np

    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (math.nan, math.nan)
    if data.size == 1:
        only = float(data[0]) if statistic is None else float(statistic(data[None, :])[0])
        return (only, only)
    rng = np.random.default_rng(seed)
    stats = np.empty(resamples)
    # Chunked so that 100k-sample runs don't allocate resamples x n at once. The generator
    # yields the same index stream however it is chunked, so the chunk size moves no CI.
    chunk = max(1, min(resamples, BOOTSTRAP_CHUNK // data.size))
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        idx = rng.integers(0, data.size, size=(stop - start, data.size))
        draws = data[idx]
        stats[start:stop] = draws.mean(axis=1) if statistic is None else statistic(draws)
    lo, hi = np.nanpercentile(stats, [2.5, 97.5])
    return (float(lo), float(hi))


def summarize(values: Sequence[float | None] | np.ndarray, *, seed: int = 0, kind: str = "continuous") -> MetricValue:
    """Mean with a 95% CI over the values that apply (None or NaN = not applicable).

    The metric's declared ``kind`` chooses the interval: a ``proportion`` (values 0 or 1) gets
    Wilson's, anything else a percentile bootstrap, whatever values happen to be present.
    """
    import numpy as np

    data = np.asarray(values, dtype=float)  # None becomes NaN
    present = data[~np.isnan(data)]
    n = int(present.size)
    if n == 0:
        return MetricValue(value=None, ci95=None, n=0)
    if kind == "proportion":
        if not bool(np.all((present == 0.0) | (present == 1.0))):
            raise ValueError("a metric declared a proportion has values other than 0 and 1")
        successes = int(np.count_nonzero(present))
        return MetricValue(value=successes / n, ci95=wilson_interval(successes, n), n=n)
    # Python's sum, left to right as before: numpy's pairwise sum may differ in the last bit
    mean = sum(present.tolist()) / n
    return MetricValue(value=mean, ci95=bootstrap_interval(present, seed=seed), n=n)


def proportion(successes: int, n: int) -> MetricValue:
    if n == 0:
        return MetricValue(value=None, ci95=None, n=0)
    return MetricValue(value=successes / n, ci95=wilson_interval(successes, n), n=n)
