#!/usr/bin/env bash
# The pages in a real browser (`make browser-test`, part of `make test`): moto server, the weekly job
# run once to commit a week, `clinic serve` with the web pages on a free loopback port, then
# tests/browser/signin.mjs driving Debian's Chromium through playwright-core: sign in with the link
# read from the local SES, see the duty, confirm a generic reading on the maintenance page, issue a
# personal feed on the calendars page, fetch it without the cookie as a calendar client does and parse
# it with the strict parser (tests/stack/ical_check.py in .venv-ical), revoke it (then 404); then
# tests/browser/swap.mjs against the VictorOps API fake: one person asks for cover of next week, a
# colleague accepts in a second browser context, VictorOps' overrides follow. Screenshots go to
# target/browser/. Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
CLINIC=target/debug/clinic
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# A fresh Debian machine gets Debian's Chromium here, as `.ci/run` does (root only; otherwise say how).
if [ ! -x "$CHROMIUM" ] && [ "$CHROMIUM" = /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== the browser test's Chromium from Debian's packages (once)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[ -x "$CHROMIUM" ] || { echo "browser test: $CHROMIUM not found; install Debian's chromium (apt-get install -y --no-install-recommends chromium)"; exit 1; }
[ -x "$CLINIC" ] || { echo "browser test: $CLINIC not built (cargo build -p clinic)"; exit 1; }
mkdir -p target/browser
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
"$PY" tests/stack/moto_stack.py --port-file "$work/port" >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/moto.log"; echo "local stack did not start"; exit 1; }

export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export CLINIC_TABLE=clinic-browser CLINIC_SENDER=clinic@example.net CLINIC_ROSTER=events/roster.toml
export RUST_LOG=warn
$CLINIC setup table >/dev/null
$CLINIC setup identity --address "$CLINIC_SENDER" >/dev/null
# The weekly job commits 2027-W01 and mirrors the roster; the pages are then read on Tuesday of it.
$CLINIC invoke rotation --event events/rotation-weekly-scheduled-event.json --at 2027-01-01T09:00:00Z >"$work/rotation.log"
AT=2027-01-05T09:00:00Z
# A notice no template reads (a generic reading, unverified) for the maintenance page's button: put in
# a bucket as SES would and read by the maintenance-mail function, its window a week after $AT.
export CLINIC_CALENDAR_BUCKET=clinic-browser-mail CLINIC_CALENDAR_KEY=feeds/browser-test-0123456789/maintenance.ics
"$PY" - "$work/s3.json" <<'PY'
import json, sys, boto3
s3 = boto3.client("s3")
s3.create_bucket(Bucket="clinic-browser-mail")
mail = ("From: NOC <noc@ops.nordlicht-netz.de>\r\nTo: maintenance@clinic.example.org\r\n"
        "Subject: Planned maintenance NLN-2027-0042\r\nDate: Mon, 04 Jan 2027 10:00:00 +0000\r\n"
        "Message-ID: <nln-42@browser>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Dear customer,\r\n\r\nPlanned Start Time: 12.01.2027 02:00 UTC\r\nPlanned End Time: TBC\r\n"
        "Circuit ID: NLN-HAM-0091\r\nImpact: outage of up to 20 minutes\r\n").encode()
s3.put_object(Bucket="clinic-browser-mail", Key="inbound/nln-42", Body=mail)
event = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
    "eventTime": "2027-01-04T10:00:01.000Z", "eventName": "ObjectCreated:Put",
    "userIdentity": {"principalId": "AWS:ses"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
    "responseElements": {"x-amz-request-id": "req-browser-nln-42", "x-amz-id-2": "x"},
    "s3": {"s3SchemaVersion": "1.0", "configurationId": "inbound",
           "bucket": {"name": "clinic-browser-mail", "ownerIdentity": {"principalId": "o"}, "arn": "arn:aws:s3:::clinic-browser-mail"},
           "object": {"key": "inbound/nln-42", "size": len(mail), "eTag": "e", "sequencer": "1"}}}]}
json.dump(event, open(sys.argv[1], "w"))
PY
$CLINIC invoke maintenance-mail --event "$work/s3.json" >"$work/maintenance.log"
# Who the brief says is on duty, for the browser to find on the page (the same answer, read another way).
$CLINIC status --json --at "$AT" >"$work/status.json"

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export CLINIC_WEB_URL="http://127.0.0.1:$port"
export CLINIC_WEB_SIGNING_KEY=$("$PY" -c 'import secrets; print(secrets.token_hex(32))')
$CLINIC serve --listen "127.0.0.1:$port" --at "$AT" >"$work/serve.out" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'listening on' "$work/serve.out" || { cat "$work/serve.out" "$work/serve.log"; echo "clinic serve did not start"; exit 1; }

CLINIC_URL="$CLINIC_WEB_URL" MOTO_URL="$AWS_ENDPOINT_URL" STATUS_JSON="$work/status.json" AT="$AT" \
  ICAL_PYTHON="$PWD/.venv-ical/bin/python" SIGNIN_ADDRESS=akaur@example.net SCREENSHOTS=target/browser CHROMIUM="$CHROMIUM" \
  node tests/browser/signin.mjs || { echo "--- clinic serve's log:"; tail -n 30 "$work/serve.log"; exit 1; }

# Swaps and cover (tests/browser/swap.mjs): the VictorOps API fake with its clock on Friday 2027-01-08,
# the weekly run of that Friday committing 2027-W02 with its overrides there, and a second `clinic
# serve` at that Friday given the fake's API, so an accepted cover replaces the week's overrides.
FRIDAY=2027-01-08T09:00:00Z
"$PY" - "$work" "$FRIDAY" <<'PY'
import json, sys
work, friday = sys.argv[1], sys.argv[2]
setup = json.load(open("events/victorops-api-fake.json"))
setup["now"] = friday
json.dump(setup, open(f"{work}/vo.json", "w"))
event = json.load(open("events/rotation-weekly-scheduled-event.json"))
event["id"], event["time"] = "browser-friday-2027-01-08", friday
json.dump(event, open(f"{work}/friday.json", "w"))
PY
target/debug/victorops-api-fake browser-org-id browser-victorops-key-0001 "$work/vo.json" >"$work/vo.out" 2>"$work/vo.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^ready ' "$work/vo.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready ' "$work/vo.out" || { cat "$work/vo.log"; echo "the VictorOps fake did not start"; exit 1; }
export VICTOROPS_API_URL=$(sed -n 's/^ready //p' "$work/vo.out") VICTOROPS_API_ID=browser-org-id VICTOROPS_API_KEY=browser-victorops-key-0001
$CLINIC invoke rotation --event "$work/friday.json" --at "$FRIDAY" >"$work/rotation-friday.log"
SWAP_AT=2027-01-08T10:00:00Z
VICTOROPS_FAKE="${VICTOROPS_API_URL%/api-public}"
$CLINIC status --json --at "$SWAP_AT" >"$work/status-friday.json"
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export CLINIC_WEB_URL="http://127.0.0.1:$port"
$CLINIC serve --listen "127.0.0.1:$port" --at "$SWAP_AT" >"$work/serve-swaps.out" 2>"$work/serve-swaps.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'listening on' "$work/serve-swaps.out" 2>/dev/null && break; sleep 0.1; done
grep -q 'listening on' "$work/serve-swaps.out" || { cat "$work/serve-swaps.out" "$work/serve-swaps.log"; echo "clinic serve did not start"; exit 1; }
CLINIC_URL="$CLINIC_WEB_URL" MOTO_URL="$AWS_ENDPOINT_URL" STATUS_JSON="$work/status-friday.json" \
  VICTOROPS_FAKE_URL="${VICTOROPS_API_URL%/api-public}" SWAP_ROTATION=sre-clinic SCREENSHOTS=target/browser \
  CHROMIUM="$CHROMIUM" node tests/browser/swap.mjs || { echo "--- clinic serve's log:"; tail -n 30 "$work/serve-swaps.log"; echo "--- the VictorOps fake's calls:"; curl -s "$VICTOROPS_FAKE/_fake/calls" | tail -c 3000; exit 1; }
