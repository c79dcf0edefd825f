//! Anthropic Messages in, Anthropic Messages out: unchanged deltas go out
//! as they came, a call with no arguments keeps its `input: {}`, and a stop
//! sequence reaches the client (and a chat client, in its words).

use argstream::{Format, OutputFormat, Relay, ToolCallMode};
use serde_json::{Value, json};

use crate::common;
use crate::common::{readback, rules};
use crate::support::relay_in_sevens as relay;
use crate::support::*;

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

/// An answer that ended on a stop sequence: an Anthropic client is told
/// which (`stop_reason: stop_sequence` with the sequence), a chat client
/// `stop`, and the cache's tokens stay apart from the input's.
#[test]
fn anthropic_stop_sequence_reaches_each_client_in_its_words() {
    let events = [
        message_start(),
        block_start(0, json!({"type":"text","text":""})),
        delta(0, json!({"type":"text_delta","text":"one two"})),
        json!({"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"three"},
            "usage":{"output_tokens":42}}),
        json!({"type":"message_stop"}),
    ];
    let upstream = anthropic(&events);
    let to = |output| move || keys().with_output(output);
    let (out, _, result) = run(to(argstream::OutputFormat::Anthropic), &upstream);
    result.unwrap();
    let message_delta = common::client::payloads(&out)
        .into_iter()
        .filter_map(|payload| serde_json::from_slice::<Value>(payload).ok())
        .find(|event| event["type"] == "message_delta")
        .expect("a message_delta");
    assert_eq!(message_delta["delta"]["stop_reason"], "stop_sequence");
    assert_eq!(message_delta["delta"]["stop_sequence"], "three");
    assert_eq!(message_delta["usage"]["input_tokens"], 10);
    assert_eq!(message_delta["usage"]["cache_read_input_tokens"], 5);
    let (out, relay, result) = run(to(argstream::OutputFormat::OpenAiChat), &upstream);
    result.unwrap();
    assert_eq!(read(&out).finish_reasons, ["stop"]);
    assert_eq!(relay.summary().finish_reason.as_deref(), Some("stop"));
}
