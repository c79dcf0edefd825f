//! OpenAI Responses requests: `instructions`, `input` as a string or a list
//! of items (messages, `function_call`, `function_call_output`, freeform
//! `custom_tool_call` and its output, `reasoning`), `tools`, `tool_choice`,
//! `reasoning`, `text.format`.

use argstream::Format;
use serde_json::{Map, Value};

use super::{source_of_url, stream, warn_unknown};
use crate::Error;
use crate::error::Notes;
use crate::ir::{
    Call, Document, Function, Media, Output, Part, Reasoning, Request, Role, Source, Text,
    Thinking, Tool, ToolChoice, ToolResult, Turn,
};
use crate::json::{self, array, as_object, at, index, need_str, number, object, str, uint};

const KNOWN: &[&str] = &[
    "model",
    "input",
    "instructions",
    "stream",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_output_tokens",
    "temperature",
    "top_p",
    "reasoning",
    "text",
    "user",
    "safety_identifier",
    // Stateless by design: nothing is stored, and encrypted reasoning is
    // kept by the client anyway.
    "store",
    "include",
    // A hint to OpenAI's prompt cache; no other format has one.
    "prompt_cache_key",
];

pub(crate) fn read(root: &Map<String, Value>, notes: &mut Notes) -> Result<Request, Error> {
    warn_unknown(root, KNOWN, notes);
    for name in ["user", "safety_identifier"] {
        if root.get(name).is_some_and(|v| !v.is_null()) {
            super::warn_user(name, notes);
        }
    }
    if str(root, "previous_response_id", "")?.is_some() {
        return Err(Error::shape(
            "previous_response_id",
            "a stored conversation cannot be translated: send the whole input",
        ));
    }
    let mut request = Request {
        model: str(root, "model", "")?.map(str::to_owned),
        stream: stream(root)?,
        max_tokens: uint(root, "max_output_tokens", "")?,
        temperature: number(root, "temperature", "")?,
        top_p: number(root, "top_p", "")?,
        parallel: json::bool(root, "parallel_tool_calls", "")?,
        ..Request::default()
    };
    if let Some(instructions) = str(root, "instructions", "")?.filter(|s| !s.is_empty()) {
        request.system.push(Text {
            text: instructions.to_owned(),
            path: "instructions".into(),
        });
    }
    if let Some(reasoning) = object(root, "reasoning", "")?
        && let Some(effort) = str(reasoning, "effort", "reasoning")?
    {
        request.reasoning = Some(if effort == "none" {
            Reasoning::Disabled
        } else {
            Reasoning::Effort(effort.to_owned())
        });
    }
    if let Some(text) = object(root, "text", "")? {
        for name in text.keys() {
            if name != "format" {
                notes.warn(
                    at("text", name),
                    "has no counterpart in the upstream's format; not sent",
                );
            }
        }
        if let Some(format) = object(text, "format", "text")? {
            request.output = match need_str(format, "type", "text.format")? {
                "text" => None,
                "json_object" => Some(Output::JsonObject {
                    path: "text.format".into(),
                }),
                "json_schema" => Some(Output::JsonSchema {
                    name: str(format, "name", "text.format")?.map(str::to_owned),
                    schema: object(format, "schema", "text.format")?
                        .cloned()
                        .unwrap_or_default(),
                    strict: json::bool(format, "strict", "text.format")?,
                    path: "text.format".into(),
                }),
                _ => {
                    return Err(Error::shape(
                        "text.format.type",
                        "expected text, json_object or json_schema",
                    ));
                }
            };
        }
    }
    if let Some(tools) = array(root, "tools", "")? {
        for (i, tool) in tools.iter().enumerate() {
            request.tools.push(read_tool(tool, &index("tools", i))?);
        }
    }
    request.tool_choice = match root.get("tool_choice") {
        None | Some(Value::Null) => None,
        Some(Value::String(word)) => Some(super::openai_tool_choice(word)?),
        Some(Value::Object(choice)) => match str(choice, "name", "tool_choice")? {
            Some(name) => Some(ToolChoice::Named(name.to_owned())),
            None => {
                notes.warn(
                    "tool_choice",
                    "a choice of this type has no counterpart; auto is used",
                );
                None
            }
        },
        Some(_) => {
            return Err(Error::shape(
                "tool_choice",
                "expected a string or an object",
            ));
        }
    };
    match root.get("input") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => request.turns.push(Turn {
            role: Role::User,
            parts: vec![Part::Text(Text {
                text: s.clone(),
                path: "input".into(),
            })],
        }),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                read_item(&mut request, item, &index("input", i), notes)?;
            }
        }
        Some(_) => return Err(Error::shape("input", "expected a string or an array")),
    }
    Ok(request)
}

fn read_tool(tool: &Value, path: &str) -> Result<Tool, Error> {
    let tool = as_object(tool, path)?;
    Ok(match need_str(tool, "type", path)? {
        "function" => Tool::Function(Function {
            name: need_str(tool, "name", path)?.to_owned(),
            description: str(tool, "description", path)?.map(str::to_owned),
            schema: object(tool, "parameters", path)?
                .cloned()
                .unwrap_or_default(),
            strict: json::bool(tool, "strict", path)?,
            path: path.to_owned(),
        }),
        "custom" => Tool::Custom {
            name: need_str(tool, "name", path)?.to_owned(),
            description: str(tool, "description", path)?.map(str::to_owned),
            format: tool.get("format").cloned(),
            path: path.to_owned(),
        },
        "web_search"
        | "web_search_preview"
        | "web_search_2025_08_26"
        | "web_search_preview_2025_03_11" => Tool::WebSearch {
            path: path.to_owned(),
        },
        other => Tool::Other {
            kind: other.to_owned(),
            path: path.to_owned(),
        },
    })
}

/// The last turn when it has `role`, else a new one.
fn turn(request: &mut Request, role: Role) -> &mut Vec<Part> {
    if request.turns.last().is_none_or(|t| t.role != role) {
        request.turns.push(Turn {
            role,
            parts: Vec::new(),
        });
    }
    &mut request
        .turns
        .last_mut()
        .expect("a turn was just pushed")
        .parts
}

fn read_item(
    request: &mut Request,
    item: &Value,
    path: &str,
    notes: &mut Notes,
) -> Result<(), Error> {
    let item = as_object(item, path)?;
    let kind = str(item, "type", path)?.unwrap_or("message");
    match kind {
        "message" => read_message(request, item, path, notes),
        "function_call" | "custom_tool_call" => {
            let custom = kind == "custom_tool_call";
            let arguments = if custom {
                Value::String(str(item, "input", path)?.unwrap_or("").to_owned())
            } else {
                super::arguments_object(
                    str(item, "arguments", path)?.unwrap_or(""),
                    &at(path, "arguments"),
                    notes,
                )
            };
            let call = Call {
                id: need_str(item, "call_id", path)?.to_owned(),
                name: need_str(item, "name", path)?.to_owned(),
                arguments,
                custom,
                signature: None,
                path: path.to_owned(),
            };
            turn(request, Role::Assistant).push(Part::Call(call));
            Ok(())
        }
        "function_call_output" | "custom_tool_call_output" => {
            let id = need_str(item, "call_id", path)?.to_owned();
            let output_path = at(path, "output");
            let content = match item.get("output") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(s)) => vec![Part::Text(Text {
                    text: s.clone(),
                    path: output_path,
                })],
                Some(Value::Array(parts)) => content_parts(parts, &output_path, notes)?,
                Some(_) => return Err(Error::shape(output_path, "expected a string or an array")),
            };
            let name = request.call_name(&id).map(str::to_owned);
            let result = ToolResult {
                id,
                name,
                content,
                error: false,
                custom: kind == "custom_tool_call_output",
                path: path.to_owned(),
            };
            turn(request, Role::User).push(Part::Result(result));
            Ok(())
        }
        "reasoning" => {
            let mut text = String::new();
            if let Some(summary) = array(item, "summary", path)? {
                for part in summary {
                    if let Some(piece) = part.get("text").and_then(Value::as_str) {
                        if !text.is_empty() {
                            text.push_str("\n\n");
                        }
                        text.push_str(piece);
                    }
                }
            }
            let thinking = Thinking {
                origin: Format::OpenAiResponses,
                text,
                signature: str(item, "encrypted_content", path)?.map(str::to_owned),
                redacted: None,
                path: path.to_owned(),
            };
            turn(request, Role::Assistant).push(Part::Thinking(thinking));
            Ok(())
        }
        "item_reference" => Err(Error::shape(
            path,
            "a reference to a stored item cannot be translated: send the item itself",
        )),
        _ => {
            notes.warn(
                path,
                format!("a {kind} item has no counterpart in the upstream's format; not sent"),
            );
            Ok(())
        }
    }
}

fn read_message(
    request: &mut Request,
    item: &Map<String, Value>,
    path: &str,
    notes: &mut Notes,
) -> Result<(), Error> {
    let role = need_str(item, "role", path)?;
    let content_path = at(path, "content");
    let parts = match item.get("content") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![Part::Text(Text {
            text: s.clone(),
            path: content_path,
        })],
        Some(Value::Array(parts)) => content_parts(parts, &content_path, notes)?,
        Some(_) => return Err(Error::shape(content_path, "expected a string or an array")),
    };
    match role {
        "system" | "developer" => {
            if request.turns.is_empty() {
                for part in parts {
                    match part {
                        Part::Text(text) => request.system.push(text),
                        other => {
                            notes.warn(path_of(&other), "only text is an instruction; not sent")
                        }
                    }
                }
            } else {
                request.turns.push(Turn {
                    role: Role::System,
                    parts,
                });
            }
        }
        "user" => turn(request, Role::User).extend(parts),
        "assistant" => turn(request, Role::Assistant).extend(parts),
        _ => {
            return Err(Error::shape(
                at(path, "role"),
                "expected user, assistant, system or developer",
            ));
        }
    }
    Ok(())
}

fn path_of(part: &Part) -> String {
    match part {
        Part::Text(t) | Part::Refusal(t) => t.path.clone(),
        Part::Image(m) => m.path.clone(),
        Part::Document(d) => d.path.clone(),
        Part::Call(c) => c.path.clone(),
        Part::Result(r) => r.path.clone(),
        Part::Thinking(t) => t.path.clone(),
    }
}

fn content_parts(items: &[Value], path: &str, notes: &mut Notes) -> Result<Vec<Part>, Error> {
    let mut parts = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = index(path, i);
        let item = as_object(item, &item_path)?;
        match need_str(item, "type", &item_path)? {
            "input_text" | "output_text" | "text" => parts.push(Part::Text(Text {
                text: need_str(item, "text", &item_path)?.to_owned(),
                path: item_path,
            })),
            "refusal" => parts.push(Part::Refusal(Text {
                text: need_str(item, "refusal", &item_path)?.to_owned(),
                path: item_path,
            })),
            "input_image" => {
                let source = if let Some(url) = str(item, "image_url", &item_path)? {
                    source_of_url(url)
                } else if let Some(id) = str(item, "file_id", &item_path)? {
                    Source::File { id: id.to_owned() }
                } else {
                    return Err(Error::shape(item_path, "an image has image_url or file_id"));
                };
                parts.push(Part::Image(Media {
                    source,
                    detail: str(item, "detail", &item_path)?.map(str::to_owned),
                    path: item_path,
                }));
            }
            "input_file" => {
                let name = str(item, "filename", &item_path)?.map(str::to_owned);
                let source = if let Some(data) = str(item, "file_data", &item_path)? {
                    super::file_data_source(data)
                } else if let Some(url) = str(item, "file_url", &item_path)? {
                    Source::Url {
                        url: url.to_owned(),
                        media_type: None,
                    }
                } else if let Some(id) = str(item, "file_id", &item_path)? {
                    Source::File { id: id.to_owned() }
                } else {
                    return Err(Error::shape(
                        item_path,
                        "a file has file_data, file_url or file_id",
                    ));
                };
                parts.push(Part::Document(Document {
                    source,
                    name,
                    path: item_path,
                }));
            }
            _ => notes.warn(
                item_path,
                "a content part of this type has no counterpart; not sent",
            ),
        }
    }
    Ok(parts)
}
