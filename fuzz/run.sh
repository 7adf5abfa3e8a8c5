#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time and prints executions and crashes per target.
#
#   fuzz/run.sh [seconds-per-target] [target...]     (default: 60 s, all targets)
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Each target starts from
# its committed seeds (fuzz/seeds/<target>/) plus whatever an earlier run left in the working
# corpus (fuzz/corpus/<target>/, git-ignored). A crash input lands in fuzz/artifacts/<target>/
# (git-ignored): copy it to fuzz/regressions/<target>/ and add a regression test.
# Replay one input: cargo +nightly fuzz run <target> fuzz/regressions/<target>/<file>
# Exit status: 0 when no target crashed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")"

SECONDS_PER_TARGET="${1:-60}"
shift || true
ALL_TARGETS=(callback token_response jws jwks discovery json userinfo www_authenticate)
TARGETS=("${@:-${ALL_TARGETS[@]}}")
if [ "$#" -eq 0 ]; then TARGETS=("${ALL_TARGETS[@]}"); fi
TOOLCHAIN="${FUZZ_TOOLCHAIN:-+nightly}"
LOGS="${FUZZ_LOG_DIR:-target/fuzz-logs}"
mkdir -p "$LOGS"

if ! cargo "$TOOLCHAIN" fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz or the nightly toolchain is missing: cargo install cargo-fuzz; rustup toolchain install nightly" >&2
  exit 2
fi

# Build everything first, so the time budget is spent fuzzing.
cargo "$TOOLCHAIN" fuzz build >"$LOGS/build.log" 2>&1 || { tail -30 "$LOGS/build.log" >&2; exit 2; }

status=0
printf '%-16s %14s %10s %8s %8s  %s\n' target executions exec/s corpus crashes 'distinct panic sites'
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  stamp="$LOGS/$t.start"; : >"$stamp"
  # Fork mode with -ignore_crashes=1: the target runs for the whole budget and keeps every
  # crashing input (one bug does not hide the others behind it).
  cargo "$TOOLCHAIN" fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -fork=1 -ignore_crashes=1 \
    -artifact_prefix="artifacts/$t/" >"$LOGS/$t.log" 2>&1
  last=$(grep -E '^#[0-9]+:' "$LOGS/$t.log" | tail -1)
  execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
  secs=$(sed -nE 's/.* time: ([0-9]+)s.*/\1/p' <<<"$last")
  speed=$(( ${execs:-0} / ( ${secs:-0} > 0 ? ${secs:-1} : 1 ) ))
  corpus=$(find "corpus/$t" -type f | wc -l)
  mapfile -t new < <(find "artifacts/$t" -type f -newer "$stamp")
  sites=""
  if [ "${#new[@]}" -gt 0 ]; then
    status=1
    # Re-run each crashing input once to name where it panicked.
    bin="target/x86_64-unknown-linux-gnu/release/$t"
    sites=$(for f in "${new[@]}"; do
      site=$({ "$bin" "$f" 2>&1 || true; } | grep -m1 -oE "panicked at [^ ]+[0-9]|ERROR: AddressSanitizer: [a-z-]+|ERROR: libFuzzer: [a-z-]+")
      echo "${site:-unknown}"
    done | sort | uniq -c | sed -E 's/^ +//' | paste -sd ';' -)
  fi
  printf '%-16s %14s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "$speed" "$corpus" "${#new[@]}" "$sites"
  for f in "${new[@]}"; do echo "    $PWD/$f" >&2; done
done
if [ "$status" -ne 0 ]; then
  echo "crashes found: copy the inputs to fuzz/regressions/<target>/ and add regression tests" >&2
fi
exit $status
