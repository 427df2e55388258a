"""Is today's count a wave? A Poisson tail test against the baseline window.

With counts this small a bare ratio lies (1 post against a baseline of 0.1 is "10×"). We model the
daily count as Poisson with the baseline's mean rate (plus half a post of prior, so an empty
baseline is not a rate of zero) and flag a surge when today's count is at least `min_count` and
P(X ≥ today | baseline rate) is below `p_value`.

Pure arithmetic with no imports from the project, so both the brief (reports/) and the archive's
`timeline` (crackdown/archive/) use the same test without one layer importing the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def poisson_tail(k: int, rate: float) -> float:
    """P(X >= k) for X ~ Poisson(rate)."""
    if k <= 0:
        return 1.0
    term = math.exp(-rate)
    cdf = term
    for i in range(1, k):
        term *= rate / i
        cdf += term
    return max(0.0, 1.0 - cdf)


@dataclass(frozen=True)
class SurgeTest:
    today: int
    baseline_mean: float   # posts per day over the baseline window
    ratio: float
    p_value: float
    is_surge: bool


def surge_test(today: int, baseline_counts: list[int], min_count: int = 3,
               p_value: float = 0.01, day_fraction: float = 1.0) -> SurgeTest:
    """Test `today`'s count against the per-day counts of the baseline window before it.

    `day_fraction` (0–1] tests a day so far (`crackdown watch`): the count of the first hours is
    compared with the baseline's daily rate times the fraction of the day elapsed, so
    expected = (baseline posts + 0.5) / baseline days × fraction. `baseline_mean` and `ratio`
    are then per the same part of a day.
    """
    fraction = min(max(day_fraction, 1e-3), 1.0)
    days = max(len(baseline_counts), 1)
    mean = sum(baseline_counts) / days * fraction
    rate = (sum(baseline_counts) + 0.5) / days * fraction
    p = poisson_tail(today, rate)
    ratio = today / max(mean, fraction / days)
    return SurgeTest(today, round(mean, 3), round(ratio, 1), p,
                     today >= min_count and p < p_value)
