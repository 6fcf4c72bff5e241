"""The reference for a survey submission in bench/load.py: the least a durable write can be in Voz.

The same request as a submission (POST /s/<token>/ with its form and CSRF cookie) goes through
Voz's own settings and middleware stack (bench/reference_settings.py) on the same gunicorn
settings, and the view commits one INSERT of a row shaped like a survey response, in a table with
the response table's columns and indexes (no foreign keys: the row belongs to no invitation).
What a submission does beyond that (find the invitation, check the answers, store them and their
feedback items, queue the analysis) is what the ratio between the two measures.
"""

from django.db import connection, transaction
from django.http import HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

TABLE = "bench_reference_response"


def reference_table_create() -> None:
    """The response table's columns, defaults and indexes, its invitation left empty (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (LIKE surveys_response INCLUDING ALL)")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN invitation_id DROP NOT NULL")


@require_POST
def response_row_insert(request, token: str):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (survey_id, submitted_at, language, user_agent) VALUES (%s, %s, %s, %s)",
            [1, timezone.now(), "es", request.headers.get("User-Agent", "")[:400]],
        )
    return HttpResponseRedirect(f"/s/{token}/thanks/?lang=es")


urlpatterns = [path("s/<str:token>/", response_row_insert)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
