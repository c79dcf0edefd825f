//! Anthropic Messages in, Gemini out: calls go out whole, each once its
//! arguments are complete, in upstream's order, with `args: {}` for a call
//! without arguments.

use argstream::{Format, OutputFormat, Relay};
use serde_json::{Value, json};

use crate::common::readback;
use crate::support::relay_in_sevens as relay;
use crate::support::*;

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
