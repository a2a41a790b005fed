#!/usr/bin/env bash
# Install on first use and start the service: `npm start` (API and worker), `npm run api`,
# `npm run worker`. Works on a machine whose own Node is older than 24, because it puts Node 24
# first on PATH before installing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
exec bash scripts/run-node.sh src/main.ts "$@"
