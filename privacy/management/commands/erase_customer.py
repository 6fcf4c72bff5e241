from django.core.management.base import BaseCommand, CommandError

from core.audit import acting_as
from customers.models import Customer
from privacy.services import CustomerAlreadyErased, customer_erase


class Command(BaseCommand):
    help = (
        "Erase a customer's personal data on their request (right to erasure): name, email, comments, review "
        "text and case messages go; orders, scores, ratings and sentiment labels stay, so the dashboards do not "
        "change. Every customer record with the given email is erased."
    )

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--external-id", help="The shop's id of the customer.")
        who.add_argument("--email", help="Every customer with this email address (case-insensitive).")
        parser.add_argument("--reason", default="", help="Kept in the audit log, e.g. the request's reference.")
        parser.add_argument("--dry-run", action="store_true", help="Show who would be erased, change nothing.")

    def handle(self, *args, **options):
        if options["external_id"]:
            customers = Customer.objects.filter(external_id=options["external_id"])
        else:
            customers = Customer.objects.filter(email__iexact=options["email"].strip())
        customers = list(customers.filter(erased_at__isnull=True))
        if not customers:
            raise CommandError("No customer with personal data matches.")
        for customer in customers:
            if options["dry_run"]:
                self.stdout.write(f"Would erase customer {customer.pk} ({customer.external_id}).")
                continue
            try:
                with acting_as("command erase_customer"):
                    report = customer_erase(customer=customer, reason=options["reason"])
            except CustomerAlreadyErased:
                continue
            counts = ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in report.as_dict().items())
            self.stdout.write(self.style.SUCCESS(f"Erased customer {customer.pk} — {counts}."))
