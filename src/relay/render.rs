//! The downstream writer: OpenAI `chat.completion.chunk` frames, whatever
//! the upstream format, into one reused buffer.
//!
//! The texts of one upstream event gather in [`Pending`] and go out as one
//! chunk when the event is done, so a client gets one frame per upstream
//! event at most (two when a forwarded chunk is followed by the spans of its
//! calls).

use std::io::Write as _;

use bytes::Bytes;

use crate::sse::SseEncoder;
use crate::upstream::Code;

/// The JSON string texts one upstream event brought, escaped and without
/// quotes, waiting to be written.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// Answer text.
    pub(super) text: Vec<u8>,
    /// The target values' spans: raw JSON string text, copied as it came.
    pub(super) spans: Vec<u8>,
    pub(super) reasoning: Vec<u8>,
    pub(super) refusal: Vec<u8>,
    /// `tool_calls` array elements, comma-separated.
    pub(super) calls: Vec<u8>,
}

impl Pending {
    pub(super) fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
        self.reasoning.clear();
        self.refusal.clear();
        self.calls.clear();
    }

    pub(super) fn retained_bytes(&self) -> usize {
        self.text.capacity()
            + self.spans.capacity()
            + self.reasoning.capacity()
            + self.refusal.capacity()
            + self.calls.capacity()
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty()
            && self.spans.is_empty()
            && self.reasoning.is_empty()
            && self.refusal.is_empty()
            && self.calls.is_empty()
    }
}

/// Writes frames, carrying the upstream response's id, model and created
/// time into every chunk it makes.
#[derive(Debug)]
pub(super) struct Writer {
    encoder: SseEncoder,
    id: String,
    model: String,
    created: Option<u64>,
    /// `created` for formats that carry none.
    pub(super) default_created: u64,
    /// Whether the client has had `"role":"assistant"`: it goes in the first
    /// chunk only, since the OpenAI SDK concatenates repeated string fields.
    role_sent: bool,
    frame: Vec<u8>,
}

impl Writer {
    pub(super) fn new() -> Writer {
        Writer {
            encoder: SseEncoder::new(),
            id: String::new(),
            model: String::new(),
            created: None,
            default_created: 0,
            role_sent: false,
            frame: Vec::new(),
        }
    }

    pub(super) fn reset(&mut self) {
        self.encoder.take();
        self.id.clear();
        self.model.clear();
        self.created = None;
        self.role_sent = false;
    }

    /// The bytes its reused buffers hold: they grow with the largest frame.
    pub(super) fn retained_bytes(&self) -> usize {
        self.encoder.capacity() + self.frame.capacity() + self.id.capacity() + self.model.capacity()
    }

    pub(super) fn role_sent(&self) -> bool {
        self.role_sent
    }

    pub(super) fn take(&mut self) -> Bytes {
        self.encoder.take()
    }

    /// Takes the response's id, model and created time, where given.
    ///
    /// Each chunk repeats the id and the model, so they are cut to
    /// [`MAX_NAME`] bytes: an upstream that sends a huge id once and then
    /// thousands of one-byte deltas must not make the output a thousand
    /// times its input.
    pub(super) fn set_response(
        &mut self,
        id: Option<&str>,
        model: Option<&str>,
        created: Option<u64>,
    ) {
        for (kept, given) in [(&mut self.id, id), (&mut self.model, model)] {
            if let Some(given) = given {
                kept.clear();
                kept.push_str(floor_boundary(given, MAX_NAME));
            }
        }
        if created.is_some() {
            self.created = created;
        }
    }

    /// Writes an upstream chunk as it came, after a chunk with the role if
    /// the client has not had it.
    pub(super) fn verbatim(&mut self, payload: &[u8], role: bool) {
        if !role && !self.role_sent {
            self.chunk(&Pending::default(), None);
        }
        self.role_sent = true;
        self.encoder.push_data(payload);
    }

    /// Writes the pending texts as one chunk, if there are any.
    pub(super) fn deltas(&mut self, pending: &Pending) {
        if !pending.is_empty() {
            self.chunk(pending, None);
        }
    }

    /// Writes the chunk with the finish reason.
    pub(super) fn finish(&mut self, reason: &str) {
        self.chunk(&Pending::default(), Some(reason));
    }

    /// Writes the usage chunk: `usage` is an OpenAI usage object's JSON.
    pub(super) fn usage(&mut self, usage: &[u8]) {
        self.frame.clear();
        self.head();
        self.frame.extend_from_slice(br#"],"usage":"#);
        self.frame.extend_from_slice(usage);
        self.frame.push(b'}');
        self.encoder.push_data(&self.frame);
    }

    /// Writes an error event in OpenAI's shape.
    pub(super) fn error(&mut self, message: &str, error_type: &str, code: Option<Code<'_>>) {
        let frame = &mut self.frame;
        frame.clear();
        frame.extend_from_slice(br#"{"error":{"message":"#);
        write_json_string(frame, message);
        frame.extend_from_slice(br#","type":"#);
        write_json_string(frame, error_type);
        frame.extend_from_slice(br#","code":"#);
        match code {
            Some(Code::Text(code)) => write_json_string(frame, code),
            Some(Code::Number(code)) => {
                let _ = write!(frame, "{code}");
            }
            None => frame.extend_from_slice(b"null"),
        }
        frame.extend_from_slice(b"}}");
        self.encoder.push_data(&self.frame);
    }

    pub(super) fn done(&mut self) {
        self.encoder.push_done();
    }

    /// `{"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[`
    fn head(&mut self) {
        let frame = &mut self.frame;
        frame.extend_from_slice(br#"{"id":"#);
        write_json_string(frame, &self.id);
        frame.extend_from_slice(br#","object":"chat.completion.chunk","created":"#);
        let _ = write!(frame, "{}", self.created.unwrap_or(self.default_created));
        frame.extend_from_slice(br#","model":"#);
        write_json_string(frame, &self.model);
        frame.extend_from_slice(br#","choices":["#);
    }

    fn chunk(&mut self, pending: &Pending, finish: Option<&str>) {
        self.frame.clear();
        self.head();
        let frame = &mut self.frame;
        frame.extend_from_slice(br#"{"index":0,"delta":{"#);
        let mut first = true;
        let mut field = |frame: &mut Vec<u8>, name: &[u8]| {
            if !first {
                frame.push(b',');
            }
            first = false;
            frame.extend_from_slice(name);
        };
        if !self.role_sent {
            field(frame, br#""role":"assistant""#);
            self.role_sent = true;
        }
        if !pending.text.is_empty() || !pending.spans.is_empty() {
            field(frame, br#""content":""#);
            frame.extend_from_slice(&pending.text);
            frame.extend_from_slice(&pending.spans);
            frame.push(b'"');
        }
        for (name, text) in [
            (&br#""reasoning_content":""#[..], &pending.reasoning),
            (br#""refusal":""#, &pending.refusal),
        ] {
            if !text.is_empty() {
                field(frame, name);
                frame.extend_from_slice(text);
                frame.push(b'"');
            }
        }
        if !pending.calls.is_empty() {
            field(frame, br#""tool_calls":["#);
            frame.extend_from_slice(&pending.calls);
            frame.push(b']');
        }
        frame.extend_from_slice(br#"},"finish_reason":"#);
        match finish {
            Some(reason) => write_json_string(frame, reason),
            None => frame.extend_from_slice(b"null"),
        }
        frame.extend_from_slice(b"}]}");
        self.encoder.push_data(&self.frame);
    }
}

/// The longest id or model name a written chunk carries, in bytes.
pub(super) const MAX_NAME: usize = 256;

/// `text` cut to at most `max` bytes, on a character boundary.
pub(super) fn floor_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Appends `text` as a JSON string literal, quotes included.
pub(crate) fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    write_escaped(out, text);
    out.push(b'"');
}

/// Appends `text` escaped for a JSON string, without quotes.
pub(crate) fn write_escaped(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => br#"\""#,
            b'\\' => br"\\",
            b'\n' => br"\n",
            b'\r' => br"\r",
            b'\t' => br"\t",
            0x00..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}
