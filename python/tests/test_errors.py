"""Every error kind, with its byte offset, the same under every split, as str
and as bytes; a failed scanner or relay stays failed.

The one kind Python cannot meet is "buffer_shrunk": the binding keeps the
document itself and only ever appends to it."""

import json
import pathlib

import pytest

import argstream

# (document, kind, offset of the first bad byte). Offsets count UTF-8 bytes
# from the first byte fed.
SCANNER_ERRORS = [
    ('{"a":"abc', "truncated", 9),
    ("", "truncated", 0),
    ('{"a":"b"', "truncated", 8),
    ('{"a" 1}', "unexpected_byte", 5),
    ('{"a":"b",}', "unexpected_byte", 9),
    ('{"a":01}', "invalid_number", 6),
    ('{"a":1.}', "invalid_number", 7),
    ('{"a":tru}', "invalid_literal", 8),
    ('{"a":nul}', "invalid_literal", 8),
    ('{"a":"\\q"}', "invalid_escape", 7),
    ('{"a":"\\u12g4"}', "invalid_escape", 10),
    ('{"a":"\\ud800x"}', "lone_surrogate", 6),
    ('{"a":"\\udc00"}', "lone_surrogate", 6),
    (b'{"a":"\xff"}', "invalid_utf8", 6),
    (b'{"a":"\xc3("}', "invalid_utf8", 7),
    ('{"a":"\n"}', "control_character", 6),
    # The root object is the first container; the 128th is refused.
    ('{"a":' + "[" * 200, "too_deep", 5 + 126),
    ('{"a":"b"} x', "trailing_content", 10),
    ('{"\u00e9":"\u00e9"} x', "trailing_content", 12),  # UTF-8 bytes, not characters
]


def scan(keys, fragments):
    """Feeds the fragments and finishes; the error raised, or None."""
    scanner = argstream.KeyScanner(keys)
    try:
        for fragment in fragments:
            scanner.feed(fragment)
        scanner.finish()
    except argstream.ArgstreamError as error:
        return scanner, error
    return scanner, None


@pytest.mark.parametrize(("doc", "kind", "offset"), SCANNER_ERRORS)
def test_every_kind_at_its_offset_under_every_split(doc, kind, offset):
    forms = [doc] if isinstance(doc, bytes) else [doc, doc.encode()]
    for data in forms:
        for at in range(len(data) + 1):
            for keys in ("a", ["x", "a"]):
                _, error = scan(keys, [data[:at], data[at:]])
                assert error is not None, (data, at)
                assert (error.kind, error.offset) == (kind, offset), (data, at)
        _, error = scan("a", [data[i : i + 1] for i in range(len(data))])
        assert (error.kind, error.offset) == (kind, offset)


def test_the_error_is_a_value_error_that_names_kind_and_offset():
    _, error = scan("a", ['{"a":"\\q"}'])
    assert isinstance(error, ValueError)
    assert type(error) is argstream.ArgstreamError
    assert str(error) == "invalid escape sequence at byte 7"
    assert isinstance(error.kind, str) and isinstance(error.offset, int)


def test_a_failed_scanner_stays_failed():
    scanner = argstream.KeyScanner("a")
    assert scanner.feed('{"a":"ok ') == "ok "
    with pytest.raises(argstream.ArgstreamError) as first:
        scanner.feed('\\x more"}')
    offset = scanner.offset
    for call in (lambda: scanner.feed('"}'), lambda: scanner.feed(b"more"), scanner.finish):
        with pytest.raises(argstream.ArgstreamError) as again:
            call()
        assert (again.value.kind, again.value.offset) == (first.value.kind, first.value.offset)
    assert scanner.offset == offset
    assert not scanner.complete
    scanner.reset()
    assert scanner.feed('{"a":"fresh"}') == "fresh"
    scanner.finish()


def test_finish_on_a_cut_off_document_fails_the_scanner():
    scanner = argstream.KeyScanner("a")
    scanner.feed('{"a":"cut')
    with pytest.raises(argstream.ArgstreamError) as cut:
        scanner.finish()
    assert (cut.value.kind, cut.value.offset) == ("truncated", 9)
    with pytest.raises(argstream.ArgstreamError):
        scanner.feed('"}')


def test_the_json_test_suite_is_accepted_and_refused_as_json_loads_does():
    from conftest import require_testdata

    folder = require_testdata("JSONTestSuite/test_parsing")
    checked = 0
    for path in sorted(pathlib.Path(folder).glob("[yn]_*.json")):
        data = path.read_bytes()
        for fragments in ([data], [data[i : i + 3] for i in range(0, len(data), 3)]):
            _, error = scan("a", fragments)
            if path.name.startswith("y_"):
                assert error is None, (path.name, error)
            else:
                assert error is not None, path.name
                assert error.kind != "buffer_shrunk"
        checked += 1
    assert checked > 250


def test_wrong_argument_types_are_type_errors():
    with pytest.raises(TypeError):
        argstream.KeyScanner(3)
    with pytest.raises(TypeError):
        argstream.KeyScanner(["a", 3])
    scanner = argstream.KeyScanner("a")
    for fragment in (3, None, memoryview(b"{}"), ["{}"]):
        with pytest.raises(TypeError):
            scanner.feed(fragment)
        with pytest.raises(TypeError):
            argstream.Relay("a").feed(fragment)
    assert scanner.feed(bytearray(b'{"a":"b')) == "b"


def test_a_relay_refuses_a_malformed_chunk_and_stays_failed():
    relay = argstream.Relay("a")
    good = b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
    out = relay.feed(good)
    assert b'"content":"hi"' in out
    with pytest.raises(argstream.ArgstreamError) as bad:
        relay.feed(b'data: {"choices": 5}\n\n')
    # The offset names the bad byte: the 5 where an array belongs.
    at = len(good) + len('data: {"choices": ')
    assert (bad.value.kind, bad.value.offset) == ("malformed_chunk", at)
    for call in (lambda: relay.feed(good), relay.finish):
        with pytest.raises(argstream.ArgstreamError) as again:
            call()
        assert (again.value.kind, again.value.offset) == ("malformed_chunk", at)


def test_a_relay_refuses_an_event_larger_than_its_limit():
    relay = argstream.Relay("a")
    line = b"data: " + b"x" * (16 << 20)
    with pytest.raises(argstream.ArgstreamError) as big:
        for start in range(0, len(line), 1 << 20):
            relay.feed(line[start : start + (1 << 20)])
    assert big.value.kind == "event_too_large"
    # The offset of the first byte past the limit.
    assert big.value.offset == 16 << 20


def test_unknown_relay_options_are_value_errors():
    with pytest.raises(ValueError):
        argstream.Relay("a", from_="cohere")
    with pytest.raises(ValueError):
        argstream.Relay("a", tool_calls="show")
    with pytest.raises(TypeError):
        argstream.Relay("a", "openai-chat")


def call_event(index: int, arguments: str) -> bytes:
    escaped = json.dumps(arguments)
    return (
        b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":%d,"id":"c%d",'
        b'"function":{"name":"f","arguments":%s}}]}}]}\n\n' % (index, index, escaped.encode())
    )


def test_a_relay_refuses_more_calls_than_its_limit():
    relay = argstream.Relay("a")
    events = [call_event(i, "{}") for i in range(1025)]
    fed = b"".join(events[:1024])
    relay.feed(fed)
    with pytest.raises(argstream.ArgstreamError) as many:
        relay.feed(events[1024])
    assert (many.value.kind, many.value.offset) == ("too_many_calls", len(fed))
    assert len(relay.summary()["tool_calls"]) == 1024


def test_arguments_past_their_limit_stop_only_that_call():
    relay = argstream.Relay("a")
    out = relay.feed(call_event(0, '{"a":"'))
    piece = "x" * (1 << 20)
    for _ in range(17):
        out += relay.feed(call_event(0, piece))
    out += relay.feed(call_event(1, '{"a":"next call"}'))
    out += relay.feed(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n')
    out += relay.feed(b"data: [DONE]\n\n") + relay.finish()
    assert out.endswith(b"data: [DONE]\n\n")
    assert b'"content":"next call"' in out
    first, second = relay.summary()["tool_calls"]
    assert "larger than the limit" in first["error"]
    assert second["error"] is None and second["arguments"] == '{"a":"next call"}'
