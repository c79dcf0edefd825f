//! Chat Completions in, Chat Completions out: every recorded chat stream
//! and hand-written hard cases (escapes cut anywhere, parallel calls,
//! invalid arguments, provider habits, errors, cut-off streams). The
//! reference is serde_json on the upstream events (tests/common/upstream.rs)
//! and a client that reads the output the way the OpenAI SDK accumulates it
//! (tests/common/client.rs).

use argstream::{ErrorKind, Relay, ToolCallMode};
use serde_json::{Value, json};

use crate::common::client::{self, payloads};
use crate::support::*;

#[test]
fn every_recorded_chat_stream_relays_exactly() {
    corpus("streams/openai-compatible", "openai-chat");
}

fn chunk(delta: &str) -> String {
    format!(
        "data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":null}}]}}\n\n"
    )
}

fn arguments(index: u32, fragment: &str) -> String {
    let fragment = serde_json::to_string(fragment).unwrap();
    chunk(&format!(
        r#"{{"tool_calls":[{{"index":{index},"function":{{"arguments":{fragment}}}}}]}}"#
    ))
}

/// A stream whose arguments are cut at every byte, so escapes, surrogate
/// pairs and characters are split across chunks.
fn one_byte_arguments(args: &str) -> String {
    let mut stream = chunk(r#"{"role":"assistant","content":"Hi"}"#);
    stream.push_str(&chunk(
        r#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"speak","arguments":""}}]}"#,
    ));
    let mut start = 0;
    for (i, _) in args.char_indices().skip(1).chain([(args.len(), ' ')]) {
        stream.push_str(&arguments(0, &args[start..i]));
        start = i;
    }
    stream.push_str("data: [DONE]\n\n");
    stream
}

#[test]
fn escapes_split_across_chunks_reach_the_client_decoded_exactly() {
    let args = r#"{"nested":{"pre_exec_msg":"no"},"pre_exec_msg":"a \"q\" \\ \/ \n \u00e9 \ud83d\ude00 中 é","x":1}"#;
    let stream = one_byte_arguments(args);
    for piece in [1, 2, 3, 7, 4096] {
        let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], piece);
        result.unwrap();
        assert_eq!(client::read(&out).content, "Hia \"q\" \\ / \n é 😀 中 é");
        assert_eq!(relayer.summary().tool_calls[0].arguments, args);
        assert_eq!(relayer.summary().tool_calls[0].name, "speak");
        assert!(out.ends_with(b"data: [DONE]\n\n"));
        assert_eq!(out.windows(6).filter(|w| w == b"[DONE]").count(), 1);
    }
}

#[test]
fn parallel_calls_are_kept_apart() {
    let (a, b) = (
        r#"{"pre_exec_msg":"first call"}"#,
        r#"{"pre_exec_msg":"second"}"#,
    );
    let (mut x, mut y) = (a.as_bytes().chunks(3), b.as_bytes().chunks(3));
    let mut stream = String::new();
    loop {
        let (p, q) = (x.next(), y.next());
        if p.is_none() && q.is_none() {
            break;
        }
        for (index, piece) in [(0, p), (1, q)] {
            if let Some(piece) = piece {
                stream.push_str(&arguments(index, std::str::from_utf8(piece).unwrap()));
            }
        }
    }
    let (_, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 5);
    result.unwrap();
    let calls = &relayer.summary().tool_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].index, calls[0].arguments.as_str()), (0, a));
    assert_eq!((calls[1].index, calls[1].arguments.as_str()), (1, b));
    assert!(calls.iter().all(|call| call.error.is_none()));
}

#[test]
fn invalid_arguments_stop_only_that_call() {
    let mut stream = arguments(0, r#"{"pre_exec_msg":"ok "#);
    stream.push_str(&arguments(0, r#"\q bad"}"#));
    stream.push_str(&arguments(1, r#"{"pre_exec_msg":"still relayed"}"#));
    stream.push_str(&chunk(r#"{"content":"after"}"#));
    let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 4);
    result.unwrap();
    assert_eq!(client::read(&out).content, "ok still relayedafter");
    let error = relayer.summary().tool_calls[0].error.unwrap();
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::InvalidEscape, 21)
    );
    assert_eq!(relayer.summary().tool_calls[1].error, None);
}

#[test]
fn a_malformed_chunk_is_an_error_naming_the_byte_and_keeps_what_was_relayed() {
    let good = chunk(r#"{"content":"kept"}"#);
    let stream = format!(
        "{good}data: {{\"choices\": 5}}\n\n{}",
        chunk(r#"{"content":"never"}"#)
    );
    for piece in [1, 7, 4096] {
        let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], piece);
        let error = result.unwrap_err();
        // The offset names the `5`, where an array should be.
        let at = good.len() + "data: {\"choices\": ".len();
        assert_eq!(
            (error.kind(), error.offset()),
            (ErrorKind::MalformedChunk, at as u64)
        );
        assert_eq!(relayer.events(), 2);
        assert_eq!(client::read(&out).content, "kept");
        assert!(!out.ends_with(b"[DONE]\n\n"));
    }
}

#[test]
fn provider_habits() {
    // A comment first, CRLF line ends, `data:` without a space, usage in a
    // chunk with no choices, the finish chunk twice, and no [DONE].
    let stream = concat!(
        ": OPENROUTER PROCESSING\r\n\r\n",
        "data:{\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n",
        "data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"t\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"pre_exec_msg\\\":\\\"b\\\"}\"}}]}}]}\r\n\r\n",
        "data: {\"id\":\"x\",\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\r\n\r\n",
        "data: {\"id\":\"x\",\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\r\n\r\n",
        "data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\r\n\r\n",
    );
    for piece in [1, 2, 7, 4096] {
        let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], piece);
        result.unwrap();
        let summary = relayer.summary();
        assert_eq!(summary.content, "a");
        assert_eq!(summary.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(
            summary.usage.as_deref(),
            Some(r#"{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}"#)
        );
        assert_eq!(summary.tool_calls[0].id, "t");
        assert!(!summary.saw_done);
        assert!(out.ends_with(b"data: [DONE]\n\n"));
        let seen = client::read(&out);
        assert_eq!(seen.content, "ab");
        assert_eq!(seen.finish_reasons, ["stop"]);
        assert_eq!(seen.usage.len(), 1);
    }
}

#[test]
fn the_bundled_example_stream_relays() {
    let upstream = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/voice_agent.sse"
    ))
    .unwrap();
    let (out, relayer, result) = relay(&upstream, &["pre_exec_msg"], 7);
    result.unwrap();
    assert_eq!(
        client::read(&out).content,
        "Sure, checking now.Let me check the \"feels like\" forecast for Lisbon — café weather 😀.\nOne moment!And the tides, too."
    );
    assert_eq!(relayer.summary().tool_calls.len(), 2);
}

#[test]
fn events_after_done_are_ignored() {
    let stream = format!(
        "{}data: [DONE]\n\n{}",
        chunk(r#"{"content":"a"}"#),
        chunk(r#"{"content":"late"}"#)
    );
    let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 3);
    result.unwrap();
    assert!(out.ends_with(b"data: [DONE]\n\n"));
    assert_eq!(relayer.summary().content, "a");
    assert_eq!(relayer.events(), 3);
}

#[test]
fn spans_of_one_upstream_chunk_go_out_as_one_frame() {
    let values: String = (0..200)
        .map(|i| format!(r#""pre_exec_msg":"{}","#, i % 10))
        .collect();
    let args = format!("{{{values}\"end\":1}}");
    let stream = arguments(0, &args);
    let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 4096);
    result.unwrap();
    let frames = payloads(&out).len();
    assert_eq!(frames, 2, "one content chunk and the cut-off error");
    assert_eq!(client::read(&out).content.len(), 200);
    assert!(out.len() <= 4 * stream.len() + 64);
    assert!(relayer.summary().tool_calls[0].error.is_none());
}

#[test]
fn ids_and_models_are_escaped_in_written_chunks() {
    let id = "c\"1\\\n\u{1}é";
    let payload = serde_json::json!({
        "id": id, "created": 9, "model": "m\t\"x\"",
        "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"pre_exec_msg\":\"hi\"}"}}]}}],
    });
    let stream = format!("data: {payload}\n\n");
    let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 3);
    result.unwrap();
    let written: Value = serde_json::from_slice(payloads(&out)[0]).expect("valid JSON");
    assert_eq!(written["id"], id);
    assert_eq!(written["model"], "m\t\"x\"");
    assert_eq!(written["created"], 9);
    assert_eq!(written["choices"][0]["delta"]["content"], "hi");
    let summary: Value = serde_json::from_str(&relayer.summary().to_json()).expect("valid JSON");
    assert_eq!(
        summary["tool_calls"][0]["arguments"],
        "{\"pre_exec_msg\":\"hi\"}"
    );
}

#[test]
fn a_syntax_error_names_its_byte_in_the_stream() {
    let good = chunk(r#"{"content":"kept"}"#);
    for (bad, inside) in [
        (
            r#"{"choices":[{"delta":{"content":"a\q"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a\"#.len(),
        ),
        (
            r#"{"id":"x","created":01}"#,
            r#"{"id":"x","created":0"#.len(),
        ),
        ("{\"choices\":[]} trailing", "{\"choices\":[]} ".len()),
    ] {
        let stream = format!("{good}: comment\ndata: {bad}\n\n");
        let (_, _, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 3);
        let error = result.unwrap_err();
        let at = good.len() + ": comment\ndata: ".len() + inside;
        assert_eq!(
            (error.kind(), error.offset()),
            (ErrorKind::MalformedChunk, at as u64),
            "{bad}"
        );
    }
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
    let out = String::from_utf8(relay_in_sevens(Relay::default(), &upstream)).unwrap();
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
