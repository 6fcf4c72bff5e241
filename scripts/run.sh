#!/usr/bin/env bash
# `make run`: install, migrate, seed and start Voz, one line per step; the details go to var/log/.
# With CELERY_BROKER_URL set, a worker and beat run beside the web server (their logs in
# var/log/worker.log and var/log/beat.log, warnings and errors also on the console) and stop with
# it; without one, tasks run eagerly inside the web process.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
LOG_DIR=var/log
mkdir -p "$LOG_DIR"
SETUP_LOG="$LOG_DIR/setup.log"
: > "$SETUP_LOG"
children=()
cleanup() { for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

step() {  # step "n/4" "what" command...: one line, the command's output in the setup log
  local label="$1" what="$2"; shift 2
  local started=$SECONDS
  printf '[%s] %-28s' "$label" "$what…"
  if "$@" >>"$SETUP_LOG" 2>&1; then
    printf 'done (%ss)\n' "$((SECONDS - started))"
  else
    printf 'FAILED\n\n'
    tail -n 25 "$SETUP_LOG"
    printf '\nThe whole output is in %s.\n' "$SETUP_LOG"
    exit 1
  fi
}

step 1/4 "Installing" make --no-print-directory -s install
step 2/4 "Migrating the database" "$PY" manage.py migrate --noinput
seed() {
  "$PY" manage.py seed_demo --if-empty --verbosity 0
  "$PY" manage.py ensure_superuser --username admin --password admin
}
step 3/4 "Seeding the demo shop" seed

printf '[4/4] %-28s' "Starting…"
if [ -n "${CELERY_BROKER_URL:-}" ]; then
  # The NLP pipelines load once per worker process; one process keeps that to a single load.
  "$PY" -m celery -A config worker -Q celery,nlp --loglevel=INFO --concurrency=1 --logfile="$LOG_DIR/worker.log" &
  children+=($!)
  "$PY" -m celery -A config beat --loglevel=INFO --logfile="$LOG_DIR/beat.log" &
  children+=($!)
  touch "$LOG_DIR/worker.log" "$LOG_DIR/beat.log"
  tail -n 0 -F "$LOG_DIR/worker.log" "$LOG_DIR/beat.log" 2>/dev/null \
    | grep --line-buffered -E " (WARNING|ERROR|CRITICAL)[/ :]" &
  children+=($!)
  mode="worker + beat"
else
  mode="tasks run in the web process"
fi
# Request lines and start-up chatter go to the web log; warnings and errors still reach the console.
LOG_LEVEL=${LOG_LEVEL:-WARNING} "$PY" manage.py runserver "$HOST:$PORT" --noreload >"$LOG_DIR/web.log" 2>&1 &
web=$!
children+=($web)
for _ in $(seq 1 60); do
  if curl -fsS -o /dev/null "http://$HOST:$PORT/healthz" 2>/dev/null; then
    break
  fi
  kill -0 "$web" 2>/dev/null || { printf 'FAILED\n'; tail -n 25 "$LOG_DIR/web.log"; exit 1; }
  sleep 1
done
printf 'done (%s)\n\n' "$mode"
"$PY" manage.py demo_welcome
tail -n 0 -F "$LOG_DIR/web.log" 2>/dev/null | grep --line-buffered -E "WARNING|ERROR|CRITICAL|Traceback" &
children+=($!)
wait "$web"
