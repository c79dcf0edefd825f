//! The decoders' event reader against serde_json (`common/reader_reference.rs`,
//! shared with the fuzz target `reader_vs_serde`): on every recorded event of
//! the corpora and a few variants of each, and on every JSONTestSuite file,
//! alone and as the value of a member read and of one skipped, the reader
//! accepts what serde_json accepts and finds what it finds at every path a
//! decoder reads.

use std::collections::HashSet;

use crate::common;

#[path = "../common/reader_reference.rs"]
mod reader_reference;

use argstream::SseDecoder;
use argstream::eventstream::FrameDecoder;
use argstream::upstream::probe::Probe;
use bytes::Bytes;
use reader_reference::{compare, variants};

/// The data of every event (or frame payload) of a recorded stream.
fn payloads(body: Bytes) -> Vec<Bytes> {
    let mut payloads = Vec::new();
    if body.first() == Some(&0) {
        let mut frames = FrameDecoder::new();
        frames.feed(body);
        while let Ok(Some(frame)) = frames.next_frame() {
            payloads.push(frame.payload().clone());
        }
    } else {
        let mut events = SseDecoder::new();
        events.feed(body);
        events.finish();
        while let Ok(Some(event)) = events.next_event() {
            payloads.push(event.data().clone());
        }
        payloads.extend(events.take_unterminated_event().map(|e| e.data().clone()));
    }
    payloads
}

/// Every failure, each with what it was read from, or the count checked.
fn check_all(probe: &mut Probe, cases: impl IntoIterator<Item = (String, Vec<u8>)>) -> usize {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, payload) in cases {
        checked += 1;
        if let Err(disagreement) = compare(probe, &payload) {
            failures.push(format!(
                "{name}: {disagreement}\n  payload {:?}",
                String::from_utf8_lossy(&payload)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} disagree:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    checked
}

/// How many of a stream's first and of its last distinct events have their
/// variants checked too: the middle ones are mostly alike.
const VARIED: usize = 3;

#[test]
fn agrees_with_serde_json_on_every_recorded_event_and_its_variants() {
    let mut probe = Probe::new();
    let mut seen = HashSet::new();
    let mut events: u64 = 0;
    for corpus in [
        "openai-compatible",
        "anthropic",
        "openai-responses",
        "gemini",
        "bedrock",
    ] {
        for path in common::testdata_files(&format!("streams/{corpus}")) {
            let body = Bytes::from(std::fs::read(&path).unwrap());
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let distinct: Vec<Bytes> = payloads(body)
                .into_iter()
                .filter(|payload| seen.insert(payload.clone()))
                .collect();
            let mut cases = Vec::new();
            for (n, payload) in distinct.iter().enumerate() {
                events += 1;
                if n < VARIED || n + VARIED >= distinct.len() {
                    for variant in variants(payload, events) {
                        cases.push((format!("{name} event {n}, a variant"), variant));
                    }
                }
                cases.push((format!("{name} event {n}"), payload.to_vec()));
            }
            check_all(&mut probe, cases);
        }
    }
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        let body = Bytes::from(std::fs::read(&path).unwrap());
        let cases = payloads(body)
            .into_iter()
            .map(|payload| (path.display().to_string(), payload.to_vec()));
        check_all(&mut probe, cases);
    }
    eprintln!("{events} distinct recorded events, and variants of some, agree");
}

#[test]
fn agrees_with_serde_json_on_json_test_suite_read_and_skipped() {
    let Some(dir) = common::testdata("JSONTestSuite/test_parsing") else {
        return;
    };
    let mut probe = Probe::new();
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let doc = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Alone, as a value a decoder reads (a string decoded, a container
        // handed out as text), and as the value of a member it skips.
        for (at, wrapped) in [
            ("alone", doc.clone()),
            (
                "read",
                [&br#"{"choices":[{"delta":{"content":"#[..], &doc, b"}}]}"].concat(),
            ),
            ("in usage", [&br#"{"usage":"#[..], &doc, b"}"].concat()),
            ("skipped", [&br#"{"skipped":"#[..], &doc, b"}"].concat()),
        ] {
            cases.push((format!("{name} {at}"), wrapped));
        }
    }
    assert!(check_all(&mut probe, cases) > 1200);
}
