"""A voice agent's streaming interface: speak a tool call's argument while the
model is still writing it.

A voice agent asks the model to put what it will say while a tool runs in an
argument (``pre_exec_msg``: "Let me check that for you"). The model streams
the call's arguments a few characters at a time; this interface turns the
openai SDK's ``ChatCompletionChunk`` stream into server-sent events for the
client, with the model's content and every call's spoken argument as
``content`` deltas as soon as they arrive.

Done right, compared with re-parsing the growing arguments at every chunk:

- each tool call is kept apart by its ``index``, so parallel calls never mix
  their arguments or their spoken text;
- each call's arguments are read once, by an ``argstream.KeyScanner``: time
  linear in their length, text never cut inside an escape, a surrogate pair
  or a character, and a ``pre_exec_msg`` nested deeper in the arguments is
  not mistaken for the top-level one;
- invalid or cut-off arguments stop only that call's speech, and are
  reported on the call, not raised into the stream.

Use::

    from openai import AsyncOpenAI
    from voice_interface import voice_frames

    stream = await AsyncOpenAI().chat.completions.create(..., stream=True)
    calls = {}
    async for frame in voice_frames(stream, calls=calls):
        await client.send(frame)
    for call in calls.values():   # run the tools, with the whole arguments
        ...

The module needs only ``argstream``; it reads chunks by attribute, so any
object shaped like the SDK's chunks works (the tests build such objects).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import argstream


@dataclass
class ToolCall:
    """One tool call as it streamed: its arguments and what was spoken."""

    index: int
    key: str
    id: str = ""
    name: str = ""
    fragments: list[str] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    error: argstream.ArgstreamError | None = None
    scanner: argstream.KeyScanner = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.scanner = argstream.KeyScanner(self.key)

    @property
    def arguments(self) -> str:
        """The whole arguments, as the model sent them."""
        return "".join(self.fragments)

    def read(self, fragment: str) -> str:
        """Takes the next arguments fragment; returns the new spoken text."""
        self.fragments.append(fragment)
        if self.error is not None:
            return ""
        try:
            text = self.scanner.feed(fragment)
        except argstream.ArgstreamError as error:
            self.error = error
            return ""
        if text:
            self.spoken.append(text)
        return text

    def end(self) -> None:
        """The stream ended: arguments never completed are an error. A call
        with no arguments at all is a call without arguments."""
        if self.error is None and self.arguments.strip():
            try:
                self.scanner.finish()
            except argstream.ArgstreamError as error:
                self.error = error


def frame(chunk: Any, content: str) -> str:
    """A chat-completion chunk with `content`, as one SSE frame."""
    payload = {
        "id": getattr(chunk, "id", None) or "",
        "object": "chat.completion.chunk",
        "created": getattr(chunk, "created", None) or 0,
        "model": getattr(chunk, "model", None) or "",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": None}
        ],
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def voice_frames(
    chunks: AsyncIterable[Any],
    *,
    key: str = "pre_exec_msg",
    calls: dict[int, ToolCall] | None = None,
) -> AsyncIterator[str]:
    """Yields SSE frames (``"data: {...}\\n\\n"``) for a voice client: the
    model's content and the text of argument `key` of every tool call, as
    they arrive, then ``"data: [DONE]\\n\\n"``.

    `chunks` is the openai SDK's ``ChatCompletionChunk`` stream (or objects
    of the same shape). Tool calls are collected into `calls`, by index, for
    the caller to run once the stream has ended.
    """
    calls = {} if calls is None else calls
    async for chunk in chunks:
        for choice in getattr(chunk, "choices", None) or []:
            delta = getattr(choice, "delta", None)
            if delta is None:
                continue
            content = getattr(delta, "content", None)
            if content:
                yield frame(chunk, content)
            for part in getattr(delta, "tool_calls", None) or []:
                index = getattr(part, "index", None) or 0
                call = calls.get(index)
                if call is None:
                    call = calls[index] = ToolCall(index=index, key=key)
                call.id = call.id or getattr(part, "id", None) or ""
                function = getattr(part, "function", None)
                if function is None:
                    continue
                call.name = call.name or getattr(function, "name", None) or ""
                arguments = getattr(function, "arguments", None)
                text = call.read(arguments) if arguments else ""
                if text:
                    yield frame(chunk, text)
    for call in calls.values():
        call.end()
    yield "data: [DONE]\n\n"
