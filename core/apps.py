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


def _sync_roles(sender, **kwargs) -> None:
    # post_migrate fires once per app; the last of ours is enough.
    if sender.label == "analytics":
        from core.roles import roles_sync

        roles_sync()
