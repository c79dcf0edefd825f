#!/usr/bin/env bash
# Instructions per upstream event of the gateway, relaying and passing
# through, counted by callgrind: steady whatever else the machine runs.
# Every recorded chat stream is sent once, one event per write, 1 ms apart.
# Usage: gateway/callgrind.sh [STREAMS]   (default 320: every chat recording)
# With CALLGRIND_OUT=DIR the profiles are kept there, for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
streams="${1:-320}"
cargo build --release -p argstream-gateway --bins
bin=target/release
work=$(mktemp -d)
trap 'exec 3>&-; if [ -n "${CALLGRIND_OUT:-}" ]; then mkdir -p "$CALLGRIND_OUT"; cp "$work"/*.[0-9]* "$CALLGRIND_OUT"/; fi; rm -rf "$work"' EXIT

# The mock runs until its stdin (fd 3 here) closes.
mkfifo "$work/mock-in"
"$bin/loadgen" --serve-mock <"$work/mock-in" >"$work/mock-out" &
exec 3>"$work/mock-in"
until grep -q "mock on" "$work/mock-out"; do sleep 0.2; done
mock=$(awk '{print $3}' "$work/mock-out")

count() { # name streams [gateway flags]: total instructions of one gateway run
  local name=$1 n=$2
  shift 2
  valgrind --tool=callgrind --callgrind-out-file="$work/$name.%p" \
    "$bin/argstream-gateway" --listen 127.0.0.1:0 --upstream "http://$mock" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  local pid=$!
  until grep -q "listening on" "$work/$name.out"; do sleep 0.2; done
  local address
  address=$(awk '{print $3}' "$work/$name.out")
  for ((i = 0; i < n; i++)); do
    curl -s -m 120 "http://$address/v1/chat/completions" \
      -d "{\"stream\":true,\"replay\":$i,\"delay_us\":1000}" >/dev/null
  done
  callgrind_control -d "$pid" >/dev/null
  sleep 1
  kill -TERM "$pid"
  wait "$pid" || true
  grep -h '^totals' "$work/$name".* | awk '{s += $2} END {print s}'
}

events=$(ARGSTREAM_TESTDATA="${ARGSTREAM_TESTDATA:-../shared/data}" python3 - "$streams" <<'PY'
import glob, os, sys
root = os.environ["ARGSTREAM_TESTDATA"]
files = sorted(glob.glob(os.path.join(root, "streams/openai-compatible/*.sse")))
n = int(sys.argv[1])
total = 0
for i in range(n):
    body = open(files[i % len(files)], "rb").read()
    parts = body.replace(b"\r\n", b"\n").split(b"\n\n")
    total += sum(1 for part in parts if part) if parts else 0
print(total)
PY
)
for mode in relay passthrough; do
  flags=()
  [ "$mode" = passthrough ] && flags=(--passthrough)
  idle=$(count "$mode-idle" 0 "${flags[@]}")
  busy=$(count "$mode" "$streams" "${flags[@]}")
  echo "$mode: $(( (busy - idle) / events )) instructions per upstream event ($streams streams, $events events)"
done
