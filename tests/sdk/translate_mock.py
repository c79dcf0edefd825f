"""A scripted upstream of one format, for translate_check.py.

The script is one conversation about the weather. Turn one: the client
sends instructions, a question and the `get_weather` tool; the upstream
streams some text, then a call whose arguments arrive in pieces, then a
tool-use finish and its usage. Turn two: the client sends the history with
the call's result; the upstream answers with text and a plain finish. A
whole (not streamed) turn one answers the same text and call in one body.

The mock speaks one format (`openai-chat`, `openai-responses`,
`anthropic` or `gemini`) on that format's path, and holds every request it
gets to what that format's API takes: the fields it knows, the
instructions in their place, the tool in its shape (with
`eager_input_streaming` toward Anthropic, a schema Gemini accepts), the
limit under its name, `stream_options.include_usage` on a chat stream, the
key in the format's header and in no other, and in turn two the call and
its result tied by id (by name toward Gemini, which gives calls no id).
What it finds is kept on the exchange, each finding a sentence; it answers
even so, so that the client's side is checked too.

Each request is bounded (a 10 s socket timeout, a 1 MiB body), and the
server runs on 127.0.0.1 until `close`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FORMATS = ("openai-chat", "openai-responses", "anthropic", "gemini")

# The conversation.
KEY = "sk-argstream-translate-check"
SYSTEM = "You answer questions about the weather, and use the tool to look it up."
QUESTION = "What is the weather in Paris?"
TOOL = "get_weather"
TOOL_DESCRIPTION = "The current weather in a city."
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pre_exec_msg": {"type": "string", "description": "A short sentence said while the call runs."},
        "city": {"type": "string", "description": "The city's name."},
    },
    "required": ["city"],
}
MAX_TOKENS = 1000
TEXT = "I will look it up."
PIECES = ('{"pre_exec_msg":"Let me ch', 'eck","city":"Par', 'is"}')
ARGUMENTS = {"pre_exec_msg": "Let me check", "city": "Paris"}
VALUE = ARGUMENTS["pre_exec_msg"]
RESULT = "Sunny, 24 C"
ANSWER = "It is sunny in Paris."
# Token counts (prompt, completion) of turn one (streamed or whole) and two.
USAGE_ONE = (21, 13)
USAGE_TWO = (40, 7)

# The ids each format's upstream gives its call. Gemini's API gives none:
# the relay makes `call_<responseId>_<ordinal>`.
CALL_IDS = {"openai-chat": "call_mock_1", "openai-responses": "call_mock_1", "anthropic": "toolu_mock_1"}
RESPONSE_IDS = {True: "resp_mock_stream", False: "resp_mock_whole"}
# Gemini 3 puts a thought signature on a call's part, and rejects a history
# whose call has none.
SIGNATURE = base64.b64encode(b"mock-thought-signature-1").decode()

PATHS = {
    "openai-chat": "/v1/chat/completions",
    "openai-responses": "/v1/responses",
    "anthropic": "/v1/messages",
}
MAX_BODY_BYTES = 1 << 20
REQUEST_SECONDS = 10
# The version toward Anthropic when the client gave none.
ANTHROPIC_VERSION = "2023-06-01"
ANTHROPIC_ID = re.compile(r"^[a-zA-Z0-9_-]+$")

# The request fields each API takes at the top level; any other is refused
# by the real API ("Unrecognized request argument", "Unknown name",
# "Extra inputs are not permitted").
FIELDS = {
    "openai-chat": {
        "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "stream", "stream_options",
        "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "n", "presence_penalty",
        "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "response_format", "seed", "user",
        "reasoning_effort", "metadata", "store", "service_tier", "modalities", "audio", "prediction",
        "verbosity", "web_search_options", "prompt_cache_key", "safety_identifier",
    },
    "openai-responses": {
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "stream",
        "stream_options", "max_output_tokens", "max_tool_calls", "temperature", "top_p", "text", "reasoning",
        "store", "metadata", "include", "previous_response_id", "truncation", "user", "service_tier",
        "prompt", "prompt_cache_key", "safety_identifier", "background", "top_logprobs", "conversation",
    },
    "anthropic": {
        "model", "messages", "system", "max_tokens", "tools", "tool_choice", "stream", "temperature",
        "top_p", "top_k", "stop_sequences", "metadata", "thinking", "service_tier", "container",
        "mcp_servers", "output_config", "context_management",
    },
    "gemini": {
        "contents", "systemInstruction", "system_instruction", "tools", "toolConfig", "tool_config",
        "generationConfig", "generation_config", "safetySettings", "safety_settings", "cachedContent",
        "cached_content", "model", "labels",
    },
}  # fmt: skip
# The keywords of Gemini's `Schema` (a tool's `parameters`); a JSON Schema
# goes whole only in `parametersJsonSchema`.
GEMINI_SCHEMA_KEYWORDS = {
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
    "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example",
    "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
}  # fmt: skip
# Each format's header for the key.
KEY_HEADERS = {
    "openai-chat": "authorization",
    "openai-responses": "authorization",
    "anthropic": "x-api-key",
    "gemini": "x-goog-api-key",
}


def upstream_call_id(fmt: str, stream: bool) -> str:
    """The id a client reads on the upstream's call: the upstream's own,
    or for Gemini the one the relay makes from the response id."""
    return CALL_IDS.get(fmt) or f"call_{RESPONSE_IDS[stream]}_0"


@dataclass
class Exchange:
    """What the mock expects of the next request, and what it found.

    `key_header` is the header the key must come in (the format's own
    through the gateway; a direct SDK's may differ), `key` the key (the
    client's, or the gateway's own, when the client's must reach the
    upstream nowhere), `anthropic_version`
    the version an Anthropic upstream must be told (the client's when it
    gave one, else the gateway's default); `client` is the
    client's format (a Gemini client alone can give a Gemini upstream its
    own thought signature back)."""

    turn: int
    stream: bool
    model: str
    client: str
    key_header: str
    anthropic_version: str = ANTHROPIC_VERSION
    key: str = KEY
    requests: int = 0
    findings: list[str] = field(default_factory=list)
    streamed: list[bytes] = field(default_factory=list)


class Findings:
    """The findings of one request, each prefixed with where it is."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def need(self, ok: bool, where: str, got: Any, want: str) -> bool:
        if not ok:
            self.into.append(f"{where}: got {short(got)}, want {want}")
        return ok

    def equal(self, where: str, got: Any, want: Any) -> bool:
        return self.need(got == want, where, got, short(want))


def short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def text_of(content: Any, kinds: tuple[str, ...] = ("text", "input_text", "output_text")) -> str | None:
    """The text of a message's content: a string, or the text parts of a
    list joined; None when it holds something else."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    texts = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and part.get("type", "text") in kinds and isinstance(part.get("text"), str):
            texts.append(part["text"])
        else:
            return None
    return "".join(texts)


def holds_result(value: Any) -> bool:
    """Whether a tool result carries RESULT: as its text, or as a string
    somewhere in the JSON it is (a Gemini `response` object, or one written
    as text)."""
    if isinstance(value, str):
        if value == RESULT:
            return True
        try:
            return value.lstrip().startswith(("{", "[")) and holds_result(json.loads(value))
        except ValueError:
            return False
    if isinstance(value, dict):
        return any(holds_result(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_result(item) for item in value)
    return False


def has_text(text: str | None) -> bool:
    """Whether an assistant turn's text holds turn one's text (the client
    may send back the target value the relay streamed into it too)."""
    return text is not None and TEXT in text


def parsed(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


def schema_ok(found: Findings, where: str, schema: Any, gemini: bool = False) -> None:
    """The tool's schema: an object with `city` (a string, required) and
    `pre_exec_msg` (a string); type names in capitals only toward Gemini,
    and there only the keywords Gemini's Schema has."""
    if not found.need(isinstance(schema, dict), where, schema, "a schema object"):
        return

    def type_of(node: Any) -> Any:
        kind = node.get("type") if isinstance(node, dict) else None
        return kind.lower() if gemini and isinstance(kind, str) else kind

    found.need(type_of(schema) == "object", f"{where}.type", schema.get("type"), "object")
    properties = schema.get("properties")
    if found.need(
        isinstance(properties, dict) and set(properties) == set(SCHEMA["properties"]),
        f"{where}.properties",
        properties,
        "city and pre_exec_msg",
    ):
        for name, node in properties.items():
            found.need(type_of(node) == "string", f"{where}.properties.{name}.type", node, "string")
    found.need(schema.get("required") == ["city"], f"{where}.required", schema.get("required"), '["city"]')
    if gemini:
        for path, node in nodes(schema, where):
            unknown = sorted(set(node) - GEMINI_SCHEMA_KEYWORDS)
            found.need(not unknown, path, unknown, "only keywords of Gemini's Schema")


def nodes(schema: dict[str, Any], where: str) -> list[tuple[str, dict[str, Any]]]:
    """Every schema node with its path (properties, items, anyOf)."""
    found = [(where, schema)]
    for name, node in (schema.get("properties") or {}).items():
        if isinstance(node, dict):
            found += nodes(node, f"{where}.properties.{name}")
    if isinstance(schema.get("items"), dict):
        found += nodes(schema["items"], f"{where}.items")
    for number, node in enumerate(schema.get("anyOf") or []):
        if isinstance(node, dict):
            found += nodes(node, f"{where}.anyOf[{number}]")
    return found


def conversation(
    found: Findings, where: str, turns: list[Any], key: str, exchange: Exchange, roles_two: list[str]
) -> bool:
    """The turns' roles (the question alone in turn one; the question, the
    answer with its call, and the result in turn two) and the question
    first; whether there is turn two's history to check."""
    roles = [turn.get("role") for turn in turns]
    if not found.equal(f"{where}' roles", roles, ["user"] if exchange.turn == 1 else roles_two):
        return False
    found.equal(f"{where}[0].{key} (the question)", text_of(turns[0].get(key)), QUESTION)
    return exchange.turn == 2


# The request checks, one a format: each holds the body to the format's
# API and puts what it finds in `found`.


def model_limit_stream(body: dict[str, Any], exchange: Exchange, found: Findings, limit: str) -> None:
    """The model, the limit under its name, and `stream` as asked."""
    found.equal("model", body.get("model"), exchange.model)
    found.equal(limit, body.get(limit), MAX_TOKENS)
    if exchange.stream:
        found.need(body.get("stream") is True, "stream", body.get("stream"), "true")
    else:
        found.need(not body.get("stream"), "stream", body.get("stream"), "absent or false")


def check_chat(body: dict[str, Any], exchange: Exchange, found: Findings) -> None:
    need = found.need
    limit = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    model_limit_stream(body, exchange, found, limit)
    if exchange.stream:
        options = body.get("stream_options")
        need(
            isinstance(options, dict) and options.get("include_usage") is True,
            "stream_options.include_usage",
            options,
            "true (a chat stream has no usage without it)",
        )
    else:
        need(
            "stream_options" not in body,
            "stream_options",
            body.get("stream_options"),
            "absent without a stream",
        )
    tools: Any = body.get("tools")
    if need(isinstance(tools, list) and len(tools) == 1, "tools", tools, "one tool"):
        tool = tools[0]
        function = tool.get("function") or {}
        found.equal("tools[0].type", tool.get("type"), "function")
        found.equal("tools[0].function.name", function.get("name"), TOOL)
        schema_ok(found, "tools[0].function.parameters", function.get("parameters"))
    messages: Any = body.get("messages")
    if not need(isinstance(messages, list), "messages", messages, "a list"):
        return
    system = [m for m in messages if m.get("role") in ("system", "developer")]
    rest = [m for m in messages if m.get("role") not in ("system", "developer")]
    need(
        len(system) == 1 and messages[0] is system[0] and text_of(system[0].get("content")) == SYSTEM,
        "messages (instructions)",
        system,
        "one system message first, with the instructions",
    )
    if not conversation(found, "messages", rest, "content", exchange, ["user", "assistant", "tool"]):
        return
    assistant, tool_message = rest[1], rest[2]
    need(has_text(text_of(assistant.get("content"))), "assistant content", assistant.get("content"), repr(TEXT))
    calls = assistant.get("tool_calls")
    if not need(isinstance(calls, list) and len(calls) == 1, "assistant tool_calls", calls, "one call"):
        return
    call = calls[0]
    function = call.get("function") or {}
    found.equal("tool_calls[0].type", call.get("type"), "function")
    found.equal("tool_calls[0].id", call.get("id"), CALL_IDS["openai-chat"])
    found.equal("tool_calls[0].function.name", function.get("name"), TOOL)
    need(
        isinstance(function.get("arguments"), str) and parsed(function.get("arguments")) == ARGUMENTS,
        "tool_calls[0].function.arguments",
        function.get("arguments"),
        f"the text of {ARGUMENTS}",
    )
    found.equal("tool message tool_call_id", tool_message.get("tool_call_id"), call.get("id"))
    need(
        holds_result(text_of(tool_message.get("content"))),
        "tool message content",
        tool_message.get("content"),
        repr(RESULT),
    )


def check_responses(body: dict[str, Any], exchange: Exchange, found: Findings) -> None:
    need = found.need
    model_limit_stream(body, exchange, found, "max_output_tokens")
    tools: Any = body.get("tools")
    if need(isinstance(tools, list) and len(tools) == 1, "tools", tools, "one tool"):
        tool = tools[0]
        found.equal("tools[0].type", tool.get("type"), "function")
        need(tool.get("name") == TOOL, "tools[0].name", tool.get("name"), f"{TOOL} (Responses tools are flat)")
        schema_ok(found, "tools[0].parameters", tool.get("parameters"))
        # Strict mode needs every property required and no other: the
        # API refuses this schema with it.
        need(
            tool.get("strict") is not True,
            "tools[0].strict",
            tool.get("strict"),
            "not true for a schema strict mode refuses",
        )
    items: Any = body.get("input")
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    if not need(isinstance(items, list), "input", items, "a list or a string"):
        return
    items = [{"type": "message", **item} if "role" in item and "type" not in item else item for item in items]
    system = [i for i in items if i.get("type") == "message" and i.get("role") in ("system", "developer")]
    rest = [i for i in items if not (i.get("type") == "message" and i.get("role") in ("system", "developer"))]
    instructions = body.get("instructions")
    in_items = len(system) == 1 and items[0] is system[0] and text_of(system[0].get("content")) == SYSTEM
    need(
        (instructions == SYSTEM and not system) or (instructions is None and in_items),
        "instructions",
        {"instructions": instructions, "system items": system},
        "the instructions once, in `instructions` or a first system item",
    )
    kinds = [i.get("type") if i.get("type") != "message" else i.get("role") for i in rest]
    if not need(kinds[:1] == ["user"], "input items", kinds, "the question first"):
        return
    need(
        text_of(rest[0].get("content")) == QUESTION,
        "input[user].content",
        rest[0].get("content"),
        repr(QUESTION),
    )
    if exchange.turn == 1:
        found.equal("input items", kinds, ["user"])
        return
    # The answer's text may come as more than one message, before or after
    # its call (the target value the relay streamed is text of its own).
    ordered = [kind for kind in kinds[1:] if kind != "assistant"] == ["function_call", "function_call_output"]
    if not need(
        ordered and "assistant" in kinds[1 : kinds.index("function_call_output")],
        "input items",
        kinds,
        "the question, then the assistant's text and function_call, then the function_call_output",
    ):
        return
    said = "".join(text_of(i.get("content")) or "" for i in rest if i.get("role") == "assistant")
    call = rest[kinds.index("function_call")]
    output = rest[kinds.index("function_call_output")]
    need(has_text(said), "input[assistant].content", said, repr(TEXT))
    found.equal("function_call.call_id", call.get("call_id"), CALL_IDS["openai-responses"])
    found.equal("function_call.name", call.get("name"), TOOL)
    need(
        isinstance(call.get("arguments"), str) and parsed(call.get("arguments")) == ARGUMENTS,
        "function_call.arguments",
        call.get("arguments"),
        f"the text of {ARGUMENTS}",
    )
    found.equal("function_call_output.call_id", output.get("call_id"), call.get("call_id"))
    result = output.get("output")
    need(
        holds_result(result if isinstance(result, str) else text_of(result)),
        "function_call_output.output",
        result,
        repr(RESULT),
    )


def check_anthropic(body: dict[str, Any], exchange: Exchange, found: Findings) -> None:
    need = found.need
    model_limit_stream(body, exchange, found, "max_tokens")
    need(text_of(body.get("system"), ("text",)) == SYSTEM, "system", body.get("system"), repr(SYSTEM))
    tools: Any = body.get("tools")
    if need(isinstance(tools, list) and len(tools) == 1, "tools", tools, "one tool"):
        tool = tools[0]
        need(tool.get("type") in (None, "custom"), "tools[0].type", tool.get("type"), "absent or custom")
        found.equal("tools[0].name", tool.get("name"), TOOL)
        schema_ok(found, "tools[0].input_schema", tool.get("input_schema"))
        need(
            tool.get("eager_input_streaming") is True,
            "tools[0].eager_input_streaming",
            tool.get("eager_input_streaming"),
            "true (the input streams as it is written only with it)",
        )
    messages: Any = body.get("messages")
    if not need(isinstance(messages, list), "messages", messages, "a list"):
        return
    if not conversation(found, "messages", messages, "content", exchange, ["user", "assistant", "user"]):
        return
    content: Any = messages[1].get("content")
    if not need(isinstance(content, list), "messages[1].content", content, "blocks"):
        return
    texts = "".join(b.get("text", "") for b in content if b.get("type") == "text")
    uses = [b for b in content if b.get("type") == "tool_use"]
    need(has_text(texts), "messages[1] text", content, repr(TEXT))
    if not need(len(uses) == 1, "messages[1] tool_use", content, "one tool_use block"):
        return
    use = uses[0]
    found.equal("tool_use.id", use.get("id"), CALL_IDS["anthropic"])
    need(
        isinstance(use.get("id"), str) and bool(ANTHROPIC_ID.match(use["id"])),
        "tool_use.id",
        use.get("id"),
        "an id of [a-zA-Z0-9_-]",
    )
    found.equal("tool_use.name", use.get("name"), TOOL)
    need(use.get("input") == ARGUMENTS, "tool_use.input", use.get("input"), f"the object {ARGUMENTS}")
    results: Any = messages[2].get("content")
    if not need(
        isinstance(results, list) and len(results) >= 1 and results[0].get("type") == "tool_result",
        "messages[2].content",
        results,
        "a tool_result block first",
    ):
        return
    result = results[0]
    found.equal("tool_result.tool_use_id", result.get("tool_use_id"), use.get("id"))
    need(
        holds_result(text_of(result.get("content"), ("text",))),
        "tool_result.content",
        result.get("content"),
        repr(RESULT),
    )
    need(not result.get("is_error"), "tool_result.is_error", result.get("is_error"), "absent or false")


def check_gemini(body: dict[str, Any], exchange: Exchange, found: Findings) -> None:
    need = found.need
    config = body.get("generationConfig") or body.get("generation_config") or {}
    limit = config.get("maxOutputTokens", config.get("max_output_tokens"))
    found.equal("generationConfig.maxOutputTokens", limit, MAX_TOKENS)
    system = body.get("systemInstruction") or body.get("system_instruction") or {}
    need(text_of(system.get("parts")) == SYSTEM, "systemInstruction.parts", system, repr(SYSTEM))
    tools: Any = body.get("tools")
    declarations = [
        d for tool in tools or [] for d in tool.get("functionDeclarations") or tool.get("function_declarations") or []
    ]
    if need(isinstance(tools, list) and len(declarations) == 1, "tools", tools, "one functionDeclaration"):
        declaration = declarations[0]
        found.equal("functionDeclarations[0].name", declaration.get("name"), TOOL)
        if "parametersJsonSchema" in declaration:
            schema_ok(found, "functionDeclarations[0].parametersJsonSchema", declaration["parametersJsonSchema"])
        else:
            schema_ok(found, "functionDeclarations[0].parameters", declaration.get("parameters"), gemini=True)
    contents: Any = body.get("contents")
    if not need(isinstance(contents, list), "contents", contents, "a list"):
        return
    if not conversation(found, "contents", contents, "parts", exchange, ["user", "model", "user"]):
        return
    parts = contents[1].get("parts") or []
    texts = "".join(p.get("text", "") for p in parts if "text" in p and not p.get("thought"))
    calls = [p for p in parts if "functionCall" in p]
    need(has_text(texts), "contents[1] text", parts, repr(TEXT))
    if not need(len(calls) == 1, "contents[1] functionCall", parts, "one functionCall part"):
        return
    call = calls[0]["functionCall"]
    found.equal("functionCall.name", call.get("name"), TOOL)
    need(call.get("args") == ARGUMENTS, "functionCall.args", call.get("args"), f"the object {ARGUMENTS}")
    signature = calls[0].get("thoughtSignature")
    if exchange.client == "gemini":
        found.equal("functionCall part's thoughtSignature", signature, SIGNATURE)
    else:
        need(
            isinstance(signature, str) and bool(signature),
            "functionCall part's thoughtSignature",
            signature,
            "one (Gemini 3 rejects a call without)",
        )
    answers = [p.get("functionResponse") for p in contents[2].get("parts") or []]
    if not need(
        len(answers) == 1 and isinstance(answers[0], dict),
        "contents[2].parts",
        contents[2].get("parts"),
        "one functionResponse part",
    ):
        return
    answer = answers[0]
    need(answer.get("name") == TOOL, "functionResponse.name", answer.get("name"), f"{TOOL}, the call's name")
    if "id" in call or "id" in answer:
        found.equal("functionResponse.id", answer.get("id"), call.get("id"))
    need(
        isinstance(answer.get("response"), dict) and holds_result(answer.get("response")),
        "functionResponse.response",
        answer.get("response"),
        f"an object holding {RESULT!r}",
    )


CHECKS: dict[str, Callable[[dict[str, Any], Exchange, Findings], None]] = {
    "openai-chat": check_chat,
    "openai-responses": check_responses,
    "anthropic": check_anthropic,
    "gemini": check_gemini,
}


def check_request(fmt: str, exchange: Exchange, path: str, headers: Any, raw: bytes) -> None:
    """Holds one request to what `fmt`'s API takes; findings go on the
    exchange."""
    found = Findings(exchange.findings)
    url = urlsplit(path)
    query = parse_qs(url.query)
    if fmt == "gemini":
        method = "streamGenerateContent" if exchange.stream else "generateContent"
        want = f"/v1beta/models/{exchange.model}:{method}"
        found.need(url.path == want, "path", url.path, want)
        found.need(
            (query.get("alt") == ["sse"]) == exchange.stream,
            "query alt",
            url.query,
            "alt=sse on a stream alone",
        )
        found.need("key" not in query, "query", url.query, "no key (it goes in x-goog-api-key)")
    else:
        found.need(url.path == PATHS[fmt], "path", url.path, PATHS[fmt])
    wanted = f"Bearer {exchange.key}" if exchange.key_header == "authorization" else exchange.key
    found.equal(f"header {exchange.key_header}", headers.get(exchange.key_header), wanted)
    if exchange.key != KEY:
        leaked = sorted(name for name, value in headers.items() if KEY in value)
        found.need(not leaked, "headers", leaked, "none with the client's key (the gateway sends its own)")
    for other in sorted(set(KEY_HEADERS.values()) - {exchange.key_header}):
        found.need(
            other not in headers,
            f"header {other}",
            "(present)",
            f"absent: the key goes in {exchange.key_header} alone",
        )
    if fmt == "anthropic":
        version = headers.get("anthropic-version")
        want_version = exchange.anthropic_version
        found.need(version == want_version, "header anthropic-version", version, want_version)
    media = (headers.get("content-type") or "").split(";")[0].strip().lower()
    found.need(media == "application/json", "header content-type", headers.get("content-type"), "application/json")
    try:
        body = json.loads(raw)
    except ValueError as error:
        exchange.findings.append(f"body: not JSON ({error})")
        return
    if not found.need(isinstance(body, dict), "body", body, "an object"):
        return
    unknown = sorted(set(body) - FIELDS[fmt])
    found.need(not unknown, "body fields", unknown, f"only fields the {fmt} API takes")
    CHECKS[fmt](body, exchange, found)


# The answers, one a format: a stream as its SSE frames, or a whole body.


def sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def chat_answer(exchange: Exchange, body: dict[str, Any]) -> list[bytes] | dict[str, Any]:
    created = 1_780_000_000
    prompt, completion = USAGE_ONE if exchange.turn == 1 else USAGE_TWO
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    call_id = CALL_IDS["openai-chat"]
    if not exchange.stream:
        message: dict[str, Any] = {"role": "assistant", "content": TEXT, "refusal": None}
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": TOOL, "arguments": "".join(PIECES)}}
        ]
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "tool_calls"}
        return {
            "id": "chatcmpl-mock-whole", "object": "chat.completion", "created": created,
            "model": exchange.model, "choices": [choice], "usage": usage,
        }  # fmt: skip

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({
            "id": f"chatcmpl-mock-{exchange.turn}", "object": "chat.completion.chunk", "created": created,
            "model": exchange.model, "choices": [choice],
        })  # fmt: skip

    frames = [chunk({"role": "assistant", "content": "", "refusal": None})]
    if exchange.turn == 1:
        frames += [chunk({"content": TEXT[:6]}), chunk({"content": TEXT[6:]})]
        start = {"index": 0, "id": call_id, "type": "function", "function": {"name": TOOL, "arguments": ""}}
        frames.append(chunk({"tool_calls": [start]}))
        frames += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}) for piece in PIECES]
        frames.append(chunk({}, "tool_calls"))
    else:
        frames += [chunk({"content": ANSWER[:9]}), chunk({"content": ANSWER[9:]}), chunk({}, "stop")]
    if (body.get("stream_options") or {}).get("include_usage") is True:
        frames.append(sse({
            "id": f"chatcmpl-mock-{exchange.turn}", "object": "chat.completion.chunk", "created": created,
            "model": exchange.model, "choices": [], "usage": usage,
        }))  # fmt: skip
    return [*frames, b"data: [DONE]\n\n"]


def responses_answer(exchange: Exchange, body: dict[str, Any]) -> list[bytes] | dict[str, Any]:
    prompt, completion = USAGE_ONE if exchange.turn == 1 else USAGE_TWO
    text = TEXT if exchange.turn == 1 else ANSWER
    message = {
        "id": "msg_mock_1", "type": "message", "role": "assistant", "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }  # fmt: skip
    call = {
        "id": "fc_mock_1", "type": "function_call", "call_id": CALL_IDS["openai-responses"], "name": TOOL,
        "arguments": "".join(PIECES), "status": "completed",
    }  # fmt: skip
    output = [message, call] if exchange.turn == 1 else [message]
    response: dict[str, Any] = {
        "id": f"resp_mock_{exchange.turn}", "object": "response", "created_at": 1_780_000_000,
        "status": "completed", "model": exchange.model, "output": output, "error": None,
        "incomplete_details": None, "instructions": body.get("instructions"), "metadata": {},
        "parallel_tool_calls": True, "temperature": 1.0, "tool_choice": "auto", "tools": body.get("tools") or [],
        "top_p": 1.0, "max_output_tokens": body.get("max_output_tokens"),
        "usage": {
            "input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        },
    }  # fmt: skip
    if not exchange.stream:
        return response
    events: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        events.append({"type": kind, "sequence_number": len(events), **fields})

    started = {**response, "status": "in_progress", "output": [], "usage": None}
    add("response.created", response=started)
    add("response.in_progress", response=started)
    add("response.output_item.added", output_index=0, item={**message, "status": "in_progress", "content": []})
    empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    add("response.content_part.added", item_id="msg_mock_1", output_index=0, content_index=0, part=empty)
    for piece in (text[:6], text[6:]):
        add(
            "response.output_text.delta",
            item_id="msg_mock_1",
            output_index=0,
            content_index=0,
            delta=piece,
            logprobs=[],
        )
    add(
        "response.output_text.done",
        item_id="msg_mock_1",
        output_index=0,
        content_index=0,
        text=text,
        logprobs=[],
    )
    add(
        "response.content_part.done",
        item_id="msg_mock_1",
        output_index=0,
        content_index=0,
        part=message["content"][0],
    )  # type: ignore[index]
    add("response.output_item.done", output_index=0, item=message)
    if exchange.turn == 1:
        add(
            "response.output_item.added",
            output_index=1,
            item={**call, "arguments": "", "status": "in_progress"},
        )
        for piece in PIECES:
            add("response.function_call_arguments.delta", item_id="fc_mock_1", output_index=1, delta=piece)
        add(
            "response.function_call_arguments.done",
            item_id="fc_mock_1",
            output_index=1,
            arguments=call["arguments"],
        )
        add("response.output_item.done", output_index=1, item=call)
    add("response.completed", response=response)
    return [sse(event, event["type"]) for event in events]


def anthropic_answer(exchange: Exchange, body: dict[str, Any]) -> list[bytes] | dict[str, Any]:
    prompt, completion = USAGE_ONE if exchange.turn == 1 else USAGE_TWO
    use = {"type": "tool_use", "id": CALL_IDS["anthropic"], "name": TOOL, "input": ARGUMENTS}
    text = TEXT if exchange.turn == 1 else ANSWER
    stop = "tool_use" if exchange.turn == 1 else "end_turn"
    message: dict[str, Any] = {
        "id": f"msg_mock_{exchange.turn}", "type": "message", "role": "assistant", "model": exchange.model,
        "content": [{"type": "text", "text": text}] + ([use] if exchange.turn == 1 else []),
        "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    }  # fmt: skip
    if not exchange.stream:
        return message
    frames = []

    def add(data: dict[str, Any]) -> None:
        frames.append(sse(data, data["type"]))

    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": prompt, "output_tokens": 1},
    }
    add({"type": "message_start", "message": start})
    add({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    for piece in (text[:6], text[6:]):
        add({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})
    add({"type": "content_block_stop", "index": 0})
    if exchange.turn == 1:
        add({"type": "content_block_start", "index": 1, "content_block": {**use, "input": {}}})
        for piece in PIECES:
            add(
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                }
            )
        add({"type": "content_block_stop", "index": 1})
    delta = {"stop_reason": stop, "stop_sequence": None}
    add({"type": "message_delta", "delta": delta, "usage": {"output_tokens": completion}})
    add({"type": "message_stop"})
    return frames


def gemini_answer(exchange: Exchange, body: dict[str, Any]) -> list[bytes] | dict[str, Any]:
    """Gemini's API gives a call whole, in one part with no id, and (Gemini
    3) a thought signature on it."""
    prompt, completion = USAGE_ONE if exchange.turn == 1 else USAGE_TWO
    usage = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": completion,
        "totalTokenCount": prompt + completion,
    }
    response_id = RESPONSE_IDS[exchange.stream] if exchange.turn == 1 else "resp_mock_two"
    text = TEXT if exchange.turn == 1 else ANSWER
    call = {"functionCall": {"name": TOOL, "args": ARGUMENTS}, "thoughtSignature": SIGNATURE}

    def response(parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        answer: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": exchange.model,
            "responseId": response_id,
        }
        if last:
            candidate["finishReason"] = "STOP"
            answer["usageMetadata"] = usage
        return answer

    if not exchange.stream:
        parts = [{"text": text}] + ([call] if exchange.turn == 1 else [])
        return response(parts, True)
    frames = [
        sse(response([{"text": text[:6]}], False)),
        sse(response([{"text": text[6:]}], exchange.turn == 2)),
    ]
    if exchange.turn == 1:
        frames.append(sse(response([call], True)))
    return frames


ANSWERS: dict[str, Callable[[Exchange, dict[str, Any]], list[bytes] | dict[str, Any]]] = {
    "openai-chat": chat_answer,
    "openai-responses": responses_answer,
    "anthropic": anthropic_answer,
    "gemini": gemini_answer,
}


class Mock:
    """The scripted upstream of one format on 127.0.0.1; `expect` sets the
    exchange the next requests belong to."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.exchange: Exchange | None = None
        self.lock = threading.Lock()
        mock = self

        class Upstream(BaseHTTPRequestHandler):
            timeout = REQUEST_SECONDS

            def do_POST(self) -> None:
                mock.handle(self)

            def do_GET(self) -> None:
                self.send_error(404)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        self.http.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def expect(self, exchange: Exchange) -> Exchange:
        with self.lock:
            self.exchange = exchange
        return exchange

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        with self.lock:
            exchange = self.exchange
            if exchange is not None:
                exchange.requests += 1
        if exchange is None:
            request.send_error(500, "no exchange expected")
            return
        length = int(request.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            exchange.findings.append(f"body: {length} bytes, more than the mock reads")
            request.send_error(413)
            return
        raw = request.rfile.read(length)
        check_request(self.fmt, exchange, request.path, request.headers, raw)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        answer = ANSWERS[self.fmt](exchange, body if isinstance(body, dict) else {})
        if isinstance(answer, dict):
            data = json.dumps(answer).encode()
            request.send_response(200)
            request.send_header("content-type", "application/json")
            request.send_header("content-length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
            return
        request.send_response(200)
        request.send_header("content-type", "text/event-stream")
        request.send_header("cache-control", "no-cache")
        request.end_headers()
        for frame in answer:
            if time.monotonic() - started > REQUEST_SECONDS:
                break
            request.wfile.write(frame)
            request.wfile.flush()
            exchange.streamed.append(frame)
            # Apart, so that the pieces reach the gateway as reads of their own.
            time.sleep(0.002)
        request.close_connection = True

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(timeout=REQUEST_SECONDS)
