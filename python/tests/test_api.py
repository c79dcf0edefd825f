"""The names and types the module promises, and its typing files."""

import importlib.resources
import inspect
import json
import pathlib

import pytest

import argstream


def test_the_public_names():
    assert set(argstream.__all__) == {
        "ArgstreamError",
        "KeyScanner",
        "Relay",
        "Translated",
        "TranslationError",
        "__version__",
        "translate_request",
    }
    assert issubclass(argstream.ArgstreamError, ValueError)
    assert issubclass(argstream.TranslationError, ValueError)
    for cls in (
        argstream.KeyScanner,
        argstream.Relay,
        argstream.ArgstreamError,
        argstream.Translated,
        argstream.TranslationError,
    ):
        assert cls.__module__ == "argstream"
        assert cls.__doc__
    assert isinstance(argstream.__version__, str)


def test_every_method_has_a_docstring_and_a_stub():
    stub = (importlib.resources.files("argstream") / "_argstream.pyi").read_text()
    for cls in (argstream.KeyScanner, argstream.Relay):
        assert f"class {cls.__name__}" in stub
        for name, member in inspect.getmembers(cls):
            if name.startswith("_"):
                continue
            assert member.__doc__ if not isinstance(member, (bool, int)) else True, name
            assert f"def {name}(" in stub, name


def test_the_package_is_typed():
    assert (importlib.resources.files("argstream") / "py.typed").is_file()


def test_keys_are_a_str_or_a_list_of_str():
    assert argstream.KeyScanner("a").keys == ["a"]
    assert argstream.KeyScanner(["a", "b"]).keys == ["a", "b"]
    assert argstream.KeyScanner(("a", "b")).keys == ["a", "b"]
    scanner = argstream.KeyScanner([])
    assert scanner.feed('{"a":"x"}') == "" and scanner.complete


def test_feed_returns_str_and_feed_pieces_tuples():
    scanner = argstream.KeyScanner("a")
    assert type(scanner.feed(b"")) is str and scanner.feed("") == ""
    pieces = scanner.feed_pieces('{"a":"x')
    assert pieces == [("a", 0, "x")] and type(pieces[0]) is tuple
    assert repr(scanner) == "KeyScanner(['a'], offset=7, complete=False)"


def test_offset_counts_utf8_bytes_and_complete_follows_the_closing_brace():
    scanner = argstream.KeyScanner("a")
    scanner.feed('{"a":"\u00e9\U0001F600"')
    assert scanner.offset == len('{"a":"\u00e9\U0001F600"'.encode())
    assert not scanner.complete
    scanner.feed("}  ")
    assert scanner.complete
    scanner.finish()


def test_relay_options():
    for from_ in ("auto", "openai-chat", "openai-responses", "anthropic", "gemini", "bedrock"):
        for tool_calls in ("hide", "forward"):
            relay = argstream.Relay(["pre_exec_msg"], from_=from_, tool_calls=tool_calls)
            assert relay.format == (None if from_ == "auto" else from_)
            assert relay.feed(b"") == b""
            assert not relay.ended


def test_an_empty_upstream_is_cut_off_and_ends_with_an_error_event():
    relay = argstream.Relay("pre_exec_msg")
    out = relay.finish()
    assert out.startswith(b'data: {"error":') and out.endswith(b"\n\n")
    assert relay.ended
    assert relay.summary()["error"] is not None


def test_write_error_returns_what_was_relayed_before_a_bad_event():
    relay = argstream.Relay("pre_exec_msg")
    good = b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
    with pytest.raises(argstream.ArgstreamError) as bad:
        relay.feed(good + b"data: [1, 2]\n\n")
    # The offset of the bad byte: the data's first, as the root is no object.
    assert (bad.value.kind, bad.value.offset) == ("malformed_chunk", len(good) + len("data: "))
    out = relay.write_error("upstream_error", "the model's stream broke")
    frames = out.split(b"\n\n")
    assert json.loads(frames[-3][len(b"data: "):])["choices"][0]["delta"]["content"] == "hi"
    assert frames[-2] == (
        b'data: {"error":{"message":"the model\'s stream broke","type":"upstream_error","code":null}}'
    )
    assert relay.ended
    assert relay.write_error("again", "ignored") == b""


def test_max_depth():
    assert argstream.KeyScanner("a", max_depth=3).feed('{"a":"x","b":[1]}') == "x"
    with pytest.raises(argstream.ArgstreamError) as deep:
        argstream.KeyScanner("a", max_depth=3).feed('{"b":[[1]]}')
    assert (deep.value.kind, deep.value.offset) == ("too_deep", 6)


EXAMPLES = pathlib.Path(__file__).parents[2] / "examples" / "data"


def test_relay_finish_and_created():
    upstream = (EXAMPLES / "voice_agent_anthropic.sse").read_bytes()
    chained = argstream.Relay("pre_exec_msg", finish=False, created=7)
    out = chained.feed(upstream) + chained.finish()
    assert b"[DONE]" not in out and b'"finish_reason":"stop"' not in out
    assert b'"created":7,' in out
    whole = argstream.Relay("pre_exec_msg")
    out = whole.feed(upstream) + whole.finish()
    assert out.endswith(b"data: [DONE]\n\n") and b'"created":0,' in out
    assert whole.format == "anthropic"


def test_relay_limits():
    call = b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":%d,"function":{"arguments":"{}"}}]}}]}\n\n'
    relay = argstream.Relay("a", max_calls=1)
    relay.feed(call % 0)
    with pytest.raises(argstream.ArgstreamError) as many:
        relay.feed(call % 1)
    assert many.value.kind == "too_many_calls"
    with pytest.raises(argstream.ArgstreamError) as big:
        argstream.Relay("a", max_event_size=64).feed(call % 0)
    assert big.value.kind == "event_too_large"
    relay = argstream.Relay("a", max_arguments=1)
    relay.feed(call % 0)
    assert "larger than the limit" in relay.summary()["tool_calls"][0]["error"]
    with pytest.raises(OverflowError):
        argstream.Relay("a", max_calls=-1)


def test_relay_every_limit():
    chunk = b'data: {"choices":[{"index":%d,"delta":{"content":"x"}}]}\n\n'
    with pytest.raises(argstream.ArgstreamError) as choices:
        argstream.Relay("a", max_choices=1).feed(chunk % 1)
    assert choices.value.kind == "too_many_choices"
    with pytest.raises(argstream.ArgstreamError) as deep:
        argstream.Relay("a", max_depth=3).feed(chunk % 0)
    assert deep.value.kind == "too_deep"
    with pytest.raises(argstream.ArgstreamError) as kept:
        argstream.Relay("a", to="openai-responses", max_kept=2).feed(chunk % 0 + chunk % 0 + chunk % 0)
    assert kept.value.kind == "response_too_large"
    call = b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":%d,"function":{"arguments":"{}"}}]}}]}\n\n'
    relay = argstream.Relay("a", max_stream_arguments=3)
    relay.feed(call % 0 + call % 1)
    errors = [c["error"] for c in relay.summary()["tool_calls"]]
    assert errors[0] is None and "larger than the limit" in errors[1]


def test_relay_max_content():
    text = b'data: {"choices":[{"index":0,"delta":{"content":"%s"}}]}\n\n'
    relay = argstream.Relay("a", max_content=4)
    out = relay.feed(text % "ab".encode()) + relay.feed(text % "cé".encode()) + relay.feed(text % b"f")
    assert out.count("cé".encode()) == 1 and out.count(b'"content":"f"') == 1
    summary = relay.summary()
    assert summary["content"] == "abc" and summary["content_truncated"] is True
    whole = argstream.Relay("a")
    whole.feed(text % b"ab")
    assert whole.summary()["content"] == "ab" and whole.summary()["content_truncated"] is False
    off = argstream.Relay("a", max_content=0)
    off.feed(text % b"ab")
    assert off.summary()["content"] == "" and off.summary()["content_truncated"] is True
