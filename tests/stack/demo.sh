#!/usr/bin/env bash
# `make demo`: the weekly rotation job end to end on the local stack (keeping a VictorOps API fake in step),
# then what it did; then Phabricator triage: `clinic serve` against a local Conduit fake, replaying the
# sample Herald deliveries in events/; then the stale-task follow-up, the next weekly handoffs, and the
# brief of it all (clinic status, GET /status).
# Starts its own moto server, Conduit fake and `clinic serve` on free loopback ports and stops them on
# exit, whatever happens.
# The terminal gets the story (at most 150 lines: what happened, one sample of each kind); every
# command's whole output goes to target/demo/details.txt, named at the end. Escape codes only on a
# terminal.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
CLINIC=target/debug/clinic
mkdir -p target/demo
DETAILS=target/demo/details.txt
: >"$DETAILS"
# fd 3 is the terminal; everything else is written to the details file.
exec 3>&1 >>"$DETAILS" 2>&1
if [ -t 3 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '%s\n' "$*" >&3; printf '%s\n' "$*"; }
# show N CMD...: CMD's whole output (stdout and stderr) into the details, its first N lines on the terminal.
show() { local n=$1; shift; "$@" 2>&1 | tee -p -a "$DETAILS" | head -n "$n" >&3; }
# shown N: the same for what is piped in.
shown() { tee -p -a "$DETAILS" | head -n "$1" >&3; }
work=$(mktemp -d)
"$PY" tests/stack/moto_stack.py --port-file "$work/port" >"$work/moto.log" 2>&1 &
pids=($!)
trap 'rc=$?; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"
      if [ "$rc" -ne 0 ]; then tail -n 25 "$DETAILS" >&3; echo "make demo failed (exit $rc); its whole output is in $DETAILS" >&3; fi' EXIT
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/moto.log"; echo "local stack did not start"; exit 1; }
say "Clinic's demo: the weekly rotation, VictorOps, vendor maintenance mail, Statuspage, Phorge triage and the"
say "brief, on a local stack (moto, local fakes), in a story set in January 2027. Details: $DETAILS"

export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export CLINIC_TABLE=clinic-demo CLINIC_SENDER=clinic@example.net CLINIC_ROSTER=events/roster.toml
export RUST_LOG=error
EVENT=events/rotation-weekly-scheduled-event.json
section() { printf '%s== %s%s\n' "$bold" "$*" "$plain" >&3; printf '\n== %s\n' "$*"; }

section "Local stack on $AWS_ENDPOINT_URL: table and sender identity"
$CLINIC setup table
$CLINIC setup identity --address "$CLINIC_SENDER"
show 2 $CLINIC roster check

target/debug/victorops-api-fake demo-org-id demo-victorops-key-0001 events/victorops-api-fake.json >"$work/vo.out" 2>"$work/vo.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^ready ' "$work/vo.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready ' "$work/vo.out" || { cat "$work/vo.log"; echo "the VictorOps fake did not start"; exit 1; }
export VICTOROPS_API_URL=$(sed -n 's/^ready //p' "$work/vo.out") VICTOROPS_API_ID=demo-org-id VICTOROPS_API_KEY=demo-victorops-key-0001
say "A VictorOps API fake (events/victorops-api-fake.json) on $VICTOROPS_API_URL, its clock at 2027-01-01 09:00 UTC"
vo_calls() { # vo_calls FIRST: the calls the fake received from number FIRST on
  curl -s "${VICTOROPS_API_URL%/api-public}/_fake/calls" | "$PY" -c '
import json, sys
for n, c in enumerate(json.load(sys.stdin)[int(sys.argv[1]):], int(sys.argv[1])):
    b = c.get("body")
    print("%3d %-6s %-58s -> %s %s" % (n, c["method"], c["path"], c["status"], json.dumps(b) if b else ""))' "$1"
}
vo_count() { curl -s "${VICTOROPS_API_URL%/api-public}/_fake/calls" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# Chat: a Slack fake holds sre-clinic's channel and the @clinic-duty user group; the bot token sits in
# moto's SSM as a deployment keeps it. The roster also names a Matrix room, which is skipped (and said
# so): the demo starts no homeserver.
SLACK_TOKEN=xoxb-demo-clinic-0001
target/debug/slack-fake "$SLACK_TOKEN" --channel C0SRECLINIC=sre-clinic --usergroup S0CLINICDUTY >"$work/slack.out" 2>"$work/slack.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^ready ' "$work/slack.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready ' "$work/slack.out" || { cat "$work/slack.log"; echo "the Slack fake did not start"; exit 1; }
export CLINIC_SLACK_API_URL=$(sed -n 's/^ready //p' "$work/slack.out") CLINIC_SLACK_TOKEN_SSM_PARAMETER=/clinic-demo/chat/slack-token
export CLINIC_WEB_URL=https://clinic.example.org
"$PY" -c 'import boto3, sys; boto3.client("ssm", endpoint_url=sys.argv[1], region_name="us-east-1").put_parameter(Name=sys.argv[2], Value=sys.argv[3], Type="SecureString", Overwrite=True)' \
  "$AWS_ENDPOINT_URL" "$CLINIC_SLACK_TOKEN_SSM_PARAMETER" "$SLACK_TOKEN"
SLACK_ROOT=${CLINIC_SLACK_API_URL%/api}
# The channel's topic as people wrote it; Clinic keeps only its own section of it.
curl -s -H "Authorization: Bearer $SLACK_TOKEN" -H 'Content-Type: application/json; charset=utf-8' \
  -d '{"channel": "C0SRECLINIC", "topic": "Ask here | runbooks: wiki/sre"}' "$CLINIC_SLACK_API_URL/conversations.setTopic" >/dev/null
slack_state() { curl -s "$SLACK_ROOT/_fake/state"; }

EVENT_AT=$(grep -o '"time": "[^"]*"' $EVENT | cut -d'"' -f4)
section "The weekly rotation job, invoked with $EVENT (time $EVENT_AT)"
show 12 $CLINIC invoke rotation --event "$EVENT" --at "$EVENT_AT"
show 1 "$PY" tests/stack/inspect_stack.py counts "$AWS_ENDPOINT_URL" "$CLINIC_TABLE"
say "-- the same event again: $($CLINIC invoke rotation --event "$EVENT" --at "$EVENT_AT" | tee -a "$DETAILS" | head -n 1)"

section "Chat (a Slack fake on $CLINIC_SLACK_API_URL): the handoff post; then, at the shift's start, the topic and group"
slack_state | "$PY" -c '
import json, sys
for m in json.load(sys.stdin)["workspace"]["channels"]["C0SRECLINIC"]["messages"]:
    print("post: " + m["text"].replace("\n", "\n      "))' | cut -c1-150 | shown 2
# The rotation-chat sweep (every minute in a deployment with var.chat_sweep) on Monday: the shift runs.
printf '{"job": "rotation-chat", "scheduled_time": "2027-01-04T12:00:00Z"}' >"$work/chat.json"
$CLINIC invoke rotation --event "$work/chat.json" --at 2027-01-04T12:00:00Z
slack_state | "$PY" -c '
import json, sys
w = json.load(sys.stdin)["workspace"]
print("topic after the sweep: %s; @clinic-duty: %s" % (w["channels"]["C0SRECLINIC"]["topic"], ", ".join(w["usergroups"]["S0CLINICDUTY"])))' | cut -c1-150 | shown 1

section "VictorOps: the calls the job made, as the fake recorded them (the repeat made none), and its overrides now"
vo_calls 0 | cut -c1-150 | shown 2
curl -s "${VICTOROPS_API_URL%/api-public}/_fake/overrides" | "$PY" -c '
import json, sys
for o in json.load(sys.stdin):
    print("%s: covers %-8s %s to %s, %s" % (o["publicId"], o["user"]["username"], o["start"], o["end"],
          ", ".join("%s -> %s" % (a["policySlug"], a["user"]) for a in o["assignments"])))' | shown 2

section "clinic rotation sync --check: who VictorOps pages against Clinic's shifts and plan, two weeks ahead"
show 4 $CLINIC rotation sync --check --rotation sre-clinic --at 2027-01-01T09:00:00Z || say "(exit status 1: the difference above remains)"

section "An override in Clinic replaces the committed week's VictorOps overrides (old deleted, new created)"
before=$(vo_count)
show 1 $CLINIC rotation override --rotation sre-clinic --week 2027-W01 --person ipatel --reason "dfischer at a conference" --at 2027-01-01T09:00:00Z
vo_calls "$before" | cut -c1-150 | shown 2

section "The next weeks of sre-clinic from the table's history, with the override, as the weekly job will plan them"
show 7 $CLINIC rotation plan --roster "$CLINIC_ROSTER" --rotation sre-clinic --weeks 8
$CLINIC rotation plan --roster "$CLINIC_ROSTER" --rotation cloud-clinic --weeks 8
say "-- and why 2027-W03 is that person (clinic rotation explain; the whole answer in the details):"
$CLINIC rotation explain --roster "$CLINIC_ROSTER" --rotation sre-clinic --week 2027-W03 | tee -a "$DETAILS" | grep -v '^input:' | sed -n 1,1p >&3

section "The e-mails as the local SES received them (every one in the details), the items and the audit log"
"$PY" tests/stack/inspect_stack.py mail "$AWS_ENDPOINT_URL" >"$work/mails.txt"
cat "$work/mails.txt"
grep '^Subject:' "$work/mails.txt" | sort | uniq -c | shown 6
say "-- the first one:"
awk '/^--- mail 2\//{exit} {print}' "$work/mails.txt" | grep -v '^\(--- mail\|Parts:\|Message-ID:\|$\)' | sed -n 1,6p | cut -c1-150 >&3

"$PY" tests/stack/inspect_stack.py items "$AWS_ENDPOINT_URL" "$CLINIC_TABLE"
show 1 "$PY" tests/stack/inspect_stack.py counts "$AWS_ENDPOINT_URL" "$CLINIC_TABLE"
$CLINIC audit >"$work/audit.txt"
cat "$work/audit.txt"
say "clinic audit: $(wc -l <"$work/audit.txt") entries; the first ones:"
head -n 1 "$work/audit.txt" | cut -c1-150 >&3

section "Vendor maintenance mail: the mails in events/maintenance/ arrive through S3 (as SES stores them)"
export CLINIC_CALENDAR_BUCKET=clinic-demo-calendar CLINIC_CALENDAR_KEY=feeds/8c1f5e0a94d27b36e1c0/maintenance.ics
export CLINIC_MAIL_DOMAIN=clinic.example.org
$CLINIC setup bucket --name clinic-demo-inbound
$CLINIC setup bucket --name "$CLINIC_CALENDAR_BUCKET"
for mail in events/maintenance/*.eml; do
  key="inbound/$(basename "$mail" .eml)"
  "$PY" tests/stack/inspect_stack.py put "$AWS_ENDPOINT_URL" clinic-demo-inbound "$key" "$mail" "$work/event.json"
  $CLINIC invoke maintenance-mail --event "$work/event.json" | tee -a "$DETAILS" | grep -v '^calendar\|^s3://' | cut -c1-160 >&3
done
say "-- the first mail again:"
"$PY" tests/stack/inspect_stack.py put "$AWS_ENDPOINT_URL" clinic-demo-inbound inbound/01-northwind-scheduled events/maintenance/01-northwind-scheduled.eml "$work/event.json"
$CLINIC invoke maintenance-mail --event "$work/event.json" | grep -v '^calendar\|^s3://' | shown 1
say "-- stored (clinic maintenance list) and kept for review (clinic maintenance review):"
show 4 $CLINIC maintenance list --from 2027-01-01 --to 2027-03-31
$CLINIC maintenance review | cut -c1-160 | shown 2

section "The calendar feed, s3://$CLINIC_CALENDAR_BUCKET/$CLINIC_CALENDAR_KEY: its first event"
"$PY" tests/stack/inspect_stack.py object "$AWS_ENDPOINT_URL" "$CLINIC_CALENDAR_BUCKET" "$CLINIC_CALENDAR_KEY" >"$work/feed.ics"
cat "$work/feed.ics"
sed -n '/BEGIN:VEVENT/,/END:VEVENT/p' "$work/feed.ics" | grep -E '^(SUMMARY|DTSTART|DTEND|STATUS)' | sed -n 1,4p >&3


section "VictorOps incidents mirrored to Statuspage (a local Statuspage fake on loopback)"
target/debug/statuspage-fake kctbh9vrtdwd demo-statuspage-key >"$work/fake.out" 2>"$work/fake.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^ready ' "$work/fake.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready ' "$work/fake.out" || { cat "$work/fake.log"; echo "Statuspage fake did not start"; exit 1; }
export STATUSPAGE_API_URL=$(sed -n 's/^ready //p' "$work/fake.out")
export STATUSPAGE_API_KEY=demo-statuspage-key STATUSPAGE_PAGE_ID=kctbh9vrtdwd
export VICTOROPS_WEBHOOK_SECRET=demo-clinic-webhook-token-01
export VICTOROPS_ESCALATION_KEY=V1ct0rOpsWebhookAuthKeyExample==
export VICTOROPS_ESCALATION_URL=https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/victorops/escalation
export CLINIC_INCIDENT_MAPPING=events/incident-mapping.toml CLINIC_DUTY_ROTATION=sre-clinic
say "Statuspage fake: $STATUSPAGE_API_URL; mapping: $CLINIC_INCIDENT_MAPPING"
replay() { # replay FILE AT: one Function URL event through the handler, clock at AT
  $CLINIC invoke victorops-webhook --event "$1" --at "$2" | "$PY" -c '
import json, sys
a = json.load(sys.stdin); b = json.loads(a["body"])
short = ", ".join("%s=%s" % (k, b[k]) for k in ("phase", "change", "statuspage_status", "error") if b.get(k))
print("-- %s at %s: %s %s" % (sys.argv[1].split("/")[-1], sys.argv[2][11:16], a["statusCode"], short))' "$1" "$2" | shown 1
}
replay events/victorops-function-url-triggered.json 2027-01-05T09:50:05Z
replay events/victorops-escalation-function-url.json 2027-01-05T09:51:00Z
replay events/victorops-function-url-triggered.json 2027-01-05T09:52:00Z
replay events/victorops-function-url-acknowledged.json 2027-01-05T09:54:05Z
replay events/victorops-function-url-resolved.json 2027-01-05T10:35:05Z
replay events/victorops-function-url-acknowledged.json 2027-01-05T10:36:00Z
say "-- the same trigger with a wrong token:"
"$PY" -c 'import json; e=json.load(open("events/victorops-function-url-triggered.json")); e["headers"]["x-clinic-webhook-token"]="wrong"; e["rawQueryString"]=""; e.pop("queryStringParameters"); json.dump(e, open("'"$work"'/bad-token.json","w"))'
replay "$work/bad-token.json" 2027-01-05T09:50:05Z
say "-- the Statuspage calls the handler made (as the fake recorded them):"
curl -s "${STATUSPAGE_API_URL%/v1}/_fake/calls" | "$PY" -c '
import json, sys
for c in json.load(sys.stdin):
    i = (c.get("body") or {}).get("incident") or {}
    print("%-5s %-48s -> %s  status=%s components=%s" % (c["method"], c["path"], c["status"], i.get("status"), i.get("components")))' | shown 6

section "Close reminders at 11:10, 35 minutes after VictorOps resolved: a dry run, the sweep, the sweep again"
reminders() { "$PY" -c '
import json, sys
r = json.load(sys.stdin)["reminders"]
print("-- %s: " % sys.argv[1] + ("; ".join("incident %s to %s: %s" % (x["incident"], ", ".join(x["recipients"]), x["outcome"]) for x in r) or "none due"))' "$1"; }
$CLINIC invoke victorops-webhook --event events/victorops-reminders-scheduler-input.json | tee -a "$DETAILS" | reminders "dry run" | shown 1
$CLINIC invoke victorops-webhook --event events/victorops-reminders-scheduled-event.json | tee -a "$DETAILS" | reminders "sweep" | shown 1
$CLINIC invoke victorops-webhook --event events/victorops-reminders-scheduled-event.json | tee -a "$DETAILS" | reminders "sweep again" | shown 1

section "Planned downtime: clinic downtime schedule (on 2027-01-05 for 2027-01-20 01:00-03:00 UTC)"
show 3 $CLINIC downtime schedule --services database --start "2027-01-20 01:00" --end "2027-01-20 03:00" \
  --impact degraded --mail-after --announce-to users@example.net --at 2027-01-05T12:00:00Z
say "-- short notice without --urgent is refused (what clinic said on stderr):"
show 2 $CLINIC downtime schedule --services api --start "2027-01-07 01:00" --end "2027-01-07 02:00" \
  --impact full-outage --announce-to users@example.net --at 2027-01-05T12:00:00Z || true
for when in 2027-01-13T01:00:00Z 2027-01-13T01:05:00Z 2027-01-20T00:59:00Z 2027-01-20T03:00:00Z; do
  printf '{"job": "victorops-reminders", "scheduled_time": "%s"}' "$when" >"$work/sweep.json"
  $CLINIC invoke victorops-webhook --event "$work/sweep.json" | "$PY" -c '
import json, sys
m = json.load(sys.stdin)["downtime_mails"]
print("-- sweep at %s: %s" % (sys.argv[1], "; ".join("%s %s" % (x.get("kind", x.get("mail", "")), x.get("outcome", "")) for x in m) if m else "nothing due"))' "$when" | shown 1
done
say "-- the mails of the incident and the downtime:"
"$PY" tests/stack/inspect_stack.py mail "$AWS_ENDPOINT_URL" | sed -n '/VictorOps #2041 opened/,$p' >"$work/incident-mails.txt"
cat "$work/incident-mails.txt"
grep '^Subject:' "$work/incident-mails.txt" | sort | uniq -c | shown 4
$CLINIC audit --since 2027-01-05 --until 2027-01-20 | grep -v 'shift\.\|roster\.' || true

section "Phabricator triage: a Conduit fake and clinic serve on loopback, the sample deliveries in events/ replayed"
# Phorge's clock and clinic serve's are the story's: the tasks are filed on 2027-01-05 at 09:50 UTC.
PHAB_AT=2027-01-05T10:00:00Z
target/debug/conduit-fake --rules shared/data/triage-rules.toml --tasks events/phabricator-demo-tasks.json \
  --port-file "$work/conduit.port" --now "$PHAB_AT" 2>"$work/conduit.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/conduit.port" ] && break; sleep 0.1; done
[ -s "$work/conduit.port" ] || { cat "$work/conduit.log"; echo "the Conduit fake did not start"; exit 1; }
export PHABRICATOR_URL="http://127.0.0.1:$(cat "$work/conduit.port")"
export PHABRICATOR_API_TOKEN=api-clinicfaketoken0000000000001
export PHABRICATOR_WEBHOOK_HMAC_KEY=clinic-demo-webhook-hmac-key-0001
export CLINIC_TRIAGE_RULES=shared/data/triage-rules.toml
export CLINIC_STATUS_TOKEN=demo-clinic-status-token-0001
$CLINIC serve --listen 127.0.0.1:0 --at "$PHAB_AT" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/serve.log" || { cat "$work/serve.log"; echo "clinic serve did not start"; exit 1; }
address=$(grep -o "listening on [0-9.:]*" "$work/serve.log" | cut -d' ' -f3)
say "Conduit fake on $PHABRICATOR_URL; clinic serve on http://$address"

"$PY" tests/stack/replay_webhooks.py "http://$address/hooks/phabricator" "$PHABRICATOR_WEBHOOK_HMAC_KEY" \
  events/phabricator-webhook-*.json | cut -c1-160 | shown 4
say "-- what triage did, from the audit log:"
{ $CLINIC audit --since 2027-01-05 --until 2027-01-05 | grep phabricator-webhook || true; } | cut -c1-160 | shown 3

section "Stale tasks: phabricator-webhook's follow-up sweep on 2027-01-20, 15 days on (dry run, run, run again)"
for dry in true false false; do
  printf '{"job": "phabricator-follow-ups", "scheduled_time": "2027-01-20T07:00:00Z", "dry_run": %s}' "$dry" >"$work/follow-up.json"
  $CLINIC invoke phabricator-webhook --event "$work/follow-up.json" | "$PY" -c '
import json, sys
lines = json.load(sys.stdin)["follow_ups"]
print("-- dry_run %s: " % sys.argv[1] + (", ".join("%s %s" % (l["name"], l["outcome"]) for l in lines) or "nothing due"))' "$dry" | cut -c1-160 | shown 1
done

section "The next weekly runs (2027-01-08, -15 and -22, 09:00 UTC) hand off W02 to W04; each mail carries the brief"
for day in 08 15 22; do
  printf '{"job": "weekly-rotation", "scheduled_time": "2027-01-%sT09:00:00Z"}' "$day" >"$work/weekly.json"
  { $CLINIC invoke rotation --event "$work/weekly.json" --at "2027-01-${day}T09:00:00Z" | grep -v '^  mail to' || true; } | grep '^sre-clinic' | shown 1
done
"$PY" tests/stack/inspect_stack.py mail "$AWS_ENDPOINT_URL" | grep -c 'Who is on duty' | sed 's/^/mails accepted by SES that carry the brief (one is the next section): /' | shown 1

section "The brief after every function ran: clinic status at 2027-01-22 09:05 UTC, times also in Europe/Berlin"
show 11 $CLINIC status --at 2027-01-22T09:05:00Z --zone Europe/Berlin

section "GET /status on clinic serve (its clock: $PHAB_AT): only with its token; JSON for tools; the rotation feed"
say "-- without a token: HTTP $(curl -s -o /dev/null -w '%{http_code}' "http://$address/status")"
curl -s -H "Authorization: Bearer $CLINIC_STATUS_TOKEN" -H 'Accept: application/json' "http://$address/status" | "$PY" -c '
import json, sys
b = json.load(sys.stdin)
print("-- JSON: " + ", ".join("%s %d" % (k, v["total"]) for k, v in b.items() if isinstance(v, dict) and "total" in v))' | shown 1
say "-- http://$address/status/rotation.ics?token=…, first event:"
curl -s "http://$address/status/rotation.ics?token=$CLINIC_STATUS_TOKEN" | sed -n '/BEGIN:VEVENT/,/END:VEVENT/p' | tee -a "$DETAILS" | grep -E '^(SUMMARY|STATUS)' | sed -n 1,2p >&3

section "Done; the local stack, the fakes and clinic serve are stopped"
say "Every command's whole output: $DETAILS"
