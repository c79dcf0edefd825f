//! Upstream bodies, arbitrary bytes or generated streams of the three
//! formats (see `argstream_fuzz::chat`), relayed to an output format the
//! input picks, calls hidden or forwarded, values on or off, under two
//! fragmentation plans: the downstream bytes are identical, and so are the
//! summary, the event count and the error; the output stays linear in the
//! input; and it reads back through the crate's own decoders (the round
//! trip): every frame is its format's, an upstream error or a cut-off
//! stream is one error and no end, a finished one ends, and the text
//! without values and the forwarded calls are what the summary collected.

#![no_main]

use arbitrary::Arbitrary;
use argstream::upstream::{Decoder, Sink, Upstream as Event};
use argstream::{Output, Relay, SseDecoder, ToolCallMode};
use argstream_fuzz::chat::ChatStream;
use argstream_fuzz::plan::pieces;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

const KEYS: [&str; 2] = ["pre_exec_msg", "message"];

/// Downstream bytes per upstream byte, at most, plus [`PER_EVENT`] per
/// upstream event. A chat content frame copies the upstream chunk's id,
/// created and model around the spans that chunk carried; a frame written
/// for an Anthropic or Responses event repeats the response's id and model,
/// which the relay cuts to 256 bytes each.
const FACTOR: usize = 4;
/// A chunk's fixed JSON, plus a 256-byte id and model.
const PER_EVENT: usize = 200 + 2 * 256;
/// The role chunk, the finish chunk, the usage chunk and `[DONE]`, or an
/// error event, at the end.
const SLACK: usize = 4 * PER_EVENT;

#[derive(Arbitrary, Debug)]
enum Upstream {
    Raw(Vec<u8>),
    Chat(ChatStream),
}

#[derive(Arbitrary, Debug)]
struct Case {
    output: u8,
    forward: bool,
    values: bool,
    plan_a: Vec<u8>,
    plan_b: Vec<u8>,
    upstream: Upstream,
}

/// What relaying one body gave.
#[derive(Debug, PartialEq)]
struct Relayed {
    output: Vec<u8>,
    summary: argstream::chat::Summary,
    events: u64,
    result: Result<(), argstream::Error>,
}

fn make(case: &Case) -> Relay {
    let output = [
        Output::OpenAiChat,
        Output::Anthropic,
        Output::OpenAiResponses,
        Output::Same,
    ][usize::from(case.output % 4)];
    let mode = if case.forward {
        ToolCallMode::Forward
    } else {
        ToolCallMode::Hide
    };
    Relay::new(&KEYS)
        .with_output(output)
        .with_tool_calls(mode)
        .with_values(case.values)
}

fn relay(case: &Case, body: &[u8], plan: &[u8]) -> (Relayed, Output) {
    let body = Bytes::copy_from_slice(body);
    let mut relay = make(case);
    let mut output = Vec::new();
    let mut result = Ok(());
    for piece in pieces(body.len(), plan) {
        result = relay.feed(body.slice(piece));
        output.extend_from_slice(&relay.output());
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = relay.finish();
        output.extend_from_slice(&relay.output());
    }
    let relayed = Relayed {
        output,
        summary: relay.summary().clone(),
        events: relay.events(),
        result,
    };
    (relayed, relay.output_format())
}

/// What a client of the output reads back.
#[derive(Default)]
struct Back {
    text: String,
    arguments: Vec<String>,
    keys: Vec<(Option<u64>, Option<String>)>,
    errors: usize,
    ended: bool,
    choice: u32,
}

impl Sink for Back {
    fn event(&mut self, event: Event<'_>) -> Result<(), argstream::Error> {
        match event {
            Event::Choice(index) => self.choice = index,
            _ if self.choice != 0 => {}
            Event::Text(text) => self.text.push_str(text),
            Event::Call(delta) => {
                let key = (delta.call.index, delta.call.item.map(str::to_owned));
                let slot = match self.keys.iter().position(|k| *k == key) {
                    Some(slot) => slot,
                    None if delta.opens => {
                        self.keys.push(key);
                        self.arguments.push(String::new());
                        self.arguments.len() - 1
                    }
                    None => return Ok(()),
                };
                self.arguments[slot].push_str(delta.arguments.unwrap_or(""));
            }
            Event::Error(_) => self.errors += 1,
            Event::End => self.ended = true,
            _ => {}
        }
        Ok(())
    }
}

fn read_back(output: &[u8], format: Output) -> Back {
    let format = match format {
        Output::Anthropic => argstream::Format::Anthropic,
        Output::OpenAiResponses => argstream::Format::OpenAiResponses,
        _ => argstream::Format::OpenAiChat,
    };
    let mut sse = SseDecoder::new();
    sse.feed(Bytes::copy_from_slice(output));
    sse.finish();
    let mut decoder = Decoder::new(Some(format));
    let mut back = Back::default();
    while let Some(event) = sse.next_event().expect("the output is SSE") {
        back.choice = 0;
        decoder
            .decode(&event, &mut back)
            .unwrap_or_else(|e| panic!("a frame that is not {format}: {e}"));
    }
    assert!(sse.take_unterminated_event().is_none(), "a frame cut off");
    back
}

fuzz_target!(|case: Case| {
    let body = match &case.upstream {
        Upstream::Raw(bytes) => bytes.clone(),
        Upstream::Chat(stream) => stream.to_bytes(),
    };
    let (a, format) = relay(&case, &body, &case.plan_a);
    let (b, _) = relay(&case, &body, &case.plan_b);
    assert_eq!(
        a,
        b,
        "plans {:?} and {:?} differ on {:?}",
        case.plan_a,
        case.plan_b,
        String::from_utf8_lossy(&body)
    );
    // Responses repeats each item's text in its done events and the final
    // object.
    let factor = if format == Output::OpenAiResponses { 2 * FACTOR } else { FACTOR };
    assert!(
        a.output.len() <= factor * body.len() + PER_EVENT * a.events as usize + SLACK,
        "{} bytes out for {} in: {:?}",
        a.output.len(),
        body.len(),
        String::from_utf8_lossy(&body)
    );
    if a.result.is_err() {
        return;
    }
    let back = read_back(&a.output, format);
    if a.summary.upstream_error.is_some() {
        assert_eq!((back.errors, back.ended), (1, false), "an error ends the stream");
        return;
    }
    assert_eq!((back.errors, back.ended), (0, true), "a finished stream ends");
    if !case.values && format != Output::Anthropic {
        assert_eq!(back.text, a.summary.content, "the text, without values");
    }
    if case.forward {
        let collected: Vec<&str> = a
            .summary
            .tool_calls
            .iter()
            .map(|c| c.arguments.as_str())
            .collect();
        assert_eq!(back.arguments, collected, "the forwarded calls' arguments");
    }
});
