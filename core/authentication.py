from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext
from rest_framework import authentication, exceptions

from core.api_clients import api_client_authenticate
from core.models import ApiClient


class ApiClientUser(AnonymousUser):
    """The request.user of a call made with an API token: authenticated, but no staff member.

    Permissions come from the client's scopes (request.auth), never from Django's user permissions.
    """

    def __init__(self, client: ApiClient):
        self.client = client

    @property
    def is_authenticated(self) -> bool:
        return True

    def __str__(self) -> str:
        return f"api:{self.client.name}"


class ApiClientAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer voz_…` (or `Token voz_…`)."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <token>'.")
        try:
            token = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        client = api_client_authenticate(token)
        if client is None:
            raise exceptions.AuthenticationFailed(gettext("Invalid or revoked token."))
        return ApiClientUser(client), client

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
