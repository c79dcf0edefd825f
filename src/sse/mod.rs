//! Server-sent events: [`SseDecoder`] turns a `text/event-stream` body into
//! [`SseEvent`]s as its reads arrive.
//!
//! This is the lowest layer of the crate: it knows nothing of JSON or of chat
//! completions. Data stays bytes throughout: an event's data is a
//! [`Bytes`](bytes::Bytes) slice of the read it arrived in whenever it can be,
//! and nothing is decoded as UTF-8.

mod decode;

pub use decode::{SseDecoder, SseEvent};
