#!/usr/bin/env bash
# A highly available PostgreSQL 15 on loopback, managed by pg_auto_failover: a monitor and
# two data nodes (a primary and its synchronous standby), run by an unprivileged system
# user, every file under DIR. For the failover test and as the recipe of a deployment
# (see README.md, "Several servers and failover"). Installs the Debian packages when they
# are missing (needs root or sudo).
#
#   scripts/ha-cluster.sh start DIR [PORT]  monitor on PORT (default 56000), nodes on
#                                           PORT+1 and PORT+2; prints the multi-host URL
#                                           to give `itinera serve --db`
#   scripts/ha-cluster.sh state DIR         each node's name, port, reported and goal state
#   scripts/ha-cluster.sh primary DIR       the name of the node that is primary now
#   scripts/ha-cluster.sh kill-primary DIR  SIGKILLs every process of the primary node
#                                           (its pg_autoctl, keeper, postmaster); prints its name
#   scripts/ha-cluster.sh rejoin DIR NAME   once the other node is promoted, starts a
#                                           killed node again (it comes back as the standby)
#   scripts/ha-cluster.sh wait-healthy DIR  waits (up to 120 s) for one primary and one
#                                           secondary
#   scripts/ha-cluster.sh serve DIR [HTTP]  two Itinera servers on the formation, on
#                                           127.0.0.1:HTTP and HTTP+1 (default 8081), with
#                                           the demo's data the first time (the binary:
#                                           $ITINERA_BIN, else `itinera` on the PATH)
#   scripts/ha-cluster.sh stop DIR          stops the servers, drops the nodes and the
#                                           monitor, removes DIR
#
# Timers are tuned for a test (failover in about 12 s instead of 50 s with the defaults):
# health checks every second, a node unhealthy after 3 s, a primary demoted after 8 s.
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
OSUSER=itinera-test
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n 2,26p "$0" >&2; exit 2; }
dir=$(realpath -m "$dir")

as_pg() {
  local env="export PATH=$PGBIN:/usr/bin:/bin XDG_CONFIG_HOME=$dir/config XDG_DATA_HOME=$dir/share \
XDG_RUNTIME_DIR=$dir/run PG_REGRESS_SOCK_DIR=$dir/sock PGHOST=$dir/sock; cd $dir"
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$OSUSER" -- bash -c "$env; $*"
  else sudo -u "$OSUSER" bash -c "$env; $*"; fi
}
port_of() { cat "$dir/port"; }
monitor_url() { echo "postgres://autoctl_node@127.0.0.1:$(port_of)/pg_auto_failover?sslmode=disable"; }
msql() { as_pg "psql -qAtX -h $dir/sock -p $(port_of) -d pg_auto_failover -c \"$1\""; }

# The pids of a node: its supervisor, keeper and postgres service, and the postmaster.
node_pids() {
  local name=$1 f
  for f in "$dir"/run/pg_autoctl"$dir"/data/"$name"/pg_autoctl*.pid "$dir/data/$name/postmaster.pid"; do
    [ -f "$f" ] && head -1 "$f"
  done | sort -u
}

start_node() {
  as_pg "nohup pg_autoctl run --pgdata $dir/data/$1 >> $dir/logs/$1.log 2>&1 &"
}

wait_for() {  # SECONDS CONDITION...
  local t=$1; shift
  for _ in $(seq 1 $((t * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  return 1
}

node1_single() {
  [ "$(msql "SELECT reportedstate FROM pgautofailover.node WHERE nodename = 'node1'")" = single ]
}

healthy() {
  [ "$(msql "SELECT count(*) FROM pgautofailover.node WHERE reportedstate = 'primary' AND goalstate = 'primary'")" = 1 ] &&
  [ "$(msql "SELECT count(*) FROM pgautofailover.node WHERE reportedstate = 'secondary' AND goalstate = 'secondary'")" = 1 ]
}

case "$cmd" in
  start)
    port="${3:-56000}"
    if ! command -v pg_autoctl >/dev/null 2>&1 || [ ! -x "$PGBIN/pg_ctl" ]; then
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-15 \
        postgresql-15-auto-failover pg-auto-failover-cli util-linux >/dev/null
    fi
    id "$OSUSER" >/dev/null 2>&1 || $SUDO useradd --system --no-create-home --shell /usr/sbin/nologin "$OSUSER"
    mkdir -p "$dir"/{data,sock,logs,config,share,run}
    chmod 700 "$dir/run"
    echo "$port" > "$dir/port"
    $SUDO chown -R "$OSUSER" "$dir"
    $SUDO chmod 755 "$dir"
    mkdir -p "$dir/ops"   # the caller's: the address, the Itinera servers' pids and logs
    as_pg "pg_autoctl create monitor --pgdata $dir/data/monitor --pgport $port \
      --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl" >> "$dir/logs/create.log" 2>&1
    start_node monitor
    wait_for 30 msql "SELECT 1" || { cat "$dir/logs/monitor.log" >&2; exit 1; }
    msql "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" >/dev/null
    msql "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" >/dev/null
    msql "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" >/dev/null
    msql "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" >/dev/null
    msql "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 3000" >/dev/null
    msql "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 8000" >/dev/null
    msql "SELECT pg_reload_conf()" >/dev/null
    for i in 1 2; do
      name="node$i"; p=$((port + i))
      if [ "$i" = 2 ]; then
        # pg_basebackup waits for a spread checkpoint (~90 s): ask for checkpoints.
        # The loop holds no pipe of the caller's and ends with this script, however it
        # ends: an orphaned loop kept a caller reading this script's output waiting for
        # ever when a step below failed.
        ( while :; do as_pg "psql -qX -h 127.0.0.1 -p $((port + 1)) -d itinera -c CHECKPOINT" || true; sleep 0.5; done ) \
          </dev/null >/dev/null 2>&1 &
        ckp=$!
        trap 'kill "$ckp" 2>/dev/null || true' EXIT
      fi
      as_pg "pg_autoctl create postgres --pgdata $dir/data/$name --pgport $p --name $name \
        --hostname 127.0.0.1 --listen 127.0.0.1 --dbname itinera --auth trust --no-ssl \
        --monitor '$(monitor_url)'" >> "$dir/logs/create.log" 2>&1
      as_pg "pg_autoctl config set --pgdata $dir/data/$name timeout.network_partition_timeout 5" >/dev/null
      start_node "$name"
      if [ "$i" = 1 ]; then
        wait_for 60 node1_single \
          || { tail -20 "$dir/logs/node1.log" >&2; exit 1; }
      fi
    done
    if ! wait_for 120 healthy; then kill "$ckp" 2>/dev/null || true; tail -20 "$dir/logs/node2.log" >&2; exit 1; fi
    kill "$ckp" 2>/dev/null || true
    wait "$ckp" 2>/dev/null || true
    url="postgres://$OSUSER@127.0.0.1:$((port + 1)),127.0.0.1:$((port + 2))/itinera?target_session_attrs=read-write&connect_timeout=2"
    echo "$url" > "$dir/ops/url"
    echo "$url"
    ;;
  state)
    msql "SELECT nodename, nodeport, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodename"
    ;;
  primary)
    msql "SELECT nodename FROM pgautofailover.node WHERE reportedstate IN ('primary', 'wait_primary', 'single') AND goalstate IN ('primary', 'wait_primary', 'single') LIMIT 1"
    ;;
  kill-primary)
    name=$("$0" primary "$dir")
    [ -n "$name" ] || { echo "no primary" >&2; exit 1; }
    pids=$(node_pids "$name")
    pm=$(head -1 "$dir/data/$name/postmaster.pid" 2>/dev/null || true)
    [ -n "$pm" ] && pids="$pids $(ps -o ppid= -p "$pm" 2>/dev/null || true)"
    for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
    echo "$name"
    ;;
  rejoin)
    name="${3:?node name}"
    # Not before the failover is over: a node that starts again while the monitor still
    # counts it as the primary is demoted and then waits, without Postgres, for ever.
    other_promoted() {
      [ "$(msql "SELECT count(*) FROM pgautofailover.node WHERE nodename <> '$name' AND reportedstate IN ('wait_primary', 'primary') AND goalstate IN ('wait_primary', 'primary')")" = 1 ]
    }
    wait_for 60 other_promoted || { "$0" state "$dir" >&2; exit 1; }
    # The killed postmaster's backends exit once they notice; then it may start again.
    for _ in $(seq 1 100); do
      pgrep -u "$OSUSER" -f "$dir/data/$name" >/dev/null 2>&1 || break
      sleep 0.1
    done
    # A killed process not yet reaped by its new parent (a zombie) still "exists" for the
    # pid-file check of pg_autoctl, which would refuse to start: its pid files go.
    for f in "$dir"/run/pg_autoctl"$dir"/data/"$name"/pg_autoctl*.pid; do
      [ -f "$f" ] || continue
      p=$(head -1 "$f")
      st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null || echo gone)
      if [ "$st" = Z ] || [ "$st" = gone ]; then rm -f "$f"; fi
    done
    start_node "$name"
    ;;
  wait-healthy)
    wait_for 120 healthy || { "$0" state "$dir" >&2; exit 1; }
    ;;
  serve)
    http="${3:-8081}"
    bin="${ITINERA_BIN:-$(command -v itinera || true)}"
    [ -x "$bin" ] || { echo "no itinera binary: set ITINERA_BIN" >&2; exit 1; }
    url=$(cat "$dir/ops/url")
    if [ ! -f "$dir/ops/seeded" ]; then
      "$bin" demo --no-serve --db "$url" >> "$dir/ops/demo.log" 2>&1
      touch "$dir/ops/seeded"
    fi
    for i in 0 1; do
      p=$((http + i))
      nohup "$bin" serve --insecure-http --db "$url" --listen "127.0.0.1:$p" \
        >> "$dir/ops/itinera-$p.log" 2>&1 &
      echo $! > "$dir/ops/itinera-$p.pid"
    done
    for i in 0 1; do
      p=$((http + i))
      wait_for 30 curl -fsS "http://127.0.0.1:$p/health/ready" \
        || { tail -20 "$dir/ops/itinera-$p.log" >&2; exit 1; }
      echo "http://127.0.0.1:$p"
    done
    ;;
  stop)
    for f in "$dir"/ops/itinera-*.pid; do
      [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    if [ -f "$dir/port" ]; then
      for n in node2 node1 monitor; do
        [ -d "$dir/data/$n" ] || continue
        as_pg "pg_autoctl stop --immediate --pgdata $dir/data/$n" >/dev/null 2>&1 || true
      done
      sleep 0.5
      for n in node2 node1 monitor; do
        for p in $(node_pids "$n"); do kill -9 "$p" 2>/dev/null || true; done
      done
      pkill -9 -u "$OSUSER" -f "$dir/" 2>/dev/null || true
    fi
    $SUDO rm -rf "$dir"
    ;;
  *) sed -n 2,26p "$0" >&2; exit 2 ;;
esac
