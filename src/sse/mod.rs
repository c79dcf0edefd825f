//! Server-sent events, both ways: [`SseDecoder`] turns a `text/event-stream`
//! body into [`SseEvent`]s as its reads arrive, and [`SseEncoder`] writes
//! frames into one reused buffer.
//!
//! This is the lowest layer of the crate: it knows nothing of JSON or of chat
//! completions. Data stays bytes throughout: an event's data is a
//! [`Bytes`](bytes::Bytes) slice of the read it arrived in whenever it can be,
//! and nothing is decoded as UTF-8.
//!
//! ```
//! use argstream::{SseDecoder, SseEncoder};
//! use bytes::Bytes;
//!
//! let mut encoder = SseEncoder::new();
//! encoder.push_data(b"{\"delta\":\"a\"}").push_data(b"line one\nline two").push_done();
//! let body = encoder.take();
//!
//! let mut decoder = SseDecoder::new();
//! decoder.feed(body);
//! decoder.finish();
//! let mut data = Vec::new();
//! while let Some(event) = decoder.next_event()? {
//!     data.push(event.into_data());
//! }
//! assert_eq!(data, ["{\"delta\":\"a\"}", "line one\nline two", "[DONE]"]);
//! # Ok::<(), argstream::Error>(())
//! ```

mod decode;
pub(crate) mod encode;

pub use decode::{DEFAULT_MAX_EVENT_SIZE, SseDecoder, SseEvent};
pub use encode::{LineEnding, SseEncoder, SseFrame};
