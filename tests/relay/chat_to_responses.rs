//! Chat Completions in, OpenAI Responses out: items that upstream gave no
//! id get the renderer's own.

use argstream::OutputFormat;
use serde_json::{Value, json};

use crate::support::*;

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
