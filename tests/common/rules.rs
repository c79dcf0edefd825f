//! Each output format's rules, checked on the relay's output the way the
//! official SDKs' accumulators depend on them (written with serde_json, for
//! clarity). Each function panics with the rule a stream broke.

use serde_json::Value;

use super::upstream::events;

fn parsed(out: &[u8]) -> Vec<(String, Value)> {
    events(out)
        .into_iter()
        .map(|(name, data)| {
            let value: Value = serde_json::from_slice(&data).expect("every event is JSON");
            (name, value)
        })
        .collect()
}

/// Anthropic Messages: `message_start` first; blocks started with indexes
/// 0, 1, 2 ... in order; every delta and stop names a started block that is
/// not stopped; a `tool_use` block starts with `"input":{}`; every block
/// stopped before `message_delta`; `message_stop` last; the SSE event name
/// equals the JSON `type`; an `error` ends the stream.
pub fn anthropic(out: &[u8]) {
    let events = parsed(out);
    let mut open: Vec<bool> = Vec::new();
    let mut state = "start";
    for (at, (name, event)) in events.iter().enumerate() {
        let kind = event["type"].as_str().expect("type");
        assert_eq!(name, kind, "event {at}: the event name is the type");
        assert_ne!(state, "stopped", "event {at} after message_stop");
        assert_ne!(state, "failed", "event {at} after an error");
        if kind == "error" {
            assert!(event["error"]["type"].is_string() && event["error"]["message"].is_string());
            state = "failed";
            continue;
        }
        if state == "start" {
            assert_eq!(kind, "message_start", "event {at}: message_start first");
            assert!(
                event["message"]["usage"].is_object(),
                "message_start has usage"
            );
            state = "blocks";
            continue;
        }
        let index = event["index"].as_u64().map(|i| i as usize);
        match kind {
            "content_block_start" => {
                assert_eq!(state, "blocks", "event {at}: a block after message_delta");
                assert_eq!(index, Some(open.len()), "event {at}: blocks start in order");
                let block = &event["content_block"];
                if block["type"] == "tool_use" {
                    assert_eq!(block["input"], serde_json::json!({}), "tool_use input {{}}");
                    assert!(block["id"].is_string() && block["name"].is_string());
                }
                open.push(true);
            }
            "content_block_delta" | "content_block_stop" => {
                let index = index.expect("index");
                assert!(
                    open.get(index) == Some(&true),
                    "event {at}: {kind} for block {index}, which is not open"
                );
                if kind == "content_block_stop" {
                    open[index] = false;
                }
            }
            "message_delta" => {
                assert!(
                    open.iter().all(|o| !o),
                    "event {at}: blocks open at message_delta"
                );
                assert!(event["delta"]["stop_reason"].is_string());
                assert!(event["usage"]["output_tokens"].is_u64());
                state = "delta";
            }
            "message_stop" => {
                assert_eq!(
                    state, "delta",
                    "event {at}: message_stop after message_delta"
                );
                state = "stopped";
            }
            "ping" => {}
            other => panic!("event {at}: unknown event {other}"),
        }
    }
}

/// One output item as accumulated from the deltas.
#[derive(Default)]
struct Item {
    value: Value,
    text: Vec<String>,
    arguments: String,
    summary: String,
    open: bool,
}

/// OpenAI Responses: `response.created` then `response.in_progress`;
/// `sequence_number` 0, 1, 2 ...; items added with `output_index` in order;
/// every delta names an open item and a part it added; `.done` events
/// repeat what the deltas said; `response.completed` (or `incomplete` or
/// `failed`) last, and its `output` is exactly the items streamed, with the
/// text and arguments of their deltas.
pub fn responses(out: &[u8]) {
    let events = parsed(out);
    let mut items: Vec<Item> = Vec::new();
    for (at, (name, event)) in events.iter().enumerate() {
        let kind = event["type"].as_str().expect("type");
        assert_eq!(name, kind, "event {at}: the event name is the type");
        assert_eq!(event["sequence_number"], at, "event {at}: sequence_number");
        match at {
            0 => assert_eq!(kind, "response.created", "response.created first"),
            1 => assert_eq!(kind, "response.in_progress", "then response.in_progress"),
            _ => {}
        }
        if at < 2 {
            assert_eq!(event["response"]["status"], "in_progress");
            continue;
        }
        let index = event["output_index"].as_u64().map(|i| i as usize);
        let item = |items: &mut Vec<Item>| -> usize {
            let index = index.expect("output_index");
            let item = items.get(index).expect("an added item");
            assert!(item.open, "event {at}: {kind} for a closed item");
            if kind != "response.output_item.done" {
                assert_eq!(event["item_id"], item.value["id"], "event {at}: item_id");
            }
            index
        };
        match kind {
            "response.output_item.added" => {
                assert_eq!(index, Some(items.len()), "event {at}: items in order");
                items.push(Item {
                    value: event["item"].clone(),
                    open: true,
                    ..Item::default()
                });
            }
            "response.content_part.added" => {
                let i = item(&mut items);
                assert_eq!(event["content_index"], items[i].text.len(), "content_index");
                items[i].text.push(String::new());
            }
            "response.output_text.delta" | "response.refusal.delta" => {
                let i = item(&mut items);
                let part = event["content_index"].as_u64().expect("content_index") as usize;
                let text = items[i].text.get_mut(part).expect("an added part");
                text.push_str(event["delta"].as_str().expect("delta"));
            }
            "response.output_text.done" | "response.refusal.done" => {
                let i = item(&mut items);
                let part = event["content_index"].as_u64().unwrap() as usize;
                let field = if kind.contains("refusal") {
                    "refusal"
                } else {
                    "text"
                };
                assert_eq!(
                    event[field],
                    items[i].text[part].as_str(),
                    "event {at}: {kind}"
                );
            }
            "response.function_call_arguments.delta" => {
                let i = item(&mut items);
                items[i]
                    .arguments
                    .push_str(event["delta"].as_str().expect("delta"));
            }
            "response.function_call_arguments.done" => {
                let i = item(&mut items);
                assert_eq!(
                    event["arguments"],
                    items[i].arguments.as_str(),
                    "event {at}"
                );
            }
            "response.reasoning_summary_text.delta" => {
                let i = item(&mut items);
                items[i]
                    .summary
                    .push_str(event["delta"].as_str().expect("delta"));
            }
            "response.reasoning_summary_text.done" => {
                let i = item(&mut items);
                assert_eq!(event["text"], items[i].summary.as_str(), "event {at}");
            }
            "response.content_part.done"
            | "response.reasoning_summary_part.added"
            | "response.reasoning_summary_part.done" => {
                item(&mut items);
            }
            "response.output_item.done" => {
                let i = item(&mut items);
                items[i].open = false;
                check_item(&items[i], &event["item"], at);
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                assert_eq!(at, events.len() - 1, "event {at}: {kind} is the last event");
                if kind == "response.failed" {
                    assert!(event["response"]["error"]["message"].is_string());
                    continue;
                }
                assert!(items.iter().all(|i| !i.open), "event {at}: items left open");
                let output = event["response"]["output"].as_array().expect("output");
                assert_eq!(output.len(), items.len(), "the final output has every item");
                for (item, value) in items.iter().zip(output) {
                    check_item(item, value, at);
                }
            }
            other => panic!("event {at}: unknown event {other}"),
        }
    }
}

/// A whole item agrees with what its deltas said.
fn check_item(item: &Item, value: &Value, at: usize) {
    assert_eq!(value["id"], item.value["id"], "event {at}: the item's id");
    assert_eq!(
        value["type"], item.value["type"],
        "event {at}: the item's type"
    );
    match value["type"].as_str() {
        Some("message") => {
            let parts = value["content"].as_array().expect("content");
            let texts: Vec<&str> = parts
                .iter()
                .map(|p| p["text"].as_str().or(p["refusal"].as_str()).expect("text"))
                .collect();
            assert_eq!(texts, item.text, "event {at}: the message's text");
        }
        Some("function_call") => {
            assert_eq!(
                value["arguments"],
                item.arguments.as_str(),
                "event {at}: arguments"
            );
            assert_eq!(value["call_id"], item.value["call_id"]);
            assert_eq!(value["name"], item.value["name"]);
        }
        Some("reasoning") => {
            let summary = value["summary"][0]["text"].as_str().unwrap_or("");
            assert_eq!(summary, item.summary, "event {at}: the reasoning's summary");
        }
        other => panic!("event {at}: unknown item {other:?}"),
    }
}
