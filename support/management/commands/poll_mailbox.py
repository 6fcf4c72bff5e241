from django.core.management.base import BaseCommand, CommandError

from support.mailbox import MailboxError, mailbox_poll


class Command(BaseCommand):
    help = "Take the unread emails of the shop's mailbox (INBOUND_IMAP_*): onto their cases, or in as feedback."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="At most this many emails in one run.")

    def handle(self, *args, limit: int, **options):
        try:
            report = mailbox_poll(limit=limit)
        except MailboxError as error:
            raise CommandError(str(error)) from error
        taken = ", ".join(f"{count} {status}" for status, count in sorted(report.outcomes.items())) or "nothing new"
        self.stdout.write(f"{report.seen} unread: {taken}; {report.failed} failed (left unread).")
