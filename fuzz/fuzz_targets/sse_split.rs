//! Arbitrary bytes as an event-stream body, cut by two plans: each decodes
//! exactly as the WHATWG reference does (events with data, type, id, retry
//! and offset; the last event ID, reconnection time and partial flag at the
//! end). Under a small event size limit the two plans give the same events
//! and the same error, and a limit no event reaches changes nothing.
//!
//! Input: a limit byte, a byte `n` and `n % 16` bytes of plan A, a byte `m`
//! and `m % 16` bytes of plan B, then the stream.

#![no_main]

use argstream::SseDecoder;
use argstream_fuzz::plan::take_plan;
use argstream_fuzz::sse_reference::{decode, reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&limit, rest)) = data.split_first() else {
        return;
    };
    let (plan_a, rest) = take_plan(rest);
    let (plan_b, stream) = take_plan(rest);

    let expected = reference(stream);
    let a = decode(SseDecoder::new(), stream, plan_a);
    let b = decode(SseDecoder::new(), stream, plan_b);
    assert_eq!(a.outcome(), Ok(expected.clone()), "plan A {plan_a:?}");
    assert_eq!(b.outcome(), Ok(expected.clone()), "plan B {plan_b:?}");

    let limit = usize::from(limit);
    let small = |plan| decode(SseDecoder::new().with_max_event_size(limit), stream, plan);
    let (small_a, small_b) = (small(plan_a), small(plan_b));
    assert_eq!(
        small_a, small_b,
        "limit {limit}, plans {plan_a:?} and {plan_b:?}"
    );
    if limit >= stream.len() {
        assert_eq!(
            small_a.outcome(),
            Ok(expected),
            "limit {limit} is never reached"
        );
    }
});
