//! The upstream body cut into messages: server-sent events for four
//! formats, binary event-stream frames for Bedrock, chosen by the format
//! given or by the body's first byte.
//!
//! A `text/event-stream` body starts with text (a field name, a comment's
//! `:`, a byte order mark, a line end); an event-stream frame starts with
//! its total length as a big-endian `u32`, whose first byte is 0 for any
//! frame under 16 MiB. So a first byte of 0 means frames: the frame decoder
//! then checks the prelude's CRC, and a body that only looked like frames
//! fails there, at offset 0.

use bytes::Bytes;

use super::Format;
use crate::Error;
use crate::eventstream::{Frame, FrameDecoder};
use crate::sse::{SseDecoder, SseEvent};

/// One upstream message, as the body's framing cut it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// A server-sent event.
    Sse(SseEvent),
    /// A binary event-stream frame.
    Frame(Frame),
}

impl Message {
    /// The stream offset of the message's first byte.
    pub(crate) fn offset(&self) -> u64 {
        match self {
            Message::Sse(event) => event.offset(),
            Message::Frame(frame) => frame.offset(),
        }
    }

    /// The stream offset of the first byte of its data (an event's data, a
    /// frame's payload), so that an error in the data names its byte.
    pub(crate) fn data_offset(&self) -> u64 {
        match self {
            Message::Sse(event) => event.data_offset(),
            Message::Frame(frame) => frame.payload_offset(),
        }
    }

    /// Its data: an event's data, a frame's payload.
    pub(crate) fn data(&self) -> &Bytes {
        match self {
            Message::Sse(event) => event.data(),
            Message::Frame(frame) => frame.payload(),
        }
    }
}

/// Which decoder reads the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Sse,
    Frames,
}

/// Both decoders and the choice between them; the one not chosen is never
/// fed, and allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Input {
    sse: SseDecoder,
    frames: FrameDecoder,
    /// From the format given, if any.
    given: Option<Framing>,
    framing: Option<Framing>,
}

impl Input {
    /// Reads `format`'s framing, or detects it when `None`.
    pub(crate) fn set_format(&mut self, format: Option<Format>) {
        self.given = format.map(|format| {
            if format.is_framed() {
                Framing::Frames
            } else {
                Framing::Sse
            }
        });
        self.framing = self.given;
    }

    /// The limit on one SSE event, and on one frame.
    pub(crate) fn with_max_event_size(mut self, max: usize) -> Input {
        self.sse = self.sse.with_max_event_size(max);
        self.frames = self.frames.with_max_frame_size(max);
        self
    }

    pub(crate) fn feed(&mut self, read: Bytes) {
        let framing = match (self.framing, read.first()) {
            (Some(framing), _) => framing,
            (None, None) => return,
            (None, Some(&first)) => {
                let framing = if first == 0 {
                    Framing::Frames
                } else {
                    Framing::Sse
                };
                *self.framing.insert(framing)
            }
        };
        match framing {
            Framing::Sse => self.sse.feed(read),
            Framing::Frames => self.frames.feed(read),
        }
    }

    pub(crate) fn finish(&mut self) {
        // Frames are self-delimiting: their decoder has no end to mark.
        self.sse.finish();
    }

    /// The next whole message, or `None` when the reads hold no more.
    ///
    /// # Errors
    /// The SSE decoder's or the frame decoder's, at a stream offset.
    pub(crate) fn next_message(&mut self) -> Result<Option<Message>, Error> {
        match self.framing {
            None => Ok(None),
            Some(Framing::Sse) => Ok(self.sse.next_event()?.map(Message::Sse)),
            Some(Framing::Frames) => Ok(self.frames.next_frame()?.map(Message::Frame)),
        }
    }

    /// After [`finish`](Input::finish) and a drained
    /// [`next_message`](Input::next_message): the SSE event the body ended
    /// inside, closed as if by a blank line (see
    /// [`SseDecoder::take_unterminated_event`]).
    pub(crate) fn take_unterminated(&mut self) -> Option<Message> {
        match self.framing {
            Some(Framing::Sse) => self.sse.take_unterminated_event().map(Message::Sse),
            _ => None,
        }
    }

    /// After [`finish`](Input::finish) and a drained
    /// [`next_message`](Input::next_message): whether the body ended inside
    /// a frame, which nothing can complete.
    pub(crate) fn cut_inside_frame(&self) -> bool {
        self.framing == Some(Framing::Frames) && self.frames.has_partial_frame()
    }

    /// The capacity of the framing's own buffers, in bytes.
    pub(crate) fn retained_bytes(&self) -> usize {
        self.sse.retained_bytes() + self.frames.retained_bytes()
    }

    /// Forgets the body, keeping limits, the given format and buffers.
    pub(crate) fn reset(&mut self) {
        self.sse.reset();
        self.frames.reset();
        self.framing = self.given;
    }
}
