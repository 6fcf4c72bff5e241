"""allauth's own admin pages, with its bulk actions asking for the change permission like ours."""

from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from django.contrib import admin

from core.admin import for_who_may_change

admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(AllauthEmailAddressAdmin):
    def _get_base_actions(self):
        return [
            (func if getattr(func, "allowed_permissions", None) else for_who_may_change(func), name, description)
            for func, name, description in super()._get_base_actions()
        ]
