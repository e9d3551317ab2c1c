#!/usr/bin/env bash
# `bash tools/bench.sh sync`: the sync engine (msgraph_sync_round) against
# the emulator with latency and Outlook throttling on. Writes
# $BENCH_OUT/sync.json (default target/bench/sync.json) and prints it.
#
# Environment: SYNC_MAILBOXES (default 1000; the issue's target is 10000),
# SYNC_RTT_MS (50), SYNC_CONCURRENCY (16), SYNC_KILLS (20), SYNC_MAX_ITEMS
# (items per engine call in the full round, 20000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
out=${BENCH_OUT:-$target/bench}
mailboxes=${SYNC_MAILBOXES:-1000}
rtt=${SYNC_RTT_MS:-50}
conc=${SYNC_CONCURRENCY:-16}
kills=${SYNC_KILLS:-20}
max_items=${SYNC_MAX_ITEMS:-20000}
say() { printf '== %s\n' "$*" >&2; }
mkdir -p "$out"
work="$out/sync"
rm -rf "$work" && mkdir -p "$work"

say "release build (emulator, sync driver)"
cargo build --release --quiet -p msgraph-emulator
cargo build --release --quiet -p msgraph-extproc --example sync_driver
rel="$target/release"
drv="$rel/examples/sync_driver"

"$rel/msgraph-emulator" --port 0 --port-file "$work/port" --credentials-out "$work/creds.json" --quiet --users "$mailboxes" &
emu=$!
trap 'kill "$emu" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do [ -s "$work/port" ] && [ -s "$work/creds.json" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")"
ctl() { python3 -c 'import sys,urllib.request; r=urllib.request.Request(sys.argv[1]+sys.argv[2], data=sys.argv[3].encode(), method="POST", headers={"content-type":"application/json"}); print(urllib.request.urlopen(r).read().decode())' "$base" "$@"; }
creds="$work/creds.json"
cols="$work/collections.json"

say "collections of $mailboxes mailboxes"
"$drv" collections "$creds" "$mailboxes" "$cols"
ctl /_emulator/faults "{\"reset\":true,\"latency_ms\":$rtt,\"outlook_throttling\":true}" >/dev/null
opts="{\"concurrency\":$conc,\"max_items\":$max_items,\"page_size\":100}"
incr_opts="{\"concurrency\":$conc,\"max_items\":200000,\"page_size\":100}"

say "full first round"
mkdir -p "$work/db"
full=$("$drv" round "$creds" "$cols" "$work/db" "$opts")
echo "$full" >&2
say "1% of collections changed, then an incremental round"
"$drv" mutate "$creds" "$cols" 1 0.01 >&2
incr=$("$drv" round "$creds" "$cols" "$work/db" "$incr_opts")
echo "$incr" >&2
judge0=$("$drv" judge "$creds" "$cols" "$work/db")
echo "after the incremental round: $judge0" >&2

say "kill/resume: $kills runs, each killed with SIGKILL at a random point, then resumed"
lost=0; dup=0; killed=0
kill_opts="{\"concurrency\":$conc,\"max_items\":300,\"page_size\":20}"
# Kill within the first 80% of an incremental round's time (at least 0.3 s).
kill_window=$(python3 -c 'import json,sys; print(max(0.3, 0.8 * json.loads(sys.argv[1])["seconds"]))' "$incr")
for i in $(seq 1 "$kills"); do
  "$drv" mutate "$creds" "$cols" $((100 + i)) 0.05 >/dev/null
  "$drv" round "$creds" "$cols" "$work/db" "$kill_opts" >/dev/null &
  pid=$!
  sleep "$(python3 -c 'import random,sys; print(round(random.uniform(0.02, float(sys.argv[1])), 3))' "$kill_window")"
  # Counted only when the round was still running at the kill.
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
  "$drv" round "$creds" "$cols" "$work/db" "$kill_opts" >/dev/null
  j=$("$drv" judge "$creds" "$cols" "$work/db")
  read -r l d < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["lost"], j["duplicated"])' "$j")
  lost=$((lost + l)); dup=$((dup + d))
  echo "run $i: $j" >&2
done

python3 - "$out/sync.json" "$mailboxes" "$rtt" "$conc" "$kills" "$lost" "$dup" "$killed" "$full" "$incr" "$judge0" <<'PY'
import json, math, sys
path, mailboxes, rtt, conc, kills, lost, dup, killed = sys.argv[1], *map(int, sys.argv[2:9])
full, incr, judge0 = (json.loads(a) for a in sys.argv[9:12])
cols = len(json.load(open(path.rsplit("/", 1)[0] + "/sync/collections.json")))
def bound(run):
    return math.ceil(run["requests"] / 20) / conc * rtt / 1000
d = {
    "mailboxes": mailboxes, "collections": cols, "rtt_ms": rtt, "concurrency": conc,
    "bound_s": round(bound(incr), 3),
    "incremental_s": round(incr["seconds"], 3),
    "incremental_ratio": round(incr["seconds"] / bound(incr), 2),
    "incremental_requests": incr["requests"], "incremental_batches": incr["batches"], "incremental_changes": incr["changes"],
    "full_bound_s": round(bound(full), 3),
    "full_s": round(full["seconds"], 3),
    "full_ratio": round(full["seconds"] / bound(full), 2),
    "full_requests": full["requests"], "full_batches": full["batches"], "full_items": full["changes"], "full_calls": full["calls"],
    "kills": kills, "killed_mid_round": killed, "lost": lost + judge0["lost"], "duplicated": dup + judge0["duplicated"],
    "peak_rss_mib": round(full["peak_rss_kib"] / 1024, 1),
}
json.dump(d, open(path, "w"), indent=1)
print(json.dumps(d, indent=1))
PY
