"""openai-python reads the relay's OpenAI chat-completion chunks.

`client.chat.completions.stream(...)` and `get_final_completion()`: the
SDK's stream state merges every chunk into its choice by `index`,
concatenating string fields (so a repeated `role` would read
`assistantassistant`), opens a tool call by its index, and raises an
`APIError` on a chunk with an `error` member; `[DONE]` ends the stream.
Its helper refuses to parse a cut (`length`) or filtered answer, as it
does for OpenAI's own, and hands the completion over on the error.
"""

from __future__ import annotations

from typing import Any

import openai
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from harness import Failure, Read, SseEvent, Usage, chat_choices, sdk_clients, strict_validation

NAME = "openai-chat"
REQUEST: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def finish_words(finish: str | None) -> tuple[str | None, ...]:
    return (finish,)


def is_error(error: Exception) -> bool:
    return isinstance(error, openai.APIError)


def model_for(data: Any) -> type | None:
    return ChatCompletionChunk


def protocol(events: list[SseEvent]) -> None:
    """The rules of chat chunks: JSON chunks, then `[DONE]` last unless an
    error event ends the stream; choices opened in index order; the role
    once a choice, first; reasoning under one name a choice; one finish a
    choice; usage in a chunk without choices."""
    roles: dict[int, int] = {}
    reasoning: dict[int, set[str]] = {}
    finished: set[int] = set()
    opened: list[int] = []
    ended = False
    for event in events:
        if ended:
            raise Failure("an event after [DONE] or an error", at=event.at)
        if event.data == "[DONE]":
            ended = True
            continue
        chunk = event.json()
        if chunk.get("error"):
            ended = True
            continue
        choices = chunk.get("choices") or []
        if chunk.get("usage") and choices:
            raise Failure("usage in a chunk with choices", at=event.at)
        new = sorted({c.get("index") for c in choices} - set(opened), key=str)
        if new and new != list(range(len(opened), len(opened) + len(new))):
            # openai-python builds its choices list from the first chunk by
            # index and appends a choice it has not seen.
            raise Failure(
                f"choices {new} open after choices {opened}: want them in order from 0", at=event.at
            )
        opened += new
        for choice in choices:
            index = choice.get("index")
            if index in finished:
                raise Failure(f"choice {index} goes on after its finish", at=event.at)
            delta = {k: v for k, v in (choice.get("delta") or {}).items() if v is not None}
            if "role" in delta:
                roles[index] = roles.get(index, 0) + 1
                if roles[index] > 1:
                    raise Failure(f"choice {index} repeats its role", at=event.at)
            elif index not in roles and delta:
                raise Failure(f"choice {index} has a delta before its role", at=event.at)
            reasoning.setdefault(index, set()).update({"reasoning", "reasoning_content"} & set(delta))
            if len(reasoning[index]) > 1:
                raise Failure(
                    f"choice {index} gives its reasoning as both reasoning and reasoning_content", at=event.at
                )
            if choice.get("finish_reason"):
                finished.add(index)
    if not ended:
        raise Failure("the stream ends without [DONE] or an error")


def locate(events: list[SseEvent]) -> int | None:
    """The chunk at which the SDK's stream state breaks."""
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for event in events:
        if event.data == "[DONE]":
            break
        try:
            state.handle_chunk(ChatCompletionChunk.construct(**event.json()))
        except Exception:  # noqa: BLE001 (the chunk the SDK failed on is what we want)
            return event.at
    return None


class Sdk:
    """openai-python's chat helper against the local server: as a client
    runs it, and with its strict response validation."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.client, self.strict = sdk_clients(openai.OpenAI, server.base_url + "/v1")

    def read(self, out: bytes) -> Read:
        self.server.serve(out)
        with self.client.chat.completions.stream(**REQUEST) as stream:
            try:
                final = stream.get_final_completion()
            except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as ended:
                final = ended.completion
        written, _ = chat_choices(out)
        for choice in final.choices:
            content = choice.message.content or ""
            wrote = written.get(choice.index)
            if wrote is None or content != wrote.content:
                raise Failure(f"choice {choice.index}: the SDK read {content!r}, the relay wrote {wrote!r}")
            if len(wrote.finishes) != 1:
                raise Failure(f"choice {choice.index} has the finishes {wrote.finishes!r}")
            if choice.message.role != "assistant":
                raise Failure(f"choice {choice.index}: role {choice.message.role!r}")
        if sorted(written) != [choice.index for choice in final.choices]:
            raise Failure(
                f"the SDK read choices {[c.index for c in final.choices]}, the relay wrote {sorted(written)}"
            )
        choice = final.choices[0]
        message = choice.message
        calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
        usage = final.usage
        return Read(
            text=message.content or "",
            refusal=message.refusal or "",
            calls=calls,
            finish=choice.finish_reason,
            usage=None
            if usage is None
            else Usage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
        )

    def validate(self, out: bytes, events: list[SseEvent]) -> None:
        def open_stream() -> Any:
            return self.strict.chat.completions.create(**REQUEST, stream=True)

        strict_validation(self.server, out, events, open_stream, openai.APIResponseValidationError, model_for)
