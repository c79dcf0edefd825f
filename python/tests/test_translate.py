"""argstream.translate_request: a request in one format as another's."""

import json

import pytest

import argstream

CHAT = {
    "model": "gpt-x",
    "stream": True,
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ],
}


def test_chat_to_anthropic_ties_the_result_to_its_call():
    out = argstream.translate_request(json.dumps(CHAT), "openai-chat", "anthropic", model="claude-x")
    body = json.loads(out.body)
    assert out.path == "/v1/messages"
    assert out.model == "claude-x" and out.stream
    assert body["system"] == [{"type": "text", "text": "Be brief."}]
    assert body["messages"][1]["content"][0] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "weather",
        "input": {"city": "Paris"},
    }
    assert body["messages"][2]["content"][0]["tool_use_id"] == "call_1"
    assert body["tools"][0]["eager_input_streaming"] is True
    assert body["max_tokens"] == 8192
    assert out.warnings == []


def test_a_gemini_client_names_its_model_and_stream_in_the_path():
    gemini = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    out = argstream.translate_request(
        json.dumps(gemini).encode(), "gemini", "openai-chat", client_model="gemini-x", stream=True
    )
    body = json.loads(out.body)
    assert body["model"] == "gemini-x"
    assert body["stream_options"] == {"include_usage": True}
    back = argstream.translate_request(out.body, "openai-chat", "gemini")
    assert back.path == "/v1beta/models/gemini-x:streamGenerateContent?alt=sse"


def test_warnings_name_the_field_and_strict_raises():
    body = dict(CHAT, seed=7)
    out = argstream.translate_request(json.dumps(body), "openai-chat", "anthropic")
    assert [path for path, _ in out.warnings] == ["seed"]
    with pytest.raises(argstream.TranslationError) as caught:
        argstream.translate_request(json.dumps(body), "openai-chat", "anthropic", strict=True)
    assert caught.value.kind == "untranslatable"
    assert caught.value.path == "seed"


def test_bad_input_raises_with_kind_path_and_offset():
    with pytest.raises(argstream.TranslationError) as caught:
        argstream.translate_request(b'{"model": [}', "openai-chat", "anthropic")
    assert caught.value.kind == "not_json"
    assert caught.value.offset == 11
    with pytest.raises(argstream.TranslationError) as caught:
        argstream.translate_request('{"model":"m","messages":5}', "openai-chat", "gemini")
    assert (caught.value.kind, caught.value.path, caught.value.offset) == ("shape", "messages", None)
    with pytest.raises(ValueError):
        argstream.translate_request("{}", "openai-chat", "klingon")
    assert isinstance(caught.value, ValueError)
