# Two commands for a new machine (README): `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck format bench-http

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Custos needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The JavaScript Socket.IO client of tests/test_socketio_js.py (pinned in tests/js/package-lock.json),
# installed when npm is present; without node that test is skipped.
JS_STAMP := tests/js/node_modules/.installed-stamp
$(JS_STAMP): tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund
	touch $(JS_STAMP)

# The operator console's front-end libraries (console/package-lock.json), served by custos.console.finders;
# without npm the console works without them.
CONSOLE_STAMP := console/node_modules/.installed-stamp
$(CONSOLE_STAMP): console/package-lock.json
	npm ci --prefix console --no-audit --no-fund
	touch $(CONSOLE_STAMP)

install: $(STAMP) $(if $(shell command -v npm 2>/dev/null),$(JS_STAMP) $(CONSOLE_STAMP))

run: install
	$(BIN)/custos serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy: lenient everywhere, strict for the domain kit ([tool.mypy] in pyproject.toml).
typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Two pytest-xdist workers (the machines have 2 cores); each has its own CUSTOS_HOME and test
# database (config/test_settings.py), and the tests that start servers or workers take free ports.
test: lint typecheck
	$(BIN)/pytest -n 2

bench-http: install
	$(BIN)/python bench/http.py
