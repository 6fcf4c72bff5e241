# Two commands for a fresh machine: `make run` (demo) and `make test` (the suite).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev lint format migrate seed services browser assets drills fuzz load screenshots

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

# our own development tools (devtools/), rebuilt when their sources change
DEVTOOLS := $(wildcard devtools/*/*.toml devtools/*/*.py devtools/*/*.pth devtools/*/*/*.py devtools/*/*/*.c)

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed $(DEVTOOLS)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

static/vendor/.installed: package.json package-lock.json scripts/vendor-assets.sh
	bash scripts/vendor-assets.sh
	touch $@

assets: static/vendor/.installed

install: $(VENV)/.installed assets
install-dev: $(VENV)/.installed-dev assets

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --if-empty

# Links in emails and the demo website's registered domain follow the port the demo runs on.
run seed: export VOZ_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

# One line per step (install, migrate, seed, start), then the URL, the logins and a survey link;
# the steps' output and the servers' logs are in var/log/.
run:
	@HOST=$(HOST) PORT=$(PORT) PY=$(PY) bash scripts/run.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

services:
	bash scripts/ensure-services.sh

browser:
	bash scripts/ensure-browser.sh

# One pytest worker per core, four at most: each takes two of Redis's 16 databases (config/settings/test.py).
PYTEST_WORKERS ?= auto

test: install-dev services browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	# migrations are the same whatever the database; an in-memory one spares a connection to a
	# database that need not exist yet (the suite creates its own)
	DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	# fresh test databases every run: a kept one misses the rows data migrations wrote, which the
	# transactional tests at the end emptied. Each is a copy of a migrated database kept for this
	# code (tests/conftest.py), so only the first run after a change of code migrates.
	# bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): without it each
	# worker, and every server the tests start, compiles the project and rewrites the tests' asserts anew
	env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/pytest --create-db -p no:cacheprovider -n $(PYTEST_WORKERS) --maxprocesses 4 $(PYTEST_ARGS)

# The README's onboarding screenshots (docs/screenshots/onboarding/): the browser walk of a new
# manager, Spanish and English, phone and desktop.
screenshots: install-dev services browser
	$(VENV)/bin/pytest --create-db -p no:cacheprovider -n 0 tests/e2e/test_onboarding_walk.py

# Fault drills against real processes: Redis stopped, a worker SIGKILLed, database connections cut.
drills: install-dev services
	$(PY) drills/run.py

# The API fuzzing of `make test`, with many more generated requests per operation.
fuzz: install-dev services
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(VENV)/bin/pytest --create-db -p no:cacheprovider -m fuzz tests/core/test_api_fuzz.py
