#!/usr/bin/env bash
# The API attacked by generated requests: Schemathesis reads /api/v1/openapi.json and
# sends requests made from it (valid and invalid: wrong types, missing fields, odd
# strings, unknown ids), as five kinds of user, and checks every answer: never a 5xx,
# a documented status, a body that matches its schema and its content type.
#   scripts/schemathesis.sh [EXAMPLES]   # examples per operation and phase (default 3;
#                                        # the long run outside the test command: 200)
# Uses the debug binary in $CARGO_TARGET_DIR; installs Schemathesis (pinned) into a
# virtual environment under ~/.cache.
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES="${1:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/itinera-target}"
BIN="$CARGO_TARGET_DIR/debug/itinera"
VENV="$HOME/.cache/itinera-schemathesis"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ! -x "$VENV/bin/st" ]; then
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$VENV"; python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
fi
WORK=$(mktemp -d /tmp/itinera-st.XXXXXX)
PORT="${ITINERA_ST_PORT:-18181}"
DB="sqlite://$WORK/st.db"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
"$BIN" demo --db "$DB" --no-serve --participants 200 --today 2026-12-03 >/dev/null 2>&1
"$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --insecure-http >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.2
done
# One user's run, in a folder of its own (Schemathesis keeps a cache in the current
# directory). One worker per run: two threads in one Python process share one core (the
# GIL) and trip over Schemathesis's own source cache; two runs side by side use both cores.
# Writes the run's summary line to $WORK/$user.summary and its outcome to $WORK/$user.status.
run_user() {
  local user=$1 token dir="$WORK/$1" log="$WORK/$1.log" attempt=0 n ops cases
  mkdir -p "$dir"
  token=$("$BIN" token create --db "$DB" --username "$user" | tail -1)
  echo 0 >"$WORK/$user.status"
  while :; do
    attempt=$((attempt + 1))
    if (cd "$dir" && "$VENV/bin/st" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
        -H "Authorization: Bearer $token" -H "Accept-Language: es" \
        --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
        --max-examples "$EXAMPLES" --seed 20261204 --workers 1 --no-color \
        --request-timeout 60 --request-retries 2) >"$log" 2>&1; then
      break
    fi
    # An error inside Schemathesis itself (its ERRORS section, no FAILURES: no answer of
    # the API was at fault) is tried again, up to three times.
    if [ "$attempt" -lt 4 ] && ! grep -q "FAILURES" "$log" && grep -q "ERRORS" "$log"; then
      { echo "$user: an error inside Schemathesis, not in an answer; trying again"
        grep -E "^ *[A-Za-z]+Error" "$log" | cut -c1-200 | head -3 || true; } >>"$WORK/$user.summary"
      continue
    fi
    echo 1 >"$WORK/$user.status"
    { sed -n '/FAILURES\|ERRORS/,/WARNINGS/p' "$log" | cut -c1-400 | head -150
      tail -25 "$log" | cut -c1-400; } >>"$WORK/$user.summary"
    break
  done
  n=$(grep -oE "[0-9]+ generated" "$log" | head -1 | awk '{print $1}')
  echo "${n:-0}" >"$WORK/$user.count"
  ops=$(grep -oE "Tested: [0-9]+" "$log" | head -1 | awk '{print $2}')
  cases=$(grep -E "^  [0-9]+ generated" "$log" | head -1 | xargs)
  printf '%-16s %6s requests  %s operations tested  (%s)  %s\n' "$user" "${n:-?}" "${ops:-?}" \
    "${cases:-?}" "$(grep -E "^=+ .* in [0-9.]+s =+$" "$log" | tr -d '=' | xargs)" >>"$WORK/$user.summary"
}
USERS=(ts.badajoz gestora.badajoz programa.junta auditoria admin)
# Two runs at a time (`wait -n` and `wait` name the runs: the server is a job too).
runs=()
for user in "${USERS[@]}"; do
  if [ "${#runs[@]}" -ge 2 ]; then
    wait -n "${runs[@]}" || true
    alive=()
    for pid in "${runs[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    runs=("${alive[@]}")
  fi
  run_user "$user" &
  runs+=($!)
done
wait "${runs[@]}" || true
status=0
total=0
for user in "${USERS[@]}"; do
  cat "$WORK/$user.summary"
  [ "$(cat "$WORK/$user.status")" = 0 ] || status=1
  total=$((total + $(cat "$WORK/$user.count")))
done
# A network error is retried (a loaded machine); the server must still be up, and have
# logged no panic.
if ! kill -0 "$SERVER" 2>/dev/null; then
  status=1; echo "the server stopped"; tail -40 "$WORK/serve.log"
fi
if grep -q "panicked" "$WORK/serve.log"; then
  status=1; grep -B2 -A10 "panicked" "$WORK/serve.log" | head -40
fi
echo "schemathesis: $total generated requests"
exit $status
