//! The routes the gateway serves: which client format each one is, where it
//! goes upstream, and the format its answer is written in.
//!
//! Every route goes to the same path on the configured upstream, never
//! anywhere the client names. The one route with a client-chosen segment,
//! Gemini's model, is checked against a small alphabet first, so that no
//! model name can make the upstream path another one.

use argstream::Output;

use crate::config::To;

/// The OpenAI and Anthropic routes, each forwarded to the same path.
pub const FIXED_ROUTES: [(&str, Route); 3] = [
    ("/v1/chat/completions", Route::Chat),
    ("/v1/responses", Route::Responses),
    ("/v1/messages", Route::Messages),
];

/// Where the Gemini routes begin, for the API's two versions (google-genai
/// asks `v1` by default, Gemini's own docs `v1beta`): the model and the
/// method follow, `{model}:streamGenerateContent` or `{model}:generateContent`.
pub const GEMINI_PREFIXES: [&str; 2] = ["/v1beta/models/", "/v1/models/"];

/// The longest Gemini model name taken: real ones are a few dozen bytes.
const MAX_MODEL_BYTES: usize = 128;

/// One of the client formats the gateway serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// POST `/v1/chat/completions`: OpenAI chat completions.
    Chat,
    /// POST `/v1/responses`: OpenAI Responses.
    Responses,
    /// POST `/v1/messages`: Anthropic Messages.
    Messages,
    /// POST `/v1beta/models/{model}:streamGenerateContent` (or `/v1/...`): a
    /// Gemini stream.
    GeminiStream,
    /// POST `/v1beta/models/{model}:generateContent`: a whole Gemini answer,
    /// passed through.
    GeminiGenerate,
}

/// A Gemini path the gateway does not forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeminiPathError {
    /// Not `:streamGenerateContent` or `:generateContent`.
    UnknownMethod,
    /// The model segment is empty, too long, or has a byte outside
    /// `A-Z a-z 0-9 . _ -` (so no `/`, `?`, `#`, `%` escape or `..`).
    InvalidModel,
}

impl Route {
    /// Reads a path under one of [`GEMINI_PREFIXES`] (the path only, without the
    /// query, as the client sent it: not percent-decoded).
    ///
    /// # Errors
    /// [`GeminiPathError`] for a method the gateway does not serve or a
    /// model name that is not plainly one.
    pub fn gemini(path: &str) -> Result<Route, GeminiPathError> {
        let target = GEMINI_PREFIXES
            .iter()
            .find_map(|prefix| path.strip_prefix(prefix))
            .ok_or(GeminiPathError::UnknownMethod)?;
        let (model, method) = target
            .rsplit_once(':')
            .ok_or(GeminiPathError::UnknownMethod)?;
        let route = match method {
            "streamGenerateContent" => Route::GeminiStream,
            "generateContent" => Route::GeminiGenerate,
            _ => return Err(GeminiPathError::UnknownMethod),
        };
        if is_plain_model(model) {
            Ok(route)
        } else {
            Err(GeminiPathError::InvalidModel)
        }
    }

    /// The format its clients read, before `--to` has a say.
    pub fn own_output(self) -> Output {
        match self {
            Route::Chat => Output::OpenAiChat,
            Route::Responses => Output::OpenAiResponses,
            Route::Messages => Output::Anthropic,
            Route::GeminiStream | Route::GeminiGenerate => Output::Gemini,
        }
    }

    /// The format its answers are written in under `to`.
    pub fn output(self, to: To) -> Output {
        match to {
            To::Route => self.own_output(),
            To::Every(output) => output,
        }
    }

    /// Whether its answer is relayed when it is an event stream; a whole
    /// Gemini answer is passed through as it came.
    pub fn relays(self) -> bool {
        self != Route::GeminiGenerate
    }

    /// Whether the request asks for a stream: Gemini says so in its
    /// method, the others with `"stream": true` in the body.
    ///
    /// # Errors
    /// For the routes whose body says it, a body that is not one JSON
    /// object, or whose `stream` is neither a boolean nor `null`, or comes
    /// twice: the upstream might read it otherwise than the gateway.
    pub fn asks_for_stream(self, body: &[u8]) -> Result<bool, StreamFlagError> {
        match self {
            Route::GeminiStream => Ok(true),
            Route::GeminiGenerate => Ok(false),
            Route::Chat | Route::Responses | Route::Messages => stream_flag(body),
        }
    }

    /// The upstream URL for a request to `path` with `query`: the same path
    /// under `upstream`, and for Gemini its query (`alt=sse`, and `key`
    /// when the client gave its key there).
    pub fn upstream_url(self, upstream: &str, path: &str, query: Option<&str>) -> String {
        match (self, query) {
            (Route::GeminiStream | Route::GeminiGenerate, Some(query)) => {
                format!("{upstream}{path}?{query}")
            }
            _ => format!("{upstream}{path}"),
        }
    }
}

/// A model name of the alphabet Google's names use, starting with a letter
/// or digit and without `..`: nothing in it can reach another path.
fn is_plain_model(model: &str) -> bool {
    let plain_byte = |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-');
    model.len() <= MAX_MODEL_BYTES
        && model
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        && model.bytes().all(plain_byte)
        && !model.contains("..")
}

/// Why a request body's `stream` cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamFlagError {
    /// The body is not JSON, at this line and column (1-based).
    NotJson {
        /// The line of the first byte that is not JSON.
        line: usize,
        /// Its column.
        column: usize,
    },
    /// The body is JSON but not an object (an array, a string…).
    NotAnObject,
    /// `stream` is not `true`, `false` or `null`.
    NotABoolean,
    /// `stream` comes more than once: APIs differ on which one counts.
    Duplicated,
}

impl std::fmt::Display for StreamFlagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamFlagError::NotJson { line, column } => write!(
                f,
                "the request body is not JSON (at line {line}, column {column})"
            ),
            StreamFlagError::NotAnObject => f.write_str("the request body is not a JSON object"),
            StreamFlagError::NotABoolean => f.write_str("\"stream\" must be true or false"),
            StreamFlagError::Duplicated => {
                f.write_str("\"stream\" is given more than once in the request body")
            }
        }
    }
}

impl std::error::Error for StreamFlagError {}

/// Reads the top-level `stream` of a JSON object body, skipping every other
/// member without building it. A member named `stream` is counted however
/// it is written (`"str\u0065am"` too), as the upstream's parser reads it.
fn stream_flag(body: &[u8]) -> Result<bool, StreamFlagError> {
    use serde::de::{self, Deserializer as _, IgnoredAny, MapAccess, Visitor};
    use std::cell::Cell;

    /// What went wrong, kept aside: serde's own message would quote the
    /// body's values.
    struct Flag<'a>(&'a Cell<Option<StreamFlagError>>);

    impl<'de> Visitor<'de> for Flag<'_> {
        type Value = bool;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<bool, M::Error> {
            let mut stream = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key != "stream" {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                let value = map.next_value::<serde_json::Value>()?;
                let flag = match value {
                    serde_json::Value::Bool(flag) => flag,
                    serde_json::Value::Null => false,
                    _ => return Err(self.fail(StreamFlagError::NotABoolean)),
                };
                if stream.replace(flag).is_some() {
                    return Err(self.fail(StreamFlagError::Duplicated));
                }
            }
            Ok(stream.unwrap_or(false))
        }
    }

    impl Flag<'_> {
        fn fail<E: de::Error>(&self, error: StreamFlagError) -> E {
            self.0.set(Some(error));
            E::custom("stream")
        }
    }

    let fault = Cell::new(None);
    let mut reader = serde_json::Deserializer::from_slice(body);
    let read = reader
        .deserialize_map(Flag(&fault))
        .and_then(|flag| reader.end().map(|()| flag));
    read.map_err(|error| match fault.take() {
        Some(fault) => fault,
        None if error.classify() == serde_json::error::Category::Data => {
            StreamFlagError::NotAnObject
        }
        None => StreamFlagError::NotJson {
            line: error.line(),
            column: error.column(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_gemini_methods() {
        for (path, route) in [
            (
                "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                Route::GeminiStream,
            ),
            (
                "/v1beta/models/gemini-3-pro-preview:generateContent",
                Route::GeminiGenerate,
            ),
            (
                "/v1beta/models/gemini_1.5-pro-002:streamGenerateContent",
                Route::GeminiStream,
            ),
            // google-genai's default API version.
            (
                "/v1/models/gemini-2.5-flash:streamGenerateContent",
                Route::GeminiStream,
            ),
        ] {
            assert_eq!(Route::gemini(path), Ok(route), "{path}");
        }
    }

    #[test]
    fn refuses_other_methods() {
        for path in [
            "/v1beta/models/gemini-2.5-flash:countTokens",
            "/v1beta/models/gemini-2.5-flash",
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent:x",
            "/v2/models/gemini-2.5-flash:streamGenerateContent",
            "/models/gemini-2.5-flash:streamGenerateContent",
        ] {
            assert_eq!(
                Route::gemini(path),
                Err(GeminiPathError::UnknownMethod),
                "{path}"
            );
        }
    }

    #[test]
    fn refuses_models_that_could_reach_another_path() {
        let long = "m".repeat(MAX_MODEL_BYTES + 1);
        for model in [
            "",
            ".",
            "..",
            "a..b",
            "..%2Fadmin",
            "a%2Fb",
            "a%2fb",
            "a%5Cb",
            "a%3Fb",
            "a%23b",
            "a/b",
            "a?b",
            "a#b",
            "a\\b",
            "-leading",
            "a b",
            "é",
            &long,
        ] {
            for prefix in GEMINI_PREFIXES {
                let path = format!("{prefix}{model}:streamGenerateContent");
                assert_eq!(
                    Route::gemini(&path),
                    Err(GeminiPathError::InvalidModel),
                    "{path}"
                );
            }
        }
    }

    #[test]
    fn only_gemini_forwards_its_query() {
        let url = Route::GeminiStream.upstream_url(
            "http://up",
            "/v1beta/models/m:streamGenerateContent",
            Some("alt=sse&key=k"),
        );
        assert_eq!(
            url,
            "http://up/v1beta/models/m:streamGenerateContent?alt=sse&key=k"
        );
        assert_eq!(
            Route::Chat.upstream_url("http://up", "/v1/chat/completions", Some("x=1")),
            "http://up/v1/chat/completions"
        );
    }

    #[test]
    fn to_picks_the_output() {
        assert_eq!(Route::Messages.output(To::Route), Output::Anthropic);
        assert_eq!(Route::Responses.output(To::Route), Output::OpenAiResponses);
        assert_eq!(Route::Chat.output(To::Route), Output::OpenAiChat);
        assert_eq!(
            Route::Messages.output(To::Every(Output::OpenAiChat)),
            Output::OpenAiChat
        );
    }
}
