//! Anthropic Messages in, Chat Completions out: every recorded Anthropic
//! stream, and hand-written streams with thinking, pings anywhere, calls
//! hidden and forwarded, server tools, errors, `max_tokens` mid-value and a
//! cut-off stream, each relayed at several feed sizes.

use argstream::{ErrorKind, Format, ToolCallMode};
use serde_json::json;

use crate::common::client::{self};
use crate::support::*;

#[test]
fn every_recorded_anthropic_stream_relays_exactly() {
    corpus("streams/anthropic", "anthropic");
}

#[test]
fn anthropic_thinking_text_and_a_tool_call_with_pings_anywhere() {
    let mut events = vec![
        json!({"type":"ping"}),
        message_start(),
        block_start(0, json!({"type":"thinking","thinking":""})),
        delta(0, json!({"type":"thinking_delta","thinking":"hmm"})),
        delta(0, json!({"type":"signature_delta","signature":"sig"})),
        json!({"type":"ping"}),
        block_start(1, json!({"type":"text","text":""})),
        delta(1, json!({"type":"text_delta","text":"On it. "})),
        block_start(
            2,
            json!({"type":"tool_use","id":"toolu_1","name":"speak","input":{}}),
        ),
        input(2, ""),
        input(2, r#"{"pre_exec_msg":"caf\u00"#),
        input(2, r#"e9 \ud83d"#),
        input(2, r#"\ude00"}"#),
        json!({"type":"content_block_stop","index":2}),
    ];
    events.extend(message_end("tool_use"));
    let (out, relay, result) = run(keys, &anthropic(&events));
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "On it. café 😀");
    assert_eq!(seen.reasoning, "hmm");
    assert_eq!(seen.roles, ["assistant"]);
    assert_eq!(
        seen.finish_reasons,
        ["stop"],
        "tool_use is stop with calls hidden"
    );
    assert_eq!(seen.usage[0]["prompt_tokens"], 15);
    assert_eq!(seen.usage[0]["completion_tokens"], 42);
    assert_eq!(seen.usage[0]["total_tokens"], 57);
    assert_eq!(seen.done, 1);
    assert!(
        seen.ids
            .iter()
            .all(|(id, model)| id == "msg_1" && model == "claude")
    );
    let summary = relay.summary();
    assert_eq!(summary.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(summary.tool_calls[0].id, "toolu_1");
    assert_eq!(
        summary.tool_calls[0].arguments,
        r#"{"pre_exec_msg":"caf\u00e9 \ud83d\ude00"}"#
    );
    assert_eq!(summary.usage.as_deref(), Some(r#"{"output_tokens":42}"#));
    assert_eq!(relay.format(), Some(Format::Anthropic));
}

#[test]
fn anthropic_forwarded_calls_keep_their_finish() {
    let mut events = vec![
        message_start(),
        block_start(
            0,
            json!({"type":"tool_use","id":"toolu_a","name":"a","input":{}}),
        ),
        input(0, r#"{"x":"#),
        input(0, "1}"),
        block_start(
            1,
            json!({"type":"tool_use","id":"toolu_b","name":"b","input":{}}),
        ),
        input(1, r#"{"pre_exec_msg":"hi"}"#),
    ];
    events.extend(message_end("tool_use"));
    let (out, _, result) = run(
        || keys().with_tool_calls(ToolCallMode::Forward),
        &anthropic(&events),
    );
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.finish_reasons, ["tool_calls"]);
    assert_eq!(seen.content, "hi");
    let calls: Vec<_> = seen
        .calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("toolu_a", "a", r#"{"x":1}"#),
            ("toolu_b", "b", r#"{"pre_exec_msg":"hi"}"#)
        ]
    );
}

#[test]
fn anthropic_server_tool_use_is_not_a_call() {
    let mut events = vec![
        message_start(),
        block_start(
            0,
            json!({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}),
        ),
        input(
            0,
            r#"{"query":"weather","pre_exec_msg":"not the client's"}"#,
        ),
        block_start(
            1,
            json!({"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]}),
        ),
        block_start(2, json!({"type":"text","text":"Sunny."})),
    ];
    events.extend(message_end("end_turn"));
    let (out, relay, result) = run(keys, &anthropic(&events));
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "Sunny.");
    assert_eq!(seen.finish_reasons, ["stop"]);
    assert!(relay.summary().tool_calls.is_empty());
}

#[test]
fn anthropic_error_mid_stream_ends_the_client_stream_without_done() {
    let events = [
        message_start(),
        block_start(0, json!({"type":"text","text":""})),
        delta(0, json!({"type":"text_delta","text":"partial"})),
        json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
        delta(0, json!({"type":"text_delta","text":"never"})),
    ];
    let (out, relay, result) = run(keys, &anthropic(&events));
    result.unwrap();
    let seen = client::read(&out);
    assert_eq!(seen.content, "partial");
    assert_eq!(
        seen.errors,
        [json!({"message":"Overloaded","type":"overloaded_error","code":null})]
    );
    assert_eq!(
        (seen.done, seen.finish_reasons.len(), seen.after_end),
        (0, 0, 0)
    );
    // Read as JSON: the members' order is serde_json's (sorted, or kept
    // with preserve_order, which a workspace build turns on).
    let upstream_error: serde_json::Value =
        serde_json::from_str(relay.summary().upstream_error.as_deref().unwrap()).unwrap();
    assert_eq!(
        upstream_error,
        json!({"message":"Overloaded","type":"overloaded_error"})
    );
    assert!(relay.is_ended());
}

#[test]
fn anthropic_max_tokens_mid_value_is_length_and_only_that_call_fails() {
    let mut events = vec![
        message_start(),
        block_start(
            0,
            json!({"type":"tool_use","id":"t0","name":"bad","input":{}}),
        ),
        input(0, r#"{"pre_exec_msg":"ok "#),
        input(0, r#"\q"}"#),
        block_start(
            1,
            json!({"type":"tool_use","id":"t1","name":"cut","input":{}}),
        ),
        input(1, r#"{"pre_exec_msg":"Let me"#),
    ];
    events.extend(message_end("max_tokens"));
    let (out, relay, result) = run(keys, &anthropic(&events));
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "ok Let me");
    assert_eq!(seen.finish_reasons, ["length"]);
    let calls = &relay.summary().tool_calls;
    assert_eq!(calls[0].error.unwrap().kind(), ErrorKind::InvalidEscape);
    assert_eq!(calls[1].error.unwrap().kind(), ErrorKind::Truncated);
}

#[test]
fn anthropic_without_a_stop_reason_is_cut_off() {
    let events = [
        message_start(),
        block_start(0, json!({"type":"text","text":""})),
        delta(0, json!({"type":"text_delta","text":"half"})),
    ];
    let (out, relay, result) = run(keys, &anthropic(&events));
    result.unwrap();
    let seen = client::read(&out);
    assert_eq!(seen.content, "half");
    assert_eq!(seen.errors.len(), 1);
    assert_eq!(seen.errors[0]["code"], "stream_truncated");
    assert_eq!(seen.done, 0);
    assert!(relay.summary().upstream_error.is_some());
}

#[test]
fn anthropic_tool_use_with_its_input_whole_in_the_start() {
    let mut events = vec![
        message_start(),
        block_start(
            0,
            json!({"type":"tool_use","id":"toolu_w","name":"speak","input":{"pre_exec_msg":"whole"}}),
        ),
        block_start(
            1,
            json!({"type":"tool_use","id":"toolu_s","name":"speak","input":{}}),
        ),
        input(1, r#"{"pre_exec_msg":"streamed"}"#),
    ];
    events.extend(message_end("tool_use"));
    let (out, relay, result) = run(keys, &anthropic(&events));
    result.unwrap();
    assert_eq!(read(&out).content, "wholestreamed");
    let calls = &relay.summary().tool_calls;
    assert_eq!(calls[0].arguments, r#"{"pre_exec_msg":"whole"}"#);
    assert_eq!(calls[1].arguments, r#"{"pre_exec_msg":"streamed"}"#);
}
