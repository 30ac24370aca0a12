#!/usr/bin/env bash
# `make demo`: the weekly rotation job end to end on the local stack, then what it did.
# Starts its own moto server on a free loopback port and stops it on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
CLINIC=target/debug/clinic
work=$(mktemp -d)
"$PY" tests/stack/moto_stack.py --port-file "$work/port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true; wait $moto 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/moto.log"; echo "local stack did not start"; exit 1; }

export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export CLINIC_TABLE=clinic-demo CLINIC_SENDER=clinic@example.net CLINIC_ROSTER=events/roster.toml
export RUST_LOG=error
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

section "Vendor maintenance mail: the mails in events/maintenance/ arrive through S3 (as SES stores them)"
export CLINIC_CALENDAR_BUCKET=clinic-demo-calendar CLINIC_CALENDAR_KEY=feeds/8c1f5e0a94d27b36e1c0/maintenance.ics
$CLINIC setup bucket --name clinic-demo-inbound
$CLINIC setup bucket --name "$CLINIC_CALENDAR_BUCKET"
for mail in events/maintenance/*.eml; do
  key="inbound/$(basename "$mail" .eml)"
  "$PY" tests/stack/inspect_stack.py put "$AWS_ENDPOINT_URL" clinic-demo-inbound "$key" "$mail" "$work/event.json"
  $CLINIC invoke maintenance-mail --event "$work/event.json"
done
echo "(the first mail again: nothing changes)"
"$PY" tests/stack/inspect_stack.py put "$AWS_ENDPOINT_URL" clinic-demo-inbound inbound/01-northwind-scheduled events/maintenance/01-northwind-scheduled.eml "$work/event.json"
$CLINIC invoke maintenance-mail --event "$work/event.json"

section "Stored maintenances (clinic maintenance list)"
$CLINIC maintenance list --from 2027-01-01 --to 2027-03-31

section "Mail kept for review (clinic maintenance review)"
$CLINIC maintenance review

section "The calendar feed, s3://$CLINIC_CALENDAR_BUCKET/$CLINIC_CALENDAR_KEY"
"$PY" tests/stack/inspect_stack.py object "$AWS_ENDPOINT_URL" "$CLINIC_CALENDAR_BUCKET" "$CLINIC_CALENDAR_KEY"

section "Done; the local stack is stopped"
