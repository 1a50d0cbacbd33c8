# LearnFlow — every entry point. `make up` and `make test` install whatever is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install when the project's dependencies change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml setup.py requirements.lock | sha1sum | cut -c1-12)

SERVICE_PACKAGES := code_runner:code-runner triage_agent:agents/triage concepts_agent:agents/concepts \
	tutor_agent:agents/tutor debrief_agent:agents/debrief

.PHONY: help up down status test test-unit lint bench chaos bootstrap bootstrap-tests clean lock

help:
	@echo "make up       set up (first run: several minutes) and start the whole mesh"
	@echo "              make up LLM=local: with the local model server (SmolLM2-135M) behind the agents"
	@echo "make test     set up and run every test (unit + integration on the real stack)"
	@echo "make down     stop every process of the mesh"
	@echo "make status   show each process and its health"
	@echo "make lint     ruff + mypy (strict on the shared package); ESLint + tsc on the web app"
	@echo "make lock     re-resolve requirements.lock after changing pyproject.toml's dependencies"
	@echo "make bench    benchmarks (mesh overhead, Kafka throughput, sandbox, offline tutor per message)"
	@echo "make chaos    randomised chaos run on a stack of its own (MINUTES=10, SEED=<n>)"

$(STAMP): pyproject.toml setup.py requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
		{ echo "learnflow: error: Python 3.11 is required as '$(PYTHON)' (set PYTHON=/path/to/python3.11)"; exit 1; }
	@echo "==> creating $(VENV) and installing LearnFlow's Python dependencies"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# exactly the locked versions (requirements.lock, `make lock`), then LearnFlow itself
	@$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

bootstrap: $(STAMP)
	@$(BIN)/learnflow bootstrap > /dev/null

bootstrap-tests: $(STAMP)
	@$(BIN)/learnflow bootstrap --with-browser --with-kube --with-model > /dev/null

# `make up LLM=local`: also the local model server, which every agent then answers with
up: $(STAMP)
	@$(if $(LLM),LEARNFLOW_LLM=$(LLM) )$(BIN)/learnflow up

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
	@# the web app: ESLint (Next.js's rules, frontend/eslint.config.mjs) and tsc --noEmit
	@$(BIN)/learnflow bootstrap --web-packages-only
	@cd frontend && npm run --silent lint && npm run --silent typecheck

bench: bootstrap
	@$(BIN)/python -m benchmarks

# Re-resolve requirements.lock after changing pyproject.toml's dependencies (uv pip compile).
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check uv
	@$(BIN)/python learnflow/lockfile.py

chaos: bootstrap
	@$(BIN)/python -m tests.chaos.randomised --minutes $(or $(MINUTES),10) $(if $(SEED),--seed $(SEED))

clean: down
	rm -rf .run
