# Locaux Communs — the two commands of the README, and a few helpers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint vendor clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-run

## Set up, load the demo territory and serve on http://127.0.0.1:$(PORT) (SQLite unless DATABASE_URL is set).
run: $(VENV)/.installed-run
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

## Run the whole test suite (SQLite unless DATABASE_URL points to PostgreSQL).
test: $(VENV)/.installed-test
	$(PY) -m pytest --create-db

lint: $(VENV)/.installed-test
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

## Refresh the vendored front-end libraries from npm (needs node/npm; the result is committed).
vendor:
	rm -rf node_modules && npm install --no-audit --no-fund
	mkdir -p static/vendor/leaflet/images
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE static/vendor/leaflet/
	cp node_modules/leaflet/dist/images/*.png static/vendor/leaflet/images/

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
