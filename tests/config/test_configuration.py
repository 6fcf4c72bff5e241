import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "surveys.tasks.invitations_schedule_due" in scheduled
    assert scheduled <= set(app.tasks)


SETTINGS_SHOWN = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)"
)


def settings_probe(module: str, code: str = SETTINGS_SHOWN, **extra_env: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(DJANGO_SETTINGS_MODULE=module, **extra_env)
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_production_settings_refuse_to_start_without_a_secret_key():
    done = settings_probe("config.settings.production", ALLOWED_HOSTS="voz.example")

    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_without_configuration_the_embedded_defaults_apply():
    env = {"DATABASE_URL": "", "CELERY_BROKER_URL": ""}
    done = settings_probe("config.settings.local", **env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_with_urls_configured_postgresql_and_the_broker_are_used():
    done = settings_probe(
        "config.settings.local",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/voz",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["django.db.backends.postgresql", "False"]


def test_a_web_process_loads_no_machine_learning_library():
    # A gunicorn worker serves pages and the API and queues the analysis; only the worker that
    # analyses, or trains, needs scikit-learn, SciPy and spaCy (about 85 MB and 1 s per process).
    code = (
        "import sys; from config.wsgi import application; from django.urls import get_resolver; "
        "get_resolver().check(); "  # every view, admin and API module the URLs name
        "print(sorted(name for name in ('sklearn', 'scipy', 'spacy') if name in sys.modules))"
    )
    done = settings_probe(
        "config.settings.production",
        code,
        SECRET_KEY="probe-only-secret-key-not-for-production-0123456789",
        ALLOWED_HOSTS="voz.example",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "[]"
