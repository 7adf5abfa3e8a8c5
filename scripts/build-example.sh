#!/usr/bin/env bash
# Builds the Rust example page (examples/rust-spa: the demo's /rust/ page, written against the
# crate's Rust API) into www/rust/pkg/ with `wasm-pack build --target web --release` (the
# workspace's release profile: opt-level z, LTO; wasm-opt -Oz from npm binaryen — never
# Debian's, see TOOLCHAIN pitfall 2), then prints the size of its wasm.
# Needs `npm ci` (scripts/setup.sh) for node_modules/.bin/wasm-opt.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/www/rust/pkg"
# npm binaryen's wasm-opt first on PATH: wasm-pack runs it (examples/rust-spa/Cargo.toml
# [package.metadata.wasm-pack.profile.release]) and would otherwise try to download one.
export PATH="$PWD/node_modules/.bin:$PATH"
if [ "$(command -v wasm-opt || true)" != "$PWD/node_modules/.bin/wasm-opt" ]; then
  echo "[build-example] FAIL: npm binaryen's wasm-opt is not first on PATH (run npm ci; found: $(command -v wasm-opt || echo none))" >&2
  exit 1
fi
# Built in target/, then swapped in: a failed build fails the script and leaves no mix of old
# and new files.
tmp="$PWD/target/spa-oauth-example-pkg.tmp"
rm -rf "$tmp"
status=0
wasm-pack --quiet build examples/rust-spa --release --target web --no-typescript --no-pack \
  --out-dir "$tmp" --out-name spa_oauth_example 2>&1 | grep -v '^\[INFO\]' || status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ] || [ ! -f "$tmp/spa_oauth_example_bg.wasm" ]; then
  rm -rf "$tmp"
  echo "[build-example] FAIL: wasm-pack build (exit $status)" >&2
  exit 1
fi
rm -f "$tmp/.gitignore"
rm -rf "$out"
mv "$tmp" "$out"
node --input-type=module -e '
import { readFileSync } from "node:fs";
import { brotliCompressSync, gzipSync } from "node:zlib";
const kB = (n) => `${(n / 1000).toFixed(2)} kB`;
for (const f of ["spa_oauth_example_bg.wasm", "spa_oauth_example.js"]) {
  const b = readFileSync(`${process.argv[1]}/${f}`);
  console.log(`[build-example] www/rust/pkg/${f}: ${kB(b.length)} raw, ${kB(gzipSync(b, { level: 9 }).length)} gzip, ${kB(brotliCompressSync(b).length)} brotli`);
}' "$out"
