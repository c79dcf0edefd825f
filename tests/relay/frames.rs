//! `Relay::output_frames`: the same bytes as `output`, with every event the
//! relay forwards unchanged handed out by reference, a slice of the
//! upstream read that held it.

use crate::common;

use argstream::{OutputFormat, Relay};
use bytes::Bytes;

/// Relays `upstream` in reads of `piece` bytes through two relays made by
/// `make`, one taking `output` and one `output_frames`; checks that both
/// give the same bytes, and returns how many frames were slices of a read.
fn by_reference(make: impl Fn() -> Relay, upstream: &[u8], piece: usize) -> usize {
    let (mut copied, mut shared) = (make(), make());
    // Taking frames once, before any, holds events by reference from the
    // first read on.
    assert_eq!(shared.output_frames().count(), 0);
    let (mut joined, mut pieces) = (Vec::new(), Vec::new());
    let mut sliced = 0;
    for read in upstream.chunks(piece) {
        let read = Bytes::copy_from_slice(read);
        let inside = read.as_ptr_range();
        let (a, b) = (copied.feed(read.clone()), shared.feed(read.clone()));
        assert_eq!(a, b);
        joined.extend_from_slice(&copied.output());
        for frame in shared.output_frames() {
            sliced += usize::from(!frame.is_empty() && inside.contains(&frame.as_ptr()));
            pieces.extend_from_slice(&frame);
        }
    }
    assert_eq!(copied.finish(), shared.finish());
    joined.extend_from_slice(&copied.output());
    pieces.extend(shared.output_frames().flat_map(|frame| frame.to_vec()));
    assert_eq!(
        String::from_utf8_lossy(&pieces),
        String::from_utf8_lossy(&joined)
    );
    sliced
}

#[test]
fn unchanged_chat_chunks_go_out_as_slices_of_the_read() {
    let files = common::testdata_files("streams/openai-compatible");
    let mut sliced = 0;
    for path in &files {
        let upstream = std::fs::read(path).unwrap();
        for piece in [4096, 97] {
            sliced += by_reference(|| Relay::new(&["pre_exec_msg"]), &upstream, piece);
        }
    }
    assert!(
        files.is_empty() || sliced > 1000,
        "{sliced} chunks by reference"
    );
}

#[test]
fn unchanged_anthropic_deltas_go_out_as_slices_of_the_read() {
    let files = common::testdata_files("streams/anthropic");
    let mut sliced = 0;
    for path in &files {
        let upstream = std::fs::read(path).unwrap();
        let make = || Relay::new(&["pre_exec_msg"]).with_output(OutputFormat::Same);
        sliced += by_reference(make, &upstream, 4096);
    }
    assert!(
        files.is_empty() || sliced > 100,
        "{sliced} deltas by reference"
    );
}

#[test]
fn a_hand_written_chunk_is_the_very_bytes_of_the_read() {
    let chunk = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"#;
    let read = Bytes::from(format!("data: {chunk}\n\n"));
    let mut relay = Relay::new(&["k"]);
    assert_eq!(relay.output_frames().count(), 0);
    relay.feed(read.clone()).unwrap();
    let frames: Vec<Bytes> = relay.output_frames().collect();
    let at = read.as_ptr() as usize + "data: ".len();
    assert!(
        frames
            .iter()
            .any(|frame| frame.as_ptr() as usize == at && frame[..] == *chunk.as_bytes()),
        "{frames:?}"
    );
    let whole: Vec<u8> = frames.concat();
    assert_eq!(whole, format!("data: {chunk}\n\n").as_bytes());
    // Without frames taken, the chunk is copied into the one buffer.
    let mut relay = Relay::new(&["k"]);
    relay.feed(read.clone()).unwrap();
    let output = relay.output();
    assert_eq!(output, whole);
    assert!(!read.as_ptr_range().contains(&output.as_ptr()));
}
