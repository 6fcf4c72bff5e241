import gc
import re

import pytest

from tests.drills import background as drills_in_the_background

# Tests of these modules share what a module-scoped fixture set up once (one run of the fault drills,
# one seeded shop, two trained models), so a parallel run sends each module whole to one worker (split,
# each worker would set it up again); any other test goes to the first free worker. (The browser tests
# share one Chromium per worker, tests/e2e/conftest.py, and go anywhere.)
# xdist's `xdist_group` marker would say the same, but under pytest 9.2 the group
# never reaches the scheduler (xdist 3.8 renames node ids in a way pytest no longer honours), and
# xdist's module-wise schedulers merge the fuzz cases, which share one node id, into a single test.
MODULES_KEPT_WHOLE = {
    "tests/drills/test_drills.py",
    "tests/demo/test_demo_shop.py",
    "tests/core/test_one_language.py",
    "tests/sentiment/test_learning.py",
}

# The longest transactional test (75 worker-seconds on an idle machine: the demo shop seeded, then axe
# on every staff page) starts first among them: the transactional tests come near the end of a run,
# and a worker that drew it last would run it alone while the other waited. Not the long database
# tests: moved to the front, they would land in the first worker's initial batch, with the drills.
LONGEST_FIRST = {"tests/e2e/test_staff_accessibility.py"}


# Browser tests take seconds each and come near the end, before only the quick tests without a test
# database. Sent in xdist's batches, one worker could queue nearly all of them while the other ran out
# of work and stopped: 106 s alone at the end of one run. A worker holds two at most (it runs a test
# once it holds the next one), so both share them to the end.
BROWSER_TESTS = "tests/e2e/"
BROWSER_TESTS_HELD = 2


def _module_kept_whole(nodeid: str) -> str | None:
    module = nodeid.split("::", 1)[0]
    return module if module in MODULES_KEPT_WHOLE else None


@pytest.hookimpl(optionalhook=True)  # optional: `pytest -p no:xdist` runs without it
def pytest_xdist_make_scheduler(config, log):
    """xdist's `load` scheduling, except that a batch ending inside a module kept whole takes the rest of
    it, and a worker holds two browser tests at most."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScheduling

    class KeepModulesWhole(LoadScheduling):
        def _send_tests(self, node, num: int) -> None:
            end = min(num, len(self.pending))
            held = sum(self.collection[index].startswith(BROWSER_TESTS) for index in self.node2pending[node])
            room = BROWSER_TESTS_HELD - held
            for position in range(end):
                if self.collection[self.pending[position]].startswith(BROWSER_TESTS):
                    if room <= 0:
                        end = position
                        break
                    room -= 1
            module = end and _module_kept_whole(self.collection[self.pending[end - 1]])
            while (
                module and end < len(self.pending) and _module_kept_whole(self.collection[self.pending[end]]) == module
            ):
                end += 1
            super()._send_tests(node, end)

    return KeepModulesWhole(config, log)


# Python's collector suits programs that keep little: a young collection every 700 new objects, and a
# full one walking every object now and then. A test process keeps Django, spaCy and scikit-learn,
# millions of objects that live as long as it does. Frozen once the tests are collected (no collection
# walks them again) and collected young every 50,000 objects, the collector took about 5 % less of the
# tests' CPU (117.7 s against 124.3 s for the garbage sweeps, analytics and support tests, alone).
# A request's or a test's cycles still die young; the extra memory was 90 MB a process at most.
GC_THRESHOLDS = (50_000, 50, 1_000)


def pytest_configure(config):
    gc.set_threshold(*GC_THRESHOLDS)
    if not hasattr(config, "workerinput"):  # pytest itself, or xdist's controller before it starts workers
        drills_in_the_background.prepare()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    drills_in_the_background.start_if_collected(ids)


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()
    if not hasattr(session.config, "workerinput"):  # xdist's controller collects nothing: this is pytest alone
        drills_in_the_background.start_if_collected(item.nodeid for item in session.items)


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):
        drills_in_the_background.stop()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Slow tests that run their own processes on databases of their own (the embedded default) go
    first. pytest-django puts tests without a test database last, where in a parallel run
    they would keep one worker busy for minutes after the other ran out of work; tests with one stay
    in pytest-django's order, transactional ones last, since those empty the database behind them.
    The drills' tests come after everything: they only read what the drills, running in the
    background since the start, found (tests/drills/background.py)."""

    def runs_apart(item) -> bool:
        uses_test_database = item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(item.fixturenames)
        return bool(item.get_closest_marker("slow")) and not uses_test_database

    def kind(item) -> int:
        """pytest-django's order: database tests, transactional ones, then those with no test database."""
        marker = item.get_closest_marker("django_db")
        fixtures = set(item.fixturenames)
        if (marker and _marked_transactional(marker)) or {"transactional_db", "live_server"} & fixtures:
            return 1
        return 0 if marker or "db" in fixtures else 2

    def longest(item) -> bool:
        return item.nodeid.split("::", 1)[0] in LONGEST_FIRST

    def reads_the_drills(item) -> bool:
        return item.nodeid.startswith(drills_in_the_background.MODULE)

    items.sort(key=lambda item: (reads_the_drills(item), not runs_apart(item), kind(item), not longest(item)))


# What the migrations build depends on the code (data migrations read the default taxonomy,
# post_migrate writes a permission per model) and the installed packages: all of it is in the name
# of the migrated database the workers' test databases are copied from.
MIGRATED_FROM = ("requirements.txt", "requirements-dev.txt")
NOT_CODE = {"tests", "devtools", "node_modules", "static", "docs", "artifacts", "bench", "drills", "var", "locale"}


def _code_fingerprint() -> str:
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    files = [root / name for name in MIGRATED_FROM] + [
        path
        for path in sorted(root.glob("*/**/*.py"))
        if not ({path.relative_to(root).parts[0]} & NOT_CODE) and not path.relative_to(root).parts[0].startswith(".")
    ]
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each worker's PostgreSQL test database is a copy of one migrated database (CREATE DATABASE …
    TEMPLATE, a fraction of a second) instead of a migrate of its own (about 30 s of CPU each).
    The migrated database is kept between runs under a name that holds a fingerprint of the code and
    requirements, so a change to either migrates anew; nothing runs a test in it. The first worker to
    need it builds it while the others wait on an advisory lock."""
    from django.conf import settings
    from django.db.backends.postgresql.creation import DatabaseCreation

    create = DatabaseCreation.create_test_db

    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        if keepdb or serialize:
            return create(self, verbosity, autoclobber, serialize, keepdb)
        test_name = self._get_test_db_name()
        prefix = re.sub(r"_gw\d+$", "", test_name) + "_migrated_"
        template = prefix + _code_fingerprint()
        quote = self.connection.ops.quote_name
        with self._nodb_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [prefix])
            try:
                cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])
                existing = {row[0] for row in cursor.fetchall()}
                if template not in existing:
                    # migrated for code that is gone, or a build that was interrupted
                    for stale in existing:
                        cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)}")
                    # built under another name and renamed once migrated: a run stopped halfway
                    # leaves nothing a later one would copy
                    building = prefix + "building"
                    self.connection.settings_dict["TEST"]["NAME"] = building
                    create(self, verbosity, True, False, False)
                    self.connection.close()
                    self.connection.settings_dict["TEST"]["NAME"] = test_name
                    cursor.execute(f"ALTER DATABASE {quote(building)} RENAME TO {quote(template)}")
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)}")
                cursor.execute(f"CREATE DATABASE {quote(test_name)} TEMPLATE {quote(template)}")
            finally:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [prefix])
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = test_name
        self.connection.settings_dict["NAME"] = test_name
        self.connection.ensure_connection()
        return test_name

    DatabaseCreation.create_test_db = create_test_db
    yield
    DatabaseCreation.create_test_db = create


# What migrate's post_migrate handlers write (content types, permissions, the role groups): a
# function of the code, which tests read and do not change.
WRITTEN_BY_POST_MIGRATE = ("django_content_type", "auth_permission", "auth_group", "auth_group_permissions")


@pytest.fixture(scope="session", autouse=True)
def _flush_only_the_tables_a_test_filled(django_db_setup, django_db_blocker):
    """A transactional test ends with Django's flush: one TRUNCATE of all ~110 tables, which on
    PostgreSQL makes new files for every table and index, then post_migrate writing the content
    types, permissions and role groups back (5–7 s per test on a busy machine). A test fills a
    handful of tables: deleting the rows of those, with the foreign keys checked at commit (Django
    makes them all deferrable), leaves the same database in a fraction of that. What post_migrate
    writes stays unless a test changed it, then it is emptied and written again as before."""
    from django.core.management.commands import flush
    from django.db import connection

    # pytest-django sets up no test database when no collected test needs one (a run of tests that
    # touch no database): there is then nothing to flush, and the database configured is not a test's
    if connection.vendor != "postgresql" or connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
        yield
        return

    quote = connection.ops.quote_name

    def fingerprint(cursor) -> list:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT md5(coalesce(string_agg(row::text, ',' ORDER BY row::text), '')) FROM {quote(table)} row"
                for table in WRITTEN_BY_POST_MIGRATE
            )
        )
        return [row[0] for row in cursor.fetchall()]

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        as_migrated = fingerprint(cursor)
    truncate_all, post_migrate = flush.sql_flush, flush.emit_post_migrate_signal
    kept = {"as_migrated": False}

    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        if connection.vendor != "postgresql" or reset_sequences:
            kept["as_migrated"] = False
            return truncate_all(style, connection, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        with connection.cursor() as cursor:
            kept["as_migrated"] = fingerprint(cursor) == as_migrated
            if kept["as_migrated"]:
                tables = [table for table in tables if table not in WRITTEN_BY_POST_MIGRATE]
            cursor.execute(
                " UNION ALL ".join(f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})" for table in tables),
                tables,
            )
            filled = [row[0] for row in cursor.fetchall()]
        return ["SET CONSTRAINTS ALL DEFERRED"] + [f"DELETE FROM {quote(table)}" for table in filled]

    def emit_post_migrate_signal(*args, **kwargs):
        if not kept["as_migrated"]:
            post_migrate(*args, **kwargs)

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(flush, "sql_flush", sql_flush)
        monkeypatch.setattr(flush, "emit_post_migrate_signal", emit_post_migrate_signal)
        yield


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _default_language_restored():
    """A request leaves the language it was drawn in active in this thread; the next test starts
    in the shop's default (tests/reviews/test_photos.py read English after tests/staff/test_shell.py)."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test starts with empty rate-limit counters (they live in Redis, across tests)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _broker_believed_up():
    """A test that made the broker unreachable must not make the next one skip its hand-overs."""
    from core import queueing

    queueing._broker_down_until = 0.0


@pytest.fixture(autouse=True)
def _survey_questions_read_afresh():
    """A rolled-back test may have edited questions without this process hearing of it."""
    from surveys.services import survey_questions_forget

    survey_questions_forget()


@pytest.fixture
def api_token_for(db):
    """A token with the given scopes, as created by a shop admin in the admin."""
    from core.api_clients import api_client_create

    def make(*scopes: str, name: str = "Shop back office") -> str:
        return api_client_create(name=name, scopes=list(scopes))[1]

    return make


@pytest.fixture
def api_client(api_token_for):
    """A shop's back office with a token allowed to push and read orders."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('orders:read', 'orders:write')}")
    return client


def shipped_rows_restore(*, after_flush: bool) -> None:
    """The survey, topics, moderation rules, SLA defaults and win-back template the migrations
    ship; a transactional test's flush takes them all, the shipped survey is also what factories
    build on."""
    from tests.factories import default_survey

    default_survey()
    if after_flush:
        from importlib import import_module

        from django.apps import apps

        from sentiment.services import topics_seed_default

        topics_seed_default()
        import_module("reviews.migrations.0002_default_moderation_rules").create_rules(apps, None)
        import_module("support.migrations.0002_defaults").create_defaults(apps, None)
        # the win-back template as shipped now (its text rewritten by 0014)
        import_module("support.migrations.0005_default_winback_template").create_template(apps, None)
        import_module("support.migrations.0014_winback_template_unwrapped").unwrap(apps, None)
        import_module("surveys.migrations.0004_defection_survey").create_defection_survey(apps, None)
        import_module("surveys.migrations.0008_defection_reasons_and_suppressed").create_defection_reasons(apps, None)


@pytest.fixture(autouse=True)
def _default_survey(request):
    """Transactional tests flush the database, data migrations included; put the shipped survey and topics back."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db" if not _is_transactional(request) else "transactional_db")
    shipped_rows_restore(after_flush=_is_transactional(request))


def shared_by_the_module(build):
    """A module-scoped fixture whose rows `build()` writes once, for every test of the module.

    It writes them in a transaction held open while the module runs; each test runs in a savepoint
    inside it (pytest-django's `db`) and sees them, and what a test writes goes with its savepoint.
    Callbacks registered for commit run as `build()` returns, as they would after a real commit. A
    module that uses one holds no transactional test: its flush would run inside that transaction.
    """

    @pytest.fixture(scope="module")
    def shared_rows(django_db_setup, django_db_blocker):
        from django.db import transaction
        from django.test import TestCase

        from demo.seed import planner_statistics_refresh

        with django_db_blocker.unblock():
            held = transaction.atomic()
            held.__enter__()
            # a transactional test on this worker before may have flushed what the migrations shipped
            shipped_rows_restore(after_flush=True)
            with TestCase.captureOnCommitCallbacks(execute=True):
                value = build()
            # What those callbacks wrote (the comments' analyses and topic mentions) came after any
            # ANALYZE the build ran, and autovacuum never sees rows this transaction holds: the
            # planner took those tables for empty and chose nested loops that made a digest's
            # rollup refresh take 50 s instead of under one (tests/core/test_one_language.py).
            planner_statistics_refresh()
        try:
            yield value
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                held.__exit__(None, None, None)

    return shared_rows


def _is_transactional(request) -> bool:
    return _marked_transactional(request.node.get_closest_marker("django_db"))


def _marked_transactional(marker) -> bool:
    return bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
