"""The staff roles, as Django groups: what each may see and change.

Support agents work the inbox (their teams' cases) and the feedback feed; managers also read
everything, see the dashboards and edit the settings that shape triage and analysis (topics,
SLA policies, calendars, teams, alert and moderation rules). Admins are superusers. Customers
never log in: their survey token is their only key. API clients hold scoped tokens.
"""

from django.contrib.auth.management import create_permissions

AGENTS = "Support agents"
MANAGERS = "Managers"

PROJECT_APPS = ("customers", "surveys", "feedback", "sentiment", "reviews", "social", "support", "analytics")

AGENT_PERMISSIONS = {
    "feedback.view_feedbackitem",
    "feedback.change_feedbackitem",  # correct a sentiment label
    "support.view_case",
    "support.change_case",
    "support.view_casemessage",
    "support.add_casemessage",
    "support.view_team",
    "customers.view_customer",
    "customers.view_order",
    "reviews.view_review",
    "reviews.view_reviewreply",
    "reviews.add_reviewreply",
    "social.view_mention",
    "surveys.view_response",
    "surveys.view_answer",
    "sentiment.view_topic",
}

MANAGER_SETTINGS = (
    "sentiment.topic",
    "support.slapolicy",
    "support.businesscalendar",
    "support.workingperiod",
    "support.holiday",
    "support.team",
    "support.complaintrules",
    "analytics.alertrule",
    "reviews.moderationrule",
)

MANAGER_EXTRA = {
    "analytics.view_dashboards",
    "support.view_all_cases",
    *(
        f"{model.split('.')[0]}.{action}_{model.split('.')[1]}"
        for model in MANAGER_SETTINGS
        for action in ("add", "change", "delete", "view")
    ),
}


def roles_sync(apps=None, **_kwargs) -> None:
    """Create or complete the role groups; safe to run at every migrate."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(names: set[str]):
        wanted = {tuple(name.split(".", 1)) for name in names}
        found = [
            perm
            for perm in Permission.objects.select_related("content_type")
            if (perm.content_type.app_label, perm.codename) in wanted
        ]
        return found

    views = {
        f"{perm.content_type.app_label}.{perm.codename}"
        for perm in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=PROJECT_APPS, codename__startswith="view_"
        )
    }
    agents, _ = Group.objects.get_or_create(name=AGENTS)
    agents.permissions.add(*permissions(AGENT_PERMISSIONS))
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*permissions(AGENT_PERMISSIONS | MANAGER_EXTRA | views))
