//! Whole answers and error bodies from each format into each other, from
//! the providers' documented example answers.

use argstream::Format;
use argstream_translate::{
    ErrorKind, MAX_ERROR_MESSAGE, ResponseOptions, translate_error, translate_response,
};
use serde_json::{Value, json};

const FORMATS: [Format; 4] = [
    Format::OpenAiChat,
    Format::OpenAiResponses,
    Format::Anthropic,
    Format::Gemini,
];

/// A documented answer: its format, a name, and the body.
struct Example {
    format: Format,
    name: &'static str,
    body: Value,
}

fn examples() -> Vec<Example> {
    let chat = |name, body| Example {
        format: Format::OpenAiChat,
        name,
        body,
    };
    let responses = |name, body| Example {
        format: Format::OpenAiResponses,
        name,
        body,
    };
    let anthropic = |name, body| Example {
        format: Format::Anthropic,
        name,
        body,
    };
    let gemini = |name, body| Example {
        format: Format::Gemini,
        name,
        body,
    };
    vec![
        chat(
            "chat text",
            json!({
                "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
                "object": "chat.completion",
                "created": 1741569952,
                "model": "gpt-4.1-2025-04-14",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello! How can I assist you today?", "refusal": null, "annotations": []},
                    "logprobs": null,
                    "finish_reason": "stop"
                }],
                "usage": {
                    "prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
                    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
                },
                "service_tier": "default"
            }),
        ),
        chat(
            "chat tool call",
            json!({
                "id": "chatcmpl-abc123",
                "object": "chat.completion",
                "created": 1699896916,
                "model": "gpt-4o-mini",
                "choices": [{
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": null,
                        "tool_calls": [{
                            "id": "call_abc123",
                            "type": "function",
                            "function": {"name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}"}
                        }]
                    },
                    "logprobs": null,
                    "finish_reason": "tool_calls"
                }],
                "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
                          "prompt_tokens_details": {"cached_tokens": 64}}
            }),
        ),
        chat(
            "chat parallel calls with text, finishing with stop",
            json!({
                "id": "chatcmpl-par",
                "object": "chat.completion",
                "created": 1741569952,
                "model": "gpt-4.1",
                "choices": [{
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "Checking both cities.",
                        "tool_calls": [
                            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris, France\"}"}},
                            {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\":\"Bogotá, Colombia\"}"}},
                            {"id": "call_3", "type": "function", "function": {"name": "now", "arguments": ""}}
                        ]
                    },
                    "finish_reason": "stop"
                }]
            }),
        ),
        chat(
            "chat reasoning",
            json!({
                "id": "0195c4f2-deepseek",
                "object": "chat.completion",
                "created": 1741569952,
                "model": "deepseek-reasoner",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "reasoning_content": "9.11 < 9.8 since 0.11 < 0.8.", "content": "9.8 is greater."},
                    "finish_reason": "stop"
                }],
                "usage": {"prompt_tokens": 15, "completion_tokens": 120, "total_tokens": 135,
                          "completion_tokens_details": {"reasoning_tokens": 100}}
            }),
        ),
        chat(
            "chat refusal",
            json!({
                "id": "chatcmpl-refuse",
                "object": "chat.completion",
                "created": 1741569952,
                "model": "gpt-4o-2024-08-06",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": null, "refusal": "I'm sorry, I cannot assist with that request."},
                    "finish_reason": "stop"
                }]
            }),
        ),
        chat(
            "chat length",
            json!({
                "id": "chatcmpl-long",
                "object": "chat.completion",
                "created": 1741569952,
                "model": "gpt-4.1",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Once upon a"}, "finish_reason": "length"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
            }),
        ),
        responses(
            "responses text",
            json!({
                "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
                "object": "response",
                "created_at": 1741476542,
                "status": "completed",
                "error": null,
                "incomplete_details": null,
                "instructions": null,
                "max_output_tokens": null,
                "model": "gpt-4.1-2025-04-14",
                "output": [{
                    "type": "message",
                    "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "In a peaceful grove beneath a silver moon, a unicorn named Lumina discovered a hidden pool.", "annotations": []}]
                }],
                "parallel_tool_calls": true,
                "previous_response_id": null,
                "reasoning": {"effort": null, "summary": null},
                "store": true,
                "temperature": 1.0,
                "text": {"format": {"type": "text"}},
                "tool_choice": "auto",
                "tools": [],
                "top_p": 1.0,
                "truncation": "disabled",
                "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123},
                "user": null,
                "metadata": {}
            }),
        ),
        responses(
            "responses reasoning and parallel calls",
            json!({
                "id": "resp_68af",
                "object": "response",
                "created_at": 1756315696,
                "status": "completed",
                "model": "gpt-5-2025-08-07",
                "output": [
                    {"id": "rs_68af", "type": "reasoning", "summary": [
                        {"type": "summary_text", "text": "**Checking the weather**"},
                        {"type": "summary_text", "text": "Two cities, two calls."}
                    ], "encrypted_content": "gAAAAABor-encrypted"},
                    {"type": "function_call", "id": "fc_12345xyz", "call_id": "call_12345xyz", "name": "get_weather", "arguments": "{\"location\":\"Paris, France\"}", "status": "completed"},
                    {"type": "function_call", "id": "fc_67890abc", "call_id": "call_67890abc", "name": "get_weather", "arguments": "{\"location\":\"Bogotá, Colombia\"}", "status": "completed"}
                ],
                "usage": {"input_tokens": 300, "input_tokens_details": {"cached_tokens": 256}, "output_tokens": 150, "output_tokens_details": {"reasoning_tokens": 128}, "total_tokens": 450}
            }),
        ),
        responses(
            "responses refusal",
            json!({
                "id": "resp_refuse",
                "object": "response",
                "created_at": 1741476542,
                "status": "completed",
                "model": "gpt-4o-2024-08-06",
                "output": [{"type": "message", "id": "msg_r", "status": "completed", "role": "assistant",
                            "content": [{"type": "refusal", "refusal": "I'm sorry, I cannot assist with that request."}]}]
            }),
        ),
        responses(
            "responses incomplete",
            json!({
                "id": "resp_short",
                "object": "response",
                "created_at": 1741476542,
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
                "model": "gpt-4.1",
                "output": [{"type": "message", "id": "msg_s", "status": "incomplete", "role": "assistant",
                            "content": [{"type": "output_text", "text": "Once upon a", "annotations": []}]}],
                "usage": {"input_tokens": 10, "output_tokens": 3, "total_tokens": 13}
            }),
        ),
        anthropic(
            "anthropic text",
            json!({
                "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5-20250929",
                "content": [{"type": "text", "text": "Hello!"}],
                "stop_reason": "end_turn",
                "stop_sequence": null,
                "usage": {"input_tokens": 12, "output_tokens": 6}
            }),
        ),
        anthropic(
            "anthropic text and tool use",
            json!({
                "id": "msg_01Aq9w938a90dw8q",
                "type": "message",
                "role": "assistant",
                "model": "claude-opus-4-1-20250805",
                "content": [
                    {"type": "text", "text": "I'll check the current weather in San Francisco for you."},
                    {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA", "unit": "celsius"}}
                ],
                "stop_reason": "tool_use",
                "stop_sequence": null,
                "usage": {"input_tokens": 21, "cache_creation_input_tokens": 188086, "cache_read_input_tokens": 0, "output_tokens": 393}
            }),
        ),
        anthropic(
            "anthropic parallel tool use",
            json!({
                "id": "msg_parallel",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [
                    {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "San Francisco, CA"}},
                    {"type": "tool_use", "id": "toolu_02", "name": "get_time", "input": {"timezone": "America/New_York"}},
                    {"type": "tool_use", "id": "toolu_03", "name": "now", "input": {}}
                ],
                "stop_reason": "tool_use",
                "stop_sequence": null,
                "usage": {"input_tokens": 100, "cache_read_input_tokens": 2048, "output_tokens": 80}
            }),
        ),
        anthropic(
            "anthropic thinking",
            json!({
                "id": "msg_thinking",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [
                    {"type": "thinking", "thinking": "Let me analyze this step by step...", "signature": "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL=="},
                    {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
                    {"type": "text", "text": "Based on my analysis, the answer is 42."}
                ],
                "stop_reason": "end_turn",
                "stop_sequence": null,
                "usage": {"input_tokens": 50, "output_tokens": 300}
            }),
        ),
        anthropic(
            "anthropic stop sequence",
            json!({
                "id": "msg_stopseq",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": "1, 2, 3"}],
                "stop_reason": "stop_sequence",
                "stop_sequence": "###",
                "usage": {"input_tokens": 10, "output_tokens": 7}
            }),
        ),
        anthropic(
            "anthropic max tokens",
            json!({
                "id": "msg_max",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": "Once upon a"}],
                "stop_reason": "max_tokens",
                "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 3}
            }),
        ),
        anthropic(
            "anthropic refusal",
            json!({
                "id": "msg_refusal",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [{"type": "text", "text": "I can't help with that."}],
                "stop_reason": "refusal",
                "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 7}
            }),
        ),
        gemini(
            "gemini text",
            json!({
                "candidates": [{"content": {"parts": [{"text": "AI learns patterns from data."}], "role": "model"}, "finishReason": "STOP", "avgLogprobs": -0.12, "index": 0}],
                "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 10, "totalTokenCount": 18,
                                  "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]},
                "modelVersion": "gemini-2.5-flash",
                "responseId": "mZnmaMGaIp7NxN8P0eSV4Ac"
            }),
        ),
        gemini(
            "gemini parallel function calls",
            json!({
                "candidates": [{"content": {"role": "model", "parts": [
                    {"functionCall": {"name": "power_disco_ball", "args": {"power": true}}},
                    {"functionCall": {"name": "start_music", "args": {"energetic": true, "loud": true}}},
                    {"functionCall": {"name": "dim_lights", "args": {"brightness": 0.5}}}
                ]}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 30, "totalTokenCount": 150, "cachedContentTokenCount": 100},
                "modelVersion": "gemini-2.5-flash",
                "responseId": "dqHOab6xGLzWodAPkPuViA4"
            }),
        ),
        gemini(
            "gemini thoughts, text and a call with its signature",
            json!({
                "candidates": [{"content": {"role": "model", "parts": [
                    {"text": "The user wants a meeting scheduled.", "thought": true},
                    {"text": "Scheduling it now."},
                    {"functionCall": {"name": "schedule_meeting", "args": {"attendees": ["Bob", "Alice"], "date": "2025-03-14", "time": "10:00", "topic": "Q3 planning"}},
                     "thoughtSignature": "CiQBcsjafE2Wq1SSg8dVEFmiTLMlrSs="}
                ]}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 50, "candidatesTokenCount": 40, "thoughtsTokenCount": 60, "totalTokenCount": 150},
                "modelVersion": "gemini-3-pro-preview",
                "responseId": "g3Hx"
            }),
        ),
        gemini(
            "gemini max tokens",
            json!({
                "candidates": [{"content": {"role": "model", "parts": [{"text": "Once upon a"}]}, "finishReason": "MAX_TOKENS", "index": 0}],
                "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 3, "totalTokenCount": 13},
                "modelVersion": "gemini-2.5-flash",
                "responseId": "max1"
            }),
        ),
        gemini(
            "gemini safety",
            json!({
                "candidates": [{"content": {"role": "model", "parts": []}, "finishReason": "SAFETY", "index": 0,
                                "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]}],
                "modelVersion": "gemini-2.5-flash",
                "responseId": "safe1"
            }),
        ),
    ]
}

fn options() -> ResponseOptions {
    ResponseOptions {
        model: None,
        created: 1_700_000_000,
    }
}

fn translate(body: &Value, from: Format, to: Format) -> Value {
    let bytes = serde_json::to_vec(body).unwrap();
    let out = translate_response(&bytes, from, to, &options())
        .unwrap_or_else(|error| panic!("{from} to {to}: {error}"));
    serde_json::from_slice(&out).expect("the answer is JSON")
}

/// A call as any format carries it: id, name, and arguments as a value.
#[derive(Clone, Debug, PartialEq)]
struct SeenCall {
    id: String,
    name: String,
    arguments: Value,
}

/// What a client of each format reads from an answer: read here from the
/// documents, plainly, apart from the crate's readers.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    text: String,
    refusal: String,
    reasoning: String,
    calls: Vec<SeenCall>,
    /// `stop`, `length`, `filter` or `tool`, or a word of the format's own.
    finish: String,
    /// Input tokens (cached included), output tokens (reasoning included),
    /// cached input tokens.
    usage: Option<(u64, u64, u64)>,
}

fn n(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

fn arguments_of_text(text: &str) -> Value {
    if text.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(text).expect("arguments are JSON")
    }
}

fn seen(format: Format, answer: &Value) -> Seen {
    let mut seen = Seen::default();
    let word;
    match format {
        Format::OpenAiChat => {
            let message = &answer["choices"][0]["message"];
            seen.text = message["content"].as_str().unwrap_or("").to_owned();
            seen.refusal = message["refusal"].as_str().unwrap_or("").to_owned();
            seen.reasoning = message["reasoning_content"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            for call in message["tool_calls"].as_array().into_iter().flatten() {
                seen.calls.push(SeenCall {
                    id: call["id"].as_str().unwrap().to_owned(),
                    name: call["function"]["name"].as_str().unwrap().to_owned(),
                    arguments: arguments_of_text(call["function"]["arguments"].as_str().unwrap()),
                });
            }
            word = match answer["choices"][0]["finish_reason"].as_str().unwrap() {
                "tool_calls" => "tool",
                "content_filter" => "filter",
                other => other,
            }
            .to_owned();
            let usage = &answer["usage"];
            if usage.is_object() {
                let cached = n(&usage["prompt_tokens_details"]["cached_tokens"]);
                seen.usage = Some((
                    n(&usage["prompt_tokens"]),
                    n(&usage["completion_tokens"]),
                    cached,
                ));
            }
        }
        Format::OpenAiResponses => {
            for item in answer["output"].as_array().unwrap() {
                match item["type"].as_str().unwrap() {
                    "message" => {
                        for part in item["content"].as_array().unwrap() {
                            match part["type"].as_str().unwrap() {
                                "output_text" => seen.text.push_str(part["text"].as_str().unwrap()),
                                "refusal" => {
                                    seen.refusal.push_str(part["refusal"].as_str().unwrap())
                                }
                                other => panic!("part {other}"),
                            }
                        }
                    }
                    "reasoning" => {
                        let texts: Vec<&str> = item["summary"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|part| part["text"].as_str().unwrap())
                            .collect();
                        seen.reasoning.push_str(&texts.concat());
                    }
                    "function_call" => seen.calls.push(SeenCall {
                        id: item["call_id"].as_str().unwrap().to_owned(),
                        name: item["name"].as_str().unwrap().to_owned(),
                        arguments: arguments_of_text(item["arguments"].as_str().unwrap()),
                    }),
                    other => panic!("item {other}"),
                }
            }
            word = match (
                answer["status"].as_str().unwrap(),
                answer["incomplete_details"]["reason"].as_str(),
            ) {
                ("completed", _) => "stop",
                ("incomplete", Some("max_output_tokens")) => "length",
                ("incomplete", Some("content_filter")) => "filter",
                (other, _) => other,
            }
            .to_owned();
            let usage = &answer["usage"];
            if usage.is_object() {
                let cached = n(&usage["input_tokens_details"]["cached_tokens"]);
                seen.usage = Some((
                    n(&usage["input_tokens"]),
                    n(&usage["output_tokens"]),
                    cached,
                ));
            }
        }
        Format::Anthropic => {
            for block in answer["content"].as_array().unwrap() {
                match block["type"].as_str().unwrap() {
                    "text" => seen.text.push_str(block["text"].as_str().unwrap()),
                    "thinking" => seen.reasoning.push_str(block["thinking"].as_str().unwrap()),
                    "redacted_thinking" => {}
                    "tool_use" => seen.calls.push(SeenCall {
                        id: block["id"].as_str().unwrap().to_owned(),
                        name: block["name"].as_str().unwrap().to_owned(),
                        arguments: block["input"].clone(),
                    }),
                    other => panic!("block {other}"),
                }
            }
            word = match answer["stop_reason"].as_str().unwrap() {
                "end_turn" | "stop_sequence" => "stop",
                "max_tokens" => "length",
                "tool_use" => "tool",
                "refusal" => "filter",
                other => other,
            }
            .to_owned();
            let usage = &answer["usage"];
            let cached = n(&usage["cache_read_input_tokens"]);
            let input =
                n(&usage["input_tokens"]) + cached + n(&usage["cache_creation_input_tokens"]);
            seen.usage = Some((input, n(&usage["output_tokens"]), cached));
        }
        _ => {
            let candidate = &answer["candidates"][0];
            for part in candidate["content"]["parts"].as_array().unwrap() {
                if let Some(text) = part["text"].as_str() {
                    if part["thought"] == json!(true) {
                        seen.reasoning.push_str(text);
                    } else {
                        seen.text.push_str(text);
                    }
                }
                if let Some(call) = part.get("functionCall") {
                    let ordinal = seen.calls.len();
                    let id = match call["id"].as_str() {
                        Some(id) => id.to_owned(),
                        None => {
                            format!("call_{}_{ordinal}", answer["responseId"].as_str().unwrap())
                        }
                    };
                    seen.calls.push(SeenCall {
                        id,
                        name: call["name"].as_str().unwrap().to_owned(),
                        arguments: call["args"].clone(),
                    });
                }
            }
            word = match candidate["finishReason"].as_str().unwrap() {
                "STOP" => "stop",
                "MAX_TOKENS" => "length",
                "SAFETY" => "filter",
                other => other,
            }
            .to_owned();
            let usage = &answer["usageMetadata"];
            if usage.is_object() {
                let output = n(&usage["candidatesTokenCount"]) + n(&usage["thoughtsTokenCount"]);
                let cached = n(&usage["cachedContentTokenCount"]);
                seen.usage = Some((n(&usage["promptTokenCount"]), output, cached));
            }
        }
    }
    // A stop with calls waits for their results, whichever way a format
    // says it.
    seen.finish = if word == "stop" && !seen.calls.is_empty() {
        "tool".to_owned()
    } else {
        word
    };
    seen
}

/// What a client of `to` should read of an answer read as `source` in its
/// own format: the same, but for what `to` has no place for.
fn expected(source: &Seen, to: Format) -> Seen {
    let mut want = Seen {
        text: source.text.clone(),
        refusal: source.refusal.clone(),
        reasoning: source.reasoning.clone(),
        calls: source.calls.clone(),
        finish: source.finish.clone(),
        usage: source.usage,
    };
    // Anthropic and Gemini have no refusal: it is text.
    if matches!(to, Format::Anthropic | Format::Gemini) {
        want.text.push_str(&std::mem::take(&mut want.refusal));
    }
    // An Anthropic client sees no usage as zeros; Anthropic's own has it.
    if to == Format::Anthropic && want.usage.is_none() {
        want.usage = Some((0, 0, 0));
    }
    want
}

#[test]
fn every_example_reads_the_same_in_every_format() {
    for example in examples() {
        let source = seen(example.format, &example.body);
        for to in FORMATS {
            let out = translate(&example.body, example.format, to);
            let got = seen(to, &out);
            let want = expected(&source, to);
            assert_eq!(got, want, "{} to {to}", example.name);
        }
    }
}

#[test]
fn calls_survive_there_and_back() {
    for example in examples() {
        let source = seen(example.format, &example.body);
        for to in FORMATS {
            let there = translate(&example.body, example.format, to);
            let back = translate(&there, to, example.format);
            let again = seen(example.format, &back);
            assert_eq!(
                again.calls, source.calls,
                "{} to {to} and back",
                example.name
            );
            assert_eq!(
                again.finish, source.finish,
                "{} to {to} and back",
                example.name
            );
        }
    }
}

#[test]
fn the_same_format_passes_through_with_the_clients_model() {
    for example in examples() {
        let bytes = serde_json::to_vec(&example.body).unwrap();
        let renamed = ResponseOptions {
            model: Some("client-model".to_owned()),
            ..options()
        };
        let out = translate_response(&bytes, example.format, example.format, &renamed).unwrap();
        let mut out: Value = serde_json::from_slice(&out).unwrap();
        let name = if example.format == Format::Gemini {
            "modelVersion"
        } else {
            "model"
        };
        assert_eq!(out[name], "client-model", "{}", example.name);
        out[name] = example.body[name].clone();
        assert_eq!(out, example.body, "{}", example.name);
        // With the model as it is, the body goes byte for byte.
        let spaced = serde_json::to_vec_pretty(&example.body).unwrap();
        let same = translate_response(&spaced, example.format, example.format, &options());
        assert_eq!(same.unwrap(), spaced, "{}", example.name);
    }
}

fn example(name: &str) -> Example {
    examples()
        .into_iter()
        .find(|e| e.name == name)
        .expect("an example")
}

#[test]
fn the_clients_model_and_a_creation_time_where_upstream_has_none() {
    let anthropic = example("anthropic text");
    let options = ResponseOptions {
        model: Some("gpt-5".to_owned()),
        created: 1_234,
    };
    let bytes = serde_json::to_vec(&anthropic.body).unwrap();
    let out = translate_response(&bytes, Format::Anthropic, Format::OpenAiChat, &options).unwrap();
    let chat: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(chat["model"], "gpt-5");
    assert_eq!(chat["created"], 1_234);
    assert_eq!(chat["object"], "chat.completion");
    // The id is upstream's, as the relay keeps it.
    assert_eq!(chat["id"], "msg_01XFDUDYJgAACzvnptvVoYEL");
    let responses = translate(
        &example("chat text").body,
        Format::OpenAiChat,
        Format::OpenAiResponses,
    );
    assert_eq!(responses["created_at"], 1741569952);
    assert_eq!(responses["id"], "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
    assert_eq!(
        responses["output"][0]["id"],
        "msg_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT_0"
    );
}

#[test]
fn gemini_calls_get_the_relays_ids_and_lose_them_again() {
    let body = example("gemini parallel function calls").body;
    let chat = translate(&body, Format::Gemini, Format::OpenAiChat);
    let calls = chat["choices"][0]["message"]["tool_calls"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = calls
        .iter()
        .map(|call| call["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "call_dqHOab6xGLzWodAPkPuViA4_0",
            "call_dqHOab6xGLzWodAPkPuViA4_1",
            "call_dqHOab6xGLzWodAPkPuViA4_2"
        ]
    );
    assert_eq!(chat["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        calls[1]["function"]["arguments"],
        r#"{"energetic":true,"loud":true}"#
    );
    let back = translate(&chat, Format::OpenAiChat, Format::Gemini);
    for part in back["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
    {
        assert!(part["functionCall"].get("id").is_none(), "{part}");
    }
    // An id of another provider's goes to Gemini as the call's `id`.
    let anthropic = translate(
        &example("anthropic parallel tool use").body,
        Format::Anthropic,
        Format::Gemini,
    );
    assert_eq!(
        anthropic["candidates"][0]["content"]["parts"][1]["functionCall"]["id"],
        "toolu_02"
    );
    assert_eq!(anthropic["responseId"], "msg_parallel");
}

#[test]
fn a_gemini_call_keeps_its_thought_signature_gemini_to_gemini() {
    let body = example("gemini thoughts, text and a call with its signature").body;
    let out = translate(&body, Format::Gemini, Format::Gemini);
    assert_eq!(
        out["candidates"][0]["content"]["parts"][2]["thoughtSignature"],
        "CiQBcsjafE2Wq1SSg8dVEFmiTLMlrSs="
    );
    // No other format can carry it back.
    for to in [
        Format::OpenAiChat,
        Format::OpenAiResponses,
        Format::Anthropic,
    ] {
        let out = serde_json::to_string(&translate(&body, Format::Gemini, to)).unwrap();
        assert!(
            !out.contains("CiQBcsjafE2Wq1SSg8dVEFmiTLMlrSs="),
            "{to}: {out}"
        );
    }
}

#[test]
fn anthropic_reasoning_toward_each_format() {
    let body = example("anthropic thinking").body;
    let signature = body["content"][0]["signature"].clone();
    let redacted = body["content"][1]["data"].clone();
    let responses = translate(&body, Format::Anthropic, Format::OpenAiResponses);
    let output = responses["output"].as_array().unwrap();
    assert_eq!(output[0]["type"], "reasoning");
    assert_eq!(output[0]["id"], "rs_msg_thinking_0");
    assert_eq!(output[0]["encrypted_content"], signature);
    assert_eq!(
        output[0]["summary"][0]["text"],
        "Let me analyze this step by step..."
    );
    assert_eq!(output[1]["type"], "reasoning");
    assert_eq!(output[1]["encrypted_content"], redacted);
    assert_eq!(output[1]["summary"], json!([]));
    assert_eq!(output[2]["type"], "message");
    let chat = translate(&body, Format::Anthropic, Format::OpenAiChat);
    assert_eq!(
        chat["choices"][0]["message"]["reasoning_content"],
        "Let me analyze this step by step..."
    );
    let gemini = translate(&body, Format::Anthropic, Format::Gemini);
    let parts = &gemini["candidates"][0]["content"]["parts"];
    assert_eq!(parts[0]["thought"], true);
    assert!(parts[0].get("thoughtSignature").is_none());
    assert_eq!(parts.as_array().unwrap().len(), 2);
}

#[test]
fn other_reasoning_toward_anthropic_has_an_empty_signature() {
    let chat = translate(
        &example("chat reasoning").body,
        Format::OpenAiChat,
        Format::Anthropic,
    );
    assert_eq!(
        chat["content"][0],
        json!({"type": "thinking", "thinking": "9.11 < 9.8 since 0.11 < 0.8.", "signature": ""})
    );
    // OpenAI's encrypted reasoning is not Anthropic's signature.
    let responses = translate(
        &example("responses reasoning and parallel calls").body,
        Format::OpenAiResponses,
        Format::Anthropic,
    );
    assert_eq!(responses["content"][0]["signature"], "");
    assert_eq!(
        responses["content"][0]["thinking"],
        "**Checking the weather**Two cities, two calls."
    );
    // Anthropic's own, there and back through chat, cannot keep its
    // signature; through Anthropic it passes as it came.
    let body = example("anthropic thinking").body;
    let back = translate(
        &translate(&body, Format::Anthropic, Format::OpenAiChat),
        Format::OpenAiChat,
        Format::Anthropic,
    );
    assert_eq!(back["content"][0]["signature"], "");
    assert_eq!(translate(&body, Format::Anthropic, Format::Anthropic), body);
}

#[test]
fn a_stop_sequence_keeps_its_value_toward_anthropic_alone() {
    let body = example("anthropic stop sequence").body;
    let same = translate(&body, Format::Anthropic, Format::Anthropic);
    assert_eq!(
        (&same["stop_reason"], &same["stop_sequence"]),
        (&json!("stop_sequence"), &json!("###"))
    );
    assert_eq!(
        translate(&body, Format::Anthropic, Format::OpenAiChat)["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(
        translate(&body, Format::Anthropic, Format::Gemini)["candidates"][0]["finishReason"],
        "STOP"
    );
    assert_eq!(
        translate(&body, Format::Anthropic, Format::OpenAiResponses)["status"],
        "completed"
    );
    let chat = translate(
        &example("chat text").body,
        Format::OpenAiChat,
        Format::Anthropic,
    );
    assert_eq!(
        (&chat["stop_reason"], &chat["stop_sequence"]),
        (&json!("end_turn"), &Value::Null)
    );
}

#[test]
fn text_and_calls_finish_as_waiting_for_results() {
    // Chat's `stop` beside calls, Gemini's `STOP`, Responses' `completed`.
    for (name, from) in [
        (
            "chat parallel calls with text, finishing with stop",
            Format::OpenAiChat,
        ),
        (
            "gemini thoughts, text and a call with its signature",
            Format::Gemini,
        ),
        (
            "responses reasoning and parallel calls",
            Format::OpenAiResponses,
        ),
    ] {
        let body = example(name).body;
        for (to, member, want) in [
            (Format::Anthropic, "/stop_reason", "tool_use"),
            (Format::OpenAiChat, "/choices/0/finish_reason", "tool_calls"),
            (Format::OpenAiResponses, "/status", "completed"),
            (Format::Gemini, "/candidates/0/finishReason", "STOP"),
        ] {
            if to != from {
                let out = translate(&body, from, to);
                assert_eq!(out.pointer(member).unwrap(), want, "{name} to {to}");
            }
        }
    }
    let anthropic = translate(
        &example("anthropic text and tool use").body,
        Format::Anthropic,
        Format::OpenAiResponses,
    );
    let kinds: Vec<&str> = anthropic["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["message", "function_call"]);
    assert_eq!(anthropic["output"][1]["id"], "fc_msg_01Aq9w938a90dw8q_1");
}

#[test]
fn usage_arithmetic_of_each_format() {
    // Anthropic's input leaves the cache out; OpenAI's counts it in.
    let anthropic = example("anthropic text and tool use").body;
    let chat = translate(&anthropic, Format::Anthropic, Format::OpenAiChat);
    assert_eq!(chat["usage"]["prompt_tokens"], 21 + 188086);
    assert_eq!(chat["usage"]["completion_tokens"], 393);
    assert_eq!(chat["usage"]["total_tokens"], 21 + 188086 + 393);
    let cached = example("anthropic parallel tool use").body;
    let responses = translate(&cached, Format::Anthropic, Format::OpenAiResponses);
    assert_eq!(responses["usage"]["input_tokens"], 100 + 2048);
    assert_eq!(
        responses["usage"]["input_tokens_details"]["cached_tokens"],
        2048
    );
    let chat = example("chat tool call").body;
    let anthropic = translate(&chat, Format::OpenAiChat, Format::Anthropic);
    assert_eq!(anthropic["usage"]["input_tokens"], 82 - 64);
    assert_eq!(anthropic["usage"]["cache_read_input_tokens"], 64);
    // Gemini counts thoughts beside the candidates; OpenAI within the
    // output.
    let gemini = example("gemini thoughts, text and a call with its signature").body;
    let chat = translate(&gemini, Format::Gemini, Format::OpenAiChat);
    assert_eq!(chat["usage"]["completion_tokens"], 100);
    assert_eq!(
        chat["usage"]["completion_tokens_details"]["reasoning_tokens"],
        60
    );
    let back = translate(&chat, Format::OpenAiChat, Format::Gemini);
    assert_eq!(back["usageMetadata"]["candidatesTokenCount"], 40);
    assert_eq!(back["usageMetadata"]["thoughtsTokenCount"], 60);
    assert_eq!(back["usageMetadata"]["totalTokenCount"], 150);
    let reasoning = translate(
        &example("chat reasoning").body,
        Format::OpenAiChat,
        Format::Gemini,
    );
    assert_eq!(reasoning["usageMetadata"]["candidatesTokenCount"], 20);
    assert_eq!(reasoning["usageMetadata"]["thoughtsTokenCount"], 100);
}

#[test]
fn arguments_are_a_string_one_way_and_an_object_the_other() {
    let chat = example("chat parallel calls with text, finishing with stop").body;
    let anthropic = translate(&chat, Format::OpenAiChat, Format::Anthropic);
    assert_eq!(
        anthropic["content"][1]["input"],
        json!({"location": "Paris, France"})
    );
    // Empty arguments are no arguments.
    assert_eq!(anthropic["content"][3]["input"], json!({}));
    let gemini = translate(&chat, Format::OpenAiChat, Format::Gemini);
    assert_eq!(
        gemini["candidates"][0]["content"]["parts"][3]["functionCall"]["args"],
        json!({})
    );
    let responses = translate(&chat, Format::OpenAiChat, Format::OpenAiResponses);
    assert_eq!(responses["output"][3]["arguments"], "{}");
    // The text of arguments goes as it came, whitespace and all.
    let one = example("chat tool call").body;
    let responses = translate(&one, Format::OpenAiChat, Format::OpenAiResponses);
    assert_eq!(
        responses["output"][0]["arguments"],
        "{\n\"location\": \"Boston, MA\"\n}"
    );
    // A call with no arguments at all, and one with `null`.
    let gemini = json!({"candidates": [{"content": {"parts": [
        {"functionCall": {"name": "a"}},
        {"functionCall": {"name": "b", "args": null}}
    ]}, "finishReason": "STOP"}], "responseId": "r"});
    let chat = translate(&gemini, Format::Gemini, Format::OpenAiChat);
    for call in chat["choices"][0]["message"]["tool_calls"]
        .as_array()
        .unwrap()
    {
        assert_eq!(call["function"]["arguments"], "{}");
    }
    let anthropic = json!({"type": "message", "id": "m", "model": "c", "role": "assistant",
        "content": [{"type": "tool_use", "id": "t", "name": "a", "input": null}], "stop_reason": "tool_use"});
    let chat = translate(&anthropic, Format::Anthropic, Format::OpenAiChat);
    assert_eq!(
        chat["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        "{}"
    );
}

fn chat_with_arguments(arguments: &str) -> Value {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0,
        "message": {"role": "assistant", "content": "Calling.", "tool_calls": [
            {"id": "call_bad", "type": "function", "function": {"name": "f", "arguments": arguments}},
            {"id": "call_good", "type": "function", "function": {"name": "g", "arguments": "{\"x\":1}"}}
        ]}, "finish_reason": "tool_calls"}]})
}

#[test]
fn arguments_that_are_no_object_are_an_error_for_anthropic_and_left_out_of_gemini() {
    for bad in ["{\"x\":", "[1,2]", "\"text\"", "12"] {
        let body = serde_json::to_vec(&chat_with_arguments(bad)).unwrap();
        let error = translate_response(&body, Format::OpenAiChat, Format::Anthropic, &options())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Shape, "{bad}");
        assert_eq!(
            error.path(),
            "choices[0].message.tool_calls[0].function.arguments"
        );
        let gemini = translate(
            &chat_with_arguments(bad),
            Format::OpenAiChat,
            Format::Gemini,
        );
        let parts = gemini["candidates"][0]["content"]["parts"]
            .as_array()
            .unwrap();
        assert_eq!(parts.len(), 2, "{bad}");
        assert_eq!(parts[1]["functionCall"]["name"], "g");
        assert_eq!(
            gemini["candidates"][0]["finishReason"],
            "MALFORMED_FUNCTION_CALL"
        );
        // Chat and Responses carry them as text, as they came.
        let responses = translate(
            &chat_with_arguments(bad),
            Format::OpenAiChat,
            Format::OpenAiResponses,
        );
        assert_eq!(responses["output"][1]["arguments"], bad);
    }
    // Nested past what a reader takes inside the answer.
    let deep = format!(
        "{}{}",
        "{\"a\":".repeat(125),
        "1".to_owned() + &"}".repeat(125)
    );
    let gemini = translate(
        &chat_with_arguments(&deep),
        Format::OpenAiChat,
        Format::Gemini,
    );
    assert_eq!(
        gemini["candidates"][0]["finishReason"],
        "MALFORMED_FUNCTION_CALL"
    );
}

#[test]
fn a_refusal_is_text_where_a_format_has_no_refusal() {
    let chat = example("chat refusal").body;
    let anthropic = translate(&chat, Format::OpenAiChat, Format::Anthropic);
    assert_eq!(
        anthropic["content"][0]["text"],
        "I'm sorry, I cannot assist with that request."
    );
    let responses = translate(&chat, Format::OpenAiChat, Format::OpenAiResponses);
    assert_eq!(responses["output"][0]["content"][0]["type"], "refusal");
    let anthropic = example("anthropic refusal").body;
    assert_eq!(
        translate(&anthropic, Format::Anthropic, Format::OpenAiChat)["choices"][0]["finish_reason"],
        "content_filter"
    );
    let responses = translate(&anthropic, Format::Anthropic, Format::OpenAiResponses);
    assert_eq!(responses["incomplete_details"]["reason"], "content_filter");
    assert_eq!(
        translate(&anthropic, Format::Anthropic, Format::Gemini)["candidates"][0]["finishReason"],
        "SAFETY"
    );
}

#[test]
fn custom_tool_calls_keep_their_input_text() {
    let responses = json!({"id": "resp_c", "object": "response", "created_at": 1, "status": "completed", "model": "gpt-5",
        "output": [{"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_patch", "name": "apply_patch",
                    "input": "*** Begin Patch\n*** End Patch"}]});
    let chat = translate(&responses, Format::OpenAiResponses, Format::OpenAiChat);
    let call = &chat["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["type"], "custom");
    assert_eq!(call["custom"]["input"], "*** Begin Patch\n*** End Patch");
    let back = translate(&chat, Format::OpenAiChat, Format::OpenAiResponses);
    assert_eq!(back["output"][0]["type"], "custom_tool_call");
    assert_eq!(back["output"][0]["input"], "*** Begin Patch\n*** End Patch");
    assert_eq!(back["output"][0]["call_id"], "call_patch");
    let anthropic = translate(&responses, Format::OpenAiResponses, Format::Anthropic);
    assert_eq!(
        anthropic["content"][0]["input"],
        json!({"input": "*** Begin Patch\n*** End Patch"})
    );
}

#[test]
fn bad_answers_are_errors_with_kind_and_path() {
    let cases: [(Format, &[u8], ErrorKind, &str); 13] = [
        (Format::OpenAiChat, b"{\"id\": ", ErrorKind::NotJson, "$"),
        (Format::Anthropic, b"<html>502</html>", ErrorKind::NotJson, "$"),
        (Format::Gemini, b"[1,2]", ErrorKind::Shape, "$"),
        (Format::OpenAiChat, br#"{"choices":{}}"#, ErrorKind::Shape, "choices"),
        (Format::OpenAiChat, br#"{"choices":[{"message":{"tool_calls":[{"id":"x","function":{"arguments":"{}"}}]}}]}"#, ErrorKind::Shape, "choices[0].message.tool_calls[0].function.name"),
        (Format::OpenAiChat, br#"{"choices":[{"message":{"content":7}}]}"#, ErrorKind::Shape, "choices[0].message.content"),
        (Format::OpenAiResponses, br#"{"output":[{"type":"function_call","call_id":"c"}]}"#, ErrorKind::Shape, "output[0].name"),
        (Format::OpenAiResponses, br#"{"output":[{"content":[]}]}"#, ErrorKind::Shape, "output[0].type"),
        (Format::Anthropic, br#"{"type":"message","content":[{"type":"tool_use","id":"t","name":5}]}"#, ErrorKind::Shape, "content[0].name"),
        (Format::Anthropic, br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, ErrorKind::Shape, "error"),
        (Format::Anthropic, br#"{"type":"completion","completion":"Hi"}"#, ErrorKind::Shape, "type"),
        (Format::Gemini, br#"{"candidates":[{"content":{"parts":"hi"}}]}"#, ErrorKind::Shape, "candidates[0].content.parts"),
        (Format::Gemini, br#"{"usageMetadata":{"promptTokenCount":-1}}"#, ErrorKind::Shape, "usageMetadata.promptTokenCount"),
    ];
    let errors: [(Format, &[u8]); 3] = [
        (Format::OpenAiChat, br#"{"error":{"message":"m","type":"server_error"}}"#),
        (Format::Gemini, br#"{"error":{"code":500,"message":"m","status":"INTERNAL"}}"#),
        (Format::OpenAiResponses, br#"{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"m"},"output":[]}"#),
    ];
    let errors = errors.map(|(from, body)| (from, body, ErrorKind::Shape, "error"));
    for (from, body, kind, path) in cases.into_iter().chain(errors) {
        for to in FORMATS.into_iter().filter(|&to| to != from) {
            let error = translate_response(body, from, to, &options()).unwrap_err();
            assert_eq!(
                (error.kind(), error.path()),
                (kind, path),
                "{from} to {to}: {error}"
            );
        }
    }
    let error = translate_response(
        b"{\"a\":\n x}",
        Format::OpenAiChat,
        Format::Anthropic,
        &options(),
    )
    .unwrap_err();
    assert_eq!(error.offset(), Some(7));
    let error =
        translate_response(b"{}", Format::Bedrock, Format::Anthropic, &options()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnsupportedFormat);
}

/// Every cut of every example, and every example with one byte changed,
/// translates or fails with an error; none panics. The target turns with
/// the position, so that each is met at every kind of place.
#[test]
fn cut_and_changed_answers_never_panic() {
    for example in examples() {
        let body = serde_json::to_vec(&example.body).unwrap();
        for end in 0..body.len() {
            let to = FORMATS[end % FORMATS.len()];
            let _ = translate_response(&body[..end], example.format, to, &options());
        }
        for at in (0..body.len()).step_by(3) {
            for (n, byte) in [b'"', b'{', b']', b'1', b'\\', 0xff]
                .into_iter()
                .enumerate()
            {
                let mut changed = body.clone();
                changed[at] = byte;
                let to = FORMATS[(at + n) % FORMATS.len()];
                let _ = translate_response(&changed, example.format, to, &options());
            }
        }
    }
}

fn error_body(status: u16, body: &[u8], from: Format, to: Format) -> Value {
    serde_json::from_slice(&translate_error(status, body, from, to)).expect("an error body is JSON")
}

/// The documented error bodies of each format, with their statuses.
fn error_examples() -> Vec<(Format, u16, Value)> {
    vec![
        (
            Format::OpenAiChat,
            429,
            json!({"error": {"message": "Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000.", "type": "tokens", "param": null, "code": "rate_limit_exceeded"}}),
        ),
        (
            Format::OpenAiChat,
            401,
            json!({"error": {"message": "Incorrect API key provided: sk-abc***.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
        ),
        (
            Format::OpenAiResponses,
            400,
            json!({"error": {"message": "Invalid 'input[2].call_id': empty string.", "type": "invalid_request_error", "param": "input[2].call_id", "code": "empty_string"}}),
        ),
        (
            Format::Anthropic,
            529,
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}),
        ),
        (
            Format::Anthropic,
            404,
            json!({"type": "error", "error": {"type": "not_found_error", "message": "model: claude-x"}}),
        ),
        (
            Format::Gemini,
            429,
            json!({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}),
        ),
        (
            Format::Gemini,
            400,
            json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}),
        ),
    ]
}

#[test]
fn error_bodies_take_the_clients_shape() {
    for (from, status, body) in error_examples() {
        let message = body["error"]["message"].as_str().unwrap();
        let bytes = serde_json::to_vec(&body).unwrap();
        for to in FORMATS {
            let out = error_body(status, &bytes, from, to);
            match to {
                Format::Anthropic => {
                    assert_eq!(out["type"], "error");
                    assert_eq!(out["error"]["message"], message);
                    assert!(out["error"]["type"].is_string());
                }
                Format::Gemini => {
                    assert_eq!(out["error"]["code"], status);
                    assert_eq!(out["error"]["message"], message);
                    assert!(out["error"]["status"].is_string());
                }
                _ => {
                    assert_eq!(out["error"]["message"], message);
                    assert!(out["error"]["type"].is_string());
                    assert!(out["error"].get("code").is_some());
                }
            }
        }
        // In its own shape, a body goes as it came.
        assert_eq!(translate_error(status, &bytes, from, from), bytes);
    }
}

#[test]
fn error_kinds_by_status_and_by_words() {
    let anthropic_type = |status, body: &[u8], from| {
        error_body(status, body, from, Format::Anthropic)["error"]["type"].clone()
    };
    let google = |status, body: &[u8], from| {
        error_body(status, body, from, Format::Gemini)["error"]["status"].clone()
    };
    let cases: [(u16, &str, &str); 10] = [
        (400, "invalid_request_error", "INVALID_ARGUMENT"),
        (401, "authentication_error", "UNAUTHENTICATED"),
        (403, "permission_error", "PERMISSION_DENIED"),
        (404, "not_found_error", "NOT_FOUND"),
        (413, "request_too_large", "INVALID_ARGUMENT"),
        (429, "rate_limit_error", "RESOURCE_EXHAUSTED"),
        (500, "api_error", "INTERNAL"),
        (502, "api_error", "INTERNAL"),
        (503, "overloaded_error", "UNAVAILABLE"),
        (529, "overloaded_error", "UNAVAILABLE"),
    ];
    for (status, anthropic, gemini) in cases {
        assert_eq!(
            anthropic_type(status, b"oops", Format::OpenAiChat),
            anthropic,
            "{status}"
        );
        assert_eq!(
            google(status, b"oops", Format::OpenAiChat),
            gemini,
            "{status}"
        );
    }
    // Where the status says nothing more, the upstream's words do.
    let overloaded =
        br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    assert_eq!(google(500, overloaded, Format::Anthropic), "UNAVAILABLE");
    let exhausted = br#"{"error":{"code":500,"message":"quota","status":"RESOURCE_EXHAUSTED"}}"#;
    assert_eq!(
        anthropic_type(500, exhausted, Format::Gemini),
        "rate_limit_error"
    );
    // OpenAI keeps its own type and code; another's word becomes the code.
    let chat = error_body(
        429,
        &serde_json::to_vec(&error_examples()[0].2).unwrap(),
        Format::OpenAiChat,
        Format::OpenAiResponses,
    );
    assert_eq!(
        (&chat["error"]["type"], &chat["error"]["code"]),
        (&json!("tokens"), &json!("rate_limit_exceeded"))
    );
    let from_gemini = error_body(
        400,
        &serde_json::to_vec(&error_examples()[6].2).unwrap(),
        Format::Gemini,
        Format::OpenAiChat,
    );
    assert_eq!(from_gemini["error"]["type"], "invalid_request_error");
    assert_eq!(from_gemini["error"]["code"], "INVALID_ARGUMENT");
    // A Gemini stream's error comes in an array.
    let array =
        br#"[{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}]"#;
    let out = error_body(503, array, Format::Gemini, Format::Anthropic);
    assert_eq!(out["error"]["message"], "The model is overloaded.");
    assert_eq!(out["error"]["type"], "overloaded_error");
}

#[test]
fn an_error_body_that_is_not_json_keeps_the_start_of_its_text() {
    let page = format!(
        "<html><body>502 Bad Gateway{}</body></html>",
        "é".repeat(5000)
    );
    for to in FORMATS {
        let out = error_body(502, page.as_bytes(), Format::Anthropic, to);
        let message = out["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("<html><body>502 Bad Gateway"), "{to}");
        assert!(
            message.len() <= MAX_ERROR_MESSAGE,
            "{to}: {}",
            message.len()
        );
        assert!(
            message.len() > MAX_ERROR_MESSAGE - 4,
            "{to}: {}",
            message.len()
        );
    }
    // Nor does a type, status or code that is no word.
    let word = "x".repeat(100_000);
    let long = json!({"error": {"code": 500, "message": "m", "status": word, "type": word}});
    for from in [Format::Gemini, Format::Anthropic] {
        for to in FORMATS.into_iter().filter(|&to| to != from) {
            let out = translate_error(500, long.to_string().as_bytes(), from, to);
            assert!(out.len() < 200, "{from} to {to}: {}", out.len());
        }
    }
    let empty = error_body(503, b"", Format::OpenAiChat, Format::Anthropic);
    assert_eq!(
        empty["error"]["message"],
        "the upstream answered with HTTP status 503"
    );
    let string = error_body(
        500,
        br#""upstream timed out""#,
        Format::OpenAiChat,
        Format::Anthropic,
    );
    assert_eq!(string["error"]["message"], "upstream timed out");
    let other = error_body(
        422,
        br#"{"detail":"Unprocessable"}"#,
        Format::OpenAiChat,
        Format::Gemini,
    );
    assert_eq!(
        other["error"],
        json!({"code": 422, "message": "Unprocessable", "status": "INVALID_ARGUMENT"})
    );
}

#[test]
fn error_bodies_of_any_bytes_never_panic() {
    let mut seed: u32 = 0x2545_f491;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let pieces: [&[u8]; 8] = [
        b"{\"error\":",
        b"{",
        b"}",
        b"\"message\":",
        b"\"x\"",
        b"[",
        b"\xff\xfe",
        b"null,",
    ];
    for _ in 0..500 {
        let mut body = Vec::new();
        for _ in 0..next() % 12 {
            body.extend_from_slice(pieces[next() as usize % pieces.len()]);
        }
        let status = (next() % 700) as u16;
        for from in FORMATS {
            for to in FORMATS {
                let out = translate_error(status, &body, from, to);
                let _: Value = serde_json::from_slice(&out).expect("JSON");
            }
        }
    }
}

/// Writes one translated answer for each example and format, and one error
/// body for each, for `tests/sdk_shapes.py` to check against the SDKs'
/// types: run by that script, not by `cargo test`.
#[test]
#[ignore = "run by tests/sdk_shapes.py"]
fn write_samples_for_the_sdks() {
    let dir = std::env::var_os("ARGSTREAM_ANSWER_SAMPLES")
        .expect("ARGSTREAM_ANSWER_SAMPLES names a directory");
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut count = 0;
    for (n, example) in examples().into_iter().enumerate() {
        for to in FORMATS {
            let out = translate(&example.body, example.format, to);
            let file = dir.join(format!("answer-{n:02}-{}-{}.json", example.format, to));
            std::fs::write(file, serde_json::to_vec_pretty(&out).unwrap()).unwrap();
            count += 1;
        }
    }
    for (n, (from, status, body)) in error_examples().into_iter().enumerate() {
        for to in FORMATS {
            let out = translate_error(status, &serde_json::to_vec(&body).unwrap(), from, to);
            std::fs::write(dir.join(format!("error-{n:02}-{from}-{to}.json")), out).unwrap();
        }
    }
    assert_eq!(count, examples().len() * FORMATS.len());
}

/// The upstream's answer as its format streams it, for the relay: chat's
/// whole message as one chunk, Anthropic's blocks each started whole,
/// Responses' items each added and done, Gemini's response as one event.
fn stream_of(format: Format, whole: &Value) -> Vec<u8> {
    let mut events: Vec<(Option<&str>, Value)> = Vec::new();
    match format {
        Format::OpenAiChat => {
            let mut chunk = whole.clone();
            chunk["object"] = json!("chat.completion.chunk");
            let choice = &mut chunk["choices"][0];
            let mut delta = choice["message"].take();
            for (n, call) in delta["tool_calls"]
                .as_array_mut()
                .into_iter()
                .flatten()
                .enumerate()
            {
                call["index"] = json!(n);
            }
            choice["delta"] = delta;
            events.push((None, chunk));
        }
        Format::Anthropic => {
            let mut start = whole.clone();
            start["content"] = json!([]);
            events.push((
                Some("message_start"),
                json!({"type": "message_start", "message": start}),
            ));
            for (index, block) in whole["content"].as_array().unwrap().iter().enumerate() {
                let mut opened = block.clone();
                if block["type"] == "thinking" {
                    opened["signature"] = json!("");
                }
                events.push((
                    Some("content_block_start"),
                    json!({"type": "content_block_start", "index": index, "content_block": opened}),
                ));
                if block["type"] == "thinking" {
                    let delta = json!({"type": "signature_delta", "signature": block["signature"]});
                    events.push((
                        Some("content_block_delta"),
                        json!({"type": "content_block_delta", "index": index, "delta": delta}),
                    ));
                }
                events.push((
                    Some("content_block_stop"),
                    json!({"type": "content_block_stop", "index": index}),
                ));
            }
            let delta = json!({"stop_reason": whole["stop_reason"], "stop_sequence": whole["stop_sequence"]});
            events.push((
                Some("message_delta"),
                json!({"type": "message_delta", "delta": delta, "usage": whole["usage"]}),
            ));
            events.push((Some("message_stop"), json!({"type": "message_stop"})));
        }
        Format::OpenAiResponses => {
            let mut created = whole.clone();
            created["output"] = json!([]);
            created["status"] = json!("in_progress");
            events.push((
                Some("response.created"),
                json!({"type": "response.created", "response": created}),
            ));
            for (at, item) in whole["output"].as_array().unwrap().iter().enumerate() {
                let added =
                    json!({"type": "response.output_item.added", "output_index": at, "item": item});
                events.push((Some("response.output_item.added"), added));
                let deltas: Vec<(&str, &Value)> = match item["type"].as_str().unwrap() {
                    "message" => item["content"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|part| match part["type"].as_str().unwrap() {
                            "refusal" => ("response.refusal.delta", &part["refusal"]),
                            _ => ("response.output_text.delta", &part["text"]),
                        })
                        .collect(),
                    "reasoning" => item["summary"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|part| ("response.reasoning_summary_text.delta", &part["text"]))
                        .collect(),
                    _ => Vec::new(),
                };
                for (kind, delta) in deltas {
                    events.push((
                        Some(kind),
                        json!({"type": kind, "output_index": at, "delta": delta}),
                    ));
                }
                let done =
                    json!({"type": "response.output_item.done", "output_index": at, "item": item});
                events.push((Some("response.output_item.done"), done));
            }
            let end = match whole["status"].as_str().unwrap() {
                "incomplete" => "response.incomplete",
                _ => "response.completed",
            };
            events.push((Some(end), json!({"type": end, "response": whole})));
        }
        _ => events.push((None, whole.clone())),
    }
    let mut stream = Vec::new();
    for (name, data) in events {
        if let Some(name) = name {
            stream.extend_from_slice(format!("event: {name}\n").as_bytes());
        }
        stream.extend_from_slice(format!("data: {data}\n\n").as_bytes());
    }
    if format == Format::OpenAiChat {
        stream.extend_from_slice(b"data: [DONE]\n\n");
    }
    stream
}

/// The `data:` of each event of a stream the relay wrote.
fn data_of(stream: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stream)
        .lines()
        .filter_map(|line| line.trim_end_matches('\r').strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).expect("each event is JSON"))
        .collect()
}

/// The whole answer a client of `format` assembles from the relay's
/// stream, as its SDK's accumulator does.
fn assembled(format: Format, stream: &[u8]) -> Value {
    let events = data_of(stream);
    match format {
        Format::OpenAiChat => {
            let (mut text, mut refusal, mut reasoning) =
                (String::new(), String::new(), String::new());
            let mut calls: Vec<Value> = Vec::new();
            let (mut finish, mut usage) = (Value::Null, Value::Null);
            for chunk in &events {
                if !chunk["usage"].is_null() {
                    usage = chunk["usage"].clone();
                }
                let Some(choice) = chunk["choices"].get(0) else {
                    continue;
                };
                let delta = &choice["delta"];
                text.push_str(delta["content"].as_str().unwrap_or(""));
                refusal.push_str(delta["refusal"].as_str().unwrap_or(""));
                reasoning.push_str(delta["reasoning_content"].as_str().unwrap_or(""));
                for call in delta["tool_calls"].as_array().into_iter().flatten() {
                    let at = call["index"].as_u64().unwrap() as usize;
                    if at == calls.len() {
                        calls.push(json!({"id": call["id"], "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": ""}}));
                    }
                    let piece = call["function"]["arguments"].as_str().unwrap_or("");
                    let arguments = calls[at]["function"]["arguments"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                        + piece;
                    calls[at]["function"]["arguments"] = json!(arguments);
                }
                if !choice["finish_reason"].is_null() {
                    finish = choice["finish_reason"].clone();
                }
            }
            let message = json!({"role": "assistant", "content": text, "refusal": refusal,
                "reasoning_content": reasoning, "tool_calls": calls});
            json!({"choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage})
        }
        Format::Anthropic => {
            let mut message = Value::Null;
            let mut inputs: Vec<String> = Vec::new();
            for event in events {
                match event["type"].as_str().unwrap() {
                    "message_start" => message = event["message"].clone(),
                    "content_block_start" => {
                        message["content"]
                            .as_array_mut()
                            .unwrap()
                            .push(event["content_block"].clone());
                        inputs.push(String::new());
                    }
                    "content_block_delta" => {
                        let at = event["index"].as_u64().unwrap() as usize;
                        let block = &mut message["content"][at];
                        let delta = &event["delta"];
                        match delta["type"].as_str().unwrap() {
                            "text_delta" => {
                                block["text"] = json!(
                                    block["text"].as_str().unwrap().to_owned()
                                        + delta["text"].as_str().unwrap()
                                );
                            }
                            "thinking_delta" => {
                                let thinking = block["thinking"].as_str().unwrap().to_owned();
                                block["thinking"] =
                                    json!(thinking + delta["thinking"].as_str().unwrap());
                            }
                            "signature_delta" => block["signature"] = delta["signature"].clone(),
                            "input_json_delta" => {
                                inputs[at].push_str(delta["partial_json"].as_str().unwrap())
                            }
                            other => panic!("delta {other}"),
                        }
                    }
                    "content_block_stop" => {
                        let at = event["index"].as_u64().unwrap() as usize;
                        if message["content"][at]["type"] == "tool_use" && !inputs[at].is_empty() {
                            message["content"][at]["input"] =
                                serde_json::from_str(&inputs[at]).unwrap();
                        }
                    }
                    "message_delta" => {
                        message["stop_reason"] = event["delta"]["stop_reason"].clone();
                        message["stop_sequence"] = event["delta"]["stop_sequence"].clone();
                        message["usage"] = event["usage"].clone();
                    }
                    _ => {}
                }
            }
            message
        }
        Format::OpenAiResponses => {
            let last = events.last().expect("the response's end");
            last["response"].clone()
        }
        _ => {
            let mut parts: Vec<Value> = Vec::new();
            let mut last = Value::Null;
            for event in events {
                parts.extend(
                    event["candidates"][0]["content"]["parts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .cloned(),
                );
                last = event;
            }
            last["candidates"][0]["content"]["parts"] = json!(parts);
            last
        }
    }
}

/// An answer read whole reads as the relay streams the same answer: the
/// same text, reasoning, calls (ids, names, arguments), finish and usage.
#[test]
fn a_whole_answer_reads_as_the_relay_streams_it() {
    for example in examples() {
        let stream = stream_of(example.format, &example.body);
        for to in FORMATS.into_iter().filter(|&to| to != example.format) {
            let mut relay = argstream::Relay::new::<&str>(&[])
                .with_format(Some(example.format))
                .with_output(argstream::Output::of(to))
                .with_tool_calls(argstream::ToolCallMode::Forward);
            relay
                .feed(stream.clone().into())
                .expect("the relay reads the stream");
            relay.finish().expect("the stream ends");
            let streamed = seen(to, &assembled(to, &relay.output()));
            let whole = seen(to, &translate(&example.body, example.format, to));
            assert_eq!(whole, streamed, "{} to {to}", example.name);
        }
    }
}
