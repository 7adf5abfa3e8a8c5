#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm (no wasm-bindgen), wasm-opt -Oz
# (npm binaryen, never Debian's), the JS driver bundled and minified, package.json. Prints the
# size of wasm + JS.
set -euo pipefail
cd "$(dirname "$0")/.."
# PKG_OUT: where to put the package (default pkg/; size experiments use another directory).
out="${PKG_OUT:-pkg}"
export PATH="$PWD/node_modules/.bin:$PATH"

cargo build --release --target wasm32-unknown-unknown --lib -q --no-default-features --features standalone
# The module imports nothing and exports a plain C ABI (src/wasm/abi.rs): no generated
# bindings. The package entry $out/spa_oauth.js is the driver (src/wasm/driver.js: the public
# API and the browser I/O), minified the way an app's bundler would.
rm -rf "$out" && mkdir -p "$out"
# --zero-filled-memory: a fresh instance's memory is zeroed (the module imports no memory).
# --low-memory-unused: lets address arithmetic fold into load/store offsets, which differs only
# for pointers that wrap around into the first 1 kB; Rust never forms such pointers.
wasm-opt -Oz --converge --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-multivalue --enable-mutable-globals --strip-producers --strip-debug \
  --strip-target-features --zero-filled-memory --low-memory-unused \
  target/wasm32-unknown-unknown/release/spa_oauth.wasm -o $out/spa_oauth_bg.wasm
esbuild src/wasm/driver.js --bundle --minify --format=esm --log-level=warning --outfile=$out/spa_oauth.js
cp src/wasm/spa_oauth.d.ts $out/spa_oauth.d.ts

version=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
cat > $out/package.json <<JSON
{
  "name": "spa-oauth",
  "version": "$version",
  "description": "OAuth 2.0 / OpenID Connect client for browser SPAs: Authorization Code + PKCE, tokens in memory only (Rust + WebAssembly)",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "spa_oauth.js",
  "module": "spa_oauth.js",
  "types": "spa_oauth.d.ts",
  "files": ["spa_oauth_bg.wasm", "spa_oauth.js", "spa_oauth.d.ts"],
  "sideEffects": false,
  "keywords": ["oauth2", "openid-connect", "pkce", "wasm", "spa"]
}
JSON
node scripts/size.mjs --report
