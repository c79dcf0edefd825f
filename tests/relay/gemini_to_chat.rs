//! Gemini in, Chat Completions out: every recorded stream, and generated
//! Vertex streams whose call arguments come as `partialArgs` pieces,
//! relayed at several feed sizes and checked against what serde_json reads
//! in the raw events.

use argstream::{ErrorKind, Format, Relay, ToolCallMode};
use serde_json::{Value, json};

use crate::common;
use crate::common::client;
use crate::common::expected::{self, Call, Expected};
use crate::support::{gemini_data as events, vertex_call_part as call_part, vertex_event as event};

/// Puts `value` at the JSON path `path` (`$.a.b[0].c`) in `root`, building
/// objects and arrays on the way; a string with `append` is added to the
/// string already there.
fn set_path(root: &mut Value, path: &str, value: Value, append: bool) {
    let mut at = root;
    let mut rest = path.strip_prefix('$').expect("a path starts with $");
    while !rest.is_empty() {
        if let Some(name) = rest.strip_prefix('.') {
            let end = name.find(['.', '[']).unwrap_or(name.len());
            if !at.is_object() {
                *at = json!({});
            }
            at = at
                .as_object_mut()
                .unwrap()
                .entry(&name[..end])
                .or_insert(Value::Null);
            rest = &name[end..];
        } else {
            let inner = rest.strip_prefix('[').unwrap();
            let end = inner.find(']').unwrap();
            let index: usize = inner[..end].parse().unwrap();
            if !at.is_array() {
                *at = json!([]);
            }
            let array = at.as_array_mut().unwrap();
            if array.len() <= index {
                array.resize(index + 1, Value::Null);
            }
            at = &mut array[index];
            rest = &inner[end + 1..];
        }
    }
    match (at, value) {
        (Value::String(text), Value::String(more)) if append => text.push_str(&more),
        (slot, value) => *slot = value,
    }
}

/// What a Gemini stream carried, read with serde_json.
fn expect(body: &[u8]) -> Expected {
    let mut e = Expected::default();
    let mut first_finish: Option<String> = None;
    let mut streaming: Option<(usize, Value, Option<String>)> = None;
    let (mut prompt, mut completion, mut total) = (None, None, None);
    for event in events(body) {
        if event.get("error").is_some_and(|e| !e.is_null()) {
            e.error = true;
            break;
        }
        let response = event["responseId"].as_str().unwrap_or("");
        let candidate = event["candidates"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["index"].as_u64().unwrap_or(0) == 0);
        if let Some(candidate) = candidate {
            for part in candidate["content"]["parts"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(text) = part["text"].as_str() {
                    if part["thought"] == true {
                        e.reasoning.push_str(text);
                    } else {
                        e.text.push_str(text);
                    }
                }
                let call = &part["functionCall"];
                if !call.is_object() {
                    continue;
                }
                let more = call["willContinue"] == true;
                if streaming.is_none() {
                    if call.get("name").is_none()
                        && call.get("args").is_none()
                        && call.get("partialArgs").is_none()
                    {
                        continue;
                    }
                    let id = call["id"]
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("call_{response}_{}", e.calls.len()));
                    e.calls.push(Call {
                        id,
                        name: call["name"].as_str().unwrap_or("").to_owned(),
                        arguments: call.get("args").cloned().unwrap_or(json!({})),
                    });
                    if !(more || call.get("partialArgs").is_some() && call.get("args").is_none()) {
                        continue;
                    }
                    streaming = Some((e.calls.len() - 1, json!({}), None));
                }
                let (slot, arguments, open) = streaming.as_mut().unwrap();
                for piece in call["partialArgs"].as_array().into_iter().flatten() {
                    let path = piece["jsonPath"].as_str().unwrap();
                    let continues = open.as_deref() == Some(path);
                    let value = ["stringValue", "numberValue", "boolValue"]
                        .iter()
                        .find_map(|field| piece.get(*field).cloned())
                        .or_else(|| piece.get("nullValue").map(|_| Value::Null));
                    *open = None;
                    if let Some(value) = value {
                        if value.is_string() && piece["willContinue"] == true {
                            *open = Some(path.to_owned());
                        }
                        set_path(arguments, path, value, continues);
                    }
                }
                e.calls[*slot].arguments = arguments.clone();
                if !more {
                    streaming = None;
                }
            }
            if let Some(reason) = candidate["finishReason"].as_str() {
                first_finish.get_or_insert(reason.to_owned());
            }
        }
        if event["promptFeedback"]["blockReason"].is_string() {
            first_finish.get_or_insert("SAFETY".to_owned());
        }
        let usage = &event["usageMetadata"];
        let n = |field: &str| usage[field].as_u64();
        let sum = |a: Option<u64>, b: Option<u64>| a.or(b).map(|_| a.unwrap_or(0) + b.unwrap_or(0));
        prompt = sum(n("promptTokenCount"), n("toolUsePromptTokenCount")).or(prompt);
        completion = sum(n("candidatesTokenCount"), n("thoughtsTokenCount")).or(completion);
        total = n("totalTokenCount").or(total);
    }
    if prompt.is_some() || completion.is_some() || total.is_some() {
        let (p, c) = (prompt.unwrap_or(0), completion.unwrap_or(0));
        e.usage = Some((p, c, total.unwrap_or(p + c)));
    }
    e.finish = first_finish.map(|reason| {
        match reason.as_str() {
            "STOP" if !e.calls.is_empty() => "tool_calls",
            "STOP" => "stop",
            "MAX_TOKENS" => "length",
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" => {
                "content_filter"
            }
            other => other,
        }
        .to_owned()
    });
    e
}

#[test]
fn every_recorded_gemini_stream() {
    let files = common::testdata_files("streams/gemini");
    if files.is_empty() {
        return;
    }
    let (mut calls, mut streamed, mut thoughts, mut two_finishes) = (0, 0, 0, 0);
    for path in &files {
        let body = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let expected = expect(&body);
        expected::check(&name, &body, &expected, "gemini");
        calls += usize::from(!expected.calls.is_empty());
        streamed += usize::from(body.windows(11).any(|w| w == b"partialArgs"));
        thoughts += usize::from(!expected.reasoning.is_empty());
        two_finishes +=
            usize::from(body.windows(13).filter(|w| w == b"\"finishReason").count() > 1);
    }
    assert_eq!(files.len(), 104);
    assert!(calls >= 34 && streamed >= 1 && thoughts >= 12 && two_finishes >= 7);
}

/// A voice-agent turn: text, then a streamed call whose `pre_exec_msg`
/// comes in the string pieces `message`, beside a number, a boolean and a
/// nested path, then usage and `STOP`.
fn streamed_turn(message: &[&str]) -> String {
    let mut body = event(json!([{"text": "One moment. "}]), json!({}));
    body += &event(
        call_part(json!({"name": "lookup_order", "willContinue": true})),
        json!({}),
    );
    body += &event(
        call_part(
            json!({"partialArgs": [{"jsonPath": "$.order_id", "numberValue": 4127}], "willContinue": true}),
        ),
        json!({}),
    );
    for (i, piece) in message.iter().enumerate() {
        let last = i + 1 == message.len();
        let mut arg = json!({"jsonPath": "$.pre_exec_msg", "stringValue": piece});
        if !last {
            arg["willContinue"] = json!(true);
        }
        body += &event(
            call_part(json!({"partialArgs": [arg], "willContinue": true})),
            json!({}),
        );
    }
    body += &event(
        call_part(json!({"partialArgs": [
            {"jsonPath": "$.urgent", "boolValue": true},
            {"jsonPath": "$.filters.items[0].sku", "stringValue": "A-1"},
            {"jsonPath": "$.filters.items[0].qty", "numberValue": 2},
            {"jsonPath": "$.filters.items[1].sku", "stringValue": "B-2"},
            {"jsonPath": "$.note", "nullValue": null}
        ], "willContinue": true})),
        json!({}),
    );
    body += &event(call_part(json!({})), json!({}));
    body += &event(
        json!([{"text": ""}]),
        json!({"finishReason": "STOP", "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 12, "thoughtsTokenCount": 5, "totalTokenCount": 57}}),
    );
    body
}

#[test]
fn a_streamed_target_string_cut_at_every_piece_boundary() {
    let message = "Let me check order 4127 for you, caf\u{e9} \u{1F600} \"now\".";
    let chars: Vec<char> = message.chars().collect();
    for cut in 0..=chars.len() {
        for second in [cut, (cut + 3).min(chars.len())] {
            let pieces: Vec<String> = [&chars[..cut], &chars[cut..second], &chars[second..]]
                .iter()
                .map(|c| c.iter().collect())
                .collect();
            let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
            let body = streamed_turn(&pieces);
            let expected = expect(body.as_bytes());
            assert_eq!(expected.calls[0].arguments["pre_exec_msg"], message);
            let name = format!("cut at {cut} and {second}");
            let out = expected::check(&name, body.as_bytes(), &expected, "gemini");
            let seen = client::read(&out);
            assert_eq!(seen.content, format!("One moment. {message}"), "{name}");
        }
    }
}

#[test]
fn the_streamed_arguments_are_the_assembled_json_and_the_id_is_made() {
    let body = streamed_turn(&["Checking ", "your order", ""]);
    let (_, relay, result) = expected::relay(Relay::default(), body.as_bytes(), 1);
    result.unwrap();
    let summary = relay.summary();
    let call = &summary.tool_calls[0];
    assert_eq!(call.id, "call_resp_1_0");
    assert_eq!(
        call.arguments,
        r#"{"order_id":4127,"pre_exec_msg":"Checking your order","urgent":true,"filters":{"items":[{"sku":"A-1","qty":2},{"sku":"B-2"}]},"note":null}"#
    );
    assert_eq!(summary.finish_reason.as_deref(), Some("tool_calls"));
    // The target streams from the pieces, before the call ends.
    let upto = body.find("$.urgent").unwrap();
    let mut relay = Relay::default();
    relay
        .feed(bytes::Bytes::copy_from_slice(&body.as_bytes()[..upto]))
        .unwrap();
    assert_eq!(
        client::read(&relay.output()).content,
        "One moment. Checking your order"
    );
}

#[test]
fn a_path_back_into_a_closed_container_fails_that_call_alone() {
    let mut body = event(
        call_part(json!({"name": "a", "willContinue": true})),
        json!({}),
    );
    body += &event(
        call_part(json!({"partialArgs": [
            {"jsonPath": "$.x.y", "numberValue": 1},
            {"jsonPath": "$.z", "numberValue": 2},
            {"jsonPath": "$.x.w", "numberValue": 3}
        ], "willContinue": true})),
        json!({}),
    );
    body += &event(call_part(json!({})), json!({}));
    body += &event(
        call_part(json!({"name": "b", "args": {"pre_exec_msg": "fine"}})),
        json!({"finishReason": "STOP"}),
    );
    for piece in [1, 7, body.len()] {
        let (out, relay, result) = expected::relay(Relay::default(), body.as_bytes(), piece);
        result.unwrap();
        let calls = &relay.summary().tool_calls;
        assert_eq!(calls[0].arguments, r#"{"x":{"y":1},"z":2"#);
        let error = calls[0].error.unwrap();
        assert_eq!(
            (error.kind(), error.offset()),
            (ErrorKind::MalformedChunk, 18)
        );
        assert_eq!(
            (calls[1].arguments.as_str(), calls[1].error),
            (
                r#"{"pre_exec_msg": "fine"}"#.replace(": ", ":").as_str(),
                None
            )
        );
        assert_eq!(client::read(&out).content, "fine");
    }
}

#[test]
fn whole_and_parallel_calls_thoughts_and_code_are_told_apart() {
    let parts = json!([
        {"text": "plan", "thought": true},
        {"text": "", "thoughtSignature": "c2ln"},
        {"executableCode": {"code": "print(1)", "language": "PYTHON"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
        {"text": "Sure. "},
        {"functionCall": {"name": "speak", "args": {"pre_exec_msg": "Hi \u{e9}", "n": [1, 2]}}},
        {"functionCall": {"name": "speak", "id": "given", "args": {"pre_exec_msg": "there"}}},
        {"functionCall": {"name": "noargs"}}
    ]);
    let body = event(
        parts,
        json!({"finishReason": "STOP", "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3, "cachedContentTokenCount": 1}}),
    );
    // A second candidate is ignored.
    let mut two: Value = serde_json::from_str(body.trim().strip_prefix("data: ").unwrap()).unwrap();
    two["candidates"].as_array_mut().unwrap().insert(
        0,
        json!({"index": 1, "content": {"parts": [{"text": "other"}]}}),
    );
    let two = format!("data: {two}\n\n");
    for body in [body, two] {
        let expected = expect(body.as_bytes());
        let out = expected::check("parallel", body.as_bytes(), &expected, "gemini");
        let seen = client::read(&out);
        assert_eq!(seen.content, "Sure. Hi éthere");
        assert_eq!(seen.reasoning, "plan");
        let forward = Relay::default().with_tool_calls(ToolCallMode::Forward);
        let (out, relay, _) = expected::relay(forward, body.as_bytes(), 3);
        let calls = client::read(&out).calls;
        let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["call_resp_1_0", "given", "call_resp_1_2"]);
        assert_eq!(calls[2].arguments, "{}");
        // As JSON: the test's own json! bodies keep their members' order
        // only with serde_json's preserve_order (which a workspace build
        // turns on), and the relay keeps whatever order came.
        let arguments: Value =
            serde_json::from_str(&relay.summary().tool_calls[0].arguments).unwrap();
        assert_eq!(arguments, json!({"n": [1, 2], "pre_exec_msg": "Hi é"}));
        let usage = &client::read(&out).usage[0];
        assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 1);
    }
}

#[test]
fn the_first_finish_goes_out_once_at_the_end() {
    let mut body = event(
        json!([{"text": "a"}]),
        json!({"finishReason": "MAX_TOKENS"}),
    );
    body += &event(json!([{"text": "b"}]), json!({"finishReason": "STOP"}));
    let expected = expect(body.as_bytes());
    assert_eq!(expected.finish.as_deref(), Some("length"));
    let out = expected::check("two finishes", body.as_bytes(), &expected, "gemini");
    assert_eq!(client::read(&out).content, "ab");
    for (word, finish) in [
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("SPII", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "MALFORMED_FUNCTION_CALL"),
    ] {
        let body = event(json!([{"text": "x"}]), json!({"finishReason": word}));
        let (_, relay, _) = expected::relay(Relay::default(), body.as_bytes(), 5);
        assert_eq!(
            relay.summary().finish_reason.as_deref(),
            Some(finish),
            "{word}"
        );
    }
    let blocked =
        "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"responseId\":\"r\"}\n\n";
    let (_, relay, _) = expected::relay(Relay::default(), blocked.as_bytes(), 5);
    assert_eq!(relay.format(), Some(Format::Gemini));
    assert_eq!(
        relay.summary().finish_reason.as_deref(),
        Some("content_filter")
    );
}

#[test]
fn no_finish_is_cut_off_and_an_error_is_an_upstream_error() {
    let body = event(json!([{"text": "partial"}]), json!({}));
    let expected = expect(body.as_bytes());
    assert_eq!(expected.finish, None);
    expected::check("cut off", body.as_bytes(), &expected, "gemini");
    let mut body = event(json!([{"text": "so far"}]), json!({}));
    body += "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n";
    let (out, relay, result) = expected::relay(
        Relay::default().with_format(Some(Format::Gemini)),
        body.as_bytes(),
        4,
    );
    result.unwrap();
    let seen = client::read(&out);
    assert_eq!(seen.errors[0]["message"], "The model is overloaded.");
    assert_eq!(seen.errors[0]["type"], "UNAVAILABLE");
    assert_eq!(seen.errors[0]["code"], 503);
    assert!(
        relay
            .summary()
            .upstream_error
            .as_deref()
            .unwrap()
            .contains("UNAVAILABLE")
    );
}

#[test]
fn a_stream_that_only_opens_a_call_is_cut_off() {
    let body = event(
        call_part(
            json!({"name": "a", "willContinue": true, "partialArgs": [{"jsonPath": "$.pre_exec_msg", "stringValue": "Hel", "willContinue": true}]}),
        ),
        json!({}),
    );
    let (out, relay, result) = expected::relay(Relay::default(), body.as_bytes(), 2);
    result.unwrap();
    let seen = client::read(&out);
    assert_eq!(seen.content, "Hel");
    assert_eq!(seen.errors.len(), 1);
    assert_eq!(
        relay.summary().tool_calls[0].error.unwrap().kind(),
        ErrorKind::Truncated
    );
}

#[test]
fn the_bundled_example_streams_the_preamble_from_its_pieces() {
    let body = include_bytes!("../../examples/data/voice_agent_gemini.sse");
    let expected = expect(body);
    assert!(body.windows(11).any(|w| w == b"partialArgs"));
    expected::check("voice_agent_gemini", body, &expected, "gemini");
    let (out, relay) = expected::check_voice_agent(body);
    let call = &relay.summary().tool_calls[0];
    let arguments: Value = serde_json::from_str(&call.arguments).unwrap();
    assert_eq!(arguments["query"]["pre_exec_msg"], "decoy");
    assert_eq!(
        (&arguments["days"], &arguments["metric"]),
        (&json!(3), &json!(true))
    );
    // Each piece of the preamble goes out as it arrives: one content delta
    // an upstream piece.
    let pieces = client::payloads(&out)
        .iter()
        .filter(|p| p.windows(10).any(|w| w == b"\"content\":"))
        .count();
    assert_eq!(pieces, 2 + 7);
}
