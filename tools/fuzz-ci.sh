#!/usr/bin/env bash
# Fuzzing in CI: builds the cargo-fuzz targets (fuzz/, its own workspace)
# and runs each briefly from a corpus seeded from the tests. The runs take
# FUZZ_SECONDS in total (default 64: 8 s per target; building first takes a
# few minutes on a cold target dir). A crash, panic (even one the C
# boundary would catch), leak or timeout fails with the reproducer's path.
#
#   bash tools/fuzz-ci.sh               # CI: about a minute of fuzzing
#   FUZZ_SECONDS=1800 bash tools/fuzz-ci.sh   # a longer run (fuzz/README.md)
#
# Stable Rust only: cargo-fuzz needs nightly flags, so RUSTC_BOOTSTRAP=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1
total=${FUZZ_SECONDS:-64}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
echo "== seeding the corpus from the tests"
python3 make_seeds.py corpus
echo "== building the fuzz targets (release, debug assertions on)"
cargo fuzz build -O -a
mapfile -t targets < <(cargo fuzz list)
failed=()
# Reproducers of past findings (fuzz/regressions/<target>/): each must pass.
for dir in regressions/*/; do
  t=$(basename "$dir")
  echo "== regressions of $t"
  if ! cargo fuzz run -O -a "$t" "$dir"* -- -runs=1 >/tmp/fuzz-regression.$$ 2>&1; then
    grep -E "panicked|ERROR|Failing input" -A2 /tmp/fuzz-regression.$$ | head -20
    failed+=("$t (regression)")
  fi
  rm -f /tmp/fuzz-regression.$$
done
per=$(( total / ${#targets[@]} ))
[ "$per" -ge 1 ] || per=1
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${per}s"
  log=$(mktemp)
  if cargo fuzz run -O -a "$t" "corpus/$t" -- -max_total_time="$per" -timeout=20 -rss_limit_mb=2048 \
       -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "$log" | tail -1 || true
  else
    tail -40 "$log"
    failed+=("$t")
  fi
  rm -f "$log"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found failures in: ${failed[*]} (reproducers under fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${per}s each: no crashes"
