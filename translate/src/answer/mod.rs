//! Whole answers and error bodies, back from the upstream's format into the
//! client's.
//!
//! A whole (not streamed) answer is read into one neutral [`Answer`]: its
//! id, model and creation time, its content in order (answer text,
//! reasoning with its signature, refusal text, tool calls with their id,
//! name and arguments), its finish and its token counts; then written in
//! the client's format. The same format on both sides passes the answer
//! through with only its model changed.
//!
//! The rules are the relay's, so that a client reads the same answer
//! whether it streamed it or not:
//! - **Ids.** The answer keeps upstream's id (`argstream` when it has none);
//!   Responses items are `msg_`, `rs_` or `fc_`, the response id, `_` and
//!   the output index. A Gemini call with no `id` gets `call_` + the
//!   `responseId` + `_` + its ordinal among the answer's calls, and
//!   toward Gemini that id is left out again.
//! - **Arguments** are a JSON string in chat and Responses, an object in
//!   Anthropic's `input` and Gemini's `args`; none, `null` or blank are
//!   `{}`. Arguments that are not a JSON object cannot be Anthropic's
//!   `input` (an error) and leave the call out of a Gemini answer, whose
//!   finish then reads `MALFORMED_FUNCTION_CALL`, as the relay does.
//! - **Finish and usage** go through the relay's own
//!   [`argstream::Finish`] and [`argstream::Usage`], which hold each
//!   format's words and arithmetic in one place: an
//!   answer that made calls and stopped waits for their results (chat
//!   `tool_calls`, Anthropic `tool_use`), Anthropic's `stop_sequence` keeps
//!   its value, Anthropic's `input_tokens` leave the cache's out, Gemini's
//!   `candidatesTokenCount` leaves the thoughts out.
//! - **Reasoning** goes to chat as `reasoning_content`, to Gemini as a
//!   `thought` part, to Anthropic as a `thinking` block (with its signature
//!   only when Anthropic made it, else an empty one, as the relay writes
//!   it), to Responses as a `reasoning` item whose summary is the text and
//!   whose `encrypted_content` is an Anthropic signature. A signature goes
//!   back only to the provider that made it; Gemini's `thoughtSignature`
//!   survives Gemini to Gemini, where the answer passes through.
//! - **Refusal** text is chat's `refusal`, a Responses `refusal` part, and
//!   text in Anthropic and Gemini, which have no place for it.

mod anthropic;
mod chat;
mod failure;
mod gemini;
mod responses;

use std::borrow::Cow;

use argstream::Format;
use argstream::neutral::{Finish, Usage};
use serde_json::{Map, Value};

use crate::{Error, json};

pub use self::failure::{MAX_ERROR_MESSAGE, translate_error};

/// How a whole answer is translated.
#[derive(Clone, Debug, Default)]
pub struct ResponseOptions {
    /// The model to name to the client: the one it asked for, since the
    /// gateway may have asked the upstream for another. `None` keeps the
    /// upstream's.
    pub model: Option<String>,
    /// Unix seconds, for a format that carries a creation time (chat's
    /// `created`, Responses' `created_at`) when the upstream's answer has
    /// none (Anthropic, Gemini). 0 by default, as the relay's.
    pub created: u64,
}

/// Translates a whole (not streamed) answer in format `from` (a
/// `chat.completion`, a Responses `response` object, an Anthropic
/// `Message`, a Gemini `GenerateContentResponse`) into format `to`.
///
/// The same format on both sides passes the body through with only its
/// model changed. Otherwise the answer's choice (or candidate) 0 is read
/// and written anew, as the module docs tell. Costs one parse of the body
/// and one serialisation of the answer (none when the format and model
/// stay).
///
/// ```
/// use argstream::Format;
/// use argstream_translate::{ResponseOptions, translate_response};
///
/// let message = br#"{"id":"msg_01","type":"message","role":"assistant","model":"claude-x",
///   "content":[{"type":"text","text":"Checking."},
///     {"type":"tool_use","id":"toolu_01","name":"weather","input":{"city":"Paris"}}],
///   "stop_reason":"tool_use","stop_sequence":null,
///   "usage":{"input_tokens":20,"cache_read_input_tokens":80,"output_tokens":9}}"#;
/// let options = ResponseOptions { model: Some("gpt-5".into()), created: 1_767_225_600 };
/// let out = translate_response(message, Format::Anthropic, Format::OpenAiChat, &options)?;
/// let chat: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// let choice = &chat["choices"][0];
/// assert_eq!(chat["model"], "gpt-5");
/// assert_eq!(choice["finish_reason"], "tool_calls");
/// assert_eq!(choice["message"]["content"], "Checking.");
/// let call = &choice["message"]["tool_calls"][0];
/// assert_eq!(call["id"], "toolu_01");
/// assert_eq!(call["function"]["arguments"], r#"{"city":"Paris"}"#);
/// // Anthropic counts cached input apart, chat within.
/// assert_eq!(chat["usage"]["prompt_tokens"], 100);
/// # Ok::<(), argstream_translate::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::NotJson`](crate::ErrorKind::NotJson) with the byte offset;
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) for a body that is not its
/// format's answer (a member of the wrong type, a call with no name) or a
/// call whose arguments are not a JSON object toward Anthropic, or an
/// error in place of an answer (a member `error` that is not `null`), with
/// the path of the member;
/// [`ErrorKind::UnsupportedFormat`](crate::ErrorKind::UnsupportedFormat)
/// for Bedrock.
///
/// # Panics
/// Never.
pub fn translate_response(
    body: &[u8],
    from: Format,
    to: Format,
    options: &ResponseOptions,
) -> Result<Vec<u8>, Error> {
    crate::supported(from)?;
    crate::supported(to)?;
    let value = json::parse(body)?;
    let Value::Object(mut root) = value else {
        return Err(Error::shape("$", "an answer is a JSON object"));
    };
    if from == to {
        let Some(model) = &options.model else {
            return Ok(body.to_vec());
        };
        let name = if to == Format::Gemini {
            "modelVersion"
        } else {
            "model"
        };
        root.insert(name.to_owned(), Value::String(model.clone()));
        return Ok(to_vec(&Value::Object(root)));
    }
    // Some servers answer a failure with a success status; Responses
    // carries its own failure in `error`.
    if root.get("error").is_some_and(|error| !error.is_null()) {
        return Err(Error::shape(
            "error",
            "an error, not an answer: translate_error takes it",
        ));
    }
    let answer = match from {
        Format::OpenAiChat => chat::read(&root)?,
        Format::OpenAiResponses => responses::read(&root)?,
        Format::Anthropic => anthropic::read(&root)?,
        _ => gemini::read(&root)?,
    };
    let written = match to {
        Format::OpenAiChat => chat::write(&answer, options),
        Format::OpenAiResponses => responses::write(&answer, options),
        Format::Anthropic => anthropic::write(&answer, options)?,
        _ => gemini::write(&answer, options),
    };
    Ok(to_vec(&Value::Object(written)))
}

fn to_vec(value: &Value) -> Vec<u8> {
    // A `Value` has string keys and finite numbers: it always serialises.
    serde_json::to_vec(value).unwrap_or_default()
}

/// One answer, neutral, borrowing from the parsed body.
#[derive(Clone, Debug, Default)]
pub(crate) struct Answer<'a> {
    /// Upstream's id; empty when it named none.
    pub id: &'a str,
    pub model: &'a str,
    /// Unix seconds, when upstream said.
    pub created: Option<u64>,
    pub blocks: Vec<Block<'a>>,
    /// `None` when upstream gave none (a Gemini answer cut off).
    pub finish: Option<Finish<'a>>,
    pub usage: Option<Usage>,
}

/// A piece of an answer's content.
#[derive(Clone, Debug)]
pub(crate) enum Block<'a> {
    Text(Cow<'a, str>),
    Reasoning(Reasoning<'a>),
    Refusal(&'a str),
    Call(Call<'a>),
}

/// Reasoning, and the provider that can read its signature back.
#[derive(Clone, Debug)]
pub(crate) struct Reasoning<'a> {
    pub origin: Format,
    pub text: Cow<'a, str>,
    /// Anthropic's `signature`, Responses' `encrypted_content`, Gemini's
    /// `thoughtSignature`.
    pub signature: Option<&'a str>,
    /// Anthropic's `redacted_thinking` data.
    pub redacted: Option<&'a str>,
}

/// A tool call.
#[derive(Clone, Debug)]
pub(crate) struct Call<'a> {
    pub id: Cow<'a, str>,
    pub name: &'a str,
    pub arguments: Arguments<'a>,
    /// A freeform (`custom`) tool's call, whose input is text.
    pub custom: bool,
    /// Gemini's `thoughtSignature` on the call's part.
    pub signature: Option<&'a str>,
    /// Where the arguments are in the upstream body, for an error.
    pub path: String,
}

/// A call's arguments as upstream gave them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arguments<'a> {
    /// JSON text (chat, Responses), or a custom call's input.
    Text(&'a str),
    /// A JSON value (Anthropic's `input`, Gemini's `args`); `None` when
    /// absent.
    Value(Option<&'a Value>),
}

impl Answer<'_> {
    /// Whether the answer made calls: a stop then waits for their results.
    pub(crate) fn made_calls(&self) -> bool {
        self.blocks
            .iter()
            .any(|block| matches!(block, Block::Call(_)))
    }

    /// The finish, a plain stop when upstream gave none.
    pub(crate) fn finish(&self) -> Finish<'_> {
        self.finish.unwrap_or(Finish::Stop)
    }

    /// The model to name: the client's, else upstream's.
    pub(crate) fn model<'o>(&'o self, options: &'o ResponseOptions) -> &'o str {
        options.model.as_deref().unwrap_or(self.model)
    }

    /// The id to write: upstream's, or [`NO_ID`] when it named none.
    pub(crate) fn id(&self) -> &str {
        if self.id.is_empty() { NO_ID } else { self.id }
    }
}

/// The id written for an answer upstream named none, as the relay does.
pub(crate) const NO_ID: &str = "argstream";

/// The nesting limit of the JSON readers the clients use (serde_json's,
/// argstream's, Python's): a value nested inside the answer must stay
/// under it with the containers around it.
const MAX_DEPTH: usize = 128;

impl Call<'_> {
    /// A freeform call's input: its text as it came.
    pub(crate) fn input(&self) -> String {
        match self.arguments {
            Arguments::Text(text) => text.to_owned(),
            arguments => arguments.text(),
        }
    }

    /// The arguments as an object, for a format whose tools all take one
    /// (Anthropic, Gemini): a freeform call's input text goes as its one
    /// member `input`. See [`Arguments::object`].
    pub(crate) fn object(&self, wrapping: usize) -> Option<Map<String, Value>> {
        if self.custom {
            return Some(Map::from_iter([(
                "input".to_owned(),
                Value::String(self.input()),
            )]));
        }
        self.arguments.object(wrapping)
    }
}

impl Arguments<'_> {
    /// The arguments as JSON text: chat's and Responses' `arguments`.
    pub(crate) fn text(&self) -> String {
        match *self {
            Arguments::Text(text) if !is_blank(text) => text.to_owned(),
            Arguments::Value(Some(value)) if !value.is_null() => value.to_string(),
            _ => "{}".to_owned(),
        }
    }

    /// The arguments as a JSON object, for Anthropic's `input` and Gemini's
    /// `args`, or `None` when they are not one (or would nest past
    /// [`MAX_DEPTH`] inside `wrapping` containers).
    pub(crate) fn object(&self, wrapping: usize) -> Option<Map<String, Value>> {
        let parsed;
        let value = match *self {
            Arguments::Text(text) if is_blank(text) => return Some(Map::new()),
            Arguments::Text(text) => {
                parsed = serde_json::from_str::<Value>(text).ok()?;
                &parsed
            }
            Arguments::Value(None | Some(Value::Null)) => return Some(Map::new()),
            Arguments::Value(Some(value)) => value,
        };
        match value {
            Value::Null => Some(Map::new()),
            Value::Object(object) if wrapping + nesting(value) < MAX_DEPTH => Some(object.clone()),
            _ => None,
        }
    }
}

/// Whether JSON text says nothing: empty, blank or `null`.
fn is_blank(text: &str) -> bool {
    matches!(text.trim_ascii(), "" | "null")
}

/// How deep a value's containers nest, counted without recursion.
fn nesting(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Object(object) => Box::new(object.values()),
            Value::Array(array) => Box::new(array.iter()),
            _ => continue,
        };
        deepest = deepest.max(depth);
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    deepest
}

/// A JSON object built member by member, in order.
pub(crate) struct Object(Map<String, Value>);

impl Object {
    pub(crate) fn new() -> Object {
        Object(Map::new())
    }

    pub(crate) fn with(mut self, name: &str, value: impl Into<Value>) -> Object {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// Adds the member only when there is a value.
    pub(crate) fn maybe(self, name: &str, value: Option<impl Into<Value>>) -> Object {
        match value {
            Some(value) => self.with(name, value),
            None => self,
        }
    }

    pub(crate) fn build(self) -> Map<String, Value> {
        self.0
    }
}

impl From<Object> for Value {
    fn from(object: Object) -> Value {
        Value::Object(object.0)
    }
}

/// A member of `object` read as a count of tokens.
pub(crate) fn count(
    object: Option<&Map<String, Value>>,
    name: &str,
    path: &str,
) -> Result<Option<u64>, Error> {
    match object {
        Some(object) => json::uint(object, name, path),
        None => Ok(None),
    }
}

/// The elements of an optional array.
pub(crate) fn elements(array: Option<&[Value]>) -> impl Iterator<Item = (usize, &Value)> {
    array.unwrap_or_default().iter().enumerate()
}
