from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    """The staff's own pages around the work: home by role, the first steps, the shop's settings."""

    name = "staff"
    verbose_name = _("Staff workspace")
