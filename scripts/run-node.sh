#!/usr/bin/env bash
# Run a TypeScript entry point with tsx on Node.js 24: `bash scripts/run-node.sh FILE [ARGS...]`.
# The npm scripts go through this, because `npm run` uses the first node on PATH, and the
# machines ship an older one.
set -euo pipefail
source "$(dirname "$0")/node24.sh"
exec node --import tsx "$@"
