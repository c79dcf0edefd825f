//! Upstream bodies, arbitrary bytes or generated streams of the five
//! formats (see `argstream_fuzz::chat`; Bedrock's binary frames among them),
//! with some bytes flipped (a frame's CRC, a length, a payload byte),
//! relayed under two fragmentation plans (frames cut anywhere): the
//! downstream bytes are identical, and so are the summary, the event count
//! and the error; the output stays linear in the input.

#![no_main]

use arbitrary::Arbitrary;
use argstream::chat::Relay;
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
    summary: argstream::chat::Summary,
    events: u64,
    result: Result<(), argstream::Error>,
}

fn relay(body: &[u8], plan: &[u8]) -> Relayed {
    let body = Bytes::copy_from_slice(body);
    let mut relay = Relay::new(&KEYS);
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
    Relayed {
        output,
        summary: relay.summary().clone(),
        events: relay.events(),
        result,
    }
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
    let a = relay(&body, &case.plan_a);
    let b = relay(&body, &case.plan_b);
    assert_eq!(
        a,
        b,
        "plans {:?} and {:?} differ on {:?}",
        case.plan_a,
        case.plan_b,
        String::from_utf8_lossy(&body)
    );
    assert!(
        a.output.len() <= FACTOR * body.len() + PER_EVENT * a.events as usize + SLACK,
        "{} bytes out for {} in: {:?}",
        a.output.len(),
        body.len(),
        String::from_utf8_lossy(&body)
    );
});
