#!/usr/bin/env bash
# End-to-end tests: the demo SPA (www/app) + the built package (pkg/) + the real oidc-provider
# (www/provider.js), driven in Debian's Chromium (/usr/bin/chromium) by playwright-core.
# Needs `npm run build` first (pkg/spa_oauth.js) and `apt-get install chromium`.
# Extra arguments go to node's test runner, e.g.  tests/e2e/run.sh --test-name-pattern=PKCE
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --test "$@" tests/e2e/
