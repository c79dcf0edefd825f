//! Upstream bodies, arbitrary bytes or generated streams of the five
//! formats (see `argstream_fuzz::chat`; Bedrock's binary frames among them),
//! with some bytes flipped (a frame's CRC, a length, a payload byte),
//! relayed to an output format the input picks, calls hidden or forwarded,
//! values on or off, under two fragmentation plans (frames cut anywhere):
//! the downstream bytes are identical, and so are the summary, the event
//! count and the error; the output stays linear in the input; and it reads
//! back through the crate's own decoders (the round trip): every frame is
//! its format's, an upstream error or a cut-off stream is one error and no
//! end, a finished one ends, and the text without values and the forwarded
//! calls are what the summary collected.

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
    /// `(position, mask)`: the byte at `position` modulo the body's length
    /// is XORed with `mask`.
    flips: Vec<(u16, u8)>,
}

/// What relaying one body gave.
#[derive(Debug, PartialEq)]
struct Relayed {
    output: Vec<u8>,
    summary: argstream::Summary,
    events: u64,
    result: Result<(), argstream::Error>,
}

fn make(case: &Case) -> Relay {
    let output = [
        Output::OpenAiChat,
        Output::Anthropic,
        Output::OpenAiResponses,
        Output::Gemini,
        Output::Same,
    ][usize::from(case.output % 5)];
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
    /// Each call's id, as it opened.
    ids: Vec<String>,
    keys: Vec<(Option<u64>, Option<String>)>,
    errors: usize,
    ended: bool,
    finished: bool,
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
                        self.ids.push(delta.id.unwrap_or("").to_owned());
                        self.arguments.push(String::new());
                        self.arguments.len() - 1
                    }
                    None => return Ok(()),
                };
                self.arguments[slot].push_str(delta.arguments.unwrap_or(""));
            }
            Event::Error(_) => self.errors += 1,
            Event::End => self.ended = true,
            Event::Finish(_) => self.finished = true,
            _ => {}
        }
        Ok(())
    }
}

fn read_back(output: &[u8], format: Output) -> Back {
    let format = match format {
        Output::Anthropic => argstream::Format::Anthropic,
        Output::OpenAiResponses => argstream::Format::OpenAiResponses,
        Output::Gemini => argstream::Format::Gemini,
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
    decoder.finish(&mut back).expect("the end reads");
    // Gemini has no end event: its finish, read to the body's end, is it.
    if format == argstream::Format::Gemini {
        back.ended = back.finished;
    }
    back
}

/// The arguments of the forwarded calls as a Gemini client gets them, for
/// the calls the summary collected: `{}` for none, an object's as they
/// came (line breaks as spaces), and none for a call whose arguments are
/// not an object or nest past 120 levels. Arguments that went bad after
/// they were one whole object (bytes after their end) went out before they
/// did: such a call may be there, with its arguments up to their end; its
/// id, which every call keeps, tells.
fn gemini_calls(collected: &[argstream::ToolCallSummary], back: &Back) -> bool {
    let mut back = back.ids.iter().zip(&back.arguments).peekable();
    for call in collected {
        let arguments: String = call
            .arguments
            .trim_ascii()
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        let whole = call.error.is_none() && arguments.starts_with('{') && depth(&arguments) <= 120;
        // No arguments, or `null` (a call without parameters), is `{}`.
        let given = if arguments.is_empty() || arguments == "null" {
            "{}"
        } else if whole {
            arguments.as_str()
        } else if call.error.is_some() {
            // Went out only if it was whole before it went bad.
            // (`null`, before what made it bad, went out as `{}`.)
            let shown = back.next_if(|(id, given)| {
                (call.id.is_empty() || **id == call.id)
                    && (arguments.starts_with(given.as_str())
                        || (given.as_str() == "{}" && arguments.starts_with("null")))
            });
            if shown.is_some_and(|(_, given)| !given.starts_with('{')) {
                return false;
            }
            continue;
        } else {
            continue;
        };
        match back.next() {
            Some((id, got)) if got == given && (call.id.is_empty() || *id == call.id) => {}
            _ => return false,
        }
    }
    back.next().is_none()
}

/// The deepest nesting of containers in valid JSON text.
fn depth(json: &str) -> usize {
    let mut open = 0usize;
    let mut most = 0;
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // Skip the string, escapes included.
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                open += 1;
                most = most.max(open);
            }
            '}' | ']' => open -= 1,
            _ => {}
        }
    }
    most
}

fuzz_target!(|case: Case| {
    let mut body = match &case.upstream {
        Upstream::Raw(bytes) => bytes.clone(),
        Upstream::Chat(stream) => stream.to_bytes(),
    };
    if !body.is_empty() {
        for &(position, mask) in case.flips.iter().take(4) {
            let at = usize::from(position) % body.len();
            body[at] ^= mask;
        }
    }
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
    // Responses repeats each item's text in its delta, its done events and
    // the final object, four times: a call's arguments escaped once more (a
    // Gemini upstream's assembled arguments can be all escapes, twice their
    // bytes), the values' text beside them.
    let factor = if format == Output::OpenAiResponses {
        3 * FACTOR
    } else {
        FACTOR
    };
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
        assert_eq!(
            (back.errors, back.ended),
            (1, false),
            "an error ends the stream"
        );
        return;
    }
    assert_eq!(
        (back.errors, back.ended),
        (0, true),
        "a finished stream ends"
    );
    // Anthropic and Gemini carry a refusal as text.
    if !case.values && !matches!(format, Output::Anthropic | Output::Gemini) {
        assert_eq!(back.text, a.summary.content, "the text, without values");
    }
    if case.forward && format == Output::Gemini {
        assert!(
            gemini_calls(&a.summary.tool_calls, &back),
            "the forwarded calls {:?} for {:?}",
            back.arguments,
            a.summary.tool_calls
        );
    } else if case.forward {
        // The same text, or the same JSON: a call whose arguments are an
        // empty object (`{}` with whitespace around it, or `null`) goes to
        // an Anthropic client as the block's `"input":{}`, with no delta.
        let collected: Vec<&str> = a
            .summary
            .tool_calls
            .iter()
            .map(|c| c.arguments.as_str())
            .collect();
        let same = back.arguments.len() == collected.len()
            && back.arguments.iter().zip(&collected).all(|(got, sent)| {
                // Whitespace before the arguments goes while the relay
                // waits to tell `null` from an object; toward Anthropic,
                // whose input is an object, arguments that start as
                // anything else go out as none (the block's `{}` stands).
                got.trim_ascii() == sent.trim_ascii()
                    || (format == Output::Anthropic
                        && got.is_empty()
                        && !sent.trim_ascii_start().starts_with('{'))
                    || matches!(
                        (
                            serde_json::from_str::<serde_json::Value>(got),
                            serde_json::from_str::<serde_json::Value>(sent),
                        ),
                        (Ok(got), Ok(sent))
                            if got == sent || (sent.is_null() && got == serde_json::json!({}))
                    )
            });
        assert!(
            same,
            "the forwarded calls' arguments in {format:?}: {:?} for {collected:?}",
            back.arguments
        );
    }
});
