"""Type stubs of the extension module; import from ``argstream``, not from here."""

from typing import Any, Literal, final

__all__ = [
    "ArgstreamError",
    "KeyScanner",
    "Relay",
    "Translated",
    "TranslationError",
    "__version__",
    "translate_request",
]

__version__: str

class ArgstreamError(ValueError):
    """Input that argstream cannot accept.

    Raised for a malformed JSON document or event stream, and by ``finish()``
    for one cut off before its end. A scanner or relay that raised it stays
    failed: every later call raises the same error again (``reset()`` starts
    over).

    Attributes:
        kind: What went wrong, in snake_case: ``"truncated"``,
            ``"unexpected_byte"``, ``"invalid_number"``, ``"invalid_literal"``,
            ``"invalid_escape"``, ``"lone_surrogate"``, ``"invalid_utf8"``,
            ``"control_character"``, ``"too_deep"``, ``"trailing_content"``,
            ``"event_too_large"``, ``"malformed_chunk"``, ``"too_many_calls"``,
            ``"malformed_frame"`` (a Bedrock event-stream frame whose CRC or
            lengths are wrong),
            or a kind added by a later version. (A relay reports a tool
            call's bad or oversized arguments in ``summary()``, as a
            message, rather than raising.)
        offset: The byte offset of the first bad byte, counted from the first
            byte fed, in UTF-8 (a ``str`` fragment counts its UTF-8 bytes).
            For ``"truncated"``, the length of the input.
    """

    kind: str
    offset: int

@final
class KeyScanner:
    """Streams the string values of chosen keys out of a JSON object that
    arrives in fragments, as decoded text.

    Give it the keys whose values you want, feed it each fragment as it
    arrives, and it returns the new text of those values: decoded (escapes
    resolved, surrogate pairs joined), never cut inside an escape, a
    surrogate pair or a UTF-8 character, whatever the fragments cut. Each
    byte is read once, so a whole document costs time linear in its length,
    where re-parsing the growing buffer at every fragment costs quadratic
    time.

    Keys match at the top level of the root object only: the same name in a
    nested object, or inside a string, never matches. A key that appears
    twice gives both values, in order (``feed_pieces`` tells them apart).
    A target key whose value is not a string gives no text. The document is
    checked as strictly as ``json.loads`` checks it (numbers by the grammar
    only), and the first bad byte raises ``ArgstreamError``.

    Memory: the scanner keeps the document fed so far (its text is handed
    out as slices of it) and nothing else that grows.

    Threads: one scanner reads one document. Calls from two threads at once
    do not interleave: while one call is running with the interpreter
    released (fragments of 64 KiB and more are scanned that way), a call from
    another thread raises ``RuntimeError`` and leaves the scanner untouched.
    Feeding one document from several threads in turn is the caller's
    business to order.

    Example::

        scanner = KeyScanner("pre_exec_msg")
        for fragment in fragments:         # str or bytes, cut anywhere
            speak(scanner.feed(fragment))  # "" when nothing new
        scanner.finish()                   # raises if the document was cut off
    """

    def __new__(cls, keys: str | list[str], *, max_depth: int = 128) -> KeyScanner:
        """A scanner for the string values of ``keys``: one key as a ``str``,
        or a list of keys. Arrays and objects nested ``max_depth`` deep
        (the root counts) are refused with kind ``"too_deep"``; the default
        accepts what ``json.loads`` accepts."""

    def feed(self, fragment: str | bytes | bytearray) -> str:
        """Reads the next fragment and returns the decoded new text of the
        target values since the last call, or ``""``.

        ``bytes`` (or ``bytearray``) may end anywhere, even inside a UTF-8
        character, an escape or a surrogate pair: the incomplete part comes
        out with the next fragment. A ``str`` is read as its UTF-8 encoding. With several keys,
        or a key given twice in the document, the texts of all values are
        concatenated; use ``feed_pieces`` to tell them apart.

        Raises:
            ArgstreamError: the fragment makes the document invalid. Text
                before the bad byte in the same fragment is not returned.
            TypeError: the fragment is not ``str``, ``bytes`` or ``bytearray``.
            RuntimeError: another thread is using the scanner.
        """

    def feed_pieces(self, fragment: str | bytes | bytearray) -> list[tuple[str, int, str]]:
        """Like ``feed``, but returns the new text by value, as a list of
        ``(key, occurrence, text)`` tuples in document order.

        ``key`` is the target key, ``occurrence`` counts that key's earlier
        values in the document (0 for the first), and ``text`` is that
        value's decoded new text. A value's first piece comes as soon as its
        opening quote is read, even while its text is still ``""``; a value
        that goes on in later fragments gives further pieces with the same
        key and occurrence. Fragments with no new target text give ``[]``.

        Raises:
            The same as ``feed``.
        """

    def finish(self) -> None:
        """Marks the end of the document.

        Raises:
            ArgstreamError: with kind ``"truncated"`` if the document is
                incomplete (a cut-off stream), or the scanner's earlier error.
        """

    def reset(self) -> None:
        """Forgets the document, keeping the keys, to read a new one."""

    @property
    def complete(self) -> bool:
        """Whether the document has been read to its end (its closing
        brace). Only whitespace may follow."""

    @property
    def offset(self) -> int:
        """How many bytes of the document have been read: all bytes fed so
        far, in UTF-8, until the scanner fails."""

    @property
    def keys(self) -> list[str]:
        """The target keys, in the order given."""

@final
class Relay:
    """Relays a model's streamed response to a client in the client's own
    format (an OpenAI chat-completion chunk stream by default), with the
    chosen string arguments of every tool call streamed as answer text while
    they arrive.

    Feed it the upstream response body as it is read (server-sent events,
    any cut); it returns the downstream SSE bytes to send to the client:
    answer text, reasoning and refusals; the target keys' values as answer
    text (``values=False`` leaves them out); the tool calls themselves
    hidden (``tool_calls="hide"``) or forwarded as the format's calls
    (``"forward"``); then the format's end (chat: one chunk with the finish
    reason, a usage chunk if upstream sent usage, and ``data: [DONE]``;
    Anthropic: ``message_delta`` and ``message_stop``; Responses:
    ``response.completed``; Gemini: an event with the ``finishReason`` and
    ``usageMetadata``). An upstream error event or a cut-off upstream gives
    the format's error event (chat ``data: {"error": ...}``, Anthropic
    ``event: error``, Responses ``response.failed``, Gemini
    ``data: {"error": {"code": ..., "message": ..., "status": ...}}``) and no
    success end.

    Threads: one relay per response stream, as for ``KeyScanner``: a call
    from a second thread while one runs raises ``RuntimeError``.

    Example::

        relay = Relay("pre_exec_msg")
        async for read in upstream_body:
            await send(relay.feed(read))
        await send(relay.finish())
        log(relay.summary())
    """

    def __new__(
        cls,
        keys: str | list[str],
        *,
        from_: Literal[
            "auto", "openai-chat", "openai-responses", "anthropic", "gemini", "bedrock"
        ] = "auto",
        to: Literal["openai-chat", "openai-responses", "anthropic", "gemini", "same"] = "openai-chat",
        tool_calls: Literal["hide", "forward"] = "hide",
        values: bool = True,
        finish: bool = True,
        created: int = 0,
        max_event_size: int | None = None,
        max_arguments: int | None = None,
        max_calls: int | None = None,
        max_content: int | None = None,
        max_stream_arguments: int | None = None,
        max_depth: int | None = None,
        max_choices: int | None = None,
        max_kept: int | None = None,
    ) -> Relay:
        """A relay for the string values of ``keys`` (top-level keys of each
        tool call's arguments).

        ``from_`` names the upstream format, or ``"auto"`` to tell it from
        the first bytes and event (Bedrock's binary frames, Gemini's
        ``candidates``, ...). A Bedrock ``ConverseStream`` body is fed as the
        raw ``bytes`` of its ``application/vnd.amazon.eventstream`` frames.
        ``to`` names the client's format, or ``"same"`` for
        the upstream's own; a chat upstream's choices stay apart in chat
        output, and the other formats carry choice 0 alone. ``tool_calls``
        says whether the client sees the tool calls (``"forward"``) or only
        the streamed values (``"hide"``); ``values=False`` streams no
        values, for a pure translation (``summary()`` still has the calls).

        The other options: ``finish=False`` leaves out the format's end (the
        chat finish chunk, usage chunk and ``[DONE]``), for a gateway that chains several
        responses into one client stream; ``created`` is the ``created``
        time written for formats that have none (Anthropic). The limits,
        ``None`` for the default: ``max_event_size`` (16 MiB, one upstream
        event, ``"event_too_large"``), ``max_arguments`` (16 MiB, one call's
        arguments; past it the call stops streaming, see ``summary()``),
        ``max_calls`` (1024 calls in one response, ``"too_many_calls"``),
        ``max_content`` (16 MiB of answer text kept for ``summary()``; past
        it the text kept stops, cut between characters, and
        ``content_truncated`` is ``True``; the client still gets all of it;
        ``0`` keeps none, for a caller that never reads it),
        ``max_stream_arguments`` (256 MiB of all calls' arguments together;
        the call that would pass it stops as with ``max_arguments``),
        ``max_depth`` (128 nested containers in an event or a call's
        arguments, ``"too_deep"``), ``max_choices`` (128 chat choices,
        ``"too_many_choices"``) and ``max_kept`` (256 MiB of the answer the
        Responses output keeps for ``response.completed``; past it the
        client's stream ends with ``response.failed``,
        ``"response_too_large"``).

        Raises:
            ValueError: an unknown ``from_``, ``to`` or ``tool_calls`` name.
        """

    def feed(self, data: bytes | bytearray | str) -> bytes:
        """Reads the next piece of the upstream body and returns the
        downstream bytes it completes (whole SSE frames, often ``b""``).
        A ``str`` is read as its UTF-8 encoding.

        Raises:
            ArgstreamError: an upstream event that is not what its format
                defines (kind ``"malformed_chunk"``), is too large
                (``"event_too_large"``) or opens more than 1024 tool calls
                (``"too_many_calls"``), with the upstream byte offset of
                the byte that made it bad (for a malformed event, the bad
                byte in its JSON). The relay then stays failed; call
                ``write_error`` to end the client's stream. Invalid
                arguments in one tool call are not raised: they stop that
                call's streaming and are recorded in ``summary()``, as are
                an upstream error event and a cut-off upstream.
            RuntimeError: another thread is using the relay.
        """

    def finish(self) -> bytes:
        """Marks the end of the upstream body and returns the last downstream
        bytes (``data: [DONE]``, or the error event of a cut-off stream).

        Raises:
            The same as ``feed``.
        """

    def summary(self) -> dict[str, Any]:
        """What was collected so far, as a dict::

            {"content": str,                  # the upstream answer text, up to max_content
             "finish_reason": str | None,     # "stop", "length", "tool_calls", ...
             "tool_calls": [{"index": int, "id": str, "name": str,
                             "arguments": str,          # the whole arguments
                             "error": str | None}],     # why they are invalid
             "usage": dict | None,            # the last usage upstream sent
             "error": Any | None,             # upstream's error, or cut-off
             "content_truncated": bool}       # content stopped at max_content

        The same fields as the Rust ``Summary::to_json()`` line.
        """

    def write_error(self, error_type: str, message: str) -> bytes:
        """Ends the client's stream with one error event,
        ``data: {"error": {"message": message, "type": error_type, ...}}``,
        unless it has already ended, and returns the downstream bytes not yet
        returned, that event included.

        For the gateway's own faults: after ``feed`` or ``finish`` raised
        (the frames relayed before the bad event come out here), or when the
        upstream connection broke or went silent. ``message`` goes to the
        client: keep request bodies and secrets out of it.
        """

    def reset(self) -> None:
        """Forgets the stream, keeping keys and options, to relay a new one."""

    @property
    def format(
        self,
    ) -> Literal["openai-chat", "openai-responses", "anthropic", "gemini", "bedrock"] | None:
        """The upstream format, as given or once detected; ``None`` before."""

    @property
    def ended(self) -> bool:
        """Whether the client's stream has ended: ``[DONE]`` or an error
        event was written. Nothing more will be written after it."""

    @property
    def events(self) -> int:
        """How many upstream events have been read."""

class TranslationError(ValueError):
    """A request that cannot be translated.

    ``kind`` names what went wrong (``"not_json"``, ``"shape"``,
    ``"missing_model"``, ``"unsupported_format"``, ``"untranslatable"``),
    ``path`` the field (``"messages[2].content"``, ``"$"`` for the whole
    body), and ``offset`` the byte offset of a body that is not JSON.
    """

    kind: str
    path: str
    offset: int | None

@final
class Translated:
    """A request translated into the upstream's format."""

    @property
    def body(self) -> bytes:
        """The upstream request's JSON body."""

    @property
    def path(self) -> str:
        """Its path under the upstream's base URL, query included
        (``/v1/messages``, ``/v1beta/models/{model}:streamGenerateContent?alt=sse``)."""

    @property
    def model(self) -> str:
        """The model asked for."""

    @property
    def stream(self) -> bool:
        """Whether the answer comes as a stream."""

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """What could not be carried: ``(path, why)`` pairs."""

_Format = Literal["openai-chat", "openai-responses", "anthropic", "gemini"]

def translate_request(
    body: str | bytes | bytearray,
    from_format: _Format,
    to_format: _Format,
    *,
    model: str | None = None,
    client_model: str | None = None,
    stream: bool = False,
    default_max_tokens: int = 8192,
    max_tokens_cap: int | None = None,
    eager_input_streaming: bool = True,
    vertex_stream_arguments: bool = False,
    strict: bool = False,
) -> Translated:
    """Translates a client's request body from ``from_format`` into
    ``to_format``: instructions, turns, images and documents, tools and
    their schemas, tool choice, calls and results with their ids, sampling,
    reasoning and structured output.

    ``model`` is the model the upstream is asked for (else the client's).
    A Gemini client names its model and whether it streams in its path, not
    its body: give them as ``client_model`` and ``stream``. What the
    upstream's format cannot carry comes back in ``warnings``; with
    ``strict`` the first one raises. Raises ``TranslationError``.
    """
