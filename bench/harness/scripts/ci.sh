#!/usr/bin/env bash
# The reliability suite as CI runs it (call from .ci/run): the quick queue profile, then the
# API black box. Needs the postgres OS user and /usr/lib/postgresql/15/bin (PG_BIN to change);
# both suites create, use and remove their own PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/../../.."
pnpm turbo run build --filter=@vsa/reliability^... --filter=@vsa/api --output-logs=errors-only
status=0
pnpm --filter @vsa/reliability run reliability || status=1
pnpm --filter @vsa/reliability run reliability --suite api || status=1
exit "$status"
