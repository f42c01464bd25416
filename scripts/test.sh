#!/usr/bin/env bash
# Runs every test of Itinera on a fresh machine: installs what the tests need from the
# distribution's packages (PostgreSQL 15, Chromium, Node.js; needs root or sudo), starts a
# throw-away PostgreSQL cluster on loopback as an unprivileged user, then runs
#   1. formatting and lint checks,
#   2. every unit and integration test on SQLite (with the schema comparison, which
#      needs PostgreSQL too),
#   3. the integration, command-line and crash tests again on PostgreSQL,
#   4. the failover test: two servers on a pg_auto_failover formation (a monitor, a
#      primary and its synchronous standby on loopback), the primary killed 5 times,
#   5. the browser journeys in headless Chromium, on SQLite and on PostgreSQL,
#   6. the API attacked by Schemathesis's generated requests (a short run).
# Pass or fail is decided by each runner's exit code; a step that ran no test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/itinera-target}"
export CARGO_TERM_COLOR=never
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Each step says when it began (seconds since the start), so a slow run shows where its
# time went.
step() { printf '\n== [%ds] %s\n' "$SECONDS" "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A reused target directory grows with every build (incremental caches, test binaries of
# earlier commits). When its disk runs low, drop what a fresh build makes again anyway:
# the incremental caches and all but the two newest binaries of each test target.
prune_target() {
  local deps="$CARGO_TARGET_DIR/debug/deps" free
  [ -d "$CARGO_TARGET_DIR" ] || return 0
  free=$(df -Pk "$CARGO_TARGET_DIR" | awk 'NR==2 {print int($4 / 1048576)}')
  [ "$free" -lt 30 ] || return 0
  step "pruning $CARGO_TARGET_DIR (${free} GB free)"
  rm -rf "$CARGO_TARGET_DIR"/debug/incremental
  if [ -d "$deps" ]; then
    local name
    for name in $(ls "$deps" | grep -E '^[a-z_]+-[0-9a-f]{16}$' | sed -E 's/-[0-9a-f]{16}$//' | sort -u); do
      ls -t "$deps" | grep -E "^$name-[0-9a-f]{16}$" | tail -n +3 | sed "s|^|$deps/|" | xargs -r rm -f
    done
  fi
  free=$(df -Pk "$CARGO_TARGET_DIR" | awk 'NR==2 {print int($4 / 1048576)}')
  if [ "$free" -lt 12 ]; then rm -rf "$CARGO_TARGET_DIR"; fi
}
prune_target

PGPORT="${ITINERA_TEST_PG_PORT:-54329}"
WORK=$(mktemp -d /tmp/itinera-test.XXXXXX)
# The cluster's directory is its own (the PostgreSQL user must be able to reach it).
PGDIR=$(mktemp -d /tmp/itinera-pg.XXXXXX)
cleanup() { scripts/pg-cluster.sh stop "$PGDIR" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
step "starting PostgreSQL 15 on 127.0.0.1:$PGPORT"
ITINERA_TEST_PG=$(scripts/pg-cluster.sh start "$PGDIR" "$PGPORT")
export ITINERA_TEST_PG
# The schema comparison fails, instead of skipping, when PostgreSQL is missing.
export ITINERA_REQUIRE_PG=1

# Runs `cargo test` with the given arguments, keeps its output in $WORK/$1.log, fails on
# cargo's exit code, and fails when it ran no test. Prints the counts.
cargo_tests() {
  local name=$1; shift
  local log="$WORK/$name.log"
  # Bounded: a test that hangs fails the run with its output instead of holding it.
  if ! timeout -k 30 2400 cargo test "$@" -- --nocapture >"$log" 2>&1; then
    grep -E "^test .*FAILED|panicked|^error|^failures:|test result" "$log" | tail -60 || true
    tail -40 "$log"
    fail "$name"
  fi
  local passed
  passed=$(grep -E "^test result: ok" "$log" | sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{p+=$1} END {print p+0}')
  grep -oE "(access matrix|crash test|escalation matrix|schema: both|distribution key)[^.]*" "$log" || true
  [ "$passed" -gt 0 ] || fail "$name ran no test"
  echo "$name: $passed passed"
  echo "$passed" >"$WORK/$name.count"
}

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "unit and integration tests on SQLite"
ITINERA_TEST_DB=sqlite cargo_tests sqlite --workspace --quiet

step "integration, command-line and crash tests on PostgreSQL"
ITINERA_TEST_DB=postgres cargo_tests postgres --quiet --test api --test cli --test crash

step "failover: two servers on a pg_auto_failover formation, the primary killed 5 times"
# Installs pg_auto_failover's Debian packages when missing (scripts/ha-cluster.sh).
# The test bounds each of its own steps; this bound is for whatever else could hang.
if ! timeout -k 30 1200 cargo test --quiet --test ha -- --ignored --nocapture >"$WORK/ha.log" 2>&1; then
  grep -E "panicked|^error|test result|failover test" "$WORK/ha.log" | tail -30 || true
  tail -40 "$WORK/ha.log"
  fail "failover"
fi
grep -E "^failover test" "$WORK/ha.log" || true
grep -qE "^test result: ok. 1 passed" "$WORK/ha.log" || fail "failover ran no test"
echo 1 >"$WORK/ha.count"

step "browser journeys (headless Chromium) on SQLite and on PostgreSQL"
cargo build --quiet
(cd e2e && npm ci --no-audit --no-fund --silent)
e2e() {
  local name=$1 db=$2
  local log="$WORK/$name.log"
  if ! ITINERA_BIN="$CARGO_TARGET_DIR/debug/itinera" ITINERA_E2E_DB="$db" \
      timeout -k 30 900 node --test --test-reporter=spec e2e/ >"$log" 2>&1; then
    cat "$log"; fail "$name"
  fi
  local pass
  pass=$(grep -E "^ℹ pass" "$log" | awk '{print $3}')
  [ "${pass:-0}" -gt 0 ] || { cat "$log"; fail "$name ran no test"; }
  grep -E "^✔|^ℹ (pass|fail)" "$log" || true
  echo "${pass}" >"$WORK/$name.count"
}
e2e e2e-sqlite ""
psql "$ITINERA_TEST_PG" -qc "CREATE DATABASE e2e" >/dev/null
e2e e2e-postgres "${ITINERA_TEST_PG%/*}/e2e"

step "the API attacked by generated requests (Schemathesis, short run)"
if ! timeout -k 30 1200 scripts/schemathesis.sh 3 >"$WORK/schemathesis.log" 2>&1; then
  cat "$WORK/schemathesis.log"; fail "schemathesis"
fi
tail -6 "$WORK/schemathesis.log"

step "summary"
total=0
for n in sqlite postgres ha e2e-sqlite e2e-postgres; do
  c=$(cat "$WORK/$n.count"); total=$((total + c)); printf '%-13s %5d passed\n' "$n" "$c"
done
echo "$total passed, 0 failed, in ${SECONDS} s"
grep -E "^schemathesis:" "$WORK/schemathesis.log"
