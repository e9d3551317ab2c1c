#!/usr/bin/env bash
# The main job on the embedded default: build the library and the emulator,
# start the emulator on a free loopback port, and run examples/quickstart.c
# against it (token claims, then every user). Needs cargo and gcc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet -p msgraph-extproc -p msgraph-emulator
work=$(mktemp -d)
trap 'kill "$emu_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
gcc -std=c11 -Wall -Wextra -Werror -O2 -I include examples/quickstart.c \
    -L target/release -lmsgraph -Wl,-rpath,"$root/target/release" -o "$work/quickstart"
target/release/msgraph-emulator --port 0 --port-file "$work/port" \
    --credentials-out "$work/credentials.json" --quiet &
emu_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the emulator did not start" >&2; exit 1; }
echo "emulator on http://127.0.0.1:$(cat "$work/port")"
"$work/quickstart" "$work/credentials.json" emulator
