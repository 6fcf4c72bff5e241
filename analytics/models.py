from django.db import models
from django.utils.translation import gettext_lazy as _


class DashboardAccess(models.Model):
    """Carries the permission to see the dashboards (managers); it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboards", _("Can see the dashboards (managers)"))]

    def __str__(self) -> str:
        return "dashboards"
