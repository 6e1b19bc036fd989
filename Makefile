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

install: $(STAMP)

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
