"""Satisfaction metrics with honest uncertainty — pure functions, no database.

NPS is the mean of a per-respondent score (+1 promoter, 0 passive, −1 detractor) × 100, so its
standard error follows from that score's variance: p₊ + p₋ − (p₊ − p₋)². CSAT is a proportion
(Wilson interval). Comparisons between two periods use a two-sample z test; a change is
"significant" when |z| ≥ 1.96 (95 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959964


@dataclass(frozen=True)
class NPS:
    respondents: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        if not self.respondents:
            return None
        return 100 * (self.promoters - self.detractors) / self.respondents

    @property
    def standard_error(self) -> float | None:
        n = self.respondents
        if n < 2:
            return None
        p_plus, p_minus = self.promoters / n, self.detractors / n
        variance = p_plus + p_minus - (p_plus - p_minus) ** 2
        return 100 * math.sqrt(variance / n)

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.standard_error is None:
            return None
        low, high = self.score - Z95 * self.standard_error, self.score + Z95 * self.standard_error
        return max(-100.0, low), min(100.0, high)

    def shares(self) -> dict[str, float | None]:
        n = self.respondents
        return {
            key: (100 * value / n if n else None)
            for key, value in (
                ("promoters", self.promoters),
                ("passives", self.passives),
                ("detractors", self.detractors),
            )
        }


def nps_from_scores(scores) -> NPS:
    scores = list(scores)
    return NPS(
        respondents=len(scores),
        promoters=sum(1 for s in scores if s >= 9),
        passives=sum(1 for s in scores if 7 <= s <= 8),
        detractors=sum(1 for s in scores if s <= 6),
    )


@dataclass(frozen=True)
class Change:
    difference: float
    z: float | None
    is_significant: bool


def compare_nps(current: NPS, previous: NPS) -> Change | None:
    if current.score is None or previous.score is None:
        return None
    difference = current.score - previous.score
    if current.standard_error is None or previous.standard_error is None:
        return Change(difference, None, False)
    se = math.sqrt(current.standard_error**2 + previous.standard_error**2)
    z = difference / se if se else None
    return Change(difference, z, z is not None and abs(z) >= Z95)


def wilson_interval(successes: int, total: int) -> tuple[float, float] | None:
    """95 % Wilson score interval for a proportion, in percent."""
    if total == 0:
        return None
    p = successes / total
    denominator = 1 + Z95**2 / total
    centre = (p + Z95**2 / (2 * total)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / total + Z95**2 / (4 * total**2)) / denominator
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def compare_proportions(success_a: int, total_a: int, success_b: int, total_b: int) -> Change | None:
    """Two-proportion z test (pooled), difference in percentage points."""
    if not total_a or not total_b:
        return None
    p_a, p_b = success_a / total_a, success_b / total_b
    pooled = (success_a + success_b) / (total_a + total_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    z = (p_a - p_b) / se if se else None
    return Change(100 * (p_a - p_b), z, z is not None and abs(z) >= Z95)


def mean_interval(values) -> tuple[float | None, tuple[float, float] | None]:
    values = list(values)
    if not values:
        return None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    half = Z95 * math.sqrt(variance / len(values))
    return mean, (mean - half, mean + half)
