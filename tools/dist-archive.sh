#!/usr/bin/env bash
# dist-archive.sh STAGE_PARENT NAME OUT.tar.gz: a reproducible tarball of
# STAGE_PARENT/NAME: entries sorted by name, owner and group 0, every mtime
# SOURCE_DATE_EPOCH, no gzip timestamp or file name. Used by tools/dist.sh
# and by tools/dist-test.sh (which archives the same staging twice).
set -euo pipefail
parent=$1 name=$2 out=$3
epoch="${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
tmp="$out.tmp.$$"
LC_ALL=C tar --sort=name --format=gnu --mtime="@$epoch" \
  --owner=0 --group=0 --numeric-owner -C "$parent" -cf - "$name" \
  | gzip -n -9 > "$tmp"
mv "$tmp" "$out"
