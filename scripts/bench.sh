#!/usr/bin/env bash
# npm run bench (after scripts/setup.sh): builds the release package into pkg/, then measures
# size and speed of spa-oauth against oauth4webapi and oidc-client-ts (bench/run.mjs: esbuild
# bundles, headless Debian Chromium via playwright-core, a static server on 127.0.0.1).
# Prints Markdown tables and writes bench/results.json. Not part of `npm test`.
# Extra arguments go to bench/run.mjs: --rounds N (15), --ops N (1000), --batches N (5),
# --cb-ops N (100), --imports N (10), --no-write.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

echo "=== build pkg/ (release)"
bash scripts/build.sh

echo "=== benchmark"
node bench/run.mjs "$@"
