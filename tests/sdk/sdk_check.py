"""The official SDKs read what argstream's relay writes.

For every upstream stream given (the bundled examples, the hand-made
upstream cases of tests/sdk/upstream and the recorded corpora), the relay
example turns it into the downstream format named by --to, with calls
hidden and forwarded, with the target values streamed and not
(--no-values). A local HTTP server on 127.0.0.1 serves those bytes to the
format's official SDK:

- openai-chat: openai-python's `chat.completions.stream(...)` and
  `get_final_completion()` (check_chat.py);
- anthropic: anthropic-python's `messages.stream(...)` and
  `get_final_message()` (check_anthropic.py);
- openai-responses: openai-python's `responses.stream(...)` and
  `get_final_response()` (check_responses.py);
- gemini: google-genai's `models.generate_content_stream(...)`, its chunks'
  text, function calls, finish reason and usage (check_gemini.py).

Each output must keep the format's rules (the check module's `protocol`),
pass the SDK's strict response validation (every event one of its typed
models accepts), and read, through the SDK's own accumulator, as the relay's
summary says (harness.compare): the answer text with the target values
(the values taken from the relay's chat output of the same stream, the
summary's text alone with --no-values), each forwarded call's id, name and
arguments and no hidden one, the finish in the format's words (a hidden
call's finish as a plain stop), the usage, and the SDK's error on a stream
that ended in an upstream error or was cut off.

Usage:
  sdk_check.py --to FORMAT [--calls hide,forward] [--values yes,no]
               [--report FILE] RELAY INPUT...
  sdk_check.py --to FORMAT --same [...] RELAY INPUT...
      the relay asked for --to same, over the streams of FORMAT's corpus:
      what it forwards unchanged must read as well as what it writes.
  sdk_check.py --to FORMAT --as-is RELAY INPUT...
      serves each stream of FORMAT's own corpus as it was recorded (with
      the calls and without values): the checks must accept the provider's
      own streams.
  sdk_check.py --to openai-chat|openai-responses --node DIR ...
      openai-node (DIR/node_modules/openai) reads every output too, through
      node_read.mjs: its chat and Responses stream helpers.
  sdk_check.py --samples DIR
      the hand-made outputs of DIR/FORMAT/*.sse, each opening with
      `: expect {...}` (harness.Expected) and `: verdict ok` or
      `: verdict fail TEXT` (TEXT in a failure's message): proves that the
      checks catch what the SDKs reject.

Prints every failure (the stream, the options, the SDK's exception or the
disagreement, and the offending event's bytes) and a tally; exits 1 when
any check failed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import check_anthropic
import check_chat
import check_gemini
import check_responses
from harness import (
    VARIANTS,
    Expected,
    Failure,
    Read,
    Relay,
    Server,
    Usage,
    Variant,
    check_output,
    check_reference,
    check_truth,
    compare,
    excerpt,
    expect,
    inputs,
    upstream_truth,
)

FORMATS: dict[str, ModuleType] = {
    m.NAME: m for m in (check_chat, check_anthropic, check_responses, check_gemini)
}
SHOWN = 40
NODE_SECONDS = 600


class Report:
    """The failures found, printed as they come up to SHOWN, all in FILE."""

    def __init__(self, file: str | None) -> None:
        self.tally: dict[str, int] = {}
        self.kinds: dict[str, int] = {}
        self.failures = 0
        self.file = open(file, "w", encoding="utf-8") if file else None  # noqa: SIM115

    def add(self, result: str, where: str, failures: list[Failure], out: bytes) -> None:
        self.tally[result] = self.tally.get(result, 0) + 1
        for failure in failures:
            self.failures += 1
            kind = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", str(failure))[:90]
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            text = f"FAIL {where}\n  {failure}\n"
            if failure.at is not None:
                text += f"  at byte {failure.at}: {excerpt(out, failure.at)}\n"
            if self.file is not None:
                self.file.write(text)
            if self.failures <= SHOWN:
                print(text, end="")

    def close(self, title: str) -> bool:
        if self.failures > SHOWN:
            print(
                f"... {self.failures - SHOWN} more failures"
                + (" (all in the report file)" if self.file else "")
            )
        if self.kinds:
            print("failures by kind:")
            for kind, count in sorted(self.kinds.items(), key=lambda item: -item[1]):
                print(f"  {count:5}  {kind}")
        print(f"{title}: {self.tally}")
        if self.file is not None:
            self.file.close()
        return self.failures == 0


def check_relay(args: argparse.Namespace) -> bool:
    fmt = FORMATS[args.to]
    relay = Relay(args.relay)
    calls = args.calls.split(",")
    values = [v == "yes" for v in args.values.split(",")]
    variants = [v for v in VARIANTS if v.calls in calls and v.values in values]
    needed = [["--to", args.to]] if args.to != "openai-chat" else []
    needed += [["--no-values"]] if False in values else []
    for flags in needed:
        if not args.as_is and not relay.accepts(*flags):
            raise SystemExit(f"the relay binary rejects {' '.join(flags)}: build the relay with it")
    streams, notes = inputs(relay, args.inputs)
    if args.as_is or args.same:
        streams = [(path, source) for path, source in streams if source == args.to]
    for note in notes:
        print(f"note: {note}")
    server = Server()
    sdk = fmt.Sdk(server)
    report = Report(args.report)
    node = NodeReads(args.node, fmt) if args.node else None
    started = time.monotonic()
    for path, source in streams:
        for variant in [Variant("forward", False)] if args.as_is else variants:
            where = f"[{args.to}] {path} {'--to same ' if args.same else ''}{variant}"
            where += " (as recorded)" if args.as_is else ""
            out = b""
            failures: list[Failure] = []
            try:
                out, expected, failures = relayed(relay, fmt, path, source, variant, args)
                result, found = check_output(fmt, sdk, out, expected)
                failures += found
                result = "fail" if failures else result
            except Failure as failure:
                result, failures = "fail", [*failures, failure]
            report.add(result, where, failures, out)
            if node is not None and out:
                node.add(where, out, expected)
    server.close()
    if node is not None:
        node.check(report)
    seconds = time.monotonic() - started
    return report.close(
        f"{fmt.NAME}: {len(streams)} streams x {1 if args.as_is else len(variants)} variants in {seconds:.0f}s"
    )


def relayed(
    relay: Relay, fmt: ModuleType, path: Path, source: str | None, variant: Variant, args: Any
) -> tuple[bytes, Expected, list[Failure]]:
    """The output to serve, what it must read as, and what the relay's own
    account of the stream already got wrong."""
    if args.as_is:
        chat = relay.run(path, source, "openai-chat", Variant("forward", True))
        return path.read_bytes(), expect(chat.summary, chat.out, variant), []
    run = relay.run(path, source, "same" if args.same else fmt.NAME, variant)
    chat = run if fmt is check_chat else relay.run(path, source, "openai-chat", variant)
    failures: list[Failure] = []
    truth = upstream_truth(path)
    checks = [lambda: check_truth(truth, chat.summary, chat.out)] if truth is not None else []
    if fmt is check_chat:
        checks.append(lambda: check_reference(run.summary, run.out, variant))
    elif run.summary != chat.summary:
        failures.append(Failure(f"the summary {run.summary} differs from the chat run's {chat.summary}"))
    for check in checks:
        try:
            check()
        except Failure as failure:
            failures.append(failure)
    expected = expect(chat.summary, chat.out, variant)
    # What the format cannot carry (check_gemini: a call whose arguments
    # are not an object).
    adjust = getattr(fmt, "adjust", None)
    return run.out, adjust(expected) if adjust else expected, failures


class NodeReads:
    """The same outputs read by openai-node (node_read.mjs), all in one
    node process, each compared as the Python SDK's read is."""

    FORMATS = ("openai-chat", "openai-responses")

    def __init__(self, folder: str, fmt: ModuleType) -> None:
        self.folder, self.fmt = folder, fmt
        self.bodies = Path(folder) / "bodies"
        self.entries: list[tuple[str, bytes, Expected]] = []

    def add(self, where: str, out: bytes, expected: Expected) -> None:
        if self.fmt.NAME in self.FORMATS:
            self.entries.append((where, out, expected))

    def check(self, report: Report) -> None:
        if not self.entries:
            return
        self.bodies.mkdir(parents=True, exist_ok=True)
        manifest = []
        for number, (_, out, _) in enumerate(self.entries):
            path = self.bodies / f"{number}.sse"
            path.write_bytes(out)
            manifest.append({"format": self.fmt.NAME, "body": str(path)})
        (self.bodies / "manifest.json").write_text(json.dumps(manifest))
        script = Path(__file__).with_name("node_read.mjs")
        done = subprocess.run(
            ["node", str(script), self.folder, str(self.bodies / "manifest.json")],
            capture_output=True,
            check=False,
            timeout=NODE_SECONDS,
        )
        lines = done.stdout.decode().splitlines()
        if done.returncode != 0 or len(lines) != len(self.entries):
            failure = Failure(f"node exited {done.returncode}: {done.stderr.decode()[-500:]}")
            report.add("node-fail", "[openai-node]", [failure], b"")
            return
        for (where, out, expected), line in zip(self.entries, lines):
            result, failures = node_verdict(self.fmt, json.loads(line), expected)
            report.add(result, f"[openai-node] {where}", failures, out)


def node_verdict(fmt: ModuleType, line: dict[str, Any], expected: Expected) -> tuple[str, list[Failure]]:
    """Whether openai-node's reading agrees with what the stream must hold."""
    read = line.get("read")
    failed = read is not None and read["finish"] == "failed"
    if expected.error:
        # openai-node raises on an error chunk or `error` event; it hands
        # over a `response.failed` as a response whose status says so.
        if "raised" in line or failed:
            return "node-error", []
        return "node-fail", [
            Failure("openai-node read the stream to its end, but upstream ended in an error")
        ]
    if read is None:
        return "node-fail", [Failure(f"openai-node raised {line['raised']}")]
    usage = read["usage"]
    try:
        compare(
            Read(
                text=read["text"],
                refusal=read["refusal"],
                calls=[tuple(call) for call in read["calls"]],  # type: ignore[misc]
                finish=read["finish"],
                usage=None if usage is None else Usage(*usage),
                reasoning=read["reasoning"],
            ),
            expected,
            fmt.finish_words,
        )
    except Failure as failure:
        return "node-fail", [Failure(f"openai-node: {failure}")]
    return "node-ok", []


def check_samples(folder: Path) -> bool:
    """Each hand-made output gets the verdict it says it must."""
    server = Server()
    report = Report(None)
    for path in sorted(folder.glob("*/*.sse")):
        fmt = FORMATS[path.parent.name]
        sample = path.read_bytes()
        # The header's comment lines are not served: google-genai takes a
        # comment line for JSON (the other SDKs skip it).
        block = re.match(rb"(?::[^\r\n]*\r?\n)+\r?\n", sample)
        head = block.group(0) if block else b""
        out = sample[len(head) :]
        header = dict(line[2:].split(" ", 1) for line in head.decode().splitlines() if line.startswith(": "))
        verdict = header["verdict"].split(" ", 1)
        expected = Expected.from_json(json.loads(header["expect"]))
        result, failures = check_output(fmt, fmt.Sdk(server), out, expected)
        messages = " | ".join(str(f) for f in failures)
        where = f"[sample] {path}"
        if verdict[0] == "ok" and failures:
            report.add("wrong", where, failures, out)
        elif verdict[0] == "fail" and (not failures or verdict[1] not in messages):
            report.add(
                "wrong",
                where,
                [Failure(f"want a failure with {verdict[1]!r}, got {messages or result!r}")],
                out,
            )
        else:
            report.add("as-said", where, [], out)
    server.close()
    return report.close(f"samples of {folder}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--to", choices=sorted(FORMATS))
    parser.add_argument("--calls", default="hide,forward")
    parser.add_argument("--values", default="yes,no")
    parser.add_argument("--as-is", action="store_true")
    parser.add_argument("--same", action="store_true")
    parser.add_argument("--report")
    parser.add_argument("--node", help="a folder with node_modules/openai: openai-node reads the outputs too")
    parser.add_argument("--samples", type=Path)
    parser.add_argument("relay", nargs="?")
    parser.add_argument("inputs", nargs="*")
    args: Any = parser.parse_args(argv)
    if args.samples is not None:
        return 0 if check_samples(args.samples) else 1
    if args.to is None or args.relay is None or not args.inputs:
        parser.error("--to, RELAY and at least one INPUT are needed")
    return 0 if check_relay(args) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
