"""The official SDKs reach a model of every format through the gateway (4 x 4).

For each upstream format U (OpenAI chat, OpenAI Responses, Anthropic
Messages, Gemini), a scripted mock upstream (translate_mock.py) speaks U on
U's path. For each client format C, the gateway runs with
`--upstream-format U --upstream-model mock-model --tool-calls forward` in
front of it, and C's official SDK, as a user calls it, goes through the
conversation on C's own route:

- openai-python's `chat.completions.stream(...)` and
  `get_final_completion()`;
- openai-python's `responses.stream(...)` and `get_final_response()`;
- anthropic-python's `messages.stream(...)` and `get_final_message()`;
- google-genai's `models.generate_content_stream(...)` (API version
  v1beta).

Turn one (streamed) sends instructions, a question, the `get_weather` tool
and a limit of 1000 tokens; the mock holds the translated request to U's
API and streams text, then a call whose arguments come in pieces. The
client reads its SDK's final object: the text (with the call's
`pre_exec_msg` the gateway streams into it), the call's id, name and
arguments, the finish in C's words (`tool_calls`, a Responses
`function_call` item, `tool_use`, a Gemini `functionCall` part) and the
usage. Turn two (streamed) sends the history back in C's format with the
tool's result; the mock checks the call and its result are tied (by id,
or by name toward Gemini), and answers with text and a plain finish. A
whole (not streamed) turn one is then asked with the SDK's plain create,
and its parsed answer checked the same way. A Gemini client of a Gemini
model must also read the call's thought signature, to send it back; and
the gateway's log must name each request's two formats, with no
translation warning, and hold neither the key nor a body's text.

Then, for each upstream format, one client of another format goes through
a gateway run with `--upstream-key-env`: the upstream must get the
gateway's own key in its format's header, and the client's key nowhere.

Before the gateway runs, each SDK goes straight to the mock of its own
format (no gateway): the mocks are held to the SDKs and to the format
rules of check_chat, check_responses, check_anthropic and check_gemini,
so that a pair's failure through the gateway is the gateway's.

Usage:
  translate_check.py [--only U:C]... GATEWAY
      GATEWAY: the argstream-gateway binary; --only runs one pair (its
      upstream and client format), repeatable.
  translate_check.py --direct
      the mocks' own check alone.

Bounded: each SDK call 30 s, each gateway start 20 s, each mock request
10 s; every gateway is killed and every mock shut down at the end, on
failure too. Prints each failure (the pair, the step, what came), then the
table of the 16 pairs, streamed and whole, and the own-key runs; exits 1
when any failed.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import anthropic
import openai
from google import genai
from google.genai import types

import check_anthropic
import check_chat
import check_gemini
import check_responses
from gateway_sdk_check import START_SECONDS, Gateway
from harness import Failure, sse_events
from translate_mock import (
    ANSWER,
    ANTHROPIC_VERSION,
    ARGUMENTS,
    FORMATS,
    KEY,
    KEY_HEADERS,
    MAX_TOKENS,
    QUESTION,
    RESULT,
    SCHEMA,
    SIGNATURE,
    SYSTEM,
    TEXT,
    TOOL,
    TOOL_DESCRIPTION,
    USAGE_ONE,
    USAGE_TWO,
    VALUE,
    Exchange,
    Mock,
    upstream_call_id,
)

SDK_SECONDS = 30
# The key the gateway sends of its own with --upstream-key-env, and its
# variable.
OWN_KEY_ENV = "ARGSTREAM_CHECK_UPSTREAM_KEY"
OWN_KEY = "sk-argstream-gateway-own"
UPSTREAM_MODEL = "mock-model"
# The format rules a stream of the mock's must keep.
PROTOCOLS: dict[str, ModuleType] = {
    "openai-chat": check_chat,
    "openai-responses": check_responses,
    "anthropic": check_anthropic,
    "gemini": check_gemini,
}

# google-genai logs a warning for every response with a call part.
logging.getLogger("google_genai").setLevel(logging.ERROR)


@dataclass
class Got:
    """What a client read from its SDK's final object, in one shape.

    `calls` holds (id, name, arguments parsed); `finish` is in the
    client format's words; `usage` is (prompt, completion); `history` is
    what the client sends back for turn two; `signatures` the thought
    signatures on a Gemini answer's call parts (base64, None for none)."""

    text: str
    calls: list[tuple[str | None, str, Any]]
    finish: Any
    usage: tuple[int, int] | None
    history: Any = None
    signatures: list[str | None] | None = None


def parsed(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments


class Client(Protocol):
    """One format's SDK as its users call it: `stream` one turn from the
    history given, or ask for a `whole` answer, each read into a `Got`
    whose history is the next turn's. `first` is turn one's history;
    `FINISH` the finish words of turn one (a call) and turn two."""

    FINISH: tuple[str, str]
    MODEL: str
    KEY_HEADER: str
    first: list[Any]

    def stream(self, history: list[Any]) -> Got: ...

    def whole(self, history: list[Any]) -> Got: ...


class ChatClient:
    """openai-python's chat completions."""

    FINISH = ("tool_calls", "stop")
    MODEL = "gpt-test"
    KEY_HEADER = "authorization"

    def __init__(self, base_url: str, direct: bool) -> None:
        self.client = openai.OpenAI(base_url=base_url + "/v1", api_key=KEY, max_retries=0, timeout=SDK_SECONDS)
        # A chat upstream sends usage only when asked: through the gateway
        # the translation asks; straight at the mock the client does.
        self.extra: dict[str, Any] = {"stream_options": {"include_usage": True}} if direct else {}
        self.first: list[Any] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": QUESTION},
        ]

    def request(self, messages: list[Any]) -> dict[str, Any]:
        tool = {
            "type": "function",
            "function": {"name": TOOL, "description": TOOL_DESCRIPTION, "parameters": SCHEMA},
        }
        return {
            "model": self.MODEL,
            "messages": messages,
            "tools": [tool],
            "max_completion_tokens": MAX_TOKENS,
        }

    def stream(self, messages: list[Any]) -> Got:
        with self.client.chat.completions.stream(**self.request(messages), **self.extra) as stream:
            return self.read(stream.get_final_completion(), messages)

    def whole(self, messages: list[Any]) -> Got:
        return self.read(self.client.chat.completions.create(**self.request(messages)), messages)

    def read(self, completion: Any, messages: list[Any]) -> Got:
        choice = completion.choices[0]
        message = choice.message
        calls = message.tool_calls or []
        usage = completion.usage
        assistant: dict[str, Any] = {"role": "assistant", "content": message.content}
        if calls:
            assistant["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in calls
            ]
        results = [{"role": "tool", "tool_call_id": c.id, "content": RESULT} for c in calls]
        return Got(
            text=message.content or "",
            calls=[(c.id, c.function.name, parsed(c.function.arguments)) for c in calls],
            finish=choice.finish_reason,
            usage=None if usage is None else (usage.prompt_tokens, usage.completion_tokens),
            history=[*messages, assistant, *results],
        )


class ResponsesClient:
    """openai-python's Responses."""

    FINISH = ("completed", "completed")
    MODEL = "gpt-test"
    KEY_HEADER = "authorization"

    def __init__(self, base_url: str, direct: bool) -> None:
        self.client = openai.OpenAI(base_url=base_url + "/v1", api_key=KEY, max_retries=0, timeout=SDK_SECONDS)
        self.first: list[Any] = [{"role": "user", "content": QUESTION}]

    def request(self, items: list[Any]) -> dict[str, Any]:
        tool = {
            "type": "function",
            "name": TOOL,
            "description": TOOL_DESCRIPTION,
            "parameters": SCHEMA,
            "strict": False,
        }
        return {
            "model": self.MODEL,
            "instructions": SYSTEM,
            "input": items,
            "tools": [tool],
            "max_output_tokens": MAX_TOKENS,
        }

    def stream(self, items: list[Any]) -> Got:
        with self.client.responses.stream(**self.request(items)) as stream:
            return self.read(stream.get_final_response(), items)

    def whole(self, items: list[Any]) -> Got:
        return self.read(self.client.responses.create(**self.request(items)), items)

    def read(self, response: Any, items: list[Any]) -> Got:
        text = ""
        calls = []
        for item in response.output:
            if item.type == "message":
                text += "".join(part.text for part in item.content if part.type == "output_text")
            elif item.type == "function_call":
                calls.append((item.call_id, item.name, parsed(item.arguments)))
        usage = response.usage
        results = [{"type": "function_call_output", "call_id": call[0], "output": RESULT} for call in calls]
        return Got(
            text=text,
            calls=calls,
            finish=response.status,
            usage=None if usage is None else (usage.input_tokens, usage.output_tokens),
            history=[
                *items,
                *(item.to_dict(mode="json", exclude_none=True) for item in response.output),
                *results,
            ],
        )


class AnthropicClient:
    """anthropic-python's Messages."""

    FINISH = ("tool_use", "end_turn")
    MODEL = "claude-test"
    # anthropic-python sends its api_key as `authorization: Bearer`.
    KEY_HEADER = "authorization"

    def __init__(self, base_url: str, direct: bool) -> None:
        self.client = anthropic.Anthropic(base_url=base_url, api_key=KEY, max_retries=0, timeout=SDK_SECONDS)
        # Through the gateway the translation asks for the input to stream;
        # straight at the mock the client does.
        self.tool: dict[str, Any] = {"name": TOOL, "description": TOOL_DESCRIPTION, "input_schema": SCHEMA}
        if direct:
            self.tool["eager_input_streaming"] = True
        self.first: list[Any] = [{"role": "user", "content": QUESTION}]
        self.version = str(self.client.default_headers["anthropic-version"])

    def request(self, messages: list[Any]) -> dict[str, Any]:
        return {
            "model": self.MODEL,
            "max_tokens": MAX_TOKENS,
            "system": SYSTEM,
            "messages": messages,
            "tools": [self.tool],
        }

    def stream(self, messages: list[Any]) -> Got:
        with self.client.messages.stream(**self.request(messages)) as stream:
            return self.read(stream.get_final_message(), messages)

    def whole(self, messages: list[Any]) -> Got:
        return self.read(self.client.messages.create(**self.request(messages)), messages)

    def read(self, message: Any, messages: list[Any]) -> Got:
        text = "".join(block.text for block in message.content if block.type == "text")
        uses = [block for block in message.content if block.type == "tool_use"]
        usage = message.usage
        assistant = {
            "role": "assistant",
            "content": [block.to_dict(exclude_none=True) for block in message.content],
        }
        results = {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": RESULT} for use in uses],
        }
        return Got(
            text=text,
            calls=[(use.id, use.name, use.input) for use in uses],
            finish=message.stop_reason,
            usage=None if usage is None else (usage.input_tokens, usage.output_tokens),
            history=[*messages, assistant, results],
        )


class GeminiClient:
    """google-genai's Gemini API client: streams on API version v1beta,
    and through the gateway the whole call on v1, so that both of the
    gateway's Gemini routes (`/v1beta/models/`, `/v1/models/`) are used
    (straight at the mock, v1beta alone: the upstream's path)."""

    FINISH = ("STOP", "STOP")
    MODEL = "gemini-test"
    KEY_HEADER = "x-goog-api-key"

    def __init__(self, base_url: str, direct: bool) -> None:
        def client(version: str) -> genai.Client:
            options = types.HttpOptions(base_url=base_url, api_version=version, timeout=SDK_SECONDS * 1000)
            return genai.Client(api_key=KEY, http_options=options)

        self.client = client("v1beta")
        self.whole_client = client("v1beta" if direct else "v1")
        # The schema as google-genai's users write it, types in capitals.
        properties = {
            name: types.Schema(type=types.Type.STRING, description=node["description"])
            for name, node in SCHEMA["properties"].items()
        }
        declaration = types.FunctionDeclaration(
            name=TOOL,
            description=TOOL_DESCRIPTION,
            parameters=types.Schema(type=types.Type.OBJECT, properties=properties, required=["city"]),
        )
        self.config = types.GenerateContentConfig(
            system_instruction=SYSTEM,
            tools=[types.Tool(function_declarations=[declaration])],
            max_output_tokens=MAX_TOKENS,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        self.first: list[Any] = [types.Content(role="user", parts=[types.Part(text=QUESTION)])]

    def stream(self, contents: list[Any]) -> Got:
        chunks = list(
            self.client.models.generate_content_stream(model=self.MODEL, contents=contents, config=self.config)
        )
        return self.read(chunks, contents)

    def whole(self, contents: list[Any]) -> Got:
        response = self.whole_client.models.generate_content(model=self.MODEL, contents=contents, config=self.config)
        return self.read([response], contents)

    def read(self, chunks: list[Any], contents: list[Any]) -> Got:
        """The chunks' text, calls, last finish and usage; the model's turn
        is every part in order, with neighbouring plain text parts joined."""
        parts: list[Any] = []
        calls: list[tuple[str | None, str, Any]] = []
        signatures: list[str | None] = []
        finish, usage = None, None
        for chunk in chunks:
            candidate = chunk.candidates[0] if chunk.candidates else None
            for part in (candidate.content.parts or []) if candidate and candidate.content else []:
                plain = part.text is not None and not part.thought and part.thought_signature is None
                if plain and parts and parts[-1].text is not None and not parts[-1].thought:
                    parts[-1] = types.Part(text=parts[-1].text + part.text)
                else:
                    parts.append(part)
                if part.function_call is not None:
                    call = part.function_call
                    calls.append((call.id, call.name or "", call.args))
                    signature = part.thought_signature
                    signatures.append(None if signature is None else base64.b64encode(signature).decode())
            if candidate is not None and candidate.finish_reason is not None:
                finish = getattr(candidate.finish_reason, "value", candidate.finish_reason)
            if chunk.usage_metadata is not None:
                counts = chunk.usage_metadata
                usage = (counts.prompt_token_count or 0, counts.candidates_token_count or 0)
        text = "".join(part.text for part in parts if part.text is not None and not part.thought)
        answers = [
            types.Part(function_response=types.FunctionResponse(id=call_id, name=name, response={"result": RESULT}))
            for call_id, name, _ in calls
        ]
        history = [
            *contents,
            types.Content(role="model", parts=parts),
            types.Content(role="user", parts=answers),
        ]
        return Got(text=text, calls=calls, finish=finish, usage=usage, history=history, signatures=signatures)


CLIENTS: dict[str, Callable[[str, bool], Client]] = {
    "openai-chat": ChatClient,
    "openai-responses": ResponsesClient,
    "anthropic": AnthropicClient,
    "gemini": GeminiClient,
}


def text_ok(text: str) -> bool:
    """Turn one's text: the upstream's, or with the call's target value the
    gateway streamed after it (spaces aside)."""
    words = TEXT.split()
    if text.split() == words:
        return True
    at = text.find(VALUE, text.find(TEXT) + 1) if TEXT in text else -1
    return at >= 0 and (text[:at] + text[at + len(VALUE) :]).split() == words


class Pair:
    """One upstream format and one client format, and the failures of its
    streamed turns and its whole call."""

    def __init__(self, upstream: str, client: str, direct: bool, key: str = KEY) -> None:
        self.upstream = upstream
        self.client = client
        self.direct = direct
        self.key = key
        self.failures: dict[str, list[str]] = {"stream": [], "whole": []}
        self.finishes: tuple[str, str] = ("", "")

    def fail(self, mode: str, step: str, message: str) -> None:
        self.failures[mode].append(f"{step}: {message}")

    def attempt(self, mode: str, step: str, call: Callable[[], Got]) -> Got | None:
        try:
            return call()
        except Exception as error:  # noqa: BLE001 (whatever the SDK raises is the finding)
            body = getattr(error, "body", None)
            said = f" body {json.dumps(body)[:300]}" if body is not None else ""
            self.fail(mode, step, f"the SDK raised {type(error).__name__}: {str(error)[:300]}{said}")
            return None

    def upstream_saw(self, mode: str, step: str, exchange: Exchange) -> None:
        if exchange.requests != 1:
            self.fail(mode, step, f"the upstream got {exchange.requests} requests, want 1")
        for finding in exchange.findings:
            self.fail(mode, step, f"the {self.upstream} upstream saw {finding}")
        fmt = PROTOCOLS.get(self.upstream)
        if self.direct and exchange.stream and fmt is not None:
            try:
                fmt.protocol(sse_events(b"".join(exchange.streamed)))
            except Failure as failure:
                self.fail(mode, step, f"the mock's own stream breaks {self.upstream}'s rules: {failure}")

    def check(self, mode: str, step: str, got: Got, turn: int, stream: bool) -> None:
        """The SDK's final object against what the upstream answered."""
        finish = self.finishes[turn - 1]
        usage = USAGE_ONE if turn == 1 else USAGE_TWO
        if turn == 1:
            if not text_ok(got.text):
                self.fail(
                    mode,
                    step,
                    f"text {got.text!r}, want {TEXT!r} (and the value {VALUE!r} after it, streamed)",
                )
            want_id = upstream_call_id(self.upstream, stream)
            ids = (want_id, None) if self.client == "gemini" else (want_id,)
            if len(got.calls) != 1:
                self.fail(mode, step, f"calls {got.calls!r}, want one {TOOL} call")
            else:
                call_id, name, arguments = got.calls[0]
                if call_id not in ids:
                    self.fail(mode, step, f"call id {call_id!r}, want {want_id!r}")
                if name != TOOL:
                    self.fail(mode, step, f"call name {name!r}, want {TOOL!r}")
                if arguments != ARGUMENTS:
                    self.fail(mode, step, f"call arguments {arguments!r}, want {ARGUMENTS!r}")
            # A Gemini client of a Gemini model must be able to send the
            # call's thought signature back (Gemini 3 rejects a call without).
            if (self.upstream, self.client) == ("gemini", "gemini") and got.signatures != [SIGNATURE]:
                self.fail(mode, step, f"the call part's thoughtSignature {got.signatures!r}, want [{SIGNATURE!r}]")
        else:
            if got.text != ANSWER:
                self.fail(mode, step, f"text {got.text!r}, want {ANSWER!r}")
            if got.calls:
                self.fail(mode, step, f"calls {got.calls!r}, want none")
        if got.finish != finish:
            self.fail(mode, step, f"finish {got.finish!r}, want {finish!r}")
        if got.usage != usage:
            self.fail(mode, step, f"usage {got.usage!r}, want (prompt, completion) {usage!r}")

    def run(self, mock: Mock, base_url: str) -> None:
        client = CLIENTS[self.client](base_url, self.direct)
        self.finishes = client.FINISH
        model = client.MODEL if self.direct else UPSTREAM_MODEL
        key_header = client.KEY_HEADER if self.direct else KEY_HEADERS[self.upstream]

        # anthropic-python names its own version; the others none.
        version = getattr(client, "version", ANTHROPIC_VERSION)

        def exchange(turn: int, stream: bool) -> Exchange:
            return mock.expect(Exchange(turn, stream, model, self.client, key_header, version, self.key))

        with warnings.catch_warnings():
            # An SDK's warning on an unknown field or word; its values are checked.
            warnings.simplefilter("ignore")
            one_exchange = exchange(1, True)
            one = self.attempt("stream", "turn one", lambda: client.stream(client.first))
            self.upstream_saw("stream", "turn one", one_exchange)
            if one is not None:
                self.check("stream", "turn one", one, 1, True)
            if one is None or not one.calls:
                self.fail("stream", "turn two", "not run: turn one gave the client no call to answer")
            else:
                two_exchange = exchange(2, True)
                two = self.attempt("stream", "turn two", lambda: client.stream(one.history))
                self.upstream_saw("stream", "turn two", two_exchange)
                if two is not None:
                    self.check("stream", "turn two", two, 2, True)
            whole_exchange = exchange(1, False)
            whole = self.attempt("whole", "whole", lambda: client.whole(client.first))
            self.upstream_saw("whole", "whole", whole_exchange)
            if whole is not None:
                self.check("whole", "whole", whole, 1, False)

    def check_log(self, gateway: Gateway) -> None:
        """The gateway's log holds no key and no body (a request's text),
        and a line for each of the three requests naming the client and
        upstream formats and no translation warning (the conversation has
        nothing any format cannot carry)."""
        gateway.log.seek(0)
        log = gateway.log.read().decode(errors="replace")
        secrets = [(KEY, "the client's key"), (self.key, "the gateway's own key")]
        secrets += [(QUESTION, "a request body's text"), (RESULT, "a tool result")]
        for secret, what in secrets:
            if secret in log:
                self.fail("stream", "gateway log", f"it holds {what}")
        lines = [line for line in log.splitlines() if f"client_format={self.client} " in line]
        named = [line for line in lines if f"upstream_format={self.upstream} " in line and " warnings=0 " in line]
        if len(lines) != 3 or len(named) != 3:
            want = f"client_format={self.client} upstream_format={self.upstream} warnings=0"
            self.fail("stream", "gateway log", f"{len(named)} of {len(lines)} request lines say {want}, want 3 of 3")

    def report(self) -> None:
        own = ", the gateway's own key" if self.key != KEY else ""
        for mode, failures in self.failures.items():
            for failure in failures:
                print(f"FAIL upstream {self.upstream} <- client {self.client} ({mode}{own}) {failure}")

    def cell(self) -> str:
        return " ".join(f"{'ok' if not self.failures[mode] else 'FAIL':6}" for mode in ("stream", "whole"))


def table(pairs: dict[tuple[str, str], Pair], clients: list[str], upstreams: list[str]) -> None:
    width = 18
    print(f"{'client ->':{width}}" + "".join(f"{c:{width}}" for c in clients))
    print(f"{'upstream':{width}}" + f"{'stream whole':{width}}" * len(clients))
    for upstream in upstreams:
        cells = [pairs[upstream, c].cell() if (upstream, c) in pairs else "-" for c in clients]
        print(f"{upstream:{width}}" + "".join(f"{cell:{width}}" for cell in cells))


def direct_check() -> bool:
    """Each SDK straight at the mock of its own format: whether every mock
    passes."""
    ok = True
    for fmt in FORMATS:
        mock = Mock(fmt)
        try:
            pair = Pair(fmt, fmt, direct=True)
            pair.run(mock, mock.base_url)
        finally:
            mock.close()
        pair.report()
        failed = any(pair.failures.values())
        ok = ok and not failed
        print(f"mock {fmt:17} read by its own SDK: {'FAIL' if failed else 'ok'}")
    return ok


def has_translation(binary: str) -> bool:
    done = subprocess.run([binary, "--help"], capture_output=True, check=False, timeout=START_SECONDS)
    return b"--upstream-format" in done.stdout + done.stderr


def main(argv: list[str]) -> int:
    only: list[tuple[str, str]] = []
    args = list(argv)
    while len(args) >= 2 and args[0] == "--only":
        upstream, _, client = args[1].partition(":")
        if upstream not in FORMATS or client not in FORMATS:
            print(f"--only {args[1]!r}: want UPSTREAM:CLIENT, each one of {', '.join(FORMATS)}")
            return 2
        only.append((upstream, client))
        args = args[2:]
    if args == ["--direct"] and not only:
        return 0 if direct_check() else 1
    if len(args) != 1 or args[0].startswith("-"):
        print(__doc__)
        return 2
    binary = args[0]
    # A timeout's SIGTERM unwinds through the `finally`s that stop the
    # gateways and the mocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    if not direct_check():
        print("the mocks fail their own SDKs: the mock is at fault, not the gateway")
        return 1
    if not has_translation(binary):
        print(f"{binary} has no --upstream-format: it does not translate requests")
        return 1
    wanted = only or [(u, c) for u in FORMATS for c in FORMATS]
    pairs: dict[tuple[str, str], Pair] = {}
    own_keys: list[Pair] = []
    os.environ[OWN_KEY_ENV] = OWN_KEY
    for number, upstream in enumerate(FORMATS):
        clients = [c for u, c in wanted if u == upstream]
        if not clients:
            continue
        mock = Mock(upstream)
        try:
            for client in clients:
                pairs[upstream, client] = through_gateway(binary, mock, Pair(upstream, client, direct=False))
            if not only:
                # Each client once, toward an upstream of another format.
                client = FORMATS[(number + 1) % len(FORMATS)]
                pair = Pair(upstream, client, direct=False, key=OWN_KEY)
                own_keys.append(through_gateway(binary, mock, pair, ["--upstream-key-env", OWN_KEY_ENV]))
        finally:
            mock.close()
    print()
    table(pairs, list(FORMATS), list(FORMATS))
    for pair in own_keys:
        print(f"--upstream-key-env: upstream {pair.upstream:17} client {pair.client:17} {pair.cell()}")
    everything = [*pairs.values(), *own_keys]
    checks = 2 * len(everything)
    passed = sum(not failures for pair in everything for failures in pair.failures.values())
    print(f"checks through the gateway: {passed} of {checks} ok in {time.monotonic() - started:.0f}s")
    return 0 if passed == checks else 1


def through_gateway(binary: str, mock: Mock, pair: Pair, flags: tuple[str, ...] | list[str] = ()) -> Pair:
    """Runs `pair` through a gateway of its own in front of `mock`, and
    prints its failures with the gateway's log."""
    flags = ["--upstream", mock.base_url, "--upstream-format", pair.upstream, *flags]
    flags += ["--upstream-model", UPSTREAM_MODEL, "--tool-calls", "forward"]
    try:
        gateway = Gateway(binary, flags)
    except Failure as failure:
        pair.fail("stream", "start", str(failure))
        pair.fail("whole", "start", str(failure))
        pair.report()
        return pair
    try:
        pair.run(mock, gateway.base_url)
        pair.check_log(gateway)
        log = gateway.log_tail() if any(pair.failures.values()) else ""
    finally:
        gateway.close()
    pair.report()
    if log:
        print(f"  gateway log: {log.strip()[-600:]}")
    return pair


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
