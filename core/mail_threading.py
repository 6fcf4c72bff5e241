"""Signed references that let a customer's email reply find what it answers.

Voz's emails about a case or a survey carry a Message-ID, and a Reply-To on the shop's inbound
mailbox with a plus-address (soporte+case-42-<signature>@tienda.example), both naming the record
with an HMAC of SECRET_KEY. A reply names them back (its To, or In-Reply-To and References), so
threading needs no table of sent ids, and nobody can forge a reply into another customer's case by
guessing a number. Lower-case hex only: some mail systems lower-case the local part.
"""

import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "voz.mail.thread"
KINDS = ("case", "invitation")
_TOKEN = re.compile(r"\b(case|invitation)-(\d{1,18})-([0-9a-f]{20})\b", re.IGNORECASE)


@dataclass(frozen=True)
class ThreadRef:
    kind: str  # "case" or "invitation"
    pk: int


def _signature(kind: str, pk: int) -> str:
    return salted_hmac(SALT, f"{kind}-{pk}").hexdigest()[:20]


def thread_token(kind: str, pk: int) -> str:
    assert kind in KINDS
    return f"{kind}-{pk}-{_signature(kind, pk)}"


def _mail_domain() -> str:
    address = settings.INBOUND_EMAIL_ADDRESS or settings.DEFAULT_FROM_EMAIL
    return address.rsplit("@", 1)[-1].strip(" >") or "voz.localhost"


def reply_address(kind: str, pk: int) -> str:
    """The inbound mailbox with this record's token as plus-address; "" when no mailbox is configured."""
    if not settings.INBOUND_EMAIL_ADDRESS:
        return ""
    local, domain = settings.INBOUND_EMAIL_ADDRESS.rsplit("@", 1)
    return f"{local}+{thread_token(kind, pk)}@{domain}"


def message_id(kind: str, pk: int) -> str:
    """A Message-ID naming the record (random too, as each email needs its own)."""
    return f"<{thread_token(kind, pk)}.{secrets.token_hex(6)}@{_mail_domain()}>"


def thread_find(*candidates: str) -> ThreadRef | None:
    """The first correctly signed reference in these header values (recipients first, then
    In-Reply-To, then References from the newest), or None."""
    for value in candidates:
        for match in _TOKEN.finditer(value or ""):
            kind, pk, signature = match.group(1).lower(), int(match.group(2)), match.group(3).lower()
            if constant_time_compare(signature, _signature(kind, pk)):
                return ThreadRef(kind, pk)
    return None
