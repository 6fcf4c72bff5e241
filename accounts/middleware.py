"""Two checks on every staff request, answered from the session so they cost no query.

Idle sessions: a session unused for VOZ_SESSION_IDLE_MINUTES ends. The time of the last request is
kept in the session and written at most once a minute (the session store's own expiry, one minute
longer, moves with it), so a busy page does not write the session on every request.

Two-factor: someone who must use a second factor (accounts.selectors.mfa_required_for) and has none
can only reach the pages that set one up. What was decided is kept in the session: "ok" (has a
factor) is final for the session — removing factors ends the sessions — "free" is looked at again
every few minutes, so a team's new requirement reaches its members quickly, "required" at every
request until it is met.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.selectors import has_mfa, mfa_required_for

SEEN_KEY = "voz_seen"
MFA_KEY = "voz_mfa"
MFA_CHECKED_KEY = "voz_mfa_checked"
SEEN_RESOLUTION = 60
MFA_RECHECK_SECONDS = 300
# Where someone who still has to set up a second factor may go: the account pages (two-factor
# set-up, password, sign-out), the language switch and static files.
MFA_SETUP_PATHS = ("/accounts/", "/i18n/", "/static/")


def _mfa_state(user) -> str:
    if has_mfa(user):
        return "ok"
    return "required" if mfa_required_for(user) else "free"


def session_stamp_on_login(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SEEN_KEY] = now
    request.session[MFA_KEY] = _mfa_state(user)
    request.session[MFA_CHECKED_KEY] = now


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(SEEN_KEY)
            if seen is not None and now - seen > settings.VOZ_SESSION_IDLE_MINUTES * 60:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, _("You were signed out after a while without activity."))
                    return redirect_to_login(request.get_full_path())
            elif seen is None or now - seen >= SEEN_RESOLUTION:
                request.session[SEEN_KEY] = now
        return self.get_response(request)


class MfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._allowed(request):
            state = request.session.get(MFA_KEY)
            now = int(time.time())
            stale = now - request.session.get(MFA_CHECKED_KEY, 0) > MFA_RECHECK_SECONDS
            if state is None or state == "required" or (state == "free" and stale):
                state = _mfa_state(user)
                if request.session.get(MFA_KEY) != state or stale:
                    request.session[MFA_KEY] = state
                    request.session[MFA_CHECKED_KEY] = now
            if state == "required":
                return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _allowed(request) -> bool:
        return request.path.startswith(MFA_SETUP_PATHS)

    @staticmethod
    def _refuse(request):
        message = _("Set up two-factor authentication to continue: your role or team requires it.")
        if request.path.startswith("/api/"):
            return JsonResponse({"type": "mfa_required", "detail": message, "errors": {}}, status=403)
        messages.warning(request, message)
        return redirect("mfa_index")
