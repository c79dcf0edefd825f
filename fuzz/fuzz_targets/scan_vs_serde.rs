//! Arbitrary bytes, cut by an arbitrary plan: the scanner accepts exactly
//! what serde_json accepts (but for numbers out of `f64` range), extracts the
//! top-level string serde_json keeps, and every span it hands out keeps the
//! span guarantees (checked in `argstream_fuzz::scan::scan`).
//!
//! Input: a byte `n`, `n % 16` plan bytes, then the document.

#![no_main]

use argstream_fuzz::plan::take_plan;
use argstream_fuzz::scan::{assert_agrees_with_serde, scan};
use libfuzzer_sys::fuzz_target;

/// Short keys, so that arbitrary bytes find them.
const KEYS: [&str; 2] = ["k", "msg"];

fuzz_target!(|data: &[u8]| {
    let (plan, doc) = take_plan(data);
    let scanned = scan(doc, &KEYS, plan);
    assert_agrees_with_serde(doc, &KEYS, &scanned);
});
