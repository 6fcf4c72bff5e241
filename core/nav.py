"""The staff navigation: one list of sections, each shown when its page exists and the person may
open it.

A section names the URL names its page may have; the first that resolves is used, and a section
whose page is not installed (yet) is left out rather than linking to a 404. So a page added later
appears in every staff page's menu by getting one of these names, with no template to edit.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from core.roles import AGENTS, MANAGERS


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_names: tuple[str, ...] = ()
    permission: str = ""
    children: tuple["Section", ...] = field(default=())
    # the `nav` of pages reached from this section (the connectors from Settings)
    also: tuple[str, ...] = ()


NAV = (
    Section("home", _("Home"), ("staff:home",)),
    Section("inbox", _("Inbox"), ("support:inbox",), "support.view_case"),
    Section("feed", _("Feedback"), ("feedback:feed",), "feedback.view_feedbackitem"),
    Section(
        "dashboards",
        _("Dashboards"),
        permission="analytics.view_dashboards",
        children=(
            Section("satisfaction", _("Satisfaction"), ("analytics:satisfaction",)),
            Section("topics", _("Topics"), ("analytics:topics",)),
            Section("sla", _("SLA"), ("analytics:service",)),
            Section("retention", _("Retention"), ("analytics:retention",)),
            Section("competitors", _("Competitors"), ("brands:comparison",)),
        ),
    ),
    Section("customers", _("Customers"), ("customers:list", "customers:index"), "customers.view_customer"),
    Section("surveys", _("Surveys"), ("survey-editor:list", "surveys:list", "surveys:editor"), "surveys.change_survey"),
    Section("reviews", _("Reviews"), ("reviews:list", "reviews:index", "reviews:moderation"), "reviews.view_review"),
    Section("alerts", _("Alerts"), ("analytics:alerts", "alerts:list", "alerts:index"), "analytics.view_alertrule"),
    Section("winback", _("Win-back"), ("support:winback",), "support.change_winbacktemplate"),
    Section("staff", _("Staff"), ("accounts:staff",), "support.change_team"),
    Section("settings", _("Settings"), ("staff:settings",), "core.change_shopsettings", also=("connectors",)),
)


def url_for(names: tuple[str, ...]) -> str:
    """The first of these URL names that exists, or ""."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _visible(section: Section, user) -> dict | None:
    if section.permission and not user.has_perm(section.permission):
        return None
    children = [item for child in section.children if (item := _visible(child, user))]
    url = url_for(section.url_names) if section.url_names else (children[0]["url"] if children else "")
    if not url:
        return None
    return {"key": section.key, "label": section.label, "url": url, "children": children, "section": section}


def _mark_current(items: list[dict], current: str, path: str) -> bool:
    """Mark the item the page belongs to: named by the view's `nav`, else the longest address
    the path starts with (/home/settings/ is Settings, not Home at /home/)."""
    by_key = [item for item in items if current and current in (item["key"], *item["section"].also)]
    by_path = sorted(
        (item for item in items if not item["children"] and path.startswith(item["url"])),
        key=lambda item: len(item["url"]),
    )
    for item in items:
        item["is_current"] = _mark_current(item["children"], current, path) if item["children"] else False
    chosen = by_key[0] if by_key else (by_path[-1] if by_path else None)
    if chosen is not None:
        chosen["is_current"] = True
    return any(item["is_current"] for item in items)


def nav_for(user, current: str = "", path: str = "") -> list[dict]:
    """The sections this person may open; `current` (a view's `nav`) or the path marks where they are."""
    items = [item for section in NAV if (item := _visible(section, user))]
    _mark_current(items, current, path)
    return items


def role_label(user) -> str:
    if user.is_superuser:
        return str(_("Administrator"))
    names = {group.name for group in user.groups.all()}
    if MANAGERS in names:
        return str(_("Manager"))
    if AGENTS in names:
        return str(_("Support agent"))
    return str(_("Staff"))
