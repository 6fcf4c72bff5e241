from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions, permissions

from core.models import ApiClient


class ScopedPermission(permissions.BasePermission):
    """API clients need the view's scope for the method; staff in the browsable API need the
    matching Django model permission instead.

    Views declare `required_scopes = {"GET": "feedback:read", "POST": "feedback:write", …}` and,
    for staff, `staff_permissions` with the same keys (a permission codename or a list of them).
    """

    message = gettext_lazy("This token lacks the scope this endpoint needs.")

    def has_permission(self, request, view) -> bool:
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        if isinstance(request.auth, ApiClient):
            scope = getattr(view, "required_scopes", {}).get(method)
            if scope is None:
                return False
            if not request.auth.has_scope(scope):
                self.message = gettext("This token lacks the “%(scope)s” scope.") % {"scope": scope}
                return False
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        self.message = exceptions.PermissionDenied.default_detail  # a person, not a token: DRF's own words
        needed = getattr(view, "staff_permissions", {}).get(method)
        if needed is None:
            return False
        return user.has_perms([needed] if isinstance(needed, str) else needed)
