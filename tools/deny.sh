#!/usr/bin/env bash
# Dependency checks with cargo-deny, offline: RustSec advisories (the copy
# of the advisory database at ../shared/advisory-db), licences (deny.toml:
# every dependency must suit an MIT distribution), bans and sources.
#
# Installs cargo-deny from crates.io when it is not on PATH (kept in
# ~/.cargo/bin, so later runs reuse it). The database folder is a plain copy;
# cargo-deny reads a git repository, so the script commits the copy into one
# under target/advisory-dbs/ where deny.toml's db-path points.
#
# usage: bash tools/deny.sh [extra `cargo deny check` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

DENY_VERSION=0.20.2
if ! cargo deny --version >/dev/null 2>&1; then
  echo "== installing cargo-deny $DENY_VERSION from crates.io"
  # No default features: they only bring the HTTP client that fetches the
  # database, and this script never fetches.
  cargo install --locked --quiet --no-default-features cargo-deny --version "$DENY_VERSION"
fi

src=${MSGRAPH_ADVISORY_DB:-../shared/advisory-db}
if [ ! -d "$src/crates" ]; then
  echo "tools/deny.sh: no advisory database at $src (expected ../shared/advisory-db)" >&2
  exit 1
fi
# The folder name is the one cargo-deny derives from its default database URL.
db=target/advisory-dbs/advisory-db-3157b0e258782691
# shared/ comes without write bits: make the copy writable, so that the next
# run can remove it even without root.
[ -d "$db" ] && chmod -R u+w "$db"
rm -rf "$db"
mkdir -p "$db"
cp -R "$src"/. "$db"/
chmod -R u+w "$db"
(
  cd "$db"
  git init -q
  git add -A
  git -c user.name=ci -c user.email=ci@localhost -c commit.gpgsign=false commit -q -m "advisory-db copy from $src"
)
echo "== cargo deny (advisories from $src, $(find "$db/crates" -name '*.md' | wc -l) crate advisories)"
# --workspace: the library, the emulator and xtask are all roots, so every
# crate in Cargo.lock is checked.
cargo deny --offline --workspace check "$@" advisories licenses bans sources
