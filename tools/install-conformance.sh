#!/bin/sh
# Installs Microsoft's Python clients used by the conformance suite
# (emulator/tests/conformance.rs runs tests/conformance/*.py against the
# emulator): msal, azure-identity and msgraph-sdk from the Python package
# index, into a private virtual environment under ~/.cache. Idempotent: a
# second run with the same pins does nothing.
set -eu
venv="${MSGRAPH_CONFORMANCE_VENV:-$HOME/.cache/msgraph-conformance-venv}"
# Deprecated: msgraph-core imports it in its batch helpers but does not declare it (an SDK packaging bug).
pins="msal==1.31.1 azure-identity==1.19.0 msgraph-sdk==1.12.0 Deprecated==1.2.15"
stamp="$venv/.msgraph-pins"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$pins" ]; then
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
  echo "$pins" > "$stamp"
fi
"$venv/bin/python" -c "import msal, azure.identity, msgraph; print('conformance clients:', '$pins')"
