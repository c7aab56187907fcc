# Titan: `make run` serves the app, `make test` runs every test. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve worker test bench bench-positions migrate demo clean help

help:
	@echo "make run    - set up, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make serve  - serve with gunicorn (production-style)"
	@echo "make worker - run queued background jobs (JOBS_MODE=queue, PostgreSQL)"
	@echo "make bench  - load test against gunicorn (needs PostgreSQL and Redis)"
	@echo "make bench-positions - waitlist position look-ups at 10,000 and 1,000,000 users"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

migrate: $(VENV)/.runtime-installed
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

serve: migrate
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Runs queued jobs (JOBS_MODE=queue, PostgreSQL) until SIGTERM.
worker: migrate
	$(FLASK) worker

# Lint and format are checked first; pytest exits 5 when it collects no tests, and a filtered run
# that selects nothing is not a failure.
test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; if [ $$status -eq 5 ]; then exit 0; fi; exit $$status

# The load test needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL) and wrk.
bench: $(VENV)/.dev-installed
	@command -v wrk >/dev/null || (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/http_load.py

bench-positions: $(VENV)/.dev-installed
	$(BIN)/python bench/waitlist_positions.py

clean:
	rm -rf $(VENV) .pytest_cache
