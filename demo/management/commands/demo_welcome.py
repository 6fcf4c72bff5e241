"""The short box `make run` prints once the server is up: where to go, who to log in as, a survey."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from surveys.models import Invitation

# The demo's logins (demo.seed creates the staff, `make run` the admin); each shown only if present.
DEMO_LOGINS = (
    ("manager", "manager", "manager"),
    ("agente", "agente", "support agent"),
    ("admin", "admin", "superuser, /admin/"),
)


class Command(BaseCommand):
    help = "Print the URL, the demo logins and a live survey link in a box."

    def handle(self, *args, **options) -> None:
        base = settings.VOZ_PUBLIC_BASE_URL
        users = set(
            get_user_model()
            .objects.filter(username__in=[name for name, _p, _r in DEMO_LOGINS])
            .values_list("username", flat=True)
        )
        survey = (
            Invitation.objects.filter(status=Invitation.Status.SENT, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        lines = [f"Voz is running: {base}/", ""]
        lines += [f"  {name} / {password}  ({role})" for name, password, role in DEMO_LOGINS if name in users]
        lines += ["", "A customer's survey:", f"  {survey.url}" if survey else "  (none open: run make seed)"]
        lines += ["", "Logs: var/log/   Stop: Ctrl+C"]
        width = max(len(line) for line in lines)
        self.stdout.write("┌" + "─" * (width + 2) + "┐")
        for line in lines:
            self.stdout.write(f"│ {line.ljust(width)} │")
        self.stdout.write("└" + "─" * (width + 2) + "┘")
