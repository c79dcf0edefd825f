//! The output formats on hand-written hard cases: a chat stream with
//! several choices, a call with no arguments, parallel calls after a text
//! block, an error, in every format; each output checked against its
//! format's rules (tests/common/rules.rs) and read back with the crate's
//! decoders (tests/common/readback.rs).

mod common;

use argstream::{Format, Output, Relay, ToolCallMode};
use bytes::Bytes;
use common::client;
use common::readback;
use common::rules;
use serde_json::{Value, json};

const OUTPUTS: [(Output, Format); 3] = [
    (Output::OpenAiChat, Format::OpenAiChat),
    (Output::Anthropic, Format::Anthropic),
    (Output::OpenAiResponses, Format::OpenAiResponses),
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

fn check_rules(output: Output, out: &[u8]) {
    match output {
        Output::Anthropic => rules::anthropic(out),
        Output::OpenAiResponses => rules::responses(out),
        _ => {}
    }
}

fn chunk(choices: Value) -> String {
    let chunk = json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"gpt","choices":choices});
    format!("data: {chunk}\n\n")
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
        let relayer = Relay::default()
            .with_tool_calls(ToolCallMode::Forward)
            .with_output(output);
        let out = relay(relayer, &upstream);
        check_rules(output, &out);
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!(back.text, "Let me look.One moment", "{output}");
        let calls: Vec<(&str, &str, &str)> = back
            .calls
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
            .collect();
        assert_eq!(
            calls,
            [
                (
                    "toolu_a",
                    "weather",
                    r#"{"pre_exec_msg": "One moment", "city": "Oslo"}"#
                ),
                ("toolu_b", "clock", ""),
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
    let relayer = Relay::default()
        .with_tool_calls(ToolCallMode::Forward)
        .with_output(Output::Anthropic);
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
    let out =
        String::from_utf8(relay(Relay::default().with_output(Output::Same), &upstream)).unwrap();
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
    let mut relayer = Relay::default().with_output(Output::Same);
    assert_eq!(relayer.output_format(), Output::OpenAiChat);
    relayer.feed(Bytes::from(upstream)).unwrap();
    assert_eq!(relayer.output_format(), Output::Anthropic);
    relayer.reset();
    relayer.feed(Bytes::from(choices_stream(1, false))).unwrap();
    assert_eq!(relayer.output_format(), Output::OpenAiChat);
    assert_eq!("same".parse::<Output>(), Ok(Output::Same));
    assert_eq!("anthropic".parse::<Output>(), Ok(Output::Anthropic));
    assert!("gemini-x".parse::<Output>().is_err());
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
    let hidden =
        String::from_utf8(relay(Relay::default().with_output(Output::Same), &upstream)).unwrap();
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
        .with_output(Output::Same)
        .with_tool_calls(ToolCallMode::Forward)
        .with_values(false);
    let forwarded = String::from_utf8(relay(relayer, &upstream)).unwrap();
    rules::anthropic(forwarded.as_bytes());
    assert!(
        forwarded.contains(events[2]) && forwarded.contains(events[8]),
        "{forwarded}"
    );
}
