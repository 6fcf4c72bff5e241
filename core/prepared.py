"""Statements on the hottest paths: prepared once per database connection (PostgreSQL), sent
together in one round trip (statements_run), and plain inserts that skip the ORM's per-field work.

Django binds parameters on the client and sends every statement as new text, so PostgreSQL
parses and plans it each time: for the survey link lookup that was ~40 % of the database's CPU.
A psycopg cursor with server-side binding can prepare a statement once per connection and then
only execute it. statements_run takes the same SQL on every database and runs it on Django's
cursor elsewhere. The rest of the project keeps Django's cursors and the ORM; only statements run
hundreds of times a second, with a fixed shape, belong here.
"""

from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    CharField,
    DateTimeField,
    IntegerField,
    JSONField,
    Model,
    PositiveBigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallAutoField,
    SmallIntegerField,
    TextField,
)
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


class Statement(NamedTuple):
    """A statement with a fixed shape: SQL with `%s` placeholders, the same on every database."""

    sql: str
    params: Sequence
    prepare: bool = True


def statements_run(*statements: Statement, savepoint: bool = True) -> list[list[tuple]]:
    """Run statements in order, all or none; returns the rows each returned (RETURNING), if any.

    On PostgreSQL their values are bound on the server, each statement is prepared once per
    connection (unless it says not to), and several travel together in one round trip (psycopg's
    pipeline mode): a statement may use what an earlier one wrote, not what it returned. Outside
    a transaction that round trip is the transaction: the server commits it once all have run,
    or rolls it back at the first that fails and skips the rest, with no BEGIN and COMMIT of their
    own. Elsewhere they run one by one on Django's cursor in transaction.atomic(), and in a
    caller's transaction they take a savepoint, so a failure never spoils it (savepoint=False: a
    failure fails the caller's transaction, which saves the savepoint's two round trips).
    """
    pipelined = connection.vendor == "postgresql" and len(statements) > 1 and psycopg.Pipeline.is_supported()
    if len(statements) > 1 and (connection.in_atomic_block or not pipelined):
        with transaction.atomic(savepoint=savepoint):
            return _statements_send(statements, pipelined=pipelined)
    return _statements_send(statements, pipelined=pipelined)


def _statements_send(statements: Sequence[Statement], *, pipelined: bool) -> list[list[tuple]]:
    rows = []
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            for sql, params, _prepare in statements:
                cursor.execute(sql, params)
                rows.append(_returned(cursor))
        return rows
    with _server_binding_cursor() as first:
        if not pipelined:
            for statement in statements:
                _send(first, statement)
                rows.append(_returned(first))
            return rows
        cursors = [first, *(psycopg.Cursor(first.connection) for _ in statements[1:])]
        try:
            _pipeline_send(first.connection, zip(cursors, statements, strict=True))
            return [_returned(cursor) for cursor in cursors]
        finally:
            for cursor in cursors[1:]:
                cursor.close()


def _pipeline_send(raw: psycopg.Connection, sends) -> None:
    """Send statements together and raise the error of the first that failed, if one did.

    An error can arrive while statements are still being sent; the pipeline then ends with an
    error of its own for those the server skipped, which says nothing more.
    """
    failure = None
    try:
        with raw.pipeline():
            for cursor, statement in sends:
                try:
                    _send(cursor, statement)
                except psycopg.Error as error:
                    failure = error
                    break
    except psycopg.Error as error:
        failure = failure or error
    if failure is not None:
        raise failure


def _send(cursor: psycopg.Cursor, statement: Statement) -> None:
    cursor.execute(statement.sql, statement.params, prepare=statement.prepare and settings.DATABASE_PREPARED_STATEMENTS)


def _returned(cursor) -> list[tuple]:
    return cursor.fetchall() if cursor.description else []


# Fields whose database value is the Python value itself, for values of exactly this type: the
# ORM's preparation of them (to_python, the backend's adaptation) gives back what it was given.
_AS_IS = {field_class: str for field_class in (CharField, TextField)} | {
    field_class: int
    for field_class in (
        AutoField,
        BigAutoField,
        SmallAutoField,
        IntegerField,
        BigIntegerField,
        SmallIntegerField,
        PositiveIntegerField,
        PositiveBigIntegerField,
        PositiveSmallIntegerField,
    )
}


PREPARED_ROWS_MAX = 20


@lru_cache(maxsize=256)
def _insert_statement(model: type[Model], columns: tuple[str, ...], row_count: int):
    fields = tuple(model._meta.get_field(name) for name in columns)
    quote = connection.ops.quote_name
    row = "({})".format(", ".join(["%s"] * len(fields)))
    sql = "INSERT INTO {} ({}) VALUES {} RETURNING {}".format(
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join([row] * row_count),
        quote(model._meta.pk.column),
    )
    as_is = tuple(_AS_IS.get(type(field.target_field if field.is_relation else field)) for field in fields)
    return sql, tuple(zip(fields, as_is, strict=True))


def rows_insert_statement(model: type[Model], columns: tuple[str, ...], rows: Sequence[Sequence]) -> Statement:
    """One INSERT … RETURNING of rows of `model`, which returns their ids in the rows' order.

    The same statement on PostgreSQL and SQLite (3.35+). Each row gives the values of `columns`
    (attribute names), each prepared by its field as the ORM would (a string for a text column or
    an integer for an integer one needs nothing); other columns get their database default or
    NULL. For the few rows of a survey submission bulk_create took about four times the CPU: it
    builds an instance per row, prepares every field of the model and, on PostgreSQL, binds rows
    as arrays that psycopg quotes value by value in Python.
    """
    sql, fields = _insert_statement(model, columns, len(rows))
    database = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is read once per value
    params = [
        value if value is None or type(value) is as_is else field.get_db_prep_save(value, database)
        for values in rows
        for (field, as_is), value in zip(fields, values, strict=True)
    ]
    # one statement per number of rows: only the usual few are worth a place among the prepared
    return Statement(sql, params, prepare=len(rows) <= PREPARED_ROWS_MAX)


def rows_upsert(
    rows: Sequence[Model],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    also: Sequence[Statement | None] = (),
) -> None:
    """Insert unsaved instances of one model, or update the row with the same unique key, and set
    each instance's pk: `bulk_create(update_conflicts=True)` for the hot bulk endpoints.

    On PostgreSQL: one prepared INSERT … SELECT FROM unnest() of binary arrays … ON CONFLICT DO
    UPDATE … RETURNING, sent with the statements in `also` in one round trip. bulk_create prepares
    every field of every row through the ORM and quotes its arrays value by value in Python: for a
    batch of 500 reviews and their feedback items that was a third of the request's CPU. Elsewhere
    (or for values that are expressions): bulk_create, then `also`. Like bulk_create, every
    concrete field but the pk is written and auto_now(_add) fields take the time of the call.
    Entries of `also` that are None (a change log with no day to record) are skipped.
    """
    also = [statement for statement in also if statement is not None]
    if not rows:
        if also:
            statements_run(*also, savepoint=False)
        return
    model = type(rows[0])
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for row in rows:
                field.pre_save(row, True)
    columns = _columns_of(rows, fields)
    if connection.vendor != "postgresql" or columns is None:
        model.objects.bulk_create(rows, update_conflicts=True, unique_fields=unique_fields, update_fields=update_fields)
        if also:
            statements_run(*also, savepoint=False)
        return
    returned = statements_run(
        Statement(_upsert_sql(model, tuple(unique_fields), tuple(update_fields)), columns), *also, savepoint=False
    )
    for row, (pk,) in zip(rows, returned[0], strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, DEFAULT_DB_ALIAS


class _NotAValue(Exception):
    """A field's value is an expression (F(), a database default): for the ORM to compile."""


def _columns_of(rows: Sequence[Model], fields: Sequence) -> list[list] | None:
    """The rows' values column by column as the database stores them; None if one is an expression."""
    database = connections[DEFAULT_DB_ALIAS]
    columns = []
    try:
        for field in fields:
            as_is = _AS_IS.get(type(field.target_field if field.is_relation else field))
            columns.append(
                [
                    value if value is None or type(value) is as_is else _stored(value, field, as_is, database)
                    for value in map(attrgetter(field.attname), rows)
                ]
            )
    except _NotAValue:
        return None
    return columns


def _stored(value, field, as_is: type | None, database):
    if hasattr(value, "resolve_expression"):
        raise _NotAValue
    if as_is is str and isinstance(value, str):
        return str(value)  # a TextChoices member: its value
    if type(value) is datetime and value.tzinfo is not None and isinstance(field, DateTimeField):
        return value  # what the ORM would send for an aware time, without its checks
    return field.get_db_prep_save(value, database)


@lru_cache(maxsize=64)
def _upsert_sql(model: type[Model], unique_fields: tuple[str, ...], update_fields: tuple[str, ...]) -> str:
    meta, quote = model._meta, connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    names = ", ".join(quote(field.column) for field in fields)
    unnest = ", ".join(f"%b::{field.db_type(connection)}[]" for field in fields)
    conflict = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
    updates = ", ".join(
        f"{quote(column)} = EXCLUDED.{quote(column)}" for column in (meta.get_field(n).column for n in update_fields)
    )
    return (
        f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT * FROM unnest({unnest}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates} RETURNING {quote(meta.pk.column)}"
    )
