"""The project's admin site, the superusers' back office.

- The apps in the order a shop works, and the plumbing (Celery beat's schedules, the NLP model
  registry and analyses, raw permission groups) for superusers only. Managers reach the admin for
  the settings their role grants (calendars, SLA policies, teams...); what only makes sense to
  whoever runs the server is hidden from them, in the index and at its URLs.
- Bulk actions refused by permission: Django hides an action from whoever lacks its
  `allowed_permissions`, but a hand-made POST naming it only earns a "No action selected"
  message. Here that POST is refused with 403, so a refusal is a refusal (and the action sweep
  test can tell it from a success).
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied

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
    "accounts",
    "auth",
    "django_celery_beat",
)
# allauth's social apps hold OAuth client secrets and tokens, its authenticators TOTP secrets and
# recovery codes: internals even for a manager given every permission by hand.
SUPERUSER_ONLY_APPS = {"django_celery_beat", "socialaccount", "mfa"}
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


class VozAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        if getattr(view, "__name__", "") != "changelist_view" or not isinstance(model_admin, admin.ModelAdmin):
            return wrapped

        def checked(request, *args, **kwargs):
            name = request.POST.get("action") if request.method == "POST" else None
            if name and request.user.is_active and request.user.is_staff:
                declared = {action_name for _func, action_name, _desc in model_admin._get_base_actions()}
                if name in declared and name not in model_admin.get_actions(request):
                    raise PermissionDenied
            return wrapped(request, *args, **kwargs)

        return checked


class VozAdminConfig(AdminConfig):
    default_site = "core.admin_site.VozAdminSite"
