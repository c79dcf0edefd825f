//! Anthropic Messages in, OpenAI Responses out: a thinking block's
//! signature is the reasoning item's `encrypted_content`, one to a block.

use argstream::OutputFormat;

use crate::support::*;

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
