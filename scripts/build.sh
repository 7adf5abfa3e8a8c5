#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm, wasm-bindgen --target web, wasm-opt -Oz
# (npm binaryen, never Debian's), package.json. Prints the size of wasm + JS glue.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

cargo build --release --target wasm32-unknown-unknown --lib -q --no-default-features --features standalone
rm -rf pkg && mkdir -p pkg
wasm-bindgen --target web --out-dir pkg --out-name spa_oauth \
  target/wasm32-unknown-unknown/release/spa_oauth.wasm
wasm-opt -Oz --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-multivalue --enable-mutable-globals \
  pkg/spa_oauth_bg.wasm -o pkg/spa_oauth_bg.wasm

# Minify the JS glue the way an app's bundler would (the .d.ts keeps the documentation).
# (bundling inlines the small snippet of src/wasm/browser.js).
esbuild pkg/spa_oauth.js --bundle --minify --format=esm --log-level=warning --outfile=pkg/spa_oauth.min.js
mv pkg/spa_oauth.min.js pkg/spa_oauth.js && rm -rf pkg/snippets
node scripts/shrink-imports.mjs pkg/spa_oauth_bg.wasm pkg/spa_oauth.js

# wasm-bindgen cannot mark a typed parameter optional: say it in the declarations.
sed -i -E 's/\(options: (LoginOptions|LogoutOptions|RestoreOptions)\)/(options?: \1)/' pkg/spa_oauth.d.ts

version=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
cat > pkg/package.json <<JSON
{
  "name": "spa-oauth",
  "version": "$version",
  "description": "OAuth 2.0 / OpenID Connect client for browser SPAs: Authorization Code + PKCE, tokens in memory only (Rust + WebAssembly)",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "spa_oauth.js",
  "module": "spa_oauth.js",
  "types": "spa_oauth.d.ts",
  "files": ["spa_oauth_bg.wasm", "spa_oauth.js", "spa_oauth.d.ts", "spa_oauth_bg.wasm.d.ts"],
  "sideEffects": false,
  "keywords": ["oauth2", "openid-connect", "pkce", "wasm", "spa"]
}
JSON
node scripts/size.mjs --report
