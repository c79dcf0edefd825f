//! One rule over several upstream formats into a chat client: the first
//! frame goes out when upstream's response starts, and the bundled
//! Anthropic and Responses examples say the same thing as the chat one.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::common::client::{self};
use crate::common::named_events;
use crate::support::*;

#[test]
fn the_bundled_anthropic_and_responses_examples_relay() {
    let spoken =
        "Let me check the \"feels like\" forecast for Lisbon — café weather 😀.\nOne moment!";
    for (file, format) in [
        ("voice_agent_anthropic.sse", "anthropic"),
        ("voice_agent_responses.sse", "openai-responses"),
    ] {
        let path = format!("{}/examples/data/{file}", env!("CARGO_MANIFEST_DIR"));
        let upstream = std::fs::read(path).unwrap();
        let (whole, _, _) = relay(&upstream, &["pre_exec_msg"], upstream.len());
        for piece in [1, 3, 7, 4096] {
            let (out, relayer, result) = relay(&upstream, &["pre_exec_msg"], piece);
            result.unwrap();
            assert_eq!(out, whole, "{file} at {piece}");
            assert_eq!(relayer.format().unwrap().name(), format);
            let seen = client::read(&out);
            assert_eq!(seen.content, format!("Sure, checking now.{spoken}"));
            assert!(seen.reasoning.len() > 20);
            assert_eq!(seen.finish_reasons, ["stop"]);
            assert_eq!(seen.usage.len(), 1);
            assert_eq!(seen.usage[0]["prompt_tokens_details"]["cached_tokens"], 128);
            assert_eq!(seen.done, 1);
            let call = &relayer.summary().tool_calls[0];
            assert_eq!((call.index, call.name.as_str()), (0, "get_weather"));
            assert_eq!(call.error, None);
            assert_eq!(
                relayer.summary().finish_reason.as_deref(),
                Some("tool_calls")
            );
        }
    }
}

/// The client's first frame goes out when upstream's response starts, not
/// with its first text: a chat client gets OpenAI's first chunk (the role,
/// with empty content) on Anthropic's `message_start` and on Responses'
/// `response.created`.
#[test]
fn the_first_frame_goes_out_when_the_upstream_starts() {
    let created =
        json!({"type":"response.created","response":{"id":"resp_1","model":"gpt","created_at":7}});
    for start in [anthropic(&[message_start()]), named_events(&[created])] {
        let mut relay = keys();
        relay.feed(Bytes::from(start.clone())).unwrap();
        let out = relay.output();
        let chunks = client::payloads(&out);
        assert_eq!(chunks.len(), 1, "{start}");
        let chunk: Value = serde_json::from_slice(chunks[0]).unwrap();
        assert_eq!(
            chunk["choices"],
            json!([{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]),
            "{start}"
        );
    }
}

/// A decoder's sink is told the format once it is known, not at every
/// event, and told again after a reset: `None` for each event that says
/// nothing of it (a ping before the first), then the format once.
#[test]
fn a_sink_is_told_the_format_once_it_is_known() {
    use argstream::upstream::{Decoder, Sink, Upstream};
    use argstream::{Error, Format, SseDecoder};

    #[derive(Default)]
    struct Told(Vec<Option<Format>>);
    impl Sink for Told {
        fn event(&mut self, _: Upstream<'_>) -> Result<(), Error> {
            Ok(())
        }
        fn format(&mut self, format: Option<Format>) {
            self.0.push(format);
        }
    }
    let ping = "event: ping\ndata: {\"type\":\"ping\"}\n\n";
    let body = format!(
        "{ping}{}",
        anthropic(&[
            message_start(),
            delta(0, json!({"type":"text_delta","text":"hi"}))
        ])
    );
    for given in [None, Some(Format::Anthropic)] {
        let mut decoder = Decoder::new(given);
        let mut told = Told::default();
        for _ in 0..2 {
            let mut sse = SseDecoder::new();
            sse.feed(Bytes::from(body.clone()));
            while let Some(event) = sse.next_event().unwrap() {
                decoder.decode(&event, &mut told).unwrap();
            }
            decoder.reset(given);
        }
        let stream = match given {
            None => vec![None, Some(Format::Anthropic)],
            Some(_) => vec![Some(Format::Anthropic)],
        };
        assert_eq!(told.0, [stream.clone(), stream].concat(), "{given:?}");
    }
}
