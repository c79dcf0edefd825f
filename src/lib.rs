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
//! # The relay
//!
//! A gateway between a model provider and its client does not drive the
//! scanner itself: a [`Relay`] takes the provider's response body read by
//! read and gives back the client's stream, in the client's format, with
//! each tool call's target argument streamed as answer text the moment it
//! arrives. Here a chat completion's call is hidden from a chat client,
//! which hears its `pre_exec_msg`:
//!
//! ```
//! use argstream::{OutputFormat, Relay};
//! use bytes::Bytes;
//!
//! # fn main() -> Result<(), argstream::Error> {
//! let upstream = concat!(
//!     r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","#,
//!     r#""choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"#,
//!     r#""id":"call_1","type":"function","function":{"name":"lookup","#,
//!     r#""arguments":"{\"pre_exec_msg\": \"One mo"}}]}}]}"#,
//!     "\n\n",
//!     r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","#,
//!     r#""choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"#,
//!     r#""function":{"arguments":"ment\"}"}}]}}]}"#,
//!     "\n\n",
//!     r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","#,
//!     r#""choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
//!     "\n\ndata: [DONE]\n\n",
//! );
//! let mut relay = Relay::new(&["pre_exec_msg"]).with_output(OutputFormat::OpenAiChat);
//! let mut downstream = Vec::new();
//! for read in upstream.as_bytes().chunks(64) {
//!     relay.feed(Bytes::copy_from_slice(read))?; // a read as the socket gave it
//!     downstream.extend_from_slice(&relay.output()); // whole SSE frames
//! }
//! relay.finish()?; // a cut-off body would end with an error event here
//! downstream.extend_from_slice(&relay.output());
//!
//! let client = String::from_utf8(downstream).unwrap();
//! assert!(client.contains(r#""delta":{"role":"assistant","content":"One mo"}"#));
//! assert!(client.contains(r#""delta":{"content":"ment"}"#));
//! // The call is hidden, and its finish reads as a plain stop.
//! assert!(!client.contains("tool_calls"));
//! assert!(client.contains(r#""finish_reason":"stop""#));
//! assert!(client.ends_with("data: [DONE]\n\n"));
//! assert_eq!(relay.summary().tool_calls[0].name, "lookup");
//! # Ok(())
//! # }
//! ```
//!
//! # How data flows
//!
//! One way, through layers that each know only their own part:
//!
//! 1. **Bytes to messages.** [`sse`]'s [`SseDecoder`] cuts a
//!    `text/event-stream` body into [`SseEvent`]s as its reads arrive;
//!    [`eventstream`]'s [`FrameDecoder`](eventstream::FrameDecoder) cuts
//!    Amazon Bedrock's binary event-stream frames. Both take reads as
//!    [`Bytes`](bytes::Bytes), hand out slices of them, and know no JSON.
//! 2. **Messages to one event model.** [`upstream`] has one decoder a
//!    [`Format`] (OpenAI chat completions, OpenAI Responses, Anthropic
//!    Messages, Google Gemini, Bedrock `ConverseStream`) behind one
//!    [`upstream::Decoder`]. They share one reader of whole events, which
//!    lays out the members a decoder reads and skips the rest, and each
//!    turns its event into the same provider-neutral
//!    [`upstream::Upstream`] events: text, reasoning, a call's pieces, the
//!    finish, usage, an error, the end.
//! 3. **Events to the client's frames.** [`Relay`] (module [`relay`]) keeps
//!    the calls, runs a [`KeyScanner`] over each call's arguments and
//!    collects the [`Summary`]; one renderer an [`OutputFormat`] format writes the
//!    client's frames into a reused buffer, taken with
//!    [`Relay::output`] or, as a few [`Bytes`](bytes::Bytes) for a
//!    vectored write, [`Relay::output_frames`], where an event relayed
//!    unchanged is a slice of the upstream read.
//! 4. **The scanner underneath.** [`scan`]'s [`KeyScanner`] reads a call's
//!    arguments as they grow and reports its target values as [`Span`]s of
//!    the caller's buffer, as in the first example.
//!
//! [`RelayStream`] (feature `stream`) drives a relay
//! from any async `Stream` of upstream reads, with no task and no channel.
//!
//! # Options and limits
//!
//! Options are set when a value is built, with consuming `with_*` builders:
//! `Relay::new(keys).with_output(OutputFormat::Anthropic).with_max_calls(16)`. A
//! `set_*` method exists only for what a caller changes on a live value it
//! reuses, and that option then has no `with_*`: [`Relay::set_created`],
//! which a gateway that pools relays sets for each request.
//!
//! Every limit has a default named `DEFAULT_MAX_*` in the module of the
//! type it limits, a `with_max_*` builder and an [`ErrorKind`]:
//!
//! | limit | default | set with | past it |
//! | --- | --- | --- | --- |
//! | nesting of a JSON document | [`scan::DEFAULT_MAX_DEPTH`] (128) | [`KeyScanner::with_max_depth`], [`upstream::Decoder::with_max_depth`], [`Relay::with_max_depth`] | [`ErrorKind::TooDeep`] |
//! | one SSE event | [`sse::DEFAULT_MAX_EVENT_SIZE`] (16 MiB) | [`SseDecoder::with_max_event_size`], [`Relay::with_max_event_size`] | [`ErrorKind::EventTooLarge`] |
//! | one event-stream frame | [`eventstream::DEFAULT_MAX_FRAME_SIZE`] (16 MiB) | [`FrameDecoder::with_max_frame_size`](eventstream::FrameDecoder::with_max_frame_size), [`Relay::with_max_event_size`] | [`ErrorKind::EventTooLarge`] |
//! | one call's arguments | [`relay::DEFAULT_MAX_ARGUMENTS`] (16 MiB) | [`Relay::with_max_arguments`] | [`ErrorKind::ArgumentsTooLarge`], for that call alone |
//! | all calls' arguments in one stream | [`relay::DEFAULT_MAX_STREAM_ARGUMENTS`] (256 MiB) | [`Relay::with_max_stream_arguments`] | [`ErrorKind::ArgumentsTooLarge`], for the call that would pass it |
//! | calls in one response | [`relay::DEFAULT_MAX_CALLS`] (1,024) | [`Relay::with_max_calls`] | [`ErrorKind::TooManyCalls`] |
//! | chat choices in one response | [`relay::DEFAULT_MAX_CHOICES`] (128) | [`Relay::with_max_choices`] | [`ErrorKind::TooManyChoices`] |
//! | answer text a summary keeps | [`relay::DEFAULT_MAX_CONTENT`] (16 MiB) | [`Relay::with_max_content`] | [`Summary::content_truncated`], no error |
//! | the answer an output keeps for its end (Responses) | [`relay::DEFAULT_MAX_KEPT`] (256 MiB) | [`Relay::with_max_kept`] | [`ErrorKind::ResponseTooLarge`], the client's stream ended with the format's error |
//!
//! # Errors
//!
//! Every layer reports bad input as an [`Error`] with an [`ErrorKind`] and
//! the byte offset of the first bad byte; none panics on input, and none
//! recurses on its depth. A name read from text (the [`FromStr`] of
//! [`Format`], [`OutputFormat`] and [`ToolCallMode`]) that is none of theirs is an
//! [`UnknownName`], which says what is accepted.
//!
//! [`FromStr`]: std::str::FromStr
//!
//! # Features
//!
//! - `stream`: [`RelayStream`], on `futures-core`.
//!
#![cfg_attr(feature = "stream", doc = "[`RelayStream`]: stream::RelayStream")]
#![cfg_attr(
    not(feature = "stream"),
    doc = "[`RelayStream`]: https://docs.rs/argstream/latest/argstream/stream/struct.RelayStream.html"
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
pub mod eventstream;
pub mod neutral;
pub mod relay;
pub mod scan;
pub mod sse;
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub mod stream;
pub mod upstream;

pub use error::{Error, ErrorKind, UnknownName};
pub use neutral::{Finish, FinishWords, Usage};
#[doc(hidden)]
pub use relay::Output;
pub use relay::{OutputFormat, Relay, Summary, ToolCallMode, ToolCallSummary};
pub use scan::{Event, KeyScanner, Span, ValueKind};
pub use sse::{LineEnding, SseDecoder, SseEncoder, SseEvent, SseFrame};
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub use stream::{RelayStream, RelayStreamError};
pub use upstream::Format;

/// The Rust examples of the README and of the documents in `docs/`,
/// compiled and run as doctests: one item a document.
#[cfg(doctest)]
mod doc_examples {
    #[doc = include_str!("../README.md")]
    struct Readme;
    #[doc = include_str!("../docs/relay.md")]
    struct Relay;
    #[doc = include_str!("../docs/design.md")]
    struct Design;
    #[doc = include_str!("../docs/performance.md")]
    struct Performance;
}
