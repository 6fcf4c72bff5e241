import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.audit import audit
from core.exceptions import ApplicationError
from core.models import ApiClient, Scope
from core.shop import shop_settings

TOKEN_PREFIX = "voz"
# Touching last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidScopes(ApplicationError):
    code = "invalid_scopes"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise InvalidScopes(f"Unknown scopes: {', '.join(unknown)}", extra={"scopes": unknown})
    return sorted(set(scopes))


@transaction.atomic
def api_client_create(*, name: str, scopes: list[str], owner=None, owner_language: str = "") -> tuple[ApiClient, str]:
    """Create a client and return it with its token, which is never retrievable again. Its owner
    is written to in `owner_language`, the shop's language when none is given."""
    prefix, token = _new_token()
    client = ApiClient.objects.create(
        name=name,
        scopes=_check_scopes(scopes),
        token_prefix=prefix,
        token_digest=token_digest(token),
        owner=owner,
        owner_language=owner_language or shop_settings().default_language,
    )
    audit("api_client.create", client, summary=name, details={"scopes": client.scopes})
    return client, token


@transaction.atomic
def api_client_rotate_token(*, client: ApiClient) -> str:
    """Replace the token at once; the old one stops working with this commit."""
    prefix, token = _new_token()
    client.token_prefix = prefix
    client.token_digest = token_digest(token)
    client.save(update_fields=["token_prefix", "token_digest"])
    audit("api_client.rotate_token", client, summary=client.name)
    return token


def api_client_authenticate(token: str) -> ApiClient | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    client = ApiClient.objects.filter(token_prefix=parts[1], is_active=True).first()
    if client is None or not hmac.compare_digest(client.token_digest, token_digest(token)):
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client
