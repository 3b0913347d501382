# The table of contents of this project. `make run` and `make test` are the two commands of the README.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3

.PHONY: run test lint bench messages charts clean help fonts image

help:
	@echo "make run    - install, migrate, load the demo data and serve on http://127.0.0.1:8000 (with a Celery worker and beat)"
	@echo "make test   - install the test tools and run the whole test suite"
	@echo "make lint   - ruff, mypy and the migrations check"
	@echo "make bench  - import, ledger, export and sweep figures (printed, not asserted)"
	@echo "make messages - extract and compile the translations (needs GNU gettext)"
	@echo "make charts - redraw the process charts of the README (docs/*.svg)"
	@echo "make image  - build the production image (needs a Docker engine; see the README, Deploying)"

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

# The free faces of the official documents (FandolFang, FandolKai); Noto CJK comes with apt-get (README).
fonts:
	bin/install-fonts

run: $(VENV)/.runtime fonts
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	PATH="$(abspath $(VENV))/bin:$$PATH" bin/run-embedded

test: $(VENV)/.dev fonts
	$(PY) -m pytest

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

bench: $(VENV)/.dev
	$(PY) bench/import_and_ledger.py && $(PY) bench/ledger_exports.py && $(PY) bench/sweep.py

messages: $(VENV)/.runtime
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

charts: $(VENV)/.runtime
	$(PY) -c "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'workflow.settings.base'); django.setup(); \
	from django.core.management import call_command; from django.utils import translation; translation.activate('en'); \
	call_command('flowexport', 'processes/flows.CompletionFlow', '-o', 'docs/completion-flow.svg'); \
	call_command('flowexport', 'processes/flows.EscalationFlow', '-o', 'docs/escalation-flow.svg')"

image:
	docker build -t zerowaste:latest .

clean:
	rm -rf var
