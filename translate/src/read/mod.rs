//! Client request bodies, one reader a format, into the neutral request.
//!
//! A reader takes what its format says and nothing it does not: a member
//! of the wrong type is a [`Shape`](crate::ErrorKind::Shape) error at its
//! path; a member the neutral request has no place for is a warning.

mod anthropic;
mod chat;
mod gemini;
mod responses;

use argstream::Format;
use serde_json::{Map, Value};

use crate::error::Notes;
use crate::ir::{Part, Request, Role, Source, data_url};
use crate::{Error, ErrorKind, Options};

pub(crate) fn request(
    root: &Map<String, Value>,
    from: Format,
    options: &Options,
    notes: &mut Notes,
) -> Result<Request, Error> {
    let mut request = match from {
        Format::OpenAiChat => chat::read(root, notes)?,
        Format::OpenAiResponses => responses::read(root, notes)?,
        Format::Anthropic => anthropic::read(root, notes)?,
        _ => {
            let mut request = gemini::read(root, notes)?;
            request.model = options.client_model.clone();
            request.stream = options.client_stream;
            request
        }
    };
    if let Some(model) = &options.model {
        request.model = Some(model.clone());
    }
    if request.model.is_none() {
        return Err(Error::new(
            ErrorKind::MissingModel,
            "model",
            "no model is named",
        ));
    }
    answered_calls(&request)?;
    Ok(request)
}

/// Every tool result answers a call made before it in the request: every
/// format's API refuses one that does not, and Gemini, which ties results
/// to calls by name, could not even say which tool it came from.
fn answered_calls(request: &Request) -> Result<(), Error> {
    let mut calls: Vec<&str> = Vec::new();
    for turn in &request.turns {
        for part in &turn.parts {
            match part {
                Part::Call(call) if turn.role != Role::Assistant => {
                    return Err(Error::shape(
                        &call.path,
                        "a tool call is the assistant's, not in this turn",
                    ));
                }
                Part::Result(result) if turn.role != Role::User => {
                    return Err(Error::shape(
                        &result.path,
                        "a tool result is the user's, not in this turn",
                    ));
                }
                Part::Call(call) => calls.push(&call.id),
                Part::Result(result) if !calls.contains(&result.id.as_str()) => {
                    return Err(Error::shape(
                        &result.path,
                        "this tool result answers no call made before it in the request",
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The `stream` member: a boolean or absent.
fn stream(root: &Map<String, Value>) -> Result<bool, Error> {
    Ok(crate::json::bool(root, "stream", "")?.unwrap_or(false))
}

/// An image or file address: inline when it is a `data:` URL.
fn source_of_url(url: &str) -> Source {
    match data_url(url) {
        Some((media_type, data)) => Source::Base64 { media_type, data },
        None => Source::Url {
            url: url.to_owned(),
            media_type: None,
        },
    }
}

/// OpenAI's `file_data`: a `data:` URL, or bare base64, which OpenAI
/// takes for a PDF.
fn file_data_source(data: &str) -> Source {
    match source_of_url(data) {
        Source::Url { .. } => Source::Base64 {
            media_type: "application/pdf".into(),
            data: data.to_owned(),
        },
        inline => inline,
    }
}

/// Warns of each member of `root` that no reader takes, other than those
/// every format may carry without meaning (the ones `known` lists).
fn warn_unknown(root: &Map<String, Value>, known: &[&str], notes: &mut Notes) {
    for name in root.keys() {
        if !known.contains(&name.as_str()) {
            notes.warn(
                name.clone(),
                "has no counterpart in the upstream's format; not sent",
            );
        }
    }
}

/// A call's arguments given as JSON text, as an object: empty text and
/// `null` are a call without parameters, `{}`.
fn arguments_object(text: &str, path: &str, notes: &mut Notes) -> Value {
    if text.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Value::Object(Map::new()),
        Ok(value @ Value::Object(_)) => value,
        Ok(other) => {
            notes.warn(
                path,
                "arguments that are not a JSON object are sent as {\"value\": ...}",
            );
            let mut wrapped = Map::new();
            wrapped.insert("value".into(), other);
            Value::Object(wrapped)
        }
        Err(_) => {
            notes.warn(
                path,
                "arguments that are not JSON (a call cut off?) are sent as {}",
            );
            Value::Object(Map::new())
        }
    }
}

/// An end user's id stays with the provider it was given for: Claude
/// Code's, for one, names the device and the session.
fn warn_user(path: &str, notes: &mut Notes) {
    notes.warn(
        path,
        "an end user's id goes only to the provider it was given for; not sent",
    );
}

/// OpenAI's `tool_choice` words, chat's and Responses' alike.
fn openai_tool_choice(word: &str) -> Result<crate::ir::ToolChoice, Error> {
    use crate::ir::ToolChoice;
    Ok(match word {
        "auto" => ToolChoice::Auto,
        "none" => ToolChoice::None,
        "required" => ToolChoice::Required,
        _ => {
            return Err(Error::shape(
                "tool_choice",
                "expected auto, none or required",
            ));
        }
    })
}
