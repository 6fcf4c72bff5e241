"""Why a case has its priority: stored as factors (codes and numbers), put into words when read.

A case is opened by a worker in the shop's default language and read later by staff in theirs, and
through the API by clients that send their own Accept-Language. So `Case.priority_factors` keeps no
sentences, only what each factor is and its numbers:

    [{"code": "strength", "points": 2, "reasons": [{"code": "nps", "value": 2}]},
     {"code": "customer_value", "points": 2, "orders": 7, "total": "1234.56", "currency": "EUR"},
     {"code": "total", "points": 4, "priority": "high"}]

and `factor_lines` writes them in the active language, with numbers rounded for people and
formatted for the locale ("order value 1.234,56 EUR"). A factor of an unknown code (written by a
newer version) is skipped rather than shown raw; "note" holds a text from before the factors, shown
as it was written.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext

from support.models import Priority


# -- the reasons one complaint counts as a complaint -------------------------------------------
def reason(code: str, value: float | int | None = None) -> dict:
    return {"code": code} if value is None else {"code": code, "value": value}


def reason_text(entry: dict) -> str:
    code, value = entry.get("code"), entry.get("value")
    if code == "nps":
        return gettext("NPS %(score)s") % {"score": value}
    if code == "csat":
        return gettext("CSAT %(score)s") % {"score": value}
    if code == "review":
        return gettext("%(stars)s★ review") % {"stars": value}
    if code == "app_review":
        return gettext("%(stars)s★ app-store review") % {"stars": value}
    if code == "negative":
        return gettext("negative sentiment: %(confidence)s") % {"confidence": _decimal(value, 2)}
    if code == "negative_staff":
        return gettext("negative, as marked by staff")
    return ""


def reasons_text(entries) -> str:
    # events written before the reasons were codes hold sentences: shown as they are
    return "; ".join(filter(None, (reason_text(e) if isinstance(e, dict) else str(e) for e in entries or [])))


# -- the factors of the priority ----------------------------------------------------------------
def _decimal(value, places: int) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return number_format(number.quantize(Decimal(1).scaleb(-places)), decimal_pos=places)


def _priority_label(code: str) -> str:
    return str(Priority(code).label) if code in Priority.values else code


def factor_text(factor: dict) -> str:
    code, points = factor.get("code"), factor.get("points", 0)
    if code == "strength":
        return gettext("+%(points)s strong complaint (%(reasons)s)") % {
            "points": points,
            "reasons": reasons_text(factor.get("reasons")),
        }
    if code == "reach":
        return gettext("+%(points)s public reach: %(followers)s followers") % {
            "points": points,
            "followers": number_format(factor.get("followers", 0), force_grouping=True),
        }
    if code == "customer_value":
        orders = factor.get("orders", 0)
        return ngettext(
            "+%(points)s customer value: %(orders)s order, order value %(total)s %(currency)s",
            "+%(points)s customer value: %(orders)s orders, order value %(total)s %(currency)s",
            orders,
        ) % {
            "points": points,
            "orders": number_format(orders),
            "total": _decimal(factor.get("total", 0), 2),
            "currency": factor.get("currency", ""),
        }
    if code == "repeat":
        return gettext("+%(points)s repeat complaint") % {"points": points}
    if code == "total":
        return gettext("= %(points)s points → %(priority)s") % {
            "points": points,
            "priority": _priority_label(factor.get("priority", "")),
        }
    if code == "opened_by_hand":
        return gettext("Set to %(priority)s when opened by hand") % {
            "priority": _priority_label(factor.get("priority", ""))
        }
    if code == "set_by":
        return gettext("Set to %(priority)s by %(person)s") % {
            "priority": _priority_label(factor.get("priority", "")),
            "person": factor.get("actor", ""),
        }
    if code == "followup":
        return gettext("Follow-up answer %(score)s of 5 on case #%(case)s, closed on %(date)s") % {
            "score": factor.get("score"),
            "case": factor.get("case"),
            "date": _date(factor.get("closed_on", "")),
        }
    if code == "note":
        return factor.get("text", "")
    return ""


def _date(iso: str) -> str:
    try:
        return date_format(date.fromisoformat(iso), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        return str(iso)


def factor_lines(factors) -> list[str]:
    """The case's priority explained, one line per factor, in the active language."""
    return [text for text in (factor_text(f) for f in factors or [] if isinstance(f, dict)) if text]
