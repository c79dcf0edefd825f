//! argstream's event-stream frame decoder against the AWS SDK's own,
//! aws-smithy-eventstream: bytes (arbitrary, or frames written with both
//! CRCs and then damaged) fed under a fragmentation plan give the same
//! frames (the four headers the relay reads, the payload), and fail at the
//! same frame.
//!
//! The two differ by design in one place: argstream checks a prelude as soon
//! as its 12 bytes are in, so that a frame's length is known to be sane
//! before any more of it is held, while the AWS decoder waits for the whole
//! frame. A body that ends inside a frame whose prelude is bad is therefore
//! an error for argstream and incomplete for the AWS decoder; the target
//! checks that exactly then the prelude is bad.

#![no_main]

use arbitrary::Arbitrary;
use argstream::eventstream::{DEFAULT_MAX_FRAME_SIZE, FrameDecoder, encode_frame_with_headers};
use argstream_fuzz::plan::pieces;
use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

/// A frame to write: string headers and a payload.
type FrameParts = (Vec<(String, String)>, Vec<u8>);

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(Vec<u8>),
    /// Frames of string headers and payloads, then byte flips.
    Frames {
        frames: Vec<FrameParts>,
        flips: Vec<(u16, u8)>,
    },
}

#[derive(Arbitrary, Debug)]
struct Case {
    plan: Vec<u8>,
    body: Body,
}

/// One frame as both decoders describe it.
#[derive(Debug, PartialEq)]
struct Seen {
    headers: [Option<Vec<u8>>; 4],
    payload: Vec<u8>,
}

const NAMES: [&str; 4] = [
    ":event-type",
    ":message-type",
    ":exception-type",
    ":content-type",
];

/// The frames argstream reads, and the offset where it failed, if it did.
fn ours(body: &[u8], plan: &[u8]) -> (Vec<Seen>, Option<u64>) {
    let body = Bytes::copy_from_slice(body);
    let mut decoder = FrameDecoder::new();
    let mut seen = Vec::new();
    for piece in pieces(body.len(), plan) {
        decoder.feed(body.slice(piece));
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => seen.push(Seen {
                    headers: [
                        frame.event_type(),
                        frame.message_type(),
                        frame.exception_type(),
                        frame.content_type(),
                    ]
                    .map(|h| h.map(<[u8]>::to_vec)),
                    payload: frame.payload().to_vec(),
                }),
                Ok(None) => break,
                Err(error) => return (seen, Some(error.offset())),
            }
        }
    }
    (seen, None)
}

/// The frames the AWS decoder reads, where each began, and whether it
/// failed, or stopped with bytes of an incomplete frame left.
fn theirs(body: &[u8]) -> (Vec<Seen>, Vec<u64>, Result<bool, ()>) {
    let mut buffer = BytesMut::from(body);
    let mut decoder = MessageFrameDecoder::new();
    let (mut seen, mut starts) = (Vec::new(), Vec::new());
    let mut at = 0u64;
    loop {
        let before = buffer.len();
        match decoder.decode_frame(&mut buffer) {
            Ok(DecodedFrame::Complete(message)) => {
                starts.push(at);
                at += (before - buffer.len()) as u64;
                let header = |name: &str| {
                    message
                        .headers()
                        .iter()
                        .filter(|h| h.name().as_str() == name)
                        .filter_map(|h| h.value().as_string().ok())
                        .last()
                        .map(|v| v.as_str().as_bytes().to_vec())
                };
                seen.push(Seen {
                    headers: NAMES.map(header),
                    payload: message.payload().to_vec(),
                });
            }
            Ok(DecodedFrame::Incomplete) => {
                starts.push(at);
                return (seen, starts, Ok(before > 0));
            }
            Err(_) => {
                starts.push(at);
                return (seen, starts, Err(()));
            }
        }
    }
}

/// Whether the prelude at the start of `rest` is one argstream refuses.
fn bad_prelude(rest: &[u8]) -> bool {
    let Some(prelude) = rest.get(..12) else {
        return false;
    };
    let word = |at: usize| u32::from_be_bytes(prelude[at..at + 4].try_into().unwrap());
    let (total, headers) = (word(0) as usize, word(4) as usize);
    crc32fast::hash(&prelude[..8]) != word(8)
        || total < 16
        || headers > total - 16
        || total > DEFAULT_MAX_FRAME_SIZE
}

fuzz_target!(|case: Case| {
    let body = match case.body {
        Body::Raw(bytes) => bytes,
        Body::Frames { frames, flips } => {
            let mut body = Vec::new();
            for (headers, payload) in frames.iter().take(8) {
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .take(6)
                    .filter(|(n, v)| n.len() < 256 && v.len() < 1 << 15)
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                encode_frame_with_headers(&mut body, &headers, payload);
            }
            if !body.is_empty() {
                for (position, mask) in flips.into_iter().take(3) {
                    let at = usize::from(position) % body.len();
                    body[at] ^= mask;
                }
            }
            body
        }
    };
    let (our_frames, our_error) = ours(&body, &case.plan);
    let (their_frames, starts, their_end) = theirs(&body);
    assert_eq!(
        our_frames,
        their_frames[..our_frames.len().min(their_frames.len())]
    );
    let last = *starts.last().unwrap_or(&0);
    match (our_error, their_end) {
        (None, Ok(_)) | (Some(_), Err(())) => {
            assert_eq!(our_frames.len(), their_frames.len());
            if let Some(offset) = our_error {
                assert_eq!(offset, last, "both fail at the same frame");
            }
        }
        // Incomplete for the AWS decoder, refused by argstream's early
        // prelude check.
        (Some(offset), Ok(true)) => {
            assert_eq!((our_frames.len(), offset), (their_frames.len(), last));
            assert!(
                bad_prelude(&body[last as usize..]),
                "a sane prelude refused at {offset}"
            );
        }
        (Some(offset), Ok(false)) => panic!("argstream failed at {offset} where nothing was left"),
        (None, Err(())) => panic!(
            "the AWS decoder refused frame {} that argstream took",
            their_frames.len()
        ),
    }
});
