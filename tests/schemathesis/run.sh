#!/usr/bin/env bash
# Schemathesis against the QA API, from the OpenAPI document the server serves.
#
#   tests/schemathesis/run.sh            (after `cargo build`; as root, or with sudo)
#
# Starts $GARAKE_BIN (default target/debug/garake) on a free port with an
# in-memory database, installs Schemathesis (tests/schemathesis/requirements.txt)
# into a venv under a temporary folder, and runs every check on every operation,
# at most MAX_EXAMPLES (default 30) generated requests per operation and phase,
# with the admin token. Fails on any failure. SCHEMATHESIS_SEED (default a fixed
# one, so CI is repeatable) picks the examples; set it to `random` for new ones.
#
# The run checks the contract, not the throttles (cargo test does): the server
# counts wrong admin tokens per client address (10 a minute, then 429 for
# everything, the right token too) and Schemathesis's auth check sends one wrong
# token per operation, so this server allows many (--admin-guesses-per-minute),
# and as many mails a minute. A request without a token is never counted. No
# answer of the run may then be a 429: a fuzzer locked out would see only 429s,
# which Schemathesis takes as a valid answer.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
GARAKE_BIN=${GARAKE_BIN:-"${CARGO_TARGET_DIR:-target}/debug/garake"}
MAX_EXAMPLES=${MAX_EXAMPLES:-30}
SEED=${SCHEMATHESIS_SEED:-20260101}
TOKEN=ci-admin-token-0001
[ -x "$GARAKE_BIN" ] || { echo "no $GARAKE_BIN: run cargo build first" >&2; exit 1; }

WORK=$(mktemp -d /tmp/garake-schemathesis.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# A venv needs Debian's python3-venv (ensurepip); install it if it is missing.
if ! python3 -m venv "$WORK/venv" >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
  rm -rf "$WORK/venv"
  python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
"$WORK/venv/bin/schemathesis" --version

"$GARAKE_BIN" serve --addr 127.0.0.1:0 --db :memory: --admin-token "$TOKEN" \
  --admin-guesses-per-minute 1000000 --mail-per-minute 1000000 >"$WORK/server.out" 2>"$WORK/server.err" &
server_pid=$!
base=""
for _ in $(seq 100); do
  base=$(sed -n 's#^garake listening on ##p' "$WORK/server.out" | head -n 1)
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "garake did not start:"; cat "$WORK/server.err"; exit 1; }

# Messages in the outbox, so that some generated ids name one.
for n in 1 2 3; do
  curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"from\":\"taro-demo@docomo.ne.jp\",\"to\":\"member$n@example.com\",\"subject\":\"Code $n\",\"body\":\"Your code is 12345$n\"}" \
    "$base/api/mail"
done

seed=()
[ "$SEED" = random ] || seed=(--seed "$SEED")
status=0
# From the temporary folder: Schemathesis keeps a cache (.schemathesis/) where it runs.
cd "$WORK"
"$WORK/venv/bin/schemathesis" --config-file "$HERE/schemathesis.toml" run "$base/api/openapi.json" \
  --url "$base" \
  --header "Authorization: Bearer $TOKEN" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  "${seed[@]}" \
  --report junit --report-dir "$WORK/report" || status=$?

# No request of the run was refused as too many.
throttled=$(curl -fsS "$base/metrics" -H "Authorization: Bearer $TOKEN" |
  sed -n 's/^garake_requests_total{kind="api",status="429"} //p')
if [ -n "$throttled" ]; then
  echo "FAILED: $throttled answers of the run were 429 (throttled)"
  status=1
fi
[ "$status" -eq 0 ] || { echo "schemathesis: FAILED (server log below)"; tail -n 50 "$WORK/server.err"; }
exit "$status"
