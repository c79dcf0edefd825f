//! argstream: streams one string argument out of an LLM tool call's JSON
//! arguments as the fragments arrive.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod sse;

pub use error::{Error, ErrorKind};
pub use sse::{SseDecoder, SseEncoder, SseEvent, SseFrame};
