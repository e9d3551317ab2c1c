#!/usr/bin/env bash
# The benchmark (BENCHMARKS.md): libmsgraph against libcurl, Python
# requests + MSAL and a raw socket client, all against the emulator, in one
# run. Prints a table and writes JSON. Not part of the test suite.
#
#   bash tools/bench.sh            # full run (a few minutes on 2 cores)
#   BENCH_QUICK=1 bash tools/bench.sh   # smaller counts, for a smoke test
#   bash tools/bench.sh sync            # the sync engine only (tools/bench_sync.sh)
#
# Environment: CARGO_TARGET_DIR (default target/), BENCH_OUT (default
# $CARGO_TARGET_DIR/bench), BENCH_VENV (default $BENCH_OUT/venv),
# BENCH_ROUNDS, BENCH_WARM_N, BENCH_PROTO (0: skip the transport prototype,
# bench/transport-proto: reqwest::blocking against reqwest on the calling
# thread, the fix BENCHMARKS.md proposes).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# `bash tools/bench.sh sync`: the sync engine's figures only (tools/bench_sync.sh).
if [ "${1:-}" = sync ]; then
  exec bash "$root/tools/bench_sync.sh"
fi
target=${CARGO_TARGET_DIR:-$root/target}
out=${BENCH_OUT:-$target/bench}
venv=${BENCH_VENV:-$out/venv}
quick=${BENCH_QUICK:-0}
rounds=${BENCH_ROUNDS:-$([ "$quick" = 1 ] && echo 2 || echo 7)}
warm_n=${BENCH_WARM_N:-$([ "$quick" = 1 ] && echo 300 || echo 2000)}
token_n=$([ "$quick" = 1 ] && echo 1000 || echo 10000)
bulk_n=1000
page_users=$([ "$quick" = 1 ] && echo 10000 || echo 100000)
mkdir -p "$out"
rm -rf "$out/raw" && mkdir -p "$out/raw"

say() { printf '== %s\n' "$*" >&2; }


# --- prerequisites ---------------------------------------------------------
if ! echo "#include <curl/curl.h>" | gcc -E - >/dev/null 2>&1; then
  say "installing libcurl4-openssl-dev"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libcurl4-openssl-dev >/dev/null
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import msal, requests' 2>/dev/null; then
  say "python venv with msal and requests in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q msal requests
fi
say "release build"
cargo build --release --quiet -p msgraph-extproc -p msgraph-emulator
rel="$target/release"
lib="$rel/libmsgraph.so"
cflags=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror)
gcc "${cflags[@]}" -I include bench/bench_capi.c -ldl -o "$out/bench_capi"
gcc "${cflags[@]}" bench/bench_curl.c -lcurl -o "$out/bench_curl"
gcc "${cflags[@]}" bench/bench_raw.c -o "$out/bench_raw"
proto=${BENCH_PROTO:-1}
if [ "$proto" = 1 ]; then
  say "transport prototype (reqwest blocking vs on the calling thread)"
  cargo build --release --quiet --manifest-path bench/transport-proto/Cargo.toml --target-dir "$target"
fi

# --- emulators ---------------------------------------------------------------
emu_pids=()
trap 'for p in "${emu_pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
# start_emu NAME ARGS...: sets $creds and $base (http[s]://127.0.0.1:PORT)
start_emu() {
  local name=$1; shift
  local dir="$out/emu-$name"
  rm -rf "$dir" && mkdir -p "$dir"
  "$rel/msgraph-emulator" --port 0 --port-file "$dir/port" --credentials-out "$dir/creds.json" --quiet "$@" &
  emu_pids+=($!)
  for _ in $(seq 1 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
  [ -s "$dir/port" ] || { echo "emulator $name did not start" >&2; exit 1; }
  creds="$dir/creds.json"
  base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["emulator"]["graph_base_url"].rsplit("/v1.0",1)[0])' "$creds")
  port=$(cat "$dir/port")
}
# ctl BASE METHOD PATH [JSON]: the emulator's control surface (no TLS check: loopback, own CA)
ctl() {
  python3 - "$@" <<'PY'
import json, ssl, sys, urllib.request
base, method, path = sys.argv[1:4]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(base + path, data=data, method=method, headers={"content-type": "application/json"})
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
with urllib.request.urlopen(req, context=ctx) as r:
    body = r.read().decode()
print(body)
PY
}
stat_of() { ctl "$1" GET /_emulator/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }
rec() { cat >> "$out/raw/$1.jsonl"; }  # rec NAME < one JSON line

warm_path="/organization"

# --- 1. warm request cost ------------------------------------------------------
say "warm calls, plain http: $rounds rounds x $warm_n GETs of $warm_path"
start_emu http
token=$("$out/bench_capi" "$lib" "$creds" token)
for r in $(seq 1 "$rounds"); do
  "$out/bench_capi" "$lib" "$creds" warm "$warm_n" "$warm_path" | rec warm_http_lib
  "$out/bench_curl" warm "$warm_n" "$base/v1.0$warm_path" "$token" | rec warm_http_curl
  "$out/bench_raw" "$warm_n" "$port" "/v1.0$warm_path" "$token" | rec warm_http_raw
  if [ "$proto" = 1 ]; then
    "$rel/transport-proto" blocking "$warm_n" "$base/v1.0$warm_path" "$token" | rec warm_http_proto_blocking
    "$rel/transport-proto" inthread "$warm_n" "$base/v1.0$warm_path" "$token" | rec warm_http_proto_inthread
  fi
  "$venv/bin/python" bench/bench_py.py "$creds" "$warm_n" "$warm_path" --token post | rec warm_http_py
done
http_base=$base; http_creds=$creds

say "warm calls, TLS (emulator --tls, its CA given to every client)"
start_emu tls --tls --ca-out "$out/emu-tls/ca.pem"
ca=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["emulator"]["ca_file"])' "$creds")
token=$("$out/bench_capi" "$lib" "$creds" token)
for r in $(seq 1 "$rounds"); do
  "$out/bench_capi" "$lib" "$creds" warm "$warm_n" "$warm_path" | rec warm_tls_lib
  "$out/bench_curl" warm "$warm_n" "$base/v1.0$warm_path" "$token" "$ca" | rec warm_tls_curl
  "$venv/bin/python" bench/bench_py.py "$creds" "$warm_n" "$warm_path" --token msal | rec warm_tls_py
done
tls_base=$base; tls_creds=$creds; tls_ca=$ca

# --- 2. cold start ---------------------------------------------------------------
say "cold start ($rounds runs each)"
for pass in http tls; do
  if [ $pass = http ]; then creds=$http_creds; base=$http_base; cafile=(); else creds=$tls_creds; base=$tls_base; cafile=("$tls_ca"); fi
  read -r tid cid sec < <(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["emulator"]; print(e["tenant_id"], e["client_id"], e["client_secret"])' "$creds")
  for r in $(seq 1 "$rounds"); do
    "$out/bench_capi" "$lib" "$creds" cold "$warm_path" | rec cold_${pass}_lib
    "$out/bench_curl" cold "$base/$tid/oauth2/v2.0/token" "$cid" "$sec" "$base/v1.0$warm_path" "${cafile[@]}" | rec cold_${pass}_curl
  done
done

# --- 3. token economy -------------------------------------------------------------
say "token economy: $token_n calls, cached vs a token per call"
creds=$http_creds; base=$http_base
for mode in cached naive; do
  before=$(stat_of "$base" token_requests)
  line=$("$out/bench_capi" "$lib" "$creds" tokens "$token_n" "$warm_path" $([ $mode = naive ] && echo naive))
  after=$(stat_of "$base" token_requests)
  echo "$line" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["token_requests"]=int(sys.argv[1]); print(json.dumps(d))' $((after - before)) | rec tokens_$mode
done

# --- 4. bulk: mailboxSettings of 1,000 users, 20 ms latency --------------------
say "bulk: $bulk_n users' mailboxSettings with 20 ms latency"
start_emu bulk --users "$bulk_n"
ctl "$base" POST /_emulator/faults '{"reset":true,"latency_ms":20}' >/dev/null
for mode in seq batch batch4 batch16; do
  ctl "$base" POST /_emulator/clear '{"stats":true}' >/dev/null
  line=$("$out/bench_capi" "$lib" "$creds" bulk "$mode" "$bulk_n")
  s=$(ctl "$base" GET /_emulator/stats)
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); s=json.loads(sys.argv[2]); d["throttled"]=s["throttled"]; d["throttling"]=False; print(json.dumps(d))' "$line" "$s" | rec bulk
done
say "bulk under Outlook throttling (4 per mailbox, Retry-After enforced)"
ctl "$base" POST /_emulator/faults '{"reset":true,"latency_ms":20,"outlook_throttling":true}' >/dev/null
for run in "batch4 0" "batch16 0" "batch4 50" "batch16 50"; do
  read -r mode mailboxes <<<"$run"
  ctl "$base" POST /_emulator/clear '{"stats":true}' >/dev/null
  line=$("$out/bench_capi" "$lib" "$creds" bulk "$mode" "$bulk_n" "$mailboxes")
  s=$(ctl "$base" GET /_emulator/stats)
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); s=json.loads(sys.argv[2]); d["throttled"]=s["throttled"]; d["peak_mailbox_concurrency"]=max(s["peak_mailbox_concurrency"].values() or [0]); d["throttling"]=True; print(json.dumps(d))' "$line" "$s" | rec bulk
done

# --- 5. paging: every user of a big tenant --------------------------------------------
say "paging: $page_users users, 999 a page, all_pages"
start_emu page --users "$page_users"
"$out/bench_capi" "$lib" "$creds" page '/users?$top=999' | rec page

# --- report -------------------------------------------------------------------------------
python3 bench/report.py "$out/raw" "$out/results.json" "$out/table.md"
cat "$out/table.md"
echo
echo "JSON: $out/results.json"
