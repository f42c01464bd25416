#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster on loopback, run by an unprivileged system user, for
# the tests. Installs PostgreSQL 15 from the distribution's packages when it is missing
# (needs root or sudo: apt-get, useradd, runuser).
#
#   scripts/pg-cluster.sh start DIR [PORT]   creates and starts a cluster in DIR (default
#                                            port 54329) and prints the URL to export as
#                                            ITINERA_TEST_PG
#   scripts/pg-cluster.sh stop DIR           stops it (immediate) and removes DIR
#   scripts/pg-cluster.sh kill DIR           SIGKILLs its postmaster (the crash test)
#   scripts/pg-cluster.sh restart DIR [PORT] starts it again after a kill (crash recovery)
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
PGUSER_OS=itinera-test
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else sudo -u "$PGUSER_OS" "$@"; fi; }

cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
case "$cmd" in
  start)
    port="${3:-54329}"
    if [ ! -x "$PGBIN/pg_ctl" ] || ! command -v runuser >/dev/null 2>&1; then
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-15 util-linux >/dev/null
    fi
    id "$PGUSER_OS" >/dev/null 2>&1 || $SUDO useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
    mkdir -p "$dir"
    $SUDO chown "$PGUSER_OS" "$dir"
    as_pg "$PGBIN/initdb" -D "$dir/data" -U itinera --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null
    echo "postgres://itinera@127.0.0.1:$port/postgres"
    ;;
  kill)
    pid=$(head -1 "$dir/data/postmaster.pid")
    ps -o pid= --ppid "$pid" > "$dir/orphans" || true
    kill -9 "$pid"
    ;;
  restart)
    port="${3:-54329}"
    # The killed postmaster's backends notice it is gone and exit; until they have,
    # they hold its shared memory and a new postmaster refuses to start.
    for _ in $(seq 1 200); do
      alive=0
      for p in $(cat "$dir/orphans" 2>/dev/null); do kill -0 "$p" 2>/dev/null && alive=1; done
      [ "$alive" -eq 0 ] && break
      sleep 0.05
    done
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null
    ;;
  stop)
    [ -d "$dir/data" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    $SUDO rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
