"""The official OpenAI Python SDK reads what argstream's relay writes.

For every upstream stream given (the bundled examples and the recorded
corpora of all three formats), the relay example turns it into downstream SSE,
once with tool calls hidden and once forwarded. A local HTTP server on
127.0.0.1 answers the SDK's `chat.completions.stream(...)` with those bytes,
and the SDK's stream helper builds the final completion. It must agree with
the relay's own summary line:

- content: the answer text and the target values (when the summary says the
  call's target key held a value, its text is in the content);
- the finish reason: the summary's, with `tool_calls` reported as `stop` when
  calls are hidden;
- usage, when upstream gave it;
- with calls forwarded: every call's id, name and arguments;
- a stream that ended in an upstream error or was cut off raises the SDK's
  `APIError`, because no `[DONE]` follows an error event.

Usage: python openai_sdk_check.py RELAY_BINARY FILE_OR_DIR...
Exits 1 on the first disagreement, after printing it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openai

BODY: dict[str, bytes] = {"next": b""}


class Upstream(BaseHTTPRequestHandler):
    """Answers every POST with the body queued in BODY."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        body = BODY["next"]
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def relay(binary: str, path: Path, mode: str) -> tuple[bytes, dict]:
    done = subprocess.run(
        [binary, "--key", "pre_exec_msg", "--tool-calls", mode, "--summary", str(path)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise SystemExit(f"{path}: relay exited {done.returncode}: {done.stderr.decode()[-500:]}")
    summary = json.loads(done.stderr.decode().strip().splitlines()[-1])
    return done.stdout, summary


def written_content(out: bytes) -> str:
    """The content deltas of the relay's frames, concatenated."""
    text = []
    for line in out.split(b"\n"):
        if line.startswith(b"data: {"):
            chunk = json.loads(line[6:])
            for choice in chunk.get("choices") or []:
                text.append((choice.get("delta") or {}).get("content") or "")
    return "".join(text)


def is_subsequence(part: str, whole: str) -> bool:
    rest = iter(whole)
    return all(char in rest for char in part)


def check(client: openai.OpenAI, binary: str, path: Path, mode: str) -> str:
    out, summary = relay(binary, path, mode)
    BODY["next"] = out
    failed = summary["error"] is not None
    try:
        with client.chat.completions.stream(
            model="m", messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            for _ in stream:
                pass
            try:
                final = stream.get_final_completion()
            except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as ended:
                # The SDK's helper refuses to parse a cut or filtered answer,
                # as it does for OpenAI's own; the completion is on the error.
                final = ended.completion
    except openai.APIError as error:
        if failed:
            return "error"
        raise SystemExit(f"{path} ({mode}): the SDK raised {error!r} on a finished stream")
    if failed:
        raise SystemExit(f"{path} ({mode}): the SDK did not see the upstream error")
    choice = final.choices[0]
    message = choice.message
    content = message.content or ""
    written = written_content(out)
    if content != written:
        raise SystemExit(f"{path} ({mode}): the SDK read {content!r}, the relay wrote {written!r}")
    if not is_subsequence(summary["content"], content):
        raise SystemExit(f"{path} ({mode}): content {content!r} lacks {summary['content']!r}")
    for call in summary["tool_calls"]:
        try:
            spoken = json.loads(call["arguments"]).get("pre_exec_msg")
        except (ValueError, AttributeError):
            spoken = None
        if isinstance(spoken, str) and spoken not in content:
            raise SystemExit(f"{path} ({mode}): {spoken!r} missing from content {content!r}")
    want = summary["finish_reason"]
    if mode == "hide" and want == "tool_calls":
        want = "stop"
    if choice.finish_reason != want:
        raise SystemExit(f"{path} ({mode}): finish {choice.finish_reason!r}, want {want!r}")
    if summary["usage"] is not None and final.usage is None:
        raise SystemExit(f"{path} ({mode}): usage lost")
    if message.role != "assistant":
        raise SystemExit(f"{path} ({mode}): role {message.role!r}")
    calls = [
        (c.id, c.function.name, c.function.arguments) for c in (message.tool_calls or [])
    ]
    want_calls = (
        [(c["id"], c["name"], c["arguments"]) for c in summary["tool_calls"]]
        if mode == "forward"
        else []
    )
    if calls != want_calls:
        raise SystemExit(f"{path} ({mode}): calls {calls!r}, want {want_calls!r}")
    return "ok"


def main() -> None:
    binary, *targets = sys.argv[1:]
    files: list[Path] = []
    for target in map(Path, targets):
        if target.is_dir():
            files.extend(sorted([*target.glob("*.sse"), *target.glob("*.eventstream")]))
        else:
            files.append(target)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = openai.OpenAI(
        base_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
        api_key="not-a-key",
        max_retries=0,
        timeout=30,
    )
    tally: dict[str, int] = {}
    for path in files:
        for mode in ("hide", "forward"):
            result = check(client, binary, path, mode)
            tally[result] = tally.get(result, 0) + 1
    server.shutdown()
    print(f"openai {openai.__version__}: {len(files)} streams x 2 modes: {tally}")


if __name__ == "__main__":
    main()
