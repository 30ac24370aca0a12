#!/usr/bin/env bash
# `make demo`: the weekly rotation job end to end on the local stack, then what it did; then Phabricator
# triage: `clinic serve` against a local Conduit fake, replaying the sample Herald deliveries in events/.
# Starts its own moto server, Conduit fake and `clinic serve` on free loopback ports and stops them on
# exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
CLINIC=target/debug/clinic
work=$(mktemp -d)
"$PY" tests/stack/moto_stack.py --port-file "$work/port" >"$work/moto.log" 2>&1 &
pids=($!)
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/moto.log"; echo "local stack did not start"; exit 1; }

export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export CLINIC_TABLE=clinic-demo CLINIC_SENDER=clinic@example.net CLINIC_ROSTER=events/roster.toml
export RUST_LOG=warn
EVENT=events/rotation-weekly-scheduled-event.json
section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

section "Local stack on $AWS_ENDPOINT_URL: table and sender identity"
$CLINIC setup table
$CLINIC setup identity --address "$CLINIC_SENDER"
$CLINIC roster check

section "Invocation 1 of the rotation handler with $EVENT (time $(grep -o '"time": "[^"]*"' $EVENT | cut -d'"' -f4))"
$CLINIC invoke rotation --event "$EVENT"
"$PY" tests/stack/inspect_stack.py counts "$AWS_ENDPOINT_URL" "$CLINIC_TABLE"

section "Invocation 2, the same event again: nothing changes"
$CLINIC invoke rotation --event "$EVENT"
"$PY" tests/stack/inspect_stack.py counts "$AWS_ENDPOINT_URL" "$CLINIC_TABLE"

for rotation in sre-clinic cloud-clinic; do
  section "The next 8 weeks of $rotation (clinic rotation plan)"
  $CLINIC rotation plan --roster "$CLINIC_ROSTER" --rotation "$rotation" --from 2027-01-04 --weeks 8
done

section "The e-mails as the local SES received them"
"$PY" tests/stack/inspect_stack.py mail "$AWS_ENDPOINT_URL"

section "The items written to $CLINIC_TABLE"
"$PY" tests/stack/inspect_stack.py items "$AWS_ENDPOINT_URL" "$CLINIC_TABLE"

section "The audit log (clinic audit)"
$CLINIC audit

section "Phabricator triage: a Conduit fake and clinic serve on loopback"
target/debug/conduit-fake --rules shared/data/triage-rules.toml --tasks events/phabricator-demo-tasks.json \
  --port-file "$work/conduit.port" 2>"$work/conduit.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/conduit.port" ] && break; sleep 0.1; done
[ -s "$work/conduit.port" ] || { cat "$work/conduit.log"; echo "the Conduit fake did not start"; exit 1; }
export PHABRICATOR_URL="http://127.0.0.1:$(cat "$work/conduit.port")"
export PHABRICATOR_API_TOKEN=api-clinicfaketoken0000000000001
export PHABRICATOR_WEBHOOK_HMAC_KEY=clinic-demo-webhook-hmac-key-0001
export CLINIC_TRIAGE_RULES=shared/data/triage-rules.toml
$CLINIC serve --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/serve.log" || { cat "$work/serve.log"; echo "clinic serve did not start"; exit 1; }
address=$(grep -o "listening on [0-9.:]*" "$work/serve.log" | cut -d' ' -f3)
echo "Conduit fake on $PHABRICATOR_URL; clinic serve on http://$address"

section "Replaying the sample deliveries in events/ (signed with the demo key)"
"$PY" tests/stack/replay_webhooks.py "http://$address/hooks/phabricator" "$PHABRICATOR_WEBHOOK_HMAC_KEY" \
  events/phabricator-webhook-*.json

section "The triage entries of the audit log"
$CLINIC audit | grep phabricator-webhook || true

section "Done; the local stack, the Conduit fake and clinic serve are stopped"
