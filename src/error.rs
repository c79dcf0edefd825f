//! The one error type of the crate: what went wrong and at which byte.

use std::fmt;

/// What went wrong. Small and `Copy`, so a caller can match on it and keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended (at [`finish`](crate::KeyScanner::finish)) before the
    /// document was complete: a cut-off stream, not a malformed one.
    Truncated,
    /// A byte that the JSON grammar does not allow where it stands.
    UnexpectedByte,
    /// A number that breaks the RFC 8259 number grammar (`01`, `1.`, `-`, `1e`).
    InvalidNumber,
    /// A misspelt `true`, `false` or `null`.
    InvalidLiteral,
    /// A backslash escape that JSON does not define, or a `\u` with a non-hex digit.
    InvalidEscape,
    /// A `\u` escape of a UTF-16 surrogate that is not one half of a pair.
    LoneSurrogate,
    /// Bytes inside a string that are not UTF-8.
    InvalidUtf8,
    /// A raw control character (U+0000 to U+001F) inside a string.
    ControlCharacter,
    /// Arrays and objects nested deeper than the configured limit.
    TooDeep,
    /// Something other than whitespace after the complete document.
    TrailingContent,
    /// The caller handed the scanner a buffer shorter than the one it already
    /// read: the buffer must only ever grow at its end.
    BufferShrunk,
    /// A server-sent event larger than the configured limit.
    EventTooLarge,
    /// An upstream event (a chat-completion chunk, an Anthropic or a Responses
    /// event) that is not the JSON object its protocol defines.
    MalformedChunk,
    /// One tool call's arguments outgrew the relay's limit
    /// ([`Relay::with_max_arguments`](crate::Relay::with_max_arguments)).
    ArgumentsTooLarge,
    /// A response opened more tool calls than the relay's limit
    /// ([`Relay::with_max_calls`](crate::Relay::with_max_calls)).
    TooManyCalls,
    /// A binary event-stream frame (Amazon Bedrock's
    /// `application/vnd.amazon.eventstream`) that is not one: a checksum
    /// that does not match, lengths that cannot be, or headers that do not
    /// parse.
    MalformedFrame,
}

impl ErrorKind {
    /// A short human description, the same words [`Error`]'s `Display` uses.
    pub fn description(self) -> &'static str {
        match self {
            ErrorKind::Truncated => "input ended before the document was complete",
            ErrorKind::UnexpectedByte => "unexpected byte",
            ErrorKind::InvalidNumber => "invalid number",
            ErrorKind::InvalidLiteral => "invalid literal",
            ErrorKind::InvalidEscape => "invalid escape sequence",
            ErrorKind::LoneSurrogate => "unpaired UTF-16 surrogate escape",
            ErrorKind::InvalidUtf8 => "invalid UTF-8 in string",
            ErrorKind::ControlCharacter => "raw control character in string",
            ErrorKind::TooDeep => "nesting deeper than the limit",
            ErrorKind::TrailingContent => "content after the end of the document",
            ErrorKind::BufferShrunk => "input buffer shrank between calls",
            ErrorKind::EventTooLarge => "event larger than the limit",
            ErrorKind::MalformedChunk => "malformed upstream event",
            ErrorKind::ArgumentsTooLarge => "tool call arguments larger than the limit",
            ErrorKind::TooManyCalls => "more tool calls than the limit",
            ErrorKind::MalformedFrame => "malformed event-stream frame",
        }
    }
}

/// An error with its kind and the byte offset, counted from the first byte the
/// reader was given, of the first byte that made the input bad (for
/// [`ErrorKind::Truncated`], the length of the input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    offset: u64,
}

impl Error {
    /// Builds an error. Kept out of line: errors are the cold path.
    #[cold]
    #[inline(never)]
    pub fn new(kind: ErrorKind, offset: u64) -> Error {
        Error { kind, offset }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The byte offset of the first bad byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.description(), self.offset)
    }
}

impl std::error::Error for Error {}
