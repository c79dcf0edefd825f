//! OpenAI Responses in, OpenAI Responses out: the reasoning's opaque state
//! and upstream's item ids, which a client gives back on its next turn
//! (Codex sends `store: false`, so the API knows an item only by what the
//! request brings), and the bound on what the renderer keeps.

use argstream::{ErrorKind, OutputFormat, Relay};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::common::named_events;
use crate::support::*;

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
