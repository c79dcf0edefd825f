"""Every split point: each document fed in two pieces at every position, and
one piece at a time, as str and as bytes, gives exactly what json.loads
gives, and the same as one piece."""

import json
import random

import pytest

import argstream

KEY = "pre_exec_msg"

# Hard cases: escapes of every kind, surrogate pairs, multi-byte UTF-8,
# decoys of the key (nested objects, strings, arrays), escaped key spellings,
# duplicates, values of every type.
DOCS = [
    r'{"pre_exec_msg": "Let me check that for you"}',
    r'{"pre_exec_msg":"quote \" backslash \\ slash \/ \b\f\n\r\t end"}',
    r'{"pre_exec_msg":"\u00e9\u00E9 \u4e2d \ud83d\ude00 \uD83C\uDF89 \u0000"}',
    '{"pre_exec_msg":"caf\u00e9 \u4e2d\u6587 \U0001F600\U0001F389 \u007f \u2028"}',
    r'{"a":{"pre_exec_msg":"decoy"},"pre_exec_msg":"real","b":["pre_exec_msg"]}',
    r'{"list":[{"pre_exec_msg":"x"},"pre_exec_msg",{"k":{"pre_exec_msg":1}}],"pre_exec_msg":"ok"}',
    r'{"pre\u005fexec_msg":"escaped key"}',
    r'{"pre_exec_msgs":"longer","pre_exec_ms":"shorter","PRE_EXEC_MSG":"case"}',
    r'{"pre_exec_msg":"first","pre_exec_msg":"second"}',
    r'{"pre_exec_msg":"string","pre_exec_msg":12}',
    r'{"pre_exec_msg":{"pre_exec_msg":"inner"}}',
    r'{"pre_exec_msg":["a","b"]}',
    r'{"pre_exec_msg":null,"x":true,"y":false,"z":-0.5e+10}',
    r'{"pre_exec_msg":""}',
    r'  { "n" : [ 1 , 2.5 , -3e2 , 0 ] , "pre_exec_msg" : "spaced" }  ',
    r'{"text":"\"pre_exec_msg\": \"not me\"","pre_exec_msg":"me"}',
    r'{"pre_exec_msg":"a\\\"b\\"}',
    r'{"pre_exec_msg":"\\u0041 is not an escape"}',
    r'{"pre_exec_msg":"\ud834\udd1e clef \ud83d\ude00\ud83d\ude00"}',
    '{"pre_exec_msg":"\U0001F600\\ud83d\\ude00\U0001F600"}',
    r'[{"pre_exec_msg":"in an array root"}]',
    r'"pre_exec_msg"',
    r"{}",
    r"12",
]

# Several keys: values of different keys, interleaved with duplicates and
# decoys, each tuple (key, occurrence) apart.
MULTI_KEYS = ["pre_exec_msg", "thinking", "caf\u00e9"]
MULTI_DOCS = [
    r'{"thinking":"hm\u00e9","pre_exec_msg":"One \"moment\"","thinking":"\ud83d\ude00 more"}',
    '{"caf\\u00e9":"by escaped key","caf\u00e9":"by UTF-8 key","x":{"thinking":"decoy"}}',
    r'{"thinking":"","pre_exec_msg":"","thinking":"b","pre_exec_msg":12,"pre_exec_msg":"c"}',
]


def root_pairs(doc: str) -> list[tuple[str, object]]:
    """The root object's key-value pairs in order, duplicates kept; [] if the
    root is not an object. object_pairs_hook runs for every object, the root
    last."""
    value = json.loads(doc, object_pairs_hook=lambda pairs: ("object", pairs))
    if isinstance(value, tuple) and value[0] == "object":
        return value[1]
    return []


def expected_pieces(doc: str, keys: list[str]) -> list[tuple[str, int, str]]:
    """(key, occurrence, value) for every string value of a target key at
    the root's top level, in document order."""
    counts = dict.fromkeys(keys, 0)
    pieces = []
    for key, value in root_pairs(doc):
        if key not in counts:
            continue
        if isinstance(value, str):
            pieces.append((key, counts[key], value))
        counts[key] += 1
    return pieces


def cuts(length: int, plan: list[int]) -> list[int]:
    """Cut positions of a document of `length` pieces sized by `plan`, cycled."""
    positions, at, i = [], 0, 0
    while at < length:
        at = min(length, at + max(1, plan[i % len(plan)]))
        positions.append(at)
        i += 1
    return positions


def pieces_of(doc: str | bytes, positions: list[int]) -> list:
    start, out = 0, []
    for end in positions:
        out.append(doc[start:end])
        start = end
    return out


def run_text(keys, fragments) -> str:
    scanner = argstream.KeyScanner(keys)
    text = "".join(scanner.feed(fragment) for fragment in fragments)
    scanner.finish()
    assert scanner.complete
    return text


def run_pieces(keys, fragments) -> list[tuple[str, int, str]]:
    """feed_pieces over the fragments, each value's pieces joined."""
    scanner = argstream.KeyScanner(keys)
    joined: list[list] = []
    for fragment in fragments:
        for key, occurrence, text in scanner.feed_pieces(fragment):
            assert isinstance(text, str)
            if joined and joined[-1][:2] == [key, occurrence]:
                joined[-1][2] += text
            else:
                joined.append([key, occurrence, text])
    scanner.finish()
    return [tuple(piece) for piece in joined]


def splits(doc: str | bytes):
    """Every two-piece split, one unit at a time, and seeded random plans."""
    n = len(doc)
    yield [n]
    for at in range(n + 1):
        yield [at, n] if at else [n]
    yield list(range(1, n + 1))
    rng = random.Random(n)
    for _ in range(20):
        yield cuts(n, [rng.randint(1, 9) for _ in range(7)])


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
@pytest.mark.parametrize("doc", DOCS)
def test_every_split_gives_what_json_loads_gives(doc, as_bytes):
    want = "".join(text for _, _, text in expected_pieces(doc, [KEY]))
    data = doc.encode() if as_bytes else doc
    for positions in splits(data):
        fragments = pieces_of(data, positions)
        assert run_text(KEY, fragments) == want, positions


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
@pytest.mark.parametrize("doc", MULTI_DOCS + DOCS[:6] + DOCS[8:10])
def test_every_split_keeps_keys_and_occurrences_apart(doc, as_bytes):
    keys = MULTI_KEYS
    want = expected_pieces(doc, keys)
    data = doc.encode() if as_bytes else doc
    for positions in splits(data):
        fragments = pieces_of(data, positions)
        assert run_pieces(keys, fragments) == want, positions
        assert run_text(keys, fragments) == "".join(text for _, _, text in want)


def test_every_pair_of_cuts_inside_escapes_and_characters():
    """Three pieces, every pair of cut points, over a document dense with
    escapes, surrogate pairs and multi-byte characters."""
    doc = '{"pre_exec_msg":"\\ud83d\\ude00\u00e9\\"\U0001F389\\u4e2d\\n"}'.encode()
    want = json.loads(doc)[KEY]
    for first in range(1, len(doc)):
        for second in range(first, len(doc)):
            fragments = [doc[:first], doc[first:second], doc[second:]]
            assert run_text(KEY, fragments) == want, (first, second)


def test_str_and_bytes_fragments_mix():
    doc = '{"pre_exec_msg":"caf\u00e9 \\ud83d\\ude00!"}'
    data = doc.encode()
    scanner = argstream.KeyScanner(KEY)
    text = scanner.feed(doc[:10]) + scanner.feed(data[10:21]) + scanner.feed(data[21:])
    scanner.finish()
    assert text == json.loads(doc)[KEY]


def test_text_comes_as_soon_as_it_is_complete():
    scanner = argstream.KeyScanner(KEY)
    assert scanner.feed('{"pre_exec_msg":"Let') == "Let"
    assert scanner.feed(" me \\") == " me "
    assert scanner.feed("u00") == ""
    assert scanner.feed("e9 \\ud83d") == "\u00e9 "
    assert scanner.feed(b"\\ude00 caf\xc3") == "\U0001F600 caf"
    assert scanner.feed(b"\xa9") == "\u00e9"
    assert not scanner.complete
    assert scanner.feed('"}') == ""
    assert scanner.complete
    scanner.finish()


def test_a_value_split_across_feeds_keeps_its_key_and_occurrence():
    scanner = argstream.KeyScanner(["a", "b"])
    assert scanner.feed_pieces('{"a":"x') == [("a", 0, "x")]
    assert scanner.feed_pieces("y") == [("a", 0, "y")]
    assert scanner.feed_pieces('","b":"","a":"z"') == [("b", 0, ""), ("a", 1, "z")]
    assert scanner.feed_pieces("}") == []
    scanner.finish()
