from django.core.management.base import BaseCommand

from support import notify, services


class Command(BaseCommand):
    help = (
        "Run the periodic support jobs once: the SLA check (warnings, breaches, escalations) and the "
        "notification outbox. Beat does this every minute; use this without a broker or from cron."
    )

    def handle(self, *args, **options):
        announced = services.sla_check()
        sent = notify.deliveries_send_due()
        self.stdout.write(f"SLA notices: {announced}, notifications sent: {sent}")
