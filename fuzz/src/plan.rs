//! Fragmentation plans: how a stream is cut into the pieces a reader sees.

use std::ops::Range;

/// The ranges of a `len`-byte stream cut into pieces whose sizes cycle
/// through `plan`, a 0 read as 1. An empty plan is one piece. An empty stream
/// is no piece at all.
pub fn pieces(len: usize, plan: &[u8]) -> Vec<Range<usize>> {
    if plan.is_empty() {
        return if len == 0 { Vec::new() } else { vec![0..len] };
    }
    let mut ranges = Vec::new();
    let mut sizes = plan.iter().cycle();
    let mut start = 0;
    while start < len {
        let size = usize::from(*sizes.next().expect("plan is not empty")).max(1);
        let end = (start + size).min(len);
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// Splits a raw fuzz input into a plan and the rest: the first byte, modulo
/// 16, is the plan's length, and that many bytes follow. Hand-written seeds
/// stay easy to write: `\x00` then the document is one piece.
pub fn take_plan(data: &[u8]) -> (&[u8], &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return (&[], &[]);
    };
    let len = usize::from(first % 16).min(rest.len());
    rest.split_at(len)
}
