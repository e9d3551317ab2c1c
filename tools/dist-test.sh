#!/usr/bin/env bash
# Tests of the release bundle (tools/dist.sh), called by .ci/run:
#  1. the bundle's layout, SONAME, symlinks, SHA256SUMS, stripped files;
#  2. every ELF file in the bundle needs at most GLIBC_2.17;
#  3. inside a Debian bullseye root filesystem (glibc 2.31, built here with
#     debootstrap from Debian's archive and cached under ~/.cache), the
#     bundle's emulator runs and the bundle's library is loaded with dlopen
#     and makes real calls (token, GET /users), while the host build of the
#     library (target/debug or target/release) fails to load there;
#  4. the C examples compile against the unpacked bundle through pkg-config,
#     dynamic and static, and quickstart runs against the emulator;
#  5. reproducibility: the same staging gives the same archive, and a second
#     dist.sh run gives the same tarball (MSGRAPH_DIST_TEST_REBUILD=0 skips
#     the second build).
# Needs root for debootstrap and chroot.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="${MSGRAPH_DIST_CACHE:-$HOME/.cache/msgraph-dist}"
rootfs="$cache/bullseye"
ceiling="2.17"

fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
need_apt=()
command -v objdump >/dev/null 2>&1 || need_apt+=(binutils)
command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing: ${need_apt[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "== tools/dist.sh"
start=$(date +%s)
bash tools/dist.sh
echo "dist.sh took $(( $(date +%s) - start )) s"
version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
name="msgraph-extproc-$version-linux-x86_64"
tarball="target/dist/$name.tar.gz"
[ -f "$tarball" ] || { echo "no $tarball" >&2; exit 1; }
first_sum=$(sha256sum "$tarball" | cut -d' ' -f1)

work=$(mktemp -d)
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null || true
  rm -rf "$work"
  [ -n "${chroot_work:-}" ] && rm -rf "$rootfs$chroot_work"
  return 0
}
trap cleanup EXIT
tar -xzf "$tarball" -C "$work"
b="$work/$name"

echo "== 1. layout"
for f in lib/libmsgraph.so.$version lib/libmsgraph.a lib/pkgconfig/msgraph.pc lib/pkgconfig/msgraph-static.pc \
         include/msgraph.h bin/msgraph bin/msgraph-emulator sql/install.sql sql/msgraph.pks sql/msgraph.pkb \
         INSTALL LICENSE SHA256SUMS; do
  [ -f "$b/$f" ] && ok "$f" || bad "missing $f"
done
major=${version%%.*}
[ "$(readlink "$b/lib/libmsgraph.so.$major")" = "libmsgraph.so.$version" ] && ok "libmsgraph.so.$major -> libmsgraph.so.$version" || bad "symlink libmsgraph.so.$major"
[ "$(readlink "$b/lib/libmsgraph.so")" = "libmsgraph.so.$major" ] && ok "libmsgraph.so -> libmsgraph.so.$major" || bad "symlink libmsgraph.so"
so_name=$(readelf -d "$b/lib/libmsgraph.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$so_name" = "libmsgraph.so.$major" ] && ok "SONAME $so_name" || bad "SONAME is '$so_name'"
(cd "$b" && sha256sum --quiet -c SHA256SUMS) && ok "SHA256SUMS verifies ($(wc -l < "$b/SHA256SUMS") files)" || bad "SHA256SUMS"
for f in lib/libmsgraph.so.$version bin/msgraph bin/msgraph-emulator; do
  if readelf -S "$b/$f" | grep -qE '\.(symtab|debug_info)'; then bad "$f is not stripped"; else ok "$f stripped, $(stat -c %s "$b/$f") bytes"; fi
done
if readelf -d "$b/bin/msgraph" | grep -q SONAME; then bad "bin/msgraph has a SONAME"; fi
owners=$(tar -tvzf "$tarball" | awk '{print $2}' | sort -u)
[ "$owners" = "0/0" ] && ok "every entry owned by 0/0" || bad "owners: $owners"

echo "== 2. glibc ceiling $ceiling of every ELF file"
elves=0
while IFS= read -r -d '' f; do
  [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
  elves=$((elves + 1))
  need=$(objdump -T "$f" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -uV | tail -n1)
  top=$(printf '%s\n%s\n' "$need" "$ceiling" | sort -V | tail -n1)
  rel=${f#"$b/"}
  if [ "$top" = "$ceiling" ]; then ok "$rel needs GLIBC_$need at most"; else bad "$rel needs GLIBC_$need (> $ceiling)"; fi
done < <(find "$b" -type f -print0 | sort -z)
[ "$elves" -ge 3 ] && ok "$elves ELF files checked" || bad "only $elves ELF files found"

echo "== 3. load test in Debian bullseye (glibc 2.31)"
if [ ! -x "$rootfs/bin/sh" ]; then
  echo "debootstrap bullseye into $rootfs (cached for later runs)"
  rm -rf "$rootfs.partial"
  mkdir -p "$cache"
  start=$(date +%s)
  $sudo debootstrap --variant=minbase bullseye "$rootfs.partial" http://deb.debian.org/debian > "$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
  mv "$rootfs.partial" "$rootfs"
  echo "debootstrap took $(( $(date +%s) - start )) s"
fi
echo "rootfs glibc: $($sudo chroot "$rootfs" /usr/bin/ldd --version | head -n1)"
chroot_work="/tmp/msgraph-dist-test.$$"
cw="$rootfs$chroot_work"
mkdir -p "$cw"
tar -xzf "$tarball" -C "$cw"
cb="$chroot_work/$name"
# The loader is compiled with zig cc for glibc 2.17, so it runs in the rootfs
# without a compiler there.
venv="$cache/venv"
"$venv/bin/python" -m ziglang cc -target x86_64-linux-gnu.2.17 -O2 -Wall -Werror \
  -o "$cw/dist-loader" tools/dist-loader.c -ldl
$sudo chroot "$rootfs" "$cb/bin/msgraph-emulator" --port 0 --port-file "$chroot_work/port" \
  --credentials-out "$chroot_work/credentials.json" --quiet &
emu_pid=$!
for _ in $(seq 1 100); do [ -s "$cw/port" ] && break; sleep 0.1; done
if [ -s "$cw/port" ]; then ok "the bundle's msgraph-emulator runs in bullseye, port $(cat "$cw/port")"; else bad "emulator did not start in the rootfs"; fi

echo "-- the bundle's library:"
set +e
out=$($sudo chroot "$rootfs" "$chroot_work/dist-loader" "$cb/lib/libmsgraph.so" "$chroot_work/credentials.json" emulator 2>&1)
code=$?
set -e
echo "$out" | sed 's/^/   | /'
if [ $code = 0 ] && echo "$out" | grep -q "token: status 200" && echo "$out" | grep -q "GET /users?\$top=3: status 200, 3 users"; then
  ok "bundle library loads and calls the emulator under glibc 2.31"
else
  bad "bundle library in bullseye (exit $code)"
fi

echo "-- the bundle's CLI:"
set +e
out=$($sudo chroot "$rootfs" env MSGRAPH_CREDENTIALS="$chroot_work/credentials.json" "$cb/bin/msgraph" get '/users?$top=2' --json 2>&1)
code=$?
set -e
echo "$out" | head -c 400 | sed 's/^/   | /'; echo
[ $code = 0 ] && echo "$out" | grep -q '"value"' && ok "bundle CLI runs under glibc 2.31" || bad "bundle CLI in bullseye (exit $code)"

echo "-- the host build of the library:"
host_so=""
for c in target/debug/libmsgraph.so target/release/libmsgraph.so; do [ -f "$c" ] && { host_so=$c; break; }; done
if [ -z "$host_so" ]; then
  bad "no host build (target/debug/libmsgraph.so): run cargo build first"
else
  echo "   $host_so needs GLIBC_$(objdump -T "$host_so" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -uV | tail -n1)"
  cp "$host_so" "$cw/libmsgraph-host.so"
  set +e
  out=$($sudo chroot "$rootfs" "$chroot_work/dist-loader" "$chroot_work/libmsgraph-host.so" "$chroot_work/credentials.json" emulator 2>&1)
  code=$?
  set -e
  echo "$out" | sed 's/^/   | /'
  if [ $code = 2 ] && echo "$out" | grep -qE "version .GLIBC_2\.3[2-9]' not found"; then
    ok "host build fails to load under glibc 2.31, as expected"
  else
    bad "host build in bullseye: expected a GLIBC_2.3x load failure (exit $code)"
  fi
fi

echo "== 4. C examples through pkg-config, against the unpacked bundle"
export PKG_CONFIG_PATH="$b/lib/pkgconfig"
echo "   dynamic: $(pkg-config --cflags --libs msgraph)"
echo "   static:  $(pkg-config --libs msgraph-static)"
for src in examples/*.c; do
  ex=$(basename "$src" .c)
  # shellcheck disable=SC2046
  if gcc -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 "$src" $(pkg-config --cflags msgraph) \
      $(pkg-config --libs msgraph) -Wl,-rpath,"$b/lib" -o "$work/$ex-dyn" \
    && gcc -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 "$src" $(pkg-config --cflags msgraph-static) \
      $(pkg-config --libs msgraph-static) -o "$work/$ex-static"; then
    ok "$ex builds dynamic and static"
  else
    bad "$ex does not build against the bundle"
  fi
done
if readelf -d "$work/quickstart-static" | grep -q libmsgraph; then bad "quickstart-static needs libmsgraph.so"; fi
if readelf -d "$work/quickstart-dyn" | grep -q "libmsgraph.so.$major"; then ok "quickstart-dyn NEEDED libmsgraph.so.$major (the SONAME)"; else bad "quickstart-dyn does not link the SONAME"; fi
# The emulator in the rootfs shares the host's loopback.
for kind in dyn static; do
  set +e
  out=$("$work/quickstart-$kind" "$cw/credentials.json" emulator 2>&1)
  code=$?
  set -e
  if [ $code = 0 ] && echo "$out" | grep -q '^users: 250 '; then
    ok "quickstart ($kind) against the emulator: $(echo "$out" | grep '^users:')"
  else
    echo "$out" >&2; bad "quickstart ($kind) exit $code"
  fi
done
kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; emu_pid=""

echo "== 5. reproducibility"
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) bash tools/dist-archive.sh target/dist/stage "$name" "$work/again.tar.gz"
if cmp -s "$tarball" "$work/again.tar.gz"; then ok "same staging, same archive ($first_sum)"; else bad "archiving the staging again gives a different archive"; fi
if [ "${MSGRAPH_DIST_TEST_REBUILD:-1}" = 1 ]; then
  start=$(date +%s)
  bash tools/dist.sh > "$work/dist2.log" 2>&1 || { tail -n 30 "$work/dist2.log" >&2; bad "second dist.sh failed"; }
  second_sum=$(sha256sum "$tarball" | cut -d' ' -f1)
  echo "   second dist.sh took $(( $(date +%s) - start )) s (the library crate is compiled again)"
  if [ "$first_sum" = "$second_sum" ]; then ok "second build, same tarball ($second_sum)"; else bad "second build differs: $first_sum vs $second_sum"; fi
fi

if [ "$fails" -gt 0 ]; then echo "dist-test: $fails failure(s)" >&2; exit 1; fi
echo "dist-test: all passed"
