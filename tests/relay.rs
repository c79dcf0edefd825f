//! The relay over every recorded stream and over hand-written hard cases.
//! The reference is serde_json on the upstream payloads, with a plain line
//! split for SSE (the recorded streams use `\n` line ends).

mod common;

use std::collections::HashSet;

use argstream::ErrorKind;
use argstream::chat::Relay;
use bytes::Bytes;
use serde_json::Value;

/// Relays `upstream` fed in pieces of `piece` bytes.
fn relay(
    upstream: &[u8],
    keys: &[&str],
    piece: usize,
) -> (Vec<u8>, Relay, Result<(), argstream::Error>) {
    let mut relay = Relay::new(keys);
    let mut out = Vec::new();
    for read in upstream.chunks(piece.max(1)) {
        let fed = relay.feed(Bytes::copy_from_slice(read));
        out.extend_from_slice(&relay.output());
        if let Err(error) = fed {
            return (out, relay, Err(error));
        }
    }
    let finished = relay.finish();
    out.extend_from_slice(&relay.output());
    (out, relay, finished)
}

/// The `data:` payloads of an SSE body whose lines end in `\n` (one payload
/// per `data:` line; the recorded streams never use multi-line data).
fn payloads(body: &[u8]) -> Vec<&[u8]> {
    body.split(|&b| b == b'\n')
        .filter_map(|line| line.strip_prefix(b"data:"))
        .map(|data| data.strip_prefix(b" ").unwrap_or(data))
        .collect()
}

fn content_of(chunk: &Value) -> String {
    let mut text = String::new();
    for choice in chunk["choices"].as_array().into_iter().flatten() {
        let delta = if choice.get("delta").is_some() {
            &choice["delta"]
        } else {
            &choice["message"]
        };
        match &delta["content"] {
            Value::String(s) => text.push_str(s),
            Value::Array(parts) => {
                for part in parts {
                    if part["type"] == "text" {
                        text.push_str(part["text"].as_str().unwrap_or(""));
                    }
                }
            }
            _ => {}
        }
    }
    text
}

/// What serde_json makes of the upstream stream: the content, and each tool
/// call's index and concatenated arguments, in order of first appearance.
struct Expected {
    content: String,
    calls: Vec<(u64, String)>,
    /// Some content comes after a tool-call fragment.
    interleaved: bool,
}

fn expected(upstream: &[u8]) -> Expected {
    let mut expected = Expected {
        content: String::new(),
        calls: Vec::new(),
        interleaved: false,
    };
    for payload in payloads(upstream) {
        let Ok(chunk) = serde_json::from_slice::<Value>(payload) else {
            continue;
        };
        let content = content_of(&chunk);
        expected.interleaved |= !content.is_empty() && !expected.calls.is_empty();
        expected.content.push_str(&content);
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            let delta = if choice.get("delta").is_some() {
                &choice["delta"]
            } else {
                &choice["message"]
            };
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let index = call["index"].as_u64().unwrap_or(0);
                let slot = match expected.calls.iter().position(|(i, _)| *i == index) {
                    Some(slot) => slot,
                    None => {
                        expected.calls.push((index, String::new()));
                        expected.calls.len() - 1
                    }
                };
                expected.interleaved |= slot + 1 != expected.calls.len();
                if let Some(arguments) = call["function"]["arguments"].as_str() {
                    expected.calls[slot].1.push_str(arguments);
                }
            }
        }
    }
    expected
}

/// The first top-level string key of the first call's arguments: a key the
/// recorded stream really streams, to use as the target.
fn pick_key(calls: &[(u64, String)]) -> Option<String> {
    calls.iter().find_map(|(_, arguments)| {
        let value: Value = serde_json::from_str(arguments).ok()?;
        value
            .as_object()?
            .iter()
            .find(|(_, v)| v.is_string())
            .map(|(k, _)| k.clone())
    })
}

/// Downstream content split by source: forwarded upstream chunks, and the
/// chunks the relay wrote from spans.
fn downstream_content(out: &[u8], upstream: &[u8]) -> (String, String) {
    let originals: HashSet<&[u8]> = payloads(upstream).into_iter().collect();
    let (mut forwarded, mut synthesised) = (String::new(), String::new());
    for payload in payloads(out) {
        if payload == b"[DONE]" {
            continue;
        }
        let chunk: Value = serde_json::from_slice(payload).expect("downstream chunks are JSON");
        if originals.contains(payload) {
            forwarded.push_str(&content_of(&chunk));
        } else {
            assert_eq!(chunk["object"], "chat.completion.chunk");
            assert_eq!(chunk["choices"][0]["delta"]["role"], "assistant");
            synthesised.push_str(&content_of(&chunk));
        }
    }
    (forwarded, synthesised)
}

#[test]
fn every_recorded_stream_relays_exactly_at_feed_sizes_1_7_4096() {
    let Some(dir) = common::testdata("streams/openai-compatible") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut with_targets = 0;
    for path in &files {
        let upstream = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let expected = expected(&upstream);
        let key = pick_key(&expected.calls).unwrap_or_else(|| "pre_exec_msg".to_owned());
        let targets: String = expected
            .calls
            .iter()
            .filter_map(|(_, arguments)| {
                let value: Value = serde_json::from_str(arguments).ok()?;
                value.get(&key)?.as_str().map(str::to_owned)
            })
            .collect();
        with_targets += usize::from(!targets.is_empty());
        let (whole, relayer, result) = relay(&upstream, &[&key], upstream.len());
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        for piece in [1, 7, 4096] {
            let (out, _, result) = relay(&upstream, &[&key], piece);
            result.unwrap_or_else(|e| panic!("{name} at {piece}: {e}"));
            assert_eq!(out, whole, "{name}: feed size {piece} changes the output");
        }
        assert!(whole.ends_with(b"data: [DONE]\n\n"), "{name}");
        let (forwarded, synthesised) = downstream_content(&whole, &upstream);
        assert_eq!(forwarded, expected.content, "{name}: content");
        if !expected.interleaved {
            assert_eq!(synthesised, targets, "{name}: target text");
        }
        let summary = relayer.summary();
        assert_eq!(summary.content, expected.content, "{name}");
        let got: Vec<(u64, &str)> = summary
            .tool_calls
            .iter()
            .map(|call| (u64::from(call.index), call.arguments.as_str()))
            .collect();
        let want: Vec<(u64, &str)> = expected
            .calls
            .iter()
            .map(|(i, a)| (*i, a.as_str()))
            .collect();
        assert_eq!(got, want, "{name}: arguments");
        for call in &summary.tool_calls {
            let valid = call.arguments.trim().is_empty()
                || serde_json::from_str::<Value>(&call.arguments).is_ok();
            assert_eq!(
                call.error.is_none(),
                valid,
                "{name}: call {} error {:?}",
                call.index,
                call.error
            );
        }
        let summary_json: Value =
            serde_json::from_str(&summary.to_json()).expect("summary is JSON");
        assert_eq!(summary_json["content"], expected.content.as_str());
    }
    assert!(
        with_targets > 40,
        "only {with_targets} streams had a target value"
    );
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
        let (forwarded, synthesised) = downstream_content(&out, stream.as_bytes());
        assert_eq!(forwarded, "Hi");
        assert_eq!(synthesised, "a \"q\" \\ / \n é 😀 中 é");
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
    let (forwarded, synthesised) = downstream_content(&out, stream.as_bytes());
    assert_eq!(forwarded, "after");
    assert_eq!(synthesised, "ok still relayed");
    let error = relayer.summary().tool_calls[0].error.unwrap();
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::InvalidEscape, 21)
    );
    assert_eq!(relayer.summary().tool_calls[1].error, None);
}

#[test]
fn a_malformed_chunk_is_an_error_naming_the_event_and_keeps_what_was_relayed() {
    let good = chunk(r#"{"content":"kept"}"#);
    let stream = format!(
        "{good}data: {{\"choices\": 5}}\n\n{}",
        chunk(r#"{"content":"never"}"#)
    );
    for piece in [1, 7, 4096] {
        let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], piece);
        let error = result.unwrap_err();
        assert_eq!(
            (error.kind(), error.offset()),
            (ErrorKind::MalformedChunk, good.len() as u64)
        );
        assert_eq!(relayer.events(), 2);
        let (forwarded, _) = downstream_content(&out, stream.as_bytes());
        assert_eq!(forwarded, "kept");
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
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(r#""delta":{"role":"assistant","content":"b"}"#),
            "{text}"
        );
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
    let (forwarded, synthesised) = downstream_content(&out, &upstream);
    assert_eq!(forwarded, "Sure, checking now.");
    assert_eq!(
        synthesised,
        "Let me check the \"feels like\" forecast for Lisbon — café weather 😀.\nOne moment!And the tides, too."
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
    assert_eq!(frames, 2, "one content chunk and [DONE]");
    let (_, synthesised) = downstream_content(&out, stream.as_bytes());
    assert_eq!(synthesised.len(), 200);
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
