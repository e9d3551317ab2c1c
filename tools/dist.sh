#!/usr/bin/env bash
# Release bundle: target/dist/msgraph-extproc-<version>-linux-x86_64.tar.gz
#
# Builds the library, the CLI and the emulator for x86_64 Linux with glibc
# 2.17 as the ceiling (Oracle Linux 7 and later), using cargo-zigbuild and
# zig, both from PyPI, installed into a private virtual environment under
# ~/.cache/msgraph-dist (override with MSGRAPH_DIST_CACHE). Idempotent: a
# second run reuses the venv and the build directory.
#
# Reproducible: the same source commit and toolchain give the same tarball
# (SOURCE_DATE_EPOCH from the last commit, paths remapped, sorted entries,
# fixed owners and modes, gzip -n).
#
# The normal development build (cargo build) is not changed: the SONAME, the
# stripping and the glibc target are set only here, through the environment
# and the command line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cache="${MSGRAPH_DIST_CACHE:-$HOME/.cache/msgraph-dist}"
venv="$cache/venv"
zig_version="0.17.1"
zigbuild_version="0.24.1"
triple="x86_64-unknown-linux-gnu"
glibc="2.17"
zig_target="$triple.$glibc"

version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
major=${version%%.*}
name="msgraph-extproc-$version-linux-x86_64"
soname="libmsgraph.so.$major"

# --- tools --------------------------------------------------------------
need_apt=()
command -v strip >/dev/null 2>&1 || need_apt+=(binutils)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -x "$venv/bin/cargo-zigbuild" ] || ! "$venv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$zig_version"; then
  echo "== installing ziglang $zig_version and cargo-zigbuild $zigbuild_version (PyPI) into $venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "ziglang==$zig_version" "cargo-zigbuild==$zigbuild_version"
fi
# cargo-zigbuild finds zig through the ziglang module of the python on PATH.
export PATH="$venv/bin:$PATH"
echo "== zig $(python -m ziglang version), $(cargo-zigbuild --version)"

# --- build --------------------------------------------------------------
# The archive's timestamps: the last commit's. Not exported to the build:
# nothing compiled depends on it, and build scripts that watch it (cc, for
# ring) would rebuild ring and everything above it after every commit.
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
unset SOURCE_DATE_EPOCH
export CARGO_TARGET_DIR="$root/target/dist-build"
# Release profile overrides for the bundle only: no debug info, stripped.
export CARGO_PROFILE_RELEASE_DEBUG=0
export CARGO_PROFILE_RELEASE_STRIP=symbols
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
# Paths of this checkout, the registry and the toolchain never reach the
# binaries (panic locations, file!()), so the build does not depend on them.
export RUSTFLAGS="--remap-path-prefix=$root=/build/msgraph-extproc --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$rustup_home=/rustup"
export CFLAGS="-ffile-prefix-map=$root=/build/msgraph-extproc -ffile-prefix-map=$cargo_home=/cargo"
# ring's C and assembly are compiled with zig cc for the same glibc target.
export ZIG_GLOBAL_CACHE_DIR="$cache/zig"
mkdir -p "$ZIG_GLOBAL_CACHE_DIR"

out="$CARGO_TARGET_DIR/$triple/release"
echo "== building msgraph and msgraph-emulator for $zig_target"
cargo-zigbuild zigbuild --release --locked --target "$zig_target" \
  -p msgraph-extproc --bin msgraph -p msgraph-emulator --bin msgraph-emulator
# The library last: the SONAME goes only on the shared library's link line
# (extra rustc arguments apply to this crate alone), and rustc reports the
# native libraries the static library needs.
echo "== building libmsgraph for $zig_target (SONAME $soname)"
log="$CARGO_TARGET_DIR/lib-build.log"
cargo-zigbuild rustc --release --locked --target "$zig_target" -p msgraph-extproc --lib -- \
  -C "link-arg=-Wl,-soname,$soname" --print native-static-libs 2>&1 | tee "$log"
native=$(sed -n 's/.*note: native-static-libs: *//p' "$log" | tail -n1)
[ -n "$native" ] || native="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

# --- stage --------------------------------------------------------------
dist="$root/target/dist"
stage="$dist/stage/$name"
rm -rf "$dist/stage"
mkdir -p "$stage"/{bin,lib/pkgconfig,include,sql,doc}

install -m 0755 "$out/libmsgraph.so" "$stage/lib/libmsgraph.so.$version"
ln -s "libmsgraph.so.$version" "$stage/lib/$soname"
ln -s "$soname" "$stage/lib/libmsgraph.so"
install -m 0644 "$out/libmsgraph.a" "$stage/lib/libmsgraph.a"
# The static library keeps symbols (it is linked again); drop debug sections.
strip --strip-debug --enable-deterministic-archives "$stage/lib/libmsgraph.a"
install -m 0755 "$out/msgraph" "$stage/bin/msgraph"
install -m 0755 "$out/msgraph-emulator" "$stage/bin/msgraph-emulator"
install -m 0644 include/msgraph.h "$stage/include/msgraph.h"

# Everything tracked under sql/, as committed.
git ls-files -z sql | while IFS= read -r -d '' f; do
  mkdir -p "$stage/$(dirname "$f")"
  install -m 0644 "$f" "$stage/$f"
done
install -m 0644 sql/INSTALL.md "$stage/INSTALL"
install -m 0644 LICENSE "$stage/LICENSE"
install -m 0644 README.md "$stage/doc/README.md"
install -m 0644 emulator/README.md "$stage/doc/emulator-README.md"

desc="Entra ID tokens and Microsoft Graph calls behind a C ABI"
cat > "$stage/lib/pkgconfig/msgraph.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: msgraph
Description: $desc
Version: $version
Libs: -L\${libdir} -lmsgraph
Libs.private: $native
Cflags: -I\${includedir}
EOF
# Static linking by name: with both libmsgraph.so and libmsgraph.a in one
# directory the linker takes the .so for -lmsgraph, so this file names the
# archive itself.
cat > "$stage/lib/pkgconfig/msgraph-static.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: msgraph-static
Description: $desc (static library)
Version: $version
Libs: \${libdir}/libmsgraph.a $native
Cflags: -I\${includedir}
EOF

chmod -R u=rwX,go=rX "$stage"
(cd "$stage" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
chmod 0644 "$stage/SHA256SUMS"

# --- archive ------------------------------------------------------------
tarball="$dist/$name.tar.gz"
SOURCE_DATE_EPOCH="$epoch" bash "$root/tools/dist-archive.sh" "$dist/stage" "$name" "$tarball"
(cd "$dist" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "== wrote $tarball"
cat "$dist/$name.tar.gz.sha256"
