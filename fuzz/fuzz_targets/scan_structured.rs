//! Generated documents aimed at the hard cases (see `argstream_fuzz::json`),
//! each scanned under two fragmentation plans: both agree with serde_json,
//! fail with the same error at the same offset, and, when the document is
//! accepted, give the same events up to span boundaries. `push_text` under
//! the second plan gives the same result, and the same text and events.

#![no_main]

use arbitrary::Arbitrary;
use argstream_fuzz::json::{Document, KEYS};
use argstream_fuzz::scan::{assert_agrees_with_serde, scan, scan_pushed};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Case {
    plan_a: Vec<u8>,
    plan_b: Vec<u8>,
    document: Document,
}

fuzz_target!(|case: Case| {
    let doc = case.document.to_bytes();
    let a = scan(&doc, &KEYS, &case.plan_a);
    let b = scan(&doc, &KEYS, &case.plan_b);
    assert_agrees_with_serde(&doc, &KEYS, &a);
    assert_eq!(
        a.result,
        b.result,
        "the plans disagree on {:?}",
        String::from_utf8_lossy(&doc)
    );
    if a.result.is_ok() {
        assert_eq!(
            a.steps,
            b.steps,
            "the plans give different events for {:?}",
            String::from_utf8_lossy(&doc)
        );
    }
    let pushed = scan_pushed(&doc, &KEYS, &case.plan_b);
    assert_eq!(
        pushed.result,
        b.result,
        "push_text disagrees on {:?}",
        String::from_utf8_lossy(&doc)
    );
    if b.result.is_ok() {
        assert_eq!(
            (&pushed.steps, &pushed.texts),
            (&b.steps, &b.texts),
            "push_text gives other text or events for {:?}",
            String::from_utf8_lossy(&doc)
        );
    }
});
