//! Gemini `generateContent` requests: `contents` of `user` and `model`
//! turns whose parts are text, thoughts, `inlineData`, `fileData`,
//! `functionCall` (with its `thoughtSignature`) and `functionResponse`;
//! `systemInstruction`, `tools` of `functionDeclarations`, `toolConfig`,
//! `generationConfig`. Members are read under either spelling the REST API
//! takes (`inlineData` or `inline_data`). The model and whether to stream
//! are in the path, not the body.

use argstream::Format;
use serde_json::{Map, Value};

use super::warn_unknown;
use crate::Error;
use crate::error::Notes;
use crate::ir::{
    Call, Document, Function, Media, Output, Part, Reasoning, Request, Role, Source, Text,
    Thinking, Tool, ToolChoice, ToolResult, Turn,
};
use crate::json::{array, as_object, at, either, index, need_str, number, object, str, uint};
use crate::schema::from_gemini;

const KNOWN: &[&str] = &[
    "model",
    "contents",
    "systemInstruction",
    "system_instruction",
    "tools",
    "toolConfig",
    "tool_config",
    "generationConfig",
    "generation_config",
];

/// A member under either of its spellings.
fn get<'a>(object: &'a Map<String, Value>, camel: &'a str, snake: &'a str) -> Option<&'a Value> {
    object
        .get(either(object, camel, snake))
        .filter(|v| !v.is_null())
}

fn get_object<'a>(
    object: &'a Map<String, Value>,
    camel: &'a str,
    snake: &'a str,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, Error> {
    crate::json::object(object, either(object, camel, snake), path)
}

pub(crate) fn read(root: &Map<String, Value>, notes: &mut Notes) -> Result<Request, Error> {
    warn_unknown(root, KNOWN, notes);
    let mut request = Request::default();
    if let Some(system) = get_object(root, "systemInstruction", "system_instruction", "")? {
        let path = either(root, "systemInstruction", "system_instruction");
        if let Some(parts) = array(system, "parts", path)? {
            for (i, part) in parts.iter().enumerate() {
                let part_path = index(&at(path, "parts"), i);
                let part = as_object(part, &part_path)?;
                if let Some(text) = str(part, "text", &part_path)? {
                    request.system.push(Text {
                        text: text.to_owned(),
                        path: part_path,
                    });
                }
            }
        }
    }
    if let Some(config) = get_object(root, "generationConfig", "generation_config", "")? {
        read_config(
            config,
            either(root, "generationConfig", "generation_config"),
            &mut request,
            notes,
        )?;
    }
    if let Some(tools) = array(root, "tools", "")? {
        for (i, tool) in tools.iter().enumerate() {
            read_tool(tool, &index("tools", i), &mut request, notes)?;
        }
    }
    if let Some(config) = get_object(root, "toolConfig", "tool_config", "")? {
        let path = either(root, "toolConfig", "tool_config");
        if let Some(calling) = get_object(
            config,
            "functionCallingConfig",
            "function_calling_config",
            path,
        )? {
            let path = at(path, "functionCallingConfig");
            let allowed = get(calling, "allowedFunctionNames", "allowed_function_names")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .unwrap_or_default();
            request.tool_choice = match str(calling, "mode", &path)? {
                None | Some("AUTO" | "MODE_UNSPECIFIED") => Some(ToolChoice::Auto),
                Some("NONE") => Some(ToolChoice::None),
                Some("ANY" | "VALIDATED") => match allowed.as_slice() {
                    [one] => Some(ToolChoice::Named((*one).to_owned())),
                    [] => Some(ToolChoice::Required),
                    _ => {
                        notes.warn(&path, "a choice among some of the tools has no counterpart; any tool is required");
                        Some(ToolChoice::Required)
                    }
                },
                Some(_) => {
                    return Err(Error::shape(
                        at(&path, "mode"),
                        "expected AUTO, ANY, NONE or VALIDATED",
                    ));
                }
            };
        }
    }
    let contents = array(root, "contents", "")?
        .ok_or_else(|| Error::shape("contents", "a required array is missing"))?;
    for (i, content) in contents.iter().enumerate() {
        read_content(&mut request, content, i, notes)?;
    }
    Ok(request)
}

fn read_config(
    config: &Map<String, Value>,
    path: &str,
    request: &mut Request,
    notes: &mut Notes,
) -> Result<(), Error> {
    for (name, value) in config {
        let here = at(path, name);
        match name.as_str() {
            "maxOutputTokens" | "max_output_tokens" => {
                request.max_tokens = uint(config, name, path)?
            }
            "temperature" => request.temperature = number(config, name, path)?,
            "topP" | "top_p" => request.top_p = number(config, name, path)?,
            "topK" | "top_k" => request.top_k = uint(config, name, path)?,
            "candidateCount" | "candidate_count" => request.choices = uint(config, name, path)?,
            "seed" => request.seed = value.as_i64(),
            "presencePenalty" | "presence_penalty" => {
                request.presence_penalty = number(config, name, path)?
            }
            "frequencyPenalty" | "frequency_penalty" => {
                request.frequency_penalty = number(config, name, path)?
            }
            "stopSequences" | "stop_sequences" => {
                let stops = value
                    .as_array()
                    .ok_or_else(|| Error::shape(&here, "expected an array"))?;
                for (i, stop) in stops.iter().enumerate() {
                    let stop = stop
                        .as_str()
                        .ok_or_else(|| Error::shape(index(&here, i), "expected a string"))?;
                    request.stop.push(stop.to_owned());
                }
            }
            "responseMimeType" | "response_mime_type" => {
                if value.as_str() == Some("application/json") && request.output.is_none() {
                    request.output = Some(Output::JsonObject { path: here });
                }
            }
            "responseSchema"
            | "response_schema"
            | "responseJsonSchema"
            | "response_json_schema" => {
                let schema = value
                    .as_object()
                    .ok_or_else(|| Error::shape(&here, "expected an object"))?;
                let schema = if name.contains("Json") || name.contains("json") {
                    schema.clone()
                } else {
                    from_gemini(schema)
                };
                request.output = Some(Output::JsonSchema {
                    name: None,
                    schema,
                    strict: None,
                    path: here,
                });
            }
            "thinkingConfig" | "thinking_config" => {
                let thinking = value
                    .as_object()
                    .ok_or_else(|| Error::shape(&here, "expected an object"))?;
                let budget =
                    get(thinking, "thinkingBudget", "thinking_budget").and_then(Value::as_i64);
                let level =
                    get(thinking, "thinkingLevel", "thinking_level").and_then(Value::as_str);
                request.reasoning = match (budget, level) {
                    (Some(0), _) => Some(Reasoning::Disabled),
                    (Some(budget), _) if budget > 0 => Some(Reasoning::Budget(budget as u64)),
                    (Some(_), _) => Some(Reasoning::Adaptive(None)),
                    (None, Some(level)) => Some(Reasoning::Effort(level.to_ascii_lowercase())),
                    (None, None) => None,
                };
            }
            _ => notes.warn(
                here,
                "has no counterpart in the upstream's format; not sent",
            ),
        }
    }
    Ok(())
}

fn read_tool(
    tool: &Value,
    path: &str,
    request: &mut Request,
    notes: &mut Notes,
) -> Result<(), Error> {
    let tool = as_object(tool, path)?;
    for (name, value) in tool {
        let here = at(path, name);
        match name.as_str() {
            "functionDeclarations" | "function_declarations" => {
                let declarations = value
                    .as_array()
                    .ok_or_else(|| Error::shape(&here, "expected an array"))?;
                for (i, declaration) in declarations.iter().enumerate() {
                    let decl_path = index(&here, i);
                    let declaration = as_object(declaration, &decl_path)?;
                    let schema = if let Some(json) = get_object(
                        declaration,
                        "parametersJsonSchema",
                        "parameters_json_schema",
                        &decl_path,
                    )? {
                        json.clone()
                    } else if let Some(schema) = object(declaration, "parameters", &decl_path)? {
                        from_gemini(schema)
                    } else {
                        Map::new()
                    };
                    request.tools.push(Tool::Function(Function {
                        name: need_str(declaration, "name", &decl_path)?.to_owned(),
                        description: str(declaration, "description", &decl_path)?
                            .map(str::to_owned),
                        schema,
                        strict: None,
                        path: decl_path,
                    }));
                }
            }
            "googleSearch"
            | "google_search"
            | "googleSearchRetrieval"
            | "google_search_retrieval" => {
                request.tools.push(Tool::WebSearch { path: here });
            }
            other => request.tools.push(Tool::Other {
                kind: other.to_owned(),
                path: here,
            }),
        }
    }
    let _ = notes;
    Ok(())
}

fn read_content(
    request: &mut Request,
    content: &Value,
    at_index: usize,
    notes: &mut Notes,
) -> Result<(), Error> {
    let path = index("contents", at_index);
    let content = as_object(content, &path)?;
    let role = match str(content, "role", &path)?.unwrap_or("user") {
        "user" | "function" => Role::User,
        "model" => Role::Assistant,
        _ => return Err(Error::shape(at(&path, "role"), "expected user or model")),
    };
    let parts_path = at(&path, "parts");
    let parts = array(content, "parts", &path)?.unwrap_or_default();
    let mut out = Vec::new();
    let mut ordinal = 0;
    for (i, part) in parts.iter().enumerate() {
        let part_path = index(&parts_path, i);
        let part = as_object(part, &part_path)?;
        let signature = get(part, "thoughtSignature", "thought_signature").and_then(Value::as_str);
        if let Some(text) = str(part, "text", &part_path)? {
            if part.get("thought").and_then(Value::as_bool) == Some(true) {
                out.push(Part::Thinking(Thinking {
                    origin: Format::Gemini,
                    text: text.to_owned(),
                    signature: signature.map(str::to_owned),
                    redacted: None,
                    path: part_path,
                }));
            } else if !text.is_empty() || signature.is_none() {
                out.push(Part::Text(Text {
                    text: text.to_owned(),
                    path: part_path,
                }));
            }
        } else if let Some(data) = get_object(part, "inlineData", "inline_data", &part_path)? {
            let media_type =
                need_str(data, either(data, "mimeType", "mime_type"), &part_path)?.to_owned();
            let source = Source::Base64 {
                data: need_str(data, "data", &part_path)?.to_owned(),
                media_type: media_type.clone(),
            };
            out.push(media_part(source, &media_type, part_path));
        } else if let Some(file) = get_object(part, "fileData", "file_data", &part_path)? {
            let media_type =
                str(file, either(file, "mimeType", "mime_type"), &part_path)?.map(str::to_owned);
            let source = Source::Url {
                url: need_str(file, either(file, "fileUri", "file_uri"), &part_path)?.to_owned(),
                media_type: media_type.clone(),
            };
            out.push(media_part(
                source,
                media_type.as_deref().unwrap_or(""),
                part_path,
            ));
        } else if let Some(call) = get_object(part, "functionCall", "function_call", &part_path)? {
            let call_path = at(&part_path, "functionCall");
            let name = need_str(call, "name", &call_path)?.to_owned();
            let id = match str(call, "id", &call_path)? {
                Some(id) => id.to_owned(),
                // The id a call without one gets: its turn and ordinal, so
                // that its result, matched by name, can point at it.
                None => format!("call_{at_index}_{ordinal}"),
            };
            ordinal += 1;
            let arguments = match call.get("args") {
                None | Some(Value::Null) => Value::Object(Map::new()),
                Some(args @ Value::Object(_)) => args.clone(),
                Some(_) => return Err(Error::shape(at(&call_path, "args"), "expected an object")),
            };
            out.push(Part::Call(Call {
                id,
                name,
                arguments,
                custom: false,
                signature: signature.map(str::to_owned),
                path: part_path,
            }));
        } else if let Some(response) =
            get_object(part, "functionResponse", "function_response", &part_path)?
        {
            let response_path = at(&part_path, "functionResponse");
            let name = need_str(response, "name", &response_path)?.to_owned();
            // Gemini ties a result to its call by name and order; an id
            // that names no call of the request gives way to that.
            let given = str(response, "id", &response_path)?;
            let id = match given {
                Some(id) if has_call(request, &out, id) => id.to_owned(),
                _ => unanswered_call(request, &out, &name)
                    .or_else(|| given.map(str::to_owned))
                    .unwrap_or_else(|| format!("call_{name}")),
            };
            let (text, error) = response_text(response.get("response"));
            out.push(Part::Result(ToolResult {
                id,
                name: Some(name),
                content: vec![Part::Text(Text {
                    text,
                    path: at(&response_path, "response"),
                })],
                error,
                custom: false,
                path: part_path,
            }));
        } else {
            notes.warn(
                part_path,
                "a part of this kind has no counterpart in the upstream's format; not sent",
            );
        }
    }
    request.turns.push(Turn { role, parts: out });
    Ok(())
}

fn media_part(source: Source, media_type: &str, path: String) -> Part {
    if media_type.starts_with("image/") {
        Part::Image(Media {
            source,
            detail: None,
            path,
        })
    } else {
        Part::Document(Document {
            source,
            name: None,
            path,
        })
    }
}

/// Whether a call of the request (or of the turn being read) has `id`.
fn has_call(request: &Request, current: &[Part], id: &str) -> bool {
    request
        .turns
        .iter()
        .flat_map(|t| &t.parts)
        .chain(current)
        .any(|part| matches!(part, Part::Call(call) if call.id == id))
}

/// The id of the earliest call named `name` that no result answers yet:
/// Gemini ties a result to its call by name and order.
fn unanswered_call(request: &Request, current: &[Part], name: &str) -> Option<String> {
    let parts = request.turns.iter().flat_map(|t| &t.parts).chain(current);
    let mut calls: Vec<&str> = Vec::new();
    for part in parts {
        match part {
            Part::Call(call) if call.name == name => calls.push(&call.id),
            Part::Result(result) => calls.retain(|id| *id != result.id),
            _ => {}
        }
    }
    calls.first().map(|id| (*id).to_owned())
}

/// A function response's text: its `output` or `error` member when it is
/// the only one (the shape Gemini's docs use), else the whole object as
/// JSON; and whether it is an error.
fn response_text(response: Option<&Value>) -> (String, bool) {
    let Some(Value::Object(response)) = response else {
        return (response.map_or(String::new(), Value::to_string), false);
    };
    if response.len() == 1 {
        for (name, error) in [
            ("output", false),
            ("result", false),
            ("content", false),
            ("error", true),
        ] {
            if let Some(value) = response.get(name) {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                return (text, error);
            }
        }
    }
    (Value::Object(response.clone()).to_string(), false)
}
