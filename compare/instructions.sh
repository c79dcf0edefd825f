#!/usr/bin/env bash
# Counts the relay's instructions an upstream event with callgrind, for the
# table in docs/performance.md: each W4 workload of compare/examples/profile.rs
# run with 0 passes (loading the corpus alone) and with 3, argstream's relay
# and the sse-stream + serde_json path over the same events.
#
#   compare/instructions.sh [WORKLOAD...]
#
# Defaults to the six w4 workloads; `pair-<corpus>-<output>` ones have no
# yardstick. Needs valgrind. Reads the corpora from
# ARGSTREAM_TESTDATA (default ../shared/data). Prints one line a workload:
# its events and the instructions an event of each path.
set -euo pipefail
cd "$(dirname "$0")/.."
export ARGSTREAM_TESTDATA="${ARGSTREAM_TESTDATA:-../shared/data}"
command -v valgrind >/dev/null || { echo "error: valgrind is not installed" >&2; exit 1; }
if [ "$#" -eq 0 ]; then
  set -- w4 w4-fresh w4-anthropic w4-fresh-anthropic w4-responses w4-fresh-responses
fi
cargo build --quiet --release -p argstream-compare --example profile
target="${CARGO_TARGET_DIR:-target}"
profile="$target/release/examples/profile"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# The instructions callgrind counted in a run of `profile $1 $2`.
count() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$profile" "$1" "$2" >"$out/stdout" 2>"$out/stderr"
  grep -o 'refs: *[0-9,]*' "$out/stderr" | tr -d ', ' | cut -d: -f2
}

printf '%-22s %8s %10s %12s\n' workload events argstream sse+serde
for w in "$@"; do
  base=$(count "$w" 0)
  three=$(count "$w" 3)
  # `profile` prints "<name> x3: <checksum>, <events> upstream events".
  events=$(grep -o '[0-9]* upstream events' "$out/stdout" | cut -d' ' -f1)
  # The pair workloads have no sse-stream + serde_json yardstick.
  naive=-
  if [ "${w#pair-}" = "$w" ]; then
    naive_base=$(count "naive-$w" 0)
    naive_three=$(count "naive-$w" 3)
    naive=$(((naive_three - naive_base) / events))
  fi
  printf '%-22s %8d %10d %12s\n' "$w" "$events" $(((three - base) / events)) "$naive"
done
