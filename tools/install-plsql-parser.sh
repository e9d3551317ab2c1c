#!/bin/sh
# Installs the PL/SQL parser used by tests/oracle_callspec.rs
# (sql_scripts_parse_as_plsql): qivo-parseora from the Python package index,
# into a private virtual environment. Idempotent.
set -eu
venv="${MSGRAPH_PLSQL_VENV:-$HOME/.cache/msgraph-plsql-venv}"
if [ ! -x "$venv/bin/parseora" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "qivo-parseora==0.1.8"
fi
"$venv/bin/parseora" --version
