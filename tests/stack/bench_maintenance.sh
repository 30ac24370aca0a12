#!/usr/bin/env bash
# `make bench` (maintenance part): parse throughput over the vendor corpus in one process and peak memory,
# Clinic's release binary side by side with circuit-maintenance-parser 2.12.0 (the Python library, in its own
# venv). Needs ../shared/corpus/maintenance beside the checkout; says SKIPPED otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS=../shared/corpus/maintenance
TOOLS=../shared/tools
RUNS=${RUNS:-5}
if [ ! -d "$CORPUS" ]; then
  echo "SKIPPED: maintenance bench: $CORPUS not found (the vendor corpus is not in this repository)"
  exit 0
fi
cargo build --release --quiet -p clinic --bin clinic
mails=("$CORPUS"/*.eml)
peak_kib() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }

echo "== Clinic (target/release/clinic maintenance parse, one process, ${#mails[@]} mails)"
python3 "$TOOLS/conformance.py" --dir "$CORPUS" --batch --time "$RUNS" \
  --cmd 'target/release/clinic maintenance parse {}' | grep -E 'passed|time \['
echo "peak RSS: $(peak_kib target/release/clinic maintenance parse "${mails[@]}") KiB"
echo "single thread:"
CLINIC_PARSE_THREADS=1 python3 "$TOOLS/conformance.py" --dir "$CORPUS" --batch --time "$RUNS" \
  --cmd 'target/release/clinic maintenance parse {}' | grep -E 'time \['

if [ ! -x .venv-bench/bin/python ] || ! .venv-bench/bin/python -c 'import circuit_maintenance_parser' 2>/dev/null; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check 'circuit-maintenance-parser[xlsx]==2.12.0'
fi
echo
echo "== circuit-maintenance-parser 2.12.0 (cmp_parse.py --batch, one process)"
CMP_PYTHON=.venv-bench/bin/python python3 "$TOOLS/conformance.py" --dir "$CORPUS" --self-check --batch \
  --time "$RUNS" | grep -E 'passed|time \[|in-process' || true
echo "peak RSS: $(peak_kib .venv-bench/bin/python "$TOOLS/cmp_parse.py" --batch "${mails[@]}") KiB"
