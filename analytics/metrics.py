"""Satisfaction metrics with honest uncertainty — pure functions, no database.

Every interval is a 95 % interval, and none is drawn from fewer than MIN_ANSWERS answers:

- NPS and the sentiment index are net scores (share of +1 answers minus share of −1 answers, ×100)
  and get the adjusted Wald interval of Rocks (2016, "Interval estimation for the 'Net Promoter
  Score'", The American Statistician 70:4): ¾ of a pseudo-answer is added to each end and 3 to the
  total before the usual Wald interval of a difference of two multinomial shares. Unlike the plain
  Wald interval it keeps a width when every answer falls in one class (ten promoters: 47 to 100,
  not 100 to 100), and Rocks found it among the best-covering methods on real NPS data.
- CSAT is a proportion (share of 4 and 5 of 5, "top-2-box") and gets the Wilson score interval.
- Means of 1–5 and 1–7 answers (CES, review rating) get the Student t interval (n − 1 degrees of
  freedom). When every answer is the same the t interval has no width; rather than claim that
  certainty it is not drawn and the reason says so.

Changes between two periods get an exact test while the samples are small (a permutation test of
the NPS difference, Fisher's exact test of two proportions) and the normal (z) test once they are
large enough for it; below MIN_ANSWERS on either side there is no verdict at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959964
ALPHA = 0.05
# Below ten answers one answer moves an NPS by more than 10 points, the interval is at least 40
# points wide whatever the answers, and the adjusted Wald interval's worst-case coverage (computed
# exactly over every trinomial with shares in steps of 5 %) is at most 86 % instead of 95 %: a band
# drawn there would look like knowledge the data do not hold. The same floor applies to every
# interval and comparison, so that one rule is stated once on the page.
MIN_ANSWERS = 10
TOO_FEW_ANSWERS = "too_few_answers"
ALL_ANSWERS_EQUAL = "all_answers_equal"
INTERVAL_REASONS = [TOO_FEW_ANSWERS, ALL_ANSWERS_EQUAL]
# The exact tests enumerate every way the pooled answers could have split between the periods;
# beyond these sizes the normal approximation is accurate and the enumeration would cost a page load.
EXACT_NPS_MAX_SMALLER_SAMPLE = 200
EXACT_PROPORTIONS_MAX_TOTAL = 2000
INTERVAL_METHODS = {
    "net_score": "adjusted Wald (Rocks 2016)",
    "proportion": "Wilson score",
    "mean": "Student t",
}


def net_score_interval(positive: int, neutral: int, negative: int) -> tuple[float, float] | None:
    """95 % adjusted Wald interval (Rocks 2016) of 100 × (positive − negative) / n, clipped to ±100;
    None below MIN_ANSWERS answers."""
    n = positive + neutral + negative
    if n < MIN_ANSWERS:
        return None
    adjusted = n + 3
    p_plus, p_minus = (positive + 0.75) / adjusted, (negative + 0.75) / adjusted
    centre = p_plus - p_minus
    half = Z95 * math.sqrt((p_plus + p_minus - centre**2) / adjusted)
    return 100 * max(-1.0, centre - half), 100 * min(1.0, centre + half)


def interval_reason(answers: int, interval) -> str | None:
    """Why an interval is missing: None when it is there (or there is nothing to estimate)."""
    if interval is not None or answers == 0:
        return None
    return TOO_FEW_ANSWERS if answers < MIN_ANSWERS else ALL_ANSWERS_EQUAL


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
    def interval(self) -> tuple[float, float] | None:
        """95 %, adjusted Wald (Rocks 2016); None below MIN_ANSWERS (see interval_reason)."""
        return net_score_interval(self.promoters, self.passives, self.detractors)

    @property
    def interval_reason(self) -> str | None:
        return interval_reason(self.respondents, self.interval)

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
    p_value: float | None = None
    test: str | None = None  # "exact_permutation", "fisher_exact" or "z"; None: no verdict
    reason: str | None = None  # why there is no verdict


def _no_verdict(difference: float) -> Change:
    return Change(difference, None, False, reason=TOO_FEW_ANSWERS)


def _z_change(difference: float, se: float) -> Change:
    z = difference / se if se else None
    p = math.erfc(abs(z) / math.sqrt(2)) if z is not None else None
    return Change(difference, z, p is not None and p < ALPHA, p_value=p, test="z")


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def nps_permutation_p_value(current: NPS, previous: NPS) -> float:
    """Two-sided p of the exact permutation test of the NPS difference: the chance, if the pooled
    answers had fallen between the two periods at random (sizes fixed), of a difference at least as
    large as the one seen. Enumerated through the promoters and detractors the current period could
    have drawn (multivariate hypergeometric), not through every split of the answers."""
    n1, n2 = current.respondents, previous.respondents
    pro, pas, det = (
        current.promoters + previous.promoters,
        current.passives + previous.passives,
        current.detractors + previous.detractors,
    )
    total = n1 + n2
    observed = abs((current.promoters - current.detractors) / n1 - (previous.promoters - previous.detractors) / n2)
    log_all = _log_comb(total, n1)
    p = 0.0
    for a in range(max(0, n1 - pas - det), min(pro, n1) + 1):
        for b in range(max(0, n1 - a - pas), min(det, n1 - a) + 1):
            difference = (a - b) / n1 - ((pro - a) - (det - b)) / n2
            if abs(difference) >= observed - 1e-12:
                p += math.exp(_log_comb(pro, a) + _log_comb(det, b) + _log_comb(pas, n1 - a - b) - log_all)
    return min(1.0, p)


def compare_nps(current: NPS, previous: NPS) -> Change | None:
    """The NPS difference and whether it is beyond the noise: an exact permutation test while the
    smaller period has at most EXACT_NPS_MAX_SMALLER_SAMPLE answers, the z test above; no verdict
    below MIN_ANSWERS on either side."""
    if current.score is None or previous.score is None:
        return None
    difference = current.score - previous.score
    if min(current.respondents, previous.respondents) < MIN_ANSWERS:
        return _no_verdict(difference)
    if min(current.respondents, previous.respondents) <= EXACT_NPS_MAX_SMALLER_SAMPLE:
        p = nps_permutation_p_value(current, previous)
        return Change(difference, None, p < ALPHA, p_value=p, test="exact_permutation")

    def variance(nps: NPS) -> float:
        p_plus, p_minus = nps.promoters / nps.respondents, nps.detractors / nps.respondents
        return 100**2 * (p_plus + p_minus - (p_plus - p_minus) ** 2) / nps.respondents

    return _z_change(difference, math.sqrt(variance(current) + variance(previous)))


def wilson_interval(successes: int, total: int) -> tuple[float, float] | None:
    """95 % Wilson score interval for a proportion, in percent."""
    if total == 0:
        return None
    p = successes / total
    denominator = 1 + Z95**2 / total
    centre = (p + Z95**2 / (2 * total)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / total + Z95**2 / (4 * total**2)) / denominator
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def proportion_interval(successes: int, total: int) -> tuple[float, float] | None:
    """The Wilson interval, but none below MIN_ANSWERS (the dashboards' rule for every interval)."""
    return wilson_interval(successes, total) if total >= MIN_ANSWERS else None


def fisher_exact_p_value(success_a: int, total_a: int, success_b: int, total_b: int) -> float:
    """Two-sided Fisher exact test of two proportions: the probability, with the margins fixed, of
    every table no more likely than the one seen (the convention of R and scipy)."""
    successes, total = success_a + success_b, total_a + total_b
    log_all = _log_comb(total, total_a)

    def log_probability(k: int) -> float:
        return _log_comb(successes, k) + _log_comb(total - successes, total_a - k) - log_all

    observed = log_probability(success_a)
    # a relative tolerance, as R and scipy use, so that tables equally likely on paper count as such
    cutoff = observed + math.log1p(1e-7)
    low, high = max(0, total_a - (total - successes)), min(successes, total_a)
    p = sum(math.exp(lp) for k in range(low, high + 1) if (lp := log_probability(k)) <= cutoff)
    return min(1.0, p)


def compare_proportions(
    success_a: int, total_a: int, success_b: int, total_b: int, *, minimum: int = 0
) -> Change | None:
    """Difference of two proportions in percentage points and whether it is beyond the noise:
    Fisher's exact test up to EXACT_PROPORTIONS_MAX_TOTAL answers in all, the pooled z test above;
    no verdict when either side has fewer than `minimum`."""
    if not total_a or not total_b:
        return None
    p_a, p_b = success_a / total_a, success_b / total_b
    difference = 100 * (p_a - p_b)
    if min(total_a, total_b) < minimum:
        return _no_verdict(difference)
    pooled = (success_a + success_b) / (total_a + total_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    if total_a + total_b <= EXACT_PROPORTIONS_MAX_TOTAL:
        p = fisher_exact_p_value(success_a, total_a, success_b, total_b)
        return Change(difference, (p_a - p_b) / se if se else None, p < ALPHA, p_value=p, test="fisher_exact")
    if not se:
        return Change(difference, None, False, p_value=1.0, test="z")
    change = _z_change(p_a - p_b, se)
    return Change(difference, change.z, change.is_significant, p_value=change.p_value, test="z")


def t_quantile_975(degrees_of_freedom: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, degrees_of_freedom))


@dataclass(frozen=True)
class Mean:
    """The mean of integer answers (CES, ratings) with its 95 % Student t interval."""

    answers: int
    mean: float | None
    interval: tuple[float, float] | None

    @property
    def interval_reason(self) -> str | None:
        return interval_reason(self.answers, self.interval)


def mean_from_counts(counts: dict[int, int], *, low: float | None = None, high: float | None = None) -> Mean:
    """Mean and 95 % Student t interval (clipped to the scale `low`…`high`) of answers given as
    {value: how many}; no interval below MIN_ANSWERS or when every answer is the same."""
    n = sum(counts.values())
    if not n:
        return Mean(0, None, None)
    mean = sum(value * count for value, count in counts.items()) / n
    if n < MIN_ANSWERS:
        return Mean(n, mean, None)
    variance = sum(count * (value - mean) ** 2 for value, count in counts.items()) / (n - 1)
    if variance <= 0:
        return Mean(n, mean, None)
    half = t_quantile_975(n - 1) * math.sqrt(variance / n)
    lower, upper = mean - half, mean + half
    if low is not None:
        lower = max(low, lower)
    if high is not None:
        upper = min(high, upper)
    return Mean(n, mean, (lower, upper))
