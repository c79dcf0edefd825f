//! The C ABI of argstream: the [`Relay`](argstream::Relay) and the
//! [`KeyScanner`](argstream::KeyScanner) behind opaque handles, for C, Go
//! (`go/` in the repository) and any language with a C FFI.
//!
//! The header `include/argstream.h` is generated from this crate by cbindgen
//! (`cbindgen.toml` beside it) and checked in; its comments carry every
//! function's contract. This crate converts and checks, nothing more: the
//! relaying and scanning are the core's, which keeps
//! `#![forbid(unsafe_code)]`. All the `unsafe` of argstream lives here:
//!
//! - [`ffi`]: the C types (status, text, bytes, error) and the reading of
//!   the caller's pointers;
//! - [`handle`]: the tagged handle, its one-call-at-a-time guard, and the
//!   `catch_unwind` every entry point goes through;
//! - [`relay`] and [`scanner`]: the functions of the two handles.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)] // the C names, so the header reads as C

pub mod ffi;
mod handle;
pub mod relay;
pub mod scanner;

pub use ffi::{argstream_bytes, argstream_error, argstream_status, argstream_str};
pub use relay::*;
pub use scanner::*;
