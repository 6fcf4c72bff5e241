"""The audit trail of staff and API-client actions.

`audit(action, target)` is called by the services where people act. Who acted is taken from the
request being served (a middleware keeps it in a context variable): a logged-in user, or an API
client once DRF has authenticated it (DRF copies `user` and `auth` onto the Django request).
Outside a request (Celery, commands) the actor is passed in or recorded as "system".
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Model
from django.utils.functional import Promise

from core.models import ApiClient, AuditEvent
from core.throttling import client_address

_current_request: ContextVar = ContextVar("voz_audit_request", default=None)
_actor_override: ContextVar = ContextVar("voz_audit_actor", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


@contextmanager
def acting_as(label: str):
    """For commands: record actions as done by `label` (e.g. "command erase_customer")."""
    token = _actor_override.set(label)
    try:
        yield
    finally:
        _actor_override.reset(token)


def _actor(explicit_user) -> tuple[object | None, str, str | None]:
    request = _current_request.get()
    ip = _ip()
    if explicit_user is not None and getattr(explicit_user, "is_authenticated", False) and explicit_user.pk:
        return explicit_user, explicit_user.get_username(), ip
    if request is not None:
        client = getattr(request, "auth", None)
        if isinstance(client, ApiClient):
            return None, f"API: {client.name} ({client.token_prefix})", ip
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.pk:
            return user, user.get_username(), ip
    return None, _actor_override.get() or "system", ip


def audit(
    action: str,
    target: Model | None = None,
    *,
    summary: str = "",
    actor=None,
    people_only: bool = False,
    details: dict | None = None,
) -> AuditEvent | None:
    """Record an action. With people_only, what the system does by itself (a sweep, a task) is
    not recorded: the case's own event history already holds it."""
    user, label, ip = _actor(actor)
    if people_only and user is None and label == "system":
        return None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label[:160],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=str(summary),
        details=_plain(details or {}),
        ip_address=ip,
    )


def _plain(value):
    """What JSON can hold: a translatable string (gettext_lazy) is stored as the text it reads now,
    so a caller passing one (an admin action's reason) cannot break the write with a TypeError."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    return value


def mirror_admin_log_entry(sender, instance, created, **kwargs) -> None:
    """The Django admin logs its own additions, changes and deletions; they join the trail."""
    if not created:
        return
    action = {1: "admin.add", 2: "admin.change", 3: "admin.delete"}.get(instance.action_flag, "admin.other")
    AuditEvent.objects.create(
        at=instance.action_time,
        actor=instance.user,
        actor_label=instance.user.get_username()[:160] if instance.user_id else "system",
        action=action,
        target_type=f"{instance.content_type.app_label}.{instance.content_type.model}"
        if instance.content_type_id
        else "",
        target_id=str(instance.object_id or "")[:64],
        summary=f"{instance.object_repr} {instance.get_change_message()}".strip(),
        ip_address=_ip(),
    )


def _ip() -> str | None:
    request = _current_request.get()
    return (client_address(request) or None) if request is not None else None
