"""The shared recorded streams through Relay: the same downstream bytes
whatever the reads cut, well-formed chat-completion chunks out, and the
summary and streamed values equal to what json.loads makes of upstream."""

import json
import pathlib

import pytest

import argstream
from conftest import require_testdata

FORMATS = ["openai-compatible", "anthropic", "openai-responses"]
FROM = {"openai-compatible": "openai-chat", "anthropic": "anthropic", "openai-responses": "openai-responses"}


def relay(upstream: bytes, key: str, piece: int, **options) -> tuple[bytes, argstream.Relay]:
    r = argstream.Relay(key, **options)
    out = bytearray()
    for start in range(0, len(upstream), piece):
        out += r.feed(upstream[start : start + piece])
    out += r.finish()
    return bytes(out), r


def payloads(body: bytes) -> list[bytes]:
    """The `data:` payloads of an SSE body whose lines end in \\n (the
    recorded streams never use multi-line data)."""
    out = []
    for line in body.split(b"\n"):
        if line.startswith(b"data:"):
            data = line[5:]
            out.append(data[1:] if data.startswith(b" ") else data)
    return out


def first_choices(chunk: dict) -> list:
    """Choice 0 of a chunk (a choice without an index is 0): the relay keeps
    the other choices apart, and its summary describes choice 0."""
    return [c for c in chunk.get("choices") or [] if (c.get("index") or 0) == 0]


def chat_content(chunk: dict) -> str:
    text = ""
    for choice in first_choices(chunk):
        delta = choice.get("delta", choice.get("message")) or {}
        content = delta.get("content")
        if isinstance(content, str):
            text += content
        elif isinstance(content, list):
            text += "".join(p.get("text", "") for p in content if p.get("type") == "text")
    return text


def chat_reference(upstream: bytes):
    """Content, each call's arguments in order of first appearance, and
    whether content comes after a call began or calls interleave."""
    content, calls, interleaved = "", {}, False
    for payload in payloads(upstream):
        try:
            chunk = json.loads(payload)
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        text = chat_content(chunk)
        interleaved |= bool(text) and bool(calls)
        content += text
        for choice in first_choices(chunk):
            delta = choice.get("delta", choice.get("message")) or {}
            for call in delta.get("tool_calls") or []:
                index = call.get("index") or 0
                if index in calls and index != list(calls)[-1]:
                    interleaved = True
                arguments = (call.get("function") or {}).get("arguments")
                calls.setdefault(index, "")
                if isinstance(arguments, str):
                    calls[index] += arguments
    return content, list(calls.values()), interleaved


def sse_events(body: bytes) -> list[dict]:
    """The JSON payloads of an SSE body, one per `data:` line, that parse."""
    events = []
    for payload in payloads(body):
        try:
            event = json.loads(payload)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def anthropic_reference(upstream: bytes):
    """Text deltas, and each tool_use block's partial_json concatenated."""
    content, calls, blocks, interleaved = "", [], {}, False
    for event in sse_events(upstream):
        kind = event.get("type")
        if kind == "content_block_start" and (event.get("content_block") or {}).get("type") == "tool_use":
            blocks[event.get("index")] = len(calls)
            calls.append("")
        elif kind == "content_block_delta":
            delta = event.get("delta") or {}
            if delta.get("type") == "text_delta":
                interleaved |= bool(calls)
                content += delta.get("text", "")
            elif delta.get("type") == "input_json_delta" and event.get("index") in blocks:
                slot = blocks[event["index"]]
                interleaved |= slot != len(calls) - 1
                calls[slot] += delta.get("partial_json", "")
    return content, calls, interleaved


def responses_reference(upstream: bytes):
    """Output text deltas, and each function call's argument deltas (or its
    arguments.done when no delta came)."""
    content, calls, items, interleaved = "", [], {}, False
    done: dict[int, str] = {}
    for event in sse_events(upstream):
        kind = event.get("type")
        item = event.get("item") or {}
        if kind == "response.output_item.added" and item.get("type") == "function_call":
            items[item.get("id")] = items[event.get("output_index")] = len(calls)
            calls.append("")
        elif kind == "response.output_text.delta":
            interleaved |= bool(calls)
            content += event.get("delta", "")
        elif kind == "response.function_call_arguments.delta":
            slot = items.get(event.get("item_id"), items.get(event.get("output_index")))
            if slot is not None:
                interleaved |= slot != len(calls) - 1
                calls[slot] += event.get("delta", "")
        elif kind == "response.function_call_arguments.done":
            slot = items.get(event.get("item_id"), items.get(event.get("output_index")))
            if slot is not None:
                done[slot] = event.get("arguments", "")
    for slot, arguments in done.items():
        if not calls[slot]:
            calls[slot] = arguments
    return content, calls, interleaved


def pick_key(calls: list[str]) -> str:
    """The first top-level string key of the first call with such a key: a
    key the stream really streams."""
    for arguments in calls:
        try:
            value = json.loads(arguments)
        except ValueError:
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str):
                    return key
    return "pre_exec_msg"


def targets(calls: list[str], key: str) -> str:
    text = ""
    for arguments in calls:
        try:
            value = json.loads(arguments)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get(key), str):
            text += value[key]
    return text


def downstream(out: bytes) -> tuple[str, list[dict], bool]:
    """Downstream content, the chunks, and whether it ended with [DONE]
    (else it must have ended with an error event)."""
    frames = out.split(b"\n\n")
    assert frames[-1] == b"", "downstream ends with a whole frame"
    content, chunks, done = "", [], False
    for frame in frames[:-1]:
        assert frame.startswith(b"data: "), frame[:80]
        assert not done, "nothing after [DONE]"
        data = frame[len(b"data: ") :]
        if data == b"[DONE]":
            done = True
            continue
        chunk = json.loads(data)
        chunks.append(chunk)
        content += chat_content(chunk)
    return content, chunks, done


def streams(fmt: str) -> list[pathlib.Path]:
    folder = require_testdata(f"streams/{fmt}")
    files = sorted(folder.glob("*"))
    assert files, f"no streams in {folder}"
    return files


def format_supported(fmt: str) -> None:
    try:
        argstream.Relay("k", from_=FROM[fmt])
    except NotImplementedError as missing:
        pytest.skip(f"{fmt}: this build's Relay does not read it yet ({missing})")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_stream_relays_the_same_whatever_the_reads_cut(fmt):
    format_supported(fmt)
    for path in streams(fmt):
        upstream = path.read_bytes()
        for options in ({}, {"from_": FROM[fmt]}):
            whole, r = relay(upstream, "pre_exec_msg", len(upstream) or 1, **options)
            for piece in (1, 7, 4096):
                out, _ = relay(upstream, "pre_exec_msg", piece, **options)
                assert out == whole, f"{path.name}: reads of {piece} bytes change the output"
            text = upstream.decode()
            r = argstream.Relay("pre_exec_msg", **options)
            out = b"".join(r.feed(text[i : i + 5]) for i in range(0, len(text), 5)) + r.finish()
            assert out == whole, f"{path.name}: fed as str"
            _, chunks, done = downstream(whole)
            if not done:
                assert "error" in chunks[-1], f"{path.name}: neither [DONE] nor an error event"
            summary = r.summary()
            assert {"content", "finish_reason", "tool_calls", "usage"} <= summary.keys()
            json.dumps(summary)


REFERENCES = {
    "openai-compatible": chat_reference,
    "anthropic": anthropic_reference,
    "openai-responses": responses_reference,
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_stream_streams_its_values_and_sums_up_like_json_loads(fmt):
    with_targets = 0
    for path in streams(fmt):
        upstream = path.read_bytes()
        content, calls, interleaved = REFERENCES[fmt](upstream)
        key = pick_key(calls)
        spoken = targets(calls, key)
        with_targets += bool(spoken)
        out, r = relay(upstream, key, 7)
        got, chunks, _ = downstream(out)
        for chunk in chunks:
            for choice in chunk.get("choices") or []:
                assert not (choice.get("delta") or {}).get("tool_calls"), f"{path.name}: hidden"
        if not interleaved:
            assert got == content + spoken, path.name
        summary = r.summary()
        assert summary["content"] == content, path.name
        assert [call["arguments"] for call in summary["tool_calls"]] == calls, path.name
        assert [call["index"] for call in summary["tool_calls"]] == list(range(len(calls)))
        for call in summary["tool_calls"]:
            try:
                valid = not call["arguments"].strip() or json.loads(call["arguments"]) is not None
            except ValueError:
                valid = False
            assert (call["error"] is None) == valid, (path.name, call)
    assert with_targets > {"openai-compatible": 40, "anthropic": 5, "openai-responses": 5}[fmt], (
        f"only {with_targets} streams had a target value"
    )


def test_the_bundled_voice_agent_stream():
    upstream = (pathlib.Path(__file__).parents[2] / "examples/data/voice_agent.sse").read_bytes()
    whole, r = relay(upstream, "pre_exec_msg", len(upstream))
    content, _, done = downstream(whole)
    assert done
    assert content == (
        'Sure, checking now.Let me check the "feels like" forecast for Lisbon '
        "\u2014 caf\u00e9 weather \U0001F600.\nOne moment!And the tides, too."
    )
    summary = r.summary()
    assert summary["finish_reason"] == "tool_calls"
    assert [c["name"] for c in summary["tool_calls"]] == ["get_weather", "get_tides"]
    assert summary["usage"] == {"prompt_tokens": 42, "completion_tokens": 77, "total_tokens": 119}
    assert r.events > 0
    r.reset()
    assert r.events == 0
    assert r.feed(upstream) + r.finish() == whole


@pytest.mark.parametrize("fmt", ["gemini", "bedrock"])
def test_gemini_and_bedrock_streams_relay_the_same_whatever_the_reads_cut(fmt):
    """Gemini's SSE and Bedrock's binary frames, detected or named: the same
    bytes out at every feed size, a finished stream, and the calls' ids."""
    for path in streams(fmt):
        upstream = path.read_bytes()
        for options in ({}, {"from_": fmt}):
            whole, r = relay(upstream, "pre_exec_msg", len(upstream), **options)
            assert r.format == fmt, path.name
            for piece in (1, 7, 4096):
                out, _ = relay(upstream, "pre_exec_msg", piece, **options)
                assert out == whole, f"{path.name}: reads of {piece} bytes change the output"
            _, chunks, done = downstream(whole)
            assert done, f"{path.name}: every recorded stream ends finished"
            summary = r.summary()
            assert summary["finish_reason"] in ("stop", "tool_calls", "length"), path.name
            for call in summary["tool_calls"]:
                assert call["id"] and call["error"] is None, path.name
                json.loads(call["arguments"])


def test_the_bundled_gemini_and_bedrock_examples_speak_the_preamble():
    examples = pathlib.Path(__file__).resolve().parents[2] / "examples" / "data"
    for name in ("voice_agent_gemini.sse", "voice_agent_bedrock.eventstream"):
        out, r = relay((examples / name).read_bytes(), "pre_exec_msg", 5)
        content, _, done = downstream(out)
        assert done and content.startswith("Sure, checking now.Let me check"), name
        assert r.summary()["tool_calls"][0]["name"] == "get_weather"
