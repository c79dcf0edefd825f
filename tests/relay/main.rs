//! The relay, end to end: upstream bytes in, a client's stream out.
//!
//! A module per format pair (`chat_to_chat`, `anthropic_to_chat`,
//! `responses_to_anthropic`, ...) holds the tests about that pair alone.
//! The rest cut across pairs:
//! - `roundtrip`: every recorded corpus into every output format;
//! - `generated`: generated streams of every format under random reads;
//! - `every_input`, `every_output`: one rule over several upstream or
//!   output formats;
//! - `options_and_limits`: the builder's options and the relay's limits;
//! - `frames`: `Relay::output_frames`;
//! - `stream`: `RelayStream` (feature `stream`).
//!
//! The allocation counts are a binary of their own (tests/alloc), since
//! they install a counting allocator. `support` holds what the modules
//! share; tests/common what every test binary shares.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod anthropic_to_anthropic;
mod anthropic_to_chat;
mod anthropic_to_gemini;
mod anthropic_to_responses;
mod bedrock_to_chat;
mod chat_to_chat;
mod chat_to_gemini;
mod chat_to_responses;
mod gemini_to_chat;
mod gemini_to_gemini;
mod responses_to_anthropic;
mod responses_to_chat;
mod responses_to_responses;

mod every_input;
mod every_output;
mod frames;
mod generated;
mod options_and_limits;
mod roundtrip;
mod stream;
