# LearnFlow — every entry point. `make up` and `make test` install whatever is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install when the project's dependencies change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml setup.py | sha1sum | cut -c1-12)

SERVICE_PACKAGES := code_runner:code-runner triage_agent:agents/triage concepts_agent:agents/concepts \
	tutor_agent:agents/tutor debrief_agent:agents/debrief

.PHONY: help up down status test test-unit lint bench chaos bootstrap bootstrap-tests clean

help:
	@echo "make up       set up (first run: several minutes) and start the whole mesh"
	@echo "make test     set up and run every test (unit + integration on the real stack)"
	@echo "make down     stop every process of the mesh"
	@echo "make status   show each process and its health"
	@echo "make lint     ruff + mypy (strict on the shared package)"
	@echo "make bench    benchmarks (mesh overhead, Kafka throughput, sandbox, offline tutor per message)"
	@echo "make chaos    randomised chaos run on a stack of its own (MINUTES=10, SEED=<n>)"

$(STAMP): pyproject.toml setup.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
		{ echo "learnflow: error: Python 3.11 is required as '$(PYTHON)' (set PYTHON=/path/to/python3.11)"; exit 1; }
	@echo "==> creating $(VENV) and installing LearnFlow's Python dependencies"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

bootstrap: $(STAMP)
	@$(BIN)/learnflow bootstrap > /dev/null

bootstrap-tests: $(STAMP)
	@$(BIN)/learnflow bootstrap --with-browser > /dev/null

up: $(STAMP)
	@$(BIN)/learnflow up

down: $(STAMP)
	@$(BIN)/learnflow down

status: $(STAMP)
	@$(BIN)/learnflow status

test: bootstrap-tests
	@$(BIN)/learnflow curriculum check
	@$(BIN)/pytest

test-unit: $(STAMP)
	@$(BIN)/pytest -m "not integration and not fake_triage"

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy
	@# the service folders are packages under other names: give mypy a view of them
	@mkdir -p .cache/mypy && for p in $(SERVICE_PACKAGES); do ln -sfn ../../$${p#*:} .cache/mypy/$${p%%:*}; done
	@MYPYPATH=.cache/mypy $(BIN)/mypy --strict $(foreach p,$(SERVICE_PACKAGES),-p $(firstword $(subst :, ,$(p))))

bench: bootstrap
	@$(BIN)/python -m benchmarks

chaos: bootstrap
	@$(BIN)/python -m tests.chaos.randomised --minutes $(or $(MINUTES),10) $(if $(SEED),--seed $(SEED))

clean: down
	rm -rf .run
