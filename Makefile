# Clinic: build, test and demo on a local AWS stack (moto server on loopback, in a project venv).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

MOTO_VERSION := 5.1.22
VENV := .venv
PYTHON := $(VENV)/bin/python
STACK_DIR := .stack
CLINIC := target/debug/clinic
export CLINIC_STACK_PYTHON := $(abspath $(PYTHON))

.PHONY: help venv build test lint unit bench demo stack-up stack-down clean

help:
	@echo "make demo   - run the weekly rotation on the local stack and show what it did"
	@echo "make test   - fmt, clippy, unit and integration tests (against moto server)"
	@echo "make bench  - benchmarks (figures in README.md)"
	@echo "make stack-up / stack-down - start or stop the local stack by hand"

$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

venv: $(VENV)/.installed

build:
	cargo build --workspace --quiet

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

test: venv lint
	cargo test --workspace

bench:
	cargo bench --workspace --benches -- --noplot

# The local stack for hand use: `eval $$(make -s stack-env)` after `make stack-up`.
stack-up: venv
	@mkdir -p $(STACK_DIR)
	@if [ -f $(STACK_DIR)/pid ] && kill -0 $$(cat $(STACK_DIR)/pid) 2>/dev/null; then \
	  echo "local stack already running on port $$(cat $(STACK_DIR)/port)"; exit 0; fi
	@rm -f $(STACK_DIR)/port
	@nohup $(PYTHON) tests/stack/moto_stack.py --port-file $(STACK_DIR)/port > $(STACK_DIR)/moto.log 2>&1 & echo $$! > $(STACK_DIR)/pid
	@for i in $$(seq 1 100); do [ -s $(STACK_DIR)/port ] && break; sleep 0.1; done
	@[ -s $(STACK_DIR)/port ] || { echo "local stack did not start; see $(STACK_DIR)/moto.log"; exit 1; }
	@echo "local stack: http://127.0.0.1:$$(cat $(STACK_DIR)/port) (pid $$(cat $(STACK_DIR)/pid))"

stack-down:
	@if [ -f $(STACK_DIR)/pid ]; then kill $$(cat $(STACK_DIR)/pid) 2>/dev/null || true; rm -f $(STACK_DIR)/pid $(STACK_DIR)/port; echo "local stack stopped"; fi

demo: venv build
	@bash tests/stack/demo.sh

clean: stack-down
	cargo clean
	rm -rf $(VENV) $(STACK_DIR)
