# FLTR developer commands. `make help` lists them.
SHELL := /bin/bash
UV ?= uv
PYTEST ?= $(UV) run --frozen pytest
# Kubernetes objects in deploy/k8s (the kustomization is not one: kustomize reads it)
K8S_MANIFESTS = $(filter-out deploy/k8s/kustomization.yaml,$(wildcard deploy/k8s/*.yaml))

.DEFAULT_GOAL := help
.PHONY: help install run test test-pg test-sqlite lint format typecheck migrate-auth migrate-content bench fuzz ts-client clean

help: ## List the commands
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

install: ## Install everything from uv.lock (into .venv)
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync --frozen

run: install ## Run both services on the embedded default (SQLite + Milvus Lite in ./var)
	$(UV) run --frozen python scripts/dev.py

test: install lint test-pg test-sqlite ## Lint, then the suite on PostgreSQL, then the core on SQLite

test-pg: ## The whole suite on PostgreSQL (FLTR_TEST_POSTGRES_URL)
	FLTR_TEST_DATABASE=postgresql $(PYTEST)

test-sqlite: ## The core paths (marker `core`) on SQLite
	FLTR_TEST_DATABASE=sqlite $(PYTEST) -m core

lint: ## ruff (lint + format check), mypy (strict), import-linter contracts, deploy/ checks
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports
	$(UV) run --frozen python deploy/check_compose.py
	$(UV) run --frozen kubernetes-validate --strict --quiet $(K8S_MANIFESTS)

format: ## Apply ruff's fixes and formatting
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

typecheck: ## mypy only
	$(UV) run --frozen mypy

migrate-auth: ## Apply the auth service's migrations (DATABASE_URL / FLTR_AUTH_DATABASE_URL)
	$(UV) run --frozen fltr-auth db upgrade

migrate-content: ## Apply the content service's migrations (DATABASE_URL / FLTR_CONTENT_DATABASE_URL)
	$(UV) run --frozen fltr-content db upgrade

fuzz: install ## Schemathesis on both services with 50 examples per operation and a fresh seed
	FLTR_FUZZ_EXAMPLES=50 FLTR_FUZZ_SEED=$$RANDOM FLTR_TEST_DATABASE=postgresql $(PYTEST) tests/e2e/test_fuzz.py

ts-client: install ## Regenerate clients/typescript (OpenAPI documents, then .d.ts) and type-check it
	$(UV) run --frozen python scripts/export_openapi.py clients/typescript/openapi
	bash clients/typescript/install.sh
	cd clients/typescript && npm run --silent generate && npm run --silent typecheck

bench: install ## Benchmarks; results in bench/results/
	$(UV) run --frozen python -m bench

clean: ## Remove ./var (local databases, Milvus Lite file, generated token)
	rm -rf var
