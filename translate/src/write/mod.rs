//! The neutral request, one writer a format, into the upstream's body; and
//! the same format passed through with the relay's few edits.

mod anthropic;
mod chat;
mod gemini;
mod responses;

use argstream::Format;
use serde_json::{Map, Value, json};

use crate::error::Notes;
use crate::ir::{Part, Request, Role, Tool, Turn};
use crate::json::at;
use crate::{Error, ErrorKind, Options};

/// The upstream's body, the model it names and whether it streams.
pub(crate) type Written = (Value, String, bool);

pub(crate) fn request(
    mut request: Request,
    to: Format,
    options: &Options,
    notes: &mut Notes,
) -> Result<Written, Error> {
    carry_reasoning(&mut request, to, notes);
    let model = request.model.clone().unwrap_or_default();
    let stream = request.stream;
    let body = match to {
        Format::OpenAiChat => chat::write(request, options, notes)?,
        Format::OpenAiResponses => responses::write(request, options, notes)?,
        Format::Anthropic => anthropic::write(request, options, notes)?,
        _ => gemini::write(request, options, notes)?,
    };
    Ok((Value::Object(body), model, stream))
}

/// The same format on both sides: the client's body as it came, with the
/// model asked for and what the relay needs to stream the answer.
pub(crate) fn same(
    mut root: Map<String, Value>,
    format: Format,
    options: &Options,
) -> Result<Written, Error> {
    let stream = match format {
        Format::Gemini => options.client_stream,
        _ => crate::json::bool(&root, "stream", "")?.unwrap_or(false),
    };
    let model = match (&options.model, format) {
        (Some(model), Format::Gemini) => model.clone(),
        (Some(model), _) => {
            root.insert("model".into(), model.clone().into());
            model.clone()
        }
        (None, Format::Gemini) => options.client_model.clone().unwrap_or_default(),
        (None, _) => crate::json::str(&root, "model", "")?
            .unwrap_or("")
            .to_owned(),
    };
    if model.is_empty() {
        return Err(Error::new(
            ErrorKind::MissingModel,
            "model",
            "no model is named",
        ));
    }
    match format {
        Format::OpenAiChat if stream => include_usage(&mut root),
        Format::Anthropic => {
            if options.eager_input_streaming
                && let Some(Value::Array(tools)) = root.get_mut("tools")
            {
                for tool in tools.iter_mut().filter_map(Value::as_object_mut) {
                    if tool.get("type").is_none_or(|t| t == "custom") {
                        tool.insert("eager_input_streaming".into(), true.into());
                    }
                }
            }
            if !root.contains_key("max_tokens") {
                root.insert("max_tokens".into(), options.default_max_tokens.into());
            }
            cap(&mut root, "max_tokens", options.max_tokens_cap);
        }
        Format::Gemini if options.vertex_stream_arguments => {
            let config = root
                .entry("toolConfig")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or_else(|| Error::shape("toolConfig", "expected an object"))?;
            let calling = config
                .entry("functionCallingConfig")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or_else(|| {
                    Error::shape("toolConfig.functionCallingConfig", "expected an object")
                })?;
            calling.insert("streamFunctionCallArguments".into(), true.into());
        }
        _ => {}
    }
    Ok((Value::Object(root), model, stream))
}

fn cap(root: &mut Map<String, Value>, name: &str, cap: Option<u64>) {
    if let (Some(cap), Some(asked)) = (cap, root.get(name).and_then(Value::as_u64))
        && asked > cap
    {
        root.insert(name.into(), cap.into());
    }
}

/// `stream_options.include_usage: true`, so that a chat upstream's stream
/// ends with its usage.
fn include_usage(root: &mut Map<String, Value>) {
    let options = root.entry("stream_options").or_insert_with(|| json!({}));
    if !options.is_object() {
        *options = json!({});
    }
    if let Some(options) = options.as_object_mut() {
        options.insert("include_usage".into(), true.into());
    }
}

/// Reasoning goes back only to the provider that made it: another cannot
/// verify its signature and would refuse it or misread it.
///
/// In the client's format, a provider's reasoning comes back in the
/// client's own reasoning field, its signature in that field's opaque
/// member: a Responses item's `encrypted_content`, a thinking block's
/// `signature`, a thought part's `thoughtSignature` (the relay puts it
/// there). So reasoning of another format goes to Anthropic or Gemini when
/// it is signed, and not by OpenAI (whose encrypted content is a Fernet
/// token, `gAAAA...`): a gateway in front of one upstream gets back what
/// that upstream signed. Unsigned reasoning is left out, and so is any
/// toward chat, which has no field for it, and toward Responses, whose
/// reasoning items need the id OpenAI gave them.
fn carry_reasoning(request: &mut Request, to: Format, notes: &mut Notes) {
    for turn in &mut request.turns {
        turn.parts.retain_mut(|part| {
            let Part::Thinking(thinking) = part else {
                return true;
            };
            if thinking.origin == to {
                return true;
            }
            let opaque = thinking
                .signature
                .as_deref()
                .or(thinking.redacted.as_deref());
            // Toward Anthropic and Gemini: a Responses reasoning item needs
            // the id OpenAI gave it, which another format does not keep.
            let carried = matches!(to, Format::Anthropic | Format::Gemini)
                && opaque.is_some_and(|opaque| {
                    !opaque.is_empty() && !opaque.starts_with(OPENAI_ENCRYPTED)
                });
            if !carried {
                notes.warn(
                    &thinking.path,
                    format!(
                        "reasoning not signed by {to} goes back only to its own provider; not sent"
                    ),
                );
                return false;
            }
            if to == Format::Anthropic && thinking.text.is_empty() && thinking.redacted.is_none() {
                // Reasoning with no text but its opaque state is redacted.
                thinking.redacted = thinking.signature.take();
            }
            thinking.origin = to;
            true
        });
    }
}

/// How OpenAI's encrypted reasoning begins: a Fernet token's version byte
/// and timestamp, in base64.
const OPENAI_ENCRYPTED: &str = "gAAAA";

/// The turns with consecutive turns of one role merged (Anthropic and
/// Gemini want turns that alternate), and instructions inside the
/// conversation kept as `System` turns for the writer to place.
fn merged(turns: Vec<Turn>) -> Vec<Turn> {
    let mut out: Vec<Turn> = Vec::with_capacity(turns.len());
    for turn in turns {
        match out.last_mut() {
            Some(last) if last.role == turn.role && turn.role != Role::System => {
                last.parts.extend(turn.parts)
            }
            _ => out.push(turn),
        }
    }
    out.retain(|turn| !turn.parts.is_empty());
    out
}

/// A freeform tool's definition, as a function with one string parameter
/// for formats without freeform tools.
fn custom_as_function(
    name: &str,
    description: Option<&str>,
    path: &str,
    notes: &mut Notes,
) -> Value {
    notes.warn(
        path,
        "the upstream's format has no freeform tools: sent as a function whose one string parameter `input` is the tool's input",
    );
    json!({
        "name": name,
        "description": description.unwrap_or(""),
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "string", "description": "The tool's input, as free text."}},
            "required": ["input"]
        }
    })
}

/// A freeform call's input as the arguments of that function.
fn custom_arguments(arguments: &Value) -> Value {
    match arguments {
        Value::String(input) => json!({ "input": input }),
        other => other.clone(),
    }
}

/// Warns of the built-in tools that `to` has no counterpart for.
fn warn_tool(tool: &Tool, to: &str, notes: &mut Notes) {
    match tool {
        Tool::WebSearch { path } => {
            notes.warn(path, format!("{to} has no built-in web search; not sent"))
        }
        Tool::Other { kind, path } => notes.warn(
            path,
            format!("a built-in {kind} tool has no counterpart in {to}; not sent"),
        ),
        _ => {}
    }
}

/// Where the client's sampling and limits have no counterpart in `to`.
fn warn_unsupported(request: &Request, to: &str, fields: &[&str], notes: &mut Notes) {
    for field in fields {
        let present = match *field {
            "top_k" => request.top_k.is_some(),
            "stop" => !request.stop.is_empty(),
            "seed" => request.seed.is_some(),
            "presence_penalty" => request.presence_penalty.is_some(),
            "frequency_penalty" => request.frequency_penalty.is_some(),
            "n" => request.choices.is_some_and(|n| n > 1),
            "user" => request.user.is_some(),
            "parallel" => request.parallel == Some(false),
            _ => false,
        };
        if present {
            let name = if *field == "parallel" {
                "parallel_tool_calls"
            } else {
                field
            };
            notes.warn(at("", name), format!("{to} has no counterpart; not sent"));
        }
    }
}

/// The text of a result's parts, joined, for formats whose tool results are
/// text alone; images come back apart.
fn result_text(content: &[Part]) -> String {
    let mut text = String::new();
    for part in content {
        if let Part::Text(piece) = part {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&piece.text);
        }
    }
    text
}
