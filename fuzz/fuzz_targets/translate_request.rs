//! Request translation on arbitrary bytes and on mutated real requests
//! (the seeds: each format's documented shapes and the requests Claude
//! Code and Codex send): it never panics, and a request that translates
//! there and back without a warning keeps every call id and every result
//! id, in order.
//!
//! Input: one byte whose low bits pick the client's format and the next
//! two the upstream's, then the body.

#![no_main]

use argstream::Format;
use argstream_translate::{Options, translate_request};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const FORMATS: [Format; 4] = [
    Format::OpenAiChat,
    Format::OpenAiResponses,
    Format::Anthropic,
    Format::Gemini,
];

fuzz_target!(|input: &[u8]| {
    let Some((&pick, body)) = input.split_first() else {
        return;
    };
    let from = FORMATS[usize::from(pick & 3)];
    let to = FORMATS[usize::from((pick >> 2) & 3)];
    let options = Options {
        client_model: Some("m".into()),
        model: Some("m".into()),
        ..Options::default()
    };
    let Ok(there) = translate_request(body, from, to, &options) else {
        return;
    };
    let Ok(back) = translate_request(&there.body, to, from, &options) else {
        panic!("{from} -> {to} gave a body that does not translate back");
    };
    if !there.warnings.is_empty() || !back.warnings.is_empty() || from == Format::Gemini {
        return;
    }
    let original: Value = serde_json::from_slice(body).expect("it translated, so it is JSON");
    let returned: Value = serde_json::from_slice(&back.body).expect("a translation is JSON");
    let before = ids(&original, from);
    // Anthropic takes ids of letters, digits, `_` and `-` only, and its
    // writer makes the others so, on either leg (toward an Anthropic
    // upstream, or back to an Anthropic client); such ids are checked for
    // their count alone.
    let plain = before.iter().all(|id| {
        !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    let after = ids(&returned, from);
    if plain || (to != Format::Anthropic && from != Format::Anthropic) {
        assert_eq!(before, after, "{from} -> {to} -> {from}");
    } else {
        assert_eq!(before.len(), after.len(), "{from} -> {to} -> {from}");
    }
});

/// Every call id and result id of a request, in order, each marked.
fn ids(body: &Value, format: Format) -> Vec<String> {
    let mut out = Vec::new();
    let mut take = |kind: &str, id: &Value| {
        if let Some(id) = id.as_str() {
            out.push(format!("{kind}:{id}"));
        }
    };
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    match format {
        Format::OpenAiChat => {
            // As the API reads them: calls on assistant messages, results
            // on tool messages, each member elsewhere meaning nothing.
            for message in list(&body["messages"]) {
                match message["role"].as_str() {
                    Some("assistant") => {
                        for call in list(&message["tool_calls"]) {
                            take("call", &call["id"]);
                        }
                    }
                    Some("tool") => take("result", &message["tool_call_id"]),
                    _ => {}
                }
            }
        }
        Format::OpenAiResponses => {
            for item in list(&body["input"]) {
                match item["type"].as_str() {
                    Some("function_call" | "custom_tool_call") => take("call", &item["call_id"]),
                    Some("function_call_output" | "custom_tool_call_output") => {
                        take("result", &item["call_id"])
                    }
                    _ => {}
                }
            }
        }
        Format::Anthropic => {
            for message in list(&body["messages"]) {
                for block in list(&message["content"]) {
                    match block["type"].as_str() {
                        Some("tool_use") => take("call", &block["id"]),
                        Some("tool_result") => take("result", &block["tool_use_id"]),
                        _ => {}
                    }
                }
            }
        }
        _ => {
            for content in list(&body["contents"]) {
                for part in list(&content["parts"]) {
                    take("call", &part["functionCall"]["id"]);
                    take("result", &part["functionResponse"]["id"]);
                }
            }
        }
    }
    out
}
