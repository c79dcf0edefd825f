//! The decoders' event reader against serde_json at every path a decoder
//! reads, shared with the main crate's `tests/scan/reader_vs_serde.rs` (the file
//! lives in its `tests/common/`).

#[path = "../../tests/common/reader_reference.rs"]
mod reference;

pub use reference::{compare, variants};
