//! argstream: streams one string argument out of an LLM tool call's JSON
//! arguments as the fragments arrive.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chat;
mod error;

pub use chat::{Chunk, ChunkParser, ChunkView};
pub use error::{Error, ErrorKind};
