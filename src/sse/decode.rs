//! Bytes to events: an incremental decoder for `text/event-stream` bodies that
//! follows the WHATWG event-stream interpretation rules.
//!
//! The decoder is a queue of reads and a scan position. Each byte is looked at
//! once by `memchr2` for `\r` or `\n`; a line that ends inside the read it began
//! in is handed on as a range of that read, and only a line that spans reads is
//! copied, once, into a reused line buffer. Field values become [`Bytes`]
//! slices of whichever of the two holds the line.

use std::collections::VecDeque;
use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::{Error, ErrorKind};

/// The UTF-8 byte order mark, stripped once at the start of a stream.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The default limit on one event: 16 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 << 20;

/// One dispatched server-sent event.
///
/// Cloning is cheap: every field is a [`Bytes`] or a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    data: Bytes,
    event: Option<Bytes>,
    id: Bytes,
    retry: Option<u64>,
    offset: u64,
    data_offset: u64,
}

impl SseEvent {
    /// The event's data: its `data` lines joined with `\n`, as raw bytes.
    ///
    /// WHATWG decodes the stream as UTF-8 with replacement; this decoder does
    /// not, so bytes that are not UTF-8 arrive as they were sent and the caller
    /// decides what they mean. When the event had a single `data` line that
    /// arrived within one read, this is a slice of that read and nothing was
    /// copied.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The event's data, without a reference count increment.
    pub fn into_data(self) -> Bytes {
        self.data
    }

    /// The value of the event's `event` field, or `None` when it had none or
    /// an empty one: WHATWG then names the event `message` (see
    /// [`event_type`](SseEvent::event_type)).
    pub fn event(&self) -> Option<&Bytes> {
        self.event.as_ref()
    }

    /// The event type as WHATWG names it: the `event` field's value, or
    /// `b"message"` when there was none.
    pub fn event_type(&self) -> &[u8] {
        match &self.event {
            Some(event) => event,
            None => b"message",
        }
    }

    /// The last event ID as of this event: the value of the most recent `id`
    /// field in the stream so far (it carries over from earlier events), empty
    /// when there has been none.
    pub fn id(&self) -> &Bytes {
        &self.id
    }

    /// The reconnection time in milliseconds that a `retry` field of this
    /// event set, if it had one whose value is all ASCII digits.
    ///
    /// A `retry` field in a block without data also sets the stream's
    /// reconnection time, which [`SseDecoder::retry`] reports.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// The byte offset in the stream (counting a byte order mark, if any)
    /// of the event's first field line, for error messages upstream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The byte offset in the stream of the first byte of the event's data
    /// (after `data:` and its optional space). When the data is one line,
    /// as in every LLM provider's stream, `data()[i]` was sent at
    /// `data_offset() + i`, so an error found in the data can name its byte.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }
}

/// An incremental, zero-copy decoder of a `text/event-stream` body.
///
/// Feed it the body's reads as they arrive with [`feed`](SseDecoder::feed)
/// and pull complete events out with [`next_event`](SseDecoder::next_event):
///
/// ```
/// use argstream::SseDecoder;
/// use bytes::Bytes;
///
/// let mut decoder = SseDecoder::new();
/// let mut texts = Vec::new();
/// for read in ["data: {\"a\"", ":1}\n\nda", "ta: [DONE]\r\n\r\n"] {
///     decoder.feed(Bytes::from(read));
///     while let Some(event) = decoder.next_event()? {
///         texts.push(event.into_data());
///     }
/// }
/// decoder.finish();
/// assert_eq!(texts, ["{\"a\":1}", "[DONE]"]);
/// # Ok::<(), argstream::Error>(())
/// ```
///
/// It follows the WHATWG rules for interpreting an event stream: one leading
/// byte order mark is stripped; lines end in CRLF, LF or CR, also when the CR
/// and the LF arrive in different reads; lines starting with `:` are
/// comments; one space after the field's colon is removed; `data` lines are
/// joined with `\n`; `event`, `id` (unless its value holds a NUL) and `retry`
/// (only when all ASCII digits) are kept; other fields are ignored; a blank
/// line dispatches the event unless no `data` line was seen. Field names and
/// values are compared and kept as bytes, never decoded (see
/// [`SseEvent::data`]).
///
/// # Cost
///
/// Linear in the input however it is split: every byte is scanned once. A
/// line that lies within one read is not copied; a line split across reads is
/// copied once into a buffer the decoder reuses, and so are the data lines of
/// an event with more than one.
///
/// # Memory
///
/// The bytes the decoder holds for one event (its data so far plus the line
/// being read) are bounded by [`max_event_size`](SseDecoder::max_event_size).
/// The reads handed to [`feed`](SseDecoder::feed) are kept until they are
/// scanned, so feed one read and drain the events before feeding the next.
///
/// # Termination
///
/// Call [`finish`](SseDecoder::finish) when the body ends, then drain
/// [`next_event`](SseDecoder::next_event) until it gives `None`. The events
/// it still gives are the complete ones in what was fed; as WHATWG requires,
/// an event that did not end in a blank line is discarded, and
/// [`has_partial_event`](SseDecoder::has_partial_event) tells whether there
/// was one (a sign that the upstream was cut off).
#[derive(Debug)]
pub struct SseDecoder {
    /// Reads not yet fully scanned; the front one is being scanned at `pos`.
    reads: VecDeque<Bytes>,
    /// The scan position in the front read. Bytes before it are consumed.
    pos: usize,
    /// The stream offset of the front read's first byte.
    front_offset: u64,
    /// The start of a line that did not end in the read it began in.
    line: BytesMut,
    /// The stream offset of the current line's first byte.
    line_start: u64,
    /// How many bytes of the byte order mark have matched so far; 3 once the
    /// start of the stream has been settled either way.
    bom_matched: usize,
    /// The last line ended in a CR at the end of a read: an LF at the start of
    /// the next one is the second half of that line end.
    skip_lf: bool,
    buffers: Buffers,
    max_event_size: usize,
    failed: Option<Error>,
    finished: bool,
}

/// The room the event-type buffer starts with.
const EVENT_NAMES: usize = 128;

/// The buffers of the WHATWG interpretation, plus what the decoder reports
/// about the event being built.
#[derive(Debug, Default)]
struct Buffers {
    data: Data,
    /// Holds the joined data of an event with more than one `data` line, or
    /// of one whose line spanned reads. Reused: split off at dispatch.
    joined: BytesMut,
    /// The event type of the event being built: a slice of the read that
    /// held its line, or of `names`.
    event: Option<Bytes>,
    /// Where an event type whose line spanned reads is copied: a slice of
    /// that line would pin its buffer until dispatch, so that the next line
    /// spanning reads (the data) had to allocate anew. Names are short; the
    /// copy is cheap and the buffer is reclaimed once the event is dropped.
    names: Option<BytesMut>,
    last_event_id: Bytes,
    /// The `retry` field of the event being built.
    event_retry: Option<u64>,
    /// The stream's reconnection time.
    retry: Option<u64>,
    /// The offset of the event's first field line, once it has one.
    start: Option<u64>,
    /// The offset of the first byte of the event's first data value.
    data_start: Option<u64>,
}

/// The data buffer. WHATWG appends value and LF per line and drops the final
/// LF at dispatch; keeping the separator between lines instead is the same
/// text without the bookkeeping.
#[derive(Debug, Default)]
enum Data {
    /// No `data` line yet: a blank line dispatches nothing.
    #[default]
    None,
    /// One `data` line, as a slice of the bytes that held it.
    Slice(Bytes),
    /// Joined in `Buffers::joined`.
    Joined,
}

impl Default for SseDecoder {
    fn default() -> SseDecoder {
        SseDecoder::new()
    }
}

impl SseDecoder {
    /// A decoder at the start of a stream, with the default event size limit.
    /// Allocates nothing until it is fed.
    pub fn new() -> SseDecoder {
        SseDecoder {
            reads: VecDeque::new(),
            pos: 0,
            front_offset: 0,
            line: BytesMut::new(),
            line_start: 0,
            bom_matched: 0,
            skip_lf: false,
            buffers: Buffers::default(),
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            failed: None,
            finished: false,
        }
    }

    /// Sets the limit on the bytes held for one event: its data (the `data`
    /// values joined with `\n`) plus the line being read, without line ends
    /// (default [`DEFAULT_MAX_EVENT_SIZE`]). A stream that goes past it fails
    /// with [`ErrorKind::EventTooLarge`].
    pub fn with_max_event_size(mut self, max: usize) -> SseDecoder {
        self.max_event_size = max;
        self
    }

    /// The limit on the bytes held for one event.
    pub fn max_event_size(&self) -> usize {
        self.max_event_size
    }

    /// Queues the next read of the body. Cheap: nothing is scanned until
    /// [`next_event`](SseDecoder::next_event). Ignored after
    /// [`finish`](SseDecoder::finish) or a failure.
    pub fn feed(&mut self, read: Bytes) {
        if !read.is_empty() && !self.finished && self.failed.is_none() {
            self.reads.push_back(read);
        }
    }

    /// Forgets the stream, keeping the limit and the buffers' memory, to
    /// decode a new one from its start.
    pub fn reset(&mut self) {
        self.reads.clear();
        self.pos = 0;
        self.front_offset = 0;
        reclaim(&mut self.line);
        self.line_start = 0;
        self.bom_matched = 0;
        self.skip_lf = false;
        let joined = std::mem::take(&mut self.buffers.joined);
        let names = self.buffers.names.take();
        self.buffers = Buffers::default();
        self.buffers.joined = joined;
        reclaim(&mut self.buffers.joined);
        self.buffers.names = names.map(|mut names| {
            names.clear();
            names
        });
        self.failed = None;
        self.finished = false;
    }

    /// Marks the end of the body. See `# Termination` on [`SseDecoder`].
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The next complete event, or `None` when the fed reads hold no more.
    ///
    /// `None` is not the end of the stream: feed the next read and call again.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::EventTooLarge`], at the offset of the first byte past the
    /// limit, when an event outgrows
    /// [`max_event_size`](SseDecoder::max_event_size). The decoder then
    /// stays failed: it drops its buffers and every later call gives the
    /// same error.
    ///
    /// # Panics
    ///
    /// Never.
    pub fn next_event(&mut self) -> Result<Option<SseEvent>, Error> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        if self.bom_matched < BOM.len() && !self.strip_bom()? {
            return Ok(None);
        }
        loop {
            let Some(read) = self.reads.front() else {
                return Ok(None);
            };
            if self.pos == read.len() {
                self.front_offset += read.len() as u64;
                self.pos = 0;
                self.reads.pop_front();
                continue;
            }
            if self.skip_lf {
                self.skip_lf = false;
                if read[self.pos] == b'\n' {
                    self.pos += 1;
                    self.line_start += 1;
                    continue;
                }
            }
            let room = self
                .max_event_size
                .saturating_sub(self.buffers.data_len() + self.line.len());
            let rest = &read[self.pos..];
            // A blank line, which ends an event, needs no search.
            let found = match rest.first() {
                Some(b'\n' | b'\r') => Some(0),
                _ => memchr::memchr2(b'\r', b'\n', rest),
            };
            let Some(found) = found else {
                if read.len() - self.pos > room {
                    return Err(self.fail());
                }
                self.line.extend_from_slice(&read[self.pos..]);
                self.pos = read.len();
                continue;
            };
            if found > room {
                return Err(self.fail());
            }
            let end = self.pos + found;
            let mut next = end + 1;
            if read[end] == b'\r' {
                match read.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            let event = if self.line.is_empty() {
                self.buffers
                    .line::<false>(read, self.pos..end, self.line_start)
            } else {
                self.line.extend_from_slice(&read[self.pos..end]);
                let line = self.line.split().freeze();
                self.buffers
                    .line::<true>(&line, 0..line.len(), self.line_start)
            };
            self.pos = next;
            self.line_start = self.front_offset + next as u64;
            if event.is_some() {
                return Ok(event);
            }
        }
    }

    /// Whether bytes of an unfinished event have been scanned: a partial line,
    /// or field lines not yet closed by a blank line. After
    /// [`finish`](SseDecoder::finish) and a drained
    /// [`next_event`](SseDecoder::next_event), `true` means the body ended
    /// inside an event, which WHATWG discards. Complete comment lines do not
    /// count.
    pub fn has_partial_event(&self) -> bool {
        !self.line.is_empty()
            || (1..BOM.len()).contains(&self.bom_matched)
            || self.buffers.start.is_some()
    }

    /// After [`finish`](SseDecoder::finish) and a drained
    /// [`next_event`](SseDecoder::next_event): the event the body ended
    /// inside, as if a blank line had closed it (its last line closed by the
    /// end of the body), or `None` when there is none.
    ///
    /// WHATWG discards such an event, and a browser would. A relay may want
    /// it: some servers and recordings end the last event without its blank
    /// line, and the caller can still tell a whole event from a cut-off one
    /// by reading it.
    pub fn take_unterminated_event(&mut self) -> Option<SseEvent> {
        if !self.finished || self.failed.is_some() || !self.reads.is_empty() {
            return None;
        }
        if !self.line.is_empty() {
            let line = self.line.split().freeze();
            if let Some(event) = self
                .buffers
                .line::<true>(&line, 0..line.len(), self.line_start)
            {
                return Some(event);
            }
        }
        self.buffers.dispatch()
    }

    /// The last event ID buffer: the value of the latest `id` field scanned
    /// (including one in a block that dispatched nothing), empty if none.
    pub fn last_event_id(&self) -> &Bytes {
        &self.buffers.last_event_id
    }

    /// The stream's reconnection time in milliseconds, as the latest valid
    /// `retry` field scanned set it, if any did.
    pub fn retry(&self) -> Option<u64> {
        self.buffers.retry
    }

    /// The bytes the decoder's own buffers hold, as their capacities tell,
    /// not counting the queued reads (the one name the crate gives this,
    /// as [`Relay::retained_bytes`](crate::Relay::retained_bytes) does): bounded by a small multiple of
    /// [`max_event_size`](SseDecoder::max_event_size), for monitoring.
    pub fn retained_bytes(&self) -> usize {
        self.line.capacity() + self.buffers.joined.capacity()
    }

    /// Consumes the byte order mark, or settles that there is none. Returns
    /// `false` when the reads ended before that could be told.
    ///
    /// # Errors
    /// [`ErrorKind::EventTooLarge`] when bytes that looked like the mark's
    /// start, moved from earlier reads into the line, are already past the
    /// limit: every byte added to the line counts against it.
    fn strip_bom(&mut self) -> Result<bool, Error> {
        while self.bom_matched < BOM.len() {
            let Some(read) = self.reads.front() else {
                return Ok(false);
            };
            let Some(&byte) = read.get(self.pos) else {
                self.front_offset += read.len() as u64;
                self.pos = 0;
                self.reads.pop_front();
                continue;
            };
            if byte != BOM[self.bom_matched] {
                // Not a byte order mark: what matched starts the first line.
                let matched = std::mem::replace(&mut self.bom_matched, BOM.len());
                if self.pos >= matched {
                    self.pos -= matched;
                } else if matched > self.max_event_size {
                    return Err(self.fail());
                } else {
                    self.line.extend_from_slice(&BOM[..matched]);
                }
                return Ok(true);
            }
            self.pos += 1;
            self.bom_matched += 1;
            if self.bom_matched == BOM.len() {
                self.line_start = BOM.len() as u64;
            }
        }
        Ok(true)
    }

    /// Fails the decoder: the line being read puts the event past the limit.
    /// The first byte past it is the one that many bytes into the line as the
    /// event's data leaves room for.
    #[cold]
    fn fail(&mut self) -> Error {
        let room = self.max_event_size.saturating_sub(self.buffers.data_len());
        let error = Error::new(ErrorKind::EventTooLarge, self.line_start + room as u64);
        self.failed = Some(error);
        self.reads = VecDeque::new();
        self.line = BytesMut::new();
        self.buffers = Buffers::default();
        error
    }
}

impl Buffers {
    /// How many data bytes the event holds so far.
    fn data_len(&self) -> usize {
        match &self.data {
            Data::None => 0,
            Data::Slice(slice) => slice.len(),
            Data::Joined => self.joined.len(),
        }
    }

    /// Interprets one line, `source[range]`, that began at stream offset
    /// `start`; a blank line may give an event. `SPANNED`: the line spanned
    /// reads, and `source` is the decoder's line buffer.
    fn line<const SPANNED: bool>(
        &mut self,
        source: &Bytes,
        range: Range<usize>,
        start: u64,
    ) -> Option<SseEvent> {
        let line = &source[range.clone()];
        let Some(&first) = line.first() else {
            return self.dispatch();
        };
        if first == b':' {
            return None;
        }
        self.start.get_or_insert(start);
        // Most lines are data lines, and most others name the event: their
        // field is told by their start, with no search for the colon.
        let (field, colon) = if line.starts_with(b"data:") {
            (Field::Data, Some(4))
        } else if line.starts_with(b"event:") {
            (Field::Event, Some(5))
        } else {
            let colon = memchr::memchr(b':', line);
            let name = colon.map_or(line, |colon| &line[..colon]);
            (Field::named(name), colon)
        };
        let value = match colon {
            Some(colon) => {
                let skip = colon + 1 + usize::from(line.get(colon + 1) == Some(&b' '));
                range.start + skip..range.end
            }
            None => range.end..range.end,
        };
        match field {
            Field::Data => {
                self.data_start
                    .get_or_insert(start + (value.start - range.start) as u64);
                self.push_data(source, value);
            }
            Field::Event if SPANNED => {
                // Room for a few names: each is split off, and the buffer
                // taken back whole once they are dropped.
                let names = self
                    .names
                    .get_or_insert_with(|| BytesMut::with_capacity(EVENT_NAMES));
                names.clear();
                names.extend_from_slice(&source[value]);
                self.event = Some(names.split().freeze());
            }
            Field::Event => self.event = Some(source.slice(value)),
            Field::Id if memchr::memchr(0, &source[value.clone()]).is_none() => {
                self.last_event_id = source.slice(value);
            }
            Field::Retry => {
                if let Some(millis) = parse_digits(&source[value]) {
                    self.event_retry = Some(millis);
                    self.retry = Some(millis);
                }
            }
            _ => {}
        }
        None
    }

    fn push_data(&mut self, source: &Bytes, value: Range<usize>) {
        match &self.data {
            Data::None => self.data = Data::Slice(source.slice(value)),
            Data::Slice(first) => {
                self.joined.clear();
                self.joined.reserve(first.len() + 1 + value.len());
                self.joined.extend_from_slice(first);
                self.joined.extend_from_slice(b"\n");
                self.joined.extend_from_slice(&source[value]);
                self.data = Data::Joined;
            }
            Data::Joined => {
                self.joined.extend_from_slice(b"\n");
                self.joined.extend_from_slice(&source[value]);
            }
        }
    }

    /// The blank line: hands out the event if it has data, and resets the
    /// per-event buffers either way (the last event ID carries over).
    fn dispatch(&mut self) -> Option<SseEvent> {
        let start = self.start.take();
        let data_start = self.data_start.take();
        let event = self.event.take().filter(|name| !name.is_empty());
        let retry = self.event_retry.take();
        let data = match std::mem::take(&mut self.data) {
            Data::None => return None,
            Data::Slice(slice) => slice,
            Data::Joined => self.joined.split().freeze(),
        };
        Some(SseEvent {
            data,
            event,
            id: self.last_event_id.clone(),
            retry,
            offset: start.unwrap_or_default(),
            data_offset: data_start.or(start).unwrap_or_default(),
        })
    }
}

/// The fields of a line that the decoder keeps; any other is ignored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Data,
    Event,
    Id,
    Retry,
    Other,
}

impl Field {
    fn named(name: &[u8]) -> Field {
        match name {
            b"data" => Field::Data,
            b"event" => Field::Event,
            b"id" => Field::Id,
            b"retry" => Field::Retry,
            _ => Field::Other,
        }
    }
}

/// Empties `buffer` and takes back the whole of its allocation when nothing
/// else holds it. A line or data split off leaves the buffer a view of its
/// allocation's tail, which may be empty: reclaimed, the next stream reuses
/// all of it, and [`SseDecoder::retained_bytes`] counts all of it.
fn reclaim(buffer: &mut BytesMut) {
    buffer.clear();
    let _ = buffer.try_reclaim(buffer.capacity() + 1);
}

/// A `retry` value: only ASCII digits, at least one, fitting in a `u64`.
fn parse_digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |acc, &byte| {
        if byte.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(byte - b'0'))
        } else {
            None
        }
    })
}
