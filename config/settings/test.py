"""Test runs: real PostgreSQL and Redis on this machine unless told otherwise."""

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

# Tests decide per case whether tasks run eagerly or go through the broker.
# A Redis database of its own: the worker test empties it.
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_TASK_ALWAYS_EAGER = True
# Rate-limit counters in real Redis, in a database of their own.
CACHES = {"default": env.cache_url("TEST_CACHE_URL", default="rediscache://127.0.0.1:6379/14")}

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
VOZ_PUBLIC_BASE_URL = "https://voz.example"
