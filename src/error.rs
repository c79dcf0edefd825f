//! The one error type of the crate: what went wrong and at which byte.

use std::fmt;

/// What went wrong. Small and `Copy`, so a caller can match on it and keep it.
///
/// This is the one list of the crate's error kinds; the Python, C and Go
/// bindings report each by its [`name`](ErrorKind::name). Past the scanner's
/// kinds come those of the layers above it: the SSE and event-stream
/// framing, the upstream decoders, and the relay's limits.
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
    /// An upstream event (a chat-completion chunk, an Anthropic, Responses
    /// or Gemini event, a Bedrock frame's payload) that is not the JSON object
    /// its protocol defines: a syntax error, or a field of the wrong type,
    /// at the offset where its value starts.
    MalformedChunk,
    /// One tool call's arguments outgrew the relay's limit
    /// ([`Relay::with_max_arguments`](crate::Relay::with_max_arguments)), or
    /// would have taken all calls' arguments in the stream past theirs
    /// ([`Relay::with_max_stream_arguments`](crate::Relay::with_max_stream_arguments)).
    /// The relay reports it in that call's summary and goes on with the
    /// stream.
    ArgumentsTooLarge,
    /// A response opened more tool calls than the relay's limit
    /// ([`Relay::with_max_calls`](crate::Relay::with_max_calls)).
    TooManyCalls,
    /// A binary event-stream frame (Amazon Bedrock's
    /// `application/vnd.amazon.eventstream`) that is not one: a checksum
    /// that does not match, lengths that cannot be, or headers that do not
    /// parse.
    MalformedFrame,
    /// The answer outgrew what the output format keeps of it to write it
    /// whole at the end ([`Relay::with_max_kept`](crate::Relay::with_max_kept)):
    /// the client's stream ended with the format's error.
    ResponseTooLarge,
    /// An upstream event about a chat choice whose index is past the
    /// relay's limit ([`Relay::with_max_choices`](crate::Relay::with_max_choices)).
    TooManyChoices,
}

impl ErrorKind {
    /// The kind's name in snake_case, as the bindings report it: `"truncated"`,
    /// `"invalid_escape"`, `"malformed_chunk"`, ... Stable: a name, once
    /// given, does not change, so callers may match on it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Truncated => "truncated",
            ErrorKind::UnexpectedByte => "unexpected_byte",
            ErrorKind::InvalidNumber => "invalid_number",
            ErrorKind::InvalidLiteral => "invalid_literal",
            ErrorKind::InvalidEscape => "invalid_escape",
            ErrorKind::LoneSurrogate => "lone_surrogate",
            ErrorKind::InvalidUtf8 => "invalid_utf8",
            ErrorKind::ControlCharacter => "control_character",
            ErrorKind::TooDeep => "too_deep",
            ErrorKind::TrailingContent => "trailing_content",
            ErrorKind::BufferShrunk => "buffer_shrunk",
            ErrorKind::EventTooLarge => "event_too_large",
            ErrorKind::MalformedChunk => "malformed_chunk",
            ErrorKind::MalformedFrame => "malformed_frame",
            ErrorKind::ArgumentsTooLarge => "arguments_too_large",
            ErrorKind::TooManyCalls => "too_many_calls",
            ErrorKind::ResponseTooLarge => "response_too_large",
            ErrorKind::TooManyChoices => "too_many_choices",
        }
    }

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
            ErrorKind::ResponseTooLarge => "response larger than the relay keeps",
            ErrorKind::TooManyChoices => "more choices than the limit",
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

/// A name that no value of a type goes by: what the crate's [`FromStr`]
/// implementations ([`Format`](crate::Format), [`OutputFormat`](crate::OutputFormat),
/// [`ToolCallMode`](crate::ToolCallMode)) return for a name they do not
/// know. Its [`Display`](fmt::Display) names the bad value and the
/// accepted ones: `unknown output format "gemini-x": expected openai-chat,
/// openai-responses, anthropic, gemini or same`.
///
/// [`FromStr`]: std::str::FromStr
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    what: &'static str,
    name: String,
    expected: &'static [&'static str],
}

impl UnknownName {
    #[cold]
    pub(crate) fn new(
        what: &'static str,
        name: &str,
        expected: &'static [&'static str],
    ) -> UnknownName {
        UnknownName {
            what,
            name: name.to_owned(),
            expected,
        }
    }

    /// The name that was given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names accepted (each value's own; a few aliases are accepted
    /// too).
    pub fn expected(&self) -> &'static [&'static str] {
        self.expected
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}: expected ", self.what, self.name)?;
        let last = self.expected.len().saturating_sub(1);
        for (i, name) in self.expected.iter().enumerate() {
            let between = match i {
                0 => "",
                _ if i == last => " or ",
                _ => ", ",
            };
            write!(f, "{between}{name}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownName {}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// Every kind's name is its variant's name in snake_case, the names the
    /// Python binding has always reported.
    #[test]
    fn names_are_the_variants_in_snake_case() {
        let kinds = [
            ErrorKind::Truncated,
            ErrorKind::UnexpectedByte,
            ErrorKind::InvalidNumber,
            ErrorKind::InvalidLiteral,
            ErrorKind::InvalidEscape,
            ErrorKind::LoneSurrogate,
            ErrorKind::InvalidUtf8,
            ErrorKind::ControlCharacter,
            ErrorKind::TooDeep,
            ErrorKind::TrailingContent,
            ErrorKind::BufferShrunk,
            ErrorKind::EventTooLarge,
            ErrorKind::MalformedChunk,
            ErrorKind::ArgumentsTooLarge,
            ErrorKind::TooManyCalls,
            ErrorKind::MalformedFrame,
        ];
        for kind in kinds {
            let mut snake = String::new();
            for c in format!("{kind:?}").chars() {
                if c.is_ascii_uppercase() && !snake.is_empty() {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            assert_eq!(kind.name(), snake);
        }
    }
}
