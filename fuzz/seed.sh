#!/usr/bin/env bash
# Writes the seed corpora into fuzz/corpus/TARGET/ from the hand-written
# cases below. Safe to run again: a seed's file name is its content's hash,
# so nothing the fuzzer added is touched.
#
# Input layouts (see each target's doc comment):
#   scan_vs_serde: a byte n, n % 16 plan bytes, the document
#   sse_split:     a limit byte, n and n % 16 bytes of plan A, m and m % 16
#                  bytes of plan B, the stream
#   scan_structured, relay_split, capi_relay: bytes that `arbitrary` reads
#                  as a generated case; the documents and streams serve as
#                  varied starting bytes.
#   reader_vs_serde: one event's data, as it is: the documents below, and
#                  the events of the recorded streams under
#                  $ARGSTREAM_TESTDATA/streams/ (default ../shared/data from
#                  the repository root), read here and never copied into
#                  the repository (corpus/ is git-ignored).
set -euo pipefail
cd "$(dirname "$0")"

# seed TARGET PREFIX BODY: writes PREFIX then BODY (both printf %b escapes).
seed() {
  local dir="corpus/$1" file
  mkdir -p "$dir"
  file="$(mktemp)"
  printf '%b%b' "$2" "$3" >"$file"
  mv "$file" "$dir/seed-$(sha1sum "$file" | cut -c1-16)"
}

# JSON documents aimed at the scanner's hard cases. Keys: k and msg.
json=(
  '{"k":"plain"}'
  '{"k":"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t"}'
  '{"k":"\\u00e9\\u20AC\\ud83d\\ude00 caf\\xc3\\xa9 \\xf0\\x9f\\x98\\x80"}'
  '{"k":"lone \\ud83d"}'
  '{"k":"lone \\ude00"}'
  '{"k":"high then high \\ud83d\\ud83d"}'
  '{"\\u006b":"escaped key"}'
  '{"m\\u0073g":"escaped key msg","msg":"again"}'
  '{"q":{"k":"nested decoy"},"k":"top"}'
  '{"q":["k","k",{"k":1}],"k":"after an array"}'
  '{"k":"first","k":"second"}'
  '{"k":"string","k":7}'
  '{"k":7,"k":"string"}'
  '{"k":{"k":"x"},"msg":[1,2,{"msg":"y"}]}'
  '{"note":"\\",\\"k\\":\\"not a key\\"","k":"real"}'
  ' \t\n\r{ \t"k" \n: \r"ws" , "n" : [ ] } \n'
  '{"k":"x"} trailing'
  '{"k":"x"}}'
  '{"k":"cut'
  '{"k":"ctrl \x01"}'
  '{"k":"bad \\x escape"}'
  '{"k":"bad \\u12G4"}'
  '{"k":"bad utf8 \xff \xc0\x80 \xed\xa0\x80"}'
  '{"n":[0,-0,1.5,-1.5e10,1E+2,2e-3,123456789012345678901234567890]}'
  '{"n":1e400,"k":"out of range"}'
  '{"n":01}'
  '{"n":1.}'
  '{"n":-}'
  '{"b":[true,false,null],"k":"lits"}'
  '{"b":tru}'
  '[1,2,3]'
  '"a string root"'
  '12'
  '-0.5e+3'
  'null'
  '{}'
  '[]'
  ''
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'
)
for doc in "${json[@]}"; do
  seed scan_vs_serde '\x00' "$doc"            # one piece
  seed scan_vs_serde '\x01\x01' "$doc"        # one byte at a time
  seed scan_vs_serde '\x03\x02\x05\x03' "$doc" # 2, 5, 3, ...
  seed scan_structured '' "$doc"
  seed reader_vs_serde '' "$doc"
  seed capi_relay '' "$doc"
done

# Event streams aimed at the WHATWG rules.
sse=(
  'data: x\n\n'
  'data: x\r\n\r\n'
  'data: x\r\rdata: y\r\r'
  'data: a\r\ndata: b\rdata: c\n\r\n\n'
  '\xef\xbb\xbfdata: bom\n\n'
  '\xef\xbb\xbf\xef\xbb\xbfdata: two boms\n\n'
  '\xef\xbbdata: half a bom\n\n'
  ': comment\ndata: x\n: another\n\n'
  'data:x\n\ndata:  x\n\ndata:\n\ndata\n\n'
  'event: update\ndata: 1\n\nevent:\ndata: 2\n\n'
  'id: 1\ndata: a\n\nid\ndata: b\n\nid: a\x00b\ndata: c\n\n'
  'retry: 1500\ndata: x\n\nretry: 15a\ndata: y\n\nretry: 99999999999999999999999\n\n'
  'foo: bar\ndata: x\nDATA: y\ndata : z\n\n'
  'data: unterminated'
  'data: x\n\ndata: last event without blank line\n'
  'data: x\r'
  'data: \xff\xfe not utf-8\n\n'
  'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'
)
for stream in "${sse[@]}"; do
  seed sse_split '\xff\x00\x01\x01' "$stream"   # no limit near; whole vs bytewise
  seed sse_split '\x08\x01\x03\x02\x02\x07' "$stream" # limit 8; 3s vs 2,7s
  seed sse_split '\x00\x00\x01\x01' "$stream"   # limit 0
  seed relay_split '' "$stream"
  seed capi_relay '' "$stream"
done

# The bundled Gemini and Bedrock examples as starting bytes: Bedrock's
# binary frames for the frame decoder's differential target and the relay.
for example in ../examples/data/voice_agent_gemini.sse ../examples/data/voice_agent_bedrock.eventstream; do
  for target in relay_split eventstream_vs_smithy capi_relay; do
    mkdir -p "corpus/$target"
    cp "$example" "corpus/$target/seed-$(sha1sum "$example" | cut -c1-16)"
  done
done

# The recorded events, each stream's first and last few distinct ones
# (the middle ones are mostly alike): SSE data lines joined, Bedrock frame
# payloads.
testdata="${ARGSTREAM_TESTDATA:-../../shared/data}"
if [ -d "$testdata/streams" ]; then
  python3 - "$testdata/streams" corpus/reader_vs_serde <<'PY'
import glob, hashlib, os, struct, sys

streams, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)

def payloads(body):
    if body[:1] == b"\0":
        at = 0
        while at + 12 <= len(body):
            total, headers = struct.unpack(">II", body[at:at + 8])
            if total < 16:
                return
            yield body[at + 12 + headers:at + total - 4]
            at += total
        return
    data = []
    for line in body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"):
        if not line:
            if data:
                yield b"\n".join(data)
            data = []
        elif line.startswith(b"data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(b" ") else value)
    if data:
        yield b"\n".join(data)

for path in sorted(glob.glob(os.path.join(streams, "*", "*"))):
    with open(path, "rb") as f:
        distinct = list(dict.fromkeys(payloads(f.read())))
    for payload in distinct[:6] + distinct[6:][-6:]:
        name = "seed-" + hashlib.sha1(payload).hexdigest()[:16]
        with open(os.path.join(out, name), "wb") as f:
            f.write(payload)
PY
else
  echo "note: $testdata/streams not found (set ARGSTREAM_TESTDATA): reader_vs_serde has the hand-written seeds only"
fi

# translate_request: a byte picking the formats, then a request. The
# bodies: the real clients' requests in translate/tests/data/ (their file
# names start with the format: chat_, responses_, anthropic_ or gemini_,
# or the client: claude_code_ is Anthropic, codex_ is Responses), each
# toward every upstream, and small hand-written ones of each format.
mkdir -p corpus/translate_request
python3 - ../translate/tests/data corpus/translate_request <<'PY'
import glob, hashlib, json, os, sys
data, out = sys.argv[1], sys.argv[2]
formats = {"chat": 0, "responses": 1, "codex": 1, "anthropic": 2, "claude_code": 2, "gemini": 3}
bodies = [
    (0, b'{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"a\\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"integer"}}}}}]}'),
    (1, b'{"model":"m","input":[{"role":"user","content":"hi"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"ok"}]}'),
    (2, b'{"model":"m","max_tokens":9,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}'),
    (3, b'{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"id":"g1","name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"id":"g1","name":"f","response":{"output":"ok"}}}]}]}'),
]
for path in sorted(glob.glob(os.path.join(data, "*.json"))):
    name = os.path.basename(path)
    kind = next((v for k, v in formats.items() if name.startswith(k)), None)
    if kind is None:
        continue
    with open(path, "rb") as f:
        raw = f.read()
    try:
        json.loads(raw)
    except ValueError:
        continue
    bodies.append((kind, raw))
for kind, body in bodies:
    for to in range(4):
        case = bytes([kind | (to << 2)]) + body
        name = "seed-" + hashlib.sha1(case).hexdigest()[:16]
        with open(os.path.join(out, name), "wb") as f:
            f.write(case)
PY

for dir in corpus/*/; do
  echo "seeds: $(ls "$dir" | wc -l) files in $dir"
done
