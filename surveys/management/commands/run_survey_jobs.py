from django.core.management.base import BaseCommand

from surveys import services


class Command(BaseCommand):
    help = (
        "Run the periodic survey jobs once: create due invitations, send unsent ones, send reminders, "
        "expire old links. Beat does this on a schedule; use this without a broker or from cron."
    )

    def handle(self, *args, **options):
        created = services.invitations_schedule_due()
        dispatched = services.invitations_dispatch_unsent()
        reminded = sum(services.invitation_remind(invitation_id=pk) for pk in services.invitations_due_for_reminder())
        expired = services.invitations_expire()
        self.stdout.write(
            f"Invitations created: {len(created)}, re-queued: {len(dispatched)}, "
            f"reminders sent: {reminded}, expired: {expired}"
        )
