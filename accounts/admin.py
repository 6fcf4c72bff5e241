"""allauth's own admin pages, with its bulk actions asking for the change permission like ours."""

from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib import admin

from core.admin import for_who_may_change

admin.site.unregister(EmailAddress)
# allauth's session model names none of its fields for translation, so its admin pages would show
# English in a Spanish back office; staff see their sessions at /accounts/sessions/, and an
# administrator signs a colleague out everywhere from their page under /staff/accounts/.
admin.site.unregister(UserSession)


@admin.register(EmailAddress)
class EmailAddressAdmin(AllauthEmailAddressAdmin):
    def _get_base_actions(self):
        return [
            (func if getattr(func, "allowed_permissions", None) else for_who_may_change(func), name, description)
            for func, name, description in super()._get_base_actions()
        ]
