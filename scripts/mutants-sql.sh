#!/usr/bin/env bash
# Mutation run of the access rules written in SQL (cargo-mutants mutates Rust, not the
# text of a query): each condition of `store::access::visible_sql` (the professionals'
# rule), of `store::access::consented_sql` (the scoped roles' and a waiting referral's
# receiver's) and of `store::contacts::VISIBLE` is broken in turn, and the access,
# visibility, referral, training and placement tests must fail for every one. Prints each mutant as killed or survived, and the score. Long
# (a rebuild and the access tests per mutant): run outside the test command.
#   scripts/mutants-sql.sh            # on SQLite
set -u
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/itinera-target}"
# file | text | replacement [| which occurrence, 1 by default: `consented_sql` repeats
# the consent conditions of `visible_sql`, which comes first in the file]
mutants=(
  "crates/store/src/access.rs|{p}.home_organisation_id = {org} OR|1=0 OR"
  "crates/store/src/access.rs|WHERE vm.participant_id = {p}.id AND |WHERE "
  "crates/store/src/access.rs| AND vm.removed_at IS NULL|"
  "crates/store/src/access.rs|AND vm.organisation_id = {org} |"
  "crates/store/src/access.rs|WHERE vk.participant_id = {p}.id AND|WHERE"
  "crates/store/src/access.rs|vk.purpose = 'sharing' AND |"
  "crates/store/src/access.rs|AND vk.given_on <= {today} |"
  "crates/store/src/access.rs|vk.withdrawn_on > {today}|vk.withdrawn_on >= {today}"
  "crates/store/src/access.rs|(vk.withdrawn_on IS NULL OR vk.withdrawn_on > {today})|1=1"
  "crates/store/src/access.rs|vk.expires_on >= {today}|vk.expires_on > {today}"
  "crates/store/src/access.rs|(vk.expires_on IS NULL OR vk.expires_on >= {today})|1=1"
  "crates/store/src/access.rs|vs.organisation_id = {org} OR |"
  "crates/store/src/access.rs| OR vs.organisation_kind = {kind}|"
  "crates/store/src/access.rs|{p}.home_organisation_id = {org} \\|1=0 \\|1"
  "crates/store/src/access.rs|vk.purpose = 'sharing' AND ||2"
  "crates/store/src/access.rs|AND vk.given_on <= {today} ||2"
  "crates/store/src/access.rs|vk.withdrawn_on > {today}|vk.withdrawn_on >= {today}|2"
  "crates/store/src/access.rs|(vk.withdrawn_on IS NULL OR vk.withdrawn_on > {today})|1=1|2"
  "crates/store/src/access.rs|vk.expires_on >= {today}|vk.expires_on > {today}|2"
  "crates/store/src/access.rs|(vk.expires_on IS NULL OR vk.expires_on >= {today})|1=1|2"
  "crates/store/src/access.rs|vs.organisation_id = {org} OR ||2"
  "crates/store/src/access.rs| OR vs.organisation_kind = {kind}||2"
  "crates/store/src/access.rs|WHERE vk.participant_id = {p}.id AND|WHERE|2"
  "crates/store/src/contacts.rs|k.visibility = 'team' OR |"
  "crates/store/src/contacts.rs| AND k.author_organisation_id = \$3|"
  "crates/store/src/contacts.rs| AND k.author_id = \$2|"
)
killed=0
survived=0
for m in "${mutants[@]}"; do
  IFS='|' read -r file from to nth <<<"$m"
  cp "$file" "/tmp/mutant.orig"
  if ! python3 - "$file" "$from" "$to" "${nth:-1}" <<'PY'
import sys
p, a, b, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = open(p).read()
at = -1
for _ in range(n):
    at = s.find(a, at + 1)
    if at < 0:
        sys.exit(1)
open(p, "w").write(s[:at] + b + s[at + len(a):])
PY
  then
    echo "NOT APPLIED: $file: $from"
    continue
  fi
  if cargo test -q --test api -- access:: visibility:: referrals:: training:: placements:: >/tmp/mutant.log 2>&1; then
    echo "SURVIVED: $file: «$from» (${nth:-1}) → «$to»"
    survived=$((survived + 1))
  else
    echo "killed:   $file: «$from» (${nth:-1}) → «$to»"
    killed=$((killed + 1))
  fi
  cp "/tmp/mutant.orig" "$file"
done
echo "SQL mutants: $killed killed, $survived survived of $((killed + survived))"
[ "$survived" -eq 0 ]
