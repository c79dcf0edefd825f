//! Toward Gemini `generateContent`: instructions as `systemInstruction`,
//! `user` and `model` turns that alternate, calls as `functionCall` parts
//! (each model turn's first one with a thought signature: its own, or the
//! one Gemini documents for a call it did not make), results as
//! `functionResponse` parts named after their call, in the user turn right
//! after it; schemas brought into Gemini's subset (see [`crate::schema`]).
//! The model and whether to stream go in the path, not the body.

use argstream::Format;
use serde_json::{Map, Value, json};

use super::{
    custom_arguments, custom_as_function, merged, result_text, warn_tool, warn_unsupported,
};
use crate::error::Notes;
use crate::ir::{
    Output, Part, Reasoning, Request, Role, Source, Tool, ToolChoice, budget_of, media_type_of_url,
};
use crate::schema::to_gemini;
use crate::{Error, GEMINI_SKIP_SIGNATURE, Options};

pub(super) fn write(
    request: Request,
    options: &Options,
    notes: &mut Notes,
) -> Result<Map<String, Value>, Error> {
    warn_unsupported(&request, "Gemini", &["user", "parallel"], notes);
    let mut body = Map::new();
    let mut system: Vec<Value> = request
        .system
        .iter()
        .map(|t| json!({"text": t.text}))
        .collect();
    let custom_names = request.custom_tool_names();
    let mut contents = Vec::new();
    for turn in merged(request.turns.clone()) {
        match turn.role {
            Role::System => {
                for part in &turn.parts {
                    if let Part::Text(text) = part {
                        notes.warn(
                            &text.path,
                            "Gemini has instructions only before the conversation; moved into systemInstruction",
                        );
                        system.push(json!({"text": text.text}));
                    }
                }
            }
            Role::User => {
                let mut parts = Vec::new();
                let mut rest = Vec::new();
                for part in &turn.parts {
                    match part {
                        Part::Result(result) => {
                            let name = match result
                                .name
                                .clone()
                                .or_else(|| request.call_name(&result.id).map(str::to_owned))
                            {
                                Some(name) => name,
                                None => {
                                    return Err(Error::shape(
                                        &result.path,
                                        "this result answers no call in the request, and Gemini ties results to calls by name",
                                    ));
                                }
                            };
                            let text = result_text(&result.content);
                            let response = if result.error {
                                json!({"error": text})
                            } else {
                                json!({"output": text})
                            };
                            parts.push(json!({"functionResponse": {"id": result.id, "name": name, "response": response}}));
                            for inner in &result.content {
                                if let Part::Image(_) = inner {
                                    notes.warn(
                                        &result.path,
                                        "the result's image is sent as a part of the user turn beside the function's response",
                                    );
                                    rest.extend(part_of(inner, notes));
                                }
                            }
                        }
                        other => rest.extend(part_of(other, notes)),
                    }
                }
                parts.extend(rest);
                if !parts.is_empty() {
                    contents.push(json!({"role": "user", "parts": parts}));
                }
            }
            Role::Assistant => {
                let mut parts = Vec::new();
                let mut signed = false;
                for part in &turn.parts {
                    match part {
                        Part::Call(call) => {
                            let args = if call.custom || custom_names.contains(&call.name.as_str())
                            {
                                custom_arguments(&call.arguments)
                            } else {
                                call.arguments.clone()
                            };
                            let mut part = json!({"functionCall": {"id": call.id, "name": call.name, "args": args}});
                            match &call.signature {
                                Some(signature) => {
                                    part["thoughtSignature"] = signature.clone().into()
                                }
                                None if !signed => {
                                    part["thoughtSignature"] = GEMINI_SKIP_SIGNATURE.into()
                                }
                                None => {}
                            }
                            signed = true;
                            parts.push(part);
                        }
                        Part::Thinking(thinking) if thinking.origin == Format::Gemini => {
                            let mut part = json!({"thought": true, "text": thinking.text});
                            if let Some(signature) = &thinking.signature {
                                part["thoughtSignature"] = signature.clone().into();
                            }
                            parts.push(part);
                        }
                        other => parts.extend(part_of(other, notes)),
                    }
                }
                if !parts.is_empty() {
                    contents.push(json!({"role": "model", "parts": parts}));
                }
            }
        }
    }
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({"parts": system}));
    }
    body.insert("contents".into(), Value::Array(contents));
    let mut declarations = Vec::new();
    let mut tools = Vec::new();
    let has_functions = request
        .tools
        .iter()
        .any(|tool| matches!(tool, Tool::Function(_) | Tool::Custom { .. }));
    for tool in &request.tools {
        match tool {
            Tool::Function(function) => {
                let mut declaration = Map::new();
                declaration.insert("name".into(), function.name.clone().into());
                if let Some(description) = &function.description {
                    declaration.insert("description".into(), description.clone().into());
                }
                let schema = to_gemini(
                    &function.schema,
                    &crate::json::at(&function.path, "parameters"),
                    notes,
                );
                if schema.contains_key("properties")
                    || schema.get("type").is_some_and(|t| t != "OBJECT")
                {
                    declaration.insert("parameters".into(), Value::Object(schema));
                }
                declarations.push(Value::Object(declaration));
            }
            Tool::Custom {
                name,
                description,
                path,
                ..
            } => {
                let function = custom_as_function(name, description.as_deref(), path, notes);
                let parameters = function["parameters"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                declarations.push(json!({
                    "name": name,
                    "description": function["description"],
                    "parameters": to_gemini(&parameters, path, notes),
                }));
            }
            // Gemini 2 refuses its search beside function declarations.
            Tool::WebSearch { path } if has_functions => notes.warn(
                path,
                "Gemini takes its web search only without function tools; not sent",
            ),
            Tool::WebSearch { .. } => tools.push(json!({"googleSearch": {}})),
            other => warn_tool(other, "Gemini", notes),
        }
    }
    if !declarations.is_empty() {
        tools.insert(0, json!({"functionDeclarations": declarations}));
    }
    let has_tools = !tools.is_empty();
    if has_tools {
        body.insert("tools".into(), Value::Array(tools));
    }
    let mut calling = Map::new();
    match &request.tool_choice {
        Some(ToolChoice::Auto) => {
            calling.insert("mode".into(), "AUTO".into());
        }
        Some(ToolChoice::None) => {
            calling.insert("mode".into(), "NONE".into());
        }
        Some(ToolChoice::Required) => {
            calling.insert("mode".into(), "ANY".into());
        }
        Some(ToolChoice::Named(name)) => {
            calling.insert("mode".into(), "ANY".into());
            calling.insert("allowedFunctionNames".into(), json!([name]));
        }
        None => {}
    }
    if options.vertex_stream_arguments && has_tools {
        calling.insert("streamFunctionCallArguments".into(), true.into());
    }
    if !calling.is_empty() && has_tools {
        body.insert(
            "toolConfig".into(),
            json!({"functionCallingConfig": calling}),
        );
    }
    let mut config = Map::new();
    if let Some(max) = request.capped_max_tokens(options.max_tokens_cap) {
        config.insert("maxOutputTokens".into(), max.into());
    }
    for (name, value) in [
        ("temperature", request.temperature),
        ("topP", request.top_p),
        ("presencePenalty", request.presence_penalty),
        ("frequencyPenalty", request.frequency_penalty),
    ] {
        if let Some(value) = value {
            config.insert(name.into(), value.into());
        }
    }
    if let Some(top_k) = request.top_k {
        config.insert("topK".into(), top_k.into());
    }
    if let Some(seed) = request.seed {
        config.insert("seed".into(), seed.into());
    }
    if let Some(n) = request.choices {
        config.insert("candidateCount".into(), n.into());
    }
    if !request.stop.is_empty() {
        config.insert("stopSequences".into(), request.stop.clone().into());
    }
    let thinking = match &request.reasoning {
        Some(Reasoning::Budget(budget)) => {
            Some(json!({"thinkingBudget": budget, "includeThoughts": true}))
        }
        Some(Reasoning::Effort(effort)) | Some(Reasoning::Adaptive(Some(effort))) => {
            budget_of(effort)
                .map(|budget| json!({"thinkingBudget": budget, "includeThoughts": true}))
        }
        Some(Reasoning::Adaptive(None)) => {
            Some(json!({"thinkingBudget": -1, "includeThoughts": true}))
        }
        Some(Reasoning::Disabled) | None => None,
    };
    if let Some(thinking) = thinking {
        config.insert("thinkingConfig".into(), thinking);
    }
    match &request.output {
        Some(Output::JsonSchema { schema, path, .. }) => {
            config.insert("responseMimeType".into(), "application/json".into());
            config.insert(
                "responseSchema".into(),
                Value::Object(to_gemini(schema, path, notes)),
            );
        }
        Some(Output::JsonObject { .. }) => {
            config.insert("responseMimeType".into(), "application/json".into());
        }
        None => {}
    }
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    Ok(body)
}

fn part_of(part: &Part, notes: &mut Notes) -> Option<Value> {
    Some(match part {
        Part::Text(t) | Part::Refusal(t) => {
            if t.text.is_empty() {
                return None;
            }
            json!({"text": t.text})
        }
        Part::Image(media) => media_part(&media.source, &media.path, "image/jpeg", notes)?,
        Part::Document(document) => {
            media_part(&document.source, &document.path, "application/pdf", notes)?
        }
        Part::Call(call) => {
            notes.warn(
                &call.path,
                "a call in a user turn has no counterpart; not sent",
            );
            return None;
        }
        Part::Thinking(_) | Part::Result(_) => return None,
    })
}

fn media_part(source: &Source, path: &str, fallback: &str, notes: &mut Notes) -> Option<Value> {
    Some(match source {
        Source::Base64 { media_type, data } => {
            json!({"inlineData": {"mimeType": media_type, "data": data}})
        }
        Source::Url { url, media_type } => {
            let media_type = match media_type.as_deref().or_else(|| media_type_of_url(url)) {
                Some(known) => known.to_owned(),
                None => {
                    notes.warn(
                        path,
                        format!("the address names no media type; sent as {fallback}"),
                    );
                    fallback.to_owned()
                }
            };
            json!({"fileData": {"mimeType": media_type, "fileUri": url}})
        }
        Source::Text { text } => json!({"text": text}),
        Source::File { .. } => {
            notes.warn(
                path,
                "a file id of another provider has no counterpart in Gemini; not sent",
            );
            return None;
        }
    })
}
