"""Who may see customers' email addresses and names outside the staff pages."""

from core.models import ApiClient, Scope


def may_see_personal_data(request) -> bool:
    """API clients need the personal_data:read scope; staff the customers.view_personal_data
    permission (managers and admins have it, agents do not)."""
    if request is None:
        return False
    client = getattr(request, "auth", None)
    if isinstance(client, ApiClient):
        return client.has_scope(Scope.PERSONAL_DATA_READ)
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.has_perm("customers.view_personal_data"))
