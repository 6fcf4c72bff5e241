import threading

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    verbose_name = "Voz"
    name = "core"

    def ready(self) -> None:
        # The role groups need every app's permissions, which only exist after migrate; a data
        # migration would run before they are created on a fresh database.
        post_migrate.connect(_sync_roles, dispatch_uid="voz-roles")
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from core import schema  # noqa: F401  (registers the OpenAPI security scheme of API tokens)
        from core.admin_site import admin_site_arrange
        from core.audit import mirror_admin_log_entry

        post_save.connect(mirror_admin_log_entry, sender=LogEntry, dispatch_uid="voz-audit-admin")
        # the admin's autodiscover ran in its own ready(): "django.contrib.admin" is listed first
        admin_site_arrange()
        # a task counts days as the web does: in the zone set on the Settings page
        from celery.signals import task_postrun, task_prerun

        task_prerun.connect(_shop_time_zone, dispatch_uid="voz-shop-time-zone")
        task_postrun.connect(_default_time_zone, dispatch_uid="voz-default-time-zone")


# the zone in force before each running task, restored after it (an eager task runs inside a request)
_zones_before = threading.local()


def _shop_time_zone(**kwargs) -> None:
    from django.utils import timezone

    from core.shop import shop_time_zone_activate

    # the activated zone itself, None when none was (Django's own record; get_current_timezone()
    # would turn "none" into the default and pin it)
    _zones_before.__dict__.setdefault("stack", []).append(getattr(timezone._active, "value", None))
    shop_time_zone_activate()


def _default_time_zone(**kwargs) -> None:
    from django.utils import timezone

    stack = _zones_before.__dict__.get("stack") or [None]
    before = stack.pop()
    if before is None:
        timezone.deactivate()
    else:
        timezone.activate(before)


def _sync_roles(sender, **kwargs) -> None:
    # post_migrate fires once per app; the last of ours is enough.
    if sender.label == "analytics":
        from core.roles import roles_sync

        roles_sync()
