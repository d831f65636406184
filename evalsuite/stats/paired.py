"""Paired statistics for the gate and ``compare``: McNemar's exact test, Holm's correction, and
the seeded paired bootstrap of a mean difference."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence


def binom_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2); exact rational arithmetic up to n = 5000."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n <= 5000:
        total, term = 0, 1
        for i in range(k + 1):
            total += term
            term = term * (n - i) // (i + 1)
        return total / 2**n
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(k + 1)]
    top = max(logs)
    return min(1.0, math.exp(top + math.log(sum(math.exp(v - top) for v in logs)) - n * math.log(2)))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts b and c."""
    n = b + c
    if n == 0:
        return 1.0
    return min(1.0, 2.0 * binom_cdf_half(min(b, c), n))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm (1979) step-down adjusted p-values, in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def seeded_rng(seed: int, benchmark: str, metric: str):
    import numpy as np

    # Keyed by benchmark and metric so that adding a guard never changes another's draws.
    return np.random.default_rng([seed, zlib.crc32(f"{benchmark}\0{metric}".encode())])


def bootstrap_p(draws) -> float:
    """Two-sided percentile-bootstrap p-value of H0: difference = 0 (with the +1 correction)."""
    import numpy as np

    draws = np.asarray(draws, dtype=float)
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return 1.0
    low = (np.count_nonzero(draws <= 0) + 1) / (draws.size + 1)
    high = (np.count_nonzero(draws >= 0) + 1) / (draws.size + 1)
    return float(min(1.0, 2 * min(low, high)))


def paired_mean_draws(base, cand, rng, resamples: int):
    """Bootstrap draws of mean(cand) - mean(base) over present (non-NaN) values, same items both."""
    import numpy as np

    base = np.asarray(base, dtype=float)
    cand = np.asarray(cand, dtype=float)
    base_mask, cand_mask = ~np.isnan(base), ~np.isnan(cand)
    base0, cand0 = np.where(base_mask, base, 0.0), np.where(cand_mask, cand, 0.0)
    n = base.size
    out = np.empty(resamples)
    chunk = max(1, min(resamples, 10_000_000 // max(n, 1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, resamples, chunk):
            stop = min(resamples, start + chunk)
            idx = rng.integers(0, n, size=(stop - start, n))
            mean_c = cand0[idx].sum(1) / cand_mask[idx].sum(1)
            mean_b = base0[idx].sum(1) / base_mask[idx].sum(1)
            out[start:stop] = mean_c - mean_b
    return out


def percentile_ci(draws) -> tuple[float, float] | None:
    import numpy as np

    draws = np.asarray(draws, dtype=float)
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return None
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return (float(lo), float(hi))
