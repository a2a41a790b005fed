#!/usr/bin/env bash
# Run the test suite. Uses DATABASE_URL when it is set and an embedded PostgreSQL otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
exec npx vitest run "$@"
