//! `Relay::output_frames` keeps the relay's allocation budget: relaying a
//! chat stream to a chat client (whose chunks go out by reference) and an
//! Anthropic stream to an Anthropic client again after `reset`, in 4096-byte
//! reads with the frames dropped once written, allocates no more than
//! `output` does.

use crate::counting_alloc;
use argstream::{OutputFormat, Relay};
use bytes::Bytes;

const READ: usize = 4096;

/// Relays `reads` once, taking frames (or `output`), and returns the bytes
/// and the frames that were slices of a read.
fn relay(relay: &mut Relay, reads: &[Bytes], frames: bool) -> (usize, usize) {
    let (mut bytes, mut sliced) = (0, 0);
    let mut take = |relay: &mut Relay, inside: Option<std::ops::Range<*const u8>>| {
        if frames {
            for frame in relay.output_frames() {
                bytes += frame.len();
                sliced += usize::from(inside.as_ref().is_some_and(|r| r.contains(&frame.as_ptr())));
            }
        } else {
            bytes += relay.output().len();
        }
    };
    for read in reads {
        relay.feed(read.clone()).unwrap();
        take(relay, Some(read.as_ptr_range()));
    }
    relay.finish().unwrap();
    take(relay, None);
    (bytes, sliced)
}

#[test]
fn frames_by_reference_allocate_no_more_than_output() {
    counting_alloc::watch_this_thread();
    for (name, output) in [
        ("voice_agent.sse", OutputFormat::OpenAiChat),
        ("voice_agent_anthropic.sse", OutputFormat::Anthropic),
    ] {
        let path = format!("{}/examples/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let body = Bytes::from(std::fs::read(path).unwrap());
        let reads: Vec<Bytes> = (0..body.len())
            .step_by(READ)
            .map(|start| body.slice(start..(start + READ).min(body.len())))
            .collect();
        let mut counts = Vec::new();
        for frames in [false, true] {
            let mut relay_ = Relay::new(&["pre_exec_msg"]).with_output(output);
            if frames {
                // Frames from the first read on.
                assert_eq!(relay_.output_frames().count(), 0);
            }
            let (first, _) = relay(&mut relay_, &reads, frames);
            relay_.reset();
            let before = counting_alloc::this_thread();
            let (again, sliced) = relay(&mut relay_, &reads, frames);
            counts.push(counting_alloc::this_thread() - before);
            assert_eq!(first, again, "{name}");
            assert!(!frames || sliced > 0, "{name}: nothing by reference");
        }
        println!("{name}: {counts:?} allocations after reset, output and frames");
        assert!(counts[1] <= counts[0], "{name}: {counts:?}");
    }
}
