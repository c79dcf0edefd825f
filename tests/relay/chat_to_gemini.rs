//! Chat Completions in, Gemini out: a call that a Gemini client could not
//! read (arguments that are not an object, or nested deeper than its
//! readers take) is left out, and the finish says so.

use argstream::{Format, OutputFormat, Relay};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::common::readback;
use crate::support::*;

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
