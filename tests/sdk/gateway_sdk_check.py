"""The official SDKs read the gateway's embedded mock through their own routes.

Starts the gateway binary with no upstream (its embedded mock replays the
bundled example of each route's format) on 127.0.0.1, and points each
format's official SDK at it, as a user would:

- openai-python's `chat.completions.stream(...)` and `get_final_completion()`
  on /v1/chat/completions (the chat example);
- openai-python's `responses.stream(...)` and `get_final_response()` on
  /v1/responses (the Responses example);
- google-genai's `models.generate_content_stream(...)` on Gemini's
  `:streamGenerateContent` route;
- anthropic-python's `messages.stream(...)` and `get_final_message()` on
  /v1/messages (the Anthropic example).

For each gateway variant (calls hidden and forwarded, values streamed and
not), each route's answer must keep its format's rules, pass the SDK's
strict response validation, and read through the SDK's own accumulator as
the relay example's summary of the same example says (harness.compare: the
text with the target values, the forwarded calls, the finish in the
format's words, the usage).

Usage:
  gateway_sdk_check.py GATEWAY RELAY
      GATEWAY: the argstream-gateway binary; RELAY: the relay example's
      binary, the reference.

Each gateway runs for one variant and is killed at the end, on failure too;
each SDK read is bounded (30 s) and the gateway's start (20 s). Prints each
route's result and exits 1 when any failed.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import check_anthropic
import check_chat
import check_gemini
import check_responses
from harness import VARIANTS, Failure, Relay, check_output, expect

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"

# Each format's check module, its route (under the SDK's base URL) and the
# example the mock replays there.
ROUTES: list[tuple[ModuleType, str, str]] = [
    (check_chat, "/v1/chat/completions", "voice_agent.sse"),
    (check_responses, "/v1/responses", "voice_agent_responses.sse"),
    (check_anthropic, "/v1/messages", "voice_agent_anthropic.sse"),
    (
        check_gemini,
        f"/v1beta/models/{check_gemini.MODEL}:streamGenerateContent?alt=sse",
        "voice_agent_gemini.sse",
    ),
]
START_SECONDS = 20
READ_SECONDS = 30


class Gateway:
    """The gateway binary on an ephemeral loopback port, with its embedded
    mock; the `server` a check module's `Sdk` reads from (`serve` has
    nothing to do: the mock answers every request the same)."""

    def __init__(self, binary: str, flags: list[str]) -> None:
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", *flags],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        try:
            address = self.listening_on()
        except BaseException:
            self.close()
            raise
        self.base_url = f"http://{address}"

    def listening_on(self) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_SECONDS)
        line = self.process.stdout.readline().decode() if ready else ""
        if not line.startswith("listening on "):
            raise Failure(f"the gateway did not start within {START_SECONDS}s: {line!r} {self.log_tail()}")
        return line.removeprefix("listening on ").strip()

    def serve(self, out: bytes) -> None:
        pass

    def post(self, route: str, request: dict[str, Any]) -> bytes:
        """The raw answer to one stream request."""
        body = json.dumps({**request, "stream": True}).encode()
        headers = {"content-type": "application/json"}
        posted = urllib.request.Request(self.base_url + route, data=body, headers=headers)
        with urllib.request.urlopen(posted, timeout=READ_SECONDS) as response:  # noqa: S310 (loopback)
            if response.headers.get_content_type() != "text/event-stream":
                raise Failure(f"{route} answered {response.headers.get_content_type()}")
            return bytes(response.read())

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-1000:]

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()


def check_route(gateway: Gateway, relay: Relay, fmt: ModuleType, route: str, example: str, variant: Any) -> str:
    """One route's answer read by its SDK: `ok`, or what went wrong."""
    chat = relay.run(EXAMPLES / example, None, "openai-chat", variant)
    expected = expect(chat.summary, chat.out, variant)
    if expected.error:
        raise Failure(f"the relay reads {example} as ending in an error: {chat.summary}")
    out = gateway.post(route, fmt.REQUEST)
    result, failures = check_output(fmt, fmt.Sdk(gateway), out, expected)
    if result == "ok" and not failures:
        return "ok"
    return f"{result}: " + " | ".join(str(failure) for failure in failures)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    gateway_binary, relay = argv[0], Relay(argv[1])
    # A timeout's SIGTERM unwinds through the `finally` that kills the gateway.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    failed = 0
    for variant in VARIANTS:
        gateway = Gateway(gateway_binary, variant.flags())
        try:
            for fmt, route, example in ROUTES:
                try:
                    result = check_route(gateway, relay, fmt, route, example, variant)
                except Failure as failure:
                    result = f"fail: {failure}"
                except Exception as error:  # noqa: BLE001 (whatever the SDK or the HTTP client raises)
                    result = f"fail: {type(error).__name__}: {error}"[:600]
                print(f"{fmt.NAME:17} {route:22} {variant}: {result}")
                if result != "ok":
                    failed += 1
                    print(f"  gateway log: {gateway.log_tail()}")
        finally:
            gateway.close()
    checks = len(VARIANTS) * len(ROUTES)
    seconds = time.monotonic() - started
    print(f"gateway routes read by their SDKs: {checks - failed} of {checks} ok in {seconds:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
