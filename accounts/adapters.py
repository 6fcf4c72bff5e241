"""How allauth behaves for Voz's staff: no self sign-up, the client address as Voz sees it, emails
in the recipient's language, and every sign-in and password change in the audit log.

Single sign-on: the provider's groups claim decides the role, at every sign-in.
"""

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import render

from accounts.roles import ADMIN, AGENT, MANAGER, role_assign
from core.audit import audit
from core.shop import regional_override, shop_settings
from core.throttling import client_address


def _account_named(login: str):
    """The account a sign-in attempt names, by username or email; None for an unknown one."""
    if not login:
        return None
    User = get_user_model()
    return User.objects.filter(username__iexact=login).first() or User.objects.filter(email__iexact=login).first()


def _language_of(user) -> str:
    """Their profile's language; the shop's for an account without one (made in the admin), as
    support.notify does: never the server's."""
    profile = getattr(user, "staff_profile", None) if user is not None else None
    return profile.language if profile is not None else shop_settings().default_language


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False  # colleagues are invited (accounts.services.invitation_create)

    def get_client_ip(self, request) -> str:
        # the same address the rate limits and the audit log use, trusting only our own proxies
        return client_address(request) or "0.0.0.0"

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # One counter per account, whichever of its names is typed (username or email), so the
        # failures add up and a password reset (which clears the key of the address) lifts the
        # lock; a name no account has gets a counter of its own, locked the same way.
        login = credentials.get("email", credentials.get("username", ""))
        user = _account_named(login)
        return f"user:{user.pk}" if user is not None else f"login:{login.lower()}"

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            user = _account_named(credentials.get("username") or credentials.get("email") or "")
            if user is not None:
                audit("auth.sign_in_locked", user, summary=user.get_username(), actor=None)
            raise

    def authentication_failed(self, request, **credentials) -> None:
        user = _account_named(credentials.get("username") or credentials.get("email") or "")
        # An unknown name is recorded without it: people type their password into it by mistake.
        audit(
            "auth.sign_in_failed",
            user,
            summary=user.get_username() if user else "",
            details={} if user else {"unknown_account": True},
        )

    def login(self, request, user) -> None:
        super().login(request, user)
        audit("auth.sign_in", user, summary=user.get_username(), actor=user)

    def set_password(self, user, password: str) -> None:
        super().set_password(user, password)
        audit("account.password_set", user, summary=user.get_username(), actor=user)

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        with regional_override(_language_of(user)):
            super().send_password_reset_mail(user, email, context)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth signs its emails with the host the request came in on ("Hello from 10.0.0.5!");
        # staff know their shop's name and Voz's public address
        shop_site = SimpleNamespace(name=shop_settings().name, domain=urlsplit(settings.VOZ_PUBLIC_BASE_URL).netloc)
        super().send_mail(template_prefix, email, {"current_site": shop_site, **context})

    def send_notification_mail(self, template_prefix, user, context=None, email=None) -> None:
        with regional_override(_language_of(user)):
            super().send_notification_mail(template_prefix, user, context, email)


def role_from_claims(claims: dict) -> str | None:
    """The highest Voz role any of the person's groups maps to; None: not staff."""
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    roles = {settings.OIDC_ROLE_GROUPS.get(str(group)) for group in groups}
    for role in (ADMIN, MANAGER, AGENT):
        if role in roles:
            return role
    return None


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin) -> None:
        from allauth.socialaccount.providers.openid_connect.provider import _pick_data

        role = role_from_claims(_pick_data(sociallogin.account.extra_data))
        if role is None:
            audit("auth.sign_in_failed", sociallogin.user if sociallogin.is_existing else None, details={"sso": True})
            raise ImmediateHttpResponse(render(request, "accounts/sso_refused.html", status=403))
        sociallogin.state["voz_role"] = role
        if sociallogin.is_existing:
            role_assign(sociallogin.user, role)

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True  # a person the provider puts in a mapped group gets an account

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        role_assign(user, sociallogin.state["voz_role"])
        audit("account.create_sso", user, summary=user.get_username(), actor=user)
        return user
