from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import session_stamp_on_login

        # Every way in (allauth's sign-in, SSO, a test's force_login) starts the idle clock, so the
        # first request of a new session does not have to write the session again.
        user_logged_in.connect(session_stamp_on_login, dispatch_uid="accounts.session_stamp_on_login")
