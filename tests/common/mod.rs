//! Shared by the test binaries (tests/scan, tests/sse, tests/relay): feeding
//! a document in pieces, the serde_json reference, a seeded generator, the
//! test data folder, and the relay's references and readers below.

#![allow(dead_code)]

pub mod client;
pub mod expected;
pub mod readback;
pub mod rules;
pub mod upstream;

use std::path::PathBuf;

use argstream::{Error, Event, KeyScanner};

/// What scanning one document gave: the decoded text of the key's last string
/// value (duplicate keys: serde_json keeps the last), or the error.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub result: Result<Option<String>, Error>,
    pub events: Vec<Event>,
}

/// Feeds `doc` to a scanner for `key` in pieces whose lengths cycle through
/// `plan` (a 0 in the plan is read as 1), pulling events after each piece.
pub fn scan(doc: &[u8], key: &str, plan: &[usize]) -> Outcome {
    let mut scanner = KeyScanner::new(&[key]);
    let mut buf = Vec::new();
    let mut events = Vec::new();
    let mut text: Option<String> = None;
    let mut sizes = plan.iter().cycle();
    let mut fed = 0;
    let result = loop {
        let size = (*sizes.next().unwrap()).max(1);
        let end = (fed + size).min(doc.len());
        buf.extend_from_slice(&doc[fed..end]);
        fed = end;
        let pulled = pull(&mut scanner, &buf, &mut events, &mut text);
        if let Err(error) = pulled {
            break Err(error);
        }
        if fed == doc.len() {
            break scanner.finish().map(|()| text.take());
        }
    };
    Outcome { result, events }
}

fn pull(
    scanner: &mut KeyScanner,
    buf: &[u8],
    events: &mut Vec<Event>,
    text: &mut Option<String>,
) -> Result<(), Error> {
    while let Some(event) = scanner.next_event(buf)? {
        match event {
            Event::ValueStart { .. } => *text = Some(String::new()),
            Event::Text(span) => {
                assert!(!span.is_empty(), "empty span");
                let out = text.as_mut().expect("text before ValueStart");
                span.decode_into(buf, out)
                    .expect("a span decodes on its own");
                if !span.is_escaped() {
                    assert!(span.as_str(buf).is_some(), "unescaped span borrows");
                }
            }
            Event::NonString { .. } => *text = None,
            Event::ValueEnd { .. } | Event::Complete => {}
        }
        events.push(event);
    }
    Ok(())
}

/// [`scan`] through [`KeyScanner::push_text`]: the same result, and the
/// events other than `Text` (which `push_text` never returns).
pub fn scan_pushed(doc: &[u8], key: &str, plan: &[usize]) -> Outcome {
    let mut scanner = KeyScanner::new(&[key]);
    let mut buf = Vec::new();
    let mut events = Vec::new();
    let mut text = String::new();
    let mut has_text = false;
    let mut sizes = plan.iter().cycle();
    let mut fed = 0;
    let result = loop {
        let size = (*sizes.next().unwrap()).max(1);
        let end = (fed + size).min(doc.len());
        buf.extend_from_slice(&doc[fed..end]);
        fed = end;
        let pulled = loop {
            match scanner.push_text(&buf, &mut text) {
                Ok(Some(event)) => {
                    assert!(
                        !matches!(event, Event::Text(_)),
                        "push_text returned a span"
                    );
                    match event {
                        Event::ValueStart { .. } => {
                            text.clear();
                            has_text = true;
                        }
                        Event::NonString { .. } => has_text = false,
                        _ => {}
                    }
                    events.push(event);
                }
                Ok(None) => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        if let Err(error) = pulled {
            break Err(error);
        }
        if fed == doc.len() {
            break scanner
                .finish()
                .map(|()| has_text.then(|| std::mem::take(&mut text)));
        }
    };
    Outcome { result, events }
}

/// What serde_json says: `Err(())` if it refuses the document, else the key's
/// string value at the top level of a root object.
pub fn reference(doc: &[u8], key: &str) -> Result<Option<String>, String> {
    let value: serde_json::Value = serde_json::from_slice(doc).map_err(|e| e.to_string())?;
    Ok(value
        .as_object()
        .and_then(|object| object.get(key))
        .and_then(|value| value.as_str())
        .map(str::to_owned))
}

/// Whether serde_json refused only because a number is out of `f64` range,
/// the one refusal the scanner deliberately does not copy.
pub fn is_range_refusal(message: &str) -> bool {
    message.starts_with("number out of range")
}

/// Checks the scanner against serde_json for one document and plan.
pub fn check(doc: &[u8], key: &str, plan: &[usize]) {
    let got = scan(doc, key, plan).result;
    match reference(doc, key) {
        Ok(expected) => assert_eq!(
            got.as_ref().ok(),
            Some(&expected),
            "doc {:?} plan {plan:?}: got {got:?}",
            String::from_utf8_lossy(doc)
        ),
        Err(message) if is_range_refusal(&message) => {}
        Err(message) => assert!(
            got.is_err(),
            "doc {:?} plan {plan:?}: serde_json refuses ({message}), scanner gave {got:?}",
            String::from_utf8_lossy(doc)
        ),
    }
}

/// The shared test data folder `sub`, under `ARGSTREAM_TESTDATA` (default
/// `../shared/data` beside the repository).
///
/// When it is absent, a test run in CI (the environment variable `CI` set
/// and not empty) fails here, naming the path: a green run that read no
/// corpus would prove nothing. Elsewhere the answer is `None`, and a note on
/// stderr says that the test skips.
pub fn testdata(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("ARGSTREAM_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")));
    let dir = root.join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    let hint = "set ARGSTREAM_TESTDATA to the shared data folder";
    if std::env::var_os("CI").is_some_and(|value| !value.is_empty()) {
        panic!(
            "test data {} not found, and CI is set ({hint})",
            dir.display()
        );
    }
    eprintln!("skipping: test data {} not found ({hint})", dir.display());
    None
}

/// The files of the test data folder `sub`, sorted; none when it is absent
/// outside CI (see [`testdata`]).
pub fn testdata_files(sub: &str) -> Vec<PathBuf> {
    let Some(dir) = testdata(sub) else {
        return Vec::new();
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

/// A small seeded generator (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// A fragmentation plan: piece sizes mostly 1 to 8 bytes, sometimes large.
    pub fn plan(&mut self) -> Vec<usize> {
        (0..1 + self.below(8))
            .map(|_| {
                if self.chance(10) {
                    1 + self.below(300)
                } else {
                    1 + self.below(8)
                }
            })
            .collect()
    }
}

/// Events of a format that names each one (Anthropic, Responses): an
/// `event:` line with its `type`, then its data.
pub fn named_events(events: &[serde_json::Value]) -> String {
    events
        .iter()
        .map(|value| {
            format!(
                "event: {}\ndata: {value}\n\n",
                value["type"].as_str().unwrap()
            )
        })
        .collect()
}
