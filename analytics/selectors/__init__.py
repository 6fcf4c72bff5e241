"""What the dashboards read, one module per dashboard; `common` holds the filters and the two
places numbers come from (the rollups, or the raw rows behind a filter the rollups cannot answer)."""

from analytics.selectors.common import CONTEXT_DIMENSIONS, TRUNC, Filters, period_start
from analytics.selectors.competitors import brand_comparison
from analytics.selectors.retention import defection_reasons, retention
from analytics.selectors.satisfaction import csat_counts, nps_for, satisfaction_series, satisfaction_summary
from analytics.selectors.service_levels import service_levels, sla_counts, sla_missed_cases
from analytics.selectors.sources import CONTEXT_TOP, feedback_by_context
from analytics.selectors.topics import (
    TOPIC_MIN_MENTIONS,
    shifts_of,
    topic_examples,
    topic_ranking,
    topic_series,
    topic_shifts,
)

__all__ = [
    "CONTEXT_DIMENSIONS",
    "CONTEXT_TOP",
    "TOPIC_MIN_MENTIONS",
    "TRUNC",
    "Filters",
    "brand_comparison",
    "csat_counts",
    "defection_reasons",
    "feedback_by_context",
    "nps_for",
    "period_start",
    "retention",
    "satisfaction_series",
    "satisfaction_summary",
    "service_levels",
    "sla_counts",
    "shifts_of",
    "sla_missed_cases",
    "topic_examples",
    "topic_ranking",
    "topic_series",
    "topic_shifts",
]
