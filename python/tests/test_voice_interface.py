"""The voice interface example, over chunk-like objects built here (shaped as
the openai SDK's ChatCompletionChunk, so the SDK is not needed)."""

import asyncio
import importlib.util
import json
import pathlib
import sys
from types import SimpleNamespace

from conftest import require_testdata

EXAMPLE = pathlib.Path(__file__).parents[1] / "examples" / "voice_interface.py"
spec = importlib.util.spec_from_file_location("voice_interface", EXAMPLE)
voice_interface = importlib.util.module_from_spec(spec)
sys.modules["voice_interface"] = voice_interface  # dataclasses look it up
spec.loader.exec_module(voice_interface)


def namespace(value):
    """JSON as attribute objects, the way the SDK's models read."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: namespace(v) for k, v in value.items()})
    if isinstance(value, list):
        return [namespace(v) for v in value]
    return value


def chunk(content=None, calls=None, finish=None):
    delta = {"role": "assistant", "content": content, "tool_calls": calls}
    return namespace({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })


def call(index, arguments, id=None, name=None):
    return {"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


async def aiter(items):
    for item in items:
        yield item


def run(chunks, key="pre_exec_msg"):
    """The frames' contents, in order, and the collected calls."""
    calls = {}

    async def collect():
        return [f async for f in voice_interface.voice_frames(aiter(chunks), key=key, calls=calls)]

    frames = asyncio.run(collect())
    assert frames[-1] == "data: [DONE]\n\n"
    contents = []
    for frame in frames[:-1]:
        assert frame.startswith("data: ") and frame.endswith("\n\n")
        payload = json.loads(frame[6:])
        assert payload["object"] == "chat.completion.chunk"
        contents.append(payload["choices"][0]["delta"]["content"])
    return contents, calls


def test_parallel_calls_are_kept_apart_and_spoken_as_they_arrive():
    first = '{"query":{"pre_exec_msg":"decoy"},"pre_exec_msg":"Checking the \\"weather\\" \\ud83d\\ude00 caf\u00e9."}'
    second = '{"pre_exec_msg":"And the tides.","station":"Cascais"}'
    chunks = [chunk(content="Sure. ")]
    chunks.append(chunk(calls=[call(0, "", id="call_a", name="weather"), call(1, "", id="call_b", name="tides")]))
    # Interleave the two calls' arguments in 3-character fragments, cut
    # anywhere, including inside escapes and surrogate pairs.
    for at in range(0, max(len(first), len(second)), 3):
        parts = [call(i, text[at : at + 3]) for i, text in ((0, first), (1, second)) if at < len(text)]
        chunks.append(chunk(calls=parts))
    chunks.append(chunk(finish="tool_calls"))
    contents, calls = run(chunks)
    assert contents[0] == "Sure. "
    assert sorted(calls) == [0, 1]
    weather, tides = calls[0], calls[1]
    assert (weather.id, weather.name, tides.id, tides.name) == ("call_a", "weather", "call_b", "tides")
    assert weather.arguments == first and tides.arguments == second
    assert "".join(weather.spoken) == json.loads(first)["pre_exec_msg"]
    assert "".join(tides.spoken) == "And the tides."
    assert weather.error is None and tides.error is None
    # Every piece was sent as it arrived, one frame per call's piece.
    assert len(contents) > 10
    assert interleaves(contents[1:], weather.spoken, tides.spoken)


def interleaves(sequence, a, b):
    """Whether `sequence` is `a` and `b` merged, each in its own order."""
    reachable = {(0, 0)}
    for item in sequence:
        reachable = {(i + 1, j) for i, j in reachable if i < len(a) and a[i] == item} | {
            (i, j + 1) for i, j in reachable if j < len(b) and b[j] == item
        }
    return (len(a), len(b)) in reachable


def test_bad_or_cut_off_arguments_stop_only_that_call():
    chunks = [
        chunk(calls=[call(0, '{"pre_exec_msg":"fine', id="a", name="f"), call(1, '{"pre_exec_msg":"bad \\q', id="b", name="g")]),
        chunk(calls=[call(0, '"}'), call(1, 'more"}')]),
        chunk(calls=[call(2, '{"pre_exec_msg":"cut off', id="c", name="h")]),
        chunk(calls=[call(3, "", id="d", name="no_arguments")]),
    ]
    contents, calls = run(chunks)
    # Text before the bad byte in the fragment that holds it is not spoken.
    assert contents == ["fine", "cut off"]
    assert calls[0].error is None
    assert (calls[1].error.kind, calls[1].error.offset) == ("invalid_escape", 22)
    assert (calls[2].error.kind, calls[2].error.offset) == ("truncated", len('{"pre_exec_msg":"cut off'))
    assert calls[3].error is None and calls[3].arguments == ""
    assert calls[1].arguments == '{"pre_exec_msg":"bad \\qmore"}'


def sse_chunks(body: bytes):
    for line in body.split(b"\n"):
        if line.startswith(b"data:"):
            data = line[5:].strip()
            if data and data != b"[DONE]":
                try:
                    value = json.loads(data)
                except ValueError:
                    continue
                if isinstance(value, dict) and "choices" in value:
                    yield namespace(value)


def test_the_bundled_voice_agent_stream():
    body = (pathlib.Path(__file__).parents[2] / "examples/data/voice_agent.sse").read_bytes()
    contents, calls = run(list(sse_chunks(body)))
    assert "".join(contents) == (
        'Sure, checking now.Let me check the "feels like" forecast for Lisbon '
        "\u2014 caf\u00e9 weather \U0001F600.\nOne moment!And the tides, too."
    )
    assert [c.name for c in calls.values()] == ["get_weather", "get_tides"]


def first_string_key(chunks):
    """The first top-level string key of any call's arguments in the
    stream: a key the stream really streams."""
    _, calls = run(chunks, key="")
    for c in calls.values():
        try:
            value = json.loads(c.arguments)
        except ValueError:
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str):
                    return key
    return None


def test_the_recorded_streams_speak_each_calls_value():
    folder = require_testdata("streams/openai-compatible")
    spoken_calls = 0
    for path in sorted(folder.glob("*.sse")):
        chunks = list(sse_chunks(path.read_bytes()))
        key = first_string_key(chunks)
        if key is None:
            continue
        _, calls = run(chunks, key=key)
        for c in calls.values():
            try:
                value = json.loads(c.arguments)
            except ValueError:
                assert c.error is not None or not c.arguments.strip(), path.name
                continue
            assert c.error is None, (path.name, c.error)
            want = value.get(key) if isinstance(value, dict) else None
            assert "".join(c.spoken) == (want if isinstance(want, str) else ""), path.name
            spoken_calls += bool(c.spoken)
    assert spoken_calls > 40
