#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after
# another with a single job, and prints how many inputs each executed.
# Exits non-zero when a target finds a crash; its input is saved in
# fuzz/artifacts/TARGET/ and its log in fuzz/artifacts/TARGET.log.
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Needs a nightly toolchain and cargo-fuzz. The seeds are written first by
# fuzz/seed.sh. Set FUZZ_SANITIZER=address to run under AddressSanitizer;
# the default is none, since the core forbids unsafe code and every
# property is an assertion, which a sanitizer would only slow down (the C
# ABI's capi_relay is the exception worth running under it).
set -euo pipefail
seconds="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
cd "$(dirname "$0")"
sanitizer="${FUZZ_SANITIZER:-none}"

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

./seed.sh
if [ "$#" -gt 0 ]; then
  # Only the targets named (cargo fuzz build takes one at a time).
  for target in "${targets[@]}"; do
    cargo +nightly fuzz build --sanitizer "$sanitizer" "$target"
  done
else
  cargo +nightly fuzz build --sanitizer "$sanitizer"
fi

failed=()
summary=()
for target in "${targets[@]}"; do
  mkdir -p "artifacts/$target"
  log="artifacts/$target.log"
  echo "== $target: ${seconds}s, one job"
  status=0
  cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" -- \
    -max_total_time="$seconds" -timeout=30 -print_final_stats=1 >"$log" 2>&1 || status=$?
  # libFuzzer's last words: "Done N runs in S second(s)" when time ran out,
  # and the final stats either way.
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
  if [ -z "$execs" ]; then
    execs="$(grep -o '^Done [0-9]* runs' "$log" | tail -1 | grep -o '[0-9][0-9]*' || true)"
  fi
  corpus="$(find "corpus/$target" -type f | wc -l)"
  if [ "$status" -eq 0 ]; then
    line="$target: ${execs:-?} execs in ${seconds}s, corpus $corpus, no crash"
  else
    line="$target: CRASH after ${execs:-?} execs (exit $status), see fuzz/$log"
    failed+=("$target")
    grep -A12 -m1 "panicked at\|ERROR: libFuzzer\|==ERROR" "$log" || tail -20 "$log"
    ls "artifacts/$target"
  fi
  echo "$line"
  summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]}"
  exit 1
fi
