"""Statements on the hottest paths, prepared once per database connection (PostgreSQL only).

Django binds parameters on the client and sends every statement as new text, so PostgreSQL
parses and plans it each time: for a survey submission that was ~40 % of the database's CPU.
A psycopg cursor with server-side binding can prepare a statement once per connection and then
only execute it. The rest of the project keeps Django's cursors; only statements run hundreds of
times a second, with a fixed shape, belong here.
"""

import psycopg
from django.conf import settings
from django.db import connection

_ONLY_WHEN_ASKED = 2**31 - 1


def fetchone_prepared(sql: str, params: dict) -> tuple | None:
    """Run `sql` (psycopg %(name)s placeholders; cast each one, since the server sees types)."""
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off. Django's own cursors bind on the client and never
        # prepare, so allowing it changes nothing for them: only statements run here with
        # prepare=True are prepared, never any other by repetition.
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    # wrap_database_errors turns psycopg's errors into Django's (IntegrityError, OperationalError)
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=settings.DATABASE_PREPARED_STATEMENTS)
        return cursor.fetchone()
