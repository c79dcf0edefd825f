//! Toward OpenAI Responses: instructions as `instructions`, the
//! conversation as `input` items (messages, `function_call`,
//! `function_call_output`, and the freeform `custom_tool_call` pair),
//! function tools with `strict: false` unless the client asked for strict
//! schemas (Responses makes them strict by default, which most clients'
//! schemas do not satisfy), and `store: false`, since a translating gateway
//! sends the whole conversation every time.

use serde_json::{Map, Value, json};

use super::{result_text, warn_tool, warn_unsupported};
use crate::error::Notes;
use crate::ir::{Output, Part, Reasoning, Request, Role, Source, Tool, ToolChoice, effort_of};
use crate::{Error, Options};

pub(super) fn write(
    request: Request,
    options: &Options,
    notes: &mut Notes,
) -> Result<Map<String, Value>, Error> {
    warn_unsupported(
        &request,
        "OpenAI Responses",
        &[
            "top_k",
            "stop",
            "seed",
            "presence_penalty",
            "frequency_penalty",
            "n",
        ],
        notes,
    );
    let mut body = Map::new();
    body.insert(
        "model".into(),
        request.model.clone().unwrap_or_default().into(),
    );
    if !request.system.is_empty() {
        let text: Vec<&str> = request.system.iter().map(|t| t.text.as_str()).collect();
        body.insert("instructions".into(), text.join("\n\n").into());
    }
    let mut input = Vec::new();
    for turn in &request.turns {
        let role = match turn.role {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
        };
        let mut content = Vec::new();
        for part in &turn.parts {
            match part {
                Part::Call(call) => {
                    flush(&mut input, role, &mut content);
                    input.push(if call.custom {
                        json!({"type": "custom_tool_call", "call_id": call.id, "name": call.name,
                               "input": call.arguments.as_str().unwrap_or_default()})
                    } else {
                        json!({"type": "function_call", "call_id": call.id, "name": call.name,
                               "arguments": call.arguments.to_string()})
                    });
                }
                Part::Result(result) => {
                    flush(&mut input, role, &mut content);
                    let mut output = if result.content.iter().all(|p| matches!(p, Part::Text(_))) {
                        Value::String(result_text(&result.content))
                    } else {
                        Value::Array(
                            result
                                .content
                                .iter()
                                .filter_map(|p| part_of(p, "user", notes))
                                .collect(),
                        )
                    };
                    if result.error
                        && let Value::String(text) = &mut output
                        && !text.starts_with("Error")
                    {
                        *text = format!("Error: {text}");
                    }
                    let kind = if result.custom {
                        "custom_tool_call_output"
                    } else {
                        "function_call_output"
                    };
                    input.push(json!({"type": kind, "call_id": result.id, "output": output}));
                }
                Part::Thinking(thinking) => {
                    flush(&mut input, role, &mut content);
                    let mut item = json!({"type": "reasoning", "summary": []});
                    if !thinking.text.is_empty() {
                        item["summary"] = json!([{"type": "summary_text", "text": thinking.text}]);
                    }
                    if let Some(encrypted) = &thinking.signature {
                        item["encrypted_content"] = encrypted.clone().into();
                    }
                    input.push(item);
                }
                other => content.extend(part_of(other, role, notes)),
            }
        }
        flush(&mut input, role, &mut content);
    }
    body.insert("input".into(), Value::Array(input));
    let mut tools = Vec::new();
    for tool in &request.tools {
        match tool {
            Tool::Function(function) => {
                let mut spec = Map::new();
                spec.insert("type".into(), "function".into());
                spec.insert("name".into(), function.name.clone().into());
                if let Some(description) = &function.description {
                    spec.insert("description".into(), description.clone().into());
                }
                spec.insert(
                    "parameters".into(),
                    Value::Object(super::chat::object_schema(&function.schema)),
                );
                spec.insert("strict".into(), function.strict.unwrap_or(false).into());
                tools.push(Value::Object(spec));
            }
            Tool::Custom {
                name,
                description,
                format,
                ..
            } => {
                let mut spec = json!({"type": "custom", "name": name});
                if let Some(description) = description {
                    spec["description"] = description.clone().into();
                }
                if let Some(format) = format {
                    spec["format"] = format.clone();
                }
                tools.push(spec);
            }
            Tool::WebSearch { .. } => tools.push(json!({"type": "web_search"})),
            other => warn_tool(other, "OpenAI Responses", notes),
        }
    }
    let has_tools = !tools.is_empty();
    if has_tools {
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = &request.tool_choice {
        body.insert(
            "tool_choice".into(),
            match choice {
                ToolChoice::Auto => "auto".into(),
                ToolChoice::None => "none".into(),
                ToolChoice::Required => "required".into(),
                ToolChoice::Named(name) => json!({"type": "function", "name": name}),
            },
        );
    }
    if let Some(parallel) = request.parallel.filter(|_| has_tools) {
        body.insert("parallel_tool_calls".into(), parallel.into());
    }
    if let Some(max) = request.capped_max_tokens(options.max_tokens_cap) {
        body.insert("max_output_tokens".into(), max.into());
    }
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), temperature.into());
    }
    if let Some(top_p) = request.top_p {
        body.insert("top_p".into(), top_p.into());
    }
    if let Some(user) = &request.user {
        body.insert("user".into(), user.clone().into());
    }
    let effort = match &request.reasoning {
        Some(Reasoning::Effort(effort)) | Some(Reasoning::Adaptive(Some(effort))) => {
            Some(effort.clone())
        }
        Some(Reasoning::Budget(budget)) => Some(effort_of(*budget).to_owned()),
        Some(Reasoning::Disabled) | Some(Reasoning::Adaptive(None)) | None => None,
    };
    if let Some(effort) = effort {
        // A summary, so that the reasoning streams back as text.
        body.insert(
            "reasoning".into(),
            json!({"effort": effort, "summary": "auto"}),
        );
    }
    match &request.output {
        Some(Output::JsonSchema {
            name,
            schema,
            strict,
            ..
        }) => {
            let mut format = json!({"type": "json_schema", "name": name.clone().unwrap_or_else(|| "response".into()), "schema": schema});
            if let Some(strict) = strict {
                format["strict"] = (*strict).into();
            }
            body.insert("text".into(), json!({"format": format}));
        }
        Some(Output::JsonObject { .. }) => {
            body.insert("text".into(), json!({"format": {"type": "json_object"}}));
        }
        None => {}
    }
    body.insert("store".into(), false.into());
    if request.stream {
        body.insert("stream".into(), true.into());
    }
    Ok(body)
}

/// Closes the message item being gathered, if any.
fn flush(input: &mut Vec<Value>, role: &str, content: &mut Vec<Value>) {
    if content.is_empty() {
        return;
    }
    input.push(json!({"type": "message", "role": role, "content": std::mem::take(content)}));
}

fn part_of(part: &Part, role: &str, notes: &mut Notes) -> Option<Value> {
    let assistant = role == "assistant";
    Some(match part {
        Part::Text(t) if assistant => {
            json!({"type": "output_text", "text": t.text, "annotations": []})
        }
        Part::Text(t) => json!({"type": "input_text", "text": t.text}),
        Part::Refusal(t) if assistant => json!({"type": "refusal", "refusal": t.text}),
        Part::Refusal(t) => json!({"type": "input_text", "text": t.text}),
        Part::Image(media) if !assistant => {
            let mut image = json!({"type": "input_image", "detail": media.detail.clone().unwrap_or_else(|| "auto".into())});
            match &media.source {
                Source::Url { url, .. } => image["image_url"] = url.clone().into(),
                Source::Base64 { media_type, data } => {
                    image["image_url"] = format!("data:{media_type};base64,{data}").into()
                }
                Source::File { id } => image["file_id"] = id.clone().into(),
                Source::Text { .. } => return None,
            }
            image
        }
        Part::Document(document) if !assistant => {
            let mut file = json!({"type": "input_file"});
            match &document.source {
                Source::Url { url, .. } => file["file_url"] = url.clone().into(),
                Source::Base64 { media_type, data } => {
                    file["file_data"] = format!("data:{media_type};base64,{data}").into();
                    file["filename"] = document
                        .name
                        .clone()
                        .unwrap_or_else(|| "document.pdf".into())
                        .into();
                }
                Source::File { id } => file["file_id"] = id.clone().into(),
                Source::Text { text } => return Some(json!({"type": "input_text", "text": text})),
            }
            file
        }
        Part::Image(media) => {
            notes.warn(
                &media.path,
                "an assistant's image has no counterpart; not sent",
            );
            return None;
        }
        Part::Document(document) => {
            notes.warn(
                &document.path,
                "an assistant's document has no counterpart; not sent",
            );
            return None;
        }
        Part::Call(_) | Part::Result(_) | Part::Thinking(_) => return None,
    })
}
