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
    /// The reasoning's `encrypted_content` in its `output_item.done`.
    state: Value,
}

/// OpenAI Responses: `response.created` then `response.in_progress`;
/// `sequence_number` 0, 1, 2 ...; items added with `output_index` in order;
/// every delta names an open item and a part it added; `.done` events
/// repeat what the deltas said; `response.completed` (or `incomplete` or
/// `failed`) last, and its `output` is exactly the items streamed, with the
/// text and arguments of their deltas, and each reasoning's
/// `encrypted_content` as its `output_item.done` gave it.
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
                items[i].state = event["item"]["encrypted_content"].clone();
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
                    assert_eq!(
                        value["encrypted_content"], item.state,
                        "event {at}: the reasoning's state as its .done gave it"
                    );
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

/// Google Gemini: data-only events, each one `data:` line ending with
/// `\r\n\r\n`; each a `GenerateContentResponse` with one candidate of index
/// 0 whose content has role `model` and parts that are each a non-empty
/// `text` (with `"thought": true` for reasoning) or a whole `functionCall`
/// (`name`, `args` an object, maybe `id`; no `partialArgs`); one
/// `responseId` and `modelVersion` throughout; `finishReason` only on the
/// last event, with the `usageMetadata` if any; or an error
/// `{"error":{"code","message","status"}}` last, with an HTTP error code.
pub fn gemini(out: &[u8]) {
    for (at, window) in out.windows(2).enumerate() {
        assert!(
            window[1] != b'\n' || window[0] == b'\r',
            "byte {at}: a line ends with \\n alone"
        );
    }
    let events = parsed(out);
    assert!(!events.is_empty(), "no event");
    let lines: Vec<&[u8]> = out
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
        .collect();
    assert!(
        lines.iter().all(|line| line.starts_with(b"data: ")),
        "data lines only"
    );
    assert_eq!(lines.len(), events.len(), "one data line an event");
    let mut response_id = None;
    for (at, (name, event)) in events.iter().enumerate() {
        let last = at == events.len() - 1;
        assert!(name.is_empty(), "event {at}: a named event ({name})");
        let object = event.as_object().expect("an object");
        if let Some(error) = object.get("error") {
            assert!(last, "event {at}: an error that is not the last event");
            assert_eq!(object.len(), 1, "event {at}: the error alone");
            let code = error["code"].as_u64().expect("a numeric code");
            assert!((400..600).contains(&code), "event {at}: code {code}");
            assert!(error["message"].is_string() && error["status"].is_string());
            continue;
        }
        for key in object.keys() {
            assert!(
                ["candidates", "usageMetadata", "modelVersion", "responseId"]
                    .contains(&key.as_str()),
                "event {at}: member {key}"
            );
        }
        assert!(
            event["modelVersion"].is_string(),
            "event {at}: modelVersion"
        );
        let id = event["responseId"].as_str().expect("responseId");
        assert_eq!(
            *response_id.get_or_insert(id.to_owned()),
            id,
            "event {at}: one responseId"
        );
        let candidates = event["candidates"].as_array().expect("candidates");
        assert_eq!(candidates.len(), 1, "event {at}: one candidate");
        let candidate = &candidates[0];
        assert_eq!(candidate["index"], 0, "event {at}: candidate 0");
        assert_eq!(candidate["content"]["role"], "model", "event {at}: role");
        let finish = candidate.get("finishReason");
        assert_eq!(
            finish.is_some(),
            last,
            "event {at}: finishReason on the last event"
        );
        if let Some(finish) = finish {
            let word = finish.as_str().expect("a finish word");
            assert!(
                !word.is_empty() && word.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "event {at}: finishReason {word}"
            );
        }
        if let Some(usage) = event.get("usageMetadata") {
            assert!(last, "event {at}: usageMetadata before the last event");
            for (key, count) in usage.as_object().expect("usageMetadata") {
                assert!(count.is_u64(), "event {at}: {key}");
            }
            assert!(usage["totalTokenCount"].is_u64());
        }
        let parts = candidate["content"]["parts"].as_array().expect("parts");
        assert!(
            last || !parts.is_empty(),
            "event {at}: an event with no part"
        );
        for part in parts {
            let part = part.as_object().expect("a part");
            if let Some(call) = part.get("functionCall") {
                assert!(
                    part.keys()
                        .all(|key| key == "functionCall" || key == "thoughtSignature"),
                    "event {at}: a functionCall part has it and its signature alone"
                );
                if let Some(signature) = part.get("thoughtSignature") {
                    assert!(signature.is_string(), "event {at}: a signature");
                }
                let call = call.as_object().expect("functionCall");
                assert!(call["name"].is_string(), "event {at}: a call's name");
                assert!(call["args"].is_object(), "event {at}: a call's args");
                for key in call.keys() {
                    assert!(
                        ["id", "name", "args"].contains(&key.as_str()),
                        "event {at}: functionCall member {key}"
                    );
                }
                continue;
            }
            let text = part["text"].as_str().expect("a text part");
            assert!(!text.is_empty(), "event {at}: an empty text part");
            match part.len() {
                1 => {}
                2 => assert_eq!(part["thought"], true, "event {at}: a thought part"),
                _ => panic!("event {at}: part {part:?}"),
            }
        }
    }
}
