"""anthropic-python reads the relay's Anthropic Messages output.

`client.messages.stream(...)` and `get_final_message()`: the SDK builds the
message from `message_start` and applies every block event by its `index`
(so indexes must be 0, 1, 2 ... in start order), parses each `tool_use`
block's `input_json_delta` fragments with jiter in partial mode (so a
truncated input would pass unseen: the input is compared with the call's
arguments), takes the stop reason and the output tokens from
`message_delta`, skips events without an `event:` line, and raises an
`APIStatusError` on `event: error`.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
from anthropic._models import construct_type_unchecked
from anthropic.lib.streaming._messages import accumulate_event, build_events
from anthropic.types import ErrorResponse, RawMessageStreamEvent

from harness import Failure, Read, SseEvent, Usage, models_by_type, sdk_clients, strict_validation

NAME = "anthropic"
MODELS = models_by_type(RawMessageStreamEvent)
DELTA_BLOCKS = {
    "text_delta": ("text",),
    "citations_delta": ("text",),
    "input_json_delta": ("tool_use", "server_tool_use"),
    "thinking_delta": ("thinking",),
    "signature_delta": ("thinking",),
}
REQUEST: dict[str, Any] = {"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
STOP_REASONS = {"length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}


def finish_words(finish: str | None) -> tuple[str | None, ...]:
    """Anthropic's stop reason for an OpenAI finish reason: a plain stop is
    `end_turn` or, from an Anthropic upstream, `stop_sequence`; a
    provider's own word reads as a plain end of turn."""
    if finish is None:
        return (None,)
    return (STOP_REASONS[finish],) if finish in STOP_REASONS else ("end_turn", "stop_sequence")


def is_error(error: Exception) -> bool:
    return isinstance(error, anthropic.APIStatusError)


def model_for(data: Any) -> type | None:
    kind = str(data.get("type")) if isinstance(data, dict) else ""
    return ErrorResponse if kind == "error" else MODELS.get(kind)


def protocol(events: list[SseEvent]) -> None:
    """The rules of Anthropic's stream that the SDK relies on or that the
    API keeps: every event named by its type, `message_start` first, blocks
    started in index order, each delta of its block's kind and each block
    stopped once, a `tool_use` block starting with input `{}` and its
    fragments one JSON document, one `message_delta` after the blocks, and
    `message_stop` (or an error) last."""
    started: dict[int, str | None] = {}
    stopped: set[int] = set()
    fragments: dict[int, str] = {}
    seen_start = seen_delta = ended = False
    for event in events:
        data = event.json()
        kind = data.get("type")
        if ended:
            raise Failure(f"{kind} after the end of the stream", at=event.at)
        if event.event != kind:
            raise Failure(f"event name {event.event!r} for a {kind!r} event", at=event.at)
        if kind == "ping":
            continue
        if kind == "error":
            ended = True
            continue
        if not seen_start and kind != "message_start":
            raise Failure(f"{kind} before message_start", at=event.at)
        if kind == "message_start":
            if seen_start:
                raise Failure("a second message_start", at=event.at)
            seen_start = True
        elif kind == "content_block_start":
            index, block = data.get("index"), data.get("content_block") or {}
            if seen_delta:
                raise Failure("a block started after message_delta", at=event.at)
            if index != len(started):
                raise Failure(f"block index {index}, want {len(started)} (start order)", at=event.at)
            started[index] = block.get("type")
            if block.get("type") == "tool_use" and block.get("input") != {}:
                raise Failure(f"tool_use block starts with input {block.get('input')!r}", at=event.at)
        elif kind in ("content_block_delta", "content_block_stop"):
            index = data.get("index")
            if index not in started or index in stopped:
                raise Failure(f"{kind} for block {index}, which is not open", at=event.at)
            if kind == "content_block_stop":
                stopped.add(index)
                continue
            delta = data.get("delta") or {}
            if started[index] not in DELTA_BLOCKS.get(str(delta.get("type")), ()):
                raise Failure(f"{delta.get('type')} in a {started[index]} block", at=event.at)
            if delta.get("type") == "input_json_delta":
                fragments[index] = fragments.get(index, "") + delta.get("partial_json", "")
        elif kind == "message_delta":
            if seen_delta:
                raise Failure("a second message_delta", at=event.at)
            if set(started) != stopped:
                raise Failure(f"message_delta with blocks {sorted(set(started) - stopped)} open", at=event.at)
            seen_delta = True
        elif kind == "message_stop":
            if not seen_delta:
                raise Failure("message_stop without message_delta", at=event.at)
            ended = True
    for index, text in fragments.items():
        problem = json_problem(text)
        if problem is not None:
            raise Failure(f"block {index}'s input is not one JSON document ({problem}): {text!r:.200}")
    if not ended:
        raise Failure("the stream ends without message_stop or an error event")


def json_problem(text: str) -> str | None:
    """Why a tool_use block's fragments are not its input: they must be
    one JSON document, or the start of one when upstream's arguments were
    cut (the SDK's partial parser reads as far as they go). None is input
    `{}`."""
    if not text:
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg.startswith("Unterminated string") or error.pos >= len(text):
            return None
        return str(error)
    return None


def locate(events: list[SseEvent]) -> int | None:
    """The event at which the SDK's accumulator breaks, replayed event by
    event as `MessageStream` does."""
    snapshot = None
    bufs: dict[int, bytes] = {}
    for event in events:
        if event.event in (None, "ping", "error"):
            continue
        data = event.json()
        if snapshot is None and data.get("type") != "message_start":
            continue
        try:
            typed: Any = construct_type_unchecked(type_=RawMessageStreamEvent, value=data)  # type: ignore[arg-type]
            snapshot = accumulate_event(event=typed, current_snapshot=snapshot, json_bufs=bufs)
            build_events(event=typed, message_snapshot=snapshot)
        except Exception:  # noqa: BLE001 (the event the SDK failed on is what we want)
            return event.at
    return events[0].at if snapshot is None and events else None


class Sdk:
    """anthropic-python against the local server: as a client runs it, and
    with its strict response validation."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.client, self.strict = sdk_clients(anthropic.Anthropic, server.base_url)

    def read(self, out: bytes) -> Read:
        self.server.serve(out)
        with self.client.messages.stream(**REQUEST) as stream:
            message = stream.get_final_message()
        text = "".join(block.text for block in message.content if block.type == "text")
        thinking = "".join(block.thinking for block in message.content if block.type == "thinking")
        calls = [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]
        usage = message.usage
        prompt = (
            usage.input_tokens
            + (usage.cache_read_input_tokens or 0)
            + (usage.cache_creation_input_tokens or 0)
        )
        return Read(
            text=text,
            refusal="",
            calls=calls,
            finish=message.stop_reason,
            usage=Usage(prompt, usage.output_tokens, None),
            reasoning=thinking,
        )

    def validate(self, out: bytes, events: list[SseEvent]) -> None:
        def open_stream() -> Any:
            return self.strict.messages.create(**REQUEST, stream=True)

        strict_validation(
            self.server, out, events, open_stream, anthropic.APIResponseValidationError, model_for
        )
