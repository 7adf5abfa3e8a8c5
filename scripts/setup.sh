#!/usr/bin/env bash
# Installs what spa-oauth needs, idempotently: each step is skipped when already satisfied, so a
# warm run costs a second or two.
#
#   bash scripts/setup.sh --demo   what building and serving the demo needs (`npm run demo`):
#                                  the wasm32 Rust target, wasm-bindgen-cli, wasm-pack, npm packages
#   bash scripts/setup.sh          all of the above + the test browser (`npm test`, `npm run bench`):
#                                  Chromium + ChromeDriver at /usr/bin (apt-get on Debian-like systems)
#
# Needs Rust via rustup (stable) and Node >= 20.18 already installed; it installs neither.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
  "") ;;
  --demo) mode=demo ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: bash scripts/setup.sh [--demo]" >&2; exit 2 ;;
esac

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# 0. What the set-up does not install: rustup + cargo, and Node (package.json engines).
command -v rustup >/dev/null || die "rustup not found: install Rust (stable) from https://rustup.rs"
command -v cargo >/dev/null || die "cargo not found: install Rust (stable) from https://rustup.rs"
command -v node >/dev/null || die "node not found: install Node.js >= 20.18"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)' \
  || die "Node.js >= 20.18 needed (found $(node --version))"

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
  # Not --locked: the CLI's own lock file pins dependency versions that some registry mirrors
  # do not carry, so cargo resolves compatible ones. The CLI version itself is exact.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# 3. wasm-pack, compiled from crates.io (builds pkg/; runs the browser tests). Not the npm
# `wasm-pack` package: its install script downloads a prebuilt binary from outside the npm
# registry, which fails where only the package registries are reachable.
want_pack=0.15.1
have_pack=$(wasm-pack --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_pack" != "$want_pack" ]; then
  log "cargo install wasm-pack $want_pack (a few minutes on a fresh machine)"
  cargo install wasm-pack --version "$want_pack" --force
fi

# Debian's binaryen (wasm-opt 108) breaks wasm-bindgen 0.2.130 modules; the build uses npm
# binaryen's wasm-opt (scripts/build.sh puts node_modules/.bin first on PATH).
if command -v dpkg >/dev/null && dpkg -s binaryen >/dev/null 2>&1; then
  log "warning: Debian package binaryen is installed; its wasm-opt is ignored here (npm binaryen is used)"
fi

# 4. npm packages (oidc-provider, binaryen, playwright-core, ...), from the lock file.
if ! [ -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$mode" = demo ]; then
  log "ok (demo): $(rustc --version | cut -d' ' -f1-2), wasm-bindgen $want, wasm-pack $want_pack, node $(node --version)"
  exit 0
fi

# 5. Tests and bench only: Chromium + ChromeDriver from the distribution (never a downloaded
# browser). scripts/test.sh uses /usr/bin/chromedriver, bench/run.mjs /usr/bin/chromium.
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  command -v apt-get >/dev/null || die "no apt-get: install Chromium and a matching ChromeDriver so that /usr/bin/chromium and /usr/bin/chromedriver exist (e.g. symlinks), then run this again"
  log "apt-get install chromium chromium-driver"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# 6. Tests only: Django OAuth Toolkit, the second OpenID provider of the end-to-end tests (a
# pinned virtual environment from PyPI in .tmp/dot-venv; scripts/setup-dot.sh).
bash scripts/setup-dot.sh
log "ok: $(rustc --version | cut -d' ' -f1-2), wasm-bindgen $want, wasm-pack $want_pack, $(/usr/bin/chromium --version 2>/dev/null | cut -d' ' -f1-2), node $(node --version)"
