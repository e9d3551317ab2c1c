#!/usr/bin/env bash
# `bash tools/bench.sh sync`: the sync engine (msgraph_sync_round) against
# the emulator with latency and Outlook throttling on. Writes
# $BENCH_OUT/sync.json (default target/bench/sync.json) and prints it.
#
# Environment: SYNC_MAILBOXES (default 1000; the issue's target is 10000),
# SYNC_RTT_MS (50), SYNC_CONCURRENCY (16), SYNC_KILLS (20), SYNC_MAX_ITEMS
# (items per engine call in the full round, 20000), SYNC_KILL_MAX_ITEMS
# (items per call in the kill/resume runs, default collections / 10, at
# least 300: many commit points to be killed between).
#
# incremental_s / full_s are the time spent in msgraph_sync_round calls
# (the engine: batching, network, parsing, result); *_round_s adds the
# driver's commits (journal append + fsync, links file). peak_rss_mib is
# the largest rise of the process's resident set during one engine call
# (VmHWM reset before each call); process_peak_rss_mib the whole driver.
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
emu_cpu() { awk '{print ($14 + $15) / 100}' "/proc/$emu/stat"; }
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
c0=$(emu_cpu)
full=$("$drv" round "$creds" "$cols" "$work/db" "$opts")
full_emu_cpu=$(python3 -c "print(round($(emu_cpu) - $c0, 2))")
echo "$full" >&2
say "1% of collections changed, then an incremental round"
"$drv" mutate "$creds" "$cols" 1 0.01 >&2
c0=$(emu_cpu)
incr=$("$drv" round "$creds" "$cols" "$work/db" "$incr_opts")
incr_emu_cpu=$(python3 -c "print(round($(emu_cpu) - $c0, 2))")
echo "$incr" >&2
judge0=$("$drv" judge "$creds" "$cols" "$work/db")
echo "after the incremental round: $judge0" >&2

say "kill/resume: $kills runs, each killed with SIGKILL at a random point, then resumed"
lost=0; dup=0; killed=0
ncols=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$cols")
kill_items=${SYNC_KILL_MAX_ITEMS:-$(( ncols / 10 > 300 ? ncols / 10 : 300 ))}
kill_opts="{\"concurrency\":$conc,\"max_items\":$kill_items,\"page_size\":20}"
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

python3 - "$out/sync.json" "$mailboxes" "$rtt" "$conc" "$kills" "$lost" "$dup" "$killed" "$full" "$incr" "$judge0" "$full_emu_cpu" "$incr_emu_cpu" "$kill_items" <<'PY'
import json, math, sys, time
path, mailboxes, rtt, conc, kills, lost, dup, killed = sys.argv[1], *map(int, sys.argv[2:9])
full, incr, judge0 = (json.loads(a) for a in sys.argv[9:12])
full_emu_cpu, incr_emu_cpu, kill_items = float(sys.argv[12]), float(sys.argv[13]), int(sys.argv[14])
cols = len(json.load(open(path.rsplit("/", 1)[0] + "/sync/collections.json")))
def bound(run):
    return math.ceil(run["requests"] / 20) / conc * rtt / 1000
d = {
    "mailboxes": mailboxes, "collections": cols, "rtt_ms": rtt, "concurrency": conc,
    "bound_s": round(bound(incr), 3),
    "incremental_s": round(incr["engine_seconds"], 3),
    "incremental_ratio": round(incr["engine_seconds"] / bound(incr), 2),
    "incremental_round_s": round(incr["seconds"], 3),
    "incremental_driver_cpu_s": round(incr["cpu_seconds"], 2), "incremental_emulator_cpu_s": incr_emu_cpu,
    "incremental_requests": incr["requests"], "incremental_batches": incr["batches"], "incremental_changes": incr["changes"],
    "full_bound_s": round(bound(full), 3),
    "full_s": round(full["engine_seconds"], 3),
    "full_ratio": round(full["engine_seconds"] / bound(full), 2),
    "full_round_s": round(full["seconds"], 3),
    "full_driver_cpu_s": round(full["cpu_seconds"], 2), "full_emulator_cpu_s": full_emu_cpu,
    "full_requests": full["requests"], "full_batches": full["batches"], "full_items": full["changes"], "full_calls": full["calls"],
    "kills": kills, "killed_mid_round": killed, "lost": lost + judge0["lost"], "duplicated": dup + judge0["duplicated"],
    "kill_max_items": kill_items,
    "peak_rss_mib": round(max(full["call_peak_rss_kib"], incr["call_peak_rss_kib"]) / 1024, 1),
    "process_peak_rss_mib": round(max(full["peak_rss_kib"], incr["peak_rss_kib"]) / 1024, 1),
    "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "load_avg_1m_at_end": float(open("/proc/loadavg").read().split()[0]),
}
json.dump(d, open(path, "w"), indent=1)
print(json.dumps(d, indent=1))
PY
