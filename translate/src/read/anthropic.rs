//! Anthropic Messages requests: `system` as a string or text blocks,
//! `messages` of blocks (text, image, document, tool_use, tool_result,
//! thinking, redacted_thinking), `tools`, `tool_choice`, `thinking`,
//! `output_config`, and `role: "system"` messages inside `messages`.

use argstream::Format;
use serde_json::{Map, Value};

use super::{stream, warn_unknown};
use crate::Error;
use crate::error::Notes;
use crate::ir::{
    Call, Document, Function, Media, Output, Part, Reasoning, Request, Role, Source, Text,
    Thinking, Tool, ToolChoice, ToolResult, Turn,
};
use crate::json::{self, array, as_object, at, index, need_str, number, object, str, uint};

const KNOWN: &[&str] = &[
    "model",
    "messages",
    "system",
    "max_tokens",
    "stream",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "thinking",
    "output_config",
    "metadata",
];

pub(crate) fn read(root: &Map<String, Value>, notes: &mut Notes) -> Result<Request, Error> {
    warn_unknown(root, KNOWN, notes);
    let mut request = Request {
        model: str(root, "model", "")?.map(str::to_owned),
        stream: stream(root)?,
        max_tokens: uint(root, "max_tokens", "")?,
        temperature: number(root, "temperature", "")?,
        top_p: number(root, "top_p", "")?,
        top_k: uint(root, "top_k", "")?,
        ..Request::default()
    };
    if let Some(stops) = array(root, "stop_sequences", "")? {
        for (i, stop) in stops.iter().enumerate() {
            let stop = stop
                .as_str()
                .ok_or_else(|| Error::shape(index("stop_sequences", i), "expected a string"))?;
            request.stop.push(stop.to_owned());
        }
    }
    if let Some(metadata) = object(root, "metadata", "")? {
        for name in metadata.keys().filter(|name| *name != "user_id") {
            notes.warn(
                at("metadata", name),
                "has no counterpart in the upstream's format; not sent",
            );
        }
        if str(metadata, "user_id", "metadata")?.is_some() {
            super::warn_user("metadata.user_id", notes);
        }
    }
    match root.get("system") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => request.system.push(Text {
            text: s.clone(),
            path: "system".into(),
        }),
        Some(Value::Array(blocks)) => {
            for (i, block) in blocks.iter().enumerate() {
                let path = index("system", i);
                let block = as_object(block, &path)?;
                warn_cache_control(block, &path, notes);
                request.system.push(Text {
                    text: need_str(block, "text", &path)?.to_owned(),
                    path,
                });
            }
        }
        Some(_) => return Err(Error::shape("system", "expected a string or an array")),
    }
    read_reasoning(root, &mut request, notes)?;
    if let Some(tools) = array(root, "tools", "")? {
        for (i, tool) in tools.iter().enumerate() {
            request
                .tools
                .push(read_tool(tool, &index("tools", i), notes)?);
        }
    }
    if let Some(choice) = object(root, "tool_choice", "")? {
        request.tool_choice = Some(match need_str(choice, "type", "tool_choice")? {
            "auto" => ToolChoice::Auto,
            "any" => ToolChoice::Required,
            "none" => ToolChoice::None,
            "tool" => ToolChoice::Named(need_str(choice, "name", "tool_choice")?.to_owned()),
            _ => {
                return Err(Error::shape(
                    "tool_choice.type",
                    "expected auto, any, tool or none",
                ));
            }
        });
        if json::bool(choice, "disable_parallel_tool_use", "tool_choice")? == Some(true) {
            request.parallel = Some(false);
        }
    }
    let messages = array(root, "messages", "")?
        .ok_or_else(|| Error::shape("messages", "a required array is missing"))?;
    for (i, message) in messages.iter().enumerate() {
        read_message(&mut request, message, &index("messages", i), notes)?;
    }
    Ok(request)
}

fn read_reasoning(
    root: &Map<String, Value>,
    request: &mut Request,
    notes: &mut Notes,
) -> Result<(), Error> {
    let mut effort = None;
    if let Some(config) = object(root, "output_config", "")? {
        for name in config
            .keys()
            .filter(|name| !matches!(name.as_str(), "effort" | "format"))
        {
            notes.warn(
                at("output_config", name),
                "has no counterpart in the upstream's format; not sent",
            );
        }
        effort = str(config, "effort", "output_config")?.map(|word| match word {
            "max" => "xhigh".to_owned(),
            word => word.to_owned(),
        });
        if let Some(format) = object(config, "format", "output_config")?
            && need_str(format, "type", "output_config.format")? == "json_schema"
        {
            request.output = Some(Output::JsonSchema {
                name: None,
                schema: object(format, "schema", "output_config.format")?
                    .cloned()
                    .unwrap_or_default(),
                strict: None,
                path: "output_config.format".into(),
            });
        }
    }
    request.reasoning = match object(root, "thinking", "")? {
        Some(thinking) => match need_str(thinking, "type", "thinking")? {
            "enabled" => Some(match uint(thinking, "budget_tokens", "thinking")? {
                Some(budget) => Reasoning::Budget(budget),
                None => Reasoning::Adaptive(effort),
            }),
            "adaptive" => Some(Reasoning::Adaptive(effort)),
            "disabled" => Some(Reasoning::Disabled),
            _ => {
                return Err(Error::shape(
                    "thinking.type",
                    "expected enabled, adaptive or disabled",
                ));
            }
        },
        None => effort.map(Reasoning::Effort),
    };
    Ok(())
}

fn warn_cache_control(block: &Map<String, Value>, path: &str, notes: &mut Notes) {
    if block.contains_key("cache_control") {
        notes.warn(
            at(path, "cache_control"),
            "the upstream's format marks no cache breakpoints (its provider caches by itself); not sent",
        );
    }
}

fn read_tool(tool: &Value, path: &str, notes: &mut Notes) -> Result<Tool, Error> {
    let tool = as_object(tool, path)?;
    let kind = str(tool, "type", path)?.unwrap_or("custom");
    if kind == "custom" {
        warn_cache_control(tool, path, notes);
        if json::bool(tool, "defer_loading", path)? == Some(true) {
            notes.warn(
                at(path, "defer_loading"),
                "the upstream's format loads every tool up front; the tool is sent loaded",
            );
        }
        return Ok(Tool::Function(Function {
            name: need_str(tool, "name", path)?.to_owned(),
            description: str(tool, "description", path)?.map(str::to_owned),
            schema: object(tool, "input_schema", path)?
                .cloned()
                .unwrap_or_default(),
            strict: json::bool(tool, "strict", path)?,
            path: path.to_owned(),
        }));
    }
    Ok(if kind.starts_with("web_search_") {
        Tool::WebSearch {
            path: path.to_owned(),
        }
    } else {
        Tool::Other {
            kind: kind.to_owned(),
            path: path.to_owned(),
        }
    })
}

fn read_message(
    request: &mut Request,
    message: &Value,
    path: &str,
    notes: &mut Notes,
) -> Result<(), Error> {
    let message = as_object(message, path)?;
    let role = match need_str(message, "role", path)? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "system" => Role::System,
        _ => {
            return Err(Error::shape(
                at(path, "role"),
                "expected user, assistant or system",
            ));
        }
    };
    let content_path = at(path, "content");
    let parts = match message.get("content") {
        Some(Value::String(s)) => vec![Part::Text(Text {
            text: s.clone(),
            path: content_path,
        })],
        Some(Value::Array(blocks)) => {
            let mut parts = Vec::new();
            for (i, block) in blocks.iter().enumerate() {
                if let Some(part) = read_block(request, block, &index(&content_path, i), notes)? {
                    parts.push(part);
                }
            }
            parts
        }
        _ => return Err(Error::shape(content_path, "expected a string or an array")),
    };
    if role == Role::System && request.turns.is_empty() {
        for part in parts {
            if let Part::Text(text) = part {
                request.system.push(text);
            }
        }
        return Ok(());
    }
    request.turns.push(Turn { role, parts });
    Ok(())
}

fn read_block(
    request: &Request,
    block: &Value,
    path: &str,
    notes: &mut Notes,
) -> Result<Option<Part>, Error> {
    let block = as_object(block, path)?;
    let kind = need_str(block, "type", path)?;
    if kind != "thinking" && kind != "redacted_thinking" {
        warn_cache_control(block, path, notes);
    }
    Ok(Some(match kind {
        "text" => Part::Text(Text {
            text: need_str(block, "text", path)?.to_owned(),
            path: path.to_owned(),
        }),
        "image" => Part::Image(Media {
            source: read_source(block, path)?,
            detail: None,
            path: path.to_owned(),
        }),
        "document" => Part::Document(Document {
            source: read_source(block, path)?,
            name: str(block, "title", path)?.map(str::to_owned),
            path: path.to_owned(),
        }),
        "tool_use" => {
            let arguments = match block.get("input") {
                None | Some(Value::Null) => Value::Object(Map::new()),
                Some(input @ Value::Object(_)) => input.clone(),
                Some(_) => return Err(Error::shape(at(path, "input"), "expected an object")),
            };
            Part::Call(Call {
                id: need_str(block, "id", path)?.to_owned(),
                name: need_str(block, "name", path)?.to_owned(),
                arguments,
                custom: false,
                signature: None,
                path: path.to_owned(),
            })
        }
        "tool_result" => {
            let id = need_str(block, "tool_use_id", path)?.to_owned();
            let content_path = at(path, "content");
            let content = match block.get("content") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(s)) => vec![Part::Text(Text {
                    text: s.clone(),
                    path: content_path,
                })],
                Some(Value::Array(blocks)) => {
                    let mut parts = Vec::new();
                    for (i, inner) in blocks.iter().enumerate() {
                        if let Some(part) =
                            read_block(request, inner, &index(&content_path, i), notes)?
                        {
                            parts.push(part);
                        }
                    }
                    parts
                }
                Some(_) => return Err(Error::shape(content_path, "expected a string or an array")),
            };
            Part::Result(ToolResult {
                name: request.call_name(&id).map(str::to_owned),
                id,
                content,
                error: json::bool(block, "is_error", path)?.unwrap_or(false),
                custom: false,
                path: path.to_owned(),
            })
        }
        "thinking" => Part::Thinking(Thinking {
            origin: Format::Anthropic,
            text: str(block, "thinking", path)?.unwrap_or("").to_owned(),
            signature: str(block, "signature", path)?.map(str::to_owned),
            redacted: None,
            path: path.to_owned(),
        }),
        "redacted_thinking" => Part::Thinking(Thinking {
            origin: Format::Anthropic,
            text: String::new(),
            signature: None,
            redacted: Some(need_str(block, "data", path)?.to_owned()),
            path: path.to_owned(),
        }),
        other => {
            notes.warn(
                path,
                format!("a {other} block has no counterpart in the upstream's format; not sent"),
            );
            return Ok(None);
        }
    }))
}

fn read_source(block: &Map<String, Value>, path: &str) -> Result<Source, Error> {
    let source_path = at(path, "source");
    let source = object(block, "source", path)?
        .ok_or_else(|| Error::shape(&source_path, "a required object is missing"))?;
    Ok(match need_str(source, "type", &source_path)? {
        "base64" => Source::Base64 {
            media_type: need_str(source, "media_type", &source_path)?.to_owned(),
            data: need_str(source, "data", &source_path)?.to_owned(),
        },
        "url" => Source::Url {
            url: need_str(source, "url", &source_path)?.to_owned(),
            media_type: None,
        },
        "file" => Source::File {
            id: need_str(source, "file_id", &source_path)?.to_owned(),
        },
        "text" => Source::Text {
            text: need_str(source, "data", &source_path)?.to_owned(),
        },
        _ => {
            return Err(Error::shape(
                at(&source_path, "type"),
                "expected base64, url, file or text",
            ));
        }
    })
}
