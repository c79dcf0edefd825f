//! Toward Anthropic Messages: instructions as `system` text blocks, turns
//! that alternate, tool results as `tool_result` blocks first in the user
//! turn right after the calls, `max_tokens` always (the options' default
//! when the client named none), `eager_input_streaming` on every tool so a
//! call's input streams as it is written, and thinking switched off when a
//! call in the tool loop under way has no thinking block before it (the
//! API refuses such a history with thinking on).

use argstream::Format;
use serde_json::{Map, Value, json};

use super::{
    custom_arguments, custom_as_function, merged, result_text, warn_tool, warn_unsupported,
};
use crate::error::Notes;
use crate::ir::{Output, Part, Reasoning, Request, Role, Source, Tool, ToolChoice, budget_of};
use crate::{Error, Options};

/// The least thinking budget Anthropic takes.
const MIN_BUDGET: u64 = 1024;

pub(super) fn write(
    request: Request,
    options: &Options,
    notes: &mut Notes,
) -> Result<Map<String, Value>, Error> {
    warn_unsupported(
        &request,
        "Anthropic",
        &["seed", "presence_penalty", "frequency_penalty", "n"],
        notes,
    );
    let mut body = Map::new();
    body.insert(
        "model".into(),
        request.model.clone().unwrap_or_default().into(),
    );
    let mut max_tokens = request
        .capped_max_tokens(options.max_tokens_cap)
        .unwrap_or(options.default_max_tokens);
    let mut system: Vec<Value> = request
        .system
        .iter()
        .map(|t| json!({"type": "text", "text": t.text}))
        .collect();
    let custom_names = request.custom_tool_names();
    let mut messages = Vec::new();
    for turn in merged(request.turns.clone()) {
        match turn.role {
            Role::System => {
                if messages.is_empty() {
                    system.extend(turn.parts.iter().filter_map(|p| match p {
                        Part::Text(t) => Some(json!({"type": "text", "text": t.text})),
                        _ => None,
                    }));
                } else {
                    messages.push(json!({"role": "system", "content": turn.text()}));
                }
            }
            Role::User => {
                let mut results = Vec::new();
                let mut rest = Vec::new();
                for part in &turn.parts {
                    match part {
                        Part::Result(result) => {
                            let mut block = Map::new();
                            block.insert("type".into(), "tool_result".into());
                            block.insert("tool_use_id".into(), tool_id(&result.id).into());
                            let images = result.content.iter().any(|p| matches!(p, Part::Image(_)));
                            if images {
                                let content: Vec<Value> = result
                                    .content
                                    .iter()
                                    .filter_map(|p| block_of(p, &custom_names, notes))
                                    .collect();
                                block.insert("content".into(), Value::Array(content));
                            } else {
                                block.insert("content".into(), result_text(&result.content).into());
                            }
                            if result.error {
                                block.insert("is_error".into(), true.into());
                            }
                            results.push(Value::Object(block));
                        }
                        other => rest.extend(block_of(other, &custom_names, notes)),
                    }
                }
                results.extend(rest);
                messages.push(json!({"role": "user", "content": results}));
            }
            Role::Assistant => {
                let content: Vec<Value> = turn
                    .parts
                    .iter()
                    .filter_map(|p| block_of(p, &custom_names, notes))
                    .collect();
                if !content.is_empty() {
                    messages.push(json!({"role": "assistant", "content": content}));
                }
            }
        }
    }
    if !system.is_empty() {
        body.insert("system".into(), Value::Array(system));
    }
    let thinking = thinking(&request, &messages, &mut max_tokens, notes);
    body.insert("messages".into(), Value::Array(messages));
    body.insert("max_tokens".into(), max_tokens.into());
    let mut tools = Vec::new();
    for tool in &request.tools {
        let mut spec = match tool {
            Tool::Function(function) => {
                let mut spec = Map::new();
                spec.insert("name".into(), function.name.clone().into());
                if let Some(description) = &function.description {
                    spec.insert("description".into(), description.clone().into());
                }
                spec.insert(
                    "input_schema".into(),
                    Value::Object(input_schema(&function.schema)),
                );
                spec
            }
            Tool::Custom {
                name,
                description,
                path,
                ..
            } => {
                let function = custom_as_function(name, description.as_deref(), path, notes);
                let mut spec = Map::new();
                spec.insert("name".into(), function["name"].clone());
                spec.insert("description".into(), function["description"].clone());
                spec.insert("input_schema".into(), function["parameters"].clone());
                spec
            }
            Tool::WebSearch { .. } => {
                tools.push(json!({"type": "web_search_20250305", "name": "web_search"}));
                continue;
            }
            other => {
                warn_tool(other, "Anthropic", notes);
                continue;
            }
        };
        if options.eager_input_streaming {
            spec.insert("eager_input_streaming".into(), true.into());
        }
        tools.push(Value::Object(spec));
    }
    let has_tools = !tools.is_empty();
    if has_tools {
        body.insert("tools".into(), Value::Array(tools));
    }
    let mut choice = match &request.tool_choice {
        Some(ToolChoice::Auto) => Some(json!({"type": "auto"})),
        Some(ToolChoice::None) => Some(json!({"type": "none"})),
        Some(ToolChoice::Required) => Some(json!({"type": "any"})),
        Some(ToolChoice::Named(name)) => Some(json!({"type": "tool", "name": name})),
        None => None,
    };
    if request.parallel == Some(false) && has_tools {
        let choice = choice.get_or_insert_with(|| json!({"type": "auto"}));
        if choice["type"] != "none" {
            choice["disable_parallel_tool_use"] = true.into();
        }
    }
    if let Some(choice) = choice.filter(|_| has_tools) {
        body.insert("tool_choice".into(), choice);
    }
    let thinking_on = thinking.as_ref().is_some_and(|t| t["type"] != "disabled");
    if let Some(thinking) = thinking {
        if thinking["type"] == "adaptive"
            && let Some(Reasoning::Adaptive(Some(effort))) = &request.reasoning
        {
            let effort = if effort == "xhigh" {
                "max"
            } else {
                effort.as_str()
            };
            body.insert("output_config".into(), json!({"effort": effort}));
        }
        body.insert("thinking".into(), thinking);
    }
    sampling(&request, thinking_on, &mut body, notes);
    if !request.stop.is_empty() {
        body.insert("stop_sequences".into(), request.stop.clone().into());
    }
    if let Some(user) = &request.user {
        body.insert("metadata".into(), json!({"user_id": user}));
    }
    match &request.output {
        Some(Output::JsonSchema { schema, .. }) => {
            let config = body.entry("output_config").or_insert_with(|| json!({}));
            config["format"] = json!({"type": "json_schema", "schema": schema});
        }
        Some(Output::JsonObject { path }) => notes.warn(
            path,
            "Anthropic has JSON output only with a schema; a bare JSON object is not asked for",
        ),
        None => {}
    }
    if request.stream {
        body.insert("stream".into(), true.into());
    }
    Ok(body)
}

/// Temperature, top_p and top_k, which Anthropic bounds, and which it
/// refuses beside thinking (but for top_p from 0.95).
fn sampling(
    request: &Request,
    thinking_on: bool,
    body: &mut Map<String, Value>,
    notes: &mut Notes,
) {
    if let Some(temperature) = request.temperature {
        if thinking_on {
            notes.warn(
                "temperature",
                "Anthropic takes no temperature with thinking on; not sent",
            );
        } else if temperature > 1.0 {
            notes.warn(
                "temperature",
                "Anthropic's temperature is at most 1; sent as 1",
            );
            body.insert("temperature".into(), 1.0.into());
        } else {
            body.insert("temperature".into(), temperature.into());
        }
    }
    if let Some(top_p) = request.top_p {
        if thinking_on && top_p < 0.95 {
            notes.warn(
                "top_p",
                "Anthropic takes top_p from 0.95 with thinking on; not sent",
            );
        } else {
            body.insert("top_p".into(), top_p.into());
        }
    }
    if let Some(top_k) = request.top_k {
        if thinking_on {
            notes.warn(
                "top_k",
                "Anthropic takes no top_k with thinking on; not sent",
            );
        } else {
            body.insert("top_k".into(), top_k.into());
        }
    }
}

/// The `thinking` member, `max_tokens` raised above its budget when it has
/// one; none when a call of the tool loop under way was made without a
/// thinking block (from another provider's answer), which Anthropic refuses
/// with thinking on.
fn thinking(
    request: &Request,
    messages: &[Value],
    max_tokens: &mut u64,
    notes: &mut Notes,
) -> Option<Value> {
    let budget = match &request.reasoning {
        None => return None,
        Some(Reasoning::Disabled) => return Some(json!({"type": "disabled"})),
        Some(Reasoning::Adaptive(_)) => None,
        Some(Reasoning::Budget(budget)) => Some(*budget),
        Some(Reasoning::Effort(effort)) => match budget_of(effort) {
            Some(budget) => Some(budget),
            None => return None,
        },
    };
    if loop_without_thinking(messages) {
        notes.warn(
            "thinking",
            "a tool call under way was made without a thinking block (by another provider), which Anthropic refuses with thinking on; sent without thinking",
        );
        return None;
    }
    let Some(budget) = budget else {
        return Some(json!({"type": "adaptive"}));
    };
    let budget = budget.max(MIN_BUDGET);
    if *max_tokens <= budget {
        *max_tokens = budget + MIN_BUDGET.max(*max_tokens);
    }
    Some(json!({"type": "enabled", "budget_tokens": budget}))
}

/// Whether the last assistant turn made calls that are being answered
/// without a thinking block first.
fn loop_without_thinking(messages: &[Value]) -> bool {
    let Some(last) = messages.iter().rev().find(|m| m["role"] == "assistant") else {
        return false;
    };
    let content = last["content"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let calls = content.iter().any(|b| b["type"] == "tool_use");
    let thought = content
        .first()
        .is_some_and(|b| b["type"] == "thinking" || b["type"] == "redacted_thinking");
    calls && !thought
}

/// A tool's input schema: an object, as Anthropic requires.
fn input_schema(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut schema = super::chat::object_schema(schema);
    schema.entry("type").or_insert_with(|| "object".into());
    schema
}

/// A tool-use id as Anthropic takes it (letters, digits, `_` and `-`):
/// other bytes become `_`, the same way for a call and its result.
fn tool_id(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "toolu_".into()
    } else {
        clean
    }
}

fn block_of(part: &Part, custom_names: &[&str], notes: &mut Notes) -> Option<Value> {
    Some(match part {
        Part::Text(t) | Part::Refusal(t) => {
            if t.text.is_empty() {
                return None;
            }
            json!({"type": "text", "text": t.text})
        }
        Part::Image(media) => {
            let source = match &media.source {
                Source::Url { url, .. } => json!({"type": "url", "url": url}),
                Source::Base64 { media_type, data } => {
                    json!({"type": "base64", "media_type": media_type, "data": data})
                }
                Source::File { id } => json!({"type": "file", "file_id": id}),
                Source::Text { .. } => return None,
            };
            json!({"type": "image", "source": source})
        }
        Part::Document(document) => {
            let source = match &document.source {
                Source::Url { url, .. } => json!({"type": "url", "url": url}),
                Source::Base64 { media_type, data } if media_type == "text/plain" => {
                    notes.warn(
                        &document.path,
                        "a base64 text file is sent as a PDF document would be",
                    );
                    json!({"type": "base64", "media_type": media_type, "data": data})
                }
                Source::Base64 { media_type, data } => {
                    json!({"type": "base64", "media_type": media_type, "data": data})
                }
                Source::File { id } => json!({"type": "file", "file_id": id}),
                Source::Text { text } => {
                    json!({"type": "text", "media_type": "text/plain", "data": text})
                }
            };
            let mut block = json!({"type": "document", "source": source});
            if let Some(name) = &document.name {
                block["title"] = name.clone().into();
            }
            block
        }
        Part::Call(call) => {
            let input = if call.custom || custom_names.contains(&call.name.as_str()) {
                custom_arguments(&call.arguments)
            } else {
                call.arguments.clone()
            };
            json!({"type": "tool_use", "id": tool_id(&call.id), "name": call.name, "input": input})
        }
        Part::Thinking(thinking) if thinking.origin == Format::Anthropic => {
            match &thinking.redacted {
                Some(data) => json!({"type": "redacted_thinking", "data": data}),
                None => {
                    json!({"type": "thinking", "thinking": thinking.text, "signature": thinking.signature.clone().unwrap_or_default()})
                }
            }
        }
        Part::Thinking(_) => return None,
        Part::Result(result) => {
            notes.warn(
                &result.path,
                "a tool result outside a user turn has no counterpart; not sent",
            );
            return None;
        }
    })
}
