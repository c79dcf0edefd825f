//! OpenAI Responses in, Chat Completions out: every recorded Responses
//! stream, and hand-written streams with reasoning, calls with and without
//! argument deltas, refusals, and the ways a response ends.

use serde_json::json;

use crate::common::client::{self};
use crate::support::*;

#[test]
fn every_recorded_responses_stream_relays_exactly() {
    corpus("streams/openai-responses", "openai-responses");
}

#[test]
fn responses_reasoning_first_then_calls_with_and_without_deltas() {
    let events = [
        created(),
        json!({"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","id":"rs_1"}}),
        json!({"type":"response.reasoning_summary_text.delta","output_index":0,"item_id":"rs_1","delta":"think","obfuscation":"zz"}),
        json!({"type":"response.some_future_event","output_index":0}),
        function_call(1, "fc_1", "call_1", "speak"),
        json!({"type":"response.function_call_arguments.delta","output_index":1,"item_id":"fc_1","delta":"{\"pre_exec_msg\":\"on"}),
        json!({"type":"response.function_call_arguments.delta","output_index":1,"item_id":"fc_1","delta":"e\"}"}),
        json!({"type":"response.function_call_arguments.done","output_index":1,"item_id":"fc_1","arguments":"{\"pre_exec_msg\":\"one\"}"}),
        function_call(2, "fc_2", "call_2", "speak"),
        json!({"type":"response.function_call_arguments.done","output_index":2,"item_id":"fc_2","arguments":"{\"pre_exec_msg\":\" two\"}"}),
        json!({"type":"response.output_text.delta","output_index":3,"item_id":"msg_1","delta":" text"}),
        completed("response.completed"),
    ];
    let (out, relay, result) = run(keys, &responses(&events));
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.reasoning, "think");
    assert_eq!(seen.content, "one two text");
    assert_eq!(seen.finish_reasons, ["stop"]);
    assert_eq!(seen.usage[0]["prompt_tokens"], 7);
    assert_eq!(seen.usage[0]["prompt_tokens_details"]["cached_tokens"], 2);
    assert!(seen.ids.iter().all(|(id, _)| id == "resp_1"));
    let summary = relay.summary();
    assert_eq!(summary.finish_reason.as_deref(), Some("tool_calls"));
    let calls: Vec<_> = summary
        .tool_calls
        .iter()
        .map(|c| (c.index, c.id.as_str(), c.arguments.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            (0, "call_1", r#"{"pre_exec_msg":"one"}"#),
            (1, "call_2", r#"{"pre_exec_msg":" two"}"#)
        ]
    );
}

#[test]
fn responses_incomplete_is_length_and_failed_is_an_error() {
    let text =
        json!({"type":"response.output_text.delta","output_index":0,"item_id":"m","delta":"cut"});
    let (out, _, result) = run(
        keys,
        &responses(&[created(), text.clone(), completed("response.incomplete")]),
    );
    result.unwrap();
    let seen = read(&out);
    assert_eq!(
        (seen.content.as_str(), seen.finish_reasons.as_slice()),
        ("cut", &["length".to_owned()][..])
    );

    let failed = json!({"type":"response.failed","response":{"id":"resp_1","error":{"code":"server_error","message":"boom"}}});
    let (out, relay, result) = run(keys, &responses(&[created(), text.clone(), failed]));
    result.unwrap();
    let seen = client::read(&out);
    assert_eq!(
        seen.errors,
        [json!({"message":"boom","type":"upstream_error","code":"server_error"})]
    );
    assert_eq!(seen.done, 0);
    assert_eq!(
        relay.summary().upstream_error.as_deref(),
        Some(r#"{"code":"server_error","message":"boom"}"#)
    );

    let error =
        json!({"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null});
    let (out, _, result) = run(keys, &responses(&[created(), text, error]));
    result.unwrap();
    let seen = client::read(&out);
    assert_eq!(seen.errors[0]["code"], "rate_limit_exceeded");
    assert_eq!(seen.errors[0]["message"], "slow down");
}

#[test]
fn responses_refusal_goes_out_as_refusal_not_content() {
    let events = [
        created(),
        json!({"type":"response.refusal.delta","output_index":0,"item_id":"m","delta":"I can't"}),
        completed("response.completed"),
    ];
    let (out, _, result) = run(keys, &responses(&events));
    result.unwrap();
    let seen = read(&out);
    assert_eq!(
        (seen.refusal.as_str(), seen.content.as_str()),
        ("I can't", "")
    );
}

#[test]
fn responses_arguments_only_in_the_finished_item_still_count() {
    let mut done = function_call(1, "fc_1", "call_1", "speak");
    done["type"] = json!("response.output_item.done");
    done["item"]["arguments"] = json!(r#"{"pre_exec_msg":"late"}"#);
    let events = [
        created(),
        function_call(1, "fc_1", "call_1", "speak"),
        done,
        completed("response.completed"),
    ];
    let (out, relay, result) = run(keys, &responses(&events));
    result.unwrap();
    assert_eq!(read(&out).content, "late");
    assert_eq!(
        relay.summary().tool_calls[0].arguments,
        r#"{"pre_exec_msg":"late"}"#
    );
}
