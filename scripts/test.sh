#!/usr/bin/env bash
# Runs every test of Itinera on a fresh machine: installs what the tests need from the
# distribution's packages (PostgreSQL 15, Chromium, Node.js), starts a throw-away
# PostgreSQL cluster on loopback as an unprivileged user, then runs
#   1. formatting and lint checks,
#   2. unit and integration tests on SQLite (and the schema comparison with PostgreSQL),
#   3. the API integration and crash tests again on PostgreSQL,
#   4. the browser end-to-end tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/itinera-target}"
export CARGO_TERM_COLOR=never
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

step() { printf '\n== %s\n' "$*"; }

need=()
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || need+=(postgresql-15)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A throw-away PostgreSQL 15 cluster on loopback, run by an unprivileged user.
PGBIN=/usr/lib/postgresql/15/bin
PGPORT="${ITINERA_TEST_PG_PORT:-54329}"
PGDIR=$(mktemp -d /tmp/itinera-pg.XXXXXX)
PGUSER_OS=itinera-test
id "$PGUSER_OS" >/dev/null 2>&1 || $SUDO useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
chown "$PGUSER_OS" "$PGDIR"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else sudo -u "$PGUSER_OS" "$@"; fi; }
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap cleanup EXIT
step "starting PostgreSQL 15 on 127.0.0.1:$PGPORT"
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U itinera --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null
export ITINERA_TEST_PG="postgres://itinera@127.0.0.1:$PGPORT/postgres"

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "unit and integration tests on SQLite"
ITINERA_TEST_DB=sqlite cargo test --workspace --quiet -- --nocapture 2>&1 | tee "$PGDIR/sqlite.log" | grep -E "^test result|FAILED|panicked|access matrix|crash test" || true
grep -q "FAILED\|error: test failed" "$PGDIR/sqlite.log" && { cat "$PGDIR/sqlite.log" | tail -80; exit 1; }

step "API integration and crash tests on PostgreSQL"
ITINERA_TEST_DB=postgres cargo test --quiet --test api --test crash -- --nocapture 2>&1 | tee "$PGDIR/pg.log" | grep -E "^test result|FAILED|panicked|access matrix|crash test" || true
grep -q "FAILED\|error: test failed" "$PGDIR/pg.log" && { cat "$PGDIR/pg.log" | tail -80; exit 1; }

step "browser end-to-end tests (headless Chromium)"
cargo build --quiet
(cd e2e && npm ci --no-audit --no-fund --silent)
ITINERA_BIN="$CARGO_TARGET_DIR/debug/itinera" node --test --test-reporter=spec e2e/ 2>&1 | tee "$PGDIR/e2e.log"
E2E_PASS=$(grep -E "^ℹ pass" "$PGDIR/e2e.log" | awk '{print $3}')
E2E_FAIL=$(grep -E "^ℹ fail" "$PGDIR/e2e.log" | awk '{print $3}')
[ "${E2E_FAIL:-1}" = "0" ] || exit 1

step "summary"
sum() { grep -E "^test result" "$1" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' | awk '{p+=$1; f+=$2} END {print p+0, f+0}'; }
read -r SP SF < <(sum "$PGDIR/sqlite.log")
read -r PP PF < <(sum "$PGDIR/pg.log")
echo "SQLite: $SP passed, $SF failed; PostgreSQL: $PP passed, $PF failed; browser: ${E2E_PASS:-0} passed, ${E2E_FAIL:-0} failed"
echo "$((SP + PP + ${E2E_PASS:-0})) passed, $((SF + PF + ${E2E_FAIL:-0})) failed"
