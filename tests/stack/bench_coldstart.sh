#!/usr/bin/env bash
# `make bench` (cold-start part): process start → first answer of each function's bootstrap, taken from
# the zip `make package` builds, under a local Lambda Runtime API (tests/src/bin/coldstart.rs), beside a
# hello-world lambda_runtime binary built the same way (cargo lambda, release profile, same target).
# Each function gets an event it answers without calling AWS or a SaaS API (a refused job, an unsigned
# webhook, SES's set-up object), so the figure is its start-up: configuration, the roster, rules and
# mapping files, SDK clients, the runtime's first poll. RUNS=n sets the runs per binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-50}
ARCH=${ARCH:-x86_64}
bash tests/stack/package.sh > /dev/null
export PATH="$PWD/.venv-tools/bin:$PATH"
case "$ARCH" in x86_64) target=x86_64-unknown-linux-gnu ;; arm64) target=aarch64-unknown-linux-gnu ;; esac
cargo lambda build --quiet --release --target "$target" -p clinic-tests --bin hello-lambda --bin coldstart
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in rotation maintenance-mail phabricator-webhook victorops-webhook web; do
  mkdir -p "$work/$name" && unzip -q -o "dist/$name.zip" -d "$work/$name"
done
harness=target/lambda/coldstart/bootstrap

echo '{"job": "cold-start-probe", "scheduled_time": "2027-01-08T09:00:00Z"}' > "$work/scheduler.json"
cat > "$work/s3-setup.json" <<'JSON'
{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
  "eventTime": "2027-01-08T09:00:00.000Z", "eventName": "ObjectCreated:Put",
  "userIdentity": {"principalId": "AWS:AROACLINICEXAMPLE0:ses"}, "requestParameters": {"sourceIPAddress": "10.0.0.1"},
  "responseElements": {"x-amz-request-id": "0000000000000000", "x-amz-id-2": "cold-start"},
  "s3": {"s3SchemaVersion": "1.0", "configurationId": "ses-inbound",
         "bucket": {"name": "clinic-inbound-mail", "ownerIdentity": {"principalId": "CLINICEXAMPLE"},
                    "arn": "arn:aws:s3:::clinic-inbound-mail"},
         "object": {"key": "inbound/AMAZON_SES_SETUP_NOTIFICATION", "size": 120, "eTag": "00", "sequencer": "00"}}}]}
JSON

common=(--env AWS_REGION=eu-west-1 --env AWS_ACCESS_KEY_ID=testing --env AWS_SECRET_ACCESS_KEY=testing
  --env AWS_ENDPOINT_URL=http://127.0.0.1:9 --env CLINIC_TABLE=clinic --env CLINIC_SENDER=clinic@example.net
  --env RUST_LOG=info)
# Each binary runs twice: with this machine's trust store as rustls-native-certs finds it (on Debian a
# bundle plus a directory of ~150 certificate files), and with one CA bundle (SSL_CERT_FILE), which is
# what Amazon Linux 2023 has.
bundle=
for candidate in /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/certs/ca-certificates.crt; do
  [ -f "$candidate" ] && { bundle=$candidate; break; }
done
[ -n "$bundle" ] || { echo "no CA bundle found on this machine" >&2; exit 1; }
probe() {
  local label=$1; shift
  local found one
  found=$("$harness" --runs "$RUNS" "$@")
  one=$("$harness" --runs "$RUNS" --env SSL_CERT_FILE="$bundle" "$@")
  python3 -c 'import json, sys
label, found, one = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
m1, p1, m2, p2, answer = found["median_ms"], found["p90_ms"], one["median_ms"], one["p90_ms"], found["answer"]
detail = json.loads(found["error"]).get("errorMessage", "")[:40] if found["error"] else ""
print(f"  {label:<20} {m1:6.2f} ms (p90 {p1:6.2f})   {m2:6.2f} ms (p90 {p2:6.2f})   {answer} {detail}")' \
    "$label" "$found" "$one"
}

echo "cold start, process start to first answer, median of $RUNS runs:"
echo "                       this machine's CA store   one CA bundle        answer"
probe hello-world --event "$work/scheduler.json" target/lambda/hello-lambda/bootstrap
probe rotation "${common[@]}" --env CLINIC_ROSTER="$work/rotation/roster.toml" \
  --event "$work/scheduler.json" "$work/rotation/bootstrap"
probe maintenance-mail "${common[@]}" --env CLINIC_CALENDAR_BUCKET=clinic-calendar \
  --env CLINIC_CALENDAR_KEY=feeds/8c1f5e0a94d27b36e1c0/maintenance.ics \
  --event "$work/s3-setup.json" "$work/maintenance-mail/bootstrap"
probe phabricator-webhook "${common[@]}" --env PHABRICATOR_URL=http://127.0.0.1:9 \
  --env PHABRICATOR_API_TOKEN=api-clinicfaketoken0000000000001 \
  --env PHABRICATOR_WEBHOOK_HMAC_KEY=clinic-demo-webhook-hmac-key-0001 \
  --env CLINIC_TRIAGE_RULES=shared/data/triage-rules.toml \
  --event events/victorops-function-url-triggered.json "$work/phabricator-webhook/bootstrap"
probe victorops-webhook "${common[@]}" --env VICTOROPS_WEBHOOK_SECRET=another-secret-than-the-events-0001 \
  --env STATUSPAGE_API_URL=http://127.0.0.1:9/v1 --env STATUSPAGE_API_KEY=demo-statuspage-key \
  --env STATUSPAGE_PAGE_ID=kctbh9vrtdwd --env CLINIC_INCIDENT_MAPPING=events/incident-mapping.toml \
  --env CLINIC_DUTY_ROTATION=sre-clinic \
  --event events/victorops-function-url-triggered.json "$work/victorops-webhook/bootstrap"
# The pages: a webhook's event is a route the web function does not serve (404, no AWS call).
probe web "${common[@]}" --env CLINIC_WEB_URL=https://clinic.example.org \
  --env CLINIC_WEB_SIGNING_KEY=cold-start-probe-signing-key-0000000001 \
  --event events/victorops-function-url-triggered.json "$work/web/bootstrap"
