# Two commands on a fresh machine: `make run` serves the API, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test prepare lint clean help

help:
	@echo "make run    set up, prepare the default data and a trained run, serve http://127.0.0.1:8000"
	@echo "make test   set up, prepare, run every test (what CI runs)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

prepare: $(STAMP)
	$(BIN)/chunyun prepare

run: prepare
	$(BIN)/chunyun serve

test: prepare
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var
