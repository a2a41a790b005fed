#!/usr/bin/env bash
# `npm run bench`: run the benchmarks under Node 24 (see bench/run.ts for the options).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node24.sh
exec node --import tsx bench/run.ts "$@"
