#!/usr/bin/env bash
# Runs the published packages' tests (built dist, real PostgreSQL and PGlite) on Node 22 and
# 24, which the packages support besides the machine's Node 20. Node comes from the npm
# registry (the `node` package), installed into .ci/.node/<major>, git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."

for major in ${NODE_VERSIONS:-22 24}; do
  prefix=".ci/.node/$major"
  if [ ! -x "$prefix/node_modules/.bin/node" ]; then
    npm install --prefix "$prefix" --no-audit --no-fund --silent "node@$major" >/dev/null
  fi
  bin="$(cd "$prefix/node_modules/.bin" && pwd)"
  printf '\n== packages on Node %s\n' "$("$bin/node" --version)"
  # Vitest's workers inherit the Node that runs Vitest, so putting it first on PATH is enough.
  PATH="$bin:$PATH" node --version
  # The two longest suites (jepsen histories, kill -9 of worker processes; ~90 s per version
  # on a slow 2-core machine) check delivery semantics that live in PostgreSQL, not in the
  # Node runtime: Node 20 runs them. Every other suite of the packages runs here.
  PATH="$bin:$PATH" node node_modules/vitest/vitest.mjs run \
    --project '@vsa/common-*' --reporter=dot \
    --exclude '**/jepsen.int.test.ts' --exclude '**/processes.int.test.ts'
done
