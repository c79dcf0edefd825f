"""Streams one string argument out of a tool call's arguments, fed in
4-character pieces, with argstream and with the ways Python code does it
today; prints a markdown table.

    python bench.py [--quick] [--limit SECONDS]
    valgrind --tool=callgrind python bench.py --feed-loop N [--noop]

The document is `{"pre_exec_msg": "<text>", "city": "Lisbon"}`, the text
with escapes (\\" and \\n) and non-ASCII characters every few words. Each
contender turns the stream of pieces into the value's new text after each
piece, the way a gateway must to speak it:

- argstream: `KeyScanner.feed(piece)` returns the new text;
- jiter: appends the piece and re-parses the whole buffer with
  `partial_mode="trailing-strings"` (what openai-python and
  anthropic-sdk-python do at every delta), then slices off the new text;
- pydantic_core: the same with `from_json(allow_partial="trailing-strings")`;
- partial-json-parser: the same with `loads`;
- streaming-json-parser: `feed(piece)` returns a snapshot of the whole value.

Every contender's text is checked against json.loads. A contender whose next
size would take longer than --limit seconds (estimated from its last size,
assuming quadratic time) is skipped from there on, and the table says so.
Peers that are not installed are left out with a note.

--feed-loop N only feeds N 4-character pieces (or, with --noop, calls a
no-op C method N times in the same loop), for counting instructions per
feed under callgrind: the difference between N and 0, divided by N.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import argstream

KEY = "pre_exec_msg"
SIZES = [2 << 10, 8 << 10, 32 << 10, 64 << 10, 256 << 10, 1 << 20]
QUICK_SIZES = [2 << 10, 8 << 10, 64 << 10]
PIECE = 4


def document(size: int) -> str:
    """About `size` characters of arguments."""
    words = ["Let", "me", "check", 'the "feels like"', "forecast", "for", "Lisbon,", "caf\u00e9", "weather\n", "one", "moment."]
    text, i = [], 0
    length = 0
    while length < size - 40:
        word = words[i % len(words)]
        text.append(word)
        length += len(json.dumps(word)) - 1
        i += 1
    return json.dumps({KEY: " ".join(text), "city": "Lisbon"}, ensure_ascii=False)


def pieces_of(doc: str) -> list[str]:
    return [doc[i : i + PIECE] for i in range(0, len(doc), PIECE)]


def run_argstream(pieces: list[str]) -> str:
    scanner = argstream.KeyScanner(KEY)
    out = [scanner.feed(piece) for piece in pieces]
    scanner.finish()
    return "".join(out)


def reparser(parse):
    """The re-parse loop: append, parse the whole buffer, slice the new text."""

    def run(pieces: list[str]) -> str:
        buffer, spoken, out = "", 0, []
        for piece in pieces:
            buffer += piece
            value = parse(buffer)
            text = value.get(KEY) if isinstance(value, dict) else None
            if isinstance(text, str) and len(text) > spoken:
                out.append(text[spoken:])
                spoken = len(text)
        return "".join(out)

    return run


def contenders() -> tuple[dict, list[str]]:
    found, notes = {"argstream": run_argstream}, []
    try:
        import jiter

        found["jiter re-parse"] = reparser(lambda b: jiter.from_json(b.encode(), partial_mode="trailing-strings"))
    except ImportError:
        notes.append("jiter is not installed")
    try:
        import pydantic_core

        found["pydantic_core partial"] = reparser(
            lambda b: pydantic_core.from_json(b, allow_partial="trailing-strings")
        )
    except ImportError:
        notes.append("pydantic_core is not installed")
    try:
        import partial_json_parser

        found["partial-json-parser"] = reparser(partial_json_parser.loads)
    except ImportError:
        notes.append("partial-json-parser is not installed")
    try:
        from streaming_json_parser import StreamingJsonParser

        def run_snapshots(pieces: list[str]) -> str:
            parser, spoken, out = StreamingJsonParser(), 0, []
            for piece in pieces:
                value = parser.feed(piece).value
                text = value.get(KEY) if isinstance(value, dict) else None
                if isinstance(text, str) and len(text) > spoken:
                    out.append(text[spoken:])
                    spoken = len(text)
            return "".join(out)

        found["streaming-json-parser"] = run_snapshots
    except ImportError:
        notes.append("streaming-json-parser is not installed (or did not install)")
    return found, notes


def per_feed_overhead(feeds: int = 200_000) -> tuple[float, float]:
    """Nanoseconds per feed of a 4-character piece inside a long string
    value, best of 5, and of the same loop calling a no-op C method
    instead (the Python loop and call alone)."""
    pieces = ["abcd"] * feeds
    noop = str.isascii
    best, bare = float("inf"), float("inf")
    for _ in range(5):
        scanner = argstream.KeyScanner(KEY)
        scanner.feed('{"pre_exec_msg":"')
        feed = scanner.feed
        start = time.perf_counter()
        for piece in pieces:
            feed(piece)
        best = min(best, time.perf_counter() - start)
        start = time.perf_counter()
        for piece in pieces:
            noop(piece)
        bare = min(bare, time.perf_counter() - start)
    return best / feeds * 1e9, bare / feeds * 1e9


def feed_loop(feeds: int, noop: bool) -> None:
    pieces = ["abcd"] * feeds
    scanner = argstream.KeyScanner(KEY)
    scanner.feed('{"pre_exec_msg":"')
    call = str.isascii if noop else scanner.feed
    for piece in pieces:
        call(piece)


def timed(run, pieces: list[str], want: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        got = run(pieces)
        best = min(best, time.perf_counter() - start)
        if got != want:
            raise SystemExit(f"wrong text from {run}: {got[:60]!r}... != {want[:60]!r}...")
    return best


def human(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"


def seconds(t: float) -> str:
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--quick", action="store_true", help="sizes 2, 8 and 64 KiB only")
    options.add_argument("--limit", type=float, default=20.0, help="skip a run estimated longer (seconds)")
    options.add_argument("--feed-loop", type=int, metavar="N", help="only feed N pieces (for callgrind)")
    options.add_argument("--noop", action="store_true", help="with --feed-loop: call a no-op instead")
    args = options.parse_args()
    if args.feed_loop is not None:
        feed_loop(args.feed_loop, args.noop)
        return
    sizes = QUICK_SIZES if args.quick else SIZES
    runs, notes = contenders()
    names = list(runs)
    times: dict[str, dict[int, float | None]] = {name: {} for name in names}
    last: dict[str, tuple[int, float]] = {}
    per_feed: dict[int, float] = {}
    for size in sizes:
        doc = document(size)
        pieces = pieces_of(doc)
        want = json.loads(doc)[KEY]
        for name in names:
            if name in last:
                prev_size, prev_time = last[name]
                if prev_time * (size / prev_size) ** 2 > args.limit and name != "argstream":
                    times[name][size] = None
                    continue
            repeat = 7 if name == "argstream" else (3 if size <= 8 << 10 else 1)
            t = timed(runs[name], pieces, want, repeat)
            times[name][size] = t
            last[name] = (size, t)
            print(f"{name} at {human(size)}: {seconds(t)}", file=sys.stderr)
        per_feed[size] = times["argstream"][size] / len(pieces)

    print(f"One string argument in {PIECE}-character pieces (str), best of 7 runs for argstream, "
          f"of 3 (up to 8 KiB) or 1 for the others; Python {platform.python_version()}, "
          f"{platform.machine()}.\n")
    header = ["arguments", "pieces", "argstream", "per piece"] + [n for n in names if n != "argstream"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")
    skipped = []
    for size in sizes:
        ours = times["argstream"][size]
        row = [human(size), f"{len(pieces_of(document(size))):,}", seconds(ours), f"{per_feed[size] * 1e9:.0f} ns"]
        for name in names:
            if name == "argstream":
                continue
            t = times[name].get(size)
            if t is None:
                row.append("skipped")
                skipped.append(f"{name} at {human(size)}")
            else:
                row.append(f"{seconds(t)} ({t / ours:,.0f}x)")
        print("| " + " | ".join(row) + " |")
    print()
    overhead, loop = per_feed_overhead()
    print(f"Per feed of a 4-character piece in a long value: {overhead:.0f} ns, of which "
          f"{loop:.0f} ns is the Python loop and a C method call (200,000 feeds, best of 5).\n")
    print("In parentheses: how many times argstream's time. Per piece: argstream's time "
          "divided by the number of pieces, the Python loop included.")
    if skipped:
        print(f"Skipped (estimated over {args.limit:.0f} s from the size before, as time grows "
              f"quadratically): {', '.join(skipped)}.")
    for note in notes:
        print(f"Not measured: {note}.")


if __name__ == "__main__":
    main()
