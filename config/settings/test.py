"""Test runs: real PostgreSQL and Redis on this machine unless told otherwise.

The suite runs in parallel (pytest-xdist). Each worker gets a PostgreSQL test database of its own
(pytest-django appends the worker id to its name) and, set here, Redis databases of its own: the
cache is emptied before every test and the worker test empties the broker's queues, which would
wipe another worker's counters or messages if they shared one.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DATABASES = {
    "default": env.db_url_config(
        env.str("TEST_DATABASE_URL", default="")
        or env.str("DATABASE_URL", default="")
        or "postgres://postgres@127.0.0.1:5432/voz"
    ),
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_voz")}
# The read replica's alias, on the test database itself (Django's test mirror); no router sends
# reads to it unless a test turns core.db_routers on.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = []

# Worker gwN takes the two Redis databases N pairs above the configured ones (gw0, or a run
# without workers, takes them as configured); Redis has 16, so four workers fit the defaults.
_WORKER = int((os.environ.get("PYTEST_XDIST_WORKER") or "gw0").removeprefix("gw"))


def _redis_url_for_this_worker(url: str) -> str:
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) + 2 * _WORKER
    if number > 15:
        raise ImproperlyConfigured(
            f"pytest worker gw{_WORKER} would use Redis database {number} ({url}): run fewer workers, "
            "or start TEST_CACHE_URL and TEST_CELERY_BROKER_URL at lower database numbers"
        )
    return parts._replace(path=f"/{number}").geturl()


# Tests decide per case whether tasks run eagerly or go through the broker.
CELERY_BROKER_URL = _redis_url_for_this_worker(env.str("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/9"))
CELERY_TASK_ALWAYS_EAGER = True
# A test runs the periodic jobs itself, when it means to.
NOTIFY_JOBS_FROM_WEB = False
# Rate-limit counters in real Redis, as in production.
CACHES = {
    "default": env.cache_url_config(
        _redis_url_for_this_worker(env.str("TEST_CACHE_URL", default="rediscache://127.0.0.1:6379/8"))
    )
}

# Most tests only need some analysis to happen; the fast tier keeps the suite quick. The tests of
# the accurate tier switch to it themselves.
VOZ_NLP_TIER = env("VOZ_NLP_TIER", default="fast")
# one pytest worker per core: an encoder's second thread would only wait for the other worker's core
VOZ_NLP_THREADS = env.int("VOZ_NLP_THREADS", default=1)

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# the shop's own address: win-backs and defection surveys refuse a no-reply sender
VOZ_CUSTOMER_EMAIL_FROM = "Tienda Demo <hola@tienda.example>"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
VOZ_PUBLIC_BASE_URL = "https://voz.example"
# inbound email webhooks on, as a shop with a provider has them (tests/support/test_inbound_email.py)
ANYMAIL = {"WEBHOOK_SECRET": "inbound:s3cret"}

# A test database is thrown away after the run, so a commit need not wait for its WAL to reach the disk:
# transactional tests commit every statement, and beside other writers each commit's flush queued.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
