"""The project's admin site: Django's, with one rule added for bulk actions.

Django hides an action from whoever lacks its `allowed_permissions`, but a hand-made POST naming
it only earns a "No action selected" message. Here that POST is refused with 403, so a refusal is
a refusal (and the action sweep test can tell it from a success).
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied


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
