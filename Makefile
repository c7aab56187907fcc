# Titan: `make run` serves the app, `make test` runs every test. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run admin serve worker test bench bench-compare bench-positions bench-dashboard migrate demo clean help

help:
	@echo "make run    - set up, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make admin  - create an admin for /admin (asks for an email and a password)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make serve  - serve with gunicorn (production-style)"
	@echo "make worker - run queued background jobs (JOBS_MODE=queue, PostgreSQL)"
	@echo "make bench  - load test against gunicorn (needs PostgreSQL and Redis)"
	@echo "make bench-compare A=run.json [B=run.json] - two bench runs side by side (B: bench/results/latest.json)"
	@echo "make bench-positions - waitlist position look-ups at 10,000 and 1,000,000 users"
	@echo "make bench-dashboard - the admin dashboard's figures at 1,000,000 members"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

migrate: $(VENV)/.runtime-installed
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo

# The banner says where the site, /docs and /admin are, and how to create an admin.
run: demo
	@$(FLASK) banner --host $(HOST) --port $(PORT)
	$(FLASK) run --host $(HOST) --port $(PORT)

# Asks for the admin's email and password (twice); run it again to reset that admin's password.
admin: migrate
	$(FLASK) users create-admin

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

# Two runs of `make bench` (bench/results/*.json) side by side; B defaults to the latest run.
bench-compare: $(VENV)/.dev-installed
	$(BIN)/python bench/compare.py "$(A)" "$(or $(B),bench/results/latest.json)"

bench-positions: $(VENV)/.dev-installed
	$(BIN)/python bench/waitlist_positions.py

bench-dashboard: $(VENV)/.dev-installed
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) .pytest_cache
