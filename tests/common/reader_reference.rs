//! The event reader against serde_json: what the decoders' reader finds at
//! every path a decoder reads (through `argstream::upstream::probe`) against
//! what serde_json finds at the same path, and whether each accepts the
//! payload. Shared by `tests/scan/reader_vs_serde.rs` and the fuzz crate's
//! `reader_vs_serde` target (each includes this file with `#[path]`). Not
//! every includer uses every item.
//!
//! serde_json keeps the last of repeated keys, as the reader must. Numbers
//! are compared as text: the reader hands out a number's text as the
//! payload writes it, which must read back, alone, as the number serde_json
//! found there; objects and arrays likewise, skipped members and all. The
//! one refusal that is serde_json's alone is a number out of `f64` range,
//! which the reader never converts: such a payload is not compared.

#![allow(dead_code)]

use std::collections::BTreeMap;

use argstream::upstream::probe::{Found, Probe, Step, paths, steps};
use serde_json::Value;

/// Reads `payload` with `probe` and with serde_json; `Err` says where they
/// disagree.
pub fn compare(probe: &mut Probe, payload: &[u8]) -> Result<(), String> {
    let ours = probe.read(payload);
    let theirs = serde_json::from_slice::<Value>(payload);
    let (found, value) = match (ours, theirs) {
        (_, Err(error)) if error.to_string().starts_with("number out of range") => return Ok(()),
        (Err(_), Err(_)) => return Ok(()),
        (Ok(_), Err(error)) => {
            return Err(format!("serde_json refuses ({error}), the reader accepts"));
        }
        (Err(error), Ok(_)) => {
            return Err(format!("the reader refuses ({error}), serde_json accepts"));
        }
        (Ok(found), Ok(value)) => (found, value),
    };
    let expected = expected(&value);
    let paths: std::collections::BTreeSet<&String> = found.keys().chain(expected.keys()).collect();
    for path in paths {
        match (found.get(path), expected.get(path)) {
            (Some(ours), Some(&theirs)) if agrees(ours, theirs) => {}
            (ours, theirs) => {
                return Err(format!(
                    "at {path} the reader finds {ours:?}, serde_json {theirs:?} (None: the path is not reached; Some(None): the object has no such member)"
                ));
            }
        }
    }
    Ok(())
}

/// What serde_json finds at every path of [`paths`] and their prefixes,
/// `None` for a member the object does not have: the probe's walk, over
/// serde_json's value.
pub fn expected(root: &Value) -> BTreeMap<String, Option<&Value>> {
    let mut found = BTreeMap::new();
    for path in paths() {
        let mut at: Vec<(String, &Value)> = vec![("$".to_owned(), root)];
        for step in steps(path) {
            let mut next = Vec::new();
            for (path, value) in at {
                match (step, value) {
                    (Step::Member(name), Value::Object(members)) => {
                        let inner = format!("{path}.{name}");
                        match members.get(name) {
                            Some(member) => next.push((inner, member)),
                            None => {
                                found.insert(inner, None);
                            }
                        }
                    }
                    (Step::Each, Value::Array(elements)) => {
                        for (i, element) in elements.iter().enumerate() {
                            next.push((format!("{path}[{i}]"), element));
                        }
                    }
                    _ => {}
                }
                found.insert(path, Some(value));
            }
            at = next;
        }
        for (path, value) in at {
            found.insert(path, Some(value));
        }
    }
    found
}

/// Whether the reader's find is serde_json's value.
fn agrees(found: &Found, value: Option<&Value>) -> bool {
    let reads_as = |raw: &str| serde_json::from_str::<Value>(raw).ok();
    match (found, value) {
        (Found::Absent, None) => true,
        (Found::Null, Some(Value::Null)) => true,
        (Found::Bool(ours), Some(Value::Bool(theirs))) => ours == theirs,
        (Found::String(ours), Some(Value::String(theirs))) => ours == theirs,
        (Found::Number(raw), Some(theirs @ Value::Number(_)))
        | (Found::Object(raw), Some(theirs @ Value::Object(_)))
        | (Found::Array(raw), Some(theirs @ Value::Array(_))) => {
            reads_as(raw).as_ref() == Some(theirs)
        }
        _ => false,
    }
}

/// A few payloads made from `payload`, each a hard case for the reader:
/// cut short, members repeated before and after (the last one counts), a
/// read member's value replaced, and bytes changed where `seed` says.
pub fn variants(payload: &[u8], seed: u64) -> Vec<Vec<u8>> {
    let mut variants = Vec::new();
    for cut in [
        payload.len() / 3,
        payload.len() / 2,
        payload.len().saturating_sub(1),
    ] {
        variants.push(payload[..cut].to_vec());
    }
    if let Some(inner) = payload.strip_prefix(b"{") {
        // Every name a path starts with, repeated before the event's own.
        let mut repeated = b"{".to_vec();
        for (i, path) in paths().enumerate() {
            if let Some(Step::Member(name)) = steps(path).first() {
                let value: &[u8] = [&b"null"[..], b"[]", b"{}", b"\"x\"", b"1"][i % 5];
                repeated.extend_from_slice(format!("\"{name}\":").as_bytes());
                repeated.extend_from_slice(value);
                repeated.push(b',');
            }
        }
        repeated.extend_from_slice(inner);
        variants.push(repeated);
    }
    if let Some(head) = payload.trim_ascii_end().strip_suffix(b"}") {
        // The same names after the event's own: these count.
        let mut after = head.to_vec();
        for (name, value) in [
            ("choices", r#"[{"delta":{"content":"\u00e9\ud83d\ude00"}}]"#),
            ("delta", r#"{"text":"late","type":"text_delta"}"#),
            ("usage", r#"{"input_tokens":1,"output_tokens":2e3}"#),
            ("type", r#""ping""#),
        ] {
            after.extend_from_slice(format!(",\"{name}\":{value}").as_bytes());
        }
        after.push(b'}');
        variants.push(after);
    }
    let mut state = seed | 1;
    let mut next = move || {
        // xorshift64: the same variants every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    if !payload.is_empty() {
        for _ in 0..3 {
            let mut changed = payload.to_vec();
            let at = (next() % payload.len() as u64) as usize;
            const BYTES: &[u8] = b"\"\\{}[],:0-.e u\x00\x7f\xc3\xff";
            changed[at] = BYTES[(next() % BYTES.len() as u64) as usize];
            variants.push(changed);
        }
    }
    variants
}
