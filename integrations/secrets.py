"""Connector secrets, encrypted at rest with a key derived from SECRET_KEY.

A database dump alone does not give away the keys to the shop. SECRET_KEY_FALLBACKS keep old
secrets readable through a key rotation (MultiFernet tries each key), and re-saving a connector
encrypts again under the current key.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """The secret was encrypted under a SECRET_KEY that is no longer configured."""


def _fernet_for(key: str) -> Fernet:
    digest = hashlib.sha256(f"voz.integrations.connector-secret:{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _fernet() -> MultiFernet:
    return MultiFernet([_fernet_for(key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]])


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("The secret cannot be read with the configured SECRET_KEY.") from error


def secret_hint(secret: str) -> str:
    """The last four characters, enough to tell which key is set without revealing it."""
    return secret[-4:] if len(secret) >= 12 else ""
