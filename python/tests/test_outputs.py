"""Relay(..., to=..., values=...): the client's own format out."""

import json

import pytest

import argstream

ANTHROPIC = b"".join(
    b"event: " + json.loads(line)["type"].encode() + b"\ndata: " + line + b"\n\n"
    for line in [
        b'{"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":3,"output_tokens":1}}}',
        b'{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"lookup","input":{}}}',
        b'{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"pre_exec_msg\\": \\"One mo"}}',
        b'{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"ment\\"}"}}',
        b'{"type":"content_block_stop","index":0}',
        b'{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}',
        b'{"type":"message_stop"}',
    ]
)


def events(body: bytes) -> list[dict]:
    return [json.loads(line[6:]) for line in body.split(b"\n") if line.startswith(b"data: ")]


def relay(**options) -> bytes:
    r = argstream.Relay("pre_exec_msg", **options)
    out = b"".join(r.feed(ANTHROPIC[i : i + 5]) for i in range(0, len(ANTHROPIC), 5))
    return out + r.finish()


def test_anthropic_to_anthropic_hides_the_call_and_streams_the_value():
    out = events(relay(to="same"))
    kinds = [e["type"] for e in out]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    text = "".join(e["delta"]["text"] for e in out if e["type"] == "content_block_delta")
    assert text == "One moment"
    assert not any(e.get("content_block", {}).get("type") == "tool_use" for e in out)
    assert out[-2]["delta"]["stop_reason"] == "end_turn"


def test_responses_out_forwards_the_call_without_values():
    out = events(relay(to="openai-responses", tool_calls="forward", values=False))
    assert [e["sequence_number"] for e in out] == list(range(len(out)))
    assert out[0]["type"] == "response.created" and out[-1]["type"] == "response.completed"
    final = out[-1]["response"]["output"]
    assert [item["type"] for item in final] == ["function_call"]
    assert json.loads(final[0]["arguments"]) == {"pre_exec_msg": "One moment"}
    assert not any(e["type"] == "response.output_text.delta" for e in out)


def test_chat_out_is_the_default():
    assert relay().endswith(b"data: [DONE]\n\n")


def test_an_unknown_output_is_a_value_error():
    with pytest.raises(ValueError, match="to must be"):
        argstream.Relay("pre_exec_msg", to="gemini-9")
