//! Shared by argstream's fuzz targets: fragmentation plans, a scanner driver
//! that checks every span it sees, the serde_json references for the scanner
//! and the event reader, a generator of hard JSON documents, and a plain
//! WHATWG event-stream reference.
//!
//! Each target checks a property against a reference, not only that nothing
//! panics. A property that fails is an `assert!`, which libFuzzer reports as a
//! crash with the input that broke it.

pub mod chat;
pub mod json;
pub mod plan;
pub mod reader;
pub mod scan;
pub mod sse_reference;
