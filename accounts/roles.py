"""The Voz roles a staff account can hold, and giving one to an account.

Roles are Django groups (core.roles) plus the superuser flag for admins; an account holds one.
"""

from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from core.roles import AGENTS, MANAGERS

AGENT, MANAGER, ADMIN = "agent", "manager", "admin"
ROLES = (AGENT, MANAGER, ADMIN)
_GROUP_OF = {AGENT: AGENTS, MANAGER: MANAGERS}
ROLE_LABELS = {AGENT: _("Support agent"), MANAGER: _("Manager"), ADMIN: _("Admin")}


def role_of(user) -> str | None:
    if user.is_superuser:
        return ADMIN
    names = {group.name for group in user.groups.all()}
    if MANAGERS in names:
        return MANAGER
    if AGENTS in names:
        return AGENT
    return None


def role_assign(user, role: str) -> None:
    """Give the account exactly this role (and staff access); the caller saves nothing else."""
    if role not in ROLES:
        raise ValueError(role)
    user.is_staff = True
    user.is_superuser = role == ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])
    role_groups = Group.objects.filter(name__in=_GROUP_OF.values())
    user.groups.remove(*role_groups)
    if role in _GROUP_OF:
        user.groups.add(Group.objects.get(name=_GROUP_OF[role]))


def is_manager(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or role_of(user) == MANAGER)
