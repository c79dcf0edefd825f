//! The incremental key scanner: pull-based, one pass, zero-copy.
//!
//! [`KeyScanner`] reads a JSON document that grows at its end in the caller's
//! buffer, checks it against RFC 8259 as strictly as serde_json does, and
//! reports the string values of chosen keys of the root object as [`Span`]s
//! of that buffer, the moment their bytes arrive.

pub(crate) mod number;
mod state;
pub(crate) mod string;

use smallvec::SmallVec;

use crate::error::{Error, ErrorKind};
use state::{Nesting, Role, State};
use string::{KeyText, Scanned, StringLexer};

pub use string::Span;

/// The nesting limit serde_json applies: the 128th open array or object is
/// refused.
pub const DEFAULT_DEPTH_LIMIT: usize = 128;

/// What the scanner reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// A target key's string value begins. `key` indexes the keys given to
    /// [`KeyScanner::new`]; `occurrence` counts earlier values of the same key
    /// in this document (0 for the first).
    ValueStart {
        /// Which target key.
        key: usize,
        /// How many values of this key came before in the document.
        occurrence: u32,
    },
    /// The next piece of the current target value's raw string text.
    Text(Span),
    /// The current target value's closing quote was read.
    ValueEnd {
        /// Which target key.
        key: usize,
    },
    /// A target key's value is not a string. Reported at its first byte; the
    /// value is still checked to its end.
    NonString {
        /// Which target key.
        key: usize,
        /// How many values of this key came before in the document.
        occurrence: u32,
        /// What the value is.
        kind: ValueKind,
    },
    /// The root value is complete. Only whitespace may follow. A root that is
    /// a bare number has no closing byte: [`KeyScanner::finish`] completes it.
    Complete,
}

/// The kind of a target key's value that is not a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `{ ... }`
    Object,
    /// `[ ... ]`
    Array,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// Finds the string values of chosen keys of a JSON object's top level while
/// the object is still arriving.
///
/// The caller appends each fragment to its own buffer and then pulls events
/// with [`next_event`](KeyScanner::next_event) until it returns `Ok(None)`.
/// The scanner reads each byte once, keeps no copy of the input, and after
/// construction allocates only when nesting passes 128 levels (its bit stack
/// then grows by 8 bytes per 64 levels, up to the depth limit).
///
/// # Matching
/// Keys match only at the top level of the root object: the same name in a
/// nested object or array, or inside a string value, never matches. A key is
/// compared after decoding, so `"pre\u005fexec_msg"` matches `pre_exec_msg`;
/// `pre_exec_msgs` does not. If the root is not an object nothing matches,
/// and the document is still checked.
///
/// # Duplicate keys
/// JSON allows a key twice, and serde_json keeps the last value. The scanner
/// reports every occurrence, each opened by [`Event::ValueStart`] with its
/// `occurrence` count, so the spans after the last `ValueStart` are the value
/// serde_json keeps. A gateway that has already spoken the first value
/// decides for itself what to do with a second.
///
/// # Strictness
/// A complete document is accepted exactly when
/// `serde_json::from_slice::<serde_json::Value>` accepts it, with one
/// deliberate difference: numbers are checked against the grammar only, never
/// converted, so `1e400` is accepted where serde_json refuses a number out of
/// `f64` range. Strings must be UTF-8 with paired surrogate escapes, as in
/// serde_json.
///
/// # Termination
/// Incomplete input is not an error: it is the normal state between
/// fragments. When the input has ended, call [`finish`](KeyScanner::finish):
/// it tells a complete document from a cut-off one.
///
/// # Errors
/// The first bad byte gives an [`Error`] with its kind and offset. After an
/// error the scanner stays failed and returns the same error.
#[derive(Debug)]
pub struct KeyScanner {
    keys: SmallVec<[Box<str>; 2]>,
    occurrences: SmallVec<[u32; 2]>,
    depth_limit: usize,
    /// The next byte of the caller's buffer to read.
    pos: usize,
    state: State,
    nesting: Nesting,
    lexer: StringLexer,
    key_text: KeyText,
    /// The target whose key was just read, waiting for its value.
    target: Option<u16>,
    /// Where the target value's text not yet handed out begins.
    text_start: usize,
    /// An event found together with the one returned, handed out next.
    pending: Option<Event>,
    error: Option<Error>,
}

impl KeyScanner {
    /// A scanner for the string values of `keys` (at most 65,536 of them;
    /// further keys are ignored). Event `key` numbers index this list; if a
    /// name is given twice, the first index is reported.
    pub fn new<K: AsRef<str>>(keys: &[K]) -> KeyScanner {
        let keys: SmallVec<[Box<str>; 2]> = keys
            .iter()
            .take(usize::from(u16::MAX) + 1)
            .map(|key| Box::from(key.as_ref()))
            .collect();
        let longest = keys.iter().map(|key| key.len()).max().unwrap_or(0);
        KeyScanner {
            occurrences: SmallVec::from_elem(0, keys.len()),
            keys,
            depth_limit: DEFAULT_DEPTH_LIMIT,
            pos: 0,
            state: State::Root,
            nesting: Nesting::new(),
            lexer: StringLexer::new(),
            key_text: KeyText::new(longest),
            target: None,
            text_start: 0,
            pending: None,
            error: None,
        }
    }

    /// Sets the nesting limit: the array or object that would make `limit`
    /// containers open at once is refused with [`ErrorKind::TooDeep`]. The
    /// default, [`DEFAULT_DEPTH_LIMIT`], accepts what serde_json accepts.
    /// Memory for nesting is `limit / 8` bytes at most.
    pub fn with_depth_limit(mut self, limit: usize) -> KeyScanner {
        self.depth_limit = limit.max(1);
        self
    }

    /// The name of target key number `key`, as given to [`new`](KeyScanner::new).
    pub fn key(&self, key: usize) -> Option<&str> {
        self.keys.get(key).map(|name| &**name)
    }

    /// How many bytes of the buffer have been read.
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// Whether the root value has been read to its end.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// Forgets the document, keeping keys, limits and allocations, to scan a
    /// new one from the start of a new buffer.
    pub fn reset(&mut self) {
        self.occurrences.iter_mut().for_each(|count| *count = 0);
        self.pos = 0;
        self.state = State::Root;
        self.nesting.clear();
        self.lexer = StringLexer::new();
        self.key_text.clear();
        self.target = None;
        self.text_start = 0;
        self.pending = None;
        self.error = None;
    }

    /// Reads on from where the last call stopped, up to the end of `input`,
    /// and returns the next event, or `Ok(None)` when `input` is used up.
    ///
    /// `input` is the caller's whole buffer so far: the same bytes as at the
    /// last call, with any new fragment appended. Only the new bytes are read.
    /// When the input ends inside a target value, the text read so far comes
    /// out as a [`Span`], less any escape or UTF-8 character that is not
    /// complete yet: that waits for the next fragment.
    ///
    /// # Errors
    /// The first byte that makes the document invalid, with its kind and
    /// offset; [`ErrorKind::BufferShrunk`] if `input` is shorter than what was
    /// read. The scanner then stays failed.
    ///
    /// # Panics
    /// Never.
    pub fn next_event(&mut self, input: &[u8]) -> Result<Option<Event>, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if let Some(event) = self.pending.take() {
            return Ok(Some(event));
        }
        if input.len() < self.pos {
            return Err(self.fail(Error::new(ErrorKind::BufferShrunk, input.len() as u64)));
        }
        self.run(input).map_err(|error| self.fail(error))
    }

    /// Marks the end of the input.
    ///
    /// Call it once [`next_event`](KeyScanner::next_event) has returned
    /// `Ok(None)` for the last fragment.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`], at the offset where the input ended, if the
    /// document is not complete; the earlier error if the scanner has failed.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        match self.state {
            State::Done if self.pending.is_none() => Ok(()),
            State::Number(num) if num.is_complete() && self.nesting.depth() == 0 => {
                self.state = State::Done;
                Ok(())
            }
            _ => Err(self.fail(self.error_here(ErrorKind::Truncated))),
        }
    }

    fn fail(&mut self, error: Error) -> Error {
        self.error = Some(error);
        error
    }

    fn run(&mut self, input: &[u8]) -> Result<Option<Event>, Error> {
        while let Some(&b) = input.get(self.pos) {
            let event = match self.state {
                State::Str(role) => self.string(input, role)?,
                State::Number(num) => self.number(input, num)?,
                State::Literal { word, matched } => self.literal(input, word, matched)?,
                _ => self.structural(b)?,
            };
            if event.is_some() {
                return Ok(event);
            }
        }
        Ok(self.flush_text())
    }

    /// Reads string text until the closing quote or the end of the input.
    fn string(&mut self, input: &[u8], role: Role) -> Result<Option<Event>, Error> {
        let key = (role == Role::TopKey).then_some(&mut self.key_text);
        let Scanned::Closed(quote) = self.lexer.scan(input, &mut self.pos, key)? else {
            return Ok(None);
        };
        self.pos = quote + 1;
        let text = match role {
            Role::Target { .. } => self.take_text(quote),
            Role::TopKey | Role::NestedKey | Role::Plain => None,
        };
        self.lexer = StringLexer::new();
        match role {
            Role::TopKey => {
                self.target = self.matching_key();
                self.state = State::Colon;
                Ok(None)
            }
            Role::NestedKey => {
                self.state = State::Colon;
                Ok(None)
            }
            Role::Plain => Ok(self.value_done()),
            Role::Target { key } => {
                self.value_done();
                let end = Event::ValueEnd {
                    key: usize::from(key),
                };
                match text {
                    Some(text) => {
                        self.pending = Some(end);
                        Ok(Some(text))
                    }
                    None => Ok(Some(end)),
                }
            }
        }
    }

    /// At the end of the input inside a target value: hands out what is
    /// complete so far.
    fn flush_text(&mut self) -> Option<Event> {
        if !matches!(self.state, State::Str(Role::Target { .. })) {
            return None;
        }
        self.take_text(self.lexer.safe_end(self.pos))
    }

    /// The target text from `text_start` to `end`, as an event, if any.
    fn take_text(&mut self, end: usize) -> Option<Event> {
        if end <= self.text_start {
            return None;
        }
        let span = Span {
            start: self.text_start,
            end,
            escaped: self.lexer.take_escaped(),
        };
        self.text_start = end;
        Some(Event::Text(span))
    }

    /// The target the key just read names, if any.
    fn matching_key(&self) -> Option<u16> {
        let name = self.key_text.get()?;
        let index = self.keys.iter().position(|key| key.as_bytes() == name)?;
        u16::try_from(index).ok()
    }

    /// Reads a number to its end or the end of the input. In an array, a
    /// number that ends at `,` with another number right after goes straight
    /// on to that one: arrays of numbers are common, and the round trip
    /// through [`run`](Self::run) and the structural transition for every
    /// `,` would cost more than the number itself. Target values never lie
    /// inside an array, so no event is skipped.
    fn number(&mut self, input: &[u8], mut num: number::Num) -> Result<Option<Event>, Error> {
        let in_array = self.nesting.in_object() == Some(false);
        let mut pos = self.pos;
        loop {
            match number::read(input, pos, num) {
                number::Read::Ended(end) => {
                    if in_array
                        && let Some(&[b',', next]) = input.get(end..end + 2)
                        && (next.is_ascii_digit() || next == b'-')
                    {
                        num = number::Num::start(next);
                        pos = end + 2;
                        continue;
                    }
                    self.pos = end;
                    return Ok(self.value_done());
                }
                number::Read::Invalid(at) => {
                    self.pos = at;
                    return Err(self.error_here(ErrorKind::InvalidNumber));
                }
                number::Read::Exhausted(state) => {
                    self.pos = input.len();
                    self.state = State::Number(state);
                    return Ok(None);
                }
            }
        }
    }

    fn literal(
        &mut self,
        input: &[u8],
        word: &'static [u8],
        mut matched: u8,
    ) -> Result<Option<Event>, Error> {
        while let Some(&b) = input.get(self.pos) {
            if word.get(usize::from(matched)) != Some(&b) {
                return Err(self.error_here(ErrorKind::InvalidLiteral));
            }
            self.pos += 1;
            matched += 1;
            if usize::from(matched) == word.len() {
                return Ok(self.value_done());
            }
        }
        self.state = State::Literal { word, matched };
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events, and the error if any, from `doc` fed with the buffer ending
    /// at each of `ends` in turn, then `finish`.
    fn scan(doc: &[u8], ends: impl IntoIterator<Item = usize>) -> (Vec<Event>, Option<Error>) {
        let mut scanner = KeyScanner::new(&["k"]);
        let mut events = Vec::new();
        for end in ends {
            loop {
                match scanner.next_event(&doc[..end]) {
                    Ok(Some(event)) => events.push(event),
                    Ok(None) => break,
                    Err(error) => return (events, Some(error)),
                }
            }
        }
        (events, scanner.finish().err())
    }

    /// The number loop's shortcut from one number to the next in an array
    /// must agree with the plain path through `,`, however the input is cut.
    #[test]
    fn number_arrays_read_the_same_in_any_pieces() {
        let docs: &[&[u8]] = &[
            b"[1,2,-3,0.5,1e5,-0,[3,4],12345678901234567890.25e-12,0]",
            br#"{"a":[1,2,3],"k":"v","b":[0.0,1.5]}"#,
            br#"{"k":[1,2],"k":5,"x":[[1],[2,3]]}"#,
            b"[1,2,]",
            b"[1,-]",
            b"[0,01]",
            b"[1,2.]",
            b"[1,2,x]",
            b"[1, 2,3 ,4]",
            b"[1,2}",
            b"[1,2",
            b"[-",
            b"7",
        ];
        for doc in docs {
            let whole = scan(doc, [doc.len()]);
            assert_eq!(scan(doc, 1..=doc.len()), whole, "{doc:?} byte by byte");
            for cut in 0..doc.len() {
                assert_eq!(scan(doc, [cut, doc.len()]), whole, "{doc:?} cut at {cut}");
            }
        }
    }
}
