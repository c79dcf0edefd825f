//! The words every format has for the same things, in no format's words:
//! why an answer ended ([`Finish`]) and what it cost ([`Usage`]).
//!
//! Each type knows every format's words for it, both ways, in one place:
//! the relay's decoders read upstream's words with it, its renderers write
//! the client's with it, and a caller translating a whole (non-streamed)
//! answer between formats does both with the same functions, from the
//! strings and numbers it found in the answer's JSON.
//!
//! ```
//! use argstream::Format;
//! use argstream::neutral::{Finish, Usage, AnthropicUsage};
//!
//! // An Anthropic answer that ended on a stop sequence, told to a chat client.
//! let finish = Finish::read(Format::Anthropic, "stop_sequence", Some("END"));
//! assert_eq!(finish.words(Format::OpenAiChat, false).reason, "stop");
//! assert_eq!(finish.words(Format::Anthropic, false).detail, Some("END"));
//!
//! // Anthropic counts cached input apart; chat counts it in.
//! let usage = Usage::from(AnthropicUsage {
//!     input_tokens: Some(20),
//!     cache_read_input_tokens: Some(80),
//!     output_tokens: Some(5),
//!     ..AnthropicUsage::default()
//! });
//! assert_eq!(usage.chat().prompt_tokens, Some(100));
//! ```

mod finish;
mod usage;

pub(crate) use self::finish::KeptFinish;
pub use self::finish::{Finish, FinishWords};
pub use self::usage::{
    AnthropicUsage, BedrockUsage, ChatUsage, GeminiUsage, ResponsesUsage, Usage,
};
