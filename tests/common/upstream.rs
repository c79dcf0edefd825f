//! What serde_json makes of an upstream stream in each of the three formats:
//! the reference the relay's output is checked against. SSE is split by
//! plain lines (the recorded streams use `\n` and one `data:` line per
//! event).

use serde_json::Value;

/// One tool call as upstream sent it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// The meaning of a stream.
#[derive(Debug, Default)]
pub struct Reference {
    pub format: &'static str,
    pub text: String,
    pub reasoning: String,
    pub refusal: String,
    pub calls: Vec<RefCall>,
    /// The finish in OpenAI's words.
    pub finish: Option<String>,
    pub usage: bool,
    pub error: bool,
    /// The format's end arrived (`[DONE]`, `message_stop`, `response.completed`/`incomplete`).
    pub ended: bool,
    /// Calls' fragments interleave with each other or with text.
    pub interleaved: bool,
    /// Chat choices other than 0, by index: their text and first finish.
    pub others: std::collections::BTreeMap<u64, (String, Option<String>)>,
}

/// (event name, data) of each event.
pub fn events(body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut name = String::new();
    let mut data: Option<Vec<u8>> = None;
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            if let Some(data) = data.take() {
                out.push((std::mem::take(&mut name), data));
            }
            name.clear();
        } else if let Some(rest) = line.strip_prefix(b"event:") {
            name = String::from_utf8_lossy(rest.strip_prefix(b" ").unwrap_or(rest)).into_owned();
        } else if let Some(rest) = line.strip_prefix(b"data:") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            match &mut data {
                Some(data) => {
                    data.push(b'\n');
                    data.extend_from_slice(rest);
                }
                None => data = Some(rest.to_vec()),
            }
        }
    }
    out
}

pub fn reference(body: &[u8]) -> Reference {
    let events = events(body);
    let first = events
        .iter()
        .filter_map(|(name, data)| {
            let v: Value = serde_json::from_slice(data).ok()?;
            let kind = v["type"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or(name.clone());
            (kind != "ping" && kind != "error").then_some(kind)
        })
        .next()
        .unwrap_or_default();
    if first.starts_with("message_") || first.starts_with("content_block") {
        anthropic(&events)
    } else if first.starts_with("response.") {
        responses(&events)
    } else {
        chat(&events)
    }
}

fn open_call(r: &mut Reference, keys: &mut Vec<u64>, key: u64) -> usize {
    match keys.iter().position(|&k| k == key) {
        Some(slot) => slot,
        None => {
            keys.push(key);
            r.calls.push(RefCall::default());
            r.calls.len() - 1
        }
    }
}

fn chat(events: &[(String, Vec<u8>)]) -> Reference {
    let mut r = Reference {
        format: "openai-chat",
        ..Reference::default()
    };
    let mut keys = Vec::new();
    let mut last_call: Option<usize> = None;
    for (_, data) in events {
        if data.trim_ascii() == b"[DONE]" {
            r.ended = true;
            break;
        }
        let Ok(v) = serde_json::from_slice::<Value>(data) else {
            continue;
        };
        if v.get("error").is_some_and(|e| !e.is_null()) {
            r.error = true;
            break;
        }
        if v.get("usage").is_some_and(|u| u.is_object()) {
            r.usage = true;
        }
        for choice in v["choices"].as_array().into_iter().flatten() {
            let index = choice["index"].as_u64().unwrap_or(0);
            if index != 0 {
                let other = r.others.entry(index).or_default();
                let delta = if choice.get("delta").is_some() {
                    &choice["delta"]
                } else {
                    &choice["message"]
                };
                other.0.push_str(delta["content"].as_str().unwrap_or(""));
                if let Some(reason) = choice["finish_reason"].as_str().filter(|s| !s.is_empty())
                    && other.1.is_none()
                {
                    other.1 = Some(reason.to_owned());
                }
                continue;
            }
            let delta = if choice.get("delta").is_some() {
                &choice["delta"]
            } else {
                &choice["message"]
            };
            let text = match &delta["content"] {
                Value::String(s) => s.clone(),
                Value::Array(parts) => parts
                    .iter()
                    .filter(|p| p["type"] == "text")
                    .filter_map(|p| p["text"].as_str())
                    .collect(),
                _ => String::new(),
            };
            r.interleaved |= !text.is_empty() && last_call.is_some();
            r.text.push_str(&text);
            let reasoning = delta["reasoning_content"]
                .as_str()
                .or(delta["reasoning"].as_str())
                .unwrap_or("");
            r.reasoning.push_str(reasoning);
            r.refusal.push_str(delta["refusal"].as_str().unwrap_or(""));
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let slot = open_call(&mut r, &mut keys, call["index"].as_u64().unwrap_or(0));
                r.interleaved |=
                    last_call.is_some_and(|last| last != slot && slot + 1 != r.calls.len());
                last_call = Some(slot);
                let c = &mut r.calls[slot];
                if c.id.is_empty() {
                    c.id.push_str(call["id"].as_str().unwrap_or(""));
                }
                let name = call["function"]["name"].as_str().unwrap_or("");
                if c.name != name {
                    c.name.push_str(name);
                }
                c.arguments
                    .push_str(call["function"]["arguments"].as_str().unwrap_or(""));
            }
            if let Some(reason) = choice["finish_reason"].as_str().filter(|s| !s.is_empty())
                && r.finish.is_none()
            {
                r.finish = Some(match reason {
                    "function_call" => "tool_calls".to_owned(),
                    other => other.to_owned(),
                });
            }
        }
    }
    if !r.ended && r.finish.is_none() && !r.error {
        // cut off
    } else if r.finish.is_none() && r.ended {
        r.finish = Some("stop".to_owned());
    }
    r
}

fn anthropic(events: &[(String, Vec<u8>)]) -> Reference {
    let mut r = Reference {
        format: "anthropic",
        ..Reference::default()
    };
    let mut keys = Vec::new();
    let mut last_call: Option<usize> = None;
    for (name, data) in events {
        let Ok(v) = serde_json::from_slice::<Value>(data) else {
            continue;
        };
        let kind = v["type"].as_str().unwrap_or(name);
        match kind {
            "message_start" => r.usage |= v["message"]["usage"].is_object(),
            "content_block_start" => {
                let block = &v["content_block"];
                match block["type"].as_str() {
                    Some("tool_use") => {
                        let slot = open_call(&mut r, &mut keys, v["index"].as_u64().unwrap());
                        r.calls[slot].id = block["id"].as_str().unwrap().to_owned();
                        r.calls[slot].name = block["name"].as_str().unwrap().to_owned();
                    }
                    Some("text") => r.text.push_str(block["text"].as_str().unwrap_or("")),
                    Some("thinking") => r
                        .reasoning
                        .push_str(block["thinking"].as_str().unwrap_or("")),
                    _ => {}
                }
            }
            "content_block_delta" => {
                let delta = &v["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => {
                        r.interleaved |= last_call.is_some();
                        r.text.push_str(delta["text"].as_str().unwrap());
                    }
                    Some("thinking_delta") => {
                        r.reasoning.push_str(delta["thinking"].as_str().unwrap())
                    }
                    Some("input_json_delta") => {
                        let index = v["index"].as_u64().unwrap();
                        if let Some(slot) = keys.iter().position(|&k| k == index) {
                            r.interleaved |=
                                last_call.is_some_and(|l| l != slot && slot + 1 != r.calls.len());
                            last_call = Some(slot);
                            r.calls[slot]
                                .arguments
                                .push_str(delta["partial_json"].as_str().unwrap());
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                r.usage |= v["usage"].is_object();
                if let Some(reason) = v["delta"]["stop_reason"].as_str() {
                    r.finish = Some(
                        match reason {
                            "end_turn" | "stop_sequence" | "pause_turn" => "stop",
                            "max_tokens" | "model_context_window_exceeded" => "length",
                            "tool_use" => "tool_calls",
                            "refusal" => "content_filter",
                            other => other,
                        }
                        .to_owned(),
                    );
                }
            }
            "message_stop" => {
                r.ended = true;
                if r.finish.is_none() {
                    r.finish = Some("stop".to_owned());
                }
                break;
            }
            "error" => {
                r.error = true;
                break;
            }
            _ => {}
        }
    }
    r
}

fn responses(events: &[(String, Vec<u8>)]) -> Reference {
    let mut r = Reference {
        format: "openai-responses",
        ..Reference::default()
    };
    let mut keys = Vec::new();
    let mut fragments = Vec::new();
    let mut last_call: Option<usize> = None;
    for (name, data) in events {
        let Ok(v) = serde_json::from_slice::<Value>(data) else {
            continue;
        };
        let kind = v["type"].as_str().unwrap_or(name);
        match kind {
            "response.output_item.added" if v["item"]["type"] == "function_call" => {
                let slot = open_call(&mut r, &mut keys, v["output_index"].as_u64().unwrap());
                fragments.push(false);
                r.calls[slot].id = v["item"]["call_id"].as_str().unwrap_or("").to_owned();
                r.calls[slot].name = v["item"]["name"].as_str().unwrap_or("").to_owned();
            }
            "response.function_call_arguments.delta" => {
                let index = v["output_index"].as_u64().unwrap();
                if let Some(slot) = keys.iter().position(|&k| k == index) {
                    r.interleaved |=
                        last_call.is_some_and(|l| l != slot && slot + 1 != r.calls.len());
                    last_call = Some(slot);
                    fragments[slot] = true;
                    r.calls[slot]
                        .arguments
                        .push_str(v["delta"].as_str().unwrap());
                }
            }
            "response.function_call_arguments.done" => {
                let index = v["output_index"].as_u64().unwrap();
                if let Some(slot) = keys.iter().position(|&k| k == index)
                    && !fragments[slot]
                {
                    fragments[slot] = true;
                    r.calls[slot].arguments = v["arguments"].as_str().unwrap().to_owned();
                }
            }
            "response.output_item.done" if v["item"]["type"] == "function_call" => {
                let index = v["output_index"].as_u64().unwrap();
                let arguments = v["item"]["arguments"].as_str().unwrap_or("");
                if let Some(slot) = keys.iter().position(|&k| k == index)
                    && !fragments[slot]
                    && !arguments.is_empty()
                {
                    fragments[slot] = true;
                    r.calls[slot].arguments = arguments.to_owned();
                }
            }
            "response.output_text.delta" => {
                r.interleaved |= last_call.is_some();
                r.text.push_str(v["delta"].as_str().unwrap());
            }
            "response.refusal.delta" => r.refusal.push_str(v["delta"].as_str().unwrap()),
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                r.reasoning.push_str(v["delta"].as_str().unwrap())
            }
            "response.completed" | "response.incomplete" => {
                r.usage |= v["response"]["usage"].is_object();
                r.ended = true;
                r.finish = Some(
                    if kind == "response.incomplete" {
                        if v["response"]["incomplete_details"]["reason"] == "content_filter" {
                            "content_filter"
                        } else {
                            "length"
                        }
                    } else if r.calls.is_empty() {
                        "stop"
                    } else {
                        "tool_calls"
                    }
                    .to_owned(),
                );
                break;
            }
            "response.failed" | "error" => {
                r.error = true;
                break;
            }
            _ => {}
        }
    }
    r
}
