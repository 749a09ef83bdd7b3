# Locaux Communs — the two commands of the README, and a few helpers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run dev .env-secret-key worker beat test lint schema bench bench-observatory bench-season lock vendor clean

# Dependencies come from the lock files, every file checked against its hash; the project itself
# is then installed without resolving anything (`make lock` refreshes the locks).
$(VENV)/.installed-run: requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/lock.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/lock-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/lock-test.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) requirements/check_lock.py
	touch $@ $(VENV)/.installed-run

## Refresh requirements/lock*.txt from pyproject.toml, with hashes, for Python 3.11 on any platform
## (CI and production). Keeps the versions already locked unless needed: `make lock UPGRADE=--upgrade`.
UV_SPEC ?= uv>=0.9,<1
LOCK_FLAGS = --quiet --generate-hashes --python-version 3.11 --universal --custom-compile-command "make lock" $(UPGRADE)
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet '$(UV_SPEC)'
	$(PY) -m uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements/lock.txt
	$(PY) -m uv pip compile pyproject.toml --extra test -c requirements/lock.txt $(LOCK_FLAGS) -o requirements/lock-test.txt

.env:
	printf '# Local development settings (not for production; see .env.example).\nDEBUG=true\nDEMO_MODE=true\n' > $@

# The demo's server runs with DEBUG off, so it needs a secret key: one per checkout, kept in .env.
.env-secret-key: .env
	grep -q '^SECRET_KEY=' .env || printf 'SECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" >> .env

## Set up, load the demo territory and serve on http://127.0.0.1:$(PORT) (SQLite unless DATABASE_URL is set).
## Links in e-mails and calendar feeds point at that address (SITE_URL, unless set).
## The server runs as in production (DEBUG off: the product's own French 404/403/500 pages), but
## over plain HTTP with static files and photos served by Django itself (LOCAL_SERVE).
## `make dev` serves the same with DEBUG on (Django's technical error pages, for development).
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed-run .env .env-secret-key
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=false DEMO_MODE=true LOCAL_SERVE=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

dev: export SITE_URL ?= http://127.0.0.1:$(PORT)
dev: $(VENV)/.installed-run .env
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

## Background jobs against Redis (REDIS_URL, or CELERY_BROKER_URL; in the environment or .env).
## Start one or more workers, and ONE beat (it sends the periodic jobs of config/schedule.py).
## Both refuse to start without a broker: `make run` runs the jobs in-process instead.
worker: $(VENV)/.installed-run
	$(PY) -m celery -A config worker --loglevel=INFO

beat: $(VENV)/.installed-run
	$(PY) -m celery -A config beat --loglevel=INFO --schedule=$(CURDIR)/.celerybeat-schedule

## Run the whole test suite (SQLite unless DATABASE_URL points to PostgreSQL). On SQLite the test
## database is a file, so the threaded tests (writers serialised by IMMEDIATE transactions) run.
SQLITE_TEST_DB ?= $(CURDIR)/.pytest-db.sqlite3
# On every core (pytest-xdist, at most 4 workers), one test module per worker at a time
# (--dist loadfile): the modules that start a Celery worker or servers each own a Redis
# database number (tests/stack/__init__.py), so two modules never share one. Each worker has
# its own test database (the name gets a _gw0, _gw1… suffix). PYTEST_ARGS adds options,
# e.g. PYTEST_ARGS="-n 0" for one process, or a path.
PYTEST_ARGS ?=
test: $(VENV)/.installed-test
	$(if $(DATABASE_URL),,TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-$(SQLITE_TEST_DB)}) $(PY) -m pytest --create-db -n auto --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

## Regenerate the API's committed contract, docs/openapi.yaml (tests/api/test_openapi_contract.py
## fails while it differs from what the code generates): in English, the code's own strings, so
## that a change of the French catalogue is not a change of contract. Review `git diff` after.
schema: $(VENV)/.installed-run
	DEBUG=true $(PY) manage.py spectacular --lang en --validate --fail-on-warn --file docs/openapi.yaml

## The load benchmark of issue 18 (docs/benchmarks.md, "Load"): wrk (`apt-get install wrk`) against
## gunicorn, on two PostgreSQL databases of its own, created and dropped (DATABASE_URL and
## BARE_DATABASE_URL, default locaux_bench_load and locaux_bench_load_bare); ~10 minutes.
## Options: `make bench BENCH_ARGS="--only api-spaces,bare-list --seconds 5"`.
bench: $(VENV)/.installed-run
	$(PY) -m bench.load $(BENCH_ARGS)

## The observatory's benchmark (issue 15, docs/benchmarks.md "Observatory"): 500 spaces and
## 200,000 occupancy rows on a PostgreSQL database of its own (created and dropped), ~7 minutes.
bench-observatory: $(VENV)/.installed-run
	$(PY) -m bench.observatory $(BENCH_ARGS)

## The season's optimiser (issue 17, docs/benchmarks.md "Season"): a commune's campaign (100
## structures × 5 wishes, 40 spaces) and the intercommunality's (1,000 structures, 400 spaces),
## solved by HiGHS and by a greedy baseline; no database; about a minute.
bench-season: $(VENV)/.installed-run
	$(PY) -m bench.season $(BENCH_ARGS)

## Refresh the vendored front-end libraries from npm (needs node/npm; the result is committed).
vendor:
	rm -rf node_modules && npm install --no-audit --no-fund
	mkdir -p static/vendor/leaflet/images
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE static/vendor/leaflet/
	cp node_modules/leaflet/dist/images/*.png static/vendor/leaflet/images/
	mkdir -p static/vendor/chartjs
	# Chart.js: the UMD build alone (one file, sets window.Chart), for the observatory's charts.
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/chartjs/
	cp node_modules/chart.js/LICENSE.md static/vendor/chartjs/LICENSE
	mkdir -p static/vendor/fullcalendar
	cp node_modules/fullcalendar/index.global.min.js node_modules/@fullcalendar/core/locales/fr.global.min.js static/vendor/fullcalendar/
	cp node_modules/fullcalendar/LICENSE.md static/vendor/fullcalendar/LICENSE
	# FullCalendar 6 injects its CSS in a <style> element, with its icon font as a data: URL: the CSP
	# forbids both, so ship them as files (bookings/static/bookings/calendar-csp.js stops the injection).
	node -e 'const fs = require("fs"), vm = require("vm"), dir = "static/vendor/fullcalendar/"; const js = fs.readFileSync("node_modules/fullcalendar/index.global.js", "utf8"); let css = [...js.matchAll(/^ *var css_248z\S* = (".*");$$/gm)].map((m) => vm.runInNewContext(m[1])).join("\n"); const font = css.match(/url\("data:application\/x-font-ttf;charset=utf-8;base64,([^"]+)"\)/); if (!font) throw new Error("FullCalendar CSS or icon font not found"); fs.writeFileSync(dir + "fcicons.ttf", Buffer.from(font[1], "base64")); css = css.replace(font[0], "url(\"fcicons.ttf\")"); fs.writeFileSync(dir + "fullcalendar.css", "/* FullCalendar 6 CSS, extracted from its bundle by make vendor (MIT, see LICENSE). */\n" + css + "\n");'

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest-db.sqlite3* .celerybeat-schedule*
