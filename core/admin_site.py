"""The admin as the superusers' back office: the apps in the order a shop works, and the plumbing
(Celery beat's schedules, the NLP model registry and analyses, raw permission groups) for superusers only.

Managers reach the admin for the settings their role grants (calendars, SLA policies, teams...);
what only makes sense to whoever runs the server is hidden from them, in the index and at its URLs.
"""

from django.contrib import admin

# The order of the admin index: the daily work first, the plumbing last.
APP_ORDER = (
    "support",
    "feedback",
    "surveys",
    "reviews",
    "social",
    "onsite",
    "customers",
    "brands",
    "sentiment",
    "analytics",
    "integrations",
    "privacy",
    "core",
    "auth",
    "django_celery_beat",
)
SUPERUSER_ONLY_APPS = {"django_celery_beat"}
SUPERUSER_ONLY_MODELS = {
    "auth.group",
    "sentiment.sentimentmodel",
    "sentiment.feedbackanalysis",
}
_PERMISSION_METHODS = (
    "has_module_permission",
    "has_view_permission",
    "has_add_permission",
    "has_change_permission",
    "has_delete_permission",
)


def _for_superusers_only(model_admin) -> None:
    for name in _PERMISSION_METHODS:
        original = getattr(model_admin, name)

        def guarded(request, *args, _original=original, **kwargs):
            return bool(request.user.is_active and request.user.is_superuser and _original(request, *args, **kwargs))

        setattr(model_admin, name, guarded)


def _ordered_app_list(original):
    def get_app_list(request, app_label=None):
        apps = original(request, app_label)
        position = {label: index for index, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (position.get(app["app_label"], len(APP_ORDER)), app["name"]))

    return get_app_list


def admin_site_arrange(site: admin.AdminSite = admin.site) -> None:
    """Run once every admin module is loaded (CoreConfig.ready, after the admin's autodiscover)."""
    for model, model_admin in site._registry.items():
        if model._meta.app_label in SUPERUSER_ONLY_APPS or model._meta.label_lower in SUPERUSER_ONLY_MODELS:
            _for_superusers_only(model_admin)
    site.get_app_list = _ordered_app_list(site.get_app_list)
