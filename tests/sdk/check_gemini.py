"""google-genai reads the relay's Gemini output.

`client.models.generate_content_stream(...)`: the SDK reads `data: ` lines
(ended by CR, LF or CRLF), parses each event as a `GenerateContentResponse`
(after dropping the fields it does not know, so its strict models are used
here to catch a misspelt one), and raises its `APIError` (a `ServerError`
or `ClientError` by the error's `code`, which must be a number) on an event
that begins `{"error":`. It accumulates nothing: a client concatenates each
chunk's `text` (its text parts, thoughts left out) and collects each chunk's
`function_calls`, whose `args` are objects; the finish reason and the usage
are on the last chunk.

What the format cannot carry, `adjust` takes out of what the final object
must hold: a call whose arguments are not a JSON object goes out of a
Gemini stream (and a plain finish reads `MALFORMED_FUNCTION_CALL`), and a
call with no id in the stream has the one argstream's Gemini reader makes
(`call_` + the response id + `_` + its ordinal).
"""

from __future__ import annotations

import base64
import json
import logging
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pydantic
from google import genai
from google.genai import errors, types
from google.genai.models import _GenerateContentResponse_from_mldev

from harness import Expected, Failure, Read, SseEvent, Usage

NAME = "gemini"
MODEL = "gemini-test"
# A stream request's body, for a caller that posts one itself.
REQUEST: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
FINISH = {"stop": "STOP", "tool_calls": "STOP", "length": "MAX_TOKENS", "content_filter": "SAFETY"}
# A call's part may carry the thought signature its Gemini upstream gave it
# (Gemini 3 wants it back with the call).
PART_KINDS = ({"text"}, {"text", "thought"}, {"functionCall"}, {"functionCall", "thoughtSignature"})

# The SDK logs a warning for every response with a call part read as text.
logging.getLogger("google_genai").setLevel(logging.ERROR)


def finish_words(finish: str | None) -> tuple[str | None, ...]:
    """Gemini's finish reason for an OpenAI one: a word already Gemini's
    (capitals) as it is, another provider's own word as a plain stop."""
    if finish is None:
        return (None,)
    if finish in FINISH:
        return (FINISH[finish],)
    return (finish,) if finish.replace("_", "").isupper() else ("STOP",)


def is_object(arguments: str) -> bool:
    if not arguments.strip():
        return True
    try:
        return isinstance(json.loads(arguments), dict)
    except ValueError:
        return False


def adjust(expected: Expected) -> Expected:
    """What a Gemini stream of the relay must hold: the calls whose
    arguments are an object (`{}` for none), and `MALFORMED_FUNCTION_CALL`
    for a plain finish when one was left out."""
    calls = [call for call in expected.calls if is_object(call[2])]
    finish = expected.finish
    if len(calls) < len(expected.calls) and finish in ("stop", "tool_calls"):
        finish = "MALFORMED_FUNCTION_CALL"
    return replace(expected, calls=calls, finish=finish)


def is_error(error: Exception) -> bool:
    return isinstance(error, errors.APIError)


def protocol(events: list[SseEvent]) -> None:
    """The rules of Gemini's stream that its clients rely on: data-only
    events, each a response with one candidate (index 0, role `model`) whose
    parts are each a text, a thought or a whole `functionCall` with `args`
    an object (and beside it, its base64 `thoughtSignature` when its
    upstream gave one); one `responseId` throughout; the `finishReason` on the last
    event and nowhere else, with the `usageMetadata`; or an error object
    with a numeric HTTP code, last."""
    response_id = None
    for number, event in enumerate(events):
        last = number == len(events) - 1
        if event.event is not None:
            raise Failure(f"an event named {event.event!r}", at=event.at)
        data = event.json()
        if not isinstance(data, dict):
            raise Failure("an event that is not an object", at=event.at)
        if "error" in data:
            error = data["error"]
            if list(data) != ["error"] or not last:
                raise Failure("an error that is not alone and last", at=event.at)
            if not isinstance(error.get("code"), int) or not 400 <= error["code"] < 600:
                raise Failure(f"error code {error.get('code')!r}: google-genai needs an HTTP code", at=event.at)
            continue
        if response_id is None:
            response_id = data.get("responseId")
        elif data.get("responseId") != response_id:
            raise Failure(f"responseId {data.get('responseId')!r} after {response_id!r}", at=event.at)
        candidates = data.get("candidates") or []
        if len(candidates) != 1 or candidates[0].get("index") != 0:
            raise Failure(f"candidates {candidates!r:.100}: want candidate 0 alone", at=event.at)
        candidate = candidates[0]
        content = candidate.get("content") or {}
        if content.get("role") != "model":
            raise Failure(f"content role {content.get('role')!r}", at=event.at)
        if ("finishReason" in candidate) != last:
            raise Failure("a finishReason before the last event, or none on it", at=event.at)
        if "usageMetadata" in data and not last:
            raise Failure("usageMetadata before the last event", at=event.at)
        for part in content.get("parts") or []:
            if set(part) not in PART_KINDS:
                raise Failure(f"a part of {sorted(part)}", at=event.at)
            call = part.get("functionCall")
            if call is not None and not isinstance(call.get("args"), dict):
                raise Failure(f"a functionCall whose args are {call.get('args')!r:.60}", at=event.at)
            if call is not None and set(call) - {"id", "name", "args"}:
                raise Failure(f"a functionCall with {sorted(call)}", at=event.at)
            signature = part.get("thoughtSignature")
            if "thoughtSignature" in part and not (isinstance(signature, str) and is_base64(signature)):
                raise Failure(f"a thoughtSignature {signature!r:.60} that is not base64", at=event.at)
    if not events:
        raise Failure("the stream has no event: neither a finishReason nor an error")


def is_base64(text: str) -> bool:
    """Whether `text` is non-empty base64, standard or URL-safe, as
    google-genai (pydantic) decodes a thought signature into bytes either
    way (the recorded streams' redacted signatures are URL-safe)."""
    for altchars in (None, b"-_"):
        try:
            if text and base64.b64decode(text, altchars=altchars, validate=True) is not None:
                return True
        except ValueError:
            continue
    return False


def typed(data: Any, strict: bool) -> types.GenerateContentResponse:
    """An event as the SDK makes it into its model; with `strict`, a field
    it does not know is an error instead of being dropped."""
    response = _GenerateContentResponse_from_mldev(data)
    if strict:
        return types.GenerateContentResponse.model_validate(response)
    return types.GenerateContentResponse._from_response(response=response, kwargs={})


def responses(events: list[SseEvent]) -> Iterator[tuple[SseEvent, Any]]:
    """The events that are responses (not an error), with their JSON."""
    for event in events:
        data = event.json()
        if not (isinstance(data, dict) and "error" in data):
            yield event, data


def locate(events: list[SseEvent]) -> int | None:
    """The event the SDK's model does not take."""
    for event, data in responses(events):
        try:
            typed(data, strict=False)
        except Exception:  # noqa: BLE001 (the event the SDK failed on is what we want)
            return event.at
    return None


class Sdk:
    """google-genai against the local server, through its Gemini API client
    (an API key, the base URL given)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        options = types.HttpOptions(base_url=server.base_url, timeout=30_000)
        self.client = genai.Client(api_key="not-a-key", http_options=options)

    def read(self, out: bytes) -> Read:
        self.server.serve(out)
        text, reasoning = "", ""
        calls: list[tuple[str, str, Any]] = []
        finish, usage, response_id = None, None, ""
        with warnings.catch_warnings():
            # An unknown finish word is a warning; its value is compared.
            warnings.simplefilter("ignore")
            for chunk in self.client.models.generate_content_stream(model=MODEL, contents="hi"):
                text += chunk.text or ""
                response_id = chunk.response_id or response_id
                candidate = chunk.candidates[0] if chunk.candidates else None
                if candidate is not None and candidate.content is not None:
                    for part in candidate.content.parts or []:
                        if part.thought and part.text:
                            reasoning += part.text
                for call in chunk.function_calls or []:
                    # No id: the one argstream's Gemini reader gives it.
                    call_id = call.id or f"call_{response_id}_{len(calls)}"
                    calls.append((call_id, call.name or "", call.args))
                if candidate is not None and candidate.finish_reason is not None:
                    finish = getattr(candidate.finish_reason, "value", candidate.finish_reason)
                if chunk.usage_metadata is not None:
                    counts = chunk.usage_metadata
                    usage = Usage(
                        counts.prompt_token_count or 0,
                        (counts.candidates_token_count or 0) + (counts.thoughts_token_count or 0),
                        counts.total_token_count,
                    )
        return Read(text=text, refusal="", calls=calls, finish=finish, usage=usage, reasoning=reasoning)

    def validate(self, out: bytes, events: list[SseEvent]) -> None:
        """Every line is a `data: ` line (google-genai reads any other line
        as a piece of a JSON error body: an SSE comment breaks it), and
        every event, but an error, is one the SDK's strict models take with
        every field it has."""
        at = 0
        for line in out.splitlines(keepends=True):
            if line.strip() and not line.startswith(b"data: "):
                raise Failure(f"a line google-genai does not read: {line.strip()!r:.60}", at=at)
            at += len(line)
        for event, data in responses(events):
            try:
                typed(data, strict=True)
            except pydantic.ValidationError as error:
                reasons = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3]]
                raise Failure(
                    "the SDK's GenerateContentResponse rejects an event: " + "; ".join(reasons), at=event.at
                ) from None
