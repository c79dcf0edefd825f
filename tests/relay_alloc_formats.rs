//! The Anthropic and Responses decoders stay on the relay's budget: once a
//! relay has relayed a stream, relaying another after `reset` allocates
//! nothing, read in small pieces. One test in this file, so that no other
//! test allocates while it counts.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use std::sync::atomic::Ordering;

use argstream::Relay;
use bytes::Bytes;
use counting_alloc::ALLOCATIONS;

const STEP: usize = 13;

#[test]
fn relaying_anthropic_and_responses_streams_allocates_nothing_after_reset() {
    counting_alloc::watch_this_thread();
    for file in ["voice_agent_anthropic.sse", "voice_agent_responses.sse"] {
        let path = format!("{}/examples/data/{file}", env!("CARGO_MANIFEST_DIR"));
        let body = Bytes::from(std::fs::read(path).unwrap());
        let reads: Vec<Bytes> = (0..body.len())
            .step_by(STEP)
            .map(|start| body.slice(start..(start + STEP).min(body.len())))
            .collect();
        let mut relay = Relay::new(&["pre_exec_msg"]);
        let mut first = Vec::new();
        for read in &reads {
            relay.feed(read.clone()).unwrap();
            first.extend_from_slice(&relay.output());
        }
        relay.finish().unwrap();
        first.extend_from_slice(&relay.output());
        relay.reset();
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let mut bytes = 0;
        for read in &reads {
            relay.feed(read.clone()).unwrap();
            bytes += relay.output().len();
        }
        relay.finish().unwrap();
        bytes += relay.output().len();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        println!("{file}: {allocations} allocations relaying it again after reset");
        assert_eq!(allocations, 0, "{file}");
        assert_eq!(bytes, first.len(), "{file}");
    }
}
