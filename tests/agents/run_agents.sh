#!/usr/bin/env bash
# The real agent CLIs through the gateway, each in front of a model of
# another format: Claude Code (Anthropic Messages) through openai-chat,
# openai-responses and gemini upstreams, Codex (OpenAI Responses) through
# openai-chat, anthropic and gemini upstreams.
#
# For each pair, tests/agents/mock_upstream.py serves the upstream format on
# 127.0.0.1; the gateway runs with --upstream-format FORMAT --upstream-model
# mock-model --tool-calls forward in front of it; the agent runs one prompt.
# The mock's first answer calls the agent's shell tool (Claude Code's Bash,
# Codex's exec_command) with `echo argstream-ok-RANDOM`; its second answer
# repeats the output only if the request carried the call and its result
# tied together, as the real API requires. A pair passes when the agent's
# final answer (Claude Code's `result`, Codex's last agent message) holds
# the output. Baselines, each agent at a mock of its own format, show that
# the agents and the mock agree: straight (AGENT:direct) and through the
# gateway without translation (AGENT:route: no --upstream-format).
#
# Usage: tests/agents/run_agents.sh GATEWAY [PAIR...]
#   GATEWAY  the argstream-gateway binary (built by the caller:
#            cargo build --release -p argstream-gateway)
#   PAIR     claude:FORMAT or codex:FORMAT (FORMAT an --upstream-format),
#            AGENT:direct or AGENT:route (the baselines); default: every
#            pair named above and the four baselines.
# Environment:
#   AGENTS_NODE     where the pinned CLIs are installed with npm, if missing
#                   (default target/agents-node)
#   AGENTS_LOG      one directory per pair: the mock's requests (NNN.json,
#                   keys masked), the gateway's log, the agent's output
#                   (default target/agents-log)
#   AGENT_SECONDS   each agent run's bound (default 180)
#   AGENTS_KEY_MODE client (the agent's key goes through, the default) or
#                   env (the gateway sends its own, --upstream-key-env)
#   AGENTS_GATEWAY_FLAGS  more gateway flags, split on spaces
#                   (--strict-translation, for one)
#   AGENTS_REASONING  when set, the mock's answer with the call opens with
#                   signed reasoning, which the next request must bring
#                   back as the real API requires
#
# Loopback only; every process it starts is killed at the end, on failure
# too. Prints a table of pairs and exits 1 when any failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CLAUDE_CODE_VERSION=2.1.332
CODEX_VERSION=0.171.0
MODEL=mock-model

usage() {
  sed -n '/^# Usage:/,/^# too\./p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[ $# -ge 1 ] || usage
gateway=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ -x "$gateway" ] || { echo "error: $gateway is not an executable" >&2; exit 2; }
if [ $# -gt 0 ]; then
  pairs=("$@")
else
  pairs=(claude:direct codex:direct claude:route codex:route
    claude:openai-chat claude:openai-responses claude:gemini
    codex:openai-chat codex:anthropic codex:gemini)
fi
node_dir=${AGENTS_NODE:-$root/target/agents-node}
log_root=${AGENTS_LOG:-$root/target/agents-log}
agent_seconds=${AGENT_SECONDS:-180}
key_mode=${AGENTS_KEY_MODE:-client}
case "$key_mode" in client | env) ;; *) echo "error: AGENTS_KEY_MODE is client or env" >&2; exit 2 ;; esac

# Every process started here, killed on exit.
started=()
cleanup() {
  local pid
  for pid in ${started[@]+"${started[@]}"}; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in ${started[@]+"${started[@]}"}; do
    wait "$pid" 2>/dev/null || true
  done
  started=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

installed_version() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
    "$node_dir/node_modules/$1/package.json" 2>/dev/null || true
}
if [ "$(installed_version @anthropic-ai/claude-code)" != "$CLAUDE_CODE_VERSION" ] ||
  [ "$(installed_version @openai/codex)" != "$CODEX_VERSION" ]; then
  echo "== installing @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION and @openai/codex@$CODEX_VERSION into $node_dir"
  mkdir -p "$node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"private": true}' >"$node_dir/package.json"
  (cd "$node_dir" && timeout 600 npm install --silent --no-audit --no-fund \
    "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION")
fi
claude_bin=$node_dir/node_modules/.bin/claude
codex_bin=$node_dir/node_modules/.bin/codex
echo "agents: $("$claude_bin" --version 2>/dev/null | head -1), $("$codex_bin" --version 2>/dev/null | head -1)"

rm -rf "$log_root"
mkdir -p "$log_root"

# wait_for FILE PATTERN SECONDS PID: until FILE has a line matching
# PATTERN, while process PID lives.
wait_for() {
  local tries=$(($3 * 10))
  while [ "$tries" -gt 0 ]; do
    if [ -s "$1" ] && grep -q "$2" "$1"; then return 0; fi
    kill -0 "$4" 2>/dev/null || return 1
    sleep 0.1
    tries=$((tries - 1))
  done
  return 1
}

# The agent's final answer holds the marker: prints what it said otherwise.
check_claude() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
path, marker = sys.argv[1], sys.argv[2]
try:
    out = json.loads(open(path).read() or "null")
except ValueError as e:
    print(f"the output is not JSON ({e})"); sys.exit(1)
if not isinstance(out, dict):
    print("no JSON result"); sys.exit(1)
result = str(out.get("result", ""))
if out.get("is_error") or marker not in result:
    print(f"is_error={out.get('is_error')} result={result[:300]!r}"); sys.exit(1)
EOF
}
check_codex() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
path, marker = sys.argv[1], sys.argv[2]
said, ran, errors = "", False, []
for line in open(path):
    try:
        event = json.loads(line)
    except ValueError:
        continue
    item = event.get("item") or {}
    if event.get("type") == "item.completed" and item.get("type") == "agent_message":
        said = item.get("text", "")
    if event.get("type") == "item.completed" and item.get("type") == "command_execution":
        ran = ran or (item.get("exit_code") == 0 and marker in item.get("aggregated_output", ""))
    if event.get("type") in ("error", "turn.failed"):
        errors.append(json.dumps(event)[:300])
if not ran or marker not in said:
    print(f"ran={ran} said={said[:200]!r} errors={errors[-2:]}"); sys.exit(1)
EOF
}

# What the mock refused and noted, for a failing pair's report.
mock_summary() {
  python3 - "$1" <<'EOF'
import glob, json, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    r = json.load(open(path))
    line = f"  upstream {path.rsplit('/', 1)[1]}: {r.get('path')} -> {r.get('status')} turn={r.get('turn')}"
    if r.get("rejected"):
        line += f" rejected: {r['rejected'].get('reason')}"
    for note in r.get("notes") or []:
        line += f"\n      note: {note}"
    print(line)
EOF
}

# run_pair PAIR: true when it passed; otherwise `verdict` says why.
run_pair() {
  verdict=""
  local pair=$1 agent=${1%%:*} format=${1#*:}
  local dir=$log_root/${agent}-${format}
  local marker client_key upstream_key base mock_format mock_pid gateway_pid
  mkdir -p "$dir/home" "$dir/work"
  marker=argstream-ok-$(python3 -c 'import secrets; print(secrets.token_hex(6))')
  client_key=sk-agent-$(python3 -c 'import secrets; print(secrets.token_hex(8))')
  upstream_key=$client_key
  # Straight at the mock, the agent's key is the upstream's.
  if [ "$key_mode" = env ] && [ "$format" != direct ]; then
    upstream_key=sk-upstream-$(python3 -c 'import secrets; print(secrets.token_hex(8))')
  fi
  mock_format=$format
  local mock_model=$MODEL
  if [ "$format" = direct ] || [ "$format" = route ]; then
    mock_format=$([ "$agent" = claude ] && echo anthropic || echo openai-responses)
    mock_model='*'
  fi
  case "$agent:$mock_format" in
    claude:openai-chat | claude:openai-responses | claude:anthropic | claude:gemini) ;;
    codex:openai-chat | codex:openai-responses | codex:anthropic | codex:gemini) ;;
    *) verdict="unknown pair $pair"; return 1 ;;
  esac

  python3 "$here/mock_upstream.py" --format "$mock_format" --agent "$agent" --marker "$marker" \
    --model "$mock_model" --key "$upstream_key" --log-dir "$dir/upstream" --port-file "$dir/mock.port" \
    --max-seconds $((agent_seconds + 60)) ${AGENTS_REASONING:+--reasoning} >"$dir/mock.log" 2>&1 &
  mock_pid=$!
  started+=("$mock_pid")
  if ! wait_for "$dir/mock.port" . 10 "$mock_pid"; then
    verdict="the mock did not start: $(tail -3 "$dir/mock.log")"
    return 1
  fi
  local upstream=http://127.0.0.1:$(cat "$dir/mock.port")

  if [ "$format" = direct ]; then
    base=$upstream
  else
    local flags=(--listen 127.0.0.1:0 --upstream "$upstream" --tool-calls forward)
    [ "$format" = route ] || flags+=(--upstream-format "$format" --upstream-model "$MODEL")
    [ "$key_mode" = env ] && flags+=(--upstream-key-env ARGSTREAM_AGENTS_UPSTREAM_KEY)
    # shellcheck disable=SC2206 # split on purpose: a list of flags
    flags+=(${AGENTS_GATEWAY_FLAGS:-})
    ARGSTREAM_AGENTS_UPSTREAM_KEY=$upstream_key RUST_LOG=${RUST_LOG:-info} \
      "$gateway" "${flags[@]}" </dev/null >"$dir/gateway.out" 2>"$dir/gateway.log" &
    gateway_pid=$!
    started+=("$gateway_pid")
    if ! wait_for "$dir/gateway.out" '^listening on ' 20 "$gateway_pid"; then
      verdict="the gateway did not start: $(tail -3 "$dir/gateway.log")"
      return 1
    fi
    base=http://$(sed -n 's/^listening on //p' "$dir/gateway.out" | head -1)
  fi

  local prompt="Run the shell command: echo $marker. Then tell me exactly what it printed."
  local status=0
  if [ "$agent" = claude ]; then
    (cd "$dir/work" && env -i PATH="$PATH" HOME="$dir/home" TERM=dumb LANG=C.UTF-8 \
      ANTHROPIC_BASE_URL="$base" ANTHROPIC_API_KEY="$client_key" \
      DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 DISABLE_AUTOUPDATER=1 \
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CODE_MAX_RETRIES=1 \
      timeout -k 10 "$agent_seconds" "$claude_bin" -p "$prompt" --output-format json \
      --allowedTools "Bash(echo:*)" </dev/null >"$dir/agent.out" 2>"$dir/agent.err") || status=$?
  else
    mkdir -p "$dir/codex-home"
    cat >"$dir/codex-home/config.toml" <<EOF
model = "gpt-5.5"
model_provider = "argstream"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[analytics]
enabled = false

[model_providers.argstream]
name = "argstream"
base_url = "$base/v1"
wire_api = "responses"
env_key = "ARGSTREAM_AGENTS_KEY"
request_max_retries = 0
stream_max_retries = 0
EOF
    (cd "$dir/work" && env -i PATH="$PATH" HOME="$dir/home" TERM=dumb LANG=C.UTF-8 \
      CODEX_HOME="$dir/codex-home" ARGSTREAM_AGENTS_KEY="$client_key" \
      timeout -k 10 "$agent_seconds" "$codex_bin" exec --skip-git-repo-check --json "$prompt" \
      </dev/null >"$dir/agent.out" 2>"$dir/agent.err") || status=$?
  fi

  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    verdict="the agent ran past ${agent_seconds}s"
  elif verdict=$("check_$agent" "$dir/agent.out" "$marker"); then
    verdict=""
  fi
  if [ -n "$verdict" ] && [ "$status" -ne 0 ]; then
    verdict="exit $status; $verdict"
  fi
  [ -z "$verdict" ]
}

declare -A results details
failed=0
for pair in "${pairs[@]}"; do
  echo "== $pair"
  if run_pair "$pair"; then
    cleanup
    results[$pair]=pass
    details[$pair]=""
  else
    cleanup
    results[$pair]=FAIL
    details[$pair]=$verdict
    failed=1
    dir=$log_root/${pair%%:*}-${pair#*:}
    echo "   $verdict"
    [ -d "$dir/upstream" ] && mock_summary "$dir/upstream"
    [ -s "$dir/gateway.log" ] && tail -5 "$dir/gateway.log" | sed 's/^/  gateway: /'
    [ -s "$dir/agent.err" ] && tail -5 "$dir/agent.err" | sed 's/^/  agent stderr: /'
  fi
done

echo
printf '%-28s %-6s %s\n' "agent:upstream" result detail
for pair in "${pairs[@]}"; do
  printf '%-28s %-6s %s\n' "$pair" "${results[$pair]}" "${details[$pair]:0:160}"
done
echo "logs: $log_root"
exit "$failed"
