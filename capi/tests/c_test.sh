#!/usr/bin/env bash
# The C test: capi/tests/examples.c compiled with cc against the header and the
# static library, run over the bundled examples (and the recorded corpora
# when ARGSTREAM_TESTDATA names them), compared byte for byte with the Rust
# relay and extract examples run with the same flags: stdout, stderr (the
# summary line, the error line) and exit status.
#
#   capi/tests/c_test.sh        (from anywhere; builds what it needs, release)
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release --quiet -p argstream-capi
cargo build --release --quiet --example relay --example extract
work=target/c-test
mkdir -p "$work"
cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Icapi/include capi/tests/examples.c \
  target/release/libargstream_capi.a -lpthread -ldl -lm -lrt -lutil -o "$work/examples"

runs=0
# compare relay|extract ARGS...: the C program and the Rust example, alike.
compare() {
  local example=$1
  shift
  local c_status=0 rust_status=0
  "$work/examples" "$example" "$@" >"$work/c.out" 2>"$work/c.err" || c_status=$?
  "target/release/examples/$example" "$@" >"$work/rust.out" 2>"$work/rust.err" || rust_status=$?
  if [ "$c_status" != "$rust_status" ] || ! cmp -s "$work/c.out" "$work/rust.out" ||
    ! cmp -s "$work/c.err" "$work/rust.err"; then
    echo "C and Rust differ on: $example $*  (exit $c_status vs $rust_status)"
    diff <(cat "$work/c.err") <(cat "$work/rust.err") | head -5 || true
    cmp "$work/c.out" "$work/rust.out" || true
    exit 1
  fi
  runs=$((runs + 1))
}

# Streams the examples do not bundle: cut off inside an event, and refused.
good=examples/data/voice_agent.sse
head -c "$(($(wc -c <"$good") / 2))" "$good" >"$work/cut_off.sse"
{ head -c 600 "$good"; printf '\n\ndata: {"choices":[}\n\n'; } >"$work/malformed.sse"
printf '{"pre_exec_msg":"fine, then \\q"}' >"$work/bad_escape.json"

for file in examples/data/*.sse "$work/cut_off.sse" "$work/malformed.sse"; do
  for flags in "" "--tool-calls forward" "--no-finish" "--key city --key pre_exec_msg --from auto" \
    "--to anthropic" "--to openai-responses --tool-calls forward" "--to same --tool-calls forward --no-values"; do
    for chunk in 1 7 4096; do
      # shellcheck disable=SC2086 # the flags are words
      compare relay $flags --chunk-bytes "$chunk" --summary "$file"
    done
  done
done
for chunk in 1 4 8192; do
  compare extract --key pre_exec_msg --chunk-bytes "$chunk" examples/data/voice_agent_args.json
done
compare extract --key pre_exec_msg "$work/bad_escape.json"

# The recorded corpora, when present: calls hidden to chat, forwarded to
# the upstream's own format.
data="${ARGSTREAM_TESTDATA:-../shared/data}"
corpora=0
for corpus in openai-compatible anthropic openai-responses; do
  [ -d "$data/streams/$corpus" ] || continue
  for file in "$data/streams/$corpus"/*.sse; do
    compare relay --chunk-bytes 512 --summary "$file"
    compare relay --tool-calls forward --to same --summary "$file"
    corpora=$((corpora + 1))
  done
done
if [ "$corpora" -eq 0 ]; then
  # Under CI a run that read no corpus must not pass as green.
  if [ -n "${CI:-}" ]; then
    echo "error: no recorded corpora under $data/streams, and CI is set (set ARGSTREAM_TESTDATA)"
    exit 1
  fi
  echo "note: no recorded corpora under $data/streams: only the bundled examples ran"
fi
echo "C test: $runs runs alike ($corpora recorded streams)"
