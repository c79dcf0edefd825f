//! The decoders' event reader against serde_json, on arbitrary bytes and on
//! the recorded events `seed.sh` writes as seeds, mutated: the reader
//! accepts exactly what serde_json accepts (but for numbers out of `f64`
//! range, which it never converts), and finds what serde_json finds at every
//! path a decoder reads (`argstream::upstream::probe::paths`): the last of
//! repeated keys, strings decoded, numbers, objects and arrays as the
//! payload's own text. See `tests/common/reader_reference.rs`.
//!
//! Input: the payload, one event's `data`. One reader serves every input,
//! as one serves every event of a stream.

#![no_main]

use std::cell::RefCell;

use argstream::upstream::probe::Probe;
use argstream_fuzz::reader::compare;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static PROBE: RefCell<Probe> = RefCell::new(Probe::new());
}

fuzz_target!(|payload: &[u8]| {
    PROBE.with_borrow_mut(|probe| {
        if let Err(disagreement) = compare(probe, payload) {
            panic!(
                "{disagreement}\npayload {:?}",
                String::from_utf8_lossy(payload)
            );
        }
    });
});
