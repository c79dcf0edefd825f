//! Binary AWS event-stream frames (`application/vnd.amazon.eventstream`),
//! the framing of Amazon Bedrock's `ConverseStream`: [`FrameDecoder`] turns
//! a body into [`Frame`]s as its reads arrive, as [`sse`](crate::sse) does
//! for `text/event-stream`.
//!
//! A frame is a 12-byte prelude (its total length and its headers' length,
//! big-endian `u32`s, then the CRC32 of those 8 bytes), the headers, the
//! payload, and the CRC32 of everything before it. A header is a name (a
//! length byte, then UTF-8), a type byte and a value: `true` (0) and
//! `false` (1) with no bytes, a byte (2), a 16-, 32- or 64-bit integer (3, 4,
//! 5), bytes (6) or a UTF-8 string (7) behind a 16-bit length, a timestamp
//! (8, 64 bits) or a UUID (9, 16 bytes). Every value is read within the
//! headers' length, so no header can reach into the payload.
//!
//! Like the SSE layer, this one knows nothing of JSON: a frame's payload is
//! a [`Bytes`] slice of the read it arrived in when the whole frame lies in
//! one read, and is copied once into a reused buffer when it spans reads.
//!
//! ```
//! use argstream::eventstream::FrameDecoder;
//! use bytes::Bytes;
//!
//! // A frame as Bedrock sends it.
//! # let mut body = Vec::new();
//! # argstream::eventstream::encode_frame(&mut body, "contentBlockDelta", br#"{"delta":{"text":"Hi"}}"#);
//! let mut decoder = FrameDecoder::new();
//! // Cut anywhere: the frame comes out whole once its last byte is in.
//! decoder.feed(Bytes::copy_from_slice(&body[..5]));
//! assert!(decoder.next_frame()?.is_none());
//! decoder.feed(Bytes::copy_from_slice(&body[5..]));
//! let frame = decoder.next_frame()?.unwrap();
//! assert_eq!(frame.event_type(), Some(&b"contentBlockDelta"[..]));
//! assert_eq!(frame.message_type(), Some(&b"event"[..]));
//! assert_eq!(&frame.payload()[..], br#"{"delta":{"text":"Hi"}}"#);
//! # Ok::<(), argstream::Error>(())
//! ```

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::{Error, ErrorKind};

/// The prelude: total length, headers' length, their CRC32.
const PRELUDE: usize = 12;
/// The message CRC32 at the end of a frame.
const TRAILER: usize = 4;

/// The default limit on one frame: 16 MiB, as for one SSE event.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;

/// One decoded frame: the headers the relay reads, and the payload.
///
/// Cloning is cheap: every field is a [`Bytes`] or a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    payload: Bytes,
    event_type: Option<Bytes>,
    message_type: Option<Bytes>,
    exception_type: Option<Bytes>,
    content_type: Option<Bytes>,
    offset: u64,
    payload_offset: u64,
}

impl Frame {
    /// The payload (for Bedrock, a JSON object).
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The string value of the `:event-type` header (`contentBlockDelta`,
    /// ...), if the frame has one.
    pub fn event_type(&self) -> Option<&[u8]> {
        self.event_type.as_deref()
    }

    /// The string value of the `:message-type` header: `event`,
    /// `exception` or `error`.
    pub fn message_type(&self) -> Option<&[u8]> {
        self.message_type.as_deref()
    }

    /// The string value of the `:exception-type` header of an exception
    /// (`throttlingException`, ...).
    pub fn exception_type(&self) -> Option<&[u8]> {
        self.exception_type.as_deref()
    }

    /// The string value of the `:content-type` header.
    pub fn content_type(&self) -> Option<&[u8]> {
        self.content_type.as_deref()
    }

    /// The stream offset of the frame's first byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The stream offset of the payload's first byte: `payload()[i]` was
    /// sent at `payload_offset() + i`.
    pub fn payload_offset(&self) -> u64 {
        self.payload_offset
    }
}

/// An incremental decoder of an event-stream body.
///
/// Feed it the body's reads with [`feed`](FrameDecoder::feed) and pull
/// whole frames with [`next_frame`](FrameDecoder::next_frame); a frame may
/// be cut across reads at any byte.
///
/// # Cost
/// Each byte is read once for the message CRC, and the prelude and the
/// headers once more. A frame that lies within one read is not copied; one
/// that spans reads is copied once into a buffer the decoder reuses.
///
/// # Memory
/// Bounded by [`max_frame_size`](FrameDecoder::max_frame_size): the prelude
/// is checked, length and CRC, as soon as its 12 bytes are in, before any
/// more of the frame is held.
///
/// # Termination
/// Frames are self-delimiting, so the body's end needs no call: when it
/// ends, drain [`next_frame`](FrameDecoder::next_frame), and
/// [`has_partial_frame`](FrameDecoder::has_partial_frame) then tells
/// whether it ended inside a frame (a cut-off stream).
///
/// # Errors
/// [`ErrorKind::MalformedFrame`] for a prelude or message CRC that does not
/// match, lengths that cannot be (a frame shorter than 16 bytes, headers
/// longer than it) or headers that do not parse; [`ErrorKind::EventTooLarge`]
/// for a frame longer than the limit. Both name the stream offset of the
/// frame's first byte, and the decoder stays failed.
#[derive(Debug)]
pub struct FrameDecoder {
    reads: VecDeque<Bytes>,
    /// The read position in the front read.
    pos: usize,
    /// The stream offset of the next byte not yet consumed.
    offset: u64,
    /// The start of a frame that spans reads.
    partial: BytesMut,
    /// The frame's total length, once its prelude is checked.
    frame_len: Option<usize>,
    max_frame_size: usize,
    failed: Option<Error>,
}

impl Default for FrameDecoder {
    fn default() -> FrameDecoder {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    /// The bytes the buffer that holds a frame spanning reads keeps, as its
    /// capacity tells, for monitoring.
    pub fn retained_bytes(&self) -> usize {
        self.partial.capacity()
    }

    /// A decoder at the start of a body. Allocates nothing until fed.
    pub fn new() -> FrameDecoder {
        FrameDecoder {
            reads: VecDeque::new(),
            pos: 0,
            offset: 0,
            partial: BytesMut::new(),
            frame_len: None,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            failed: None,
        }
    }

    /// Sets the limit on one frame's total length, in bytes (default
    /// [`DEFAULT_MAX_FRAME_SIZE`]).
    pub fn with_max_frame_size(mut self, max: usize) -> FrameDecoder {
        self.max_frame_size = max;
        self
    }

    /// The limit on one frame's total length.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Queues the next read of the body; nothing is read until
    /// [`next_frame`](FrameDecoder::next_frame).
    pub fn feed(&mut self, read: Bytes) {
        if !read.is_empty() && self.failed.is_none() {
            self.reads.push_back(read);
        }
    }

    /// Whether bytes of a frame not yet whole have been fed.
    pub fn has_partial_frame(&self) -> bool {
        !self.partial.is_empty() || !self.reads.is_empty()
    }

    /// Forgets the body, keeping the limit and the buffer's memory.
    pub fn reset(&mut self) {
        self.reads.clear();
        self.pos = 0;
        self.offset = 0;
        self.partial.clear();
        self.frame_len = None;
        self.failed = None;
    }

    /// The next whole frame, or `None` when the fed reads hold no more.
    ///
    /// # Errors
    /// See `# Errors` on [`FrameDecoder`].
    ///
    /// # Panics
    /// Never.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        loop {
            let Some(read) = self.reads.front() else {
                return Ok(None);
            };
            if self.pos == read.len() {
                self.reads.pop_front();
                self.pos = 0;
                continue;
            }
            let rest = &read[self.pos..];
            if self.partial.is_empty() && rest.len() >= PRELUDE {
                let len = match check_prelude(rest, self.max_frame_size) {
                    Ok(len) => len,
                    Err(kind) => return Err(self.fail(kind)),
                };
                if rest.len() >= len {
                    // The whole frame is in this read: a slice of it.
                    let frame = read.slice(self.pos..self.pos + len);
                    self.pos += len;
                    return self.frame(frame).map(Some);
                }
                self.frame_len = Some(len);
            }
            // Gather the frame across reads: the prelude first, then the
            // length it gives. The buffer grows with what arrives, never
            // ahead of it.
            let want = self.frame_len.unwrap_or(PRELUDE) - self.partial.len();
            let take = want.min(rest.len());
            self.partial.extend_from_slice(&rest[..take]);
            self.pos += take;
            if self.frame_len.is_none() && self.partial.len() == PRELUDE {
                match check_prelude(&self.partial, self.max_frame_size) {
                    Ok(len) => self.frame_len = Some(len),
                    Err(kind) => return Err(self.fail(kind)),
                }
            }
            if self.frame_len == Some(self.partial.len()) {
                self.frame_len = None;
                let frame = self.partial.split().freeze();
                return self.frame(frame).map(Some);
            }
        }
    }

    /// Checks a whole frame's message CRC and reads its headers.
    fn frame(&mut self, bytes: Bytes) -> Result<Frame, Error> {
        let offset = self.offset;
        self.offset += bytes.len() as u64;
        let body = bytes.len() - TRAILER;
        if crc32fast::hash(&bytes[..body]) != be_u32(&bytes, body) {
            self.offset = offset;
            return Err(self.fail(ErrorKind::MalformedFrame));
        }
        let headers_end = PRELUDE + be_u32(&bytes, 4) as usize;
        let mut frame = Frame {
            payload: bytes.slice(headers_end..body),
            event_type: None,
            message_type: None,
            exception_type: None,
            content_type: None,
            offset,
            payload_offset: offset + headers_end as u64,
        };
        let mut headers = Headers {
            bytes: &bytes,
            at: PRELUDE,
            end: headers_end,
        };
        loop {
            match headers.next() {
                Ok(Some((name, Value::String(range)))) => {
                    let slot = match name {
                        b":event-type" => &mut frame.event_type,
                        b":message-type" => &mut frame.message_type,
                        b":exception-type" => &mut frame.exception_type,
                        b":content-type" => &mut frame.content_type,
                        _ => continue,
                    };
                    *slot = Some(bytes.slice(range));
                }
                Ok(Some(_)) => {}
                Ok(None) => return Ok(frame),
                Err(()) => {
                    self.offset = offset;
                    return Err(self.fail(ErrorKind::MalformedFrame));
                }
            }
        }
    }

    /// Fails the decoder at the frame being read, and drops what it holds.
    #[cold]
    fn fail(&mut self, kind: ErrorKind) -> Error {
        let error = Error::new(kind, self.offset);
        self.failed = Some(error);
        self.reads = VecDeque::new();
        self.partial = BytesMut::new();
        self.frame_len = None;
        error
    }
}

/// A header's value, as far as the decoder keeps it.
enum Value {
    /// A UTF-8 string, as a range of the frame.
    String(std::ops::Range<usize>),
    /// Any other type, read and checked.
    Other,
}

/// The headers of one frame, read one by one within their length.
struct Headers<'a> {
    bytes: &'a [u8],
    at: usize,
    end: usize,
}

impl<'a> Headers<'a> {
    /// The next header's name and value, `None` past the last, or `Err` for
    /// one that does not fit the headers' length or is not well formed.
    fn next(&mut self) -> Result<Option<(&'a [u8], Value)>, ()> {
        if self.at == self.end {
            return Ok(None);
        }
        let name_len = usize::from(*self.take(1)?.first().ok_or(())?);
        let name = self.take(name_len)?;
        std::str::from_utf8(name).map_err(|_| ())?;
        let kind = self.take(1)?[0];
        let value = match kind {
            0 | 1 => Value::Other,
            2..=5 => {
                self.take(1 << (kind - 2))?;
                Value::Other
            }
            6 | 7 => {
                let len = self.take(2)?;
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                let start = self.at;
                let text = self.take(len)?;
                if kind == 6 {
                    Value::Other
                } else {
                    std::str::from_utf8(text).map_err(|_| ())?;
                    Value::String(start..start + len)
                }
            }
            8 => {
                self.take(8)?;
                Value::Other
            }
            9 => {
                self.take(16)?;
                Value::Other
            }
            _ => return Err(()),
        };
        Ok(Some((name, value)))
    }

    /// The next `n` bytes, if the headers hold them.
    fn take(&mut self, n: usize) -> Result<&'a [u8], ()> {
        if self.end - self.at < n {
            return Err(());
        }
        let taken = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(taken)
    }
}

/// Checks the prelude at the start of `bytes` (12 bytes at least) and
/// returns the frame's total length.
fn check_prelude(bytes: &[u8], max: usize) -> Result<usize, ErrorKind> {
    let total = be_u32(bytes, 0) as usize;
    let headers = be_u32(bytes, 4) as usize;
    if crc32fast::hash(&bytes[..8]) != be_u32(bytes, 8)
        || total < PRELUDE + TRAILER
        || headers > total - PRELUDE - TRAILER
    {
        return Err(ErrorKind::MalformedFrame);
    }
    if total > max {
        return Err(ErrorKind::EventTooLarge);
    }
    Ok(total)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Appends one frame of message type `event` to `out`, with the headers
/// `:event-type` = `event_type`, `:content-type` = `application/json` and
/// `:message-type` = `event`, and with both CRCs: what Bedrock sends, for
/// the crate's tests and fuzz targets (feature `test-windows`).
#[cfg(feature = "test-windows")]
#[doc(hidden)]
pub fn encode_frame(out: &mut Vec<u8>, event_type: &str, payload: &[u8]) {
    encode_frame_with_headers(
        out,
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload,
    );
}

/// Appends one frame with string-valued `headers` and `payload` to `out`,
/// with both CRCs.
///
/// # Panics
/// When a header name is longer than 255 bytes or a value longer than
/// 65,535, which the format cannot carry. A frame is at most 4 GiB: the
/// caller bounds the payload.
#[cfg(feature = "test-windows")]
#[doc(hidden)]
pub fn encode_frame_with_headers(out: &mut Vec<u8>, headers: &[(&str, &str)], payload: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&[0; PRELUDE]);
    for (name, value) in headers {
        let name_len = u8::try_from(name.len()).expect("a header name fits 255 bytes");
        let value_len = u16::try_from(value.len()).expect("a header value fits 65,535 bytes");
        out.push(name_len);
        out.extend_from_slice(name.as_bytes());
        out.push(7);
        out.extend_from_slice(&value_len.to_be_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    let headers_len = (out.len() - start - PRELUDE) as u32;
    out.extend_from_slice(payload);
    let total = (out.len() - start + TRAILER) as u32;
    out[start..start + 4].copy_from_slice(&total.to_be_bytes());
    out[start + 4..start + 8].copy_from_slice(&headers_len.to_be_bytes());
    let prelude_crc = crc32fast::hash(&out[start..start + 8]);
    out[start + 8..start + PRELUDE].copy_from_slice(&prelude_crc.to_be_bytes());
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}
