#!/usr/bin/env bash
# Serve Voz for development. With CELERY_BROKER_URL set, a worker and beat run beside the web
# server and stop with it; without one, tasks run eagerly inside the web process.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
children=()
cleanup() { for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [ -n "${CELERY_BROKER_URL:-}" ]; then
  echo "Broker configured: starting a Celery worker and beat."
  "$PY" -m celery -A config worker -Q celery,nlp --loglevel=INFO --concurrency=2 &
  children+=($!)
  "$PY" -m celery -A config beat --loglevel=INFO &
  children+=($!)
else
  echo "No CELERY_BROKER_URL: tasks run eagerly in the web process."
fi
echo "Voz on http://$HOST:$PORT/  (admin login: admin / admin)"
"$PY" manage.py runserver "$HOST:$PORT"
