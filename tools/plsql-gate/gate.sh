#!/bin/sh
# Runs the PL/SQL verification gate (builds it once: setup.sh).
#   tools/plsql-gate/gate.sh sql                 # every declared release
#   tools/plsql-gate/gate.sh --release 11.2 FILE...
#   tools/plsql-gate/gate.sh --fingerprint sql/msgraph.pkb
# The declared releases (sql/README.md's release matrix) are the default.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
cp="$(sh "$here/setup.sh" | tail -n1)"
case " $* " in
  *" --release "*|*" --fingerprint "*) exec java -Xss8m -cp "$cp" Gate "$@" ;;
esac
exec java -Xss8m -cp "$cp" Gate --release 11.2 --release 12.1 --release 12.2 --release 18 --release 19 --release 21 --release 23 "$@"
