//! The reasoning's opaque state and upstream's item ids, which a client
//! gives back on its next turn: a Responses reasoning item's
//! `encrypted_content` and id (Codex sends `store: false`, so the API knows
//! an item only by what the request brings), an Anthropic thinking block's
//! signature, each carried to the client of either format.

mod common;

use argstream::{ErrorKind, OutputFormat, Relay, ToolCallMode};
use bytes::Bytes;
use common::{named_events, rules};
use serde_json::{Value, json};

const ENCRYPTED: &str = "gAAAAB-opaque+state/==";

/// Relays `upstream` fed in pieces of `piece` bytes.
fn relay(output: OutputFormat, upstream: &str, piece: usize) -> Vec<u8> {
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
fn relay_checked(output: OutputFormat, upstream: &str) -> Vec<Value> {
    let out = relay(output, upstream, upstream.len());
    for piece in [1, 7] {
        assert_eq!(relay(output, upstream, piece), out, "feed size {piece}");
    }
    match output {
        OutputFormat::OpenAiResponses => rules::responses(&out),
        OutputFormat::Anthropic => rules::anthropic(&out),
        _ => {}
    }
    data(&out)
}

/// The JSON of each event.
fn data(out: &[u8]) -> Vec<Value> {
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
fn responses_upstream(summary: &str) -> String {
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

fn merge(into: &mut Value, from: &Value) {
    for (key, value) in from.as_object().unwrap() {
        into[key] = value.clone();
    }
}

/// The items of each `response.output_item.done`, and the final output.
fn done_and_final(events: &[Value]) -> (Vec<Value>, Vec<Value>) {
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

#[test]
fn responses_to_responses_keeps_item_ids_and_encrypted_content() {
    for summary in ["Thinking about ls.", ""] {
        let events = relay_checked(OutputFormat::OpenAiResponses, &responses_upstream(summary));
        let (done, output) = done_and_final(&events);
        for items in [&done, &output] {
            let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
            assert_eq!(
                ids,
                ["rs_up_1", "msg_up_1", "fc_up_1"],
                "summary {summary:?}"
            );
            assert_eq!(items[0]["type"], "reasoning");
            assert_eq!(items[0]["encrypted_content"], ENCRYPTED);
            let texts: Vec<&Value> = items[0]["summary"].as_array().unwrap().iter().collect();
            match summary {
                "" => assert!(texts.is_empty()),
                text => assert_eq!(texts[0]["text"], text),
            }
            assert_eq!(items[2]["call_id"], "call_1");
        }
    }
}

#[test]
fn an_upstream_without_item_ids_gets_the_renderers_own() {
    let chunk = |delta: Value, finish: Value| {
        let chunk = json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"gpt",
            "choices":[{"index":0,"delta":delta,"finish_reason":finish}]});
        format!("data: {chunk}\n\n")
    };
    let upstream = chunk(json!({"reasoning_content":"hmm"}), Value::Null)
        + &chunk(json!({"content":"ok"}), Value::Null)
        + &chunk(json!({}), json!("stop"))
        + "data: [DONE]\n\n";
    let events = relay_checked(OutputFormat::OpenAiResponses, &upstream);
    let (done, _) = done_and_final(&events);
    let ids: Vec<&str> = done.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["rs_chatcmpl-1_0", "msg_chatcmpl-1_1"]);
    assert!(done[0].get("encrypted_content").is_none());
}

fn anthropic_upstream(blocks: &[(&str, &str)]) -> String {
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

#[test]
fn an_anthropic_signature_is_a_responses_clients_encrypted_content() {
    let upstream = anthropic_upstream(&[("Let me think.", "EqQBCkYIBxgC+sig/==")]);
    let events = relay_checked(OutputFormat::OpenAiResponses, &upstream);
    let (done, output) = done_and_final(&events);
    for items in [&done, &output] {
        assert_eq!(items[0]["type"], "reasoning");
        assert_eq!(items[0]["encrypted_content"], "EqQBCkYIBxgC+sig/==");
        assert_eq!(items[0]["summary"][0]["text"], "Let me think.");
        assert_eq!(items[1]["type"], "message");
    }
}

/// The thinking blocks of an Anthropic output: (thinking, signature).
fn thinking_blocks(events: &[Value]) -> Vec<(String, String)> {
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

#[test]
fn encrypted_content_is_an_anthropic_clients_thinking_signature() {
    for summary in ["Thinking about ls.", ""] {
        let events = relay_checked(OutputFormat::Anthropic, &responses_upstream(summary));
        assert_eq!(
            thinking_blocks(&events),
            [(summary.to_owned(), ENCRYPTED.to_owned())],
            "summary {summary:?}"
        );
    }
}

#[test]
fn two_thinking_blocks_keep_their_signatures_apart() {
    let upstream = anthropic_upstream(&[("One.", "c2lnMQ=="), ("Two.", "c2lnMg==")]);
    let events = relay_checked(OutputFormat::Anthropic, &upstream);
    let want =
        [("One.", "c2lnMQ=="), ("Two.", "c2lnMg==")].map(|(t, s)| (t.to_owned(), s.to_owned()));
    assert_eq!(thinking_blocks(&events), want);
    let responses = relay_checked(OutputFormat::OpenAiResponses, &upstream);
    let (_, output) = done_and_final(&responses);
    let states: Vec<&str> = output[..2]
        .iter()
        .map(|i| i["encrypted_content"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["c2lnMQ==", "c2lnMg=="]);
}

/// Two reasoning items in a row stay two, each with its own state, toward
/// either client.
#[test]
fn two_reasoning_items_keep_their_states_apart() {
    let item = |n: u64, state: &str| {
        let item = json!({"type":"reasoning","id":format!("rs_{n}"),"summary":[],"encrypted_content":state});
        [
            json!({"type":"response.output_item.added","output_index":n,"item":item}),
            json!({"type":"response.output_item.done","output_index":n,"item":item}),
        ]
    };
    let mut events =
        vec![json!({"type":"response.created","response":{"id":"resp_2","model":"gpt"}})];
    events.extend(item(0, "c3RhdGUx"));
    events.extend(item(1, "c3RhdGUy"));
    events
        .push(json!({"type":"response.completed","response":{"id":"resp_2","status":"completed"}}));
    let upstream = named_events(&events);
    let responses = relay_checked(OutputFormat::OpenAiResponses, &upstream);
    let (_, output) = done_and_final(&responses);
    let states: Vec<(&str, &str)> = output
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap(),
                i["encrypted_content"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("rs_0", "c3RhdGUx"), ("rs_1", "c3RhdGUy")]);
    let anthropic = relay_checked(OutputFormat::Anthropic, &upstream);
    let signatures: Vec<String> = thinking_blocks(&anthropic)
        .into_iter()
        .map(|b| b.1)
        .collect();
    assert_eq!(signatures, ["c3RhdGUx", "c3RhdGUy"]);
}

/// Items that upstream opens without text count against what a Responses
/// renderer keeps, so that endless empty items end the stream.
#[test]
fn endless_empty_items_outgrow_what_is_kept() {
    let mut events =
        vec![json!({"type":"response.created","response":{"id":"resp_3","model":"gpt"}})];
    for n in 0..200u64 {
        let item =
            json!({"type":"message","id":format!("msg_{n}"),"role":"assistant","content":[]});
        events.push(json!({"type":"response.output_item.added","output_index":n,"item":item}));
    }
    let upstream = named_events(&events);
    let mut relay = Relay::default()
        .with_output(OutputFormat::OpenAiResponses)
        .with_max_kept(4096);
    let error = relay.feed(Bytes::from(upstream)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
    let out = relay.output();
    let last = data(&out).pop().unwrap();
    assert_eq!(last["type"], "response.failed");
}
