"""The staff roles, as Django groups: what each may see and change.

Support agents work the inbox (their teams' cases) and the feedback feed; managers also read
everything, see the dashboards and edit the settings that shape triage and analysis (topics,
SLA policies, calendars, teams, alert and moderation rules) and moderate reviews (an agent may be
given that one permission too). Read-only staff (an auditor, a new hire) see what managers see and
change nothing. Admins are superusers. Customers
never log in: their survey token is their only key. API clients hold scoped tokens.
"""

from django.contrib.auth.management import create_permissions

AGENTS = "Support agents"
MANAGERS = "Managers"
VIEWERS = "Read-only staff"

PROJECT_APPS = (
    "core",
    "onsite",
    "brands",
    "customers",
    "surveys",
    "feedback",
    "sentiment",
    "reviews",
    "social",
    "support",
    "analytics",
    "integrations",
)

AGENT_PERMISSIONS = {
    "feedback.view_feedbackitem",
    "feedback.change_feedbackitem",  # correct a sentiment label
    "support.view_case",
    "support.change_case",
    "support.view_casemessage",
    "support.add_casemessage",
    "support.view_team",
    "support.view_cannedreply",
    "customers.view_customer",
    "customers.view_order",
    "reviews.view_review",
    "reviews.view_reviewreply",
    "reviews.add_reviewreply",
    "social.view_mention",
    "feedback.view_inboundmessage",
    "feedback.view_inboundattachment",
    "surveys.view_response",
    "surveys.view_answer",
    "sentiment.view_topic",
    "onsite.view_webfeedback",
}

MANAGER_SETTINGS = [
    ("sentiment", "topic"),
    ("support", "slapolicy"),
    ("support", "businesscalendar"),
    ("support", "workingperiod"),
    ("support", "holiday"),
    ("support", "team"),
    ("support", "complaintrules"),
    ("analytics", "alertrule"),
    ("reviews", "moderationrule"),
    ("onsite", "site"),
    ("onsite", "intercept"),
    ("customers", "savedsegment"),
    ("brands", "brand"),
    ("support", "winbacktemplate"),
    ("surveys", "defectionreason"),
    ("support", "cannedreply"),
    ("integrations", "connector"),
    # the survey editor (surveys.editor_views): managers shape what customers are asked
    ("surveys", "survey"),
    ("core", "shopsettings"),
]

MANAGER_EXTRA = {
    "analytics.view_dashboards",
    "support.view_all_cases",
    "reviews.moderate_review",
    # sending a webhook again under its own id is harmless to a receiver that drops repeats
    "core.redeliver_webhookdelivery",
    *(f"{app}.{action}_{model}" for app, model in MANAGER_SETTINGS for action in ("add", "change", "delete", "view")),
}

# The keys to the API stay with the admins, like the staff accounts: core is a project app for the
# reads managers get, but its API clients and their webhook endpoints (with signing secrets) are not.
ADMIN_ONLY = {"core.view_apiclient", "core.view_webhookendpoint"}


def roles_sync() -> None:
    """Create or complete the role groups; safe to run at every migrate."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0)
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.select_related("content_type")}
    reads = {
        name for name in by_name if name.split(".")[0] in PROJECT_APPS and name.split(".")[1].startswith("view_")
    } - ADMIN_ONLY
    for group_name, names in (
        (AGENTS, AGENT_PERMISSIONS),
        (MANAGERS, AGENT_PERMISSIONS | MANAGER_EXTRA | reads),
        (VIEWERS, reads),
    ):
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*(by_name[name] for name in names if name in by_name))
