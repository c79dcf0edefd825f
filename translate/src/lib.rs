//! Request translation: a client's request body in one LLM API format
//! becomes the upstream's request in another, so that a client of any
//! format reaches a model of any format through a gateway that relays the
//! answer's stream with [`argstream::Relay`].
//!
//! Four formats, both ways: OpenAI chat completions, OpenAI Responses,
//! Anthropic Messages and Google Gemini (`generateContent`). A request is
//! read into one provider-neutral request (instructions, turns of text,
//! images, documents, tool calls and their results, tools, sampling,
//! reasoning, structured output), then written in the upstream's format.
//! The same format on both sides is passed through with the few edits the
//! relay needs (the model, `stream_options.include_usage`,
//! `eager_input_streaming`), so nothing the client sent is re-serialised
//! away.
//!
//! What one side cannot express is never dropped silently: it comes back as
//! a [`Warning`] with the field's path and why, and [`Options::strict`] makes
//! the first one an error. A body that is not JSON, or not its format's
//! shape, is an [`Error`] with its kind and path (and for JSON, its byte
//! offset).
//!
//! ```
//! use argstream::Format;
//! use argstream_translate::{Options, translate_request};
//!
//! let body = br#"{"model":"claude-x","max_tokens":1024,"system":"Be brief.",
//!   "messages":[{"role":"user","content":"Weather in Paris?"}],
//!   "tools":[{"name":"weather","input_schema":{"type":"object",
//!     "properties":{"city":{"type":"string"}},"required":["city"]}}],
//!   "stream":true}"#;
//! let out = translate_request(body, Format::Anthropic, Format::OpenAiChat, &Options::default())?;
//! let json: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
//! assert_eq!(out.path, "/v1/chat/completions");
//! assert_eq!(json["messages"][0]["role"], "system");
//! assert_eq!(json["tools"][0]["function"]["name"], "weather");
//! assert_eq!(json["stream_options"]["include_usage"], true);
//! assert!(out.warnings.is_empty());
//! # Ok::<(), argstream_translate::Error>(())
//! ```
//!
//! Whole (not streamed) answers go the other way with
//! [`translate_response`], and an upstream's error body with
//! [`translate_error`].

#![forbid(unsafe_code)]

mod answer;
mod error;
mod ir;
mod json;
mod read;
mod schema;
mod write;

use argstream::Format;
use serde_json::Value;

pub use self::answer::{MAX_ERROR_MESSAGE, ResponseOptions, translate_error, translate_response};
pub use self::error::{Error, ErrorKind, Warning};
pub use self::schema::{MAX_REF_DEPTH, MAX_REF_INLINES};

/// The largest answer Anthropic is asked for when the client named no limit
/// (Anthropic requires one; the other formats do not).
pub const DEFAULT_MAX_TOKENS: u64 = 8192;

/// The thought signature Gemini documents for a function call whose own
/// signature is not known (a call made by another provider, or one whose
/// signature the client did not keep): Gemini 3 rejects a call in the
/// history without one.
pub const GEMINI_SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// How a request is translated.
#[derive(Clone, Debug)]
pub struct Options {
    /// The model the upstream is asked for, whatever the client named.
    pub model: Option<String>,
    /// The client's model when its format names it in the path, not the
    /// body (Gemini: `models/{model}:streamGenerateContent`).
    pub client_model: Option<String>,
    /// Whether the client asked for a stream when its format says so in the
    /// path, not the body (Gemini: `:streamGenerateContent` or
    /// `:generateContent`). Ignored for the other formats.
    pub client_stream: bool,
    /// `max_tokens` toward Anthropic when the client gave no limit.
    pub default_max_tokens: u64,
    /// The most output tokens the upstream is asked for, whatever the
    /// client asked (a model with a smaller limit refuses a larger one).
    pub max_tokens_cap: Option<u64>,
    /// `eager_input_streaming: true` on every tool sent to Anthropic, so a
    /// call's input streams as it is written (on by default).
    pub eager_input_streaming: bool,
    /// `toolConfig.functionCallingConfig.streamFunctionCallArguments: true`
    /// toward Gemini, which Vertex needs to stream a call's arguments
    /// (`partialArgs`) and the Gemini API rejects: off by default.
    pub vertex_stream_arguments: bool,
    /// Every warning becomes an error ([`ErrorKind::Untranslatable`]).
    pub strict: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            model: None,
            client_model: None,
            client_stream: false,
            default_max_tokens: DEFAULT_MAX_TOKENS,
            max_tokens_cap: None,
            eager_input_streaming: true,
            vertex_stream_arguments: false,
            strict: false,
        }
    }
}

/// A request translated into the upstream's format.
#[derive(Clone, Debug, PartialEq)]
pub struct Translated {
    /// The upstream request's JSON body.
    pub body: Vec<u8>,
    /// Its path under the upstream's base URL, query included
    /// (`/v1/messages`, or for Gemini
    /// `/v1beta/models/{model}:streamGenerateContent?alt=sse`).
    pub path: String,
    /// The model asked for.
    pub model: String,
    /// Whether the answer comes as a stream.
    pub stream: bool,
    /// What could not be carried, each with its path and why.
    pub warnings: Vec<Warning>,
}

/// Translates a client's request body in format `from` into format `to`.
///
/// # Errors
/// [`ErrorKind::NotJson`] (with the byte offset), [`ErrorKind::Shape`] for
/// a body that is not its format's shape, [`ErrorKind::MissingModel`],
/// [`ErrorKind::UnsupportedFormat`] for Bedrock, and in strict mode
/// [`ErrorKind::Untranslatable`] for the first warning; each with the path
/// of the field concerned.
pub fn translate_request(
    body: &[u8],
    from: Format,
    to: Format,
    options: &Options,
) -> Result<Translated, Error> {
    supported(from)?;
    supported(to)?;
    let value: Value = json::parse(body)?;
    let Value::Object(root) = value else {
        return Err(Error::shape("$", "a request body is a JSON object"));
    };
    let mut notes = error::Notes::default();
    let (body, model, stream) = if from == to {
        write::same(root, from, options)?
    } else {
        let request = read::request(&root, from, options, &mut notes)?;
        write::request(request, to, options, &mut notes)?
    };
    if options.strict
        && let Some(first) = notes.warnings.first()
    {
        return Err(Error::untranslatable(first));
    }
    let path = upstream_path(to, &model, stream)?;
    Ok(Translated {
        body: serde_json::to_vec(&body).expect("a JSON value serialises"),
        path,
        model,
        stream,
        warnings: notes.warnings,
    })
}

/// The path of format `format`'s generation endpoint for `model`.
///
/// # Errors
/// [`ErrorKind::Shape`] for a Gemini model name with a byte outside
/// `A-Z a-z 0-9 . _ -`, which could make the path another one.
pub fn upstream_path(format: Format, model: &str, stream: bool) -> Result<String, Error> {
    Ok(match format {
        Format::OpenAiChat => "/v1/chat/completions".to_owned(),
        Format::OpenAiResponses => "/v1/responses".to_owned(),
        Format::Anthropic => "/v1/messages".to_owned(),
        _ => {
            let plain = !model.is_empty()
                && model.len() <= 128
                && !model.contains("..")
                && model
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !plain {
                return Err(Error::shape(
                    "model",
                    "a Gemini model name is letters, digits, '.', '_' and '-'",
                ));
            }
            if stream {
                format!("/v1beta/models/{model}:streamGenerateContent?alt=sse")
            } else {
                format!("/v1beta/models/{model}:generateContent")
            }
        }
    })
}

fn supported(format: Format) -> Result<(), Error> {
    match format {
        Format::OpenAiChat | Format::OpenAiResponses | Format::Anthropic | Format::Gemini => Ok(()),
        _ => Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "$",
            format!(
                "requests are translated between openai-chat, openai-responses, anthropic and gemini, not {format}"
            ),
        )),
    }
}
