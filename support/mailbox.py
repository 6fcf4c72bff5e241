"""Reading the shop's mailbox over IMAP, for shops without an email provider's inbound webhook.

Unread emails are taken one by one (support.inbound_email) and marked read once taken, so an
email that failed stays unread and is tried again at the next poll; taking it twice is harmless,
as emails are deduplicated by Message-ID.
"""

import contextlib
import email
import imaplib
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

from django.conf import settings

from support.inbound_email import inbound_email_receive

logger = logging.getLogger(__name__)


class MailboxError(Exception):
    pass


@dataclass
class PollReport:
    seen: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    failed: int = 0


def _connect() -> imaplib.IMAP4:
    host, port, timeout = settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, settings.INBOUND_IMAP_TIMEOUT_SECONDS
    if not host:
        raise MailboxError("INBOUND_IMAP_HOST is not set: there is no mailbox to read.")
    try:
        if settings.INBOUND_IMAP_SSL:
            connection = imaplib.IMAP4_SSL(host, port, timeout=timeout)
        else:
            connection = imaplib.IMAP4(host, port, timeout=timeout)
        connection.login(settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD)
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"Cannot sign in to {host}:{port} as {settings.INBOUND_IMAP_USER!r}: {error}") from error
    return connection


def _check(result: tuple, what: str) -> list:
    status, data = result
    if status != "OK":
        raise MailboxError(f"IMAP {what} failed: {data!r}")
    return data


def mailbox_poll(*, limit: int = 200) -> PollReport:
    """Take up to `limit` unread emails of INBOUND_IMAP_FOLDER."""
    report = PollReport()
    connection = _connect()
    try:
        _check(connection.select(settings.INBOUND_IMAP_FOLDER), f"SELECT {settings.INBOUND_IMAP_FOLDER}")
        (uids,) = _check(connection.uid("SEARCH", None, "UNSEEN"), "SEARCH UNSEEN")
        for uid in uids.split()[:limit]:
            report.seen += 1
            data = _check(connection.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid!r}")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if raw is None:
                raise MailboxError(f"IMAP FETCH {uid!r} returned no message")
            message: EmailMessage = email.message_from_bytes(raw, policy=default_policy)
            try:
                outcome = inbound_email_receive(message=message, source="imap")
            except Exception:
                # left unread, so the next poll tries it again
                logger.exception("Inbound email %s (IMAP uid %s) could not be taken", message["Message-ID"], uid)
                report.failed += 1
                continue
            report.outcomes[outcome.status] = report.outcomes.get(outcome.status, 0) + 1
            _check(connection.uid("STORE", uid, "+FLAGS", "(\\Seen)"), f"STORE {uid!r}")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
    return report
