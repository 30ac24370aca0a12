#!/usr/bin/env bash
# `make package`: release zips of every function for provided.al2023, into dist/<function>.zip.
# cargo-lambda (from PyPI, with zig) links against an old glibc so the binaries run on Amazon Linux 2023.
# ARCH=arm64 builds for Graviton where the aarch64 standard library is installed (rustup target add).
# ROSTER=path puts the team's reviewed roster into the rotation, web, victorops-webhook and
# maintenance-mail zips as roster.toml (the last two find the duty rotation's chat rooms there); TRIAGE_RULES=path
# puts the triage rules into the phabricator-webhook zip and, for the brief in the handoff mail, the
# rotation zip as triage-rules.toml; INCIDENT_MAPPING=path puts the incident mapping into the
# victorops-webhook zip as incident-mapping.toml (CLINIC_INCIDENT_MAPPING in infra/victorops-webhook.tf);
# CIRCUITS=path puts the team's circuits file into the zips that show maintenance (rotation: the
# handoff brief; phabricator-webhook: /status; maintenance-mail: the calendar) as circuits.toml, after
# `clinic maintenance circuits` checked it. CIRCUITS= (empty) ships none: set Terraform's
# `circuits = false` then.
set -euo pipefail
cd "$(dirname "$0")/../.."
ARCH=${ARCH:-x86_64}
ROSTER=${ROSTER:-events/roster.toml}
TRIAGE_RULES=${TRIAGE_RULES:-shared/data/triage-rules.toml}
INCIDENT_MAPPING=${INCIDENT_MAPPING:-events/incident-mapping.toml}
CIRCUITS=${CIRCUITS-events/circuits.toml}
FUNCTIONS=(rotation maintenance-mail)
for f in functions/*/; do
  name=$(basename "$f")
  [[ " ${FUNCTIONS[*]} " == *" $name "* ]] || FUNCTIONS+=("$name")
done
case "$ARCH" in
  x86_64) target=x86_64-unknown-linux-gnu ;;
  arm64) target=aarch64-unknown-linux-gnu ;;
  *) echo "ARCH must be x86_64 or arm64" >&2; exit 2 ;;
esac
[ -f "$ROSTER" ] || { echo "roster $ROSTER not found (set ROSTER=path)" >&2; exit 2; }
[ -f "$TRIAGE_RULES" ] || { echo "triage rules $TRIAGE_RULES not found (set TRIAGE_RULES=path)" >&2; exit 2; }
[ -f "$INCIDENT_MAPPING" ] || { echo "incident mapping $INCIDENT_MAPPING not found (set INCIDENT_MAPPING=path)" >&2; exit 2; }
cargo run --quiet -p clinic --bin clinic -- roster check --roster "$ROSTER"
if [ -n "$CIRCUITS" ]; then
  [ -f "$CIRCUITS" ] || { echo "circuits file $CIRCUITS not found (set CIRCUITS=path, or CIRCUITS= for none)" >&2; exit 2; }
  cargo run --quiet -p clinic --bin clinic -- maintenance circuits "$CIRCUITS"
fi

export PATH="$PWD/.venv-tools/bin:$PATH"
packages=()
for name in "${FUNCTIONS[@]}"; do packages+=(-p "$name"); done
cargo lambda build --release --target "$target" --output-format zip "${packages[@]}"
rm -rf dist && mkdir -p dist
for name in "${FUNCTIONS[@]}"; do
  cp "target/lambda/$name/bootstrap.zip" "dist/$name.zip"
done
python3 - "$ROSTER" "$TRIAGE_RULES" "$INCIDENT_MAPPING" "$CIRCUITS" <<'PY'
import sys, zipfile
roster, rules, mapping, circuits = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
with zipfile.ZipFile("dist/rotation.zip", "a", compression=zipfile.ZIP_DEFLATED) as z:
    z.write(roster, "roster.toml")
    z.write(rules, "triage-rules.toml")
with zipfile.ZipFile("dist/phabricator-webhook.zip", "a", compression=zipfile.ZIP_DEFLATED) as z:
    z.write(rules, "triage-rules.toml")
# The web function's /ahead, /mine and calendar feeds plan from the same roster; /mine reads the
# same stale threshold.
with zipfile.ZipFile("dist/web.zip", "a", compression=zipfile.ZIP_DEFLATED) as z:
    z.write(roster, "roster.toml")
    z.write(rules, "triage-rules.toml")
# The functions that post to chat find the duty rotation's rooms in the roster.
with zipfile.ZipFile("dist/victorops-webhook.zip", "a", compression=zipfile.ZIP_DEFLATED) as z:
    z.write(mapping, "incident-mapping.toml")
    z.write(roster, "roster.toml")
with zipfile.ZipFile("dist/maintenance-mail.zip", "a", compression=zipfile.ZIP_DEFLATED) as z:
    z.write(roster, "roster.toml")
if circuits:
    for name in ("rotation", "phabricator-webhook", "maintenance-mail"):
        with zipfile.ZipFile(f"dist/{name}.zip", "a", compression=zipfile.ZIP_DEFLATED) as z:
            z.write(circuits, "circuits.toml")
PY
echo "function zips (goal: under 6 MB each):"
for name in "${FUNCTIONS[@]}"; do
  bytes=$(stat -c %s "dist/$name.zip")
  python3 -c 'import sys; print(f"  dist/{sys.argv[1]:<28} {int(sys.argv[2]) / 1e6:6.2f} MB")' "$name.zip" "$bytes"
done
