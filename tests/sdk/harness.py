"""What the official-SDK checks share.

Running the relay example on one upstream stream, serving its output to an
SDK from 127.0.0.1, the SSE events of a body with their byte offsets, what a
final object must hold (from the relay's summary and its chat output), and
the comparison of what an SDK read with it. One module a downstream format
(check_chat, check_anthropic, check_responses) turns its SDK's final object
into a `Read`; everything else lives here.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import jiter
import pydantic

RELAY_SECONDS = 20
SUFFIXES = (".sse", ".eventstream")

# A corpus folder of /work/shared/data/streams and the relay's --from name.
CORPUS_FORMATS = {
    "openai-compatible": "openai-chat",
    "anthropic": "anthropic",
    "openai-responses": "openai-responses",
    "gemini": "gemini",
    "bedrock": "bedrock",
}


class Failure(Exception):
    """A disagreement with what the stream must read as.

    `at` is the byte offset in the relay's output of the event at fault,
    when one is.
    """

    def __init__(self, message: str, at: int | None = None) -> None:
        super().__init__(message)
        self.at = at


@dataclass(frozen=True)
class Variant:
    """How the relay is asked to treat calls and values."""

    calls: str
    values: bool

    def flags(self) -> list[str]:
        return ["--tool-calls", self.calls] + ([] if self.values else ["--no-values"])

    def __str__(self) -> str:
        return " ".join(self.flags())


VARIANTS = [Variant(calls, values) for values in (True, False) for calls in ("hide", "forward")]


@dataclass
class Run:
    """One relay run: its output and its summary line."""

    out: bytes
    summary: dict[str, Any]


class Relay:
    """The relay example's binary."""

    def __init__(self, binary: str) -> None:
        self.binary = binary

    def accepts(self, *flags: str) -> bool:
        """Whether the binary knows these flags (it exits 2 on a bad one)."""
        done = subprocess.run(
            [self.binary, *flags],
            input=b"",
            capture_output=True,
            check=False,
            timeout=RELAY_SECONDS,
        )
        return done.returncode != 2

    def run(self, path: Path, source: str | None, to: str, variant: Variant) -> Run:
        args = [self.binary, "--key", "pre_exec_msg", *variant.flags(), "--summary"]
        if to != "openai-chat":
            # Chat is the default: left unsaid, it runs on a relay without --to.
            args += ["--to", to]
        if source is not None:
            args += ["--from", source]
        try:
            done = subprocess.run([*args, str(path)], capture_output=True, check=False, timeout=RELAY_SECONDS)
        except subprocess.TimeoutExpired:
            raise Failure(f"the relay took more than {RELAY_SECONDS}s") from None
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        if done.returncode != 0 or not lines:
            raise Failure(f"the relay exited {done.returncode}: {' | '.join(lines)[-500:]}")
        return Run(done.stdout, json.loads(lines[-1]))


def inputs(relay: Relay | None, targets: list[str]) -> tuple[list[tuple[Path, str | None]], list[str]]:
    """The streams to check, each with the relay's --from for it.

    A folder named after a corpus is read in that format; one the relay
    binary does not read (--from rejected) is skipped with a note, never
    silently. Any other folder's streams are detected by the relay.
    """
    streams: list[tuple[Path, str | None]] = []
    notes = []
    for target in map(Path, targets):
        if not target.is_dir():
            streams.append((target, None))
            continue
        files = sorted(p for p in target.iterdir() if p.suffix in SUFFIXES)
        source = CORPUS_FORMATS.get(target.name)
        if source is not None and relay is not None and not relay.accepts("--from", source):
            notes.append(f"skipped {len(files)} streams of {target}: the relay does not read {source}")
            continue
        streams.extend((path, source) for path in files)
    return streams, notes


class Server:
    """A local HTTP server that answers every POST with the queued body."""

    def __init__(self) -> None:
        body = {"next": b""}

        class Upstream(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(body["next"])))
                self.end_headers()
                self.wfile.write(body["next"])

            def log_message(self, *args: object) -> None:
                pass

        self.body = body
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        self.base_url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def serve(self, out: bytes) -> None:
        self.body["next"] = out

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@dataclass
class SseEvent:
    """One server-sent event: its `event:` field (None when absent), its
    data, and the byte offset where its first line starts."""

    event: str | None
    data: str
    at: int

    def json(self) -> Any:
        """The data as JSON; a Failure naming the event when it is not."""
        try:
            return json.loads(self.data)
        except ValueError as error:
            raise Failure(f"event data is not JSON ({error})", at=self.at) from None


def sse_events(body: bytes) -> list[SseEvent]:
    """The events of an SSE body, by the WHATWG rules (comments skipped)."""
    events = []
    name: str | None = None
    data: list[str] | None = None
    start = None
    at = 0
    for line in body.splitlines(keepends=True):
        here, at = at, at + len(line)
        text = line.rstrip(b"\r\n").decode("utf-8", errors="replace")
        if not text:
            if data is not None:
                events.append(SseEvent(name, "\n".join(data), start or 0))
            name, data, start = None, None, None
            continue
        if text.startswith(":"):
            continue
        key, _, value = text.partition(":")
        value = value.removeprefix(" ")
        if start is None:
            start = here
        if key == "event":
            name = value
        elif key == "data":
            data = (data or []) + [value]
    # An event the body ends inside, before its blank line, is never
    # dispatched: the SDKs drop it too.
    return events


def excerpt(out: bytes, at: int | None, limit: int = 400) -> str:
    """The bytes of the event at `at` (and a little after), for a report."""
    if at is None:
        return ""
    ends = [found for found in (out.find(b"\n\n", at), out.find(b"\r\n\r\n", at)) if found >= 0]
    end = min(ends, default=len(out))
    piece = out[at : min(end, at + limit)]
    return piece.decode("utf-8", errors="replace") + (" ..." if end > at + limit else "")


@dataclass
class Usage:
    """Token counts in OpenAI chat's words."""

    prompt: int
    completion: int
    total: int | None


@dataclass
class Expected:
    """What the final object of one relayed stream must hold.

    `text` is the answer text with the target values (unless the relay was
    told --no-values); `calls` holds the forwarded calls as (id, name,
    arguments) and is empty when calls are hidden; `finish` is in OpenAI
    chat's words, a tool-calls finish read as `stop` when calls are hidden;
    `error` says the SDK must raise (upstream reported an error, or the
    stream was cut off).
    """

    text: str
    refusal: str = ""
    reasoning: str | None = None
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    finish: str | None = "stop"
    usage: Usage | None = None
    error: bool = False

    @staticmethod
    def from_json(value: dict[str, Any]) -> Expected:
        """An expectation written by hand (a sample's `: expect` line)."""
        usage = value.get("usage")
        return Expected(
            text=value.get("text", ""),
            refusal=value.get("refusal", ""),
            reasoning=value.get("reasoning"),
            calls=[tuple(call) for call in value.get("calls", [])],  # type: ignore[misc]
            finish=value.get("finish", "stop"),
            usage=Usage(*usage) if usage is not None else None,
            error=value.get("error", False),
        )


@dataclass
class ChatChoice:
    """One choice as the relay's chat chunks wrote it."""

    content: str = ""
    refusal: str = ""
    reasoning: str = ""
    finishes: list[str] = field(default_factory=list)


def chat_choices(out: bytes) -> tuple[dict[int, ChatChoice], Usage | None]:
    """The choices of chat chunks, delta by delta, and the last usage."""
    choices: dict[int, ChatChoice] = {}
    usage = None
    for event in sse_events(out):
        if not event.data.startswith("{"):
            continue
        chunk = event.json()
        for choice in chunk.get("choices") or []:
            kept = choices.setdefault(choice.get("index", 0), ChatChoice())
            delta = choice.get("delta") or {}
            kept.content += delta.get("content") or ""
            kept.refusal += delta.get("refusal") or ""
            # A chunk forwarded as it came names reasoning as its provider
            # does; check_chat's protocol holds a choice to one name.
            kept.reasoning += delta.get("reasoning_content") or delta.get("reasoning") or ""
            if choice.get("finish_reason"):
                kept.finishes.append(choice["finish_reason"])
        if chunk.get("usage"):
            counts = chunk["usage"]
            usage = Usage(
                counts.get("prompt_tokens", 0),
                counts.get("completion_tokens", 0),
                counts.get("total_tokens"),
            )
    return choices, usage


def target_values(summary: dict[str, Any], key: str = "pre_exec_msg") -> list[str]:
    """Each call's target value, when its arguments hold a string there."""
    values = []
    for call in summary["tool_calls"]:
        try:
            value = json.loads(call["arguments"]).get(key)
        except (ValueError, AttributeError):
            continue
        if isinstance(value, str):
            values.append(value)
    return values


def is_subsequence(part: str, whole: str) -> bool:
    rest = iter(whole)
    return all(char in rest for char in part)


def expect(summary: dict[str, Any], chat_out: bytes, variant: Variant) -> Expected:
    """What the final object must hold, from the relay's summary and its
    chat output for the same stream and variant (the reference for the
    target values' text, the refusal, the reasoning and the merged usage,
    which the summary does not carry). Describes choice 0."""
    choices, usage = chat_choices(chat_out)
    first = choices.get(0, ChatChoice())
    finish = summary["finish_reason"]
    if variant.calls == "hide" and finish == "tool_calls":
        finish = "stop"
    return Expected(
        text=first.content if variant.values else summary["content"],
        refusal=first.refusal,
        reasoning=first.reasoning,
        calls=[(c["id"], c["name"], c["arguments"]) for c in summary["tool_calls"]]
        if variant.calls == "forward"
        else [],
        finish=finish,
        usage=usage if summary["usage"] is not None else None,
        error=summary["error"] is not None,
    )


def check_reference(summary: dict[str, Any], chat_out: bytes, variant: Variant) -> None:
    """The chat output holds the summary's answer text and every call's
    target value (the values only when they are streamed)."""
    content = chat_choices(chat_out)[0].get(0, ChatChoice()).content
    if not variant.values:
        if content != summary["content"]:
            raise Failure(f"content {content!r}, want the summary's {summary['content']!r}")
        return
    if not is_subsequence(summary["content"], content):
        raise Failure(f"content {content!r} lacks the summary's {summary['content']!r}")
    for value in target_values(summary):
        if value not in content:
            raise Failure(f"target value {value!r} missing from content {content!r}")


@dataclass
class Read:
    """What an SDK's final object holds, in one shape for every format.

    `calls` holds (id, name, arguments): a string where the format carries
    the arguments as text, the parsed object where the SDK parses them.
    `finish` is in the format's own words; `reasoning` is None where it is
    not compared.
    """

    text: str
    refusal: str
    calls: list[tuple[str, str, Any]]
    finish: str | None
    usage: Usage | None
    reasoning: str | None = None


def parsed_arguments(arguments: str) -> Any:
    """A call's arguments as an SDK that parses them reads them: `{}` when
    empty, and a cut document as far as it goes (jiter's partial mode, as
    anthropic-python's accumulator does)."""
    if not arguments:
        return {}
    try:
        return jiter.from_json(arguments.encode(), partial_mode=True)
    except ValueError:
        return arguments


def same_arguments(got: Any, arguments: str) -> bool:
    """Whether an SDK's arguments are the summary's: the same text where
    the format carries text (`{}` for none), the same object where the SDK
    parses them."""
    if isinstance(got, str):
        return got == arguments or (not arguments and got == "{}")
    return bool(got == parsed_arguments(arguments))


def compare(
    read: Read, expected: Expected, finish_words: Callable[[str | None], tuple[str | None, ...]]
) -> None:
    """Raises a Failure naming the first field where `read` disagrees."""
    texts = [expected.text]
    if expected.refusal and read.refusal != expected.refusal:
        # A format without refusal parts may carry a refusal as text.
        texts.append(expected.text + expected.refusal)
    elif read.refusal != expected.refusal:
        raise Failure(f"refusal {read.refusal!r}, want {expected.refusal!r}")
    if read.text not in texts:
        raise Failure(f"text {read.text!r}, want {expected.text!r}")
    if None not in (read.reasoning, expected.reasoning) and read.reasoning != expected.reasoning:
        raise Failure(f"reasoning {read.reasoning!r}, want {expected.reasoning!r}")
    if len(read.calls) != len(expected.calls) or not all(
        (got_id, got_name) == (call_id, name) and same_arguments(got_arguments, arguments)
        for (got_id, got_name, got_arguments), (call_id, name, arguments) in zip(read.calls, expected.calls)
    ):
        raise Failure(f"calls {read.calls!r}, want {expected.calls!r}")
    want = finish_words(expected.finish)
    if read.finish not in want:
        raise Failure(
            f"finish {read.finish!r}, want {' or '.join(map(repr, want))} (upstream {expected.finish!r})"
        )
    if expected.usage is not None:
        if read.usage is None:
            raise Failure(f"usage lost, want {expected.usage}")
        got, want_usage = read.usage, expected.usage
        if (got.prompt, got.completion) != (want_usage.prompt, want_usage.completion) or (
            got.total is not None and want_usage.total is not None and got.total != want_usage.total
        ):
            raise Failure(f"usage {got}, want {want_usage}")


def models_by_type(union: Any) -> dict[str, type]:
    """The SDK's event models of a union, by their `type` literal."""
    if get_origin(union) is Annotated:
        union = get_args(union)[0]
    by_type = {}
    for model in get_args(union):
        for name in get_args(model.model_fields["type"].annotation):
            by_type[name] = model
    return by_type


def explain(model: type | None, data: Any) -> str:
    """Why the SDK's typed model rejects `data`, in a line."""
    kind = data.get("type") if isinstance(data, dict) else None
    if model is None:
        return f"event type {kind!r} is not one the SDK knows"
    try:
        model.model_validate(data)  # type: ignore[attr-defined]
    except pydantic.ValidationError as error:
        reasons = [
            f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r:.60})"
            for e in error.errors()[:3]
        ]
        return f"{model.__name__} rejects it: " + "; ".join(reasons)
    return f"{model.__name__} accepts it, the SDK's union does not"


def json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def sdk_clients(make: Callable[..., Any], base_url: str) -> tuple[Any, Any]:
    """An SDK's client as a user makes it, and one with the SDK's strict
    response validation (every event parsed by its typed models)."""
    options: dict[str, Any] = {"base_url": base_url, "api_key": "not-a-key", "max_retries": 0, "timeout": 30}
    return make(**options), make(**options, _strict_response_validation=True)


def strict_validation(
    server: Server,
    out: bytes,
    events: list[SseEvent],
    open_stream: Callable[[], Iterable[Any]],
    rejected: type[Exception],
    model_for: Callable[[Any], type | None],
) -> None:
    """Reads `out` through a strict client's raw event stream, and raises a
    Failure naming the first event its typed models reject.

    Anything else the SDK raises is left to the plain read, which reports
    it."""
    try:
        server.serve(out)
        for _ in open_stream():
            pass
    except rejected as error:
        body = getattr(error, "body", None)
        at = next((e.at for e in events if json_or_none(e.data) == body), None)
        reason = explain(model_for(body), body)
        raise Failure(f"the SDK's strict validation rejects an event: {reason}", at=at) from None
    except Exception:  # noqa: BLE001, S110 (the plain read reports the SDK's errors)
        pass


def check_output(fmt: Any, sdk: Any, out: bytes, expected: Expected) -> tuple[str, list[Failure]]:
    """Checks one relayed output: the format's rules, the SDK's strict
    validation, then the SDK's own reading against `expected`.

    `fmt` is a format's check module: `protocol(events)` and
    `locate(events)` (the byte offset of the event its SDK breaks on),
    `is_error(exception)` (the SDK's report of an upstream error),
    `finish_words(finish)` (the format's words for an OpenAI finish);
    `sdk` its `Sdk`: `read(out)` (a `Read` of the SDK's final object) and
    `validate(out, events)` (the SDK's strict validation).

    Returns `ok`, `error` (the SDK raised on a stream that ended in an
    error, as it must) or `fail`, with every failure found."""
    events = sse_events(out)
    failures = []
    for step in (lambda: fmt.protocol(events), lambda: sdk.validate(out, events)):
        try:
            step()
        except Failure as failure:
            failures.append(failure)
    try:
        read = sdk.read(out)
    except Failure as failure:
        failures.append(failure)
        return "fail", failures
    except Exception as error:  # noqa: BLE001 (whatever the SDK raises is the finding)
        if expected.error and fmt.is_error(error):
            return ("fail" if failures else "error"), failures
        failures.append(
            Failure(f"the SDK raised {type(error).__name__}: {error}"[:600], at=fmt.locate(events))
        )
        return "fail", failures
    if expected.error:
        failures.append(Failure("the SDK read the stream to its end, but upstream ended in an error"))
    else:
        try:
            compare(read, expected, fmt.finish_words)
        except Failure as failure:
            failures.append(failure)
    return ("fail" if failures else "ok"), failures


def upstream_truth(path: Path) -> dict[str, Any] | None:
    """What a hand-made upstream stream holds, from its `: truth {...}`
    comment line (content, finish_reason, calls by name, error, and the
    number of chat choices), or None for a recorded stream."""
    with path.open("rb") as file:
        first = file.readline()
    if not first.startswith(b": truth "):
        return None
    return json.loads(first[len(b": truth ") :])


def check_truth(truth: dict[str, Any], summary: dict[str, Any], chat_out: bytes) -> None:
    """The relay's summary and chat output say what the upstream held."""
    said = {
        "content": summary["content"],
        "finish_reason": summary["finish_reason"],
        "calls": [call["name"] for call in summary["tool_calls"]],
        "error": summary["error"] is not None,
        "choices": len(chat_choices(chat_out)[0]),
    }
    wrong = [f"{key} {said[key]!r}, not {value!r}" for key, value in truth.items() if said[key] != value]
    if wrong:
        raise Failure(f"the relay misreads the upstream: {'; '.join(wrong)}")
