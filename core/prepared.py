"""Statements on the hottest paths: prepared once per database connection (PostgreSQL), and
plain inserts that skip the ORM's per-field work (any database).

Django binds parameters on the client and sends every statement as new text, so PostgreSQL
parses and plans it each time: for the survey link lookup that was ~40 % of the database's CPU.
A psycopg cursor with server-side binding can prepare a statement once per connection and then
only execute it. The rest of the project keeps Django's cursors and the ORM; only statements run
hundreds of times a second, with a fixed shape, belong here.
"""

from collections.abc import Sequence
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import JSONField, Model
from psycopg.types.json import Jsonb

_ONLY_WHEN_ASKED = 2**31 - 1


@contextmanager
def _server_binding_cursor():
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off. Django's own cursors bind on the client and never
        # prepare, so allowing it changes nothing for them: only statements run here with
        # prepare=True are prepared, never any other by repetition.
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    # wrap_database_errors turns psycopg's errors into Django's (IntegrityError, OperationalError)
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        yield cursor


def fetchone_prepared(sql: str, params: dict) -> tuple | None:
    """Run `sql` (psycopg %(name)s placeholders; cast each one, since the server sees types)."""
    with _server_binding_cursor() as cursor:
        cursor.execute(sql, params, prepare=settings.DATABASE_PREPARED_STATEMENTS)
        return cursor.fetchone()


def execute_prepared(sql: str, params: Sequence | dict) -> int:
    """Run a write with a fixed shape; returns the number of rows it touched.

    Parameters travel in binary with `%b` placeholders: for arrays of thousands of values that
    skips the quoting and escaping of every element that client-side binding does in Python.
    """
    with _server_binding_cursor() as cursor:
        cursor.execute(sql, params, prepare=settings.DATABASE_PREPARED_STATEMENTS)
        return cursor.rowcount


def insert_columns(model: type[Model], columns: dict[str, list]) -> None:
    """Insert many rows of `model`, given column by column (attribute name → one value per row).

    On PostgreSQL: one INSERT … SELECT FROM unnest() of binary arrays, with no model instances.
    Django's bulk_create builds an instance per row and binds its arrays on the client, quoting
    every value and escaping every JSON document character by character in Python; for the
    analysis results that was half of the cost of storing them. Elsewhere: bulk_create.
    """
    if not columns or not next(iter(columns.values())):
        return
    if connection.vendor != "postgresql":
        rows = zip(*columns.values(), strict=True)
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return
    fields = {field.attname: field for field in model._meta.concrete_fields}
    types, arrays = [], []
    for name, values in columns.items():
        field = fields[name]
        if isinstance(field, JSONField):
            types.append("jsonb")
            arrays.append([Jsonb(value) for value in values])
        else:
            types.append(field.db_type(connection))
            arrays.append(values)
    names = ", ".join(connection.ops.quote_name(fields[name].column) for name in columns)
    unnest = ", ".join(f"%b::{sql_type}[]" for sql_type in types)
    execute_prepared(f"INSERT INTO {model._meta.db_table} ({names}) SELECT * FROM unnest({unnest})", arrays)


def rows_insert(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence]) -> list[int]:
    """Insert rows of `model` in one INSERT … RETURNING and return their ids, in the rows' order.

    The same statement on PostgreSQL and SQLite (3.35+). Each row gives the values of `columns`
    (attribute names), each prepared by its field as the ORM would; other columns get their
    database default or NULL. For the few rows of a survey submission bulk_create took about four
    times the CPU: it builds an instance per row, prepares every field of the model and, on
    PostgreSQL, binds rows as arrays that psycopg quotes value by value in Python.
    """
    if not rows:
        return []
    database = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is read once per value
    fields = [model._meta.get_field(name) for name in columns]
    quote = database.ops.quote_name
    row = "({})".format(", ".join(["%s"] * len(fields)))
    sql = "INSERT INTO {} ({}) VALUES {} RETURNING {}".format(
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join([row] * len(rows)),
        quote(model._meta.pk.column),
    )
    params = [
        field.get_db_prep_save(value, database) for values in rows for field, value in zip(fields, values, strict=True)
    ]
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]
