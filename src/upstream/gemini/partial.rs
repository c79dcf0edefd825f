//! Vertex's streamed call arguments (`partialArgs`) assembled into JSON
//! text as they arrive, appending only.
//!
//! Each piece puts one scalar at a JSON path: `{"jsonPath":"$.location",
//! "stringValue":"Bos","willContinue":true}`. A string whose piece says
//! `willContinue` goes on in the next piece at the same path. The assembler
//! keeps a stack of the containers it has opened; a piece closes them down
//! to the prefix its path shares with the stack, opens the rest, and writes
//! its key and value:
//!
//! ```text
//! $.location  "Bos" (more)  ->  {"location":"Bos
//! $.location  "ton"         ->  ton"
//! $.count     3             ->  ,"count":3
//! $.recipe.ingredients[0].amount  2  ->  ,"recipe":{"ingredients":[{"amount":2
//! (the call ends)           ->  }]}}
//! ```
//!
//! JSON only grows at its end, so a path that goes back into a container
//! already closed (a key its object already has, an array index other than
//! the next) cannot be written: it fails the call, which then takes no more
//! pieces. So do a path that is not `$` followed by `.key`, `['key']`,
//! `["key"]` or `[index]` segments, a key that would need escaping, and a
//! path deeper than the key scanner's depth limit.
//!
//! Memory: the open containers, and the keys of the call's objects (to tell
//! a key seen before), at most [`MAX_KEY_BYTES`] of them, in buffers that
//! the next call reuses: after the first, a call allocates nothing.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

/// The most key bytes one call's objects may hold; past it the call fails.
pub(super) const MAX_KEY_BYTES: usize = 16 << 20;

/// The deepest path accepted: the key scanner's default depth limit.
const MAX_DEPTH: usize = crate::scan::DEFAULT_MAX_DEPTH;

/// The value of one piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Piece<'a> {
    /// A string's text, raw JSON string text without its quotes; `more`
    /// when the next piece at the same path goes on with it.
    String { text: &'a str, more: bool },
    /// A number, `true`, `false` or `null`, as JSON text.
    Raw(&'a str),
    /// No value: at the path of an open string, its end.
    None,
}

/// Why a piece could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Unwritable;

/// One path segment, borrowed from the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment<'a> {
    Key(&'a str),
    Index(u64),
}

/// How an open container was entered from its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entered {
    Root,
    /// By a key, kept in the [`KeySet`].
    Key(Key),
    Index(u64),
}

impl Entered {
    fn is(self, segment: Segment<'_>, keys: &KeySet) -> bool {
        match (self, segment) {
            (Entered::Key(key), Segment::Key(other)) => keys.text(key) == other,
            (Entered::Index(index), Segment::Index(other)) => index == other,
            _ => false,
        }
    }
}

/// A key's place in [`KeySet::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    start: u32,
    end: u32,
}

/// One key of one container.
#[derive(Clone, Copy, Debug)]
struct KeyEntry {
    serial: u32,
    key: Key,
    /// The entry before it with the same hash.
    next: Option<usize>,
}

/// The keys written so far, each with the serial of its container: their
/// text in one buffer, found by hash, so that clearing keeps every
/// allocation.
#[derive(Debug, Default)]
struct KeySet {
    text: String,
    entries: Vec<KeyEntry>,
    /// The last entry of each hash.
    heads: HashMap<u64, usize>,
    hasher: RandomState,
}

impl KeySet {
    fn clear(&mut self) {
        self.text.clear();
        self.entries.clear();
        self.heads.clear();
    }

    fn text(&self, key: Key) -> &str {
        &self.text[key.start as usize..key.end as usize]
    }

    /// Adds `key` of the container `serial`, or `None` when that container
    /// has it already.
    fn insert(&mut self, serial: u32, key: &str) -> Option<Key> {
        let hash = self.hasher.hash_one((serial, key));
        let mut at = self.heads.get(&hash).copied();
        while let Some(entry) = at.map(|at| self.entries[at]) {
            if entry.serial == serial && self.text(entry.key) == key {
                return None;
            }
            at = entry.next;
        }
        // The keys' bytes are bounded by MAX_KEY_BYTES, far below 4 GiB.
        let start = u32::try_from(self.text.len()).ok()?;
        self.text.push_str(key);
        let end = u32::try_from(self.text.len()).ok()?;
        let key = Key { start, end };
        let next = self.heads.insert(hash, self.entries.len());
        self.entries.push(KeyEntry { serial, key, next });
        Some(key)
    }
}

#[derive(Debug)]
struct Open {
    array: bool,
    /// Tells this container's keys apart from those of others.
    serial: u32,
    /// Members or elements begun.
    count: u64,
    entered: Entered,
}

/// The arguments of one streamed call, as far as they have come.
#[derive(Debug, Default)]
pub(super) struct Assembler {
    stack: Vec<Open>,
    /// Every member written, with its container.
    keys: KeySet,
    key_bytes: usize,
    serials: u32,
    /// Whether a piece that said `willContinue` left a string open, and its
    /// path.
    string_open: bool,
    open_path: String,
    /// Bytes of JSON text written for the call.
    written: u64,
    failed: bool,
}

impl Assembler {
    /// Starts a new call, keeping the allocations.
    pub(super) fn start(&mut self) {
        self.stack.clear();
        self.keys.clear();
        self.key_bytes = 0;
        self.serials = 0;
        self.string_open = false;
        self.open_path.clear();
        self.written = 0;
        self.failed = false;
    }

    /// How many bytes of the call's arguments have been written.
    pub(super) fn written(&self) -> u64 {
        self.written
    }

    /// Whether a piece failed the call.
    pub(super) fn failed(&self) -> bool {
        self.failed
    }

    /// Appends to `out` the JSON text that puts `value` at `path`.
    ///
    /// # Errors
    /// [`Unwritable`], see the module docs; the call then takes no more
    /// pieces, and nothing was appended.
    pub(super) fn piece(
        &mut self,
        path: &str,
        value: Piece<'_>,
        out: &mut String,
    ) -> Result<(), Unwritable> {
        if self.failed {
            return Err(Unwritable);
        }
        let mark = out.len();
        let written = self.write(path, value, out);
        match written {
            Ok(()) => self.written += (out.len() - mark) as u64,
            Err(_) => {
                out.truncate(mark);
                self.failed = true;
            }
        }
        written
    }

    fn write(&mut self, path: &str, value: Piece<'_>, out: &mut String) -> Result<(), Unwritable> {
        if self.string_open {
            if self.open_path == path {
                match value {
                    Piece::String { text, more } => {
                        out.push_str(text);
                        if !more {
                            out.push('"');
                            self.string_open = false;
                        }
                        return Ok(());
                    }
                    Piece::None => {
                        out.push('"');
                        self.string_open = false;
                        return Ok(());
                    }
                    // Another value at the string's own path: its key is
                    // taken, and the write below says so.
                    Piece::Raw(_) => {}
                }
            }
            out.push('"');
            self.string_open = false;
        }
        if value == Piece::None {
            return Ok(());
        }
        let mut segments = Segments::new(path)?;
        if self.stack.is_empty() {
            out.push('{');
            self.push(false, Entered::Root);
        }
        // The first segment not on the stack: containers past it close.
        let mut depth = 0;
        let mut pending = segments.next_segment()?;
        let mut segment = pending.ok_or(Unwritable)?;
        loop {
            pending = segments.next_segment()?;
            let on_stack = pending.is_some()
                && self
                    .stack
                    .get(depth + 1)
                    .is_some_and(|open| open.entered.is(segment, &self.keys));
            if !on_stack {
                break;
            }
            depth += 1;
            segment = pending.unwrap_or(segment);
        }
        while self.stack.len() > depth + 1 {
            if let Some(open) = self.stack.pop() {
                out.push(if open.array { ']' } else { '}' });
            }
        }
        // Open the rest of the path, then write the value at its end.
        loop {
            let entered = self.member(segment, out)?;
            let Some(next) = pending else { break };
            if self.stack.len() >= MAX_DEPTH {
                return Err(Unwritable);
            }
            let array = matches!(next, Segment::Index(_));
            out.push(if array { '[' } else { '{' });
            self.push(array, entered);
            segment = next;
            pending = segments.next_segment()?;
        }
        match value {
            Piece::String { text, more } => {
                out.push('"');
                out.push_str(text);
                if more {
                    self.string_open = true;
                    self.open_path.clear();
                    self.open_path.push_str(path);
                } else {
                    out.push('"');
                }
            }
            Piece::Raw(text) => out.push_str(text),
            Piece::None => {}
        }
        Ok(())
    }

    /// Writes the key (or the comma) that begins `segment` in the innermost
    /// open container, and says how a container there would be entered.
    fn member(&mut self, segment: Segment<'_>, out: &mut String) -> Result<Entered, Unwritable> {
        let top = self.stack.last_mut().ok_or(Unwritable)?;
        let entered = match (top.array, segment) {
            (false, Segment::Key(key)) => {
                self.key_bytes += key.len() + 8;
                if self.key_bytes > MAX_KEY_BYTES {
                    return Err(Unwritable);
                }
                let kept = self.keys.insert(top.serial, key).ok_or(Unwritable)?;
                if top.count > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(key);
                out.push_str("\":");
                Entered::Key(kept)
            }
            (true, Segment::Index(index)) if index == top.count => {
                if top.count > 0 {
                    out.push(',');
                }
                Entered::Index(index)
            }
            _ => return Err(Unwritable),
        };
        top.count += 1;
        Ok(entered)
    }

    fn push(&mut self, array: bool, entered: Entered) {
        self.stack.push(Open {
            array,
            serial: self.serials,
            count: 0,
            entered,
        });
        self.serials = self.serials.wrapping_add(1);
    }

    /// The call ended: appends what closes its arguments (`{}` for a call
    /// that got no piece). Nothing for a failed call.
    pub(super) fn end(&mut self, out: &mut String) {
        if self.failed {
            return;
        }
        let mark = out.len();
        if std::mem::take(&mut self.string_open) {
            out.push('"');
        }
        if self.stack.is_empty() {
            out.push_str("{}");
        }
        while let Some(open) = self.stack.pop() {
            out.push(if open.array { ']' } else { '}' });
        }
        self.written += (out.len() - mark) as u64;
    }
}

/// The segments of a JSON path, read one at a time.
struct Segments<'a> {
    rest: &'a str,
}

impl<'a> Segments<'a> {
    fn new(path: &'a str) -> Result<Segments<'a>, Unwritable> {
        let rest = path.strip_prefix('$').ok_or(Unwritable)?;
        Ok(Segments { rest })
    }

    fn next_segment(&mut self) -> Result<Option<Segment<'a>>, Unwritable> {
        let rest = self.rest;
        let (segment, after) = if let Some(name) = rest.strip_prefix('.') {
            let end = name.find(['.', '[']).unwrap_or(name.len());
            (Segment::Key(&name[..end]), &name[end..])
        } else if let Some(inner) = rest.strip_prefix('[') {
            match inner.as_bytes().first() {
                Some(&quote @ (b'\'' | b'"')) => {
                    let body = &inner[1..];
                    let end = body.find(char::from(quote)).ok_or(Unwritable)?;
                    let after = body[end + 1..].strip_prefix(']').ok_or(Unwritable)?;
                    (Segment::Key(&body[..end]), after)
                }
                _ => {
                    let end = inner.find(']').ok_or(Unwritable)?;
                    let digits = &inner[..end];
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(Unwritable);
                    }
                    let index = digits.parse().map_err(|_| Unwritable)?;
                    (Segment::Index(index), &inner[end + 1..])
                }
            }
        } else if rest.is_empty() {
            return Ok(None);
        } else {
            return Err(Unwritable);
        };
        if let Segment::Key(key) = segment
            && (key.is_empty() || key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20))
        {
            return Err(Unwritable);
        }
        self.rest = after;
        Ok(Some(segment))
    }
}

#[cfg(test)]
mod tests {
    use super::{Assembler, Piece};

    fn s(text: &str, more: bool) -> Piece<'_> {
        Piece::String { text, more }
    }

    /// The pieces' JSON text, and whether each was written.
    fn assemble(pieces: &[(&str, Piece<'_>)]) -> (String, Vec<bool>) {
        let mut assembler = Assembler::default();
        assembler.start();
        let mut out = String::new();
        let written = pieces
            .iter()
            .map(|(path, piece)| assembler.piece(path, *piece, &mut out).is_ok())
            .collect();
        assembler.end(&mut out);
        (out, written)
    }

    #[test]
    fn strings_numbers_and_nested_paths() {
        let (out, written) = assemble(&[
            ("$.location", s("Bos", true)),
            ("$.location", s("ton", true)),
            ("$.location", s("", false)),
            ("$.count", Piece::Raw("3")),
            ("$.recipe.ingredients[0].amount", Piece::Raw("2.5")),
            ("$.recipe.ingredients[0].unit", s("cup", false)),
            ("$.recipe.ingredients[1].amount", Piece::Raw("1")),
            ("$.recipe.vegan", Piece::Raw("true")),
            ("$['odd key'][0][0]", Piece::Raw("null")),
            ("$['odd key'][0][1]", s("caf\\u00e9", false)),
            ("$.tags[0]", s("a", true)),
            ("$.tags[1]", s("b", false)),
        ]);
        assert!(written.iter().all(|&w| w));
        let expected = r#"{"location":"Boston","count":3,"recipe":{"ingredients":[{"amount":2.5,"unit":"cup"},{"amount":1}],"vegan":true},"odd key":[[null,"caf\u00e9"]],"tags":["a","b"]}"#;
        assert_eq!(out, expected);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["odd key"][0][1], "café");
    }

    #[test]
    fn no_piece_is_an_empty_object() {
        assert_eq!(assemble(&[]).0, "{}");
    }

    #[test]
    fn a_path_back_into_a_closed_container_fails_the_call() {
        for back in [
            "$.a.y",  // into an object closed
            "$.b",    // a key written already
            "$.l[2]", // into an array closed
            "$.o[0]", // an index into an open object
            "$.v[0]", // an index already begun
            "$.v[2]", // an index past the next
            "$.v.k",  // a key into an open array
            "$[0]",   // an index into the root
            "location", "$", "$..a", "$.", "$[", "$[x]", "$['a", "$.q\"",
        ] {
            let (out, written) = assemble(&[
                ("$.a.x", Piece::Raw("1")),
                ("$.b", Piece::Raw("2")),
                ("$.l[0]", Piece::Raw("3")),
                ("$.l[1]", Piece::Raw("4")),
                ("$.o.x", Piece::Raw("5")),
                ("$.o.v[0]", Piece::Raw("6")),
                (back.replace("$.v", "$.o.v").as_str(), Piece::Raw("7")),
                ("$.later", Piece::Raw("8")),
            ]);
            assert_eq!(written[..6], [true; 6], "{back}");
            assert_eq!(written[6..], [false, false], "{back}");
            // Nothing of the failed piece was written, and no end either.
            assert_eq!(
                out, r#"{"a":{"x":1},"b":2,"l":[3,4],"o":{"x":5,"v":[6"#,
                "{back}"
            );
        }
    }

    #[test]
    fn a_string_left_open_is_closed_by_the_next_path_or_the_end() {
        assert_eq!(
            assemble(&[("$.a", s("x", true)), ("$.b", s("y", true))]).0,
            r#"{"a":"x","b":"y"}"#
        );
        assert_eq!(
            assemble(&[("$.a", s("x", true)), ("$.a", Piece::None)]).0,
            r#"{"a":"x"}"#
        );
        let (out, written) = assemble(&[("$.a", s("x", true)), ("$.a", Piece::Raw("1"))]);
        assert_eq!(written, [true, false]);
        assert_eq!(out, r#"{"a":"x"#, "nothing of the failed piece");
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("${}", ".a".repeat(1000));
        let (_, written) = assemble(&[(&deep, Piece::Raw("1"))]);
        assert_eq!(written, [false]);
    }
}
