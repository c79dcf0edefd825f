//! A window on the event reader for the differential tests: the fuzz target
//! `reader_vs_serde` and `tests/scan/reader_vs_serde.rs` read a payload here and
//! compare what the reader found with what serde_json finds at the same
//! paths. Not part of the API: hidden from the docs, with no promise from
//! one version to the next.
//!
//! [`Probe::read`] reads a payload as the decoders do (one reader, reused,
//! with their table of member names, so that every other member is skipped
//! unlaid) and looks up every path some decoder reads, with the decoders'
//! own lookups: the last of repeated keys, `null` told apart from absent.

use std::collections::BTreeMap;

use super::READ_BY_A_DECODER;
use super::reader::{At, Doc, EventReader, Scalar};
use crate::Error;

/// The paths the decoders read, each decoder's in its order of reading
/// (from the table of formats), after those read before the format is
/// known: member names after `.`, and `[*]` for every element of an array.
/// Each path's prefixes are read too. `$` is the root.
pub fn paths() -> impl Iterator<Item = &'static str> {
    super::formats::COMMON_PATHS
        .iter()
        .chain(super::formats::FORMATS.iter().flat_map(|row| row.paths))
        .copied()
}

/// One step of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'p> {
    /// The member of this name (the last of repeated ones).
    Member(&'p str),
    /// Every element of the array.
    Each,
}

/// The steps of `path` after its `$`: `.name` is a member, `[*]` every
/// element.
pub fn steps(path: &str) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    for part in path.strip_prefix('$').unwrap_or(path).split('.').skip(1) {
        let name = part.trim_end_matches("[*]");
        steps.push(Step::Member(name));
        for _ in 0..(part.len() - name.len()) / "[*]".len() {
            steps.push(Step::Each);
        }
    }
    steps
}

/// What the reader found at one concrete path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// The object has no member of that name.
    Absent,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number's text, as the payload writes it.
    Number(String),
    /// A string, decoded.
    String(String),
    /// An object's text, as the payload writes it.
    Object(String),
    /// An array's text, as the payload writes it.
    Array(String),
}

/// The decoders' reader, reused from payload to payload as a decoder reuses
/// it from event to event.
#[derive(Debug)]
pub struct Probe {
    reader: EventReader,
}

impl Default for Probe {
    fn default() -> Probe {
        Probe::new()
    }
}

impl Probe {
    /// A reader with the decoders' names and the default depth limit.
    pub fn new() -> Probe {
        Probe {
            reader: EventReader::new(&READ_BY_A_DECODER),
        }
    }

    /// Reads `payload` whole and, when it reads, what lies at every path of
    /// [`paths`] and their prefixes, keyed by concrete path
    /// (`$.choices[0].delta.content`). A step into a value of another type
    /// than it needs (a member of an array, an element of a string) finds
    /// nothing and is left out; a missing member is [`Found::Absent`].
    ///
    /// # Errors
    /// The reader's error, at the offset in `payload` of the bad byte.
    pub fn read(&mut self, payload: &[u8]) -> Result<BTreeMap<String, Found>, Error> {
        let doc = self.reader.read(payload)?;
        let mut found = BTreeMap::new();
        for path in paths() {
            // The root is the first value laid out (`Doc::root` for an
            // object); the steps never nest deeper than a path's length.
            walk(&doc, 0, "$".to_owned(), &steps(path), &mut found)?;
        }
        Ok(found)
    }
}

/// Records the value at `at` under `path`, then follows `steps` from it.
fn walk(
    doc: &Doc<'_>,
    at: At,
    path: String,
    steps: &[Step<'_>],
    found: &mut BTreeMap<String, Found>,
) -> Result<(), Error> {
    let value = found_at(doc, at)?;
    let Some((step, rest)) = steps.split_first() else {
        found.insert(path, value);
        return Ok(());
    };
    match (*step, &value) {
        (Step::Member(name), Found::Object(_)) => {
            let [member] = doc.pick_with_nulls(Some(at), [READ_BY_A_DECODER.key(name)])?;
            let inner = format!("{path}.{name}");
            match member {
                Some(member) => walk(doc, member, inner, rest, found)?,
                None => {
                    found.insert(inner, Found::Absent);
                }
            }
        }
        (Step::Each, Found::Array(_)) => {
            for (i, element) in doc.elements(Some(at))?.enumerate() {
                walk(doc, element, format!("{path}[{i}]"), rest, found)?;
            }
        }
        _ => {}
    }
    found.insert(path, value);
    Ok(())
}

/// The value at `at`, through the lookups the decoders use.
fn found_at(doc: &Doc<'_>, at: At) -> Result<Found, Error> {
    if doc.is_null(at) {
        return Ok(Found::Null);
    }
    if doc.is_string(at) {
        return Ok(Found::String(
            doc.string(Some(at))?.unwrap_or_default().to_owned(),
        ));
    }
    if let Ok(Some(value)) = doc.boolean(Some(at)) {
        return Ok(Found::Bool(value));
    }
    let raw = doc.raw(at).to_owned();
    if doc.object(Some(at)).is_ok() {
        return Ok(Found::Object(raw));
    }
    if doc.elements(Some(at)).is_ok() {
        return Ok(Found::Array(raw));
    }
    doc.raw_scalar(at, Scalar::Number)?;
    Ok(Found::Number(raw))
}

#[cfg(test)]
mod tests {
    use super::{Found, Probe, Step, paths, steps};

    #[test]
    fn steps_read_members_and_elements() {
        assert_eq!(steps("$"), []);
        assert_eq!(
            steps("$.choices[*].delta.tool_calls[*][*].id"),
            [
                Step::Member("choices"),
                Step::Each,
                Step::Member("delta"),
                Step::Member("tool_calls"),
                Step::Each,
                Step::Each,
                Step::Member("id"),
            ]
        );
    }

    #[test]
    fn reads_every_path_with_the_last_of_repeated_keys() {
        let payload = br#"{"choices":[{"delta":{"content":"a\u0062","content":"c"}},7],
            "usage":null,"skipped":{"x":[1]},"\u0069d":"escaped name","created":-1.5e3}"#;
        let found = Probe::new().read(payload).unwrap();
        let at = |path: &str| found.get(path).cloned();
        assert_eq!(
            at("$.choices[0].delta.content"),
            Some(Found::String("c".into()))
        );
        assert_eq!(
            at("$.choices[0].delta.role"),
            Some(Found::Absent),
            "a member missing from an object"
        );
        assert_eq!(at("$.choices[1]"), Some(Found::Number("7".into())));
        assert_eq!(at("$.choices[1].index"), None, "no member of a number");
        assert_eq!(at("$.usage"), Some(Found::Null));
        assert_eq!(at("$.usage.prompt_tokens"), None);
        assert_eq!(at("$.id"), Some(Found::String("escaped name".into())));
        assert_eq!(at("$.created"), Some(Found::Number("-1.5e3".into())));
        let Some(Found::Object(root)) = at("$") else {
            panic!("the root is an object");
        };
        assert!(root.contains(r#""skipped":{"x":[1]}"#));
        assert!(paths().all(|path| path.starts_with("$.")));
    }

    #[test]
    fn a_root_of_another_type_is_read_as_itself() {
        let found = Probe::new().read(b" [1, {\"id\":2}] ").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found["$"], Found::Array("[1, {\"id\":2}]".into()));
        assert!(Probe::new().read(b"{\"id\":}").is_err());
    }
}
