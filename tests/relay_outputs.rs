//! The output formats on hand-written hard cases: a chat stream with
//! several choices, a call with no arguments, parallel calls after a text
//! block, an error, in every format; each output checked against its
//! format's rules (tests/common/rules.rs) and read back with the crate's
//! decoders (tests/common/readback.rs).

mod common;

use argstream::{Format, OutputFormat, Relay, ToolCallMode};
use bytes::Bytes;
use common::client;
use common::readback;
use common::rules;
use serde_json::{Value, json};

const OUTPUTS: [(OutputFormat, Format); 4] = [
    (OutputFormat::OpenAiChat, Format::OpenAiChat),
    (OutputFormat::Anthropic, Format::Anthropic),
    (OutputFormat::OpenAiResponses, Format::OpenAiResponses),
    (OutputFormat::Gemini, Format::Gemini),
];

fn relay(relay: Relay, upstream: &str) -> Vec<u8> {
    let mut relay = relay;
    let mut out = Vec::new();
    for read in upstream.as_bytes().chunks(7) {
        relay.feed(Bytes::copy_from_slice(read)).unwrap();
        out.extend_from_slice(&relay.output());
    }
    relay.finish().unwrap();
    out.extend_from_slice(&relay.output());
    out
}

/// A relay that forwards the calls, answering in `output`.
fn forwarding(output: OutputFormat) -> Relay {
    Relay::default()
        .with_tool_calls(ToolCallMode::Forward)
        .with_output(output)
}

fn check_rules(output: OutputFormat, out: &[u8]) {
    match output {
        OutputFormat::Anthropic => rules::anthropic(out),
        OutputFormat::OpenAiResponses => rules::responses(out),
        OutputFormat::Gemini => rules::gemini(out),
        _ => {}
    }
}

fn chunk(choices: Value) -> String {
    let chunk = json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"gpt","choices":choices});
    format!("data: {chunk}\n\n")
}

/// A chat chunk of choice 0 alone.
fn choice_chunk(delta: &Value, finish: Value) -> String {
    chunk(json!([{"index":0,"delta":delta,"finish_reason":finish}]))
}

/// A chat stream of these deltas, then a `tool_calls` finish, relayed to
/// Gemini with the calls forwarded.
fn calls_to_gemini(deltas: &[Value]) -> Relay {
    let mut upstream: String = deltas
        .iter()
        .map(|d| choice_chunk(d, Value::Null))
        .collect();
    upstream += &choice_chunk(&json!({}), json!("tool_calls"));
    upstream += "data: [DONE]\n\n";
    let mut relayer = forwarding(OutputFormat::Gemini);
    relayer.feed(Bytes::from(upstream)).unwrap();
    relayer.finish().unwrap();
    relayer
}

/// A chat stream with `n` choices: each says its own words (choice 1's
/// arrive first in each chunk), and with `calls` each also calls a tool
/// whose `pre_exec_msg` is its own.
fn choices_stream(n: u64, calls: bool) -> String {
    let mut body = String::new();
    for i in (0..n).rev() {
        body += &chunk(json!([{"index":i,"delta":{"role":"assistant","content":""}}]));
    }
    for word in ["Here", " is", " mine"] {
        let choices: Vec<Value> = (0..n)
            .rev()
            .map(|i| json!({"index":i,"delta":{"content":format!("{word}{i}")}}))
            .collect();
        body += &chunk(Value::Array(choices));
    }
    if calls {
        for i in 0..n {
            let arguments = format!(r#"{{"pre_exec_msg":"Checking {i}","city":"Paris"}}"#);
            let (head, tail) = arguments.split_at(20);
            for (part, piece) in [head, tail].into_iter().enumerate() {
                let call = if part == 0 {
                    json!({"index":0,"id":format!("call_{i}"),"type":"function","function":{"name":"lookup","arguments":piece}})
                } else {
                    json!({"index":0,"function":{"arguments":piece}})
                };
                body += &chunk(json!([{"index":i,"delta":{"tool_calls":[call]}}]));
            }
        }
    }
    let reason = if calls { "tool_calls" } else { "stop" };
    for i in 0..n {
        body += &chunk(json!([{"index":i,"delta":{},"finish_reason":reason}]));
    }
    body += &chunk(json!([])).replace(
        r#""choices":[]"#,
        r#""choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}"#,
    );
    body + "data: [DONE]\n\n"
}

fn several_choices(n: u64, calls: bool) {
    let upstream = choices_stream(n, calls);
    for mode in [ToolCallMode::Hide, ToolCallMode::Forward] {
        let out = relay(Relay::default().with_tool_calls(mode), &upstream);
        // openai-python builds its choices by index from the first chunk
        // on: they must first appear in index order.
        let mut order = Vec::new();
        for payload in client::payloads(&out) {
            let Ok(chunk) = serde_json::from_slice::<Value>(payload) else {
                continue;
            };
            for choice in chunk["choices"].as_array().into_iter().flatten() {
                let index = choice["index"].as_u64().unwrap();
                if !order.contains(&index) {
                    order.push(index);
                }
            }
        }
        assert_eq!(
            order,
            (0..n).collect::<Vec<_>>(),
            "{mode}: choices in order"
        );
        let seen = client::read(&out);
        let spoken = |i: u64| {
            if calls {
                format!("Checking {i}")
            } else {
                String::new()
            }
        };
        assert_eq!(
            seen.content,
            format!("Here0 is0 mine0{}", spoken(0)),
            "{mode}"
        );
        assert_eq!(seen.roles, ["assistant"]);
        assert_eq!(seen.finish_reasons.len(), 1);
        assert_eq!(seen.others.len() as u64, n - 1);
        for (&i, choice) in &seen.others {
            assert_eq!(
                choice.content,
                format!("Here{i} is{i} mine{i}{}", spoken(i))
            );
            assert_eq!(choice.roles, ["assistant"], "choice {i}: one role");
            assert_eq!(choice.finish_reasons.len(), 1, "choice {i}: one finish");
            let forwarded = calls && mode == ToolCallMode::Forward;
            assert_eq!(choice.calls.len(), usize::from(forwarded), "choice {i}");
            if forwarded {
                assert_eq!(choice.calls[0].id, format!("call_{i}"));
                assert_eq!(
                    choice.calls[0].arguments,
                    format!(r#"{{"pre_exec_msg":"Checking {i}","city":"Paris"}}"#)
                );
            }
        }
        // The other formats carry choice 0 alone.
        for (output, format) in &OUTPUTS[1..] {
            let relayer = Relay::default().with_tool_calls(mode).with_output(*output);
            let out = relay(relayer, &upstream);
            check_rules(*output, &out);
            let back = readback::read(&out, Some(*format)).unwrap();
            assert_eq!(
                back.text,
                format!("Here0 is0 mine0{}", spoken(0)),
                "{output}"
            );
            let forwarded = calls && mode == ToolCallMode::Forward;
            assert_eq!(back.calls.len(), usize::from(forwarded), "{output}");
        }
    }
    // The summary describes choice 0.
    let mut relayer = Relay::default();
    relayer.feed(Bytes::from(upstream)).unwrap();
    relayer.finish().unwrap();
    assert_eq!(relayer.summary().content, "Here0 is0 mine0");
    assert_eq!(relayer.summary().tool_calls.len(), usize::from(calls));
}

#[test]
fn two_choices_stay_apart() {
    several_choices(2, false);
}

#[test]
fn three_choices_stay_apart() {
    several_choices(3, false);
}

#[test]
fn two_choices_with_calls_stay_apart() {
    several_choices(2, true);
}

#[test]
fn three_choices_with_calls_stay_apart() {
    several_choices(3, true);
}

/// Anthropic: text, then two parallel calls, the second with no arguments.
fn parallel_calls() -> String {
    let events = [
        json!({"type":"message_start","message":{"id":"msg_1","model":"claude","role":"assistant","content":[],"usage":{"input_tokens":10,"output_tokens":1}}}),
        json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me look."}}),
        json!({"type":"content_block_stop","index":0}),
        json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"weather","input":{}}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"pre_exec_msg\": \"One mo"}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ment\", \"city\": \"Oslo\"}"}}),
        json!({"type":"content_block_stop","index":1}),
        json!({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_b","name":"clock","input":{}}}),
        json!({"type":"content_block_stop","index":2}),
        json!({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":30}}),
        json!({"type":"message_stop"}),
    ];
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

#[test]
fn parallel_calls_after_a_text_block_in_every_format() {
    let upstream = parallel_calls();
    for (output, format) in OUTPUTS {
        let relayer = forwarding(output);
        let out = relay(relayer, &upstream);
        check_rules(output, &out);
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!(back.text, "Let me look.One moment", "{output}");
        let calls: Vec<(&str, &str, &str)> = back
            .calls
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
            .collect();
        // Gemini carries a call's arguments as an object: `{}` for none.
        let none = if output == OutputFormat::Gemini {
            "{}"
        } else {
            ""
        };
        assert_eq!(
            calls,
            [
                (
                    "toolu_a",
                    "weather",
                    r#"{"pre_exec_msg": "One moment", "city": "Oslo"}"#
                ),
                ("toolu_b", "clock", none),
            ],
            "{output}"
        );
        assert_eq!(back.finish.as_deref(), Some("tool_calls"), "{output}");
        assert_eq!(back.usage.unwrap().0, Some(10), "{output}");
    }
}

#[test]
fn a_call_with_no_arguments_has_input_braces_in_anthropic_and_no_deltas() {
    let upstream = parallel_calls();
    let relayer = forwarding(OutputFormat::Anthropic);
    let out = String::from_utf8(relay(relayer, &upstream)).unwrap();
    let events: Vec<Value> = common::upstream::events(out.as_bytes())
        .iter()
        .map(|(_, data)| serde_json::from_slice(data).unwrap())
        .collect();
    let start = events
        .iter()
        .find(|e| e["content_block"]["id"] == "toolu_b")
        .expect("the call's block");
    assert_eq!(
        start["content_block"],
        json!({"type":"tool_use","id":"toolu_b","name":"clock","input":{}})
    );
    let deltas = events
        .iter()
        .filter(|e| e["type"] == "content_block_delta" && e["index"] == start["index"]);
    assert_eq!(deltas.count(), 0, "{out}");
    // Anthropic to Anthropic, hidden: the value in a text block, no tool_use.
    let out = String::from_utf8(relay(
        Relay::default().with_output(OutputFormat::Same),
        &upstream,
    ))
    .unwrap();
    rules::anthropic(out.as_bytes());
    assert!(!out.contains("tool_use\""), "{out}");
    assert!(out.contains(r#""stop_reason":"end_turn""#), "{out}");
}

#[test]
fn an_upstream_error_in_every_format_ends_the_stream_with_no_success_end() {
    let upstream = concat!(
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n",
        "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":\"busy\"}}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
        "data: [DONE]\n\n",
    );
    let wants = [
        r#"data: {"error":{"message":"overloaded","type":"server_error","code":"busy"}}"#,
        r#"event: error
data: {"type":"error","error":{"type":"server_error","message":"overloaded"}}"#,
        r#""type":"response.failed""#,
        "data: {\"error\":{\"code\":500,\"message\":\"overloaded\",\"status\":\"INTERNAL\"}}\r\n\r\n",
    ];
    for ((output, format), want) in OUTPUTS.into_iter().zip(wants) {
        let out = relay(Relay::default().with_output(output), upstream);
        check_rules(output, &out);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains(want), "{output}: {text}");
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!(
            (back.text.as_str(), back.errors, back.ended),
            ("Hel", 1, false),
            "{output}"
        );
    }
    // Cut off: the same, with the relay's own error.
    let cut = &upstream[..upstream.find("data: {\"error\"").unwrap()];
    for (output, format) in OUTPUTS {
        let out = relay(Relay::default().with_output(output), cut);
        check_rules(output, &out);
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!((back.errors, back.ended), (1, false), "{output}: cut off");
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("upstream stream ended"),
            "{output}"
        );
    }
}

#[test]
fn write_error_speaks_the_output_format() {
    for (output, format) in OUTPUTS {
        let mut relayer = Relay::default().with_output(output);
        relayer.write_error("upstream_timeout", "upstream went silent");
        relayer.write_error("upstream_timeout", "twice");
        let out = relayer.output();
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!(back.errors, 1, "{output}");
        assert!(relayer.is_ended());
    }
}

#[test]
fn same_answers_in_the_upstream_format() {
    let upstream = parallel_calls();
    let mut relayer = Relay::default().with_output(OutputFormat::Same);
    assert_eq!(relayer.output_format(), OutputFormat::OpenAiChat);
    relayer.feed(Bytes::from(upstream)).unwrap();
    assert_eq!(relayer.output_format(), OutputFormat::Anthropic);
    relayer.reset();
    relayer.feed(Bytes::from(choices_stream(1, false))).unwrap();
    assert_eq!(relayer.output_format(), OutputFormat::OpenAiChat);
    assert_eq!("same".parse::<OutputFormat>(), Ok(OutputFormat::Same));
    assert_eq!(
        "anthropic".parse::<OutputFormat>(),
        Ok(OutputFormat::Anthropic)
    );
    assert_eq!("gemini".parse::<OutputFormat>(), Ok(OutputFormat::Gemini));
    assert_eq!(OutputFormat::of(Format::Gemini), OutputFormat::Gemini);
    assert!("gemini-x".parse::<OutputFormat>().is_err());
}

#[test]
fn anthropic_to_anthropic_forwards_unchanged_deltas_as_they_came() {
    let events = [
        r#"{"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":1,"output_tokens":1}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta", "index":0, "delta":{"type":"text_delta","text":"Hi"}, "x":1}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"pre_exec_msg\":\"Ok\"}"}}"#,
        r#"{"type":"content_block_stop","index":1}"#,
        r#"{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta", "index":2, "delta":{"type":"text_delta","text":" bye"}}"#,
        r#"{"type":"content_block_stop","index":2}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}"#,
        r#"{"type":"message_stop"}"#,
    ];
    let upstream: String = events
        .iter()
        .map(|e| {
            let kind: Value = serde_json::from_str(e).unwrap();
            format!("event: {}\ndata: {e}\n\n", kind["type"].as_str().unwrap())
        })
        .collect();
    let hidden = String::from_utf8(relay(
        Relay::default().with_output(OutputFormat::Same),
        &upstream,
    ))
    .unwrap();
    rules::anthropic(hidden.as_bytes());
    // Block 0 is block 0 downstream: its delta goes as it came.
    assert!(hidden.contains(events[2]), "{hidden}");
    // The call is hidden and its value joins block 0, so upstream's block 2
    // is written anew.
    assert!(!hidden.contains(events[8]), "{hidden}");
    let back = readback::read(hidden.as_bytes(), Some(Format::Anthropic)).unwrap();
    assert_eq!(back.text, "HiOk bye");
    // Forwarded without values, the blocks keep upstream's numbers.
    let relayer = Relay::default()
        .with_output(OutputFormat::Same)
        .with_tool_calls(ToolCallMode::Forward)
        .with_values(false);
    let forwarded = String::from_utf8(relay(relayer, &upstream)).unwrap();
    rules::anthropic(forwarded.as_bytes());
    assert!(
        forwarded.contains(events[2]) && forwarded.contains(events[8]),
        "{forwarded}"
    );
}

/// The events of a Gemini output, parsed.
fn gemini_events(out: &[u8]) -> Vec<Value> {
    rules::gemini(out);
    common::upstream::events(out)
        .iter()
        .map(|(_, data)| serde_json::from_slice(data).unwrap())
        .collect()
}

/// The `functionCall` of every part that has one.
fn function_calls(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .flat_map(parts)
        .filter_map(|p| p.get("functionCall"))
        .collect()
}

/// The parts of a Gemini event's candidate.
fn parts(event: &Value) -> &[Value] {
    event["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
}

#[test]
fn parallel_calls_after_text_go_to_gemini_whole_each_once_its_arguments_are() {
    let relayer = forwarding(OutputFormat::Gemini);
    let events = gemini_events(&relay(relayer, &parallel_calls()));
    let all: Vec<&Value> = events.iter().flat_map(parts).collect();
    assert_eq!(
        all,
        [
            &json!({"text":"Let me look."}),
            &json!({"text":"One mo"}),
            &json!({"text":"ment"}),
            &json!({"functionCall":{"id":"toolu_a","name":"weather","args":{"pre_exec_msg":"One moment","city":"Oslo"}}}),
            &json!({"functionCall":{"id":"toolu_b","name":"clock","args":{}}}),
        ]
    );
    // The first call goes out in the event that completed its arguments,
    // after the value's last piece; the second, with none, at the end.
    assert_eq!(parts(&events[2]).len(), 2);
    let last = events.last().unwrap();
    assert_eq!(parts(last).len(), 1);
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["usageMetadata"],
        json!({"promptTokenCount":10,"candidatesTokenCount":30,"totalTokenCount":40})
    );
    assert!(events.iter().all(|e| e["responseId"] == "msg_1"));
}

#[test]
fn a_call_with_no_arguments_goes_to_gemini_with_args_braces() {
    let upstream = parallel_calls();
    let relayer = forwarding(OutputFormat::Gemini);
    let out = relay(relayer, &upstream);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains(r#"{"functionCall":{"id":"toolu_b","name":"clock","args":{}}}"#),
        "{text}"
    );
    let back = readback::read(&out, Some(Format::Gemini)).unwrap();
    assert_eq!(back.calls[1].arguments, "{}");
    // Hidden, the call leaves no trace and the finish is a plain stop.
    let out = String::from_utf8(relay(
        Relay::default().with_output(OutputFormat::Gemini),
        &upstream,
    ))
    .unwrap();
    gemini_events(out.as_bytes());
    assert!(!out.contains("functionCall"), "{out}");
    assert!(out.contains(r#""finishReason":"STOP""#), "{out}");
}

#[test]
fn a_call_whose_arguments_are_not_an_object_is_left_out_of_gemini() {
    let call = |index: u64, id: &str, arguments: &str| {
        json!({"tool_calls":[{"index":index,"id":id,"type":"function",
            "function":{"name":"f","arguments":arguments}}]})
    };
    let mut relayer = calls_to_gemini(&[
        json!({"role":"assistant","content":"Hi"}),
        call(0, "call_bad", r#"{"pre_exec_msg":"Wait","x":tru"#),
        call(1, "call_list", "[1, 2]"),
        call(2, "call_ok", r#"{"ok":true}"#),
    ]);
    let out = relayer.output();
    let events = gemini_events(&out);
    let calls = function_calls(&events);
    assert_eq!(
        calls,
        [&json!({"id":"call_ok","name":"f","args":{"ok":true}})]
    );
    let last = &events.last().unwrap()["candidates"][0];
    assert_eq!(last["finishReason"], "MALFORMED_FUNCTION_CALL");
    // The summary keeps every call, the bad one with its error.
    let summary = relayer.summary();
    assert_eq!(summary.tool_calls.len(), 3);
    assert!(summary.tool_calls[0].error.is_some());
    assert_eq!(summary.content, "Hi");
    let back = readback::read(&out, Some(Format::Gemini)).unwrap();
    assert_eq!(back.text, "HiWait");
}

#[test]
fn gemini_to_gemini_gives_streamed_arguments_as_one_whole_call_without_a_made_up_id() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/voice_agent_gemini.sse"
    );
    let upstream = std::fs::read_to_string(path).unwrap();
    assert!(
        upstream.contains("partialArgs"),
        "the example streams its arguments"
    );
    let relayer = forwarding(OutputFormat::Same);
    let out = relay(relayer, &upstream);
    let events = gemini_events(&out);
    let calls = function_calls(&events);
    assert_eq!(calls.len(), 1);
    // No id: the one a reader makes (call_ + responseId + _0) is the
    // upstream's own.
    assert!(calls[0].get("id").is_none(), "{}", calls[0]);
    assert_eq!(calls[0]["name"], "get_weather");
    let back = readback::read(&out, Some(Format::Gemini)).unwrap();
    let source = readback::read(upstream.as_bytes(), Some(Format::Gemini)).unwrap();
    assert_eq!(back.calls[0].id, source.calls[0].id);
    assert_eq!(
        serde_json::from_str::<Value>(&back.calls[0].arguments).unwrap(),
        serde_json::from_str::<Value>(&source.calls[0].arguments).unwrap()
    );
    assert_eq!(back.reasoning, source.reasoning);
    assert_eq!(back.usage, source.usage);
    let last = events.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["usageMetadata"],
        json!({"promptTokenCount":412,"candidatesTokenCount":64,"totalTokenCount":499,
            "cachedContentTokenCount":128,"thoughtsTokenCount":23})
    );
}

#[test]
fn gemini_errors_carry_an_http_code_and_a_google_status() {
    let text = |upstream: &str| {
        let out = relay(Relay::default().with_output(OutputFormat::Gemini), upstream);
        rules::gemini(&out);
        String::from_utf8(out).unwrap()
    };
    let gemini = concat!(
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"},\"index\":0}],\"responseId\":\"r\"}\r\n\r\n",
        "data: {\"error\":{\"code\":429,\"message\":\"Resource exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"}}\r\n\r\n",
    );
    let out = text(gemini);
    assert!(out.contains(r#"{"text":"Hel"}"#), "{out}");
    assert!(
        out.ends_with("data: {\"error\":{\"code\":429,\"message\":\"Resource exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"}}\r\n\r\n"),
        "{out}"
    );
    let anthropic = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n",
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
    );
    assert!(
        text(anthropic).ends_with("data: {\"error\":{\"code\":503,\"message\":\"Overloaded\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n")
    );
    // Cut off: the relay's own error, no finish.
    let cut = text(&gemini[..gemini.find("data: {\"error\"").unwrap()]);
    assert!(
        cut.contains(r#""code":500"#) && !cut.contains("finishReason"),
        "{cut}"
    );
}

#[test]
fn gemini_calls_keep_their_order_after_a_call_with_no_arguments() {
    let events = [
        json!({"type":"message_start","message":{"id":"msg_2","model":"claude","usage":{"input_tokens":3,"output_tokens":1}}}),
        json!({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_none","name":"clock","input":{}}}),
        json!({"type":"content_block_stop","index":0}),
        json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_args","name":"weather","input":{}}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Oslo\"}"}}),
        json!({"type":"content_block_stop","index":1}),
        json!({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}),
        json!({"type":"message_stop"}),
    ];
    let upstream: String = events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect();
    let out = relay(forwarding(OutputFormat::Gemini), &upstream);
    let events = gemini_events(&out);
    assert_eq!(
        function_calls(&events),
        [
            &json!({"id":"toolu_none","name":"clock","args":{}}),
            &json!({"id":"toolu_args","name":"weather","args":{"city":"Oslo"}}),
        ]
    );
    // The second waited for the end, where the first is known to have none.
    assert_eq!(events.len(), 1);
}

#[test]
fn gemini_leaves_out_a_call_nested_too_deep_for_its_readers() {
    let limit = argstream::scan::DEFAULT_MAX_DEPTH;
    // Arguments nested `depth` deep, as deep as the key scanner takes.
    let nested =
        |depth: usize| format!("{}{}", "{\"a\":".repeat(depth - 1) + "{", "}".repeat(depth));
    for (depth, goes_out) in [(limit - 8, true), (limit - 7, false)] {
        let mut relayer = calls_to_gemini(&[json!({"role":"assistant","tool_calls":[{"index":0,
            "id":"call_deep","type":"function","function":{"name":"f","arguments":nested(depth)}}]})]);
        assert!(relayer.summary().tool_calls[0].error.is_none(), "{depth}");
        let out = relayer.output();
        // Every event reads back through the crate's own Gemini decoder.
        let back = readback::read(&out, Some(Format::Gemini)).unwrap();
        assert_eq!(back.calls.len(), usize::from(goes_out), "{depth}");
        let finish = if goes_out {
            "tool_calls"
        } else {
            "MALFORMED_FUNCTION_CALL"
        };
        assert_eq!(back.finish.as_deref(), Some(finish), "{depth}");
    }
}

/// `with_max_depth` holds for an event's JSON (the relay's error, at the
/// bracket that goes too deep) and for a call's arguments (the call's error
/// in the summary, the stream going on).
#[test]
fn the_depth_limit_holds_for_events_and_arguments() {
    let deep_event = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"x\":[[[[1]]]],\"choices\":[]}\n\n";
    let mut shallow = Relay::default().with_max_depth(4);
    let error = shallow.feed(Bytes::from(deep_event)).unwrap_err();
    assert_eq!(error.kind(), argstream::ErrorKind::TooDeep);
    // The fourth container open at once: the third `[`.
    assert_eq!(error.offset(), deep_event.find("[[[[").unwrap() as u64 + 2);
    let mut usual = Relay::default();
    usual.feed(Bytes::from(deep_event)).unwrap();

    let call = |arguments: &str| {
        let chunk = json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0,
            "delta": {"tool_calls": [{"index": 0, "id": "t", "type": "function",
                "function": {"name": "f", "arguments": arguments}}]}}]});
        format!("data: {chunk}\n\ndata: [DONE]\n\n")
    };
    // The chunk nests seven deep; the arguments eight.
    let deep = call(r#"{"a":[[[[[[[1]]]]]]],"pre_exec_msg":"hi"}"#);
    let mut shallow = Relay::default().with_max_depth(8);
    relay_all(&mut shallow, &deep);
    let error = shallow.summary().tool_calls[0].error.expect("too deep");
    assert_eq!(error.kind(), argstream::ErrorKind::TooDeep);
    let mut usual = Relay::default();
    relay_all(&mut usual, &deep);
    assert_eq!(usual.summary().tool_calls[0].error, None);
    assert_eq!(
        usual.summary().tool_calls[0].arguments,
        r#"{"a":[[[[[[[1]]]]]]],"pre_exec_msg":"hi"}"#
    );
}

fn relay_all(relay: &mut Relay, upstream: &str) {
    relay
        .feed(Bytes::copy_from_slice(upstream.as_bytes()))
        .unwrap();
    relay.finish().unwrap();
}

/// `with_max_stream_arguments` bounds all calls' arguments together: the
/// call whose fragment would pass it stops with `ArgumentsTooLarge` in its
/// summary, the calls before it keep theirs, and a reset gives the next
/// stream the whole budget again.
#[test]
fn the_stream_limit_on_arguments_holds_across_calls() {
    let padding = "x".repeat(500);
    let arguments = format!(r#"{{"pre_exec_msg":"hi","pad":"{padding}"}}"#);
    let mut upstream = String::new();
    for index in 0..3 {
        let chunk = json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0,
            "delta": {"tool_calls": [{"index": index, "id": format!("t{index}"), "type": "function",
                "function": {"name": "f", "arguments": arguments}}]}}]});
        upstream.push_str(&format!("data: {chunk}\n\n"));
    }
    upstream.push_str("data: [DONE]\n\n");
    let mut relay = Relay::default().with_max_stream_arguments(2 * arguments.len() + 10);
    for _ in 0..2 {
        relay.reset();
        relay_all(&mut relay, &upstream);
        let calls = &relay.summary().tool_calls;
        assert_eq!(calls.len(), 3);
        for call in &calls[..2] {
            assert_eq!(
                (call.arguments.as_str(), call.error),
                (arguments.as_str(), None)
            );
        }
        let error = calls[2].error.expect("past the stream's limit");
        assert_eq!(error.kind(), argstream::ErrorKind::ArgumentsTooLarge);
        assert!(calls[2].arguments.is_empty());
    }
    let mut usual = Relay::default();
    relay_all(&mut usual, &upstream);
    assert!(
        usual
            .summary()
            .tool_calls
            .iter()
            .all(|call| call.error.is_none())
    );
}

/// The chat chunks the relay writes anew carry the response's names as they
/// are at that event: a model or created time that changes mid-stream is
/// written from the next chunk on, not the head written first.
#[test]
fn rewritten_chunks_follow_a_change_of_names() {
    let chunk = |model: &str, created: u64, arguments: &str| {
        let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": created,
            "model": model, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
            "id": "t", "type": "function", "function": {"name": "f", "arguments": arguments}}]}}]});
        format!("data: {chunk}\n\n")
    };
    let upstream = [
        chunk("first", 1, r#"{"pre_exec_msg":"one"#),
        chunk("second", 2, r#" two"}"#),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    let out = String::from_utf8(relay(Relay::default(), &upstream)).unwrap();
    let chunks: Vec<Value> = out
        .split("\n\n")
        .filter_map(|frame| frame.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    let with_text = |text: &str| {
        chunks
            .iter()
            .find(|c| c["choices"][0]["delta"]["content"] == text)
            .unwrap_or_else(|| panic!("no chunk with {text:?} in {out}"))
    };
    assert_eq!(
        (&with_text("one")["model"], &with_text("one")["created"]),
        (&json!("first"), &json!(1))
    );
    assert_eq!(
        (&with_text(" two")["model"], &with_text(" two")["created"]),
        (&json!("second"), &json!(2))
    );
}

/// A chat call whose arguments are `null` (a call without parameters, as
/// Groq sends it), cut in two: an Anthropic client gets the block's
/// `"input":{}` and no fragment, a Gemini client `"args":{}`; both read the
/// call back with an object.
#[test]
fn null_arguments_are_an_empty_object_where_the_format_needs_one() {
    let call = |arguments: &str, opening: bool| {
        let call = if opening {
            json!({"index":0,"id":"call_n","type":"function","function":{"name":"ping","arguments":arguments}})
        } else {
            json!({"index":0,"function":{"arguments":arguments}})
        };
        choice_chunk(&json!({"tool_calls":[call]}), Value::Null)
    };
    let upstream = call(" nu", true)
        + &call("ll", false)
        + &choice_chunk(&json!({}), json!("tool_calls"))
        + "data: [DONE]\n\n";
    let out = relay(forwarding(OutputFormat::Anthropic), &upstream);
    rules::anthropic(&out);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(!text.contains("input_json_delta"), "{text}");
    let back = readback::read(&out, Some(Format::Anthropic)).unwrap();
    assert_eq!(back.calls.len(), 1, "{text}");
    let out = relay(forwarding(OutputFormat::Gemini), &upstream);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains(r#"{"functionCall":{"id":"call_n","name":"ping","args":{}}}"#),
        "{text}"
    );
    assert!(text.contains(r#""finishReason":"STOP""#), "{text}");
}

/// A pooled relay carries nothing over: whatever stream it relayed before
/// (cut off halfway, or whole), after `reset` every stream comes out as a
/// new relay writes it, in every output format.
#[test]
fn a_reset_relay_writes_each_stream_as_a_new_one_does() {
    let bodies: Vec<String> = [
        "voice_agent.sse",
        "voice_agent_anthropic.sse",
        "voice_agent_responses.sse",
        "voice_agent_gemini.sse",
    ]
    .iter()
    .map(|name| {
        let path = format!("{}/examples/data/{name}", env!("CARGO_MANIFEST_DIR"));
        String::from_utf8(std::fs::read(path).unwrap()).unwrap()
    })
    .chain([choices_stream(3, true)])
    .collect();
    for (output, _) in OUTPUTS {
        let make = || forwarding(output).with_output(output);
        for before in &bodies {
            for body in &bodies {
                let want = relay(make(), body);
                for cut in [before.len() / 2, before.len()] {
                    let mut pooled = make();
                    let _ = pooled.feed(Bytes::copy_from_slice(&before.as_bytes()[..cut]));
                    let _ = pooled.output();
                    pooled.reset();
                    assert!(relay(pooled, body) == want, "{output}: cut at {cut}");
                }
            }
        }
    }
}
