"""Stream the string values of chosen keys out of a JSON object as it arrives.

A model that calls a tool streams the call's JSON arguments a few characters
at a time. ``KeyScanner`` hands out the decoded new text of the keys you
choose (a voice agent's ``pre_exec_msg``, say) after each fragment, in time
linear in the arguments, whatever the fragments cut: an escape, a surrogate
pair, a UTF-8 character. ``Relay`` does the same for a whole upstream event
stream and writes a client's chat-completion stream.

    >>> import argstream
    >>> scanner = argstream.KeyScanner("pre_exec_msg")
    >>> [scanner.feed(f) for f in ['{"pre_exec_msg": "Let me \\\\', 'u00e9check"}']]
    ['Let me ', 'écheck']
    >>> scanner.finish()

Errors in the input raise ``ArgstreamError``, a ``ValueError`` with ``kind``
and ``offset``. One scanner or relay serves one stream; see ``KeyScanner``
for threads.
"""

from ._argstream import (
    ArgstreamError,
    KeyScanner,
    Relay,
    Translated,
    TranslationError,
    __version__,
    translate_request,
)

__all__ = [
    "ArgstreamError",
    "KeyScanner",
    "Relay",
    "Translated",
    "TranslationError",
    "__version__",
    "translate_request",
]
