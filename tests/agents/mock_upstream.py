"""A scripted model upstream for an agent CLI's turn with a tool call.

Speaks one upstream format (`openai-chat`, `openai-responses`, `anthropic`
or `gemini`) on 127.0.0.1, as the gateway sends it a translated request:

- a request with no tool result and the agent's shell tool among its tools
  gets some text and a call of that tool running `echo MARKER`, its
  arguments streamed in pieces (Gemini's call arrives whole, as Gemini
  sends it);
- a request with a tool result must carry that call and its result tied
  by id (by name for Gemini), the result holding MARKER (the command's
  output); it then gets text repeating the output. A request that breaks a
  rule the real API enforces gets the 4xx that API gives, with the reason;
- anything else (a side request without the shell tool) gets plain text.

With --reasoning, the answer with the call opens with reasoning, signed as
the format signs it (an Anthropic thinking block's signature, a Responses
reasoning item's encrypted content), and the next request must bring it
back as that API requires, byte for byte, or leave it out where allowed.

So the agent can report MARKER only if the call reached it, it ran the
command, and the result came back to the upstream whole. Both streamed and
whole answers are written, each in the format's own shape.

Every request, the checks it passed or failed and the answer sent are
written to --log-dir (NNN.json, keys masked). The server exits after
--max-seconds or --max-requests, whichever comes first.

Usage:
  mock_upstream.py --format F --agent claude|codex --marker M --model NAME
                   --key KEY --log-dir DIR --port-file FILE [--reasoning]
  (--model '*' takes any model: an agent straight at the mock.)
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FORMATS = ("openai-chat", "openai-responses", "anthropic", "gemini")
SECRET_HEADERS = {"authorization", "x-api-key", "x-goog-api-key", "cookie", "proxy-authorization"}
# The call the mock makes, the same in every format.
CALL_ID = {"openai-chat": "call_mock_1", "openai-responses": "call_mock_1", "anthropic": "toolu_mock_1"}
RESPONSE_ID = "mock-response-1"
# Gemini 3 rejects a call in the history without a thought signature.
THOUGHT_SIGNATURE = "bW9jay10aG91Z2h0LXNpZ25hdHVyZQ=="
LEAD_TEXT = "I will run the command."
# With --reasoning, the first answer opens with reasoning, signed as each
# format signs it; the second request must bring it back as the API requires.
THINKING = "The user wants the output of an echo command."
THINKING_SIGNATURE = "bW9jay10aGlua2luZy1zaWduYXR1cmU="
ENCRYPTED_REASONING = "gAAAAmock-encrypted-reasoning"
# More output tokens than most models allow (gpt-4o 16384, gpt-4.1 32768,
# gemini-2.5 65536): noted, since a real upstream may refuse the request.
MANY_OUTPUT_TOKENS = 32768


class Reject(Exception):
    """A request the real API would refuse: the status and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def shell_call(agent: str, marker: str) -> tuple[str, dict[str, Any]]:
    """The agent's shell tool and the arguments that run `echo marker`."""
    if agent == "claude":
        return "Bash", {"command": f"echo {marker}", "description": "Print the test marker"}
    return "exec_command", {"cmd": f"echo {marker}"}


def text_of(value: Any) -> str:
    """Every string inside a JSON value, joined: a tool result's text in any shape."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(text_of(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(text_of(v) for v in value.values())
    return ""


def pieces(text: str, count: int = 3) -> list[str]:
    """`text` cut in `count` pieces (the last may be longer)."""
    size = max(1, len(text) // count)
    cuts = [text[i * size : (i + 1) * size] for i in range(count - 1)]
    cuts.append(text[(count - 1) * size :])
    return [c for c in cuts if c]


# --- reading a request, per format ------------------------------------------


def tool_names(fmt: str, body: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        if fmt == "openai-chat":
            function = tool.get("function") if tool.get("type") == "function" else tool.get("custom")
            if isinstance(function, dict):
                names.append(str(function.get("name")))
        elif fmt == "gemini":
            for declaration in tool.get("functionDeclarations") or tool.get("function_declarations") or []:
                names.append(str(declaration.get("name")))
        else:
            names.append(str(tool.get("name")))
    return names


def calls_and_results(fmt: str, body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The calls in the history and the results, each with id, name, position
    and (for results) text; for Gemini, the call's part too."""
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    if fmt == "openai-chat":
        for n, message in enumerate(body.get("messages") or []):
            if message.get("role") == "assistant":
                for call in message.get("tool_calls") or []:
                    function = call.get("function") or {}
                    calls.append({"id": call.get("id"), "name": function.get("name"), "at": n,
                                  "arguments": function.get("arguments")})
            elif message.get("role") == "tool":
                results.append({"id": message.get("tool_call_id"), "at": n, "text": text_of(message.get("content"))})
    elif fmt == "openai-responses":
        items = body.get("input")
        for n, item in enumerate(items if isinstance(items, list) else []):
            kind = item.get("type")
            if kind in ("function_call", "custom_tool_call"):
                calls.append({"id": item.get("call_id"), "name": item.get("name"), "at": n,
                              "arguments": item.get("arguments", item.get("input"))})
            elif kind in ("function_call_output", "custom_tool_call_output"):
                results.append({"id": item.get("call_id"), "at": n, "text": text_of(item.get("output"))})
    elif fmt == "anthropic":
        for n, message in enumerate(body.get("messages") or []):
            content = message.get("content")
            for block in content if isinstance(content, list) else []:
                if block.get("type") == "tool_use" and message.get("role") == "assistant":
                    calls.append({"id": block.get("id"), "name": block.get("name"), "at": n,
                                  "arguments": block.get("input")})
                elif block.get("type") == "tool_result" and message.get("role") == "user":
                    results.append({"id": block.get("tool_use_id"), "at": n, "text": text_of(block.get("content")),
                                    "is_error": block.get("is_error")})
    else:
        for n, content in enumerate(body.get("contents") or []):
            for part in content.get("parts") or []:
                if "functionCall" in part and content.get("role") == "model":
                    call = part["functionCall"]
                    calls.append({"id": call.get("id"), "name": call.get("name"), "at": n, "part": part,
                                  "arguments": call.get("args")})
                elif "functionResponse" in part:
                    response = part["functionResponse"]
                    results.append({"id": response.get("id"), "name": response.get("name"), "at": n,
                                    "text": text_of(response.get("response"))})
    return calls, results


def check_second_turn(fmt: str, body: dict[str, Any], tool: str, marker: str, notes: list[str]) -> None:
    """The rules a real API enforces on a history with a call and its result,
    and the test's own: the result is the command's output."""
    calls, results = calls_and_results(fmt, body)
    ours = [c for c in calls if c["name"] == tool]
    if not ours:
        raise Reject(400, f"no {tool} call in the history before its result (calls: {calls})")
    call = ours[-1]
    if fmt == "gemini":
        if "thoughtSignature" not in call["part"] and "thought_signature" not in call["part"]:
            raise Reject(400, "Function call is missing a thought_signature in functionCall parts")
        if call["part"].get("thoughtSignature") != THOUGHT_SIGNATURE:
            notes.append(f"the call's thoughtSignature is not the one sent: {call['part'].get('thoughtSignature')!r}")
        matching = [r for r in results if r.get("name") == tool and r["at"] > call["at"]]
        if not any(r["at"] == call["at"] + 1 for r in matching):
            raise Reject(400, "Please ensure that function response turn comes immediately after a function call turn")
        if call.get("id") or any(r.get("id") for r in matching):
            notes.append(f"Gemini call/result ids: {call.get('id')!r} / {[r.get('id') for r in matching]!r}")
    else:
        if call["id"] != CALL_ID[fmt]:
            raise Reject(400, f"the call's id is {call['id']!r}, not the {CALL_ID[fmt]!r} the upstream made")
        matching = [r for r in results if r["id"] == call["id"]]
        if not matching:
            raise Reject(400, f"tool_use ids were found without tool_result blocks: {call['id']} "
                              f"(results: {[r['id'] for r in results]})")
        if fmt == "anthropic" and any(r["at"] != call["at"] + 1 for r in matching):
            raise Reject(400, "a tool_result is not in the user turn right after its tool_use")
        if any(r["at"] < call["at"] for r in matching):
            raise Reject(400, "a tool result comes before its call")
        if fmt == "openai-chat":
            between = body["messages"][call["at"] + 1 : max(r["at"] for r in matching)]
            if any(message.get("role") != "tool" for message in between):
                raise Reject(400, "messages with role 'tool' must be a response to a preceding message with 'tool_calls'")
    if not any(marker in r["text"] for r in matching):
        raise Reject(400, f"the tool result does not hold the command's output {marker!r}: "
                          f"{[r['text'][:300] for r in matching]}")
    arguments = call.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            notes.append(f"the call's arguments in the history are not JSON: {arguments[:200]!r}")
    if isinstance(arguments, dict) and marker not in text_of(arguments):
        notes.append(f"the call's arguments in the history lost the command: {arguments!r}")


def check_reasoning(fmt: str, body: dict[str, Any], tool: str, notes: list[str]) -> None:
    """The rules a real API enforces on the reasoning of a turn with a call
    brought back (the first answer opened with reasoning)."""
    if fmt == "anthropic":
        thinking = (body.get("thinking") or {}).get("type") in ("enabled", "adaptive")
        for n, message in enumerate(body.get("messages") or []):
            content = message.get("content")
            if message.get("role") != "assistant" or not isinstance(content, list):
                continue
            for block in content:
                if block.get("type") == "thinking" and (
                    block.get("signature") != THINKING_SIGNATURE or block.get("thinking") != THINKING
                ):
                    raise Reject(400, f"messages.{n}.content: Invalid `signature` in `thinking` block")
            calls = any(block.get("type") == "tool_use" and block.get("name") == tool for block in content)
            first = content[0].get("type") if content else None
            if thinking and calls and first not in ("thinking", "redacted_thinking"):
                raise Reject(400, f"messages.{n}.content.0.type: Expected `thinking` or `redacted_thinking`, "
                                  f"but found `{first}`. When `thinking` is enabled, a final `assistant` message "
                                  "must start with a thinking block")
        if not thinking:
            notes.append("reasoning: thinking not enabled toward Anthropic")
    elif fmt == "openai-responses":
        items = body.get("input") if isinstance(body.get("input"), list) else []
        thoughts = [item for item in items if isinstance(item, dict) and item.get("type") == "reasoning"]
        for item in thoughts:
            encrypted = item.get("encrypted_content")
            if encrypted is None and body.get("store") is False:
                raise Reject(404, f"Item with id '{item.get('id')}' not found. Items are not persisted when "
                                  "`store` is set to false. Try again with `store` set to true, or remove this "
                                  "item from your input.")
            if encrypted is not None and encrypted != ENCRYPTED_REASONING:
                raise Reject(400, f"The encrypted content for item {item.get('id')} could not be verified.")
        if not thoughts:
            notes.append("reasoning: no reasoning item brought back")
    elif fmt == "openai-chat":
        kept = [m for m in body.get("messages") or [] if m.get("reasoning_content") or m.get("reasoning")]
        notes.append(f"reasoning: {len(kept)} assistant message(s) carry reasoning back")
    else:
        kept = [part for content in body.get("contents") or [] for part in content.get("parts") or []
                if part.get("thought")]
        notes.append(f"reasoning: {len(kept)} thought part(s) brought back")


def format_notes(fmt: str, body: dict[str, Any], stream: bool, notes: list[str]) -> None:
    """What the translation should have done for this upstream, noted (not refused)."""
    if fmt == "openai-chat" and stream and not (body.get("stream_options") or {}).get("include_usage"):
        notes.append("stream without stream_options.include_usage")
    if fmt == "anthropic":
        # Server tools (web_search_20250305 and the like) have a type and no input to stream.
        plain = [t.get("name") for t in body.get("tools") or []
                 if t.get("type") in (None, "custom") and not t.get("eager_input_streaming")]
        if plain:
            notes.append(f"tools without eager_input_streaming: {plain}")
    limit = {"openai-chat": body.get("max_completion_tokens", body.get("max_tokens")),
             "openai-responses": body.get("max_output_tokens"), "anthropic": body.get("max_tokens"),
             "gemini": (body.get("generationConfig") or {}).get("maxOutputTokens")}[fmt]
    if isinstance(limit, int) and limit > MANY_OUTPUT_TOKENS:
        notes.append(f"asks for {limit} output tokens: most models of this format refuse more than theirs")


# --- writing answers, per format --------------------------------------------


def chat_answer(
    model: str, text: str, call: tuple[str, str] | None, stream: bool, reasoning: bool
) -> list[dict[str, Any]] | dict:
    base = {"id": "chatcmpl-mock-1", "created": 1_700_000_000, "model": model}
    usage = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
    finish = "tool_calls" if call else "stop"
    if not stream:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if reasoning:
            message["reasoning_content"] = THINKING
        if call:
            message["tool_calls"] = [{"id": CALL_ID["openai-chat"], "type": "function",
                                      "function": {"name": call[0], "arguments": call[1]}}]
        return {**base, "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {**base, "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    if reasoning:
        chunks += [chunk({"reasoning_content": piece}) for piece in pieces(THINKING, 2)]
    chunks += [chunk({"content": piece}) for piece in pieces(text, 2)]
    if call:
        chunks.append(chunk({"tool_calls": [{"index": 0, "id": CALL_ID["openai-chat"], "type": "function",
                                             "function": {"name": call[0], "arguments": ""}}]}))
        chunks += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                   for piece in pieces(call[1])]
    chunks.append(chunk({}, finish))
    chunks.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
    return chunks


def responses_answer(
    model: str, text: str, call: tuple[str, str] | None, stream: bool, reasoning: bool
) -> list[dict[str, Any]] | dict:
    usage = {"input_tokens": 20, "output_tokens": 10, "total_tokens": 30,
             "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}
    part = {"type": "output_text", "text": text, "annotations": []}
    message = {"type": "message", "id": "msg_mock_1", "role": "assistant", "status": "completed", "content": [part]}
    summary = {"type": "summary_text", "text": THINKING}
    thought = {"type": "reasoning", "id": "rs_mock_1", "summary": [summary], "encrypted_content": ENCRYPTED_REASONING}
    output: list[dict[str, Any]] = ([thought] if reasoning else []) + [message]
    if call:
        output.append({"type": "function_call", "id": "fc_mock_1", "call_id": CALL_ID["openai-responses"],
                       "name": call[0], "arguments": call[1], "status": "completed"})
    response = {"id": "resp_mock_1", "object": "response", "created_at": 1_700_000_000, "status": "completed",
                "model": model, "output": output, "usage": usage, "error": None, "incomplete_details": None}
    if not stream:
        return response
    events: list[dict[str, Any]] = []

    def event(kind: str, **fields: Any) -> None:
        events.append({"type": kind, "sequence_number": len(events), **fields})

    started = {**response, "status": "in_progress", "output": [], "usage": None}
    event("response.created", response=started)
    event("response.in_progress", response=started)
    if reasoning:
        event("response.output_item.added", output_index=0, item={**thought, "summary": []})
        where = {"item_id": "rs_mock_1", "output_index": 0, "summary_index": 0}
        event("response.reasoning_summary_part.added", **where, part={**summary, "text": ""})
        for piece in pieces(THINKING, 2):
            event("response.reasoning_summary_text.delta", **where, delta=piece)
        event("response.reasoning_summary_text.done", **where, text=THINKING)
        event("response.reasoning_summary_part.done", **where, part=summary)
        event("response.output_item.done", output_index=0, item=thought)
    first = 1 if reasoning else 0
    event("response.output_item.added", output_index=first,
          item={**message, "status": "in_progress", "content": []})
    at = {"item_id": "msg_mock_1", "output_index": first, "content_index": 0}
    event("response.content_part.added", **at, part={**part, "text": ""})
    for piece in pieces(text, 2):
        event("response.output_text.delta", **at, delta=piece)
    event("response.output_text.done", **at, text=text)
    event("response.content_part.done", **at, part=part)
    event("response.output_item.done", output_index=first, item=message)
    if call:
        item, n = output[-1], first + 1
        event("response.output_item.added", output_index=n, item={**item, "arguments": "", "status": "in_progress"})
        for piece in pieces(call[1]):
            event("response.function_call_arguments.delta", item_id="fc_mock_1", output_index=n, delta=piece)
        event("response.function_call_arguments.done", item_id="fc_mock_1", output_index=n, arguments=call[1])
        event("response.output_item.done", output_index=n, item=item)
    event("response.completed", response=response)
    return events


def anthropic_answer(
    model: str, text: str, call: tuple[str, str] | None, stream: bool, reasoning: bool
) -> list[dict[str, Any]] | dict:
    stop = "tool_use" if call else "end_turn"
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    if reasoning:
        content.insert(0, {"type": "thinking", "thinking": THINKING, "signature": THINKING_SIGNATURE})
    if call:
        content.append({"type": "tool_use", "id": CALL_ID["anthropic"], "name": call[0], "input": json.loads(call[1])})
    message = {"id": "msg_mock_1", "type": "message", "role": "assistant", "model": model, "content": content,
               "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 20, "output_tokens": 10}}
    if not stream:
        return message
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {**message, "content": [], "stop_reason": None,
                                              "usage": {"input_tokens": 20, "output_tokens": 1}}},
        {"type": "ping"},
    ]
    index = 0
    if reasoning:
        events.append({"type": "content_block_start", "index": 0,
                       "content_block": {"type": "thinking", "thinking": "", "signature": ""}})
        events += [{"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": piece}}
                   for piece in pieces(THINKING, 2)]
        events.append({"type": "content_block_delta", "index": 0,
                       "delta": {"type": "signature_delta", "signature": THINKING_SIGNATURE}})
        events.append({"type": "content_block_stop", "index": 0})
        index = 1
    events.append({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})
    events += [{"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}
               for piece in pieces(text, 2)]
    events.append({"type": "content_block_stop", "index": index})
    if call:
        index += 1
        events.append({"type": "content_block_start", "index": index,
                       "content_block": {"type": "tool_use", "id": CALL_ID["anthropic"], "name": call[0], "input": {}}})
        events += [{"type": "content_block_delta", "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": piece}} for piece in pieces(call[1])]
        events.append({"type": "content_block_stop", "index": index})
    events.append({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                   "usage": {"output_tokens": 10}})
    events.append({"type": "message_stop"})
    return events


def gemini_answer(
    model: str, text: str, call: tuple[str, str] | None, stream: bool, reasoning: bool
) -> list[dict[str, Any]] | dict:
    usage = {"promptTokenCount": 20, "candidatesTokenCount": 10, "totalTokenCount": 30}

    def chunk(parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if last:
            candidate["finishReason"] = "STOP"
        return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": RESPONSE_ID}

    call_part = None
    if call:
        call_part = {"functionCall": {"name": call[0], "args": json.loads(call[1])},
                     "thoughtSignature": THOUGHT_SIGNATURE}
    thought = [{"text": THINKING, "thought": True}] if reasoning else []
    if not stream:
        return chunk(thought + [{"text": text}] + ([call_part] if call_part else []), True)
    texts = pieces(text, 2)
    chunks = [chunk(thought, False)] if thought else []
    chunks += [chunk([{"text": piece}], False) for piece in texts]
    if call_part:
        chunks.append(chunk([call_part], True))
    else:
        chunks[-1] = chunk([{"text": texts[-1]}], True)
    return chunks


WRITERS = {"openai-chat": chat_answer, "openai-responses": responses_answer,
           "anthropic": anthropic_answer, "gemini": gemini_answer}


def error_body(fmt: str, status: int, reason: str) -> dict[str, Any]:
    if fmt == "anthropic":
        kind = "authentication_error" if status == 401 else "invalid_request_error"
        return {"type": "error", "error": {"type": kind, "message": reason}}
    if fmt == "gemini":
        word = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND"}.get(status, "UNKNOWN")
        return {"error": {"code": status, "message": reason, "status": word}}
    kind = "invalid_api_key" if status == 401 else "invalid_request_error"
    return {"error": {"message": reason, "type": kind, "param": None, "code": None}}


# --- the server ---------------------------------------------------------------


class Mock:
    def __init__(self, args: argparse.Namespace) -> None:
        self.fmt: str = args.format
        self.agent: str = args.agent
        self.marker: str = args.marker
        self.model: str = args.model
        self.key: str = args.key
        self.log_dir: str = args.log_dir
        self.max_requests: int = args.max_requests
        self.reasoning: bool = args.reasoning
        self.count = 0
        self.lock = threading.Lock()

    def next_number(self) -> int:
        with self.lock:
            self.count += 1
            return self.count

    def route(self, path: str) -> tuple[str | None, bool | None]:
        """The model named in the path (Gemini) and whether the path asks for a stream."""
        if self.fmt == "gemini":
            name, _, method = path.rpartition(":")
            prefix = "/v1beta/models/"
            if not name.startswith(prefix) or method not in ("streamGenerateContent", "generateContent"):
                raise Reject(404, f"no such method: {path}")
            return name[len(prefix):], method == "streamGenerateContent"
        expected = {"openai-chat": "/v1/chat/completions", "openai-responses": "/v1/responses",
                    "anthropic": "/v1/messages"}[self.fmt]
        if path != expected:
            raise Reject(404, f"no such path: {path} (this upstream serves {expected})")
        return None, None

    def check_key(self, headers: dict[str, str], query: dict[str, list[str]]) -> None:
        if self.fmt in ("openai-chat", "openai-responses"):
            given = headers.get("authorization", "")
            ok = given == f"Bearer {self.key}"
            where = "authorization: Bearer"
        elif self.fmt == "anthropic":
            ok = headers.get("x-api-key") == self.key
            where = "x-api-key"
            if not headers.get("anthropic-version"):
                raise Reject(400, "anthropic-version: header is required")
        else:
            ok = headers.get("x-goog-api-key") == self.key or query.get("key") == [self.key]
            where = "x-goog-api-key or ?key="
        if not ok:
            raise Reject(401, f"the upstream key is not in {where}")

    def answer(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> tuple[int, str, bytes, dict]:
        """(status, content type, body, record) for one request."""
        split = urlsplit(raw_path)
        query = parse_qs(split.query)
        record: dict[str, Any] = {"method": method, "path": split.path,
                                  "query": sorted(query), "headers": {
                                      k: ("<masked>" if k in SECRET_HEADERS else v) for k, v in headers.items()},
                                  "notes": []}
        notes: list[str] = record["notes"]
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        record["body"] = body
        try:
            if method != "POST":
                raise Reject(404, f"{method} is not served")
            path_model, path_stream = self.route(split.path)
            self.check_key(headers, query)
            if not isinstance(body, dict):
                raise Reject(400, "the body is not a JSON object")
            model = path_model if self.fmt == "gemini" else body.get("model")
            if self.model != "*" and model != self.model:
                raise Reject(404, f"model {model!r} not found (this upstream serves {self.model!r})")
            stream = bool(path_stream) if self.fmt == "gemini" else body.get("stream") is True
            if self.fmt == "gemini" and path_stream and query.get("alt") != ["sse"]:
                notes.append("streamGenerateContent without alt=sse: Gemini answers a JSON array")
            format_notes(self.fmt, body, stream, notes)
            tool, arguments = shell_call(self.agent, self.marker)
            _, results = calls_and_results(self.fmt, body)
            if results:
                check_second_turn(self.fmt, body, tool, self.marker, notes)
                if self.reasoning:
                    check_reasoning(self.fmt, body, tool, notes)
                record["turn"] = "result"
                text, call = f"The command printed: {self.marker}", None
            elif tool in tool_names(self.fmt, body):
                record["turn"] = "call"
                text, call = LEAD_TEXT, (tool, json.dumps(arguments))
            else:
                record["turn"] = "side"
                notes.append(f"no {tool} among the tools {tool_names(self.fmt, body)}: answered with text")
                text, call = "Mock answer.", None
            answer = WRITERS[self.fmt](str(model), text, call, stream, self.reasoning and call is not None)
        except Reject as reject:
            record["rejected"] = {"status": reject.status, "reason": reject.reason}
            return reject.status, "application/json", json.dumps(error_body(self.fmt, reject.status, reject.reason)).encode(), record
        if not stream:
            return 200, "application/json", json.dumps(answer).encode(), record
        return 200, "text/event-stream", self.sse(answer), record

    def sse(self, events: Any) -> bytes:
        out = []
        for event in events:
            if self.fmt in ("anthropic", "openai-responses"):
                out.append(f"event: {event['type']}\n")
            out.append(f"data: {json.dumps(event)}\n\n")
        if self.fmt == "openai-chat":
            out.append("data: [DONE]\n\n")
        return "".join(out).encode()

    def write_record(self, number: int, record: dict[str, Any]) -> None:
        with open(os.path.join(self.log_dir, f"{number:03d}.json"), "w") as f:
            json.dump(record, f, indent=2, ensure_ascii=False)


def handler_for(mock: Mock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            pass

        def serve(self) -> None:
            number = mock.next_number()
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(min(length, 64 << 20)) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if number > mock.max_requests:
                status, kind = 429, "application/json"
                body = json.dumps(error_body(mock.fmt, 429, "the mock's request budget is spent")).encode()
                record: dict[str, Any] = {"path": self.path.split("?")[0], "rejected": {"status": 429}}
            else:
                status, kind, body, record = mock.answer(self.command, self.path, headers, raw)
            record["status"] = status
            record["answer"] = body.decode("utf-8", "replace")
            mock.write_record(number, record)
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = serve
        do_GET = serve

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--agent", required=True, choices=("claude", "codex"))
    parser.add_argument("--marker", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--max-requests", type=int, default=16)
    parser.add_argument("--reasoning", action="store_true", help="open the call's answer with signed reasoning")
    args = parser.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)
    mock = Mock(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(mock))
    server.daemon_threads = True
    port_file = args.port_file + ".tmp"
    with open(port_file, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file, args.port_file)
    deadline = threading.Timer(args.max_seconds, server.shutdown)
    deadline.daemon = True
    deadline.start()
    started = time.monotonic()
    server.serve_forever()
    print(f"mock upstream stopped after {time.monotonic() - started:.0f}s and {mock.count} requests")


if __name__ == "__main__":
    main()
