//! What the relay binary's modules share: ways to drive a relay (at
//! several feed sizes that must agree, in fixed reads), hand-written
//! upstream streams of each format, and readings of what a client gets.

use argstream::{Format, OutputFormat, Relay, ToolCallMode};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::common;
use crate::common::client::{self, Client};
use crate::common::expected::{check_ending, first_string_key, is_shuffle, target_text};
use crate::common::upstream::{self, Reference};
use crate::common::{named_events, rules};

/// Relays `upstream` at feed sizes 1, 2, 7 and whole (all must agree) and
/// returns the output, the relay and the result.
pub fn run(
    make: impl Fn() -> Relay,
    upstream: &str,
) -> (Vec<u8>, Relay, Result<(), argstream::Error>) {
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

pub fn keys() -> Relay {
    Relay::new(&["pre_exec_msg"])
}

pub fn read(out: &[u8]) -> Client {
    let seen = client::read(out);
    assert_eq!(seen.after_end, 0, "frames after the end");
    seen
}

pub fn anthropic(events: &[Value]) -> String {
    named_events(events)
}

pub fn message_start() -> Value {
    json!({"type":"message_start","message":{"id":"msg_1","model":"claude","role":"assistant","content":[],
        "usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}}})
}

pub fn block_start(index: u64, block: Value) -> Value {
    json!({"type":"content_block_start","index":index,"content_block":block})
}

pub fn delta(index: u64, delta: Value) -> Value {
    json!({"type":"content_block_delta","index":index,"delta":delta})
}

pub fn input(index: u64, partial: &str) -> Value {
    delta(
        index,
        json!({"type":"input_json_delta","partial_json":partial}),
    )
}

pub fn message_end(reason: &str) -> [Value; 2] {
    [
        json!({"type":"message_delta","delta":{"stop_reason":reason},"usage":{"output_tokens":42}}),
        json!({"type":"message_stop"}),
    ]
}

pub fn responses(events: &[Value]) -> String {
    named_events(events)
}

pub fn created() -> Value {
    json!({"type":"response.created","sequence_number":0,
        "response":{"id":"resp_1","model":"gpt","created_at":1700000000,"status":"in_progress"}})
}

pub fn function_call(index: u64, item: &str, call: &str, name: &str) -> Value {
    json!({"type":"response.output_item.added","output_index":index,
        "item":{"type":"function_call","id":item,"call_id":call,"name":name,"arguments":""}})
}

pub fn completed(kind: &str) -> Value {
    json!({"type":kind,"response":{"id":"resp_1","status":"x","incomplete_details":{"reason":"max_output_tokens"},
        "usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":2},"output_tokens":3,"total_tokens":10}}})
}

pub fn chat(delta: &str, finish: &str) -> String {
    format!(
        "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
    )
}

/// Relays `upstream` fed in pieces of `piece` bytes.
pub fn relay_with(
    mut relay: Relay,
    upstream: &[u8],
    piece: usize,
) -> (Vec<u8>, Relay, Result<(), argstream::Error>) {
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

pub fn relay(
    upstream: &[u8],
    keys: &[&str],
    piece: usize,
) -> (Vec<u8>, Relay, Result<(), argstream::Error>) {
    relay_with(Relay::new(keys), upstream, piece)
}

/// The first top-level string key of the first call's arguments: a key the
/// recorded stream really streams, to use as the target.
pub fn pick_key(reference: &Reference) -> Option<String> {
    first_string_key(reference.calls.iter().map(|call| call.arguments.as_str()))
}

/// Every recorded stream of `dir`, relayed at feed sizes 1, 7, 4096 and
/// whole, with calls hidden and forwarded, checked against the reference.
pub fn corpus(dir: &str, format: &str) {
    let Some(dir) = common::testdata(dir) else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut with_targets, mut with_calls) = (0, 0);
    for path in &files {
        let upstream = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let reference = upstream::reference(&upstream);
        assert_eq!(reference.format, format, "{name}");
        let key = pick_key(&reference).unwrap_or_else(|| "pre_exec_msg".to_owned());
        let targets = target_text(reference.calls.iter().map(|c| c.arguments.as_str()), &key);
        with_targets += usize::from(!targets.is_empty());
        with_calls += usize::from(!reference.calls.is_empty());
        let (whole, relayer, result) = relay(&upstream, &[&key], upstream.len());
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(relayer.format().map(|f| f.name()), Some(format), "{name}");
        for piece in [1, 7, 4096] {
            let (out, _, result) = relay(&upstream, &[&key], piece);
            result.unwrap_or_else(|e| panic!("{name} at {piece}: {e}"));
            assert_eq!(out, whole, "{name}: feed size {piece} changes the output");
        }
        let seen = client::read(&whole);
        assert_eq!(seen.after_end, 0, "{name}: frames after the end");
        assert_eq!(seen.roles, ["assistant"], "{name}: one role");
        assert_eq!(seen.reasoning, reference.reasoning, "{name}: reasoning");
        assert_eq!(seen.refusal, reference.refusal, "{name}: refusal");
        assert!(seen.calls.is_empty(), "{name}: calls hidden");
        check_ending(
            &name,
            &whole,
            &seen,
            reference.error,
            reference.finish.as_deref(),
        );
        if !reference.error && reference.finish.is_some() {
            assert_eq!(
                seen.usage.len(),
                usize::from(reference.usage),
                "{name}: usage"
            );
        }
        // Content: the answer text and the target values, each in order.
        let (plain, _, _) = relay(&upstream, &["\u{0}no such key"], 4096);
        let plain = client::read(&plain);
        assert_eq!(plain.content, reference.text, "{name}: content");
        // Each other choice keeps its own text, role and finish.
        let others: Vec<(u64, &str, Option<&str>)> = plain
            .others
            .iter()
            .map(|(&index, c)| {
                assert_eq!(c.roles, ["assistant"], "{name}: choice {index}'s role");
                let finish = match c.finish_reasons.as_slice() {
                    [] => None,
                    [reason] => Some(reason.as_str()),
                    more => panic!("{name}: choice {index} finished {more:?}"),
                };
                (index, c.content.as_str(), finish)
            })
            .collect();
        let want: Vec<(u64, &str, Option<&str>)> = reference
            .others
            .iter()
            .map(|(&index, (text, finish))| {
                let finish = finish
                    .as_deref()
                    .map(|f| if f == "tool_calls" { "stop" } else { f });
                (
                    index,
                    text.as_str(),
                    finish
                        .or(Some("stop"))
                        .filter(|_| reference.finish.is_some()),
                )
            })
            .collect();
        assert_eq!(others, want, "{name}: the other choices");
        if !reference.interleaved {
            assert!(
                is_shuffle(&seen.content, &reference.text, &targets),
                "{name}: content {:?} is not text {:?} with targets {:?}",
                seen.content,
                reference.text,
                targets
            );
        }
        let summary = relayer.summary();
        assert_eq!(summary.content, reference.text, "{name}");
        assert_eq!(
            summary.finish_reason, reference.finish,
            "{name}: summary finish"
        );
        let got: Vec<(u32, &str, &str, &str)> = summary
            .tool_calls
            .iter()
            .map(|c| {
                (
                    c.index,
                    c.id.as_str(),
                    c.name.as_str(),
                    c.arguments.as_str(),
                )
            })
            .collect();
        let want: Vec<(u32, &str, &str, &str)> = reference
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    i as u32,
                    c.id.as_str(),
                    c.name.as_str(),
                    c.arguments.as_str(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}: calls");
        for call in &summary.tool_calls {
            let valid = call.arguments.trim().is_empty()
                || serde_json::from_str::<Value>(&call.arguments).is_ok();
            assert_eq!(
                call.error.is_none(),
                valid,
                "{name}: call {} {:?}",
                call.index,
                call.error
            );
        }
        let summary_json: Value =
            serde_json::from_str(&summary.to_json()).expect("summary is JSON");
        assert_eq!(summary_json["content"], reference.text.as_str());

        // Forwarded: the client gets the calls whole, and the finish as is.
        let forward = Relay::new(&[&key]).with_tool_calls(ToolCallMode::Forward);
        let (out, _, result) = relay_with(forward, &upstream, 7);
        result.unwrap();
        let seen = client::read(&out);
        let calls: Vec<(String, String, String)> = seen
            .calls
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
            .collect();
        let want: Vec<(String, String, String)> = reference
            .calls
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
            .collect();
        assert_eq!(calls, want, "{name}: forwarded calls");
        if !reference.error && reference.finish.is_some() {
            assert_eq!(
                seen.finish_reasons,
                [reference.finish.clone().unwrap()],
                "{name}"
            );
        }

        // Without finish: no finish, usage or [DONE].
        let chained = Relay::new(&[&key]).with_finish(false);
        let (out, _, result) = relay_with(chained, &upstream, 4096);
        result.unwrap();
        let seen = client::read(&out);
        assert!(
            seen.finish_reasons.is_empty() && seen.usage.is_empty() && seen.done == 0,
            "{name}"
        );
    }
    eprintln!(
        "{format}: {} streams, {with_calls} with calls, {with_targets} with a target value",
        files.len()
    );
}

pub const OUTPUTS: [(OutputFormat, Format); 4] = [
    (OutputFormat::OpenAiChat, Format::OpenAiChat),
    (OutputFormat::Anthropic, Format::Anthropic),
    (OutputFormat::OpenAiResponses, Format::OpenAiResponses),
    (OutputFormat::Gemini, Format::Gemini),
];

pub fn relay_in_sevens(relay: Relay, upstream: &str) -> Vec<u8> {
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
pub fn forwarding(output: OutputFormat) -> Relay {
    Relay::default()
        .with_tool_calls(ToolCallMode::Forward)
        .with_output(output)
}

pub fn check_rules(output: OutputFormat, out: &[u8]) {
    match output {
        OutputFormat::Anthropic => rules::anthropic(out),
        OutputFormat::OpenAiResponses => rules::responses(out),
        OutputFormat::Gemini => rules::gemini(out),
        _ => {}
    }
}

pub fn chat_chunk(choices: Value) -> String {
    let chunk = json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"gpt","choices":choices});
    format!("data: {chunk}\n\n")
}

/// A chat chunk of choice 0 alone.
pub fn choice_chunk(delta: &Value, finish: Value) -> String {
    chat_chunk(json!([{"index":0,"delta":delta,"finish_reason":finish}]))
}

/// Anthropic: text, then two parallel calls, the second with no arguments.
pub fn parallel_calls() -> String {
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

/// The events of a Gemini output, parsed.
pub fn gemini_events(out: &[u8]) -> Vec<Value> {
    rules::gemini(out);
    common::upstream::events(out)
        .iter()
        .map(|(_, data)| serde_json::from_slice(data).unwrap())
        .collect()
}

/// The `functionCall` of every part that has one.
pub fn function_calls(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .flat_map(parts)
        .filter_map(|p| p.get("functionCall"))
        .collect()
}

/// The parts of a Gemini event's candidate.
pub fn parts(event: &Value) -> &[Value] {
    event["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
}

pub fn relay_all(relay: &mut Relay, upstream: &str) {
    relay
        .feed(Bytes::copy_from_slice(upstream.as_bytes()))
        .unwrap();
    relay.finish().unwrap();
}

pub const ENCRYPTED: &str = "gAAAAB-opaque+state/==";

/// Relays `upstream` fed in pieces of `piece` bytes.
pub fn relay_forwarding(output: OutputFormat, upstream: &str, piece: usize) -> Vec<u8> {
    let mut relay = Relay::default()
        .with_tool_calls(ToolCallMode::Forward)
        .with_output(output);
    let mut out = Vec::new();
    for read in upstream.as_bytes().chunks(piece) {
        relay.feed(Bytes::copy_from_slice(read)).unwrap();
        out.extend_from_slice(&relay.output());
    }
    relay.finish().unwrap();
    out.extend_from_slice(&relay.output());
    out
}

/// Relays `upstream` at a few feed sizes, which must agree, and checks the
/// output against its format's rules.
pub fn relay_checked(output: OutputFormat, upstream: &str) -> Vec<Value> {
    let out = relay_forwarding(output, upstream, upstream.len());
    for piece in [1, 7] {
        assert_eq!(
            relay_forwarding(output, upstream, piece),
            out,
            "feed size {piece}"
        );
    }
    match output {
        OutputFormat::OpenAiResponses => rules::responses(&out),
        OutputFormat::Anthropic => rules::anthropic(&out),
        _ => {}
    }
    data(&out)
}

/// The JSON of each event.
pub fn data(out: &[u8]) -> Vec<Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}

/// A Responses stream as OpenAI sends it when asked for
/// `reasoning.encrypted_content`: a reasoning item (with `summary` summary
/// text, if any) whose `encrypted_content` is on its added and done items,
/// then a message, then a call, each with the API's own id.
pub fn responses_upstream(summary: &str) -> String {
    let response = json!({"id":"resp_up","object":"response","created_at":7,"status":"in_progress",
        "model":"gpt","output":[]});
    let thought =
        json!({"type":"reasoning","id":"rs_up_1","summary":[],"encrypted_content":ENCRYPTED});
    let mut whole = thought.clone();
    let mut events = vec![
        json!({"type":"response.created","response":response}),
        json!({"type":"response.output_item.added","output_index":0,"item":thought}),
    ];
    if !summary.is_empty() {
        let at = json!({"item_id":"rs_up_1","output_index":0,"summary_index":0});
        let mut delta = json!({"type":"response.reasoning_summary_text.delta","delta":summary});
        merge(&mut delta, &at);
        events.push(delta);
        whole["summary"] = json!([{"type":"summary_text","text":summary}]);
    }
    events.extend([
        json!({"type":"response.output_item.done","output_index":0,"item":whole}),
        json!({"type":"response.output_item.added","output_index":1,
            "item":{"type":"message","id":"msg_up_1","role":"assistant","status":"in_progress","content":[]}}),
        json!({"type":"response.output_text.delta","item_id":"msg_up_1","output_index":1,
            "content_index":0,"delta":"Running it."}),
        json!({"type":"response.output_item.added","output_index":2,
            "item":{"type":"function_call","id":"fc_up_1","call_id":"call_1","name":"exec","arguments":""}}),
        json!({"type":"response.function_call_arguments.delta","item_id":"fc_up_1","output_index":2,
            "delta":"{\"cmd\":\"ls\"}"}),
        json!({"type":"response.completed","response":{"id":"resp_up","status":"completed",
            "usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}}),
    ]);
    named_events(&events)
}

pub fn merge(into: &mut Value, from: &Value) {
    for (key, value) in from.as_object().unwrap() {
        into[key] = value.clone();
    }
}

/// The items of each `response.output_item.done`, and the final output.
pub fn done_and_final(events: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let done = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.done")
        .map(|e| e["item"].clone())
        .collect();
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.completed");
    let output = last["response"]["output"].as_array().unwrap().clone();
    (done, output)
}

pub fn anthropic_upstream(blocks: &[(&str, &str)]) -> String {
    let mut events = vec![
        json!({"type":"message_start","message":{"id":"msg_a","model":"claude",
        "role":"assistant","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}),
    ];
    for (index, (thinking, signature)) in blocks.iter().enumerate() {
        events.extend([
            json!({"type":"content_block_start","index":index,
                "content_block":{"type":"thinking","thinking":"","signature":""}}),
            json!({"type":"content_block_delta","index":index,
                "delta":{"type":"thinking_delta","thinking":thinking}}),
            json!({"type":"content_block_delta","index":index,
                "delta":{"type":"signature_delta","signature":signature}}),
            json!({"type":"content_block_stop","index":index}),
        ]);
    }
    let text = blocks.len();
    events.extend([
        json!({"type":"content_block_start","index":text,"content_block":{"type":"text","text":""}}),
        json!({"type":"content_block_delta","index":text,"delta":{"type":"text_delta","text":"Done."}}),
        json!({"type":"content_block_stop","index":text}),
        json!({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}),
        json!({"type":"message_stop"}),
    ]);
    named_events(&events)
}

/// The thinking blocks of an Anthropic output: (thinking, signature).
pub fn thinking_blocks(events: &[Value]) -> Vec<(String, String)> {
    let mut blocks: Vec<(u64, String, String)> = Vec::new();
    for event in events {
        let index = event["index"].as_u64();
        match event["type"].as_str() {
            Some("content_block_start") if event["content_block"]["type"] == "thinking" => {
                blocks.push((index.unwrap(), String::new(), String::new()));
            }
            Some("content_block_delta") => {
                let Some(block) = blocks.iter_mut().find(|b| Some(b.0) == index) else {
                    continue;
                };
                let delta = &event["delta"];
                if let Some(text) = delta["thinking"].as_str() {
                    block.1.push_str(text);
                }
                if let Some(signature) = delta["signature"].as_str() {
                    block.2.push_str(signature);
                }
            }
            _ => {}
        }
    }
    blocks.into_iter().map(|(_, t, s)| (t, s)).collect()
}

/// The `data:` payloads of a Gemini body (`\r\n` or `\n` line ends, one
/// `data:` line an event).
pub fn gemini_data(body: &[u8]) -> Vec<Value> {
    body.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter_map(|line| line.strip_prefix(b"data:"))
        .map(|data| serde_json::from_slice(data.trim_ascii()).expect("Gemini events are JSON"))
        .collect()
}

/// A Vertex event of `parts`.
pub fn vertex_event(parts: Value, extra: Value) -> String {
    let mut event = json!({
        "candidates": [{"content": {"role": "model", "parts": parts}}],
        "modelVersion": "gemini-3-pro",
        "responseId": "resp_1",
    });
    for (key, value) in extra.as_object().unwrap() {
        if key == "finishReason" {
            event["candidates"][0]["finishReason"] = value.clone();
        } else {
            event[key] = value.clone();
        }
    }
    format!("data: {event}\r\n\r\n")
}

pub fn vertex_call_part(call: Value) -> Value {
    json!([{"functionCall": call}])
}
