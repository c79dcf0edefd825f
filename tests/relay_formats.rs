//! Hand-written edge cases of the three upstream formats, the downstream
//! rules (finish, usage, errors, cut-off streams) and the relay's limits.
//! Each stream is relayed at several feed sizes, which must not change the
//! output.

mod common;

use argstream::{ErrorKind, Format, Relay, ToolCallMode};
use bytes::Bytes;
use common::client::{self, Client};
use common::named_events;
use serde_json::{Value, json};

/// Relays `upstream` at feed sizes 1, 2, 7 and whole (all must agree) and
/// returns the output, the relay and the result.
fn run(make: impl Fn() -> Relay, upstream: &str) -> (Vec<u8>, Relay, Result<(), argstream::Error>) {
    let mut runs = [1, 2, 7, upstream.len().max(1)].map(|piece| {
        let mut relay = make();
        let mut out = Vec::new();
        let mut result = Ok(());
        for read in upstream.as_bytes().chunks(piece) {
            result = relay.feed(Bytes::copy_from_slice(read));
            out.extend_from_slice(&relay.output());
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = relay.finish();
            out.extend_from_slice(&relay.output());
        }
        (out, relay, result)
    });
    for run in &runs[1..] {
        assert_eq!(run.0, runs[0].0, "feed size changes the output");
        assert_eq!(run.2, runs[0].2);
    }
    let [first, ..] = &mut runs;
    let relay = std::mem::take(&mut first.1);
    (std::mem::take(&mut first.0), relay, first.2)
}

fn keys() -> Relay {
    Relay::new(&["pre_exec_msg"])
}

fn read(out: &[u8]) -> Client {
    let seen = client::read(out);
    assert_eq!(seen.after_end, 0, "frames after the end");
    seen
}

fn anthropic(events: &[Value]) -> String {
    named_events(events)
}

fn message_start() -> Value {
    json!({"type":"message_start","message":{"id":"msg_1","model":"claude","role":"assistant","content":[],
        "usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}}})
}

fn block_start(index: u64, block: Value) -> Value {
    json!({"type":"content_block_start","index":index,"content_block":block})
}

fn delta(index: u64, delta: Value) -> Value {
    json!({"type":"content_block_delta","index":index,"delta":delta})
}

fn input(index: u64, partial: &str) -> Value {
    delta(
        index,
        json!({"type":"input_json_delta","partial_json":partial}),
    )
}

fn message_end(reason: &str) -> [Value; 2] {
    [
        json!({"type":"message_delta","delta":{"stop_reason":reason},"usage":{"output_tokens":42}}),
        json!({"type":"message_stop"}),
    ]
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

fn responses(events: &[Value]) -> String {
    named_events(events)
}

fn created() -> Value {
    json!({"type":"response.created","sequence_number":0,
        "response":{"id":"resp_1","model":"gpt","created_at":1700000000,"status":"in_progress"}})
}

fn function_call(index: u64, item: &str, call: &str, name: &str) -> Value {
    json!({"type":"response.output_item.added","output_index":index,
        "item":{"type":"function_call","id":item,"call_id":call,"name":name,"arguments":""}})
}

fn completed(kind: &str) -> Value {
    json!({"type":kind,"response":{"id":"resp_1","status":"x","incomplete_details":{"reason":"max_output_tokens"},
        "usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":2},"output_tokens":3,"total_tokens":10}}})
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

fn chat(delta: &str, finish: &str) -> String {
    format!(
        "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
    )
}

#[test]
fn chat_error_event_and_cut_off_stream() {
    let stream = format!(
        "{}data: {{\"error\":{{\"message\":\"quota\",\"type\":\"insufficient_quota\",\"code\":429}}}}\n\n",
        chat(r#"{"role":"assistant","content":"a"}"#, "null")
    );
    let (out, relay, result) = run(keys, &stream);
    result.unwrap();
    let seen = client::read(&out);
    assert_eq!(seen.content, "a");
    assert_eq!(
        seen.errors,
        [json!({"message":"quota","type":"insufficient_quota","code":429})]
    );
    assert_eq!(seen.done, 0);
    assert!(relay.summary().upstream_error.is_some());

    // Neither a finish_reason nor [DONE]: cut off.
    let stream = chat(r#"{"role":"assistant","content":"a"}"#, "null");
    let (out, _, _) = run(keys, &stream);
    let seen = client::read(&out);
    assert_eq!((seen.errors.len(), seen.done), (1, 0));

    // The body ends inside an event: cut off, even after a finish.
    let stream = format!("{}data: {{\"choices\":[", chat("{}", "\"stop\""));
    let (out, _, result) = run(keys, &stream);
    result.unwrap();
    assert_eq!(client::read(&out).errors.len(), 1);

    // A last event whole but without its blank line counts.
    let stream = format!("{}data: [DONE]", chat(r#"{"content":"a"}"#, "\"stop\""));
    let (out, _, _) = run(keys, &stream);
    let seen = read(&out);
    assert_eq!(
        (seen.errors.len(), seen.done, seen.finish_reasons.len()),
        (0, 1, 1)
    );
}

#[test]
fn without_finish_nothing_ends_the_client_stream() {
    let stream = format!(
        "{}{}data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}}}\n\ndata: [DONE]\n\n",
        chat(r#"{"role":"assistant","content":"a"}"#, "null"),
        chat("{}", "\"stop\"")
    );
    let (out, relay, result) = run(|| keys().with_finish(false), &stream);
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "a");
    assert!(seen.finish_reasons.is_empty() && seen.usage.is_empty() && seen.done == 0);
    assert!(relay.is_ended());
    assert_eq!(relay.summary().finish_reason.as_deref(), Some("stop"));
}

#[test]
fn a_repeated_role_reaches_the_client_once() {
    let stream = format!(
        "{}{}{}data: [DONE]\n\n",
        chat(r#"{"role":"assistant","content":"a"}"#, "null"),
        chat(r#"{"role":"assistant","content":"b"}"#, "null"),
        chat(r#"{"role":"assistant"}"#, "\"stop\"")
    );
    let (out, _, result) = run(keys, &stream);
    result.unwrap();
    let seen = read(&out);
    assert_eq!((seen.content.as_str(), seen.roles.len()), ("ab", 1));
}

#[test]
fn the_format_can_be_given() {
    let events = [
        message_start(),
        block_start(0, json!({"type":"text","text":"hi"})),
    ];
    let stream = format!(
        "event: ping\ndata: {{\"type\":\"ping\"}}\n\n{}",
        anthropic(&events)
    );
    let (_, relay, _) = run(keys, &stream);
    assert_eq!(relay.format(), Some(Format::Anthropic));
    // Read as chat completions, an Anthropic event is no chunk.
    let (_, relay, result) = run(|| keys().with_format(Some(Format::OpenAiChat)), &stream);
    assert_eq!(relay.format(), Some(Format::OpenAiChat));
    assert!(result.is_ok() || result.unwrap_err().kind() == ErrorKind::MalformedChunk);
    assert_eq!(
        "openai-responses".parse::<Format>().unwrap(),
        Format::OpenAiResponses
    );
    assert_eq!("gemini".parse::<Format>().unwrap(), Format::Gemini);
    assert_eq!("bedrock".parse::<Format>().unwrap(), Format::Bedrock);
    assert!("cohere".parse::<Format>().is_err());
}

#[test]
fn a_call_past_the_arguments_limit_stops_growing_and_the_stream_goes_on() {
    let mut events = vec![
        message_start(),
        block_start(
            0,
            json!({"type":"tool_use","id":"big","name":"f","input":{}}),
        ),
        input(0, r#"{"pre_exec_msg":"0123456789"#),
        input(0, "0123456789"),
        input(0, r#"","x":1}"#),
        block_start(
            1,
            json!({"type":"tool_use","id":"small","name":"g","input":{}}),
        ),
        input(1, r#"{"pre_exec_msg":"fine"}"#),
    ];
    events.extend(message_end("tool_use"));
    let (out, relay, result) = run(|| keys().with_max_arguments(32), &anthropic(&events));
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "0123456789fine");
    let calls = &relay.summary().tool_calls;
    assert_eq!(calls[0].arguments, r#"{"pre_exec_msg":"0123456789"#);
    let error = calls[0].error.unwrap();
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::ArgumentsTooLarge, 27)
    );
    assert_eq!(calls[1].error, None);
}

#[test]
fn collected_content_stops_at_its_limit_on_a_character_boundary() {
    let stream = [
        chat(r#"{"role":"assistant","content":"ab"}"#, "null"),
        chat(r#"{"content":"cé"}"#, "null"),
        chat(r#"{"content":"f"}"#, "null"),
        chat("{}", r#""stop""#),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    // "é" is two bytes: the fourth and fifth would hold it, and the limit is
    // 4. Nothing after the cut is collected, even "f" that would fit.
    let (out, relay, result) = run(|| keys().with_max_content(4), &stream);
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "abcéf", "the client gets all the text");
    assert_eq!(seen.finish_reasons, ["stop"]);
    assert_eq!(seen.done, 1);
    let summary = relay.summary();
    assert_eq!(summary.content, "abc");
    assert!(summary.content_truncated);
    assert!(summary.to_json().ends_with(r#","content_truncated":true}"#));

    let (_, relay, _) = run(|| keys().with_max_content(5), &stream);
    assert_eq!(relay.summary().content, "abcé");
    assert!(relay.summary().content_truncated);
    let (out_whole, relay, _) = run(|| keys().with_max_content(6), &stream);
    assert_eq!(out_whole, out, "the limit never changes the output");
    assert_eq!(relay.summary().content, "abcéf");
    assert!(!relay.summary().content_truncated);
    let (_, relay, _) = run(keys, &stream);
    assert!(
        relay
            .summary()
            .to_json()
            .ends_with(r#","content_truncated":false}"#)
    );
}

/// A chat stream of one piece of answer text and a stop.
fn text_then_stop(text: &str) -> String {
    chat(
        &json!({"role": "assistant", "content": text}).to_string(),
        "null",
    ) + &chat("{}", r#""stop""#)
}

#[test]
fn max_content_zero_collects_no_content() {
    let (out, mut relay, result) = run(|| keys().with_max_content(0), &text_then_stop("hello"));
    result.unwrap();
    assert_eq!(read(&out).content, "hello");
    assert_eq!(relay.summary().content, "");
    assert!(
        relay.summary().content_truncated,
        "text came and was not kept"
    );
    assert_eq!(relay.summary().content.capacity(), 0);
    // A stream without text has nothing cut; a reset relay starts uncut.
    relay.reset();
    assert!(!relay.summary().content_truncated);
    relay.feed(Bytes::from(chat("{}", r#""stop""#))).unwrap();
    relay.finish().unwrap();
    assert!(!relay.summary().content_truncated);
}

#[test]
fn retained_bytes_tell_what_a_reset_relay_keeps() {
    let small = text_then_stop("hi");
    let mut relay = keys();
    relay.feed(Bytes::from(small.clone())).unwrap();
    relay.finish().unwrap();
    relay.output();
    relay.reset();
    let warm = relay.retained_bytes();
    assert!(warm < 64 << 10, "a small stream keeps {warm} bytes");

    // One 2 MiB event, in 1000-byte reads: it is held whole to be read, and
    // its text is collected and written again.
    let text = "x".repeat(2 << 20);
    let big = chat(&format!(r#"{{"content":"{text}"}}"#), "null") + &small;
    for read in big.as_bytes().chunks(1000) {
        relay.feed(Bytes::copy_from_slice(read)).unwrap();
        relay.output();
    }
    relay.finish().unwrap();
    relay.output();
    assert_eq!(relay.summary().content.len(), text.len() + 2);
    relay.reset();
    assert!(
        relay.retained_bytes() > 3 * text.len(),
        "{} bytes after a 2 MiB event",
        relay.retained_bytes()
    );
}

#[test]
fn retained_bytes_count_a_large_event_that_brought_no_text() {
    // An Anthropic ping with a member nobody reads, 1 MB long: it goes
    // nowhere, and only the SSE decoder holds it, in the line buffer that
    // grows as the reads come (1000 bytes, then doubling). At 1,024,000
    // bytes the line fills that buffer exactly, so the view left after
    // splitting it off is empty: only a reclaimed buffer shows what is held.
    let head = r#"data: {"type":"ping","x":""#;
    let tail = r#""}"#;
    let padding = "y".repeat(1_024_000 - head.len() - tail.len());
    let event = format!("{head}{padding}{tail}\n\n");
    let mut relay = keys().with_format(Some(Format::Anthropic));
    for read in event.as_bytes().chunks(1000) {
        relay.feed(Bytes::copy_from_slice(read)).unwrap();
    }
    relay.finish().unwrap();
    relay.output();
    relay.reset();
    assert!(
        relay.retained_bytes() >= 1_024_000,
        "{} bytes after a 1 MB event",
        relay.retained_bytes()
    );
}

#[test]
fn calls_are_found_in_constant_time_and_their_number_is_limited() {
    // 100,000 distinct call indexes: each fragment finds its call at once.
    let mut stream = String::new();
    for index in 0..100_000u32 {
        stream.push_str(&format!(
            "data: {{\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":{},\"function\":{{\"arguments\":\"{{}}\"}}}}]}}}}]}}\n\n",
            index * 7
        ));
    }
    stream.push_str("data: [DONE]\n\n");
    let mut relay = Relay::new(&["pre_exec_msg"]).with_max_calls(200_000);
    relay.feed(Bytes::from(stream.clone())).unwrap();
    relay.finish().unwrap();
    assert_eq!(relay.summary().tool_calls.len(), 100_000);
    assert_eq!(relay.summary().tool_calls[99_999].index, 99_999);

    let mut relay = Relay::new(&["pre_exec_msg"]);
    let error = relay.feed(Bytes::from(stream)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyCalls);
    assert_eq!(relay.summary().tool_calls.len(), 1024);
    // The gateway then ends the client's stream with an error of its own.
    relay.write_error("relay_error", "too many tool calls");
    let seen = client::read(&relay.output());
    assert_eq!(seen.errors[0]["type"], "relay_error");
}

#[test]
fn write_error_ends_the_client_stream_once() {
    let mut relay = keys();
    relay
        .feed(Bytes::from(chat(r#"{"content":"a"}"#, "null")))
        .unwrap();
    relay.write_error("upstream_timeout", "upstream went silent");
    relay.write_error("upstream_timeout", "twice");
    relay.finish().unwrap();
    let seen = client::read(&relay.output());
    assert_eq!(seen.content, "a");
    assert_eq!(seen.errors.len(), 1);
    assert_eq!(seen.done, 0);
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

#[test]
fn chat_calls_without_an_index_are_told_apart_by_their_place_in_the_chunk() {
    let whole = r#"{"tool_calls":[
        {"id":"a","type":"function","function":{"name":"f","arguments":"{\"pre_exec_msg\":\"one\"}"}},
        {"id":"b","type":"function","function":{"name":"g","arguments":"{\"pre_exec_msg\":\" two\"}"}}]}"#
        .replace('\n', "");
    let stream = format!("{}data: [DONE]\n\n", chat(&whole, "\"tool_calls\""));
    let (out, relay, result) = run(|| keys().with_tool_calls(ToolCallMode::Forward), &stream);
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "one two");
    assert_eq!(seen.calls.len(), 2);
    let calls: Vec<_> = relay
        .summary()
        .tool_calls
        .iter()
        .map(|c| (c.index, c.id.as_str(), c.arguments.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            (0, "a", r#"{"pre_exec_msg":"one"}"#),
            (1, "b", r#"{"pre_exec_msg":" two"}"#)
        ]
    );
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

/// The client's first frame goes out when upstream's response starts, not
/// with its first text: a chat client gets OpenAI's first chunk (the role,
/// with empty content) on Anthropic's `message_start` and on Responses'
/// `response.created`.
#[test]
fn the_first_frame_goes_out_when_the_upstream_starts() {
    let created =
        json!({"type":"response.created","response":{"id":"resp_1","model":"gpt","created_at":7}});
    for start in [anthropic(&[message_start()]), named_events(&[created])] {
        let mut relay = keys();
        relay.feed(Bytes::from(start.clone())).unwrap();
        let out = relay.output();
        let chunks = client::payloads(&out);
        assert_eq!(chunks.len(), 1, "{start}");
        let chunk: Value = serde_json::from_slice(chunks[0]).unwrap();
        assert_eq!(
            chunk["choices"],
            json!([{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]),
            "{start}"
        );
    }
}

/// What the Responses output keeps for `response.completed` is bounded:
/// past the limit the client's stream ends with `response.failed` saying
/// why, the relay reports it, and nothing of the answer past the limit is
/// written or kept.
#[test]
fn the_responses_output_keeps_no_more_than_its_limit() {
    let text = |word: &str| chat(&format!(r#"{{"content":"{word}"}}"#), "null");
    let upstream = text("0123456789") + &text("abcdefghij") + &text("ABCDEFGHIJ");
    let make = || {
        keys()
            .with_output(argstream::OutputFormat::OpenAiResponses)
            .with_max_kept(25)
    };
    let mut relay = make();
    let error = relay.feed(Bytes::from(upstream.clone())).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
    assert!(relay.is_ended());
    let out = relay.output();
    let events: Vec<Value> = client::payloads(&out)
        .into_iter()
        .map(|payload| serde_json::from_slice(payload).unwrap())
        .collect();
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.failed", "{events:?}");
    assert!(
        last["response"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than the relay keeps")
    );
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "0123456789abcdefghij");
    assert!(!String::from_utf8_lossy(&out).contains("ABCDE"));
    // Within the limit, the same stream completes.
    let mut relay = keys()
        .with_output(argstream::OutputFormat::OpenAiResponses)
        .with_max_kept(30);
    relay
        .feed(Bytes::from(upstream + "data: [DONE]\n\n"))
        .unwrap();
    relay.finish().unwrap();
    assert!(String::from_utf8_lossy(&relay.output()).contains("response.completed"));
}

/// A choice past the relay's limit is an error of its own kind at the
/// event's offset; the choices before it were relayed.
#[test]
fn a_choice_past_the_limit_is_an_error() {
    let choice = |index: u32| {
        format!(
            "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{{\"index\":{index},\"delta\":{{\"content\":\"c{index}\"}},\"finish_reason\":null}}]}}\n\n"
        )
    };
    let upstream = choice(0) + &choice(1) + &choice(2);
    let second = choice(0).len() + choice(1).len();
    let (out, relay, result) = run(|| keys().with_max_choices(2), &upstream);
    let error = result.unwrap_err();
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::TooManyChoices, second as u64)
    );
    assert_eq!(error.kind().name(), "too_many_choices");
    assert_eq!(relay.events(), 3);
    assert!(String::from_utf8_lossy(&out).contains("c1"));
    let (_, _, result) = run(|| keys().with_max_choices(3), &upstream);
    result.unwrap();
}
