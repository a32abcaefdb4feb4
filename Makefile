# openrouter-credits. `make test` sets up everything it needs on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HAND_WRITTEN := wrapper tests tools bench

.DEFAULT_GOAL := help
BENCH_VENV := .venv-bench

SPEC_URL ?= https://openrouter.ai/openapi.yaml
PORT     ?= 8080

.PHONY: help setup update-spec generate dist check-generated lint format test conformance demo mock bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e '.[mock]'
	@touch $@

setup: $(STAMP) ## create .venv with the pinned tools and the project installed (editable)

update-spec: $(STAMP) ## fetch upstream's newest document into openapi.yaml (SPEC_URL= a URL or a path); say what changed
	$(BIN)/python tools/update_spec.py '$(SPEC_URL)'

generate: $(STAMP) ## select, normalise openapi.yaml and regenerate generated/ from scratch
	$(BIN)/python tools/generate.py

check-generated: $(STAMP) ## fail, showing the difference, when generated/ is not what the spec produces
	$(BIN)/python tools/generate.py --check

lint: $(STAMP) ## ruff check + ruff format --check, mypy --strict (wrapper/, tools/, a user's script), actionlint on the workflows
	$(BIN)/ruff check $(HAND_WRITTEN)
	$(BIN)/ruff format --check $(HAND_WRITTEN)
	$(BIN)/mypy --strict -p openrouter_credits
	$(BIN)/mypy --strict tests/packaging/typecheck/user_script.py
	$(BIN)/mypy --strict tools
	$(BIN)/jactionlint --no-online --color=never --profile correctness --shellcheck=$(BIN)/shellcheck .github/workflows/*.yml

format: $(STAMP) ## apply ruff's fixes and formatting to hand-written code
	$(BIN)/ruff check --fix $(HAND_WRITTEN)
	$(BIN)/ruff format $(HAND_WRITTEN)

# pytest runs last, on every core (pytest-xdist): its summary is the closing line that says how many
# tests passed. Conformance is one of its tests (tests/mock/test_conformance.py).
test: $(STAMP) check-generated lint ## everything: drift check, lint, type check, pytest (conformance included)
	$(BIN)/python -m pytest -n auto --dist loadgroup

conformance: $(STAMP) ## schemathesis run --checks all against the live mock (both documents, with and without a key)
	$(BIN)/python tools/conformance.py

demo: $(STAMP) ## the command against the mock: the view, --json, prometheus, thresholds, the chart, an ordinary key
	$(BIN)/python tools/demo.py

dist: $(STAMP) ## build the sdist and wheel into dist/, and smoke-test each in a fresh virtual environment
	$(BIN)/python tools/dist.py --outdir dist

$(BENCH_VENV)/.installed: bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@touch $@

# The project is installed as users get it (a wheel, byte-compiled like every other contender),
# afresh on each run so the figures are for the code in the tree.
bench: $(BENCH_VENV)/.installed ## benchmarks (client, default view, activity, exporter, serve under abuse and in an alert storm, the status page's render, the ledger, the forecast's backtest, the guards) against bare httpx and the official SDK; writes bench/results.md
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall .
	$(BENCH_VENV)/bin/python bench/run.py
	cd bench && ../$(BENCH_VENV)/bin/python serve_abuse.py
	cd bench && ../$(BENCH_VENV)/bin/python alerts_storm.py
	$(BENCH_VENV)/bin/python bench/page.py
	$(BENCH_VENV)/bin/python bench/ledger.py
	$(BENCH_VENV)/bin/python bench/forecast.py
	$(BENCH_VENV)/bin/python bench/guard.py

mock: $(STAMP) ## run the mock OpenRouter on 127.0.0.1:8080 (PORT=... for another) until Ctrl-C
	$(BIN)/openrouter-credits-mock --port $(PORT)

clean: ## remove the virtual environment and build products
	rm -rf $(VENV) $(BENCH_VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info wrapper/*.egg-info generated/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
