# The README's two commands: `make demo` and `make test`. Everything else is a verb they use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

WEB_CMD    = gunicorn config.wsgi:application --bind $${WEB_BIND:-127.0.0.1:8000} --workers $${WEB_WORKERS:-2} --access-logfile -
# every queue of CELERY_TASK_ROUTES and the default one; a scaled-out worker names fewer (docs/SCALING.md)
WORKER_QUEUES = celery,sweep,documents,notifications,webhooks
WORKER_CMD = celery -A config worker --loglevel=INFO --concurrency=$${WORKER_CONCURRENCY:-2} -Q $${WORKER_QUEUES:-$(WORKER_QUEUES)}
BEAT_CMD   = celery -A config beat --loglevel=INFO

.PHONY: help install migrate demo-data demo run web worker beat test typecheck lint messages ci clean bench bench-lists bench-tools

help:
	@echo "make demo   install, migrate, load demo data, run web + worker + beat on http://127.0.0.1:8000"
	@echo "make test   install and run the whole suite (SQLite, or PostgreSQL/Redis from DATABASE_URL/REDIS_URL)"
	@echo "other verbs: install migrate demo-data run web worker beat typecheck lint messages clean"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

migrate: install
	$(PY) manage.py migrate --noinput

demo-data: migrate
	$(PY) manage.py demo_data

# `make demo` runs like production: DEBUG off, static files served by the app server (WhiteNoise),
# the branded error pages. Plain HTTP on localhost, so no TLS redirect and cookies without Secure.
DEMO_ENV = DEBUG=0 SECRET_KEY="$$(cat var/demo-secret-key)" ALLOWED_HOSTS=127.0.0.1,localhost \
           SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0

demo: demo-data
	@test -s var/demo-secret-key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/demo-secret-key
	$(DEMO_ENV) $(MAKE) --no-print-directory run

# web + worker + beat in the foreground; Ctrl-C stops all three
run: install
	$(PY) manage.py collectstatic --noinput -v0
	WEB_CMD="$(WEB_CMD)" WORKER_CMD="$(WORKER_CMD)" BEAT_CMD="$(BEAT_CMD)" bin/run-all

web: install
	$(PY) manage.py collectstatic --noinput -v0
	$(WEB_CMD)

worker: install
	$(WORKER_CMD)

beat: install
	$(BEAT_CMD)

test: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# mypy with django-stubs over every services and selectors module ([tool.mypy] in pyproject.toml)
typecheck: install
	$(VENV)/bin/mypy

lint: install
	$(VENV)/bin/ruff check .

messages: install
	$(PY) manage.py makemessages -l ru --no-obsolete --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

ci:
	bash .ci/run

clean:
	rm -rf var .pytest_cache

# Benchmarks on PostgreSQL (DATABASE_URL); results go to bench/results/ and the README
bench: install bench-tools
	$(PY) tests/bench/sla_sweep.py
	$(PY) tests/bench/acts_invoices.py
	$(PY) tests/bench/reviews.py
	$(PY) tests/bench/tenant_keys.py
	$(PY) tests/bench/clock_figures.py
	$(PY) tests/bench/lists.py

# only the list benchmark (HTTP load through gunicorn with wrk)
bench-lists: install bench-tools
	$(PY) tests/bench/lists.py

# the HTTP load tool of the list benchmark, from Debian
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { echo "installing wrk (Debian)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
