//! argstream turns a model's streamed tool-call arguments into live text.
//!
//! A model that calls a tool streams the call's JSON arguments a few bytes at
//! a time. A gateway that wants one string argument as it arrives (a voice
//! agent speaking `pre_exec_msg` while the tool runs) appends each fragment to
//! its buffer and asks the [`KeyScanner`] what is new. The scanner reads only
//! the bytes it has not seen, and answers with [`Span`]s: byte ranges of the
//! value's raw JSON text in that buffer, never cutting an escape, a surrogate
//! pair or a UTF-8 character.
//!
//! ```
//! use argstream::{Event, KeyScanner};
//!
//! # fn main() -> Result<(), argstream::Error> {
//! // Fragments as a model streams them: cut inside an escape, between the
//! // halves of a surrogate pair, and inside a UTF-8 character.
//! let fragments: [&[u8]; 6] = [
//!     br#"{"city":"Lisbon","pre_exec_msg":"Let me \"#,
//!     br#""check\" that \ud83d"#,
//!     br#"\ude00 for you, caf"#,
//!     b"\xc3",
//!     b"\xa9 \\u00",
//!     br#"e9!"}"#,
//! ];
//!
//! let mut scanner = KeyScanner::new(&["pre_exec_msg"]);
//! let mut arguments = Vec::new(); // the gateway keeps these to run the tool
//! let mut scratch = String::new(); // reused for spans that hold escapes
//! let mut spoken = String::new();
//! for fragment in fragments {
//!     arguments.extend_from_slice(fragment);
//!     while let Some(event) = scanner.next_event(&arguments)? {
//!         if let Event::Text(span) = event {
//!             // Borrowed when the span has no escape, decoded otherwise.
//!             spoken.push_str(span.decode(&arguments, &mut scratch)?);
//!         }
//!     }
//! }
//! scanner.finish()?; // a cut-off stream would be an error here
//! assert_eq!(spoken, "Let me \"check\" that 😀 for you, café é!");
//! # Ok(())
//! # }
//! ```
//!
//! The layers: [`sse`] reads and writes server-sent events; [`Relay`] turns
//! a provider's stream into a client's, with every tool call's target
//! argument streamed as content; [`scan`] is the key scanner underneath.
//! Data flows one way: bytes, events, arguments, spans, frames. Every layer reports bad
//! input as an [`Error`] with an [`ErrorKind`] and a byte offset, and none
//! panics on input.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod eventstream;
pub mod relay;
pub mod scan;
pub mod sse;
#[cfg(feature = "stream")]
pub mod stream;
pub mod upstream;

pub use error::{Error, ErrorKind, UnknownName};
pub use relay::{Output, Relay, Summary, ToolCallMode, ToolCallSummary};
pub use scan::{Event, KeyScanner, Span, ValueKind};
pub use sse::{LineEnding, SseDecoder, SseEncoder, SseEvent, SseFrame};
#[cfg(feature = "stream")]
pub use stream::{RelayStream, RelayStreamError};
pub use upstream::Format;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
