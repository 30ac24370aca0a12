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

.PHONY: help venv build test lint infra-check conformance bench demo package deploy stack-up stack-down clean

help:
	@echo "make demo   - run the weekly rotation on the local stack and show what it did"
	@echo "make test   - fmt, clippy, unit and integration tests (against moto server)"
	@echo "make bench  - benchmarks (figures in docs/benchmarks.md)"
	@echo "make package - release zips of every function into dist/ (ARCH=x86_64|arm64, ROSTER=file)"
	@echo "make deploy - terraform init + apply of infra/ with those zips (needs an AWS account)"
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

test: venv lint infra-check
	cargo test --workspace
	@echo "the brief's and the functions' table tests again, on the stack with partition-indexed Queries:"
	CLINIC_STACK_INDEXED_QUERIES=1 cargo test -p clinic-tests --test brief --test follow_up --test rotation --test oncall --test phabricator
	@$(MAKE) --no-print-directory conformance

# The stack cannot be validated offline (no provider downloads): format, and checkov's policy checks,
# every skipped check justified in a comment beside it. tests/tests/infra.rs checks the wiring.
CHECKOV_VERSION := 3.3.30
$(VENV)-checkov/.installed:
	python3 -m venv $(VENV)-checkov
	$(VENV)-checkov/bin/pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $@

infra-check: $(VENV)-checkov/.installed
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive infra >/dev/null 2>&1 || { echo "infra/ is not terraform-fmt clean: run terraform fmt -recursive infra"; exit 1; }; \
	else echo "SKIPPED: terraform fmt -check (terraform is not installed)"; fi
	BC_SKIP_MAPPING=TRUE $(VENV)-checkov/bin/checkov --directory infra --framework terraform --quiet --compact --skip-download

# The vendor corpus stays beside the checkout (third-party text); a clone without it says so.
CORPUS := ../shared/corpus/maintenance
conformance: build
	@if [ -d $(CORPUS) ]; then \
	  echo "maintenance parser conformance on $(CORPUS):"; \
	  python3 ../shared/tools/conformance.py --dir $(CORPUS) --batch --cmd '$(CLINIC) maintenance parse {}' | tail -n 3; \
	else echo "SKIPPED: maintenance parser conformance: $(CORPUS) not found (the vendor corpus is not in this repository)"; fi

$(VENV)-tools/.installed:
	python3 -m venv $(VENV)-tools
	$(VENV)-tools/bin/pip install --quiet --disable-pip-version-check 'cargo-lambda==1.9.2'
	touch $@

package: $(VENV)-tools/.installed
	@bash tests/stack/package.sh

# Needs AWS credentials and the internet; see docs/deploy.md for the variables to set first.
deploy: package
	cd infra && terraform init && terraform apply

bench: venv $(VENV)-tools/.installed
	cargo bench --workspace --benches -- --noplot
	@echo "the brief again, on the stack with partition-indexed Queries (moto_stack.py --indexed-queries):"
	CLINIC_STACK_INDEXED_QUERIES=1 cargo bench -p clinic-tests --bench brief -- --noplot
	@bash tests/stack/bench_maintenance.sh
	@bash tests/stack/bench_coldstart.sh

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
