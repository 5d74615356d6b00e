# CDMO Partnership Portal: set up, run, test and lint.
#
#   make run     embedded mode (SQLite, filesystem broker), demo data, http://$(HOST):$(PORT)/
#   make test    the test suite on both cores; DATABASE_URL/REDIS_URL select real services
#   make lint    ruff, mypy, the migrations check and the import contracts (pyproject.toml)
#   make format  apply ruff's fixes and formatting
#   make manage  a manage.py command in the embedded mode: make manage ARGS="createsuperuser"

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
ALLOWED_HOSTS ?= 127.0.0.1,localhost,[::1],$(HOST)
SITE_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?=
TYPED_PACKAGES := portal programs comms governance deviations integrations people onboarding

# The virtualenv's tools come first, so that the Procfile's `uvicorn` and `celery` resolve.
VENV_PATH := PATH="$(abspath $(BIN)):$$PATH"

# honcho sends SIGKILL 5 s after SIGTERM, about as long as a Celery worker's warm shutdown on the
# filesystem broker takes (it checks for shutdown between 2 s polls): it gets 20 s instead.
HONCHO := $(BIN)/python -c 'import honcho.command, honcho.manager; honcho.manager.KILL_WAIT = 20; honcho.command.main()'

# `make run` is always the embedded mode: variables that would point it at external services
# are removed, and DEBUG=1 means no SECRET_KEY is needed.
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL -u PORTAL_TESTING \
	$(VENV_PATH) DEBUG=1 ALLOWED_HOSTS='$(ALLOWED_HOSTS)' SITE_URL='$(SITE_URL)'

.PHONY: help venv install run manage test lint format bench bench-http

help:
	@echo "make run     start the portal in embedded mode on http://$(HOST):$(PORT)/ (HOST, PORT)"
	@echo "make test    run the test suite (set DATABASE_URL and REDIS_URL for the service tests)"
	@echo "make lint    ruff check, ruff format --check, mypy, makemigrations --check, lint-imports"
	@echo "make format  apply ruff fixes and formatting"
	@echo "make manage  run manage.py in embedded mode: make manage ARGS=\"createsuperuser\""
	@echo "make bench   benchmark pages, the escalation sweep, notification delivery, the KPIs, the inspection bundle and live streams on PostgreSQL (BENCH_DATABASE_URL) and Redis"
	@echo "make bench-http  serve the portal as in production (uvicorn, Celery, PostgreSQL, Redis) and load it over HTTP (BENCH_HTTP_ARGS)"
	@echo "make install create $(VENV) and install the project with its dev tools"

venv install: $(STAMP)

# Reinstalls only when the dependency declarations change (or the virtualenv is gone).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@# The report PDFs (WeasyPrint) need the system's Pango; everything else runs without it.
	@$(BIN)/python -c 'import weasyprint' 2>/dev/null || echo "make: WeasyPrint cannot load Pango; report PDFs need: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"
	touch $@

run: $(STAMP)
	@$(EMBEDDED) $(BIN)/python manage.py migrate --noinput
	@$(EMBEDDED) $(BIN)/python manage.py seed_demo
	@$(EMBEDDED) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo
	@echo "CDMO Partnership Portal (embedded mode): http://$(HOST):$(PORT)/"
	@echo
	@echo "Demo logins, all with the password portal-demo:"
	@printf '  %-28s %s\n' \
		"pm@northbridge.example"     "CDMO project manager" \
		"qa@northbridge.example"     "CDMO staff (QA)" \
		"leader@northbridge.example" "CDMO leadership" \
		"sponsor@helix.example"      "sponsor lead, Helix Therapeutics" \
		"viewer@helix.example"       "sponsor viewer, Helix Therapeutics" \
		"sponsor@borealis.example"   "sponsor lead, Borealis Pharma" \
		"admin@northbridge.example"  "administrator (superuser)"
	@echo
	@$(EMBEDDED) PORTAL_HOST='$(HOST)' PORTAL_PORT='$(PORT)' \
		$(HONCHO) start --procfile Procfile --env /dev/null

# Operator commands (createsuperuser, create_api_token, verify_audit …) against the database of
# `make run`, with exactly its environment: a bare `python manage.py` would miss DEBUG=1 and stop
# for want of a SECRET_KEY.
ARGS ?=
manage: $(STAMP)
	@$(EMBEDDED) $(BIN)/python manage.py $(ARGS)

test: $(STAMP)
	$(VENV_PATH) PORTAL_TESTING=1 $(BIN)/pytest -n 2 $(PYTEST_ARGS)

# mypy (django-stubs) and makemigrations load the settings: DEBUG=1 spares them a SECRET_KEY.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy $(TYPED_PACKAGES)
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports --no-cache --no-logo

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmark (not a test): seeds a large portfolio into its own PostgreSQL database and reports
# server time and queries per request. BENCH_ARGS passes options (--programs, --requests …).
# DEBUG=1 for the development key and plain static files (PORTAL_TESTING is refused outside
# DEBUG); it changes no query, and measured no slower than the test settings.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
BENCH_ARGS ?=
BENCH_ESCALATION_ARGS ?=
# bench_notifications: --events and --recipients (one worker's email throughput, exactly once).
BENCH_NOTIFY_ARGS ?=
# bench_bundle: --deviations, --audit-entries, --batches, --signatures (one program's bundle).
BENCH_BUNDLE_ARGS ?=
# bench_kpis: --programs, --months of records and --repeat (the KPI engine over all programs).
BENCH_KPI_ARGS ?=
# bench_streams: --streams held by one uvicorn process (DEBUG=0), --updates in the burst, --hold.
BENCH_STREAM_ARGS ?=
BENCH_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
# The database named in the URL is created through the server's `postgres` database (createdb
# takes a name, not a URL) unless it exists already.
BENCH_SPLIT_URL := import sys, urllib.parse as u; url = u.urlsplit(sys.argv[1]); \
	print(url._replace(path="/postgres").geturl(), u.unquote(url.path.lstrip("/")))
# $(call bench_database,URL): create the database named in URL if missing, then migrate it.
define bench_database
	@read -r admin_url db_name < <($(BIN)/python -c '$(BENCH_SPLIT_URL)' '$(1)'); \
	exists=$$(psql "$$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$$db_name'"); \
	if [ "$$exists" != 1 ]; then createdb --maintenance-db="$$admin_url" "$$db_name"; fi
	DATABASE_URL='$(1)' DEBUG=1 $(BIN)/python manage.py migrate -v0
endef
bench: $(STAMP)
	$(call bench_database,$(BENCH_DATABASE_URL))
	DATABASE_URL='$(BENCH_DATABASE_URL)' DEBUG=1 $(BIN)/python manage.py bench_portal $(BENCH_ARGS)
	DATABASE_URL='$(BENCH_DATABASE_URL)' DEBUG=1 $(BIN)/python manage.py bench_escalations $(BENCH_ESCALATION_ARGS)
	DATABASE_URL='$(BENCH_DATABASE_URL)' DEBUG=1 $(BIN)/python manage.py bench_notifications $(BENCH_NOTIFY_ARGS)
	DATABASE_URL='$(BENCH_DATABASE_URL)' DEBUG=1 $(BIN)/python manage.py bench_bundle $(BENCH_BUNDLE_ARGS)
	DATABASE_URL='$(BENCH_DATABASE_URL)' DEBUG=1 $(BIN)/python manage.py bench_kpis $(BENCH_KPI_ARGS)
	DATABASE_URL='$(BENCH_DATABASE_URL)' REDIS_URL='$(BENCH_REDIS_URL)' DEBUG=1 $(BIN)/python manage.py bench_streams $(BENCH_STREAM_ARGS)

# Served benchmark (not a test, bench/): the production shape (uvicorn, one web process, a Celery
# worker, DEBUG=0) on its own PostgreSQL database, refilled with the demo data each run, and a
# Redis database it empties; locust loads it over HTTP. BENCH_HTTP_ARGS passes options
# (--seconds and --clients per endpoint, --users and --mixed-seconds of the mixed load).
BENCH_HTTP_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench_http
BENCH_HTTP_REDIS_URL ?= redis://127.0.0.1:6379/15
BENCH_HTTP_ARGS ?=
bench-http: $(STAMP)
	$(call bench_database,$(BENCH_HTTP_DATABASE_URL))
	$(VENV_PATH) $(BIN)/python -m bench --database-url '$(BENCH_HTTP_DATABASE_URL)' \
		--redis-url '$(BENCH_HTTP_REDIS_URL)' $(BENCH_HTTP_ARGS)
