# Two commands for a newcomer: `make run` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements

.PHONY: run test install migrate bench chaos lint format clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input -v 0

## make run: migrate the embedded SQLite database, load demo data, print the admin login and a fresh API key,
## then run the web server, a Celery worker and beat (embedded broker, no server needed). Ctrl-C stops all.
# honcho SIGKILLs whatever still runs 5 s after the first process stopped (KILL_WAIT, a constant without an option).
# A Celery worker on the polling filesystem broker needs 3.5-6 s for its warm shutdown, so give it 9 s.
run: migrate
	$(BIN)/python manage.py bootstrap_local
	$(BIN)/python -c 'import sys, honcho.command, honcho.manager; honcho.manager.KILL_WAIT = 9; sys.exit(honcho.command.main())' \
		start -f Procfile

## make test: the whole suite (pytest + pytest-django) in parallel processes (pytest-xdist: one per core, at most 4).
## With DATABASE_URL/CELERY_BROKER_URL set it runs against them.
test: install
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 $(PYTEST_ARGS)

## make bench: the benchmark table (PostgreSQL via DATABASE_URL; see `.venv/bin/python -m scripts.bench --help`). Not run by CI.
bench: install
	$(BIN)/python -m scripts.bench $(BENCH_ARGS)

## make chaos: the chaos suite (PostgreSQL via DATABASE_URL, Redis via CELERY_BROKER_URL, real gunicorn/worker/beat;
## CHAOS_REDIS_STOP, CHAOS_REDIS_START and CHAOS_PG_RESTART say how to stop/start them). Run by CI; see docs/operations.md.
chaos: install
	$(BIN)/python -m scripts.chaos $(CHAOS_ARGS)

## make lint: ruff (lint + format) and import-linter (the layers reporting > conversions > contacts > accounts > core)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var
