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

.PHONY: help venv build test lint infra-check conformance browser-test bench demo package deploy stack-up stack-down stack-env holidays-data clean

help:
	@echo "make demo   - run the weekly rotation on the local stack and show what it did"
	@echo "make test   - fmt, clippy, unit and integration tests (against moto server)"
	@echo "make bench  - benchmarks (figures in docs/benchmarks.md)"
	@echo "make package - release zips of every function into dist/ (ARCH=x86_64|arm64, ROSTER=file)"
	@echo "make deploy - terraform init + apply of infra/ with those zips (needs an AWS account)"
	@echo "make stack-up / stack-down - start or stop the local stack by hand"
	@echo "eval \$$(make -s stack-env) - the variables the clinic CLI needs against that stack"
	@echo "make holidays-data - regenerate shared/data/holidays.bin from the pinned Python holidays package"

$(VENV)/.installed:
	@echo "== the local AWS stack: moto[server] $(MOTO_VERSION) into $(VENV) (a download of about 60 MB, once)"
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

# An independent, strict iCalendar parser for the feeds' tests (tests/stack/ical_check.py), apart
# from moto's venv so neither pins the other's dependencies.
ICALENDAR_VERSION := 6.1.3
$(VENV)-ical/.installed:
	@echo "== the feeds' iCalendar parser: icalendar $(ICALENDAR_VERSION) into $(VENV)-ical (a small download, once)"
	python3 -m venv $(VENV)-ical
	$(VENV)-ical/bin/pip install --quiet --disable-pip-version-check 'icalendar==$(ICALENDAR_VERSION)'
	touch $@

# A real Matrix homeserver for the chat adapter's tests (tests/src/synapse.rs): Synapse from PyPI,
# pinned, from wheels only (it installs on Python 3.11 without a Rust or C toolchain).
SYNAPSE_VERSION := 1.163.2
$(VENV)-synapse/.installed:
	@echo "== the Matrix tests' homeserver: matrix-synapse $(SYNAPSE_VERSION) into $(VENV)-synapse (a download of about 50 MB, once)"
	python3 -m venv $(VENV)-synapse
	$(VENV)-synapse/bin/pip install --quiet --disable-pip-version-check --only-binary=:all: 'matrix-synapse==$(SYNAPSE_VERSION)'
	touch $@

venv: $(VENV)/.installed $(VENV)-ical/.installed $(VENV)-synapse/.installed

# Builds are not --quiet: the first one compiles ~450 crates for several minutes, and cargo's
# "Compiling …" lines are how a newcomer sees it is working.
build:
	@echo "== building the workspace (debug; the first build takes 6-10 min on 2 cores)"
	cargo build --workspace

lint:
	@echo "== lint: rustfmt, then clippy on every target (the first run compiles the tests: several minutes)"
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# The second pass names the workspace as the first does: with `-p clinic-tests` cargo would unify
# features for that package alone and rebuild a dozen crates (about 8 minutes); this way it reuses
# the first pass' build.
test: venv lint infra-check
	@echo "== unit, property and integration tests (moto server on loopback; about 15 min on 2 cores)"
	cargo test --workspace
	@echo "== the brief's and the functions' table tests again, on the stack with partition-indexed Queries (same build)"
	CLINIC_STACK_INDEXED_QUERIES=1 cargo test --workspace --test brief --test follow_up --test rotation --test oncall --test phabricator
	@$(MAKE) --no-print-directory conformance
	@$(MAKE) --no-print-directory browser-test

# The stack cannot be validated offline (no provider downloads): format, and checkov's policy checks,
# every skipped check justified in a comment beside it. tests/tests/infra.rs checks the wiring.
CHECKOV_VERSION := 3.3.30
$(VENV)-checkov/.installed:
	@echo "== the Terraform policy checker: checkov $(CHECKOV_VERSION) into $(VENV)-checkov (a download of about 250 MB, once)"
	python3 -m venv $(VENV)-checkov
	$(VENV)-checkov/bin/pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $@

infra-check: $(VENV)-checkov/.installed
	@echo "== infra: terraform fmt and checkov's policy checks"
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

# The pages in a real browser: playwright-core (pinned in tests/browser/package-lock.json, from the npm
# registry) driving Debian's Chromium (/usr/bin/chromium; .ci/run installs it) against `clinic serve`
# on the local stack. Screenshots of each page: target/browser/.
tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	@echo "== the browser test's npm packages (playwright-core, about 9 MB, once)"
	cd tests/browser && npm ci --no-audit --no-fund

browser-test: venv build tests/browser/node_modules/.package-lock.json
	@echo "== the pages in Chromium: sign in through the mailed link, the now page, a maintenance confirmed, a personal feed issued, parsed strictly and revoked (screenshots in target/browser/)"
	@bash tests/stack/browser.sh

# The public holidays the planner embeds, regenerated from PyPI's `holidays` at a pinned version;
# the output is committed, so building never needs Python (docs/roster.md).
HOLIDAYS_VERSION := 0.109
$(VENV)-holidays/.installed:
	@echo "== holidays $(HOLIDAYS_VERSION) into $(VENV)-holidays (a download of about 2 MB, once)"
	python3 -m venv $(VENV)-holidays
	$(VENV)-holidays/bin/pip install --quiet --disable-pip-version-check 'holidays==$(HOLIDAYS_VERSION)'
	touch $@

holidays-data: $(VENV)-holidays/.installed
	$(VENV)-holidays/bin/python shared/tools/generate_holidays.py shared/data/holidays.bin

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
	@echo "the brief again, and the web pages and feeds, on the stack with partition-indexed Queries (moto_stack.py --indexed-queries):"
	CLINIC_STACK_INDEXED_QUERIES=1 cargo bench -p clinic-tests --bench brief --bench web -- --noplot
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

# The variables the clinic CLI reads against the stack `make stack-up` started; moto takes any
# credentials, and static ones keep the SDK from looking for an instance-metadata endpoint.
stack-env:
	@if [ -s $(STACK_DIR)/port ] && [ -f $(STACK_DIR)/pid ] && kill -0 $$(cat $(STACK_DIR)/pid) 2>/dev/null; then \
	  echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$$(cat $(STACK_DIR)/port)"; \
	  echo "export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"; \
	  echo "export CLINIC_TABLE=clinic-local CLINIC_SENDER=clinic@example.net CLINIC_ROSTER=events/roster.toml"; \
	else echo "echo 'no local stack is running: make stack-up' >&2; false"; fi

stack-down:
	@if [ -f $(STACK_DIR)/pid ]; then kill $$(cat $(STACK_DIR)/pid) 2>/dev/null || true; rm -f $(STACK_DIR)/pid $(STACK_DIR)/port; echo "local stack stopped"; fi

demo: venv build
	@bash tests/stack/demo.sh

clean: stack-down
	cargo clean
	rm -rf $(VENV) $(VENV)-synapse $(STACK_DIR)
