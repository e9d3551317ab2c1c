#!/usr/bin/env bash
# The benchmark (BENCHMARKS.md): libmsgraph against libcurl, Python
# requests + MSAL and a raw socket client, all against the emulator, in one
# run. Prints a table and writes JSON. Not part of the test suite.
#
#   bash tools/bench.sh            # full run (a few minutes on 2 cores)
#   BENCH_QUICK=1 bash tools/bench.sh   # smaller counts, for a smoke test
#   bash tools/bench.sh token-cache     # only the shared token cache figures
#   bash tools/bench.sh sync            # the sync engine only (tools/bench_sync.sh)
#
# Environment: CARGO_TARGET_DIR (default target/), BENCH_OUT (default
# $CARGO_TARGET_DIR/bench), BENCH_VENV (default $BENCH_OUT/venv),
# BENCH_ROUNDS, BENCH_WARM_N, BENCH_FIXED_N (default 10 x BENCH_WARM_N), BENCH_PROTO (0: skip the transport prototype,
# bench/transport-proto: reqwest::blocking against reqwest on the calling
# thread, the fix BENCHMARKS.md proposes), BENCH_ONLY=fixed (only the fixed
# fast server row: nginx serving a static page, installed through apt-get
# when missing, with the emulator only issuing the token), BENCH_CALLGRIND=1
# (with the fixed row: instructions per call under valgrind's callgrind),
# BENCH_ONLY=tls (only the TLS rows), BENCH_HTTP=2 or 1 (TLS rows over HTTP/2
# only or HTTP/1.1 only; default both: the emulator with h2, and --http1-only).
set -euo pipefail
mode=${1:-all}
case "$mode" in all|token-cache|sync) ;; *) echo "usage: bash tools/bench.sh [token-cache|sync]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# `bash tools/bench.sh sync`: the sync engine's figures only (tools/bench_sync.sh).
if [ "$mode" = sync ]; then
  exec bash "$root/tools/bench_sync.sh"
fi
target=${CARGO_TARGET_DIR:-$root/target}
out=${BENCH_OUT:-$target/bench}
venv=${BENCH_VENV:-$out/venv}
quick=${BENCH_QUICK:-0}
rounds=${BENCH_ROUNDS:-$([ "$quick" = 1 ] && echo 2 || echo 7)}
warm_n=${BENCH_WARM_N:-$([ "$quick" = 1 ] && echo 300 || echo 2000)}
# nginx answers in a few µs: ten times the calls, so a round outlasts noise.
fixed_n=${BENCH_FIXED_N:-$((warm_n * 10))}
token_n=$([ "$quick" = 1 ] && echo 1000 || echo 10000)
bulk_n=1000
page_users=$([ "$quick" = 1 ] && echo 10000 || echo 100000)
only=${BENCH_ONLY:-}
mkdir -p "$out"
[ "$mode" = all ] && rm -rf "$out/raw" && mkdir -p "$out/raw"

say() { printf '== %s\n' "$*" >&2; }

# --- prerequisites ---------------------------------------------------------
if [ "$mode" = all ]; then
if ! echo "#include <curl/curl.h>" | gcc -E - >/dev/null 2>&1; then
  say "installing libcurl4-openssl-dev"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libcurl4-openssl-dev >/dev/null
fi
if [ -z "$only" ] && { [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import msal, requests' 2>/dev/null; }; then
  say "python venv with msal and requests in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q msal requests
fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  say "installing nginx-light (the fixed fast server)"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx-light >/dev/null
fi
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
say "release build"
cargo build --release --quiet -p msgraph-extproc -p msgraph-emulator
rel="$target/release"
lib="$rel/libmsgraph.so"
cflags=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror)
gcc "${cflags[@]}" -I include bench/bench_capi.c -ldl -o "$out/bench_capi"
[ "$mode" = all ] && gcc "${cflags[@]}" bench/bench_curl.c -lcurl -o "$out/bench_curl"
[ "$mode" = all ] && gcc "${cflags[@]}" bench/bench_raw.c -o "$out/bench_raw"
proto=${BENCH_PROTO:-$([ -z "$only" ] && echo 1 || echo 0)}
[ "$mode" = all ] || proto=0
if [ "$proto" = 1 ]; then
  say "transport prototype (reqwest blocking vs on the calling thread)"
  cargo build --release --quiet --manifest-path bench/transport-proto/Cargo.toml --target-dir "$target"
fi

# --- emulators ---------------------------------------------------------------
emu_pids=()
trap 'for p in "${emu_pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
# want SECTION: whether BENCH_ONLY lets SECTION run.
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
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

# --- shared token cache (bash tools/bench.sh token-cache) ----------------------
# Separate processes (bench_capi cold: load, credentials, token_info, GET),
# as Oracle's dedicated agent starts one per session; token requests counted
# by the emulator.
if [ "$mode" = token-cache ]; then
  start_emu tcache
  tc="$out/token-cache"
  fresh_dir() { rm -rf "$tc" && mkdir -m 700 "$tc"; }
  count() { stat_of "$base" token_requests; }
  rows="$out/token-cache.jsonl"; : > "$rows"
  row() { echo "{\"figure\":\"$1\",\"token_requests\":$2,\"seconds\":$3}" >> "$rows"; }
  now() { python3 -c 'import time; print(time.monotonic())'; }
  for cache in off on; do
    fresh_dir; b=$(count); t0=$(now)
    for _ in $(seq 1 100); do
      if [ $cache = on ]; then MSGRAPH_TOKEN_CACHE_DIR=$tc "$out/bench_capi" "$lib" "$creds" cold "$warm_path" >/dev/null
      else env -u MSGRAPH_TOKEN_CACHE_DIR "$out/bench_capi" "$lib" "$creds" cold "$warm_path" >/dev/null; fi
    done
    row "100 processes in sequence, cache $cache" $(( $(count) - b )) "$(python3 -c "import sys; print(round($(now)-$t0,3))")"
  done
  ctl "$base" POST /_emulator/faults '{"latency_ms":100}' >/dev/null
  for cache in off on; do
    fresh_dir; b=$(count); t0=$(now); pids=()
    for _ in $(seq 1 50); do
      if [ $cache = on ]; then MSGRAPH_TOKEN_CACHE_DIR=$tc "$out/bench_capi" "$lib" "$creds" cold "$warm_path" >/dev/null &
      else env -u MSGRAPH_TOKEN_CACHE_DIR "$out/bench_capi" "$lib" "$creds" cold "$warm_path" >/dev/null & fi
      pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    row "50 processes at once, 100 ms latency, cache $cache" $(( $(count) - b )) "$(python3 -c "print(round($(now)-$t0,3))")"
  done
  say "cold start with 100 ms latency: $rounds runs without, $rounds with a cached token"
  fresh_dir
  MSGRAPH_TOKEN_CACHE_DIR=$tc "$out/bench_capi" "$lib" "$creds" cold "$warm_path" >/dev/null  # fills the cache
  : > "$out/token-cache-cold.jsonl"
  for _ in $(seq 1 "$rounds"); do
    env -u MSGRAPH_TOKEN_CACHE_DIR "$out/bench_capi" "$lib" "$creds" cold "$warm_path" | sed 's/^{/{"cache":false,/' >> "$out/token-cache-cold.jsonl"
    b=$(count)
    line=$(MSGRAPH_TOKEN_CACHE_DIR=$tc "$out/bench_capi" "$lib" "$creds" cold "$warm_path")
    echo "${line/#\{/\{\"cache\":true,\"asked\":$(( $(count) - b )),}" >> "$out/token-cache-cold.jsonl"
  done
  python3 - "$rows" "$out/token-cache-cold.jsonl" "$out/token-cache.json" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cold = [json.loads(l) for l in open(sys.argv[2])]
print("| figure | token requests | wall time |")
print("|---|---|---|")
for r in rows:
    print(f"| {r['figure']} | {r['token_requests']} | {r['seconds']:.2f} s |")
print()
print("| cold start, 100 ms latency (median of runs) | dlopen | credentials | first token | first call | total |")
print("|---|---|---|---|---|---|")
for flag, label in ((False, "no cache (today)"), (True, "token cached in the shared cache")):
    runs = [c for c in cold if c["cache"] == flag]
    m = lambda k: statistics.median(c[k] for c in runs)
    print(f"| {label} | {m('load_ms'):.2f} ms | {m('credentials_ms'):.2f} ms | {m('first_token_ms'):.2f} ms | {m('first_call_ms'):.2f} ms | {m('total_ms'):.2f} ms |")
asked = sum(c.get("asked", 0) for c in cold if c["cache"])
print(f"\ntoken requests by the cached cold starts: {asked}")
json.dump({"counts": rows, "cold": cold}, open(sys.argv[3], "w"), indent=1)
PY
  echo "JSON: $out/token-cache.json"
  exit 0
fi

# --- TLS rows, over HTTP/2 and HTTP/1.1 ------------------------------------------
# tls: the emulator offers ALPN h2 and http/1.1; libmsgraph and libcurl negotiate h2,
# Python requests stays on HTTP/1.1. tls1 (BENCH_HTTP=2 skips it): the same with an
# emulator started --http1-only, so every client is on HTTP/1.1. Each row records the
# HTTP version the emulator saw for that client's calls ("http_version").
# versions NAME: HTTP versions of the Graph requests since the last clear, e.g. "HTTP/2.0"
versions() {
  ctl "$base" GET /_emulator/requests | python3 -c 'import json,sys; print(",".join(sorted({r["http_version"] for r in json.load(sys.stdin) if r["path"].startswith("/v1.0")})))'
}
# tag_version: adds the emulator's observed HTTP version to a row, then clears the log
tag_version() {
  local v; v=$(versions)
  ctl "$base" POST /_emulator/clear '{}' >/dev/null
  python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["http_version"]=sys.argv[1]; print(json.dumps(d))' "$v"
}
tls_rows() {
  local http=${BENCH_HTTP:-both} name extra
  for name in tls tls1; do
    if [ $name = tls ]; then extra=(); else extra=(--http1-only); fi
    [ $name = tls1 ] && [ "$http" = 2 ] && continue
    [ $name = tls ] && [ "$http" = 1 ] && continue
    say "warm calls, TLS (emulator --tls ${extra[*]}, its CA given to every client)"
    start_emu $name --tls "${extra[@]}" --ca-out "$out/emu-$name/ca.pem"
    ca=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["emulator"]["ca_file"])' "$creds")
    token=$("$out/bench_capi" "$lib" "$creds" token)
    ctl "$base" POST /_emulator/clear '{}' >/dev/null
    for r in $(seq 1 "$rounds"); do
      "$out/bench_capi" "$lib" "$creds" warm "$warm_n" "$warm_path" | tag_version | rec warm_${name}_lib
      "$out/bench_curl" warm "$warm_n" "$base/v1.0$warm_path" "$token" "$ca" | tag_version | rec warm_${name}_curl
      if [ -x "$venv/bin/python" ]; then
        "$venv/bin/python" bench/bench_py.py "$creds" "$warm_n" "$warm_path" --token msal | tag_version | rec warm_${name}_py
      fi
    done
    if [ $name = tls ] || [ -z "${tls_creds:-}" ]; then tls_base=$base; tls_creds=$creds; tls_ca=$ca; fi
  done
}

if [ "$only" = tls ]; then
  tls_rows
  python3 bench/report.py "$out/raw" "$out/results.json" "$out/table.md"
  cat "$out/table.md"
  exit 0
fi

# --- 1. warm request cost ------------------------------------------------------
say "warm calls, plain http: $rounds rounds x $warm_n GETs of $warm_path"
start_emu http
token=$("$out/bench_capi" "$lib" "$creds" token)
http_base=$base; http_creds=$creds

# 1a. A fixed fast server: nginx serving the emulator's answer to
# $warm_path as a static file on loopback, so the client's own cost is not
# hidden behind the emulator's. The emulator still issues the one token
# (the credential's graph_base_url points at nginx).
if want fixed; then
  ndir="$out/nginx"
  rm -rf "$ndir" && mkdir -p "$ndir/www/v1.0" "$ndir/tmp"
  python3 -c '
import sys, urllib.request
url, token, dest = sys.argv[1:4]
req = urllib.request.Request(url, headers={"authorization": "Bearer " + token})
open(dest, "wb").write(urllib.request.urlopen(req).read())
' "$base/v1.0$warm_path" "$token" "$ndir/www/v1.0${warm_path}.json"
  nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  {
    echo "daemon off; worker_processes 1; pid $ndir/nginx.pid; error_log $ndir/error.log;"
    echo "events { worker_connections 64; }"
    echo "http {"
    echo "  access_log off; keepalive_requests 1000000; keepalive_timeout 300s;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $ndir/tmp;"; done
    echo "  server {"
    echo "    listen 127.0.0.1:$nport; root $ndir/www; default_type application/json;"
    echo '    location / { try_files $uri $uri.json =404; }'
    echo "  }"
    echo "}"
  } > "$ndir/nginx.conf"
  "$nginx_bin" -p "$ndir" -c "$ndir/nginx.conf" -g "user $(id -un);" 2>"$ndir/start.log" &
  emu_pids+=($!)
  for _ in $(seq 1 100); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2)' "$nport" 2>/dev/null && break
    sleep 0.05
  done
  python3 -c '
import json, sys
src, dest, base = sys.argv[1:4]
c = json.load(open(src))
c["emulator"]["graph_base_url"] = base
json.dump(c, open(dest, "w"))
' "$creds" "$ndir/creds.json" "http://127.0.0.1:$nport/v1.0"
  chmod 600 "$ndir/creds.json"
  say "warm calls, fixed server (nginx on 127.0.0.1:$nport): $rounds rounds x $fixed_n GETs of $warm_path"
  for r in $(seq 1 "$rounds"); do
    "$out/bench_capi" "$lib" "$ndir/creds.json" warm "$fixed_n" "$warm_path" | rec warm_fixed_lib
    "$out/bench_curl" warm "$fixed_n" "http://127.0.0.1:$nport/v1.0$warm_path" "$token" | rec warm_fixed_curl
    "$out/bench_raw" "$fixed_n" "$nport" "/v1.0$warm_path" "$token" | rec warm_fixed_raw
  done
  # BENCH_CALLGRIND=1: instructions per warm GET (all threads of the client;
  # nginx is another process), from two callgrind runs of different lengths
  # so that start-up cancels out. Repeatable where times are not; the
  # profiles stay in $ndir/callgrind.* for callgrind_annotate.
  if [ "${BENCH_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    say "callgrind: instructions per warm GET against nginx (libmsgraph, libcurl)"
    for client in lib curl; do
      for n in 200 1200; do
        cg="$ndir/callgrind.$client.$n"
        if [ $client = lib ]; then
          cmd=("$out/bench_capi" "$lib" "$ndir/creds.json" warm "$n" "$warm_path")
        else
          cmd=("$out/bench_curl" warm "$n" "http://127.0.0.1:$nport/v1.0$warm_path" "$token")
        fi
        valgrind --tool=callgrind --callgrind-out-file="$cg" "${cmd[@]}" >/dev/null 2>"$cg.log"
      done
      python3 -c '
import json, re, sys
def ir(path):
    for l in open(path):
        if l.startswith("summary:") or l.startswith("totals:"):
            return int(l.split()[1])
client, a, b = sys.argv[1:4]
print(json.dumps({"client": client, "instructions_per_call": round((ir(b) - ir(a)) / 1000)}))
' "$client" "$ndir/callgrind.$client.200" "$ndir/callgrind.$client.1200" | rec warm_fixed_callgrind
    done
  fi
fi

if want full; then
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

tls_rows

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
fi # want full

# --- report -------------------------------------------------------------------------------
python3 bench/report.py "$out/raw" "$out/results.json" "$out/table.md"
cat "$out/table.md"
echo
echo "JSON: $out/results.json"
