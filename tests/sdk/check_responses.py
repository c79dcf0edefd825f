"""openai-python reads the relay's OpenAI Responses output.

`client.responses.stream(...)` and `get_final_response()`: the SDK's stream
state wants `response.created` first, an output item added before any event
about it (by `output_index`), a content part added before its text deltas,
and the same response id in every lifecycle event and the same item
identities in `output_item.done` and `response.completed`. It takes the
final response from `response.completed` itself, not from the deltas, so
the checks here hold that object to what the deltas built. With no
`response.completed` (an incomplete, failed or errored response)
`get_final_response()` raises; an incomplete response is then read from
the `response.incomplete` event the stream yields.
"""

from __future__ import annotations

from typing import Any

import openai
from openai._models import construct_type_unchecked
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import ResponseStreamEvent

from harness import Failure, Read, SseEvent, Usage, models_by_type, sdk_clients, strict_validation

NAME = "openai-responses"
MODELS = models_by_type(ResponseStreamEvent)
REQUEST: dict[str, Any] = {"model": "m", "input": "hi"}
ENDS = ("response.completed", "response.incomplete", "response.failed", "error")
INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


class StreamFailed(Exception):
    """The stream ended in `response.failed` or `error`, and the SDK's
    `get_final_response()` raised for it."""


def finish_words(finish: str | None) -> tuple[str | None, ...]:
    """The response's status (and the reason of an incomplete one)."""
    if finish is None:
        return (None,)
    reason = INCOMPLETE.get(finish)
    return ("completed",) if reason is None else (f"incomplete:{reason}",)


def is_error(error: Exception) -> bool:
    return isinstance(error, (StreamFailed, openai.APIError))


def model_for(data: Any) -> type | None:
    return MODELS.get(str(data.get("type"))) if isinstance(data, dict) else None


class Item:
    """One output item as the deltas built it."""

    def __init__(self, added: dict[str, Any]) -> None:
        self.added = added
        self.parts: list[dict[str, Any]] = []
        self.texts: list[str] = []
        self.arguments = ""
        self.summaries: dict[int, str] = {}
        self.done: dict[str, Any] | None = None

    def agrees(self, item: dict[str, Any]) -> str | None:
        """Why `item` (a finished item) disagrees with the deltas, if it does."""
        kind = self.added.get("type")
        for key in ("type", "id", "call_id", "name"):
            if key in self.added and item.get(key) != self.added.get(key):
                return f"{key} {item.get(key)!r}, added as {self.added.get(key)!r}"
        if kind == "message":
            got = [part.get("text", part.get("refusal")) for part in item.get("content") or []]
            if got != self.texts:
                return f"content {got!r}, the deltas gave {self.texts!r}"
        if kind == "function_call" and item.get("arguments") != self.arguments:
            return f"arguments {item.get('arguments')!r}, the deltas gave {self.arguments!r}"
        if kind == "reasoning":
            got = [part.get("text") for part in item.get("summary") or []]
            want = [self.summaries[i] for i in sorted(self.summaries)]
            if got != want:
                return f"summary {got!r}, the deltas gave {want!r}"
        return None


def protocol(events: list[SseEvent]) -> None:
    """The rules of the Responses stream: every event named by its type and
    numbered from 0, `response.created` then `response.in_progress`, items
    added in `output_index` order and each event about one naming it and
    its id, each `.done` event's text or arguments the deltas', and one
    terminal event last whose `response.output` holds exactly the finished
    items, with usage."""
    items: list[Item] = []
    response_id = None
    end: SseEvent | None = None
    for number, event in enumerate(events):
        data = event.json()
        kind = data.get("type")
        if end is not None:
            raise Failure(f"{kind} after {end.event}", at=event.at)
        if event.event != kind:
            raise Failure(f"event name {event.event!r} for a {kind!r} event", at=event.at)
        if number < 2 and kind != ("response.created", "response.in_progress")[number] and kind != "error":
            raise Failure(
                f"{kind} as event {number}, want response.created then response.in_progress", at=event.at
            )
        if data.get("sequence_number") != number:
            raise Failure(f"sequence_number {data.get('sequence_number')!r}, want {number}", at=event.at)
        if kind.startswith("response.") and isinstance(data.get("response"), dict):
            response = data["response"]
            response_id = response_id or response.get("id")
            if response.get("id") != response_id:
                raise Failure(f"response id {response.get('id')!r}, want {response_id!r}", at=event.at)
        if kind in ENDS:
            end = event
            continue
        if kind == "response.output_item.added":
            if data.get("output_index") != len(items):
                raise Failure(f"output_index {data.get('output_index')}, want {len(items)}", at=event.at)
            items.append(Item(data.get("item") or {}))
            continue
        if "output_index" not in data:
            continue
        index = data["output_index"]
        if not isinstance(index, int) or not 0 <= index < len(items) or items[index].done is not None:
            raise Failure(f"{kind} for output_index {index}, which is not open", at=event.at)
        item = items[index]
        if "item_id" in data and data["item_id"] != item.added.get("id"):
            raise Failure(
                f"item_id {data['item_id']!r}, the item's id is {item.added.get('id')!r}", at=event.at
            )
        problem = apply(item, kind, data)
        if problem is not None:
            raise Failure(problem, at=event.at)
    if end is None:
        raise Failure("the stream ends without response.completed, .incomplete, .failed or error")
    final = end.json()
    if final["type"] in ("response.completed", "response.incomplete"):
        final_agrees(final, items, end)


def apply(item: Item, kind: str, data: dict[str, Any]) -> str | None:
    """Applies one event to its item; why it is wrong, if it is."""
    if kind == "response.output_item.done":
        item.done = data.get("item") or {}
        return item.agrees(item.done)
    if kind == "response.content_part.added":
        if data.get("content_index") != len(item.parts):
            return f"content_index {data.get('content_index')}, want {len(item.parts)}"
        item.parts.append(data.get("part") or {})
        item.texts.append("")
        return None
    if kind in ("response.output_text.delta", "response.refusal.delta"):
        index = data.get("content_index")
        if not isinstance(index, int) or not 0 <= index < len(item.parts):
            return f"content_index {index} before its part was added"
        item.texts[index] += data.get("delta") or ""
        return None
    if kind in ("response.output_text.done", "response.refusal.done", "response.content_part.done"):
        index = data.get("content_index")
        if not isinstance(index, int) or not 0 <= index < len(item.parts):
            return f"content_index {index} before its part was added"
        part = data.get("part") or {}
        done = data.get("text", data.get("refusal", part.get("text", part.get("refusal"))))
        return None if done == item.texts[index] else f"text {done!r}, the deltas gave {item.texts[index]!r}"
    if kind == "response.function_call_arguments.delta":
        item.arguments += data.get("delta") or ""
        return None
    if kind == "response.function_call_arguments.done":
        if data.get("arguments") != item.arguments:
            return f"arguments {data.get('arguments')!r}, the deltas gave {item.arguments!r}"
        return None
    if kind == "response.reasoning_summary_text.delta":
        index = data.get("summary_index", 0)
        item.summaries[index] = item.summaries.get(index, "") + (data.get("delta") or "")
        return None
    if kind == "response.reasoning_summary_text.done":
        index = data.get("summary_index", 0)
        if data.get("text") != item.summaries.get(index, ""):
            return f"summary text {data.get('text')!r}, the deltas gave {item.summaries.get(index, '')!r}"
    return None


def final_agrees(final: dict[str, Any], items: list[Item], end: SseEvent) -> None:
    """The terminal response holds exactly the finished items, and usage."""
    response = final.get("response") or {}
    unfinished = [i for i, item in enumerate(items) if item.done is None]
    if unfinished:
        raise Failure(f"{final['type']} with output items {unfinished} not done", at=end.at)
    output = response.get("output") or []
    if len(output) != len(items):
        kinds = [o.get("type") for o in output]
        raise Failure(f"response.output holds {kinds}, {len(items)} items were streamed", at=end.at)
    for index, (item, finished) in enumerate(zip(items, output)):
        problem = item.agrees(finished)
        if problem is not None:
            raise Failure(f"response.output[{index}] disagrees with the deltas: {problem}", at=end.at)
        # A client keeps either (Codex the `.done` item) and gives it back:
        # the id and the reasoning's state must be the same in both.
        for key in ("id", "encrypted_content"):
            if finished.get(key) != (item.done or {}).get(key):
                raise Failure(
                    f"response.output[{index}] {key} {finished.get(key)!r}, "
                    f"its output_item.done said {(item.done or {}).get(key)!r}",
                    at=end.at,
                )
    if not response.get("usage"):
        raise Failure(f"{final['type']} without usage", at=end.at)


def locate(events: list[SseEvent]) -> int | None:
    """The event at which the SDK's stream state breaks, replayed event by
    event as `ResponseStream` does."""
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=openai.omit, text_format=openai.omit)
    for event in events:
        try:
            data = event.json()
            state.handle_event(construct_type_unchecked(type_=ResponseStreamEvent, value=data))  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 (the event the SDK failed on is what we want)
            return event.at
    return events[-1].at if events else None


class Sdk:
    """openai-python's Responses helper against the local server: as a
    client runs it, and with its strict response validation."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.client, self.strict = sdk_clients(openai.OpenAI, server.base_url + "/v1")

    def read(self, out: bytes) -> Read:
        self.server.serve(out)
        ended = None
        states: dict[int, Any] = {}
        with self.client.responses.stream(**REQUEST) as stream:
            for event in stream:
                if event.type in ENDS[1:]:
                    ended = event
                if event.type == "response.output_item.done" and event.item.type == "reasoning":
                    states[event.output_index] = event.item.encrypted_content
            try:
                response: Any = stream.get_final_response()
            except RuntimeError:
                if ended is None:
                    raise
                if ended.type != "response.incomplete":
                    raise StreamFailed(f"{ended.type}: {ended.to_json(indent=None)[:300]}") from None
                response = ended.response  # type: ignore[union-attr]
        if ended is not None and ended.type != "response.incomplete":
            raise Failure(f"get_final_response() returned after {ended.type}")
        for index, state in states.items():
            kept = getattr(response.output[index], "encrypted_content", None)
            if kept != state:
                raise Failure(f"the final reasoning item {index} has encrypted_content {kept!r}, its .done {state!r}")
        return read_response(response)

    def validate(self, out: bytes, events: list[SseEvent]) -> None:
        def open_stream() -> Any:
            return self.strict.responses.create(**REQUEST, stream=True)

        strict_validation(self.server, out, events, open_stream, openai.APIResponseValidationError, model_for)


def read_response(response: Any) -> Read:
    """A final (or incomplete) response in the shape every check compares."""
    text: list[str] = []
    refusal: list[str] = []
    reasoning: list[str] = []
    calls: list[tuple[str, str, Any]] = []
    for item in response.output:
        if item.type == "message":
            for part in item.content:
                if part.type == "output_text":
                    text.append(part.text)
                elif part.type == "refusal":
                    refusal.append(part.refusal)
        elif item.type == "function_call":
            calls.append((item.call_id, item.name, item.arguments))
        elif item.type == "reasoning":
            reasoning.extend(part.text for part in item.summary)
    finish = response.status
    if finish == "incomplete":
        finish = f"incomplete:{getattr(response.incomplete_details, 'reason', None)}"
    usage = response.usage
    return Read(
        text="".join(text),
        refusal="".join(refusal),
        calls=calls,
        finish=finish,
        usage=None if usage is None else Usage(usage.input_tokens, usage.output_tokens, usage.total_tokens),
        reasoning="".join(reasoning),
    )
