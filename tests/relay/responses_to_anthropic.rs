//! OpenAI Responses in, Anthropic Messages out: a reasoning item's
//! `encrypted_content` is the thinking block's signature.

use argstream::OutputFormat;

use crate::support::*;

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
