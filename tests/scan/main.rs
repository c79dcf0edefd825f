//! The crate's two JSON readers against serde_json: the incremental key
//! scanner (`corpus`, `events`, `property`, `split`) and the decoders' event
//! reader (`reader_vs_serde`).

#[path = "../common/mod.rs"]
mod common;

mod corpus;
mod events;
mod property;
mod reader_vs_serde;
mod split;
