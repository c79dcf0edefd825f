//! Heartbeats: which upstream reads carry the answer and which only keep
//! the connection alive, and the heartbeat each client format allows.
//!
//! An upstream heartbeat is an event of comment lines alone (`: keep-alive`,
//! OpenRouter's `: OPENROUTER PROCESSING`) or Anthropic's
//! `event: ping` (whose data is `{"type": "ping"}`). [`SseLines`] follows
//! the lines of the upstream's reads as they come, keeping nothing of them
//! but the start of the line it is in, so a read is told apart without
//! decoding it twice.

/// The heartbeat a chat or Responses client gets: a comment, which their
/// SSE readers skip.
pub const COMMENT: &[u8] = b": keep-alive\n\n";

/// The heartbeat an Anthropic client gets: the API's own `ping` event.
pub const ANTHROPIC_PING: &[u8] = b"event: ping\ndata: {\"type\": \"ping\"}\n\n";

/// What one upstream read brought.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadKind {
    /// Whether it held any of an event that is not a heartbeat.
    pub carried_answer: bool,
    /// The heartbeats it completed.
    pub heartbeats: u32,
}

/// The most of a line's start kept: enough to tell `event: ping` apart.
const HEAD: usize = 12;

/// Where the lines of an event stream are, from read to read.
#[derive(Clone, Debug, Default)]
pub struct SseLines {
    /// The start of the line being read, up to [`HEAD`] bytes.
    head: [u8; HEAD],
    head_len: usize,
    /// Bytes of the line being read, all of them.
    line_len: usize,
    /// Whether this line is known to be part of the answer.
    line_counted: bool,
    /// The last byte was a CR: an LF right after it ends no other line.
    after_cr: bool,
    /// The event being read: whether it is a ping, and whether it has had
    /// a comment line or a field line.
    ping: bool,
    comments: bool,
    fields: bool,
}

impl SseLines {
    /// Follows `read`'s lines, and says what it brought.
    pub fn scan(&mut self, read: &[u8]) -> ReadKind {
        let mut kind = ReadKind::default();
        let mut rest = read;
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if rest[0] == b'\n' {
                    rest = &rest[1..];
                    continue;
                }
            }
            let (text, ends) = match memchr::memchr2(b'\r', b'\n', rest) {
                Some(at) => (&rest[..at], Some(rest[at])),
                None => (rest, None),
            };
            self.take_text(text, &mut kind);
            match ends {
                Some(byte) => {
                    self.after_cr = byte == b'\r';
                    self.end_line(&mut kind);
                    rest = &rest[text.len() + 1..];
                }
                None => break,
            }
        }
        kind
    }

    /// Bytes of the line being read, up to (without) its end.
    fn take_text(&mut self, text: &[u8], kind: &mut ReadKind) {
        let keep = text.len().min(HEAD - self.head_len);
        self.head[self.head_len..self.head_len + keep].copy_from_slice(&text[..keep]);
        self.head_len += keep;
        self.line_len += text.len();
        // A field of an event that is not a ping is the answer as soon as
        // its name shows it is not `event`.
        if !text.is_empty() && !self.ping && (self.line_counted || self.is_answer_field()) {
            self.line_counted = true;
            kind.carried_answer = true;
        }
    }

    /// Whether the line so far is a field line that cannot be `event`.
    fn is_answer_field(&self) -> bool {
        let head = &self.head[..self.head_len];
        if head.first() == Some(&b':') {
            return false;
        }
        let could_be_event = match head.iter().position(|&byte| byte == b':') {
            Some(colon) => &head[..colon] == b"event",
            None => b"event".starts_with(head),
        };
        !could_be_event
    }

    fn end_line(&mut self, kind: &mut ReadKind) {
        let head = &self.head[..self.head_len];
        if self.line_len == 0 {
            self.end_event(kind);
        } else if head.first() == Some(&b':') {
            self.comments = true;
        } else {
            self.fields = true;
            let name = head.strip_prefix(b"event:");
            let value = name.map(|value| value.strip_prefix(b" ").unwrap_or(value));
            if value == Some(b"ping") && self.line_len == head.len() {
                self.ping = true;
            } else if !self.line_counted && !self.ping {
                // An `event` line of another name, or a field without a
                // value: part of the answer too.
                kind.carried_answer = true;
            }
        }
        self.head_len = 0;
        self.line_len = 0;
        self.line_counted = false;
    }

    fn end_event(&mut self, kind: &mut ReadKind) {
        if self.ping || (self.comments && !self.fields) {
            kind.heartbeats += 1;
        } else if self.fields {
            // The end of an event of the answer is the answer too.
            kind.carried_answer = true;
        }
        self.ping = false;
        self.comments = false;
        self.fields = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(reads: &[&[u8]]) -> Vec<ReadKind> {
        let mut lines = SseLines::default();
        reads.iter().map(|read| lines.scan(read)).collect()
    }

    const fn kind(carried_answer: bool, heartbeats: u32) -> ReadKind {
        ReadKind {
            carried_answer,
            heartbeats,
        }
    }

    #[test]
    fn comments_and_pings_are_heartbeats() {
        assert_eq!(
            scan_all(&[
                b": keep-alive\n\n",
                b":\r\n\r\n",
                b"event: ping\ndata: {\"type\": \"ping\"}\n\n",
                b"event:ping\r\ndata: {}\r\n\r\n: x\n\n",
            ]),
            [
                kind(false, 1),
                kind(false, 1),
                kind(false, 1),
                kind(false, 2)
            ]
        );
    }

    #[test]
    fn data_is_the_answer_even_in_a_piece_of_a_line() {
        assert_eq!(
            scan_all(&[b"da", b"ta: {\"a\"", b":1}\n", b"\n"]),
            [kind(true, 0), kind(true, 0), kind(true, 0), kind(true, 0)]
        );
        assert_eq!(
            scan_all(&[b"event: message_start\n", b"data: {}\n\n"]),
            [kind(true, 0), kind(true, 0)]
        );
        // A ping's name split across reads is still a ping; its event
        // ends at the blank line's CR.
        assert_eq!(
            scan_all(&[b"event: pi", b"ng\r", b"\ndata: {}\r\n\r", b"\n"]),
            [
                kind(false, 0),
                kind(false, 0),
                kind(false, 1),
                kind(false, 0)
            ]
        );
        assert_eq!(
            scan_all(&[b"event: pings\n\n"]),
            [kind(true, 0)],
            "another name"
        );
    }

    #[test]
    fn a_read_with_both_carried_the_answer() {
        assert_eq!(
            scan_all(&[b": hi\n\ndata: {}\n\n\n\n"]),
            [kind(true, 1)],
            "extra blank lines are no event"
        );
    }
}
