"""Staff accounts in a browser (headless Chromium), in Spanish and English, on a phone and a desktop:
an invitation accepted and two-factor set up, a password reset, a lockout and its recovery, and a
sign-in through a small OpenID Connect provider the test starts."""

import re
from pathlib import Path

import pytest
from django.core import mail

from accounts.models import TeamMfaRequirement
from accounts.roles import role_of
from tests.accounts.conftest import PASSWORD, default_team, link_in, staff_create, totp_code
from tests.accounts.oidc_provider import OidcProvider, provider_settings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVICES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}, "is_mobile": False},
}
TEXT = {
    "es": {
        "sign_in": "Entrar",
        "locked": "Demasiados intentos fallidos",
        "reset_button": "Restablecer mi contraseña",
        "ready": "Tu cuenta está lista",
        "must_set_up": "Configura la autenticación de dos factores para continuar",
        "sso": "Entrar con Acme SSO",
        "reset_subject": "contraseña",
    },
    "en": {
        "sign_in": "Sign in",
        "locked": "Too many failed login attempts",
        "reset_button": "Reset My Password",
        "ready": "Your account is ready",
        "must_set_up": "Set up two-factor authentication to continue",
        "sso": "Sign in with Acme SSO",
        "reset_subject": "Password Reset",
    },
}
# Each flow in each language and on each device, in pairs: Spanish, the longer, on the narrow
# phone, where a word too long would push the page sideways; English on the desktop. What differs
# by device (the folded menu) does not depend on the language, nor the other way round, so the
# other two pairs ran the same code again (about 40 s of browser time per run).
CASES = [("es", "phone"), ("en", "desktop")]


@pytest.fixture
def browse(chromium):
    """A fresh browser (no cookies) in a language, on a device; close them all at the end."""
    contexts = []

    def open_page(language: str, device: str):
        context = chromium.new_context(
            **DEVICES[device], device_scale_factor=1, extra_http_headers={"Accept-Language": language}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name: str, language: str, device: str) -> None:
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} overflows sideways"
    page.screenshot(path=SCREENSHOTS / f"accounts-{name}-{language}-{device}.png", full_page=True)


def at(path: str, *, query: bool = False) -> re.Pattern:
    """The page at exactly this path (a glob would also match ?next=/path/ on the sign-in page)."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}" + (r"(\?.*)?$" if query else "$"))


def sign_in(page, base_url: str, login: str, password: str = PASSWORD, next_url: str = "/support/") -> None:
    page.goto(f"{base_url}/admin/login/?next={next_url}")  # the old address still leads there
    page.fill("#id_login", login)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form.auth-form button[type=submit]")


@pytest.mark.parametrize("language, device", CASES)
def test_an_invited_colleague_sets_a_password_and_signs_in_with_an_authenticator_app(
    live_server, browse, language, device
):
    team = default_team()
    staff_create("marta", "manager")
    TeamMfaRequirement.objects.create(team=team)
    text = TEXT[language]

    # the manager invites a colleague into the team
    manager_page = browse(language, device)
    sign_in(manager_page, live_server.url, "marta", next_url="/staff/accounts/")
    manager_page.wait_for_url(at("/staff/accounts/"))
    manager_page.fill("#id_email", "lucia@voz.example")
    manager_page.select_option("#id_role", "agent")
    manager_page.select_option("#id_team", str(team.pk))
    manager_page.select_option("#id_language", language)
    manager_page.click("form.invite-form button[type=submit]")
    manager_page.wait_for_selector("table.invitations")
    assert "lucia@voz.example" in manager_page.locator("table.invitations").inner_text()
    (email,) = mail.outbox

    # the colleague opens the link, chooses a password and signs in
    page = browse(language, device)
    page.goto(link_in(email.body).replace("https://voz.example", live_server.url))
    shot(page, "invitation", language, device)
    page.fill("#id_first_name", "Lucía")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(at("/accounts/login/"))
    assert text["ready"] in page.locator(".flash").inner_text()
    shot(page, "login", language, device)
    page.fill("#id_login", "lucia@voz.example")
    page.fill("#id_password", PASSWORD)
    page.click("form.auth-form button[type=submit]")

    # the team requires two-factor: nothing else opens until an authenticator app is set up
    page.wait_for_url(at("/accounts/2fa/"))
    assert text["must_set_up"] in page.locator(".flash").inner_text()
    page.click("a[href='/accounts/2fa/totp/activate/']")
    page.wait_for_url(at("/accounts/reauthenticate/", query=True))  # allauth asks for the password again first
    page.fill("#id_password", PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(at("/accounts/2fa/totp/activate/"))
    shot(page, "2fa-setup", language, device)
    secret = page.input_value("#authenticator_secret")
    page.fill("#id_code", totp_code(secret))
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/2fa/(recovery-codes/)?$"))
    page.goto(f"{live_server.url}/support/")
    assert page.url.endswith("/support/")

    # signing out, then in again: the password alone is not enough any more
    if page.locator(".menu-toggle").is_visible():  # on a phone "My account" sits in the folded menu
        page.click(".menu-toggle")
    page.click(".account-menu summary")  # under the person's name
    page.click("a[href='/accounts/2fa/']")
    page.click("nav.account-nav form[action='/accounts/logout/'] button")
    page.wait_for_url(at("/accounts/login/"))
    sign_in(page, live_server.url, "lucia@voz.example")
    page.wait_for_url(at("/accounts/2fa/authenticate/", query=True))
    page.fill("#id_code", totp_code(secret, step=1))  # this period's code was spent on the set-up
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(at("/support/"))

    # the manager sees the new colleague's account and sign-ins
    manager_page.goto(f"{live_server.url}/staff/accounts/")
    assert "lucia@voz.example" in manager_page.locator("table.staff-accounts").inner_text()
    shot(manager_page, "staff", language, device)
    with manager_page.expect_navigation():
        manager_page.click("table.staff-accounts a:text('lucia')")
    assert manager_page.locator("table.sign-ins tbody tr").count() == 2
    shot(manager_page, "sign-ins", language, device)


@pytest.mark.parametrize("language, device", CASES)
def test_a_forgotten_password_is_reset_by_email(live_server, browse, language, device):
    staff_create("alberto", language=language)
    text = TEXT[language]
    page = browse(language, device)

    page.goto(f"{live_server.url}/accounts/login/")
    page.click("form.auth-form a[href='/accounts/password/reset/']")
    page.fill("#id_email", "alberto@voz.example")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(at("/accounts/password/reset/done/"))
    (email,) = mail.outbox
    assert text["reset_subject"].lower() in email.subject.lower()

    page.goto(link_in(email.body))
    page.fill("#id_password1", "Otra-Clave-Larga-42")
    page.fill("#id_password2", "Otra-Clave-Larga-42")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(at("/accounts/password/reset/key/done/"))
    sign_in(page, live_server.url, "alberto", "Otra-Clave-Larga-42")
    page.wait_for_url(at("/support/"))


@pytest.mark.parametrize("language, device", CASES)
def test_after_repeated_failures_the_account_is_locked_and_a_reset_recovers_it(live_server, browse, language, device):
    staff_create("alberto", language=language)
    text = TEXT[language]
    page = browse(language, device)
    for attempt in range(5):
        sign_in(page, live_server.url, "alberto", f"wrong-{attempt}")
        assert "/accounts/login/" in page.url

    sign_in(page, live_server.url, "alberto")  # the right password, too late
    page.wait_for_selector(f"form.auth-form :text('{text['locked']}')")
    assert "/accounts/login/" in page.url
    shot(page, "locked", language, device)

    page.click("form.auth-form a[href='/accounts/password/reset/']")
    page.fill("#id_email", "alberto@voz.example")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(at("/accounts/password/reset/done/"))
    page.goto(link_in(mail.outbox[0].body))
    page.fill("#id_password1", "Otra-Clave-Larga-42")
    page.fill("#id_password2", "Otra-Clave-Larga-42")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(at("/accounts/password/reset/key/done/"))
    sign_in(page, live_server.url, "alberto", "Otra-Clave-Larga-42")
    page.wait_for_url(at("/support/"))


@pytest.mark.parametrize("language, device", CASES)
def test_a_colleague_signs_in_with_the_companys_openid_connect_provider(
    live_server, browse, settings, django_user_model, language, device
):
    with OidcProvider() as provider:
        provider_settings(settings, provider, {"voz-agents": "agent", "voz-managers": "manager"})
        provider.person = {**provider.person, "groups": ["voz-managers"]}
        page = browse(language, device)

        page.goto(f"{live_server.url}/accounts/login/?next=/dashboards/satisfaction/")
        page.get_by_role("button", name=TEXT[language]["sso"]).click()
        page.wait_for_url(at("/dashboards/satisfaction/"))

    user = django_user_model.objects.get(email="ana@voz.example")
    assert role_of(user) == "manager"
    assert any(path.startswith("/authorize") for path in provider.requests)


@pytest.mark.parametrize("language, device", CASES)
def test_a_passkey_is_added_and_then_asked_for_at_sign_in(live_server, browse, settings, language, device):
    from allauth.mfa.models import Authenticator

    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # the live server speaks plain HTTP on localhost
    user = staff_create("alberto", language=language)
    page = browse(language, device)
    # a virtual authenticator in Chromium plays the phone's or laptop's passkey
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    sign_in(page, live_server.url, "alberto", next_url="/accounts/2fa/webauthn/add/")
    page.wait_for_url(at("/accounts/reauthenticate/", query=True))
    page.fill("#id_password", PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(at("/accounts/2fa/webauthn/add/"))
    page.fill("#id_name", "Portátil")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(re.compile(r".*/accounts/2fa/(webauthn/|recovery-codes/)?$"))
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).exists()

    page.goto(f"{live_server.url}/accounts/2fa/")
    page.click("nav.account-nav form[action='/accounts/logout/'] button")
    page.wait_for_url(at("/accounts/login/"))
    sign_in(page, live_server.url, "alberto")
    page.wait_for_url(at("/accounts/2fa/authenticate/", query=True))
    page.click("#mfa_webauthn_authenticate")
    page.wait_for_url(at("/support/"))
