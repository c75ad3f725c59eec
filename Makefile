# Two commands: `make demo` runs the loop end to end, `make test` passes the tests.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-fast lint bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	@export PATH="$(CURDIR)/$(BIN):$$PATH"; \
	start=$$(date +%s); \
	staleguard setup; \
	staleguard data fetch; \
	dvc push -q; \
	dvc repro; \
	dvc push -q; \
	staleguard replay; \
	staleguard dashboard --history reports/monitor-history.json --out reports/dashboard; \
	echo; echo "demo finished in $$(( $$(date +%s) - start )) s. Results:"; \
	echo "  replay:  reports/freshness.png, reports/freshness.md (policy table), reports/freshness.json"; \
	echo "  dashboard: $(CURDIR)/reports/dashboard/index.html (the monitored model's 100 weeks; open it in a browser)"; \
	echo "  metrics: reports/metrics.json"; \
	echo "  plots:   reports/plots/*.png"

test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -m "not slow and not workflows" -n 2

lint: $(STAMP)   # the same checks as .pre-commit-config.yaml
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/actionlint -oneline
	$(BIN)/zizmor --offline -q --persona=pedantic .
	$(BIN)/hadolint Dockerfile
	$(BIN)/shellcheck docker/entrypoint.sh

bench: $(STAMP)
	@export PATH="$(CURDIR)/$(BIN):$$PATH"; \
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python "$$b"; done

clean:
	rm -rf $(VENV) artifacts .pytest_cache
