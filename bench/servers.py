"""What the benchmarks and the fault drills share: a database of their own, a free port, and
gunicorn started on 127.0.0.1 and waited for."""

import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"


def ensure_database(name: str, *, fresh: bool = False) -> None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def start_gunicorn(
    app: str, *, workers: int, env: dict, timeout: int = 60, stderr=None, startup: float = 30
) -> tuple[subprocess.Popen, int]:
    """gunicorn serving `app` on a free port of 127.0.0.1, once it accepts connections."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            str(timeout),
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=env,
        stderr=stderr,
    )
    deadline = time.monotonic() + startup
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"gunicorn {app} did not start")
        time.sleep(0.2)
    return process, port
