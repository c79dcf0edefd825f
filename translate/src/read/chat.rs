//! OpenAI chat completions requests: `messages` of `system`, `developer`,
//! `user`, `assistant` and `tool` roles, `tools` of functions (and freeform
//! `custom` tools), `tool_choice`, `response_format`, `reasoning_effort`.

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
    "messages",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "n",
    "reasoning_effort",
    "response_format",
    "user",
    "safety_identifier",
];

pub(crate) fn read(root: &Map<String, Value>, notes: &mut Notes) -> Result<Request, Error> {
    warn_unknown(root, KNOWN, notes);
    for name in ["user", "safety_identifier"] {
        if root.get(name).is_some_and(|v| !v.is_null()) {
            super::warn_user(name, notes);
        }
    }
    let mut request = Request {
        model: str(root, "model", "")?.map(str::to_owned),
        stream: stream(root)?,
        max_tokens: uint(root, "max_completion_tokens", "")?.or(uint(root, "max_tokens", "")?),
        temperature: number(root, "temperature", "")?,
        top_p: number(root, "top_p", "")?,
        seed: root.get("seed").and_then(Value::as_i64),
        presence_penalty: number(root, "presence_penalty", "")?,
        frequency_penalty: number(root, "frequency_penalty", "")?,
        choices: uint(root, "n", "")?,
        parallel: json::bool(root, "parallel_tool_calls", "")?,
        ..Request::default()
    };
    request.stop = match root.get("stop") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::shape(index("stop", i), "expected a string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(Error::shape("stop", "expected a string or an array")),
    };
    if let Some(effort) = str(root, "reasoning_effort", "")? {
        request.reasoning = Some(if effort == "none" {
            Reasoning::Disabled
        } else {
            Reasoning::Effort(effort.to_owned())
        });
    }
    request.output = read_output(root)?;
    if let Some(tools) = array(root, "tools", "")? {
        for (i, tool) in tools.iter().enumerate() {
            request.tools.push(read_tool(tool, &index("tools", i))?);
        }
    }
    request.tool_choice = match root.get("tool_choice") {
        None | Some(Value::Null) => None,
        Some(Value::String(word)) => Some(super::openai_tool_choice(word)?),
        Some(Value::Object(choice)) => {
            let named = object(choice, "function", "tool_choice")?
                .or(object(choice, "custom", "tool_choice")?)
                .ok_or_else(|| Error::shape("tool_choice", "a named choice has a function"))?;
            Some(ToolChoice::Named(
                need_str(named, "name", "tool_choice.function")?.to_owned(),
            ))
        }
        Some(_) => {
            return Err(Error::shape(
                "tool_choice",
                "expected a string or an object",
            ));
        }
    };
    let messages = array(root, "messages", "")?
        .ok_or_else(|| Error::shape("messages", "a required array is missing"))?;
    for (i, message) in messages.iter().enumerate() {
        read_message(&mut request, message, &index("messages", i), notes)?;
    }
    Ok(request)
}

fn read_output(root: &Map<String, Value>) -> Result<Option<Output>, Error> {
    let Some(format) = object(root, "response_format", "")? else {
        return Ok(None);
    };
    Ok(match need_str(format, "type", "response_format")? {
        "text" => None,
        "json_object" => Some(Output::JsonObject {
            path: "response_format".into(),
        }),
        "json_schema" => {
            let spec = object(format, "json_schema", "response_format")?.ok_or_else(|| {
                Error::shape(
                    "response_format.json_schema",
                    "a required object is missing",
                )
            })?;
            Some(Output::JsonSchema {
                name: str(spec, "name", "response_format.json_schema")?.map(str::to_owned),
                schema: object(spec, "schema", "response_format.json_schema")?
                    .cloned()
                    .unwrap_or_default(),
                strict: json::bool(spec, "strict", "response_format.json_schema")?,
                path: "response_format".into(),
            })
        }
        _ => {
            return Err(Error::shape(
                "response_format.type",
                "expected text, json_object or json_schema",
            ));
        }
    })
}

fn read_tool(tool: &Value, path: &str) -> Result<Tool, Error> {
    let tool = as_object(tool, path)?;
    match str(tool, "type", path)?.unwrap_or("function") {
        "function" => {
            let path_f = at(path, "function");
            let function = object(tool, "function", path)?
                .ok_or_else(|| Error::shape(&path_f, "a required object is missing"))?;
            Ok(Tool::Function(Function {
                name: need_str(function, "name", &path_f)?.to_owned(),
                description: str(function, "description", &path_f)?.map(str::to_owned),
                schema: object(function, "parameters", &path_f)?
                    .cloned()
                    .unwrap_or_default(),
                strict: json::bool(function, "strict", &path_f)?,
                path: path.to_owned(),
            }))
        }
        "custom" => {
            let path_c = at(path, "custom");
            let custom = object(tool, "custom", path)?
                .ok_or_else(|| Error::shape(&path_c, "a required object is missing"))?;
            Ok(Tool::Custom {
                name: need_str(custom, "name", &path_c)?.to_owned(),
                description: str(custom, "description", &path_c)?.map(str::to_owned),
                format: custom.get("format").cloned(),
                path: path.to_owned(),
            })
        }
        other => Ok(Tool::Other {
            kind: other.to_owned(),
            path: path.to_owned(),
        }),
    }
}

fn read_message(
    request: &mut Request,
    message: &Value,
    path: &str,
    notes: &mut Notes,
) -> Result<(), Error> {
    let message = as_object(message, path)?;
    let role = need_str(message, "role", path)?;
    match role {
        "system" | "developer" => {
            let texts = texts_of(message.get("content"), &at(path, "content"))?;
            if request.turns.is_empty() {
                request.system.extend(texts);
            } else {
                let parts = texts.into_iter().map(Part::Text).collect();
                request.turns.push(Turn {
                    role: Role::System,
                    parts,
                });
            }
        }
        "user" => {
            let parts = user_content(message.get("content"), &at(path, "content"), notes)?;
            request.turns.push(Turn {
                role: Role::User,
                parts,
            });
        }
        "assistant" => {
            let mut parts = Vec::new();
            if let Some(reasoning) =
                str(message, "reasoning_content", path)?.filter(|t| !t.is_empty())
            {
                parts.push(Part::Thinking(Thinking {
                    origin: Format::OpenAiChat,
                    text: reasoning.to_owned(),
                    signature: None,
                    redacted: None,
                    path: at(path, "reasoning_content"),
                }));
            }
            let content_path = at(path, "content");
            match message.get("content") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => {
                    if !s.is_empty() {
                        parts.push(Part::Text(Text {
                            text: s.clone(),
                            path: content_path,
                        }));
                    }
                }
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        let item_path = index(&content_path, i);
                        let item = as_object(item, &item_path)?;
                        match need_str(item, "type", &item_path)? {
                            "text" => parts.push(Part::Text(Text {
                                text: need_str(item, "text", &item_path)?.to_owned(),
                                path: item_path,
                            })),
                            "refusal" => parts.push(Part::Refusal(Text {
                                text: need_str(item, "refusal", &item_path)?.to_owned(),
                                path: item_path,
                            })),
                            _ => notes.warn(
                                item_path,
                                "an assistant part of this type has no counterpart; not sent",
                            ),
                        }
                    }
                }
                Some(_) => return Err(Error::shape(content_path, "expected a string or an array")),
            }
            if let Some(refusal) = str(message, "refusal", path)? {
                parts.push(Part::Refusal(Text {
                    text: refusal.to_owned(),
                    path: at(path, "refusal"),
                }));
            }
            if let Some(calls) = array(message, "tool_calls", path)? {
                for (i, call) in calls.iter().enumerate() {
                    parts.push(Part::Call(read_call(
                        call,
                        &index(&at(path, "tool_calls"), i),
                        notes,
                    )?));
                }
            }
            request.turns.push(Turn {
                role: Role::Assistant,
                parts,
            });
        }
        "tool" => {
            let id = need_str(message, "tool_call_id", path)?.to_owned();
            let content = user_content(message.get("content"), &at(path, "content"), notes)?;
            let name = request.call_name(&id).map(str::to_owned);
            let custom = request
                .turns
                .iter()
                .flat_map(|t| &t.parts)
                .any(|p| matches!(p, Part::Call(c) if c.id == id && c.custom));
            let result = Part::Result(ToolResult {
                id,
                name,
                content,
                error: false,
                custom,
                path: path.to_owned(),
            });
            request.turns.push(Turn {
                role: Role::User,
                parts: vec![result],
            });
        }
        "function" => {
            return Err(Error::shape(
                at(path, "role"),
                "the deprecated function role is not translated; use tool",
            ));
        }
        _ => {
            return Err(Error::shape(
                at(path, "role"),
                "expected system, developer, user, assistant or tool",
            ));
        }
    }
    Ok(())
}

fn read_call(call: &Value, path: &str, notes: &mut Notes) -> Result<Call, Error> {
    let call = as_object(call, path)?;
    let id = need_str(call, "id", path)?.to_owned();
    if str(call, "type", path)? == Some("custom") {
        let custom_path = at(path, "custom");
        let custom = object(call, "custom", path)?
            .ok_or_else(|| Error::shape(&custom_path, "a required object is missing"))?;
        return Ok(Call {
            id,
            name: need_str(custom, "name", &custom_path)?.to_owned(),
            arguments: Value::String(str(custom, "input", &custom_path)?.unwrap_or("").to_owned()),
            custom: true,
            signature: None,
            path: path.to_owned(),
        });
    }
    let function_path = at(path, "function");
    let function = object(call, "function", path)?
        .ok_or_else(|| Error::shape(&function_path, "a required object is missing"))?;
    let arguments = str(function, "arguments", &function_path)?.unwrap_or("");
    Ok(Call {
        id,
        name: need_str(function, "name", &function_path)?.to_owned(),
        arguments: super::arguments_object(arguments, &at(&function_path, "arguments"), notes),
        custom: false,
        signature: None,
        path: path.to_owned(),
    })
}

/// Text parts of a system or developer message.
fn texts_of(content: Option<&Value>, path: &str) -> Result<Vec<Text>, Error> {
    match content {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![Text {
            text: s.clone(),
            path: path.to_owned(),
        }]),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let item_path = index(path, i);
                let item = as_object(item, &item_path)?;
                Ok(Text {
                    text: need_str(item, "text", &item_path)?.to_owned(),
                    path: item_path,
                })
            })
            .collect(),
        Some(_) => Err(Error::shape(path, "expected a string or an array")),
    }
}

/// A user or tool message's content: text, images, files.
fn user_content(
    content: Option<&Value>,
    path: &str,
    notes: &mut Notes,
) -> Result<Vec<Part>, Error> {
    let items = match content {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) => {
            return Ok(vec![Part::Text(Text {
                text: s.clone(),
                path: path.to_owned(),
            })]);
        }
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::shape(path, "expected a string or an array")),
    };
    let mut parts = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = index(path, i);
        let item = as_object(item, &item_path)?;
        match need_str(item, "type", &item_path)? {
            "text" => parts.push(Part::Text(Text {
                text: need_str(item, "text", &item_path)?.to_owned(),
                path: item_path,
            })),
            "image_url" => {
                let image_path = at(&item_path, "image_url");
                let (url, detail) = match item.get("image_url") {
                    Some(Value::String(url)) => (url.as_str(), None),
                    Some(Value::Object(image)) => (
                        need_str(image, "url", &image_path)?,
                        str(image, "detail", &image_path)?.map(str::to_owned),
                    ),
                    _ => return Err(Error::shape(image_path, "expected an object with a url")),
                };
                parts.push(Part::Image(Media {
                    source: source_of_url(url),
                    detail,
                    path: item_path,
                }));
            }
            "file" => {
                let file_path = at(&item_path, "file");
                let file = object(item, "file", &item_path)?
                    .ok_or_else(|| Error::shape(&file_path, "a required object is missing"))?;
                let name = str(file, "filename", &file_path)?.map(str::to_owned);
                let source = if let Some(data) = str(file, "file_data", &file_path)? {
                    super::file_data_source(data)
                } else if let Some(id) = str(file, "file_id", &file_path)? {
                    Source::File { id: id.to_owned() }
                } else {
                    return Err(Error::shape(file_path, "a file has file_data or file_id"));
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
