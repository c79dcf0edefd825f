"""Memory: 100 MB fed in pieces grows nothing but the arguments.

The scanner keeps the document it is fed (its text is handed out from it)
and nothing else that grows; the relay keeps each call's arguments for the
summary. RSS is read from /proc, so these tests run on Linux only."""

import gc
import os

import pytest

import argstream

MB = 1 << 20
STATM = "/proc/self/statm"

pytestmark = pytest.mark.skipif(not os.path.exists(STATM), reason="RSS is read from /proc/self/statm (Linux)")


def rss() -> int:
    gc.collect()
    with open(STATM) as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# 64 KiB of argument text dense with escapes, as raw JSON string text.
BLOCK = (b"Let me check \\\"that\\\" for you, caf\xc3\xa9 \\ud83d\\ude00\\n" * 1400)[: 64 * 1024]
while BLOCK.endswith(b"\\") or BLOCK[-1] >= 0x80:
    BLOCK = BLOCK[:-1]


def test_a_100_mb_document_grows_only_by_the_document():
    scanner = argstream.KeyScanner("pre_exec_msg")
    before = rss()
    fed = len(scanner.feed(b'{"pre_exec_msg":"'))
    text = 0
    while fed < 100 * MB:
        text += len(scanner.feed(BLOCK))
        fed += len(BLOCK)
    scanner.feed(b'"}')
    scanner.finish()
    grown = rss() - before
    assert text > 50 * MB
    assert grown < fed * 1.05 + 16 * MB, f"grew {grown / MB:.0f} MB for {fed / MB:.0f} MB fed"
    del scanner
    freed = rss() - before
    assert freed < 16 * MB, f"{freed / MB:.0f} MB kept after the scanner is gone"


def test_small_pieces_grow_only_by_the_document():
    """4 MB in 4-byte pieces: no per-feed garbage kept."""
    scanner = argstream.KeyScanner(["pre_exec_msg", "other"])
    piece_by_piece = [BLOCK[i : i + 4] for i in range(0, len(BLOCK), 4)]
    scanner.feed('{"pre_exec_msg":"')
    before = rss()
    fed = 0
    for _ in range(64):
        for piece in piece_by_piece:
            scanner.feed(piece)
        fed += len(BLOCK)
    grown = rss() - before
    assert grown < fed * 1.05 + 8 * MB, f"grew {grown / MB:.1f} MB for {fed / MB:.0f} MB fed"


def chunk(call: int, arguments: bytes) -> bytes:
    """One chat-completion event with an argument fragment (already JSON
    string text, escaped again for the chunk)."""
    escaped = arguments.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    return (
        b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":%d,'
        b'"function":{"arguments":"%s"}}]}}]}\n\n' % (call, escaped)
    )


def test_a_100_mb_upstream_grows_only_by_the_arguments():
    relay = argstream.Relay("pre_exec_msg")
    fragment = BLOCK[:4096]
    while fragment.endswith(b"\\") or fragment[-1] >= 0x80:
        fragment = fragment[:-1]
    before = rss()
    upstream = arguments = spoken = 0
    for call in range(100):
        head = b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":%d,"id":"call_%d","function":{"name":"speak","arguments":""}}]}}]}\n\n' % (call, call)
        events = [head, chunk(call, b'{"pre_exec_msg":"')]
        events += [chunk(call, fragment)] * (MB // len(fragment))
        events.append(chunk(call, b'"}'))
        for event in events:
            spoken += len(relay.feed(event))
            upstream += len(event)
        arguments += len(b'{"pre_exec_msg":""}') + len(fragment) * (MB // len(fragment))
    relay.feed(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\ndata: [DONE]\n\n')
    relay.finish()
    grown = rss() - before
    assert upstream > 100 * MB and spoken > 50 * MB
    assert grown < arguments * 1.1 + 32 * MB, f"grew {grown / MB:.0f} MB for {arguments / MB:.0f} MB of arguments"
    summary = relay.summary()
    assert len(summary["tool_calls"]) == 100
    assert all(call["error"] is None for call in summary["tool_calls"])
