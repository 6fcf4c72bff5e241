"""The managers' daily and weekly digest: what changed in the shop's customer signals, by email.

A digest covers one closed period in the shop's time zone (yesterday; last Monday to Sunday) and
carries NPS, CSAT and CES with their 95 % intervals and the change since the period before, the
topics whose complaints rose fastest with what customers said, new detractors, open cases past
their SLA target, SLA compliance by team, and a chart rendered here as a PNG (matplotlib, Agg:
no display, no outside service).

Three steps, so that the preview page shows exactly what is sent:
`digest_build` gathers the figures (no language), `digest_render` writes them in one language,
`digest_email_send` sends one manager's copy of one period once. Beat queues the period's copies
(`digests_queue`); the copies a broker outage kept from being queued are queued again by the
next run of `digests_dispatch_unsent`.
"""

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from analytics import metrics
from analytics.models import DigestDelivery, DigestFrequency, DigestSubscription
from analytics.selectors import (
    Filters,
    satisfaction_series,
    satisfaction_summary,
    service_levels,
    topic_examples,
    topic_shifts,
)
from core.queueing import enqueue
from core.shop import regional_override, shop_settings
from feedback.models import FeedbackItem
from support.models import Case
from support.selectors import sla_due_of
from surveys.models import Answer, Question

UNSUBSCRIBE_SALT = "analytics.digest.unsubscribe"
CHART_CID = "digest-chart"
# a topic needs this many mentions in the period before its rise is news
RISING_MIN_MENTIONS = 3
LISTED = 10  # detractors and overdue cases named in the digest; the rest are counted
# how far back the chart looks: 14 days by day, or 12 weeks by week
CHART_SPAN = {DigestFrequency.DAILY: ("day", timedelta(days=13)), DigestFrequency.WEEKLY: ("week", timedelta(weeks=11))}


# ---------------------------------------------------------------------------------------
# Who gets which digest
# ---------------------------------------------------------------------------------------
def digest_window(frequency: str, today: date) -> tuple[date, date]:
    """The last closed period before `today` (a local date): yesterday, or last Monday–Sunday."""
    if frequency == DigestFrequency.DAILY:
        day = today - timedelta(days=1)
        return day, day
    end = today - timedelta(days=today.weekday() + 1)
    return end - timedelta(days=6), end


def managers():
    """Active staff who can see the dashboards (managers and admins), with an address to write to."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    permission = Permission.objects.filter(codename="view_dashboards", content_type__app_label="analytics")
    wanted = Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission)
    return users.filter(wanted).distinct().order_by("pk")


def digest_preferences(user) -> dict[str, DigestSubscription]:
    """The user's choice per frequency; a frequency they never touched reads as subscribed, in the
    shop's language."""
    chosen = {s.frequency: s for s in DigestSubscription.objects.filter(user=user)}
    return {
        frequency: chosen.get(frequency)
        or DigestSubscription(user=user, frequency=frequency, language=settings.LANGUAGE_CODE)
        for frequency in DigestFrequency.values
    }


def digest_recipients(frequency: str) -> list[tuple]:
    """(user, language) of every manager who gets this digest."""
    chosen = {
        s.user_id: s for s in DigestSubscription.objects.filter(frequency=frequency).only("user_id", "is_subscribed")
    }
    recipients = []
    for user in managers():
        subscription = chosen.get(user.pk)
        if subscription is None:
            recipients.append((user, settings.LANGUAGE_CODE))
        elif subscription.is_subscribed:
            recipients.append((user, subscription.language))
    return recipients


@transaction.atomic
def digest_preferences_set(*, user, subscribed: dict[str, bool], language: str, now: datetime | None = None) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    now = now or timezone.now()
    for frequency, is_subscribed in subscribed.items():
        DigestSubscription.objects.update_or_create(
            user=user,
            frequency=DigestFrequency(frequency),
            defaults={"is_subscribed": is_subscribed, "language": language, "changed_at": now},
        )


def unsubscribe_token(user, frequency: str) -> str:
    return signing.dumps({"u": user.pk, "f": frequency}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_target(token: str) -> tuple | None:
    """(user, frequency) of an unsubscribe link, or None when it was altered. Links do not expire:
    a digest read months later must still let its reader stop it."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user = get_user_model().objects.filter(pk=int(data["u"])).first()
        frequency = DigestFrequency(data["f"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return (user, frequency) if user is not None else None


def digest_unsubscribe(*, user, frequency: str) -> None:
    current = digest_preferences(user)[frequency]
    digest_preferences_set(user=user, subscribed={frequency: False}, language=current.language)


# ---------------------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Score:
    code: str  # nps, csat, ces
    value: float | None
    interval: tuple[float, float] | None
    interval_reason: str | None
    answers: int
    previous: float | None
    is_significant: bool | None  # None: no test, or too few answers for a verdict

    @property
    def change(self) -> float | None:
        return self.value - self.previous if self.value is not None and self.previous is not None else None


def _verdict(change: metrics.Change | None) -> bool | None:
    return change.is_significant if change is not None and change.test else None


def _scores(filters: Filters) -> list[Score]:
    now, before = satisfaction_summary(filters), satisfaction_summary(filters.previous())
    return [
        Score(
            "nps",
            now["nps"].score,
            now["nps"].interval,
            now["nps"].interval_reason,
            now["nps"].respondents,
            before["nps"].score,
            _verdict(now["nps_change"]),
        ),
        Score(
            "csat",
            now["csat"],
            now["csat_interval"],
            now["csat_interval_reason"],
            now["csat_answers"],
            before["csat"],
            _verdict(now["csat_change"]),
        ),
        # the dashboards test no change of a mean: the digest shows the difference without a verdict
        Score(
            "ces", now["ces"], now["ces_interval"], now["ces_interval_reason"], now["ces_answers"], before["ces"], None
        ),
    ]


def _rising_topics(filters: Filters) -> list[dict]:
    rising = [
        row
        for row in topic_shifts(filters)
        if row["topic"] is not None and (row["rise"] or 0) > 0 and row["mentions"] >= RISING_MIN_MENTIONS
    ][:3]
    for row in rising:
        row["examples"] = [" ".join(m.feedback.text.split())[:160] for m in topic_examples(filters, row["slug"], 2)]
    return rising


def _new_detractors(filters: Filters) -> tuple[int, list[dict]]:
    start, end = filters.bounds
    answers = (
        Answer.objects.filter(
            question__kind=Question.Kind.NPS,
            number__lte=6,
            response__submitted_at__gte=start,
            response__submitted_at__lt=end,
        )
        .select_related("response__customer")
        .order_by("number", "-response__submitted_at")
    )
    count = answers.count()
    listed = list(answers[:LISTED])
    comments: dict[int, tuple[str, int | None]] = {}
    for response_id, text, case_id in FeedbackItem.objects.filter(
        survey_answer__response_id__in=[a.response_id for a in listed]
    ).values_list("survey_answer__response_id", "text", "case_id"):
        comments.setdefault(response_id, (" ".join(text.split())[:160], case_id))
    rows = []
    for answer in listed:
        customer = answer.response.customer
        comment, case_id = comments.get(answer.response_id, ("", None))
        rows.append(
            {
                "score": answer.number,
                "name": (customer.name if customer and not customer.erased_at else "") or "",
                "at": answer.response.submitted_at,
                "comment": comment,
                "case_id": case_id,
            }
        )
    return count, rows


def _overdue_cases(now: datetime) -> dict:
    overdue = Case.objects.filter(status__in=Case.OPEN_STATUSES, sla_due_at__lte=now)
    by_team = {
        row["team__name"] or "–": row["n"]
        for row in overdue.values("team__name").annotate(n=Count("pk")).order_by("-n", "team__name")
    }
    oldest = list(overdue.select_related("team", "assignee", "policy").order_by("sla_due_at", "pk")[:LISTED])
    # late against which target, in business time (or days, when it is long past)
    dues = sla_due_of(oldest, now=now)
    return {
        "count": sum(by_team.values()),
        "by_team": by_team,
        "oldest": [{"case": case, "due": dues.get(case.pk)} for case in oldest],
    }


def digest_build(*, frequency: str, start: date, end: date, now: datetime | None = None) -> dict:
    """Every figure of one digest, in no language."""
    now = now or timezone.now()
    filters = Filters(start=start, end=end, period="day")
    detractors_count, detractors = _new_detractors(filters)
    levels = service_levels(filters, now=now)
    chart_period, span = CHART_SPAN[DigestFrequency(frequency)]
    chart_start = end - span
    if chart_period == "week":
        chart_start -= timedelta(days=chart_start.weekday())  # whole weeks, Monday first
    return {
        "frequency": frequency,
        "start": start,
        "end": end,
        "scores": _scores(filters),
        "rising_topics": _rising_topics(filters),
        "detractors_count": detractors_count,
        "detractors": detractors,
        "detractors_more": detractors_count - len(detractors),
        "overdue": _overdue_cases(now),
        "sla_by_team": levels["by"]["team"],
        "chart_period": chart_period,
        "chart_series": satisfaction_series(Filters(start=chart_start, end=end, period=chart_period)),
    }


# ---------------------------------------------------------------------------------------
# Writing it out
# ---------------------------------------------------------------------------------------
def chart_title(digest: dict) -> str:
    if digest["chart_period"] == "day":
        return gettext("NPS per day over two weeks, with its 95 % interval")
    return gettext("NPS per week over twelve weeks, with its 95 % interval")


# Every number and word the picture draws is in its cache key, so a cached picture is never stale;
# a day keeps one per digest and language through a morning's sending and previews.
CHART_CACHE_SECONDS = 24 * 3600


def digest_chart_png(digest: dict) -> bytes:
    """NPS per day (daily digest) or per week (weekly) with its 95 % interval band, as a PNG. The
    labels are in the active language. Drawn once for all the managers who get the same digest in
    the same language (a third of a second of CPU each)."""
    rows = [row for row in digest["chart_series"] if row.get("nps") is not None]
    words = {
        "title": chart_title(digest),
        "ticks": [formats.date_format(row["period"], "j M") for row in rows],
        "empty": "" if rows else gettext("No NPS answers in this time."),
    }
    points = [(row["nps"], row.get("nps_interval")) for row in rows]
    drawn = json.dumps([words, points], sort_keys=True, default=str).encode()
    key = "digest-chart:" + hashlib.sha256(drawn).hexdigest()
    png = cache.get(key)
    if png is None:
        png = _chart_drawn(words, points)
        cache.set(key, png, CHART_CACHE_SECONDS)
    return png


def _chart_drawn(words: dict, points: list) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 2.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(words["title"], fontsize=10, loc="left")
    if points:
        xs = list(range(len(points)))
        nan = float("nan")
        low = [interval[0] if interval else nan for _, interval in points]
        high = [interval[1] if interval else nan for _, interval in points]
        nps = [value for value, _ in points]
        axes.fill_between(xs, low, high, color="#1f5fbf", alpha=0.15, linewidth=0)
        axes.plot(xs, nps, color="#1f5fbf", marker="o", markersize=4, linewidth=1.8)
        axes.set_xticks(xs, words["ticks"], fontsize=8)
        axes.set_ylim(max(-100, min(v for v in [*low, *nps] if v == v) - 10), 100)
    else:
        axes.text(0.5, 0.5, words["empty"], ha="center", va="center", color="#5b6475")
        axes.set_xticks([])
        axes.set_ylim(-100, 100)
    axes.axhline(0, color="#c9ced8", linewidth=0.8)
    axes.tick_params(axis="y", labelsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def interval_note(reason: str | None, answers: int) -> str:
    if reason == metrics.TOO_FEW_ANSWERS:
        return gettext("too few answers (n = %(n)s)") % {"n": answers}
    if reason == metrics.ALL_ANSWERS_EQUAL:
        return gettext("every answer the same (n = %(n)s): no spread to estimate from") % {"n": answers}
    return ""


def _score_rows(scores: list[Score]) -> list[dict]:
    names = {
        "nps": gettext("NPS"),
        "csat": gettext("CSAT (4 or 5 of 5), in %"),
        "ces": gettext("Customer effort (1–7, higher is easier)"),
    }
    digits = {"nps": 0, "csat": 0, "ces": 2}
    rows = []
    for score in scores:
        places = digits[score.code]
        if score.is_significant is True:
            verdict = gettext("beyond the noise")
        elif score.is_significant is False:
            verdict = gettext("within the noise")
        elif score.code == "ces":
            verdict = ""
        else:
            verdict = gettext("too few answers to tell")
        rows.append(
            {
                "name": names[score.code],
                "value": _number(score.value, places),
                "interval": (
                    f"{_number(score.interval[0], places)} – {_number(score.interval[1], places)}"
                    if score.interval
                    else ""
                ),
                "note": interval_note(score.interval_reason, score.answers),
                "answers": score.answers,
                "change": _number(score.change, places, signed=True) if score.change is not None else "",
                "verdict": verdict,
                "is_down": score.change is not None and score.change < 0,
            }
        )
    return rows


def _number(value: float | None, places: int, *, signed: bool = False) -> str:
    if value is None:
        return "–"
    text = formats.number_format(round(value, places), places, use_l10n=True)
    return f"+{text}" if signed and value > 0 else text.replace("-", "−")


def digest_render(digest: dict, language: str, *, chart_src: str, unsubscribe_url: str = "") -> dict:
    """Subject, text and HTML of the digest in `language`; `chart_src` is where the HTML finds the
    chart (the email's inline part, or a data: address on the preview page)."""
    with regional_override(language):
        context = {
            **digest,
            "language": language,
            "shop_name": shop_settings().name,
            "score_rows": _score_rows(digest["scores"]),
            "chart_src": chart_src,
            "chart_title": chart_title(digest),
            "unsubscribe_url": unsubscribe_url,
            "base_url": settings.VOZ_PUBLIC_BASE_URL,
            "dashboards_url": settings.VOZ_PUBLIC_BASE_URL + reverse("analytics:satisfaction"),
            "min_answers": metrics.MIN_ANSWERS,
        }
        for topic in context["rising_topics"]:
            topic["name"] = topic["topic"].name(language)
        if digest["frequency"] == DigestFrequency.DAILY:
            subject = gettext("%(shop)s · daily digest for %(day)s") % {
                "shop": shop_settings().name,
                "day": formats.date_format(digest["start"], "SHORT_DATE_FORMAT"),
            }
        else:
            subject = gettext("%(shop)s · weekly digest, %(start)s – %(end)s") % {
                "shop": shop_settings().name,
                "start": formats.date_format(digest["start"], "SHORT_DATE_FORMAT"),
                "end": formats.date_format(digest["end"], "SHORT_DATE_FORMAT"),
            }
        context["subject"] = subject
        return {
            "subject": subject,
            "text": render_to_string("analytics/email/digest.txt", context),
            "html": render_to_string("analytics/email/digest.html", context),
            "body_html": render_to_string("analytics/email/_digest_body.html", context),
        }


def digest_preview(*, frequency: str, language: str, now: datetime | None = None) -> dict:
    """The digest a manager would get for the last closed period, with the chart inline."""
    now = now or timezone.now()
    start, end = digest_window(frequency, timezone.localdate(now))
    digest = digest_build(frequency=frequency, start=start, end=end, now=now)
    with regional_override(language):
        png = digest_chart_png(digest)
    src = "data:image/png;base64," + base64.b64encode(png).decode()
    return {**digest_render(digest, language, chart_src=src), "digest": digest}


# ---------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------
def digests_queue(*, frequency: str, now: datetime | None = None) -> list[int]:
    """Owe every recipient this frequency's last closed period and hand the unsent copies to the
    queue; run again (beat twice, a manual run) it queues only what is still unsent."""
    now = now or timezone.now()
    start, end = digest_window(frequency, timezone.localdate(now))
    ids = []
    for user, _language in digest_recipients(frequency):
        delivery, _ = DigestDelivery.objects.get_or_create(
            user=user, frequency=frequency, period_start=start, defaults={"period_end": end, "created_at": now}
        )
        if delivery.emailed_at is None:
            ids.append(delivery.pk)
    for delivery_id in ids:
        _enqueue(delivery_id)
    return ids


def digests_dispatch_unsent(*, now: datetime | None = None) -> list[int]:
    """Queue again the copies written but not sent in the last day (the broker was down)."""
    now = now or timezone.now()
    ids = list(
        DigestDelivery.objects.filter(
            emailed_at__isnull=True, created_at__lte=now - timedelta(minutes=10), created_at__gt=now - timedelta(days=1)
        ).values_list("pk", flat=True)
    )
    for delivery_id in ids:
        _enqueue(delivery_id)
    return ids


def _enqueue(delivery_id: int) -> None:
    from analytics.tasks import digest_email

    enqueue(digest_email, delivery_id)


def digest_email_send(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Send one manager's copy of one period, once; False when there is nothing to send (sent
    already, or the manager unsubscribed or left meanwhile)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            DigestDelivery.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=delivery_id, emailed_at__isnull=True)
            .first()
        )
        if delivery is None:
            return False
        recipient = next((r for r in digest_recipients(delivery.frequency) if r[0].pk == delivery.user_id), None)
        if recipient is None:
            delivery.delete()  # unsubscribed or no longer a manager since it was queued
            return False
        user, language = recipient
        digest = digest_build(
            frequency=delivery.frequency, start=delivery.period_start, end=delivery.period_end, now=now
        )
        digest_message(digest, language, to=user.email, unsubscribe=unsubscribe_token(user, delivery.frequency)).send()
        delivery.emailed_at = now
        delivery.save(update_fields=["emailed_at"])
    return True


def digest_message(digest: dict, language: str, *, to: str, unsubscribe: str) -> EmailMultiAlternatives:
    """The email: text, HTML whose chart is an inline PNG part (Content-ID), and the headers that let
    a mail program offer a one-click unsubscribe (RFC 8058)."""
    url = settings.VOZ_PUBLIC_BASE_URL + reverse("analytics:digest-unsubscribe", kwargs={"token": unsubscribe})
    rendered = digest_render(digest, language, chart_src=f"cid:{CHART_CID}", unsubscribe_url=url)
    with regional_override(language):
        png = digest_chart_png(digest)
    message = EmailMultiAlternatives(
        rendered["subject"],
        rendered["text"],
        to=[to],
        headers={
            "Content-Language": language,
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(rendered["html"], "text/html")
    message.mixed_subtype = "related"  # the image belongs to the HTML, not a separate attachment
    image = MIMEImage(png, "png")
    image.add_header("Content-ID", f"<{CHART_CID}>")
    image.add_header("Content-Disposition", "inline", filename="digest.png")
    message.attach(image)
    return message
