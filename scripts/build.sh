#!/usr/bin/env bash
# Builds the npm package into pkg/ with `wasm-pack build --target web` (release: opt-level z,
# LTO, wasm-opt -Oz from npm binaryen — never Debian's, see TOOLCHAIN pitfall 2; features js +
# small-alloc), and its second build into pkg/full/ (+ resource-servers), shortens the import
# names (scripts/shrink-imports.mjs), prints the size of what an app ships (wasm + JS glue) for
# both, then builds the Rust example page (scripts/build-example.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# PKG_OUT: where to put the package (default pkg/; size experiments use another directory).
out="${PKG_OUT:-pkg}"
# npm binaryen's wasm-opt first on PATH: wasm-pack runs it (Cargo.toml
# [package.metadata.wasm-pack.profile.release]) and would otherwise try to download one.
export PATH="$PWD/node_modules/.bin:$PATH"
if command -v wasm-opt >/dev/null && [ "$(command -v wasm-opt)" != "$PWD/node_modules/.bin/wasm-opt" ]; then
  echo "[build] FAIL: wasm-opt on PATH is not npm binaryen's ($(command -v wasm-opt))" >&2; exit 1
fi
# Panic locations name their source files; for dependencies that is the absolute path of
# Cargo's registry checkout (/home/<user>/.cargo/registry/src/index.crates.io-<hash>/...).
# Remapped to the crate-relative path: the module no longer depends on the builder's home
# directory, and is ~90 B gzip smaller. Exported: the example build below gets the same flags
# (Cargo merges this variable with .cargo/config.toml's target rustflags).
remap=""
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
  if [ -d "$d" ]; then remap="$remap --remap-path-prefix=$d="; fi
done
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-}$remap"
# Two builds (one npm package): the default import `spa-oauth-wasm` (pkg/), and
# `spa-oauth-wasm/full` (pkg/full/: + feature resource-servers, calls to APIs — Cargo.toml).
wasm_build() {
  wasm-pack --log-level warn build --release --target web --out-dir "$1" --out-name spa_oauth -- --features "$2"
  test -f "$1/spa_oauth_bg.wasm"
  rm -f "$1/.gitignore"
  node scripts/shrink-imports.mjs "$1/spa_oauth_bg.wasm" "$1/spa_oauth.js"
}
wasm_build "$out" js,small-alloc
wasm_build "$out/full" js,small-alloc,resource-servers,dpop,par
rm -f "$out/full/package.json" "$out/full/README.md"
# The npm name: `spa-oauth` on the public registry is an unrelated package (issue 14.5), so the
# package is `spa-oauth-wasm` (free when checked, December 2026); the crate keeps its name. No JS
# snippets: nothing has side effects at import.
node -e '
const fs = require("node:fs");
const file = process.argv[1];
const p = JSON.parse(fs.readFileSync(file, "utf8"));
p.name = "spa-oauth-wasm";
p.sideEffects = false;
p.files = [...new Set([...p.files, "full/spa_oauth_bg.wasm", "full/spa_oauth.js", "full/spa_oauth.d.ts"])];
p.exports = {
  ".": { types: "./spa_oauth.d.ts", default: "./spa_oauth.js" },
  "./full": { types: "./full/spa_oauth.d.ts", default: "./full/spa_oauth.js" },
  "./spa_oauth_bg.wasm": "./spa_oauth_bg.wasm",
  "./full/spa_oauth_bg.wasm": "./full/spa_oauth_bg.wasm",
};
fs.writeFileSync(file, JSON.stringify(p, null, 2) + "\n");
' "$out/package.json"
node scripts/size.mjs --report
# The runnable example of the Rust API (the demo's /rust/ page).
bash scripts/build-example.sh
