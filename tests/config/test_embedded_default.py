"""With no configuration at all, Voz runs on SQLite with eager tasks: migrate, seed, serve."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_embedded_default_migrates_seeds_and_serves_the_survey_page(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    # SQLite lives beside the code by default; point it at a scratch copy of the project dir instead.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'voz.sqlite3'}"
    env["VOZ_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    # The seed analyses its comments on the spot while the other pytest worker keeps the other core
    # busy: a second encoder thread would only wait for it (VOZ_NLP_THREADS in the README). What runs
    # where, SQLite and eager tasks, is still the default's.
    env["VOZ_NLP_THREADS"] = "1"
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(*args: str) -> str:
        done = subprocess.run([*manage, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run("migrate", "--noinput", "-v0")
    seeded = run("seed_demo", "--customers", "30", "--orders", "120")
    links = [line.strip() for line in seeded.splitlines() if line.startswith("  http")]
    assert links, seeded
    # the demo's comments were analysed on the spot (Celery eager) and their results stored in SQLite
    with closing(sqlite3.connect(tmp_path / "voz.sqlite3")) as database:
        statuses = dict(database.execute("SELECT analysis_status, COUNT(*) FROM feedback_feedbackitem GROUP BY 1"))
        analyses = database.execute("SELECT COUNT(*) FROM sentiment_feedbackanalysis WHERE is_current").fetchone()[0]
        mentions = database.execute("SELECT COUNT(*) FROM sentiment_feedbacktopic").fetchone()[0]
        topics = json.loads(database.execute("SELECT topics FROM sentiment_feedbackanalysis LIMIT 1").fetchone()[0])
        statistics = database.execute("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'").fetchone()[0]
    assert set(statuses) == {"done"} and analyses == statuses["done"] > 0
    assert statistics == 0, "the demo's ANALYZE is for PostgreSQL; SQLite is left as it was"
    assert mentions > 0 and isinstance(topics, list)

    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        page = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(links[0], timeout=5) as response:
                    page = response.read().decode()
                    status = response.status
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.2)
        assert page is not None, "the development server never answered"
        assert status == 200
        assert "¿Con qué probabilidad recomendarías nuestra tienda" in page or "How likely are you" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/voz/survey.css", timeout=5) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
