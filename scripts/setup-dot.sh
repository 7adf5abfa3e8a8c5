#!/usr/bin/env bash
# Installs Django OAuth Toolkit (the second real OpenID provider of the end-to-end tests,
# tests/dot/ + tests/e2e-dot/) into a pinned virtual environment: .tmp/dot-venv (git-ignored).
# Idempotent: skipped (well under a second) when the venv already holds exactly these versions.
#
#   bash scripts/setup-dot.sh          install or verify
#   DOT_VENV=/path bash scripts/setup-dot.sh   another venv location (tests/e2e-dot reads DOT_VENV too)
#
# Needs python3 >= 3.10 with the venv module (Debian: apt-get install python3-venv) and access to
# PyPI (or a pip index/find-links configured in pip.conf).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup-dot] %s\n' "$*"; }
die() { printf '[setup-dot] error: %s\n' "$*" >&2; exit 1; }

VENV=${DOT_VENV:-.tmp/dot-venv}
# Every package of the environment, pinned (the top three are what the tests need; the rest are
# their dependencies, pinned so a fresh machine gets the measured combination).
PINS=(
  "Django==5.2.19"
  "django-oauth-toolkit==3.4.1"
  "django-cors-headers==4.9.0"
  "oauthlib==4.0.1"
  "jwcrypto==1.6.1"
  "cryptography==51.0.1"
  "cffi==2.1.1"
  "pycparser==3.12"
  "asgiref==3.13.0"
  "sqlparse==0.6.1"
  "requests==2.34.2"
  "certifi==2026.10.19.post1"
  "charset-normalizer==3.5.3"
  "idna==3.21"
  "urllib3==2.8.0"
  "typing_extensions==4.16.0"
)

PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || die "python3 not found (Debian: apt-get install python3 python3-venv)"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "Python >= 3.10 needed (Django 5.2), found $("$PY" --version 2>&1)"

want=$(printf '%s\n' "${PINS[@]}" | tr 'A-Z_' 'a-z-' | sort)
have() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null | tr 'A-Z_' 'a-z-' | sort
}
if [ "$(have || true)" = "$want" ]; then
  log "ok (already installed): $VENV, django-oauth-toolkit 3.4.1"
  exit 0
fi

if ! [ -x "$VENV/bin/python" ]; then
  log "python3 -m venv $VENV"
  "$PY" -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
log "pip install ${PINS[*]:0:3} (+ pinned dependencies)"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps "${PINS[@]}"
"$VENV/bin/python" -m pip check >/dev/null || die "pip check failed in $VENV"
# Anything else in the venv (e.g. left from an older pin set) would make the check above fail
# forever; remove what is not pinned.
extra=$(comm -13 <(echo "$want" | cut -d= -f1) <(have | cut -d= -f1) | grep -vx -e pip -e setuptools -e wheel || true)
[ -z "$extra" ] || "$VENV/bin/python" -m pip uninstall -y -q $extra
log "ok: $VENV, $("$VENV/bin/python" -m django --version | sed 's/^/Django /'), django-oauth-toolkit 3.4.1"
