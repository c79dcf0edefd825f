//! A client's reading of the relay's output, the way the OpenAI SDK's stream
//! helper accumulates it: string fields of a delta are concatenated, tool
//! calls are merged by `index`. Written with serde_json, for clarity.

use serde_json::Value;

/// One accumulated call.
#[derive(Debug, Default, PartialEq, Eq, Clone)]
pub struct ClientCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// Everything a client gathered from a downstream stream.
#[derive(Debug, Default)]
pub struct Client {
    pub content: String,
    pub reasoning: String,
    pub refusal: String,
    pub roles: Vec<String>,
    pub calls: Vec<ClientCall>,
    pub finish_reasons: Vec<String>,
    pub usage: Vec<Value>,
    pub errors: Vec<Value>,
    pub done: usize,
    /// Frames after `[DONE]` or after an error.
    pub after_end: usize,
    pub frames: usize,
    /// Every chunk's `id` and `model`.
    pub ids: Vec<(Value, Value)>,
    /// The choices other than 0, by index: what each gathered.
    pub others: std::collections::BTreeMap<u64, Choice>,
}

/// What a client gathered for one choice other than 0.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Choice {
    pub content: String,
    pub roles: Vec<String>,
    pub calls: Vec<ClientCall>,
    pub finish_reasons: Vec<String>,
}

/// The `data:` payloads of an SSE body whose lines end in `\n` (the relay
/// writes one `data:` line per event).
pub fn payloads(body: &[u8]) -> Vec<&[u8]> {
    body.split(|&b| b == b'\n')
        .filter_map(|line| line.strip_prefix(b"data:"))
        .map(|data| data.strip_prefix(b" ").unwrap_or(data))
        .collect()
}

/// Reads `out` as a client would; panics on a frame no client could read.
pub fn read(out: &[u8]) -> Client {
    let mut client = Client::default();
    for payload in payloads(out) {
        client.frames += 1;
        if client.done > 0 || !client.errors.is_empty() {
            client.after_end += 1;
        }
        if payload == b"[DONE]" {
            client.done += 1;
            continue;
        }
        let chunk: Value = serde_json::from_slice(payload).expect("downstream frames are JSON");
        if let Some(error) = chunk.get("error") {
            client.errors.push(error.clone());
            continue;
        }
        // The OpenAI SDK's stream helper drops any chunk that does not say
        // it is one.
        assert_eq!(chunk["object"], "chat.completion.chunk", "{chunk}");
        client
            .ids
            .push((chunk["id"].clone(), chunk["model"].clone()));
        if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
            client.usage.push(usage.clone());
        }
        for choice in chunk["choices"].as_array().expect("choices") {
            let delta = &choice["delta"];
            let index = choice["index"].as_u64().expect("a choice's index");
            if index != 0 {
                let other = client.others.entry(index).or_default();
                if let Some(role) = delta["role"].as_str() {
                    other.roles.push(role.to_owned());
                }
                other
                    .content
                    .push_str(delta["content"].as_str().unwrap_or(""));
                merge_calls(&mut other.calls, delta);
                if let Some(reason) = choice["finish_reason"].as_str() {
                    other.finish_reasons.push(reason.to_owned());
                }
                continue;
            }
            if let Some(role) = delta["role"].as_str() {
                client.roles.push(role.to_owned());
            }
            client
                .content
                .push_str(delta["content"].as_str().unwrap_or(""));
            client
                .reasoning
                .push_str(delta["reasoning_content"].as_str().unwrap_or(""));
            client
                .reasoning
                .push_str(delta["reasoning"].as_str().unwrap_or(""));
            client
                .refusal
                .push_str(delta["refusal"].as_str().unwrap_or(""));
            merge_calls(&mut client.calls, delta);
            if let Some(reason) = choice["finish_reason"].as_str() {
                client.finish_reasons.push(reason.to_owned());
            }
        }
    }
    client
}

/// Merges a delta's `tool_calls` by `index`, as the SDK does.
fn merge_calls(calls: &mut Vec<ClientCall>, delta: &Value) {
    for call in delta["tool_calls"].as_array().into_iter().flatten() {
        let index = call["index"].as_u64().expect("tool call index") as usize;
        if calls.len() <= index {
            calls.resize(index + 1, ClientCall::default());
        }
        let slot = &mut calls[index];
        slot.id.push_str(call["id"].as_str().unwrap_or(""));
        slot.name
            .push_str(call["function"]["name"].as_str().unwrap_or(""));
        slot.arguments
            .push_str(call["function"]["arguments"].as_str().unwrap_or(""));
    }
}
