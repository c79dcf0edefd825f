//! Request translation, mapping by mapping, from the providers' documented
//! request shapes: instructions, content, tools and schemas, tool choice,
//! calls and results with their ids, reasoning, structured output,
//! warnings, strict mode and bad input.

use argstream::Format;
use argstream_translate::{
    ErrorKind, GEMINI_SKIP_SIGNATURE, Options, Translated, translate_request,
};
use serde_json::{Value, json};

const FORMATS: [Format; 4] = [
    Format::OpenAiChat,
    Format::OpenAiResponses,
    Format::Anthropic,
    Format::Gemini,
];

fn options() -> Options {
    Options {
        client_model: Some("client-model".into()),
        client_stream: true,
        ..Options::default()
    }
}

fn translate(body: &Value, from: Format, to: Format) -> (Value, Translated) {
    let out = translate_request(body.to_string().as_bytes(), from, to, &options())
        .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
    (serde_json::from_slice(&out.body).unwrap(), out)
}

/// One conversation in each format: instructions, a question with an image,
/// the assistant's text and call, the call's result, and a follow-up.
fn conversation(format: Format) -> Value {
    let schema =
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]});
    match format {
        Format::OpenAiChat => json!({
            "model": "m", "stream": true, "max_tokens": 500,
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "Weather here?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
                {"role": "assistant", "content": "Checking.", "tool_calls": [
                    {"id": "call_abc", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                {"role": "tool", "tool_call_id": "call_abc", "content": "sunny"},
                {"role": "user", "content": "Thanks"}],
            "tools": [{"type": "function", "function": {"name": "weather", "description": "Weather.", "parameters": schema}}]
        }),
        Format::OpenAiResponses => json!({
            "model": "m", "stream": true, "max_output_tokens": 500, "instructions": "Be brief.",
            "input": [
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "Weather here?"},
                    {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}]},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
                {"type": "function_call", "call_id": "call_abc", "name": "weather", "arguments": "{\"city\":\"Paris\"}"},
                {"type": "function_call_output", "call_id": "call_abc", "output": "sunny"},
                {"role": "user", "content": "Thanks"}],
            "tools": [{"type": "function", "name": "weather", "description": "Weather.", "parameters": schema}]
        }),
        Format::Anthropic => json!({
            "model": "m", "stream": true, "max_tokens": 500, "system": "Be brief.",
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "Weather here?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "call_abc", "name": "weather", "input": {"city": "Paris"}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_abc", "content": "sunny"},
                    {"type": "text", "text": "Thanks"}]}],
            "tools": [{"name": "weather", "description": "Weather.", "input_schema": schema}]
        }),
        _ => json!({
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "contents": [
                {"role": "user", "parts": [
                    {"text": "Weather here?"},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]},
                {"role": "model", "parts": [
                    {"text": "Checking."},
                    {"functionCall": {"id": "call_abc", "name": "weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}]},
                {"role": "user", "parts": [
                    {"functionResponse": {"id": "call_abc", "name": "weather", "response": {"output": "sunny"}}},
                    {"text": "Thanks"}]}],
            "tools": [{"functionDeclarations": [{"name": "weather", "description": "Weather.",
                "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}}]}],
            "generationConfig": {"maxOutputTokens": 500}
        }),
    }
}

/// What a body in `format` says, in one shape: the instructions, each
/// turn's role and its texts, calls (id, name, arguments) and results (id,
/// text), the tools' names and the output limit.
#[derive(Debug, PartialEq)]
struct Gist {
    system: String,
    turns: Vec<(String, Vec<String>)>,
    tools: Vec<String>,
    max_tokens: Option<u64>,
}

fn gist(body: &Value, format: Format) -> Gist {
    let mut turns: Vec<(String, Vec<String>)> = Vec::new();
    let mut push = |role: &str, item: String| match turns.last_mut() {
        Some((last, items)) if last == role => items.push(item),
        _ => turns.push((role.to_owned(), vec![item])),
    };
    let text_of = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    };
    let args = |v: &Value| -> Value {
        match v {
            Value::String(s) => serde_json::from_str(s).unwrap(),
            other => other.clone(),
        }
    };
    let (system, tools, max_tokens);
    match format {
        Format::OpenAiChat => {
            let mut sys = String::new();
            for m in body["messages"].as_array().unwrap() {
                match m["role"].as_str().unwrap() {
                    "system" => sys = text_of(&m["content"]),
                    "user" => {
                        for p in m["content"]
                            .as_array()
                            .cloned()
                            .unwrap_or_else(|| vec![json!({"type":"text","text":m["content"]})])
                        {
                            match p["type"].as_str().unwrap() {
                                "text" => {
                                    push("user", format!("text:{}", p["text"].as_str().unwrap()))
                                }
                                "image_url" => push(
                                    "user",
                                    format!("image:{}", p["image_url"]["url"].as_str().unwrap()),
                                ),
                                _ => {}
                            }
                        }
                    }
                    "assistant" => {
                        if !text_of(&m["content"]).is_empty() {
                            push("assistant", format!("text:{}", text_of(&m["content"])));
                        }
                        for c in m["tool_calls"].as_array().into_iter().flatten() {
                            push(
                                "assistant",
                                format!(
                                    "call:{}:{}:{}",
                                    c["id"].as_str().unwrap(),
                                    c["function"]["name"].as_str().unwrap(),
                                    args(&c["function"]["arguments"])
                                ),
                            );
                        }
                    }
                    "tool" => push(
                        "user",
                        format!(
                            "result:{}:{}",
                            m["tool_call_id"].as_str().unwrap(),
                            text_of(&m["content"])
                        ),
                    ),
                    _ => {}
                }
            }
            system = sys;
            tools = body["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
                .collect();
            max_tokens = body["max_completion_tokens"]
                .as_u64()
                .or(body["max_tokens"].as_u64());
        }
        Format::OpenAiResponses => {
            system = body["instructions"].as_str().unwrap_or("").to_owned();
            for item in body["input"].as_array().unwrap() {
                match item["type"].as_str().unwrap_or("message") {
                    "message" => {
                        let role = item["role"].as_str().unwrap();
                        for p in item["content"].as_array().cloned().unwrap_or_else(|| {
                            vec![json!({"type":"input_text","text":item["content"]})]
                        }) {
                            match p["type"].as_str().unwrap() {
                                "input_text" | "output_text" => {
                                    push(role, format!("text:{}", p["text"].as_str().unwrap()))
                                }
                                "input_image" => push(
                                    role,
                                    format!("image:{}", p["image_url"].as_str().unwrap()),
                                ),
                                _ => {}
                            }
                        }
                    }
                    "function_call" => push(
                        "assistant",
                        format!(
                            "call:{}:{}:{}",
                            item["call_id"].as_str().unwrap(),
                            item["name"].as_str().unwrap(),
                            args(&item["arguments"])
                        ),
                    ),
                    "function_call_output" => push(
                        "user",
                        format!(
                            "result:{}:{}",
                            item["call_id"].as_str().unwrap(),
                            text_of(&item["output"])
                        ),
                    ),
                    _ => {}
                }
            }
            tools = body["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            max_tokens = body["max_output_tokens"].as_u64();
        }
        Format::Anthropic => {
            system = text_of(&body["system"]);
            for m in body["messages"].as_array().unwrap() {
                let role = m["role"].as_str().unwrap();
                let blocks = m["content"]
                    .as_array()
                    .cloned()
                    .unwrap_or_else(|| vec![json!({"type":"text","text":m["content"]})]);
                for b in blocks {
                    match b["type"].as_str().unwrap() {
                        "text" => push(role, format!("text:{}", b["text"].as_str().unwrap())),
                        "image" => push(
                            role,
                            format!(
                                "image:data:{};base64,{}",
                                b["source"]["media_type"].as_str().unwrap(),
                                b["source"]["data"].as_str().unwrap()
                            ),
                        ),
                        "tool_use" => push(
                            role,
                            format!(
                                "call:{}:{}:{}",
                                b["id"].as_str().unwrap(),
                                b["name"].as_str().unwrap(),
                                b["input"]
                            ),
                        ),
                        "tool_result" => push(
                            role,
                            format!(
                                "result:{}:{}",
                                b["tool_use_id"].as_str().unwrap(),
                                text_of(&b["content"])
                            ),
                        ),
                        _ => {}
                    }
                }
            }
            tools = body["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            max_tokens = body["max_tokens"].as_u64();
        }
        _ => {
            system = text_of(&body["systemInstruction"]["parts"]);
            for c in body["contents"].as_array().unwrap() {
                let role = if c["role"] == "model" {
                    "assistant"
                } else {
                    "user"
                };
                for p in c["parts"].as_array().unwrap() {
                    if let Some(t) = p["text"].as_str() {
                        push(role, format!("text:{t}"));
                    } else if p["inlineData"].is_object() {
                        push(
                            role,
                            format!(
                                "image:data:{};base64,{}",
                                p["inlineData"]["mimeType"].as_str().unwrap(),
                                p["inlineData"]["data"].as_str().unwrap()
                            ),
                        );
                    } else if p["functionCall"].is_object() {
                        push(
                            role,
                            format!(
                                "call:{}:{}:{}",
                                p["functionCall"]["id"].as_str().unwrap(),
                                p["functionCall"]["name"].as_str().unwrap(),
                                p["functionCall"]["args"]
                            ),
                        );
                    } else if p["functionResponse"].is_object() {
                        push(
                            role,
                            format!(
                                "result:{}:{}",
                                p["functionResponse"]["id"].as_str().unwrap(),
                                p["functionResponse"]["response"]["output"]
                                    .as_str()
                                    .unwrap()
                            ),
                        );
                    }
                }
            }
            tools = body["tools"][0]["functionDeclarations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            max_tokens = body["generationConfig"]["maxOutputTokens"].as_u64();
        }
    }
    Gist {
        system,
        turns,
        tools,
        max_tokens,
    }
}

#[test]
fn every_pair_carries_the_conversation_with_its_ids() {
    for from in FORMATS {
        let body = conversation(from);
        let expected = gist(&body, from);
        for to in FORMATS {
            let (out, translated) = translate(&body, from, to);
            assert_eq!(gist(&out, to), expected, "{from} -> {to}: {out:#}");
            // Everything in the conversation has a counterpart: no warning
            // but Gemini's own thought signature, which only Gemini reads.
            for warning in &translated.warnings {
                assert!(
                    warning.path.contains("parts[1]") && from == Format::Gemini,
                    "{from} -> {to}: {warning}"
                );
            }
            // And back: the ids and the rest survive the round trip.
            let (back, _) = translate(&out, to, from);
            assert_eq!(gist(&back, from), expected, "{from} -> {to} -> {from}");
        }
    }
}

#[test]
fn instructions_land_in_each_formats_place() {
    let claude_code = json!({
        "model": "claude-x", "max_tokens": 128000,
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "system", "content": "Extra rules."},
            {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]},
            {"role": "system", "content": "A reminder."},
            {"role": "user", "content": "go on"}]
    });
    let (chat, out) = translate(&claude_code, Format::Anthropic, Format::OpenAiChat);
    assert_eq!(
        chat["messages"][0],
        json!({"role": "system", "content": "You are Claude Code.\n\nExtra rules."})
    );
    assert_eq!(
        chat["messages"][1],
        json!({"role": "user", "content": "hi"})
    );
    assert_eq!(
        chat["messages"][2],
        json!({"role": "system", "content": "A reminder."})
    );
    let paths: Vec<&str> = out.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "system[0].cache_control",
            "messages[1].content[0].cache_control"
        ]
    );

    let (responses, _) = translate(&claude_code, Format::Anthropic, Format::OpenAiResponses);
    assert_eq!(
        responses["instructions"],
        "You are Claude Code.\n\nExtra rules."
    );
    assert_eq!(responses["input"][1]["role"], "system");

    let (gemini, out) = translate(&claude_code, Format::Anthropic, Format::Gemini);
    assert_eq!(
        gemini["systemInstruction"]["parts"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.path == "messages[2].content" && w.message.contains("moved"))
    );

    let codex = json!({
        "model": "gpt-x", "instructions": null, "stream": true,
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Sandbox rules."}]},
            {"type": "message", "role": "user", "id": "msg_1", "content": [{"type": "input_text", "text": "hi"}]}],
        "store": false, "include": ["reasoning.encrypted_content"], "prompt_cache_key": "abc"
    });
    let (anthropic, out) = translate(&codex, Format::OpenAiResponses, Format::Anthropic);
    assert_eq!(
        anthropic["system"],
        json!([{"type": "text", "text": "Sandbox rules."}])
    );
    assert_eq!(
        anthropic["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
    );
    assert_eq!(anthropic["max_tokens"], 8192);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

#[test]
fn schemas_reach_gemini_in_its_subset_with_a_warning_for_each_loss() {
    let body = json!({
        "model": "claude-x", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "Bash", "input_schema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object", "additionalProperties": false,
            "properties": {
                "command": {"type": "string", "title": "Command", "pattern": "^[a-z]"},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 120},
                "mode": {"type": ["string", "null"], "enum": ["a", "b"]},
                "url": {"type": "string", "format": "uri"},
                "node": {"$ref": "#/$defs/node"},
                "empty": {"type": "object", "properties": {}}
            },
            "required": ["command", "missing"],
            "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}
        }}]
    });
    let (gemini, out) = translate(&body, Format::Anthropic, Format::Gemini);
    let parameters = &gemini["tools"][0]["functionDeclarations"][0]["parameters"];
    assert_eq!(parameters["type"], "OBJECT");
    assert_eq!(parameters["required"], json!(["command"]));
    assert!(
        parameters.get("$schema").is_none() && parameters.get("additionalProperties").is_none()
    );
    let properties = &parameters["properties"];
    assert_eq!(
        properties["command"],
        json!({"type": "STRING", "title": "Command", "pattern": "^[a-z]"})
    );
    assert_eq!(
        properties["timeout"],
        json!({"type": "NUMBER", "minimum": 0, "default": 120})
    );
    assert_eq!(
        properties["mode"],
        json!({"nullable": true, "type": "STRING", "enum": ["a", "b"]})
    );
    assert_eq!(properties["url"], json!({"type": "STRING"}));
    assert_eq!(properties["empty"], json!({"type": "OBJECT"}));
    // The recursive definition is inlined to a fixed depth, then cut.
    let mut node = &properties["node"];
    let mut depth = 0;
    while node["properties"]["next"].is_object() {
        node = &node["properties"]["next"];
        depth += 1;
    }
    assert_eq!(depth, argstream_translate::MAX_REF_DEPTH);
    let paths: Vec<&str> = out.warnings.iter().map(|w| w.path.as_str()).collect();
    for lost in [
        "tools[0].parameters.additionalProperties",
        "tools[0].parameters.properties.timeout.exclusiveMinimum",
        "tools[0].parameters.properties.url.format",
    ] {
        assert!(paths.contains(&lost), "{lost} not in {paths:?}");
    }
    // And from Gemini's capitals back to JSON Schema.
    let (back, _) = translate(&gemini, Format::Gemini, Format::OpenAiChat);
    let schema = &back["tools"][0]["function"]["parameters"];
    assert_eq!(schema["type"], "object");
    assert_eq!(
        schema["properties"]["mode"]["type"],
        json!(["string", "null"])
    );
}

#[test]
fn tool_choice_and_parallel_use_map_both_ways() {
    let base = |choice: Value, parallel: Option<bool>| {
        let mut body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}}],
            "tool_choice": choice});
        if let Some(parallel) = parallel {
            body["parallel_tool_calls"] = parallel.into();
        }
        body
    };
    let cases = [
        (
            json!("auto"),
            json!({"type": "auto"}),
            json!({"mode": "AUTO"}),
        ),
        (
            json!("none"),
            json!({"type": "none"}),
            json!({"mode": "NONE"}),
        ),
        (
            json!("required"),
            json!({"type": "any"}),
            json!({"mode": "ANY"}),
        ),
        (
            json!({"type": "function", "function": {"name": "f"}}),
            json!({"type": "tool", "name": "f"}),
            json!({"mode": "ANY", "allowedFunctionNames": ["f"]}),
        ),
    ];
    for (chat, anthropic, gemini) in cases {
        let body = base(chat.clone(), None);
        assert_eq!(
            translate(&body, Format::OpenAiChat, Format::Anthropic).0["tool_choice"],
            anthropic
        );
        assert_eq!(
            translate(&body, Format::OpenAiChat, Format::Gemini).0["toolConfig"]["functionCallingConfig"],
            gemini
        );
        let (responses, _) = translate(&body, Format::OpenAiChat, Format::OpenAiResponses);
        let (back, _) = translate(&responses, Format::OpenAiResponses, Format::OpenAiChat);
        assert_eq!(back["tool_choice"], chat);
    }
    let (anthropic, _) = translate(
        &base(json!("auto"), Some(false)),
        Format::OpenAiChat,
        Format::Anthropic,
    );
    assert_eq!(
        anthropic["tool_choice"],
        json!({"type": "auto", "disable_parallel_tool_use": true})
    );
    let (chat, _) = translate(&anthropic, Format::Anthropic, Format::OpenAiChat);
    assert_eq!(chat["parallel_tool_calls"], false);
    let (_, out) = translate(
        &base(json!("auto"), Some(false)),
        Format::OpenAiChat,
        Format::Gemini,
    );
    assert!(out.warnings.iter().any(|w| w.path == "parallel_tool_calls"));
}

#[test]
fn argument_streaming_is_asked_for() {
    let body = conversation(Format::OpenAiChat);
    let (anthropic, _) = translate(&body, Format::OpenAiChat, Format::Anthropic);
    assert_eq!(anthropic["tools"][0]["eager_input_streaming"], true);
    let (chat, _) = translate(
        &conversation(Format::Anthropic),
        Format::Anthropic,
        Format::OpenAiChat,
    );
    assert_eq!(chat["stream_options"], json!({"include_usage": true}));
    // Vertex's streamed arguments only when asked: the Gemini API refuses the field.
    let (gemini, _) = translate(&body, Format::OpenAiChat, Format::Gemini);
    assert!(gemini["toolConfig"].is_null());
    let vertex = Options {
        vertex_stream_arguments: true,
        ..options()
    };
    let out = translate_request(
        body.to_string().as_bytes(),
        Format::OpenAiChat,
        Format::Gemini,
        &vertex,
    )
    .unwrap();
    let gemini: Value = serde_json::from_slice(&out.body).unwrap();
    assert_eq!(
        gemini["toolConfig"]["functionCallingConfig"]["streamFunctionCallArguments"],
        true
    );
    assert_eq!(out.path, "/v1beta/models/m:streamGenerateContent?alt=sse");
}

#[test]
fn the_same_format_passes_through_with_the_relays_edits_only() {
    let body = json!({"model": "claude-x", "max_tokens": 10, "messages": [
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "EqQBCkYIBxgCKkB+/=="}]}],
        "tools": [{"name": "a", "input_schema": {"type": "object"}}, {"type": "web_search_20250305", "name": "web_search"}],
        "context_management": {"edits": []}});
    let opts = Options {
        model: Some("claude-y".into()),
        ..options()
    };
    let out = translate_request(
        body.to_string().as_bytes(),
        Format::Anthropic,
        Format::Anthropic,
        &opts,
    )
    .unwrap();
    let mut expected = body.clone();
    expected["model"] = "claude-y".into();
    expected["tools"][0]["eager_input_streaming"] = true.into();
    assert_eq!(
        serde_json::from_slice::<Value>(&out.body).unwrap(),
        expected
    );
    assert!(out.warnings.is_empty());
    // Gemini to Gemini keeps the call's thought signature.
    let gemini = conversation(Format::Gemini);
    let (same, _) = translate(&gemini, Format::Gemini, Format::Gemini);
    assert_eq!(same, gemini);
}

#[test]
fn gemini_calls_carry_a_thought_signature() {
    let (gemini, _) = translate(
        &conversation(Format::Anthropic),
        Format::Anthropic,
        Format::Gemini,
    );
    let call = &gemini["contents"][1]["parts"][1];
    assert_eq!(call["thoughtSignature"], GEMINI_SKIP_SIGNATURE);
    assert_eq!(call["functionCall"]["id"], "call_abc");
    assert_eq!(
        gemini["contents"][2]["parts"][0]["functionResponse"]["name"],
        "weather"
    );
}

#[test]
fn reasoning_effort_and_budget_map_by_one_table() {
    let chat = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "high", "max_completion_tokens": 1000});
    let (anthropic, _) = translate(&chat, Format::OpenAiChat, Format::Anthropic);
    assert_eq!(
        anthropic["thinking"],
        json!({"type": "enabled", "budget_tokens": 24576})
    );
    assert!(anthropic["max_tokens"].as_u64().unwrap() > 24576);
    let (gemini, _) = translate(&chat, Format::OpenAiChat, Format::Gemini);
    assert_eq!(
        gemini["generationConfig"]["thinkingConfig"],
        json!({"thinkingBudget": 24576, "includeThoughts": true})
    );
    let (back, _) = translate(&anthropic, Format::Anthropic, Format::OpenAiChat);
    assert_eq!(back["reasoning_effort"], "high");
    let (responses, _) = translate(&chat, Format::OpenAiChat, Format::OpenAiResponses);
    assert_eq!(
        responses["reasoning"],
        json!({"effort": "high", "summary": "auto"})
    );

    let claude_code = json!({"model": "c", "max_tokens": 32000, "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "adaptive"}, "output_config": {"effort": "medium"}});
    let (chat, _) = translate(&claude_code, Format::Anthropic, Format::OpenAiChat);
    assert_eq!(chat["reasoning_effort"], "medium");
}

#[test]
fn thinking_is_switched_off_when_a_foreign_call_is_under_way() {
    let body = json!({"model": "m", "reasoning_effort": "low", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]});
    let (anthropic, out) = translate(&body, Format::OpenAiChat, Format::Anthropic);
    assert!(anthropic.get("thinking").is_none());
    assert!(out.warnings.iter().any(|w| w.path == "thinking"));
    assert_eq!(
        anthropic["tools"][0]["input_schema"],
        json!({"type": "object", "properties": {}})
    );
}

#[test]
fn foreign_reasoning_is_not_sent_and_says_so() {
    let body = json!({"model": "m", "input": [
        {"role": "user", "content": "hi"},
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "hm"}], "encrypted_content": "gAAAAB-openai"},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"}]});
    let (same, _) = translate(&body, Format::OpenAiResponses, Format::OpenAiResponses);
    assert_eq!(same["input"][1]["encrypted_content"], "gAAAAB-openai");
    let (anthropic, out) = translate(&body, Format::OpenAiResponses, Format::Anthropic);
    assert_eq!(anthropic["messages"][1]["content"][0]["type"], "tool_use");
    assert_eq!(
        out.warnings.iter().filter(|w| w.path == "input[1]").count(),
        1
    );
}

#[test]
fn structured_output_maps_where_the_api_has_it() {
    let schema = json!({"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"], "additionalProperties": false});
    let chat = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": true}}});
    let (responses, _) = translate(&chat, Format::OpenAiChat, Format::OpenAiResponses);
    assert_eq!(
        responses["text"]["format"],
        json!({"type": "json_schema", "name": "reply", "schema": schema, "strict": true})
    );
    let (anthropic, _) = translate(&chat, Format::OpenAiChat, Format::Anthropic);
    assert_eq!(
        anthropic["output_config"]["format"],
        json!({"type": "json_schema", "schema": schema})
    );
    let (gemini, _) = translate(&chat, Format::OpenAiChat, Format::Gemini);
    assert_eq!(
        gemini["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert_eq!(
        gemini["generationConfig"]["responseSchema"]["properties"]["answer"]["type"],
        "STRING"
    );
    let json_object = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}});
    let (_, out) = translate(&json_object, Format::OpenAiChat, Format::Anthropic);
    assert_eq!(out.warnings[0].path, "response_format");
}

#[test]
fn custom_and_built_in_tools_translate_or_warn() {
    let codex = json!({"model": "gpt", "input": "hi", "tools": [
        {"type": "custom", "name": "apply_patch", "description": "Patch files.", "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}},
        {"type": "web_search"},
        {"type": "tool_search"}]});
    let (anthropic, out) = translate(&codex, Format::OpenAiResponses, Format::Anthropic);
    assert_eq!(anthropic["tools"][0]["name"], "apply_patch");
    assert_eq!(
        anthropic["tools"][0]["input_schema"]["properties"]["input"]["type"],
        "string"
    );
    assert_eq!(
        anthropic["tools"][1],
        json!({"type": "web_search_20250305", "name": "web_search"})
    );
    assert_eq!(anthropic["tools"].as_array().unwrap().len(), 2);
    let paths: Vec<&str> = out.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(paths, ["tools[0]", "tools[2]"]);
    let (gemini, _) = translate(&codex, Format::OpenAiResponses, Format::Gemini);
    // Gemini takes its search only without function tools.
    assert_eq!(gemini["tools"].as_array().unwrap().len(), 1);
    let search = json!({"model": "gpt", "input": "hi", "tools": [{"type": "web_search"}]});
    let (gemini, _) = translate(&search, Format::OpenAiResponses, Format::Gemini);
    assert_eq!(gemini["tools"], json!([{"googleSearch": {}}]));
    // A freeform call and its output keep their shape back in Responses.
    let history = json!({"model": "gpt", "tools": codex["tools"], "input": [
        {"role": "user", "content": "hi"},
        {"type": "custom_tool_call", "call_id": "c9", "name": "apply_patch", "input": "*** Begin Patch"},
        {"type": "custom_tool_call_output", "call_id": "c9", "output": "done"}]});
    let (anthropic, _) = translate(&history, Format::OpenAiResponses, Format::Anthropic);
    assert_eq!(
        anthropic["messages"][1]["content"][0]["input"],
        json!({"input": "*** Begin Patch"})
    );
}

#[test]
fn strict_mode_makes_the_first_warning_an_error() {
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 3, "logprobs": true});
    let strict = Options {
        strict: true,
        ..options()
    };
    let error = translate_request(
        body.to_string().as_bytes(),
        Format::OpenAiChat,
        Format::Anthropic,
        &strict,
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Untranslatable);
    assert_eq!(error.path(), "logprobs");
    let lenient = translate_request(
        body.to_string().as_bytes(),
        Format::OpenAiChat,
        Format::Anthropic,
        &options(),
    )
    .unwrap();
    let paths: Vec<&str> = lenient.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(paths, ["logprobs", "seed"]);
}

#[test]
fn bad_input_is_an_error_with_its_kind_and_path() {
    let error = translate_request(
        b"{\"model\": \"m\",\n  \"messages\": [}",
        Format::OpenAiChat,
        Format::Anthropic,
        &options(),
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotJson);
    assert_eq!(error.offset(), Some(30)); // the `}` after `[`
    let cases: [(&str, Format, &str); 6] = [
        (r#"[1]"#, Format::OpenAiChat, "$"),
        (
            r#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#,
            Format::OpenAiChat,
            "messages[0].role",
        ),
        (
            r#"{"model":"m","messages":[{"role":"user","content":5}]}"#,
            Format::OpenAiChat,
            "messages[0].content",
        ),
        (
            r#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}"#,
            Format::Anthropic,
            "messages[0].content[0].source.type",
        ),
        (
            r#"{"model":"m","input":[{"type":"function_call","name":"f"}]}"#,
            Format::OpenAiResponses,
            "input[0].call_id",
        ),
        (
            r#"{"contents":[{"role":"model","parts":[{"functionCall":{"args":{}}}]}]}"#,
            Format::Gemini,
            "contents[0].parts[0].functionCall.name",
        ),
    ];
    for (body, from, path) in cases {
        let error =
            translate_request(body.as_bytes(), from, other_than(from), &options()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Shape, "{body}");
        assert_eq!(error.path(), path, "{body}");
    }
    let no_model = translate_request(
        br#"{"messages":[]}"#,
        Format::OpenAiChat,
        Format::Anthropic,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(no_model.kind(), ErrorKind::MissingModel);
    let orphan = json!({"model": "m", "messages": [{"role": "tool", "tool_call_id": "nobody", "content": "x"}]});
    let error = translate_request(
        orphan.to_string().as_bytes(),
        Format::OpenAiChat,
        Format::Gemini,
        &options(),
    )
    .unwrap_err();
    assert_eq!(error.path(), "messages[0]");
    let bedrock =
        translate_request(b"{}", Format::Bedrock, Format::Anthropic, &options()).unwrap_err();
    assert_eq!(bedrock.kind(), ErrorKind::UnsupportedFormat);
}

/// A format other than `format`, so that a body is read, not passed through.
fn other_than(format: Format) -> Format {
    if format == Format::OpenAiResponses {
        Format::Anthropic
    } else {
        Format::OpenAiResponses
    }
}

/// The real clients' requests (`tests/data`: Claude Code's and Codex's, as
/// they sent them to a listener on loopback) reach every other format
/// whole: their instructions, tools and conversation, with reasoning asked
/// for, and warnings only for what has no counterpart.
#[test]
fn real_client_requests_reach_every_format() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let fixtures = [
        ("claude_code_request.json", Format::Anthropic),
        ("claude_code_request_tool_result.json", Format::Anthropic),
        ("claude_code_title_request.json", Format::Anthropic),
        ("claude_code_interactive_request.json", Format::Anthropic),
        ("codex_request.json", Format::OpenAiResponses),
        ("codex_request_tool_result.json", Format::OpenAiResponses),
    ];
    for (file, from) in fixtures {
        let body: Value =
            serde_json::from_slice(&std::fs::read(format!("{data}{file}")).unwrap()).unwrap();
        for to in FORMATS.into_iter().filter(|to| *to != from) {
            let (out, translated) = translate(&body, from, to);
            let gist = |v: &Value| v.to_string();
            // Instructions arrive in the upstream's place.
            let instructions = match to {
                Format::OpenAiChat => gist(&out["messages"][0]["content"]),
                Format::OpenAiResponses => gist(&out["instructions"]),
                Format::Anthropic => gist(&out["system"]),
                _ => gist(&out["systemInstruction"]),
            };
            assert!(instructions.len() > 100, "{file} -> {to}: {instructions}");
            // Every function tool arrives; built-ins only where they have a
            // counterpart, with a warning where not.
            let functions = |v: &Value, format: Format| -> usize {
                match format {
                    Format::Gemini => v["tools"][0]["functionDeclarations"]
                        .as_array()
                        .map_or(0, Vec::len),
                    Format::OpenAiResponses => v["tools"].as_array().map_or(0, |t| {
                        t.iter()
                            .filter(|t| t["type"] == "function" || t["type"] == "custom")
                            .count()
                    }),
                    Format::OpenAiChat => v["tools"].as_array().map_or(0, Vec::len),
                    _ => v["tools"].as_array().map_or(0, |t| {
                        t.iter().filter(|t| t.get("input_schema").is_some()).count()
                    }),
                }
            };
            assert_eq!(
                functions(&out, to),
                functions(&body, from),
                "{file} -> {to}"
            );
            // A call and its result keep their id.
            let text = out.to_string();
            for id in ["toolu_", "call_"] {
                if body.to_string().contains(&format!("\"{id}")) && file.contains("tool_result") {
                    assert!(text.contains(id), "{file} -> {to}: lost the {id} ids");
                }
            }
            for warning in &translated.warnings {
                assert!(!warning.path.is_empty() && !warning.message.is_empty());
            }
        }
    }
}

#[test]
fn codex_asks_every_upstream_to_reason() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/codex_request.json");
    let body: Value = serde_json::from_slice(&std::fs::read(data).unwrap()).unwrap();
    let (anthropic, _) = translate(&body, Format::OpenAiResponses, Format::Anthropic);
    assert_eq!(
        anthropic["thinking"],
        json!({"type": "enabled", "budget_tokens": 8192})
    );
    let (chat, _) = translate(&body, Format::OpenAiResponses, Format::OpenAiChat);
    assert_eq!(chat["reasoning_effort"], "medium");
    let (gemini, _) = translate(&body, Format::OpenAiResponses, Format::Gemini);
    assert_eq!(
        gemini["generationConfig"]["thinkingConfig"]["thinkingBudget"],
        8192
    );
}

#[test]
fn signed_reasoning_of_the_clients_format_reaches_the_provider_that_signed_it() {
    // Codex in front of Anthropic: the relay gave Claude's thinking back in
    // a reasoning item, its signature as encrypted_content.
    let codex = json!({"model": "m", "reasoning": {"effort": "low"}, "input": [
        {"role": "user", "content": "hi"},
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Let me look."}], "encrypted_content": "EqQBCkYIBxgC"},
        {"type": "function_call", "call_id": "toolu_1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "toolu_1", "output": "ok"},
        {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "gAAAAopenai"}]});
    let (anthropic, out) = translate(&codex, Format::OpenAiResponses, Format::Anthropic);
    assert_eq!(
        anthropic["messages"][1]["content"][0],
        json!({"type": "thinking", "thinking": "Let me look.", "signature": "EqQBCkYIBxgC"})
    );
    // With the thinking block before the call, thinking stays on.
    assert_eq!(anthropic["thinking"]["type"], "enabled");
    // OpenAI's own encrypted reasoning is not Anthropic's to read.
    assert_eq!(
        out.warnings
            .iter()
            .map(|w| w.path.as_str())
            .collect::<Vec<_>>(),
        ["input[4]"]
    );
    // Claude Code in front of Gemini: a thinking block signed by Gemini.
    let claude = json!({"model": "m", "max_tokens": 50, "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "Cg0Iqx"}, {"type": "text", "text": "ok"}]},
        {"role": "user", "content": "go"}]});
    let (gemini, _) = translate(&claude, Format::Anthropic, Format::Gemini);
    assert_eq!(
        gemini["contents"][1]["parts"][0],
        json!({"thought": true, "text": "hm", "thoughtSignature": "Cg0Iqx"})
    );
    // Toward chat, which has no field for it, and Responses, which needs
    // OpenAI's item id: left out.
    for to in [Format::OpenAiChat, Format::OpenAiResponses] {
        let (_, out) = translate(&claude, Format::Anthropic, to);
        assert!(
            out.warnings
                .iter()
                .any(|w| w.path == "messages[1].content[0]"),
            "{to}"
        );
    }
}

/// The fuzz target's finds (`tests/fuzz/`, its input layout: a byte that
/// picks the client's and the upstream's format, then the body): each
/// translates back, or is refused with an error.
#[test]
fn fuzz_finds_stay_fixed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz");
    for entry in std::fs::read_dir(dir).unwrap() {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        let (&pick, body) = input.split_first().unwrap();
        let from = FORMATS[usize::from(pick & 3)];
        let to = FORMATS[usize::from((pick >> 2) & 3)];
        let options = Options {
            model: Some("m".into()),
            client_model: Some("m".into()),
            ..Options::default()
        };
        if let Ok(there) = translate_request(body, from, to, &options) {
            translate_request(&there.body, to, from, &options)
                .unwrap_or_else(|e| panic!("{from} -> {to} -> {from}: {e}"));
        }
    }
}

/// A definition that refers to itself twice doubles at every level it is
/// inlined: the inlining is bounded in all, not only in depth.
#[test]
fn a_schema_that_refers_to_itself_often_stays_small_toward_gemini() {
    let node = json!({"type": "object", "properties": {
        "a": {"$ref": "#/$defs/n"}, "b": {"$ref": "#/$defs/n"}, "c": {"$ref": "#/$defs/n"},
        "d": {"$ref": "#/$defs/n"}, "e": {"$ref": "#/$defs/n"}}});
    let body = json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "t", "input_schema": {"type": "object",
            "properties": {"root": {"$ref": "#/$defs/n"}}, "$defs": {"n": node}}}]});
    let (gemini, out) = translate(&body, Format::Anthropic, Format::Gemini);
    let text = gemini.to_string();
    // 5^8 nodes were the depth alone the bound; the budget keeps it to its own.
    assert!(
        text.matches("\"properties\"").count() <= argstream_translate::MAX_REF_INLINES + 2,
        "{}",
        text.len()
    );
    assert!(out.warnings.iter().any(|w| w.message.contains("cut here")));
}
