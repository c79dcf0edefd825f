//! Events to bytes: frames written into one reused [`BytesMut`] and handed out
//! as [`Bytes`].

use bytes::{Bytes, BytesMut};

/// The fields of one event to encode. Build it with a struct literal:
///
/// ```
/// use argstream::SseFrame;
///
/// let frame = SseFrame { event: Some(b"delta"), data: b"{\"text\":\"hi\"}", ..SseFrame::default() };
/// # let _ = frame;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SseFrame<'a> {
    /// The `event` field, written when `Some`. SSE cannot carry a line break
    /// in it: it is cut at its first CR or LF.
    pub event: Option<&'a [u8]>,
    /// The `id` field, written when `Some`, cut like `event`. A decoder
    /// ignores an `id` that holds a NUL byte.
    pub id: Option<&'a [u8]>,
    /// The `retry` field: a reconnection time in milliseconds.
    pub retry: Option<u64>,
    /// The payload, written as one `data` line per line of it.
    pub data: &'a [u8],
}

/// The line break an [`SseEncoder`] ends each line with.
///
/// Both are SSE; a decoder that follows the spec reads either. Servers
/// differ, and so do the clients written against them: OpenAI and
/// Anthropic end lines with `\n`, Google's Gemini API with `\r\n` (so an
/// event ends with `\r\n\r\n`), and a client that splits its stream on
/// its server's own separator reads only that one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `\n` (the default).
    #[default]
    Lf,
    /// `\r\n`.
    CrLf,
}

impl LineEnding {
    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
        }
    }
}

/// The room the buffer gets when a payload held by reference leaves it
/// short: a 4096-byte read's frames, about.
const SHARED_ROOM: usize = 4096;

/// Writes server-sent event frames into one reused buffer.
///
/// Each `push_*` call appends one frame to the pending output; [`take`]
/// hands out everything pending as one [`Bytes`], so a gateway can batch the
/// frames of one read of its upstream into one write downstream. The
/// one-frame calls [`data`] and [`done`] push and take in one step.
///
/// ```
/// use argstream::SseEncoder;
///
/// let mut encoder = SseEncoder::new();
/// assert_eq!(encoder.data(b"{\"a\":1}"), "data: {\"a\":1}\n\n");
/// encoder.push_data(b"one\ntwo").push_done();
/// assert_eq!(encoder.take(), "data: one\ndata: two\n\ndata: [DONE]\n\n");
/// ```
///
/// # Cost
///
/// One pass over the payload (`memchr2` for line breaks) and one copy of it.
/// No allocation per frame in steady state: [`take`] splits the written
/// bytes off the front of the buffer, which keeps the rest of its capacity,
/// and when that runs out `BytesMut::reserve` takes the whole allocation
/// back, without allocating, once every [`Bytes`] handed out from it has
/// been dropped. A caller that keeps frames alive makes the next reserve
/// allocate a fresh buffer instead.
///
/// [`take`]: SseEncoder::take
/// [`data`]: SseEncoder::data
/// [`done`]: SseEncoder::done
#[derive(Debug, Default)]
pub struct SseEncoder {
    buf: BytesMut,
    line_ending: LineEnding,
    /// Output before `buf` that is not in it: pieces of `buf` split off
    /// before a payload held by reference, and the payloads, in order.
    shared: Vec<Bytes>,
    /// Where [`take`](SseEncoder::take) joins `shared` and `buf`, reused.
    joined: BytesMut,
    /// The frames pushed since it was made.
    frames: u64,
}

impl SseEncoder {
    /// An encoder with no buffer yet; the first frame allocates one.
    pub fn new() -> SseEncoder {
        SseEncoder::default()
    }

    /// An encoder whose buffer starts with room for `capacity` bytes: the
    /// frames of a stream fit without growing it when that is more than the
    /// bytes in flight at once.
    pub fn with_capacity(capacity: usize) -> SseEncoder {
        SseEncoder {
            buf: BytesMut::with_capacity(capacity),
            ..SseEncoder::default()
        }
    }

    /// Ends every line it writes with `line_ending` (default
    /// [`LineEnding::Lf`]).
    ///
    /// ```
    /// use argstream::{LineEnding, SseEncoder};
    ///
    /// let mut encoder = SseEncoder::new().with_line_ending(LineEnding::CrLf);
    /// assert_eq!(encoder.data(b"{}"), "data: {}\r\n\r\n");
    /// ```
    pub fn with_line_ending(mut self, line_ending: LineEnding) -> SseEncoder {
        self.line_ending = line_ending;
        self
    }

    /// The line break written at the end of each line.
    pub fn line_ending(&self) -> LineEnding {
        self.line_ending
    }

    /// Appends `data: <payload>` and a blank line. A payload with line breaks (`\n`,
    /// `\r\n` or `\r`) becomes one `data` line per line, which a decoder
    /// joins back with `\n`.
    pub fn push_data(&mut self, payload: &[u8]) -> &mut SseEncoder {
        self.buf.reserve(payload.len() + b"data: \r\n\r\n".len());
        self.put_data(payload);
        self.end_frame();
        self
    }

    /// Appends the `data: [DONE]` frame that ends an OpenAI-style stream.
    pub fn push_done(&mut self) -> &mut SseEncoder {
        self.put_data(b"[DONE]");
        self.end_frame();
        self
    }

    /// Appends a frame with the fields `frame` sets, in the order `event`,
    /// `id`, `retry`, `data`.
    pub fn push_frame(&mut self, frame: &SseFrame<'_>) -> &mut SseEncoder {
        let fields = frame.event.map_or(0, <[u8]>::len) + frame.id.map_or(0, <[u8]>::len);
        self.buf.reserve(
            fields
                + frame.data.len()
                + b"event: \r\nid: \r\nretry: 18446744073709551615\r\ndata: \r\n\r\n".len(),
        );
        if let Some(event) = frame.event {
            self.put_field(b"event: ", event);
        }
        if let Some(id) = frame.id {
            self.put_field(b"id: ", id);
        }
        if let Some(retry) = frame.retry {
            self.put_retry(retry);
        }
        self.put_data(frame.data);
        self.end_frame();
        self
    }

    /// Appends a frame of `event` (when given) and `payload` as its data,
    /// holding `payload` by reference instead of copying it, when it is one
    /// line (else as [`push_frame`](SseEncoder::push_frame)):
    /// [`take_frames`](SseEncoder::take_frames) hands it out as it is, a
    /// slice of the caller's buffer, between the frame's head and its end.
    pub fn push_shared_frame(&mut self, event: Option<&[u8]>, payload: &Bytes) -> &mut SseEncoder {
        if memchr::memchr2(b'\r', b'\n', payload).is_some() {
            return self.push_frame(&SseFrame {
                event,
                data: payload,
                ..SseFrame::default()
            });
        }
        if let Some(event) = event {
            self.put_field(b"event: ", event);
        }
        self.buf.extend_from_slice(b"data: ");
        self.shared.push(self.buf.split().freeze());
        self.shared.push(payload.clone());
        // Until they are taken, the pieces held keep the buffer from being
        // reclaimed: when it runs short, room for the frames to come is
        // made at once, not a frame at a time.
        if self.buf.capacity() < SHARED_ROOM / 8 {
            self.buf.reserve(SHARED_ROOM);
        }
        self.end_line();
        self.end_frame();
        self
    }

    /// Appends a frame of `event` (when given) and `line` as its data,
    /// without looking for line breaks in it: for a caller that wrote
    /// `line` itself and knows it holds none (JSON whose strings are all
    /// escaped), which saves a search of every frame.
    pub(crate) fn push_line(&mut self, event: Option<&[u8]>, line: &[u8]) -> &mut SseEncoder {
        debug_assert!(
            memchr::memchr2(b'\r', b'\n', line).is_none(),
            "a line holds no line break"
        );
        let event_len = event.map_or(0, |event| event.len() + b"event: \r\n".len());
        self.buf
            .reserve(event_len + line.len() + b"data: \r\n\r\n".len());
        if let Some(event) = event {
            self.buf.extend_from_slice(b"event: ");
            self.buf.extend_from_slice(event);
            self.end_line();
        }
        self.buf.extend_from_slice(b"data: ");
        self.buf.extend_from_slice(line);
        self.end_line();
        self.end_frame();
        self
    }

    /// Appends a comment line and a blank line: `: <text>\n\n`, cut at the
    /// first line break in `text`. Decoders ignore it; proxies see traffic,
    /// so it serves as a keep-alive.
    pub fn push_comment(&mut self, text: &[u8]) -> &mut SseEncoder {
        self.put_field(b": ", text);
        self.end_frame();
        self
    }

    /// Hands out every frame pushed since the last `take` as one [`Bytes`]
    /// (empty when there were none). No copy and no allocation, but when
    /// payloads are held by reference
    /// ([`push_shared_frame`](SseEncoder::push_shared_frame)): then the
    /// output is copied once into a second buffer, reused like the first.
    pub fn take(&mut self) -> Bytes {
        if self.shared.is_empty() {
            return self.buf.split().freeze();
        }
        let len = self.shared.iter().map(Bytes::len).sum::<usize>() + self.buf.len();
        self.joined.reserve(len);
        for piece in self.shared.drain(..) {
            self.joined.extend_from_slice(&piece);
        }
        self.joined.extend_from_slice(&self.buf);
        self.buf.clear();
        self.joined.split().freeze()
    }

    /// Hands out every frame pushed since the last take as a few [`Bytes`],
    /// in order, for a vectored write: payloads held by reference as they
    /// are, what was written around them as slices of the buffer. No copy;
    /// no allocation once the list of pieces has grown to its need.
    pub fn take_frames(&mut self) -> impl Iterator<Item = Bytes> + '_ {
        let rest = self.buf.split().freeze();
        self.shared
            .drain(..)
            .chain((!rest.is_empty()).then_some(rest))
    }

    /// Pushes one data frame and takes the pending output: the frame, after
    /// any frames pushed before it and not yet taken.
    pub fn data(&mut self, payload: &[u8]) -> Bytes {
        self.push_data(payload).take()
    }

    /// Pushes the `[DONE]` frame and takes the pending output.
    pub fn done(&mut self) -> Bytes {
        self.push_done().take()
    }

    /// The frames pushed and not yet taken, but for what came before the
    /// last payload held by reference.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// How many frames were pushed since it was made (comments included):
    /// the frames written, counted as they are written rather than found
    /// again in the bytes.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The bytes its buffers hold on to, as their capacities tell.
    pub fn retained_bytes(&self) -> usize {
        self.buf.capacity() + self.joined.capacity()
    }

    fn put_data(&mut self, payload: &[u8]) {
        let mut rest = payload;
        loop {
            self.buf.extend_from_slice(b"data: ");
            let Some(end) = memchr::memchr2(b'\r', b'\n', rest) else {
                self.buf.extend_from_slice(rest);
                self.end_line();
                return;
            };
            self.buf.extend_from_slice(&rest[..end]);
            self.end_line();
            let crlf = rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n');
            rest = &rest[end + 1 + usize::from(crlf)..];
        }
    }

    fn put_field(&mut self, prefix: &[u8], value: &[u8]) {
        let line = memchr::memchr2(b'\r', b'\n', value).map_or(value, |end| &value[..end]);
        self.buf.extend_from_slice(prefix);
        self.buf.extend_from_slice(line);
        self.end_line();
    }

    fn end_line(&mut self) {
        self.buf.extend_from_slice(self.line_ending.bytes());
    }

    /// The blank line that ends a frame.
    fn end_frame(&mut self) {
        self.end_line();
        self.frames += 1;
    }

    fn put_retry(&mut self, millis: u64) {
        let mut digits = [0u8; 20];
        self.put_field(b"retry: ", decimal(millis, &mut digits));
    }
}

/// `n` in decimal, written at the end of `digits`, without the formatting
/// machinery.
pub(crate) fn decimal(n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_frame_it_writes() {
        let mut encoder = SseEncoder::new().with_line_ending(LineEnding::CrLf);
        encoder
            .push_data(b"one\ntwo")
            .push_done()
            .push_comment(b"keep-alive");
        encoder.push_frame(&SseFrame {
            event: Some(b"ping"),
            data: b"{}",
            ..SseFrame::default()
        });
        encoder.push_shared_frame(Some(b"e"), &Bytes::from_static(b"{}"));
        encoder.push_shared_frame(None, &Bytes::from_static(b"a\nb"));
        assert_eq!(encoder.frames(), 6);
        let written: Vec<u8> = encoder.take_frames().flatten().collect();
        let blank_lines = written.windows(4).filter(|w| w == b"\r\n\r\n").count();
        assert_eq!(blank_lines, 6);
        assert_eq!(encoder.frames(), 6, "taking them counts none");
    }
}
