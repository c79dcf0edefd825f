//! Toward OpenAI chat completions: instructions as one `system` message
//! (the role every OpenAI-compatible server takes; OpenAI reads it as
//! `developer` for its reasoning models), tool results as `tool` messages
//! right after the assistant message that made the calls, arguments as JSON
//! text, and `stream_options.include_usage` so usage comes back.

use serde_json::{Map, Value, json};

use super::{custom_arguments, custom_as_function, include_usage, result_text, warn_tool};
use crate::error::Notes;
use crate::ir::{Output, Part, Reasoning, Request, Role, Source, Tool, ToolChoice, effort_of};
use crate::{Error, Options};

pub(super) fn write(
    request: Request,
    options: &Options,
    notes: &mut Notes,
) -> Result<Map<String, Value>, Error> {
    let mut body = Map::new();
    body.insert(
        "model".into(),
        request.model.clone().unwrap_or_default().into(),
    );
    let mut messages = Vec::new();
    if !request.system.is_empty() {
        let text: Vec<&str> = request.system.iter().map(|t| t.text.as_str()).collect();
        messages.push(json!({"role": "system", "content": text.join("\n\n")}));
    }
    let custom_names = request.custom_tool_names();
    for turn in &request.turns {
        match turn.role {
            Role::System => {
                messages.push(json!({"role": "system", "content": turn.text()}));
            }
            Role::Assistant => messages.push(assistant(&turn.parts, &custom_names, notes)),
            Role::User => user(&turn.parts, &mut messages, notes),
        }
    }
    body.insert("messages".into(), Value::Array(messages));
    if !request.tools.is_empty() {
        let mut tools = Vec::new();
        for tool in &request.tools {
            match tool {
                Tool::Function(function) => {
                    let mut spec = Map::new();
                    spec.insert("name".into(), function.name.clone().into());
                    if let Some(description) = &function.description {
                        spec.insert("description".into(), description.clone().into());
                    }
                    spec.insert(
                        "parameters".into(),
                        Value::Object(object_schema(&function.schema)),
                    );
                    if let Some(strict) = function.strict {
                        spec.insert("strict".into(), strict.into());
                    }
                    tools.push(json!({"type": "function", "function": spec}));
                }
                Tool::Custom {
                    name,
                    description,
                    path,
                    ..
                } => {
                    let function = custom_as_function(name, description.as_deref(), path, notes);
                    tools.push(json!({"type": "function", "function": function}));
                }
                other => warn_tool(other, "OpenAI chat", notes),
            }
        }
        if !tools.is_empty() {
            body.insert("tools".into(), Value::Array(tools));
        }
    }
    if let Some(choice) = &request.tool_choice {
        body.insert(
            "tool_choice".into(),
            match choice {
                ToolChoice::Auto => "auto".into(),
                ToolChoice::None => "none".into(),
                ToolChoice::Required => "required".into(),
                ToolChoice::Named(name) => json!({"type": "function", "function": {"name": name}}),
            },
        );
    }
    if let Some(parallel) = request.parallel
        && body.contains_key("tools")
    {
        body.insert("parallel_tool_calls".into(), parallel.into());
    }
    if let Some(max) = request.capped_max_tokens(options.max_tokens_cap) {
        body.insert("max_completion_tokens".into(), max.into());
    }
    for (name, value) in [
        ("temperature", request.temperature),
        ("top_p", request.top_p),
        ("presence_penalty", request.presence_penalty),
        ("frequency_penalty", request.frequency_penalty),
    ] {
        if let Some(value) = value {
            body.insert(name.into(), value.into());
        }
    }
    if let Some(seed) = request.seed {
        body.insert("seed".into(), seed.into());
    }
    if let Some(n) = request.choices {
        body.insert("n".into(), n.into());
    }
    if !request.stop.is_empty() {
        body.insert("stop".into(), request.stop.clone().into());
    }
    if request.top_k.is_some() {
        notes.warn("top_k", "OpenAI chat has no top_k; not sent");
    }
    if let Some(user) = &request.user {
        body.insert("user".into(), user.clone().into());
    }
    match &request.reasoning {
        Some(Reasoning::Effort(effort)) => {
            body.insert("reasoning_effort".into(), effort.clone().into());
        }
        Some(Reasoning::Budget(budget)) => {
            body.insert("reasoning_effort".into(), effort_of(*budget).into());
        }
        Some(Reasoning::Adaptive(Some(effort))) => {
            body.insert("reasoning_effort".into(), effort.clone().into());
        }
        Some(Reasoning::Adaptive(None) | Reasoning::Disabled) | None => {}
    }
    match &request.output {
        Some(Output::JsonSchema {
            name,
            schema,
            strict,
            ..
        }) => {
            let mut spec = Map::new();
            spec.insert(
                "name".into(),
                name.clone().unwrap_or_else(|| "response".into()).into(),
            );
            spec.insert("schema".into(), Value::Object(schema.clone()));
            if let Some(strict) = strict {
                spec.insert("strict".into(), (*strict).into());
            }
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": spec}),
            );
        }
        Some(Output::JsonObject { .. }) => {
            body.insert("response_format".into(), json!({"type": "json_object"}));
        }
        None => {}
    }
    if request.stream {
        body.insert("stream".into(), true.into());
        include_usage(&mut body);
    }
    Ok(body)
}

/// A tool's parameters: an object schema, `{"type":"object","properties":{}}`
/// for a tool without parameters.
pub(super) fn object_schema(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut schema = schema.clone();
    if schema.is_empty() {
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), json!({}));
    }
    schema
}

fn assistant(parts: &[Part], custom_names: &[&str], notes: &mut Notes) -> Value {
    let mut text = String::new();
    let mut calls = Vec::new();
    for part in parts {
        match part {
            Part::Text(t) | Part::Refusal(t) => text.push_str(&t.text),
            Part::Call(call) => {
                let arguments = if call.custom || custom_names.contains(&call.name.as_str()) {
                    custom_arguments(&call.arguments)
                } else {
                    call.arguments.clone()
                };
                calls.push(json!({
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": arguments.to_string()},
                }));
            }
            Part::Thinking(thinking) => {
                // Reasoning made by a chat provider goes back as it came.
                let _ = thinking;
            }
            Part::Image(media) => notes.warn(
                &media.path,
                "an assistant's image has no counterpart; not sent",
            ),
            Part::Document(document) => notes.warn(
                &document.path,
                "an assistant's document has no counterpart; not sent",
            ),
            Part::Result(result) => notes.warn(
                &result.path,
                "a tool result from the assistant has no counterpart; not sent",
            ),
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    message.insert(
        "content".into(),
        if text.is_empty() && !calls.is_empty() {
            Value::Null
        } else {
            text.into()
        },
    );
    if let Some(Part::Thinking(thinking)) = parts.iter().find(|p| matches!(p, Part::Thinking(_))) {
        message.insert("reasoning_content".into(), thinking.text.clone().into());
    }
    if !calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    Value::Object(message)
}

/// A user turn: its tool results as `tool` messages first (they answer the
/// assistant message before them), then the rest as one user message.
fn user(parts: &[Part], messages: &mut Vec<Value>, notes: &mut Notes) {
    let mut content = Vec::new();
    for part in parts {
        match part {
            Part::Result(result) => {
                let mut text = result_text(&result.content);
                if result.error && !text.starts_with("Error") {
                    text = format!("Error: {text}");
                }
                messages.push(json!({"role": "tool", "tool_call_id": result.id, "content": text}));
                for inner in &result.content {
                    if let Part::Image(_) = inner {
                        content.push(user_part(inner, notes));
                        notes.warn(
                            &result.path,
                            "OpenAI chat tool results are text: the result's image is sent in the user message after it",
                        );
                    }
                }
            }
            other => content.push(user_part(other, notes)),
        }
    }
    content.retain(|part| !part.is_null());
    if content.is_empty() {
        return;
    }
    let content = match content.as_slice() {
        [only] if only["type"] == "text" => only["text"].clone(),
        _ => Value::Array(content),
    };
    messages.push(json!({"role": "user", "content": content}));
}

fn user_part(part: &Part, notes: &mut Notes) -> Value {
    match part {
        Part::Text(t) | Part::Refusal(t) => json!({"type": "text", "text": t.text}),
        Part::Image(media) => {
            let url = match &media.source {
                Source::Url { url, .. } => url.clone(),
                Source::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
                Source::File { .. } | Source::Text { .. } => {
                    notes.warn(
                        &media.path,
                        "an image by file id has no counterpart in OpenAI chat; not sent",
                    );
                    return Value::Null;
                }
            };
            let mut image = Map::new();
            image.insert("url".into(), url.into());
            if let Some(detail) = &media.detail {
                image.insert("detail".into(), detail.clone().into());
            }
            json!({"type": "image_url", "image_url": image})
        }
        Part::Document(document) => {
            let mut file = Map::new();
            match &document.source {
                Source::Base64 { media_type, data } => {
                    file.insert(
                        "file_data".into(),
                        format!("data:{media_type};base64,{data}").into(),
                    );
                }
                Source::File { id } => {
                    file.insert("file_id".into(), id.clone().into());
                }
                Source::Text { text } => return json!({"type": "text", "text": text}),
                Source::Url { .. } => {
                    notes.warn(
                        &document.path,
                        "a document by URL has no counterpart in OpenAI chat; not sent",
                    );
                    return Value::Null;
                }
            }
            file.insert(
                "filename".into(),
                document
                    .name
                    .clone()
                    .unwrap_or_else(|| "document.pdf".into())
                    .into(),
            );
            json!({"type": "file", "file": file})
        }
        Part::Call(call) => {
            notes.warn(
                &call.path,
                "a call in a user turn has no counterpart; not sent",
            );
            Value::Null
        }
        Part::Thinking(thinking) => {
            notes.warn(
                &thinking.path,
                "reasoning in a user turn has no counterpart; not sent",
            );
            Value::Null
        }
        Part::Result(_) => Value::Null,
    }
}
