//! The incremental key scanner: pull-based, one pass, zero-copy.
//!
//! [`KeyScanner`] reads a JSON document that grows at its end in the caller's
//! buffer, checks it against RFC 8259 as strictly as serde_json does, and
//! reports the string values of chosen keys of the root object as [`Span`]s
//! of that buffer, the moment their bytes arrive.

pub(crate) mod number;
pub(crate) mod plain;
mod state;
pub(crate) mod string;

use std::sync::Arc;

use smallvec::SmallVec;

use crate::error::{Error, ErrorKind};
use state::{Nesting, Role, State};
use string::{KeyText, Lex, Scanned, StringLexer, decode_string_text};

pub use string::Span;

/// The default nesting limit, serde_json's: the 128th open array or object
/// is refused. [`KeyScanner::with_max_depth`] and
/// [`Decoder::with_max_depth`](crate::upstream::Decoder::with_max_depth)
/// change it.
pub const DEFAULT_MAX_DEPTH: usize = 128;

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
    keys: Arc<Keys>,
    occurrences: SmallVec<[u32; 8]>,
    max_depth: usize,
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
        KeyScanner::with_keys(Keys::new(keys))
    }

    /// A scanner for `keys`, shared with the other scanners made from them
    /// (a relay's, one a call): no key is copied.
    pub(crate) fn with_keys(keys: Arc<Keys>) -> KeyScanner {
        let longest = keys.longest();
        KeyScanner {
            occurrences: SmallVec::from_elem(0, keys.len()),
            keys,
            max_depth: DEFAULT_MAX_DEPTH,
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
    /// default, [`DEFAULT_MAX_DEPTH`], accepts what serde_json accepts.
    /// Memory for nesting is `limit / 8` bytes at most.
    pub fn with_max_depth(mut self, limit: usize) -> KeyScanner {
        self.max_depth = limit.max(1);
        self
    }

    /// The name of target key number `key`, as given to [`new`](KeyScanner::new).
    pub fn key(&self, key: usize) -> Option<&str> {
        self.keys.get(key)
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
        if let Some(span) = self.plain_fragment(input) {
            return Ok(Some(Event::Text(span)));
        }
        self.run(input).map_err(|error| self.fail(error))
    }

    /// `next_event`'s common fragment, taken without the state machine as
    /// [`push_text`](KeyScanner::push_text) takes it: inside a target value,
    /// with nothing held back, a short fragment of plain ASCII (no `"`,
    /// `\\` or control character) is the value's text as it is, one span.
    #[inline]
    fn plain_fragment(&mut self, input: &[u8]) -> Option<Span> {
        let fresh = matches!(self.state, State::Str(Role::Target { .. }))
            && self.lexer.lex == Lex::Text
            && self.text_start == self.pos
            && self.pending.is_none();
        let new = input.get(self.pos..).filter(|_| fresh)?;
        if new.is_empty() || new.len() > 32 || !plain::all_plain_bytes(new) {
            return None;
        }
        let span = Span {
            start: self.pos,
            end: input.len(),
            escaped: false,
            ascii: true,
        };
        self.pos = input.len();
        self.text_start = input.len();
        Some(span)
    }

    /// Reads on like [`next_event`](KeyScanner::next_event), but appends the
    /// decoded text of target values to `text` instead of handing it out as
    /// [`Event::Text`]: the cheaper call for a caller that wants the text.
    /// Returns the next other event (`ValueStart`, `ValueEnd`, `NonString`,
    /// `Complete`), or `Ok(None)` when `input` is used up.
    ///
    /// One call takes a whole fragment that falls inside a value, where
    /// `next_event` takes two (the span, then `None`), and a fragment with no
    /// quote, backslash or control character is taken without the state
    /// machine. Text is appended as it is decoded, with no span for the
    /// caller to look at. A short run the scanner has seen to be ASCII is
    /// appended with no UTF-8 check; other text is checked once more, since
    /// a `&str` costs that without `unsafe` (and a fragment taken whole is
    /// checked only then).
    ///
    /// ```
    /// use argstream::{Event, KeyScanner};
    ///
    /// # fn main() -> Result<(), argstream::Error> {
    /// let mut scanner = KeyScanner::new(&["pre_exec_msg"]);
    /// let (mut arguments, mut spoken) = (Vec::new(), String::new());
    /// for fragment in [&br#"{"pre_exec_msg":"caf"#[..], b"\xc3", b"\xa9 \\u00", br#"e9"}"#] {
    ///     arguments.extend_from_slice(fragment);
    ///     while let Some(event) = scanner.push_text(&arguments, &mut spoken)? {
    ///         if let Event::ValueStart { occurrence: 1.., .. } = event {
    ///             spoken.clear(); // serde_json keeps the last of a repeated key
    ///         }
    ///     }
    /// }
    /// scanner.finish()?;
    /// assert_eq!(spoken, "café é");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// With several target keys the text of each goes to the `text` of the
    /// call that reads it: between a key's `ValueStart` and its `ValueEnd`,
    /// pass the string that key's text belongs to.
    ///
    /// Calls of `push_text` and `next_event` may be mixed on one document.
    ///
    /// # Errors
    /// As for [`next_event`](KeyScanner::next_event). Text read before the
    /// error has been appended.
    ///
    /// # Panics
    /// Never.
    pub fn push_text(&mut self, input: &[u8], text: &mut String) -> Result<Option<Event>, Error> {
        if self.text_fragment(input, text) {
            return Ok(None);
        }
        loop {
            match self.next_event(input)? {
                Some(Event::Text(span)) => {
                    let raw = &input[span.range()];
                    if span.escaped {
                        decode_string_text(raw, span.start as u64, span.ascii, text)?;
                    } else if span.ascii {
                        string::push_ascii(raw, text);
                    } else {
                        // Checked as it was read: this cannot fail, but a
                        // `&str` needs the check once more without `unsafe`.
                        let checked = std::str::from_utf8(raw);
                        text.push_str(
                            checked.map_err(|_| self.error_here(ErrorKind::InvalidUtf8))?,
                        );
                    }
                    // A span comes with its value's end waiting in `pending`,
                    // or at the end of the input: then nothing is left to read.
                    if self.pending.is_none() {
                        return Ok(None);
                    }
                }
                other => return Ok(other),
            }
        }
    }

    /// The common fragment, taken without the state machine: inside a target
    /// value with nothing held back but the start of a character cut by the
    /// last fragment, new bytes that hold no `"`, `\\` or control character
    /// are the value's text as they are. Appends them, leaving a character
    /// cut at the end to wait in the lexer as it would, and returns `true`;
    /// `false`, having read nothing, for any other input (escapes, the end of
    /// the value, invalid UTF-8), which the lexer reads and reports.
    ///
    /// Plain ASCII is appended without a UTF-8 check; other text is checked
    /// once, by the conversion to `&str` that appends it, where the lexer
    /// would check it and the append check it again.
    #[inline]
    fn text_fragment(&mut self, input: &[u8], text: &mut String) -> bool {
        let held = match self.lexer.lex {
            Lex::Text => self.pos,
            Lex::Utf8 { .. } => self.lexer.unit_start,
            _ => return false,
        };
        let fresh = matches!(self.state, State::Str(Role::Target { .. }))
            && self.text_start == held
            && self.pending.is_none()
            && self.error.is_none();
        let Some(new) = input.get(self.text_start..).filter(|_| fresh) else {
            return false;
        };
        if new.is_empty() || new.len() > 32 || input.len() <= self.pos {
            return false;
        }
        if plain::all_plain_bytes(new) {
            string::push_ascii(new, text);
            self.text_start = input.len();
        } else {
            if !new.iter().all(|&b| b >= 0x80 || plain::is_plain(b)) {
                return false;
            }
            let (checked, whole) = match std::str::from_utf8(new) {
                Ok(checked) => (checked, new.len()),
                Err(e) if e.error_len().is_none() => {
                    // A character cut by the end: the text before it, then
                    // its first bytes into the lexer, which waits for the rest.
                    let whole = e.valid_up_to();
                    let Ok(checked) = std::str::from_utf8(&new[..whole]) else {
                        return false;
                    };
                    (checked, whole)
                }
                Err(_) => return false,
            };
            let mut lexer = self.lexer;
            lexer.lex = Lex::Text;
            for (at, &b) in (self.text_start + whole..).zip(&new[whole..]) {
                if lexer.step(b, at, None).is_err() {
                    return false;
                }
            }
            self.lexer = lexer;
            text.push_str(checked);
            self.text_start += whole;
        }
        self.pos = input.len();
        true
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
        while self.pos < input.len() {
            let event = match self.state {
                State::Str(role) => self.string(input, role)?,
                State::Number(num) => self.number(input, num)?,
                State::Literal { word, matched } => self.literal(input, word, matched)?,
                _ => self.structure(input)?,
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
            ascii: !self.lexer.take_non_ascii(),
        };
        self.text_start = end;
        Some(Event::Text(span))
    }

    /// The target the key just read names, if any.
    fn matching_key(&self) -> Option<u16> {
        let name = self.key_text.get()?;
        let index = self.keys.position(name)?;
        u16::try_from(index).ok()
    }

    /// Reads a number to its end or the end of the input. In an array, a
    /// number that ends at `,` with another number right after goes straight
    /// on to that one: arrays of numbers are common, and the round trip
    /// through [`run`](Self::run) and the structural transition for every
    /// `,` would cost more than the number itself. Target values never lie
    /// inside an array, so no event is skipped.
    pub(super) fn number(
        &mut self,
        input: &[u8],
        mut num: number::Num,
    ) -> Result<Option<Event>, Error> {
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

    pub(super) fn literal(
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

/// The target keys of a scanner, in one buffer: two allocations for up to
/// 16 keys, shared by every scanner made from them.
#[derive(Debug)]
pub(crate) struct Keys {
    text: String,
    /// Where each key ends in `text`.
    ends: SmallVec<[usize; 16]>,
}

impl Keys {
    /// The first 65,536 of `keys`.
    pub(crate) fn new<K: AsRef<str>>(keys: &[K]) -> Arc<Keys> {
        let keys = &keys[..keys.len().min(usize::from(u16::MAX) + 1)];
        let mut text = String::with_capacity(keys.iter().map(|key| key.as_ref().len()).sum());
        let ends = keys
            .iter()
            .map(|key| {
                text.push_str(key.as_ref());
                text.len()
            })
            .collect();
        Arc::new(Keys { text, ends })
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, key: usize) -> Option<&str> {
        let end = *self.ends.get(key)?;
        let start = key.checked_sub(1).map_or(0, |before| self.ends[before]);
        self.text.get(start..end)
    }

    /// The first key named `name`.
    fn position(&self, name: &[u8]) -> Option<usize> {
        (0..self.len()).find(|&key| self.get(key).is_some_and(|k| k.as_bytes() == name))
    }

    fn longest(&self) -> usize {
        (0..self.len())
            .filter_map(|key| self.get(key))
            .map(str::len)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The next value of a fixed-seed xorshift generator, for tests that
    /// must reproduce.
    pub(crate) fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

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
