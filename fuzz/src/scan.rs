//! Drives a [`KeyScanner`] over a document in pieces, checks every span it
//! hands out, and compares what it extracted with serde_json.

use argstream::{Error, Event, KeyScanner, ValueKind};

use crate::plan::pieces;

/// One event with the text between `ValueStart` and `ValueEnd` merged, so
/// that two runs cut at different places compare equal when they agree up
/// to span boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `Event::ValueStart`.
    Start {
        /// Which key.
        key: usize,
        /// Its occurrence count.
        occurrence: u32,
    },
    /// The decoded text of consecutive `Event::Text` spans.
    Text(String),
    /// `Event::ValueEnd`.
    End {
        /// Which key.
        key: usize,
    },
    /// `Event::NonString`.
    NonString {
        /// Which key.
        key: usize,
        /// Its occurrence count.
        occurrence: u32,
        /// What the value is.
        kind: ValueKind,
    },
    /// `Event::Complete`.
    Complete,
}

/// What scanning one document in pieces gave.
#[derive(Debug)]
pub struct Scan {
    /// `Ok` when every piece was read and `finish` accepted the document.
    pub result: Result<(), Error>,
    /// The events, text merged. Meaningful in full only when `result` is `Ok`:
    /// how much text comes out before an error depends on the cuts.
    pub steps: Vec<Step>,
    /// Per key: the decoded text after its last `ValueStart`, `None` if it
    /// never had one or a `NonString` came after it.
    pub texts: Vec<Option<String>>,
}

/// What the driver remembers between events to check spans.
struct Checker {
    /// Where the last span ended; spans never go backwards.
    last_end: usize,
    /// Inside a target value: where its last span ended, if it had one.
    open_value_end: Option<Option<usize>>,
}

/// Feeds `doc` to a scanner for `keys` in the pieces `plan` gives, pulling
/// events after each piece until `Ok(None)`, then calls `finish`.
///
/// # Panics
/// When a span breaks a guarantee: empty, out of order, beyond the buffer,
/// not contiguous with the previous span of its value, not decodable on its
/// own, unescaped but not borrowable, or escaped without a backslash; or when
/// events come in an impossible order.
pub fn scan(doc: &[u8], keys: &[&str], plan: &[u8]) -> Scan {
    let mut scanner = KeyScanner::new(keys);
    let mut buf = Vec::with_capacity(doc.len());
    let mut steps = Vec::new();
    let mut texts: Vec<Option<String>> = vec![None; keys.len()];
    let mut current: Option<usize> = None;
    let mut checker = Checker {
        last_end: 0,
        open_value_end: None,
    };
    let mut completes = 0;
    let mut result = Ok(());
    'feed: for piece in pieces(doc.len(), plan) {
        buf.extend_from_slice(&doc[piece]);
        loop {
            match scanner.next_event(&buf) {
                Ok(Some(event)) => {
                    if event == Event::Complete {
                        completes += 1;
                        assert_eq!(completes, 1, "a second Complete");
                    }
                    record(
                        event,
                        &buf,
                        &mut checker,
                        &mut steps,
                        &mut texts,
                        &mut current,
                    );
                }
                Ok(None) => break,
                Err(error) => {
                    result = Err(error);
                    break 'feed;
                }
            }
        }
    }
    if result.is_ok() {
        result = scanner.finish();
    }
    if result.is_ok() {
        assert!(checker.open_value_end.is_none(), "accepted inside a value");
        assert!(scanner.is_complete(), "accepted but not complete");
    }
    // A failed scanner stays failed with the same error.
    if let Err(error) = result {
        assert_eq!(scanner.next_event(&buf), Err(error), "the error is sticky");
        assert_eq!(scanner.finish(), Err(error), "finish repeats the error");
    }
    Scan {
        result,
        steps,
        texts,
    }
}

/// [`scan`] through [`KeyScanner::push_text`], which appends text instead
/// of handing out spans: the same result, and when it is `Ok`, the same steps
/// and texts.
pub fn scan_pushed(doc: &[u8], keys: &[&str], plan: &[u8]) -> Scan {
    let mut scanner = KeyScanner::new(keys);
    let mut buf = Vec::with_capacity(doc.len());
    let mut steps = Vec::new();
    let mut texts: Vec<Option<String>> = vec![None; keys.len()];
    let mut current: Option<usize> = None;
    let mut text = String::new();
    // The text appended since the last event becomes one merged step.
    let flush = |text: &mut String,
                 steps: &mut Vec<Step>,
                 texts: &mut [Option<String>],
                 current: Option<usize>| {
        if text.is_empty() {
            return;
        }
        let key = current.expect("text inside a value");
        texts[key]
            .as_mut()
            .expect("text after ValueStart")
            .push_str(text);
        // Merged with text appended before the end of the last piece, as
        // `scan` merges consecutive spans.
        match steps.last_mut() {
            Some(Step::Text(merged)) => merged.push_str(&std::mem::take(text)),
            _ => steps.push(Step::Text(std::mem::take(text))),
        }
    };
    let mut result = Ok(());
    'feed: for piece in pieces(doc.len(), plan) {
        buf.extend_from_slice(&doc[piece]);
        loop {
            match scanner.push_text(&buf, &mut text) {
                Ok(Some(event)) => {
                    flush(&mut text, &mut steps, &mut texts, current);
                    match event {
                        Event::ValueStart { key, occurrence } => {
                            current = Some(key);
                            texts[key] = Some(String::new());
                            steps.push(Step::Start { key, occurrence });
                        }
                        Event::ValueEnd { key } => steps.push(Step::End { key }),
                        Event::NonString {
                            key,
                            occurrence,
                            kind,
                        } => {
                            texts[key] = None;
                            steps.push(Step::NonString {
                                key,
                                occurrence,
                                kind,
                            });
                        }
                        Event::Complete => steps.push(Step::Complete),
                        Event::Text(span) => panic!("push_text handed out a span: {span:?}"),
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    result = Err(error);
                    break 'feed;
                }
            }
        }
        flush(&mut text, &mut steps, &mut texts, current);
    }
    if result.is_ok() {
        result = scanner.finish();
    }
    Scan {
        result,
        steps,
        texts,
    }
}

fn record(
    event: Event,
    buf: &[u8],
    checker: &mut Checker,
    steps: &mut Vec<Step>,
    texts: &mut [Option<String>],
    current: &mut Option<usize>,
) {
    match event {
        Event::ValueStart { key, occurrence } => {
            assert!(
                checker.open_value_end.is_none(),
                "ValueStart inside a value"
            );
            checker.open_value_end = Some(None);
            *current = Some(key);
            texts[key] = Some(String::new());
            steps.push(Step::Start { key, occurrence });
        }
        Event::Text(span) => {
            let Some(previous) = checker.open_value_end else {
                panic!("Text outside a value: {span:?}");
            };
            assert!(!span.is_empty(), "empty span {span:?}");
            assert!(span.end() <= buf.len(), "span {span:?} beyond the buffer");
            assert!(span.start() >= checker.last_end, "span {span:?} goes back");
            if let Some(end) = previous {
                assert_eq!(span.start(), end, "span {span:?} leaves a gap in its value");
            }
            checker.last_end = span.end();
            checker.open_value_end = Some(Some(span.end()));

            let raw = span.raw(buf);
            assert_eq!(raw, &buf[span.range()], "raw is the span's bytes");
            let mut decoded = String::new();
            span.decode_into(buf, &mut decoded)
                .unwrap_or_else(|e| panic!("span {span:?} does not decode alone: {e}"));
            let mut scratch = String::new();
            let via_decode = span
                .decode(buf, &mut scratch)
                .expect("decode agrees with decode_into");
            assert_eq!(via_decode, decoded, "decode and decode_into agree");
            if span.is_escaped() {
                assert!(
                    raw.contains(&b'\\'),
                    "escaped span {span:?} has no backslash"
                );
            } else {
                assert!(
                    !raw.contains(&b'\\'),
                    "unescaped span {span:?} has a backslash"
                );
                let borrowed = span.as_str(buf);
                assert_eq!(borrowed, Some(&decoded[..]), "unescaped span borrows");
            }

            let key = current.expect("a value is open");
            texts[key]
                .as_mut()
                .expect("text after ValueStart")
                .push_str(&decoded);
            match steps.last_mut() {
                Some(Step::Text(text)) => text.push_str(&decoded),
                _ => steps.push(Step::Text(decoded)),
            }
        }
        Event::ValueEnd { key } => {
            let Some(last) = checker.open_value_end.take() else {
                panic!("ValueEnd outside a value");
            };
            assert_eq!(Some(key), *current, "ValueEnd for another key");
            if let Some(end) = last {
                assert_eq!(buf.get(end), Some(&b'"'), "the last span ends at the quote");
            }
            steps.push(Step::End { key });
        }
        Event::NonString {
            key,
            occurrence,
            kind,
        } => {
            assert!(checker.open_value_end.is_none(), "NonString inside a value");
            texts[key] = None;
            steps.push(Step::NonString {
                key,
                occurrence,
                kind,
            });
        }
        Event::Complete => {
            assert!(checker.open_value_end.is_none(), "Complete inside a value");
            steps.push(Step::Complete);
        }
    }
}

/// What serde_json makes of `doc`: per key, the string value at the top
/// level of a root object; or serde_json's message when it refuses.
pub fn reference(doc: &[u8], keys: &[&str]) -> Result<Vec<Option<String>>, String> {
    let value: serde_json::Value = serde_json::from_slice(doc).map_err(|e| e.to_string())?;
    Ok(keys
        .iter()
        .map(|key| {
            value
                .as_object()
                .and_then(|object| object.get(*key))
                .and_then(|value| value.as_str())
                .map(str::to_owned)
        })
        .collect())
}

/// Whether serde_json refused only because a number is out of `f64` range:
/// the one refusal the scanner deliberately does not copy (it checks numbers
/// against the grammar and never converts them).
pub fn is_range_refusal(message: &str) -> bool {
    message.starts_with("number out of range")
}

/// The main property: the scanner accepts exactly what serde_json accepts
/// (but for out-of-range numbers), and extracts the value serde_json keeps.
///
/// # Panics
/// When they disagree.
pub fn assert_agrees_with_serde(doc: &[u8], keys: &[&str], scan: &Scan) {
    match reference(doc, keys) {
        Ok(expected) => {
            assert!(
                scan.result.is_ok(),
                "serde_json accepts {:?}, the scanner refuses: {:?}",
                String::from_utf8_lossy(doc),
                scan.result
            );
            assert_eq!(
                scan.texts,
                expected,
                "extracted text differs for {:?}",
                String::from_utf8_lossy(doc)
            );
        }
        Err(message) if is_range_refusal(&message) => {}
        Err(message) => assert!(
            scan.result.is_err(),
            "serde_json refuses {:?} ({message}), the scanner accepts",
            String::from_utf8_lossy(doc)
        ),
    }
}
