"""Threads: a scanner or relay used from two threads at once raises
RuntimeError in the second and is never corrupted.

Long fragments (64 KiB and more) are scanned with the interpreter released,
so a second thread really runs while the first is inside feed(); its calls
must be refused, and the first thread's text must come out whole."""

import threading
import time

import pytest

import argstream

# Whole repeats, so that no piece ends inside an escape.
PIECE = b"0123456789 \\\"quoted\\\" caf\xc3\xa9 \\u00e9 " * 8192
PIECES = 64
DECODED = PIECE.decode().replace('\\"', '"').replace("\\u00e9", "\u00e9")


def hammer(target, calls, stop: threading.Event) -> list[BaseException]:
    """Calls each of `calls` on `target` in turn until `stop`; the errors."""
    errors = []
    while not stop.is_set():
        for call in calls:
            try:
                call(target)
            except RuntimeError as error:
                errors.append(error)
    return errors


def test_a_scanner_used_from_two_threads_at_once_refuses_the_second():
    scanner = argstream.KeyScanner("pre_exec_msg")
    assert scanner.feed('{"pre_exec_msg":"') == ""
    stop = threading.Event()
    spoken = []

    def speak():
        try:
            for _ in range(PIECES):
                spoken.append(scanner.feed(PIECE))
        finally:
            stop.set()

    errors: list[BaseException] = []
    other = threading.Thread(target=lambda: errors.extend(hammer(
        scanner, [lambda s: s.feed(b""), lambda s: s.offset, lambda s: s.complete], stop)))
    first = threading.Thread(target=speak)
    started = time.monotonic()
    other.start()
    first.start()
    first.join(60)
    other.join(60)
    assert not first.is_alive() and not other.is_alive()
    # The first thread's text is whole: nothing lost, doubled or reordered.
    assert len(spoken) == PIECES and "".join(spoken) == DECODED * PIECES
    assert scanner.feed('"}') == ""
    scanner.finish()
    assert scanner.offset == len('{"pre_exec_msg":"') + len(PIECE) * PIECES + 2
    if not errors:
        pytest.fail(f"no call of the second thread overlapped in {time.monotonic() - started:.1f} s")
    assert all("another thread" in str(error) for error in errors)


def test_a_relay_used_from_two_threads_at_once_refuses_the_second():
    # The text is 18 MB, past the summary's default 16 MiB: keep it all.
    relay = argstream.Relay("pre_exec_msg", max_content=len(PIECE) * PIECES)
    text = PIECE.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    read = b'data: {"choices":[{"index":0,"delta":{"content":"%s"}}]}\n\n' % text
    stop = threading.Event()
    outputs = []

    def relay_reads():
        try:
            for _ in range(PIECES):
                outputs.append(relay.feed(read))
        finally:
            stop.set()

    errors: list[BaseException] = []
    other = threading.Thread(target=lambda: errors.extend(hammer(
        relay, [lambda r: r.feed(b""), lambda r: r.events, lambda r: r.summary()], stop)))
    first = threading.Thread(target=relay_reads)
    other.start()
    first.start()
    first.join(60)
    other.join(60)
    alone = argstream.Relay("pre_exec_msg")
    assert b"".join(outputs) == b"".join(alone.feed(read) for _ in range(PIECES))
    assert relay.events == PIECES
    assert relay.summary()["content"] == PIECE.decode() * PIECES
    assert errors, "no call of the second thread overlapped"
    assert all("another thread" in str(error) for error in errors)
