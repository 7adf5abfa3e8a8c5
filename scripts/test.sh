#!/usr/bin/env bash
# Runs every test of spa-oauth; exits non-zero on the first failure.
#   1. set-up (idempotent)            5. browser tests: wasm-pack test --headless --chrome
#   2. sans-IO boundary + clippy          (wasm-bindgen-test in Debian Chromium, the Rust API)
#   3. native core tests (cargo test)  6. Node tests (SSR import) + end-to-end (playwright-core,
#   4. release build of pkg/ (wasm-pack)  Debian Chromium, real oidc-provider, the demo and the
#      + size budget; the Rust example     Rust example page)
#                                      7. end-to-end against Django OAuth Toolkit (tests/e2e-dot)
#                                      8. the hostile authorization server suite (tests/hostile)
# Fuzzing is not in this path (it needs nightly + cargo-fuzz): fuzz/run.sh; its crashes become
# unit tests (e.g. src/core/json.rs exponent_at_i32_min).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }
t0=$(date +%s)

step "setup"
bash scripts/setup.sh

step "sans-IO boundary: src/core must not use wasm_bindgen / js_sys / web_sys"
if grep -rnE 'wasm_bindgen|js_sys|web_sys' src/core; then
  echo "FAIL: src/core mentions a browser binding" >&2; exit 1
fi
echo ok

step "clippy (no unwrap/expect/panic/indexing outside tests), native and wasm"
cargo clippy -q --lib -- -D warnings
cargo clippy -q --lib --features resource-servers,dpop,par -- -D warnings
cargo clippy -q --lib --target wasm32-unknown-unknown --features js,small-alloc -- -D warnings
cargo clippy -q --lib --target wasm32-unknown-unknown --features js,small-alloc,resource-servers,dpop,par -- -D warnings   # pkg/full/
cargo clippy -q --lib --target wasm32-unknown-unknown -- -D warnings   # the Rust API alone
cargo clippy -q --lib --target wasm32-unknown-unknown --features resource-servers,dpop,par -- -D warnings
cargo clippy -q -p spa-oauth-example --no-deps --target wasm32-unknown-unknown -- -D warnings

step "Rust API documentation (cargo doc for wasm32, warnings are errors; #![deny(missing_docs)])"
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps --target wasm32-unknown-unknown --features resource-servers,dpop,par
echo ok

step "native tests (the core; with resource-servers: its resource module too)"
cargo test -q --lib --features resource-servers,dpop,par

step "build pkg/ (wasm-pack, release) and size budget; the Rust example page"
bash scripts/build.sh
node scripts/size.mjs --check

step "TypeScript declarations (generated from the Rust side): app code type-checks, misuse does not"
node_modules/.bin/tsc -p tests/types
echo ok

step "browser tests (wasm-pack test: wasm-bindgen-test in headless Chromium)"
export CHROMEDRIVER=/usr/bin/chromedriver
# With the small allocator the package ships, so it runs under the browser tests too.
wasm-pack test --headless --chrome --features small-alloc,resource-servers,dpop,par

step "node tests (SSR import)"
node --test tests/node/

step "end-to-end tests (playwright-core + Chromium + oidc-provider + demo)"
node --test --test-concurrency=1 tests/e2e/

step "end-to-end tests against a second provider: Django OAuth Toolkit (tests/dot, tests/e2e-dot)"
node --test --test-concurrency=1 tests/e2e-dot/

step "hostile authorization server (one test per security-catalogue case)"
node --test --test-concurrency=1 tests/hostile/

echo
echo "all tests passed in $(( $(date +%s) - t0 )) s"
