#!/usr/bin/env bash
# Installs what spa-oauth needs on a fresh Debian machine, idempotently: each step is skipped
# when already satisfied, so a warm run costs a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# 1. Rust target for the browser.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli, exactly the version of the wasm-bindgen crate in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  log "cargo install wasm-bindgen-cli $want (a few minutes on a fresh machine)"
  # --locked fails on this machine kind (a locked dependency is missing from the mirror).
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# 3. wasm-pack from crates.io (builds pkg/ and runs the browser tests). The npm `wasm-pack`
# package downloads a binary at install time from a host this machine kind cannot reach.
want_pack=0.15.1
have_pack=$(wasm-pack --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_pack" != "$want_pack" ]; then
  log "cargo install wasm-pack $want_pack (a few minutes on a fresh machine)"
  cargo install wasm-pack --version "$want_pack" --force
fi

# 4. Debian Chromium + ChromeDriver (never a downloaded browser).
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  log "apt-get install chromium chromium-driver"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# Debian's binaryen (wasm-opt 108) breaks wasm-bindgen 0.2.130 modules; we use npm binaryen.
if dpkg -s binaryen >/dev/null 2>&1; then
  log "warning: Debian package binaryen is installed; its wasm-opt is ignored here (npm binaryen is used)"
fi

# 5. npm packages (oidc-provider, playwright-core, binaryen, ...), from the lock file.
if ! [ -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "ok: $(rustc --version | cut -d' ' -f1-2), wasm-bindgen $want, wasm-pack $want_pack, $(/usr/bin/chromium --version 2>/dev/null | cut -d' ' -f1-2), node $(node --version)"
