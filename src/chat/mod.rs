//! The chat-completions layer: OpenAI-compatible streaming chunks.
//!
//! [`ChunkParser`] turns one SSE `data:` payload into a [`Chunk`]: the
//! `[DONE]` sentinel, an in-stream error, or a borrowed [`ChunkView`] of a
//! `chat.completion.chunk` whose tool-call argument fragments feed the key
//! scanner.

mod chunk;

pub use crate::relay::{DEFAULT_KEY, Relay, Summary, ToolCallSummary};
pub use chunk::{
    Choice, Choices, Chunk, ChunkParser, ChunkView, Content, ContentPart, ContentParts,
    DEFAULT_MAX_DEPTH, Delta, ErrorCode, ErrorView, TextPieces, ToolCall, ToolCalls, Usage,
};
