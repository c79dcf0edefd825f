//! The one reader of whole upstream events: one pass over one complete
//! event's JSON, with the key scanner's own lexers (strings, escapes, UTF-8,
//! numbers), as strict as the scanner, reading on demand.
//!
//! A decoder reads a few fields of an event and ignores the rest
//! (`system_fingerprint`, `logprobs`, `obfuscation`, a Responses event's
//! whole `response.output`). The reader is told which member names any
//! decoder reads ([`EventReader::new`]'s filter): the members it reads are
//! laid out as a flat list of byte positions, level by level; any other
//! member's value is skipped, checked by the same lexers and a stack of open
//! brackets but laid out nowhere, as serde_json's `IgnoredAny` skips. Array
//! elements are laid out when their array is. Either way the whole event is
//! checked in the one pass, with no recursion on its depth.
//!
//! Positions come for free: a value's raw text is a slice of the payload (a
//! relay passes `usage` on byte for byte, skipped members and all), and an
//! error, in the syntax or in a field's type, names the byte where it is.
//! Escaped strings are decoded into one buffer the reader reuses, so after
//! warm-up an event costs no allocation.

use crate::scan::number::{self, Num, Read};
use crate::scan::plain::plain_words;
use crate::scan::string::{Scanned, StringLexer, decode_string_text};
use crate::{Error, ErrorKind};

/// The member names a reader lays out, as a table built at compile time
/// that tells them for a few instructions: one 64-bit set a name length
/// (below 32) of a hash of its first and last bytes. A name the set holds
/// is laid out even when it is not one of the names (a collision costs a
/// few nodes, never a field); a name with an escape, or 32 bytes long or
/// more, always is.
#[derive(Debug)]
pub(crate) struct Names {
    names: &'static [&'static str],
    sets: [u64; 32],
}

impl Names {
    /// The table of `names`.
    pub(crate) const fn of(names: &'static [&'static str]) -> Names {
        let mut sets = [0u64; 32];
        let mut i = 0;
        while i < names.len() {
            let name = names[i].as_bytes();
            if name.len() < 32 {
                sets[name.len()] |= 1 << Names::hash(name);
            }
            i += 1;
        }
        Names { names, sets }
    }

    /// Every name: a reader that lays everything out (its list is empty, so
    /// that lookups by any name pass the debug check).
    #[cfg(test)]
    pub(crate) const ALL: Names = Names {
        names: &[],
        sets: [u64::MAX; 32],
    };

    const fn hash(name: &[u8]) -> u32 {
        match name {
            [] => 0,
            [first, .., last] => (first.wrapping_add(last.wrapping_mul(3)) & 63) as u32,
            [only] => (*only & 63) as u32,
        }
    }

    /// Whether a member named `name` (raw, as the payload writes it) is
    /// laid out.
    #[inline]
    fn may_hold(&self, name: &[u8]) -> bool {
        match self.sets.get(name.len()) {
            Some(set) => set & (1 << Names::hash(name)) != 0,
            None => true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// One value laid out.
#[derive(Clone, Copy, Debug)]
struct Node {
    kind: Kind,
    /// A string with escapes, decoded into the reader's buffer.
    escaped: bool,
    /// The value's first byte (a string's opening quote).
    start: u32,
    /// Just past the value's last byte.
    end: u32,
    /// A container: the index just past its last node. A string with
    /// escapes: where its decoded text starts in the decoded buffer.
    next: u32,
    /// A string with escapes: where its decoded text ends.
    decoded_end: u32,
}

/// An open bracket: its node, or [`SKIPPED`] for one inside a skipped value.
#[derive(Clone, Copy, Debug)]
struct Open {
    node: u32,
    object: bool,
}

/// The node of a container that is skipped, not laid out.
const SKIPPED: u32 = u32::MAX;

/// Reads payloads with buffers that are reused.
#[derive(Debug)]
pub(crate) struct EventReader {
    nodes: Vec<Node>,
    open: Vec<Open>,
    decoded: String,
    wanted: &'static Names,
    max_depth: usize,
}

/// Where the reader stands between two values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    Key,
    AfterValue,
}

impl EventReader {
    /// A reader that lays out the members named in `wanted` and skips the
    /// others.
    pub(crate) fn new(wanted: &'static Names) -> EventReader {
        EventReader {
            nodes: Vec::new(),
            open: Vec::new(),
            decoded: String::new(),
            wanted,
            // The key scanner's default, which is serde_json's.
            max_depth: crate::scan::DEFAULT_MAX_DEPTH,
        }
    }

    /// Sets the nesting limit: the array or object that would make `limit`
    /// containers open at once is refused with [`ErrorKind::TooDeep`].
    pub(crate) fn set_max_depth(&mut self, limit: usize) {
        self.max_depth = limit.max(1);
    }

    /// The bytes its reused buffers hold: they grow with the largest
    /// payload read.
    pub(crate) fn retained_bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<Node>()
            + self.open.capacity() * size_of::<Open>()
            + self.decoded.capacity()
    }

    /// Reads `payload` whole: the fields laid out, the rest checked.
    ///
    /// # Errors
    /// The scanner's kinds ([`ErrorKind::UnexpectedByte`],
    /// [`ErrorKind::InvalidEscape`], [`ErrorKind::TooDeep`], ...) at the
    /// offset in `payload` of the first bad byte.
    pub(crate) fn read<'t>(&'t mut self, payload: &'t [u8]) -> Result<Doc<'t>, Error> {
        self.walk(payload)?;
        Ok(Doc {
            input: payload,
            nodes: &self.nodes,
            decoded: &self.decoded,
            wanted: self.wanted,
        })
    }

    fn walk(&mut self, input: &[u8]) -> Result<(), Error> {
        if u32::try_from(input.len()).is_err() {
            // Positions are kept in 32 bits; no event is 4 GiB.
            return Err(Error::new(ErrorKind::EventTooLarge, u64::from(u32::MAX)));
        }
        self.nodes.clear();
        self.open.clear();
        self.decoded.clear();
        let fail = |kind, at: usize| Err(Error::new(kind, at as u64));
        let mut pos = skip_space(input, 0);
        let mut expect = Expect::Value;
        // While a member's value is skipped: how many brackets were open
        // when it began. Nothing inside it is laid out.
        let mut skip_from: Option<usize> = None;
        loop {
            let Some(&b) = input.get(pos) else {
                if expect == Expect::AfterValue && self.open.is_empty() {
                    return Ok(());
                }
                return fail(ErrorKind::Truncated, pos);
            };
            let keep = skip_from.is_none();
            match expect {
                Expect::Value => {
                    expect = Expect::AfterValue;
                    pos = match b {
                        b'{' | b'[' => {
                            if self.open.len() + 1 >= self.max_depth {
                                return fail(ErrorKind::TooDeep, pos);
                            }
                            let object = b == b'{';
                            let node = if keep {
                                let kind = if object { Kind::Object } else { Kind::Array };
                                self.push(kind, pos, pos + 1);
                                (self.nodes.len() - 1) as u32
                            } else {
                                SKIPPED
                            };
                            self.open.push(Open { node, object });
                            let inner = skip_space(input, pos + 1);
                            match (object, input.get(inner)) {
                                (true, Some(b'}')) | (false, Some(b']')) => self.close(inner),
                                (true, _) => {
                                    expect = Expect::Key;
                                    inner
                                }
                                (false, _) => {
                                    expect = Expect::Value;
                                    inner
                                }
                            }
                        }
                        b'"' => {
                            let (end, escaped) = lex_string(input, pos)?;
                            if keep {
                                self.push_string(input, pos, end, escaped)?;
                            }
                            end
                        }
                        b'-' | b'0'..=b'9' => {
                            let end = match number::read(input, pos + 1, Num::start(b)) {
                                Read::Ended(end) => end,
                                Read::Exhausted(num) if num.is_complete() => input.len(),
                                Read::Exhausted(_) => {
                                    return fail(ErrorKind::Truncated, input.len());
                                }
                                Read::Invalid(at) => return fail(ErrorKind::InvalidNumber, at),
                            };
                            if keep {
                                self.push(Kind::Number, pos, end);
                            }
                            end
                        }
                        b't' => self.literal(input, pos, b"true", Kind::True, keep)?,
                        b'f' => self.literal(input, pos, b"false", Kind::False, keep)?,
                        b'n' => self.literal(input, pos, b"null", Kind::Null, keep)?,
                        _ => return fail(ErrorKind::UnexpectedByte, pos),
                    };
                }
                Expect::Key => {
                    if b != b'"' {
                        return fail(ErrorKind::UnexpectedByte, pos);
                    }
                    let (end, escaped) = lex_string(input, pos)?;
                    if keep {
                        if escaped || self.wanted.may_hold(&input[pos + 1..end - 1]) {
                            self.push_string(input, pos, end, escaped)?;
                        } else {
                            skip_from = Some(self.open.len());
                        }
                    }
                    pos = skip_space(input, end);
                    match input.get(pos) {
                        Some(b':') => pos += 1,
                        Some(_) => return fail(ErrorKind::UnexpectedByte, pos),
                        None => return fail(ErrorKind::Truncated, pos),
                    }
                    expect = Expect::Value;
                }
                Expect::AfterValue => {
                    if skip_from == Some(self.open.len()) {
                        // The skipped value ended here.
                        skip_from = None;
                    }
                    let Some(&top) = self.open.last() else {
                        return fail(ErrorKind::TrailingContent, pos);
                    };
                    match b {
                        b',' => {
                            expect = if top.object {
                                Expect::Key
                            } else {
                                Expect::Value
                            };
                            pos += 1;
                        }
                        b'}' if top.object => pos = self.close(pos),
                        b']' if !top.object => pos = self.close(pos),
                        _ => return fail(ErrorKind::UnexpectedByte, pos),
                    }
                }
            }
            pos = skip_space(input, pos);
        }
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        self.nodes.push(Node {
            kind,
            start: start as u32,
            end: end as u32,
            next: 0,
            decoded_end: 0,
            escaped: false,
        });
    }

    /// Closes the innermost container at its closing byte `at`.
    fn close(&mut self, at: usize) -> usize {
        if let Some(open) = self.open.pop()
            && open.node != SKIPPED
        {
            let next = self.nodes.len();
            let node = &mut self.nodes[open.node as usize];
            node.end = (at + 1) as u32;
            node.next = next as u32;
        }
        at + 1
    }

    /// Lays out the string from its opening quote at `open` to just past its
    /// closing quote at `end`, decoding it if it has escapes.
    #[inline]
    fn push_string(
        &mut self,
        input: &[u8],
        open: usize,
        end: usize,
        escaped: bool,
    ) -> Result<(), Error> {
        self.push(Kind::String, open, end);
        if escaped {
            return self.decode_last(input, open, end);
        }
        Ok(())
    }

    /// Decodes the escaped string just laid out, from its quote at `open`
    /// to just past its closing quote at `end`.
    #[inline(never)]
    fn decode_last(&mut self, input: &[u8], open: usize, end: usize) -> Result<(), Error> {
        let from = self.decoded.len();
        // `false`: check each run's UTF-8 again, as before the flag
        // existed (`!lexer.take_non_ascii()` would skip it for ASCII).
        decode_string_text(
            &input[open + 1..end - 1],
            (open + 1) as u64,
            false,
            &mut self.decoded,
        )?;
        if let Some(node) = self.nodes.last_mut() {
            node.next = from as u32;
            node.decoded_end = self.decoded.len() as u32;
            node.escaped = true;
        }
        Ok(())
    }

    fn literal(
        &mut self,
        input: &[u8],
        at: usize,
        word: &[u8],
        kind: Kind,
        keep: bool,
    ) -> Result<usize, Error> {
        for (i, &want) in word.iter().enumerate() {
            match input.get(at + i) {
                Some(&b) if b == want => {}
                Some(_) => return Err(Error::new(ErrorKind::InvalidLiteral, (at + i) as u64)),
                None => return Err(Error::new(ErrorKind::Truncated, input.len() as u64)),
            }
        }
        if keep {
            self.push(kind, at, at + word.len());
        }
        Ok(at + word.len())
    }
}

/// Checks the string whose opening quote is at `open`: returns the index
/// past its closing quote and whether it has an escape.
#[inline]
fn lex_string(input: &[u8], open: usize) -> Result<(usize, bool), Error> {
    // Keys and most values are short printable ASCII: the plain run finds
    // their end for less than the lexer's setup. Anything else (an escape, a
    // control character, a byte past ASCII) goes to the lexer from where the
    // run stopped, in its plain-text state.
    let mut pos = plain_words(input, open + 1);
    while let Some(&b) = input.get(pos) {
        match b {
            b'"' => return Ok((pos + 1, false)),
            b'\\' | 0x00..=0x1F | 0x80..=0xFF => break,
            _ => pos += 1,
        }
    }
    lex_string_text(input, pos)
}

/// The rest of a string from `pos`, where its plain run stopped, through the
/// key scanner's lexer.
#[inline(never)]
fn lex_string_text(input: &[u8], mut pos: usize) -> Result<(usize, bool), Error> {
    let mut lexer = StringLexer::new();
    match lexer.scan(input, &mut pos, None)? {
        Scanned::Closed(close) => Ok((close + 1, lexer.take_escaped())),
        Scanned::Exhausted => Err(Error::new(ErrorKind::Truncated, input.len() as u64)),
    }
}

/// Skips JSON whitespace from `pos`.
#[inline]
fn skip_space(input: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = input.get(pos) {
        pos += 1;
    }
    pos
}

/// A field of the wrong type, at the byte where its value starts.
#[cold]
fn wrong_type(at: usize) -> Error {
    Error::new(ErrorKind::MalformedChunk, at as u64)
}

/// A value's position among those laid out.
pub(crate) type At = usize;

/// The JSON scalar types [`Doc::raw_scalar`] tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scalar {
    String,
    Number,
    Bool,
}

/// One read payload: typed lookups by key. Values read as `None` when
/// absent or `null`; a value of another type is
/// [`ErrorKind::MalformedChunk`] at the byte where it starts.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'t> {
    input: &'t [u8],
    nodes: &'t [Node],
    decoded: &'t str,
    wanted: &'static Names,
}

impl<'t> Doc<'t> {
    /// The root, which must be an object.
    pub(crate) fn root(&self) -> Result<At, Error> {
        match self.nodes.first() {
            Some(node) if node.kind == Kind::Object => Ok(0),
            _ => Err(wrong_type(0)),
        }
    }

    /// The value of the last member `key` of the object at `at` (as
    /// serde_json keeps the last of repeated keys), or `None` when the
    /// member is absent or `null`.
    pub(crate) fn get(&self, at: Option<At>, key: &str) -> Result<Option<At>, Error> {
        let Some(at) = at else { return Ok(None) };
        self.check_wanted(key);
        let mut found = None;
        for (name, value) in self.members(at)? {
            if self.name(name) == key.as_bytes() {
                found = Some(value);
            }
        }
        Ok(found.filter(|&value| self.nodes[value].kind != Kind::Null))
    }

    /// The values of the members `keys` of the object at `at`, in one pass
    /// over its members: the last of repeated keys, `None` for absent or
    /// `null`.
    pub(crate) fn pick<const N: usize>(
        &self,
        at: Option<At>,
        keys: [&str; N],
    ) -> Result<[Option<At>; N], Error> {
        let found = self.pick_with_nulls(at, keys)?;
        Ok(found.map(|value| value.filter(|&value| self.nodes[value].kind != Kind::Null)))
    }

    /// As [`pick`](Doc::pick), but a `null` member is found too: for a
    /// format where `null` is a value (Gemini's `nullValue`).
    pub(crate) fn pick_with_nulls<const N: usize>(
        &self,
        at: Option<At>,
        keys: [&str; N],
    ) -> Result<[Option<At>; N], Error> {
        let mut found = [None; N];
        let Some(at) = at else { return Ok(found) };
        keys.iter().for_each(|key| self.check_wanted(key));
        for (name, value) in self.members(at)? {
            // Slices compare their lengths first: most members are told
            // apart without comparing bytes.
            let name = self.name(name);
            if let Some(slot) = keys.iter().position(|key| key.as_bytes() == name) {
                found[slot] = Some(value);
            }
        }
        Ok(found)
    }

    /// Whether the value at `at` is `null`.
    pub(crate) fn is_null(&self, at: At) -> bool {
        self.nodes[at].kind == Kind::Null
    }

    /// Where the value at `at` starts in the payload.
    pub(crate) fn start(&self, at: At) -> u64 {
        u64::from(self.nodes[at].start)
    }

    /// The boolean at `at`; `None` for absent.
    pub(crate) fn boolean(&self, at: Option<At>) -> Result<Option<bool>, Error> {
        match at.map(|at| &self.nodes[at]) {
            None => Ok(None),
            Some(node) => match node.kind {
                Kind::True => Ok(Some(true)),
                Kind::False => Ok(Some(false)),
                _ => Err(wrong_type(node.start as usize)),
            },
        }
    }

    /// The JSON text of the scalar at `at` when it is of `kind` (a string's
    /// without its quotes, escapes as written), else a wrong-type error.
    pub(crate) fn raw_scalar(&self, at: At, kind: Scalar) -> Result<&'t str, Error> {
        let node = &self.nodes[at];
        let raw = self.raw(at);
        match (kind, node.kind) {
            (Scalar::String, Kind::String) => Ok(&raw[1..raw.len() - 1]),
            (Scalar::Number, Kind::Number) | (Scalar::Bool, Kind::True | Kind::False) => Ok(raw),
            _ => Err(wrong_type(node.start as usize)),
        }
    }

    /// The unsigned integer at `at`; `None` for absent.
    pub(crate) fn unsigned_at(&self, at: Option<At>) -> Result<Option<u64>, Error> {
        at.map(|at| {
            self.integer(at)
                .ok_or_else(|| wrong_type(self.nodes[at].start as usize))
        })
        .transpose()
    }

    /// The integer at `at`, which must fit a `u32` (an index); `None` for
    /// absent.
    pub(crate) fn small_at(&self, at: Option<At>) -> Result<Option<u32>, Error> {
        at.map(|at| {
            self.integer(at)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| wrong_type(self.nodes[at].start as usize))
        })
        .transpose()
    }

    /// Whether the object at `at` has a member, read or skipped.
    pub(crate) fn has_members(&self, at: At) -> Result<bool, Error> {
        let node = &self.nodes[at];
        if node.kind != Kind::Object {
            return Err(wrong_type(node.start as usize));
        }
        let inner = &self.input[node.start as usize + 1..node.end as usize];
        Ok(inner.trim_ascii_start().first() != Some(&b'}'))
    }

    /// A lookup of a member the reader skips would find nothing: in tests,
    /// a decoder that reads a name missing from the reader's names fails.
    fn check_wanted(&self, key: &str) {
        debug_assert!(
            self.wanted.names.contains(&key) || self.wanted.names.is_empty(),
            "the reader skips members named {key:?}: add it to its filter"
        );
    }

    /// The `(key, value)` positions of the object's members that are read.
    fn members(&self, at: At) -> Result<Members<'_, 't>, Error> {
        let node = &self.nodes[at];
        if node.kind != Kind::Object {
            return Err(wrong_type(node.start as usize));
        }
        Ok(Members {
            doc: self,
            at: at + 1,
            end: (node.next as usize),
        })
    }

    /// The element positions of the array at `at`; `None` is empty.
    pub(crate) fn elements(&self, at: Option<At>) -> Result<Elements<'_, 't>, Error> {
        let Some(at) = at else {
            return Ok(Elements {
                doc: self,
                at: 0,
                end: 0,
            });
        };
        let node = &self.nodes[at];
        if node.kind != Kind::Array {
            return Err(wrong_type(node.start as usize));
        }
        Ok(Elements {
            doc: self,
            at: at + 1,
            end: (node.next as usize),
        })
    }

    /// The object at `at`, or `None` for absent or `null`.
    pub(crate) fn object(&self, at: Option<At>) -> Result<Option<At>, Error> {
        match at.map(|at| &self.nodes[at]) {
            None => Ok(None),
            Some(node) if node.kind == Kind::Object => Ok(at),
            Some(node) => Err(wrong_type(node.start as usize)),
        }
    }

    /// The member `key` of the object at `at`, which must be an object.
    pub(crate) fn get_object(&self, at: Option<At>, key: &str) -> Result<Option<At>, Error> {
        self.object(self.get(at, key)?)
    }

    /// The string member `key` of the object at `at`, decoded.
    pub(crate) fn str(&self, at: Option<At>, key: &str) -> Result<Option<&'t str>, Error> {
        self.string(self.get(at, key)?)
    }

    /// The string at `at`, decoded; `None` for absent.
    pub(crate) fn string(&self, at: Option<At>) -> Result<Option<&'t str>, Error> {
        match at {
            None => Ok(None),
            Some(at) => match self.text(at) {
                Some(text) => Ok(Some(text)),
                None => Err(wrong_type(self.nodes[at].start as usize)),
            },
        }
    }

    /// Whether the value at `at` is a string.
    pub(crate) fn is_string(&self, at: At) -> bool {
        self.nodes[at].kind == Kind::String
    }

    /// The non-negative integer member `key` of the object at `at`.
    pub(crate) fn unsigned(&self, at: Option<At>, key: &str) -> Result<Option<u64>, Error> {
        match self.get(at, key)? {
            None => Ok(None),
            Some(value) => self
                .integer(value)
                .map(Some)
                .ok_or_else(|| wrong_type(self.nodes[value].start as usize)),
        }
    }

    /// The member `key` of the object at `at` if it is a string or an
    /// integer (an error `code` is either), `None` for anything else.
    pub(crate) fn code(&self, at: Option<At>, key: &str) -> Result<Option<Code<'t>>, Error> {
        let Some(value) = self.get(at, key)? else {
            return Ok(None);
        };
        let node = &self.nodes[value];
        Ok(match node.kind {
            Kind::String => self.text(value).map(Code::Text),
            Kind::Number => {
                let raw = &self.input[(node.start as usize)..(node.end as usize)];
                std::str::from_utf8(raw)
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .map(Code::Number)
            }
            _ => None,
        })
    }

    /// The value at `at` exactly as the payload wrote it.
    pub(crate) fn raw(&self, at: At) -> &'t str {
        let node = &self.nodes[at];
        // The reader checked the payload's UTF-8 inside strings, and outside
        // them only ASCII is allowed, so this never fails.
        std::str::from_utf8(&self.input[(node.start as usize)..(node.end as usize)])
            .unwrap_or("null")
    }

    /// The name at `at`: raw bytes when it has no escape, so that looking a
    /// member up costs no UTF-8 check, else its decoded text.
    #[inline]
    fn name(&self, at: At) -> &'t [u8] {
        let node = &self.nodes[at];
        let text = if node.escaped {
            self.decoded
                .as_bytes()
                .get((node.next as usize)..(node.decoded_end as usize))
        } else {
            self.input
                .get((node.start as usize) + 1..(node.end as usize) - 1)
        };
        text.unwrap_or_default()
    }

    /// A string's decoded text; `None` if the value is not a string.
    fn text(&self, at: At) -> Option<&'t str> {
        let node = &self.nodes[at];
        if node.kind != Kind::String {
            return None;
        }
        if node.escaped {
            return self
                .decoded
                .get((node.next as usize)..(node.decoded_end as usize));
        }
        // Checked by the reader; the check here is the price of no `unsafe`.
        simdutf8::basic::from_utf8(&self.input[(node.start as usize) + 1..(node.end as usize) - 1])
            .ok()
    }

    /// A non-negative integer that fits `u64`.
    fn integer(&self, at: At) -> Option<u64> {
        let node = &self.nodes[at];
        if node.kind != Kind::Number {
            return None;
        }
        let digits = &self.input[(node.start as usize)..(node.end as usize)];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        digits.iter().try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    }

    /// The index just past the value at `at` and everything in it.
    fn after(&self, at: At) -> usize {
        let node = &self.nodes[at];
        match node.kind {
            Kind::Object | Kind::Array => node.next as usize,
            _ => at + 1,
        }
    }
}

/// The members of an object that are read: `(key, value)` positions.
pub(crate) struct Members<'d, 't> {
    doc: &'d Doc<'t>,
    at: usize,
    end: usize,
}

impl Iterator for Members<'_, '_> {
    type Item = (At, At);

    fn next(&mut self) -> Option<(At, At)> {
        if self.at >= self.end {
            return None;
        }
        let key = self.at;
        let value = key + 1;
        self.at = self.doc.after(value);
        Some((key, value))
    }
}

/// The elements of an array.
pub(crate) struct Elements<'d, 't> {
    doc: &'d Doc<'t>,
    at: usize,
    end: usize,
}

impl Iterator for Elements<'_, '_> {
    type Item = At;

    fn next(&mut self) -> Option<At> {
        if self.at >= self.end {
            return None;
        }
        let value = self.at;
        self.at = self.doc.after(value);
        Some(value)
    }
}

/// An error code as upstream sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code<'a> {
    /// A string code (`"rate_limit_exceeded"`).
    Text(&'a str),
    /// A numeric code (`429`).
    Number(i64),
}

#[cfg(test)]
mod tests {
    use super::{EventReader, Names};
    use crate::{Error, ErrorKind};

    static NONE: Names = Names::of(&[]);
    static KEPT: Names = Names::of(&["type", "u", "keep"]);

    /// Reads `doc` laying out every member.
    fn reads(doc: &[u8]) -> Result<(), Error> {
        EventReader::new(&Names::ALL).read(doc).map(drop)
    }

    /// Reads `doc` skipping every member's value.
    fn skips(doc: &[u8]) -> Result<(), Error> {
        EventReader::new(&NONE).read(doc).map(drop)
    }

    /// The reader accepts exactly what serde_json accepts, on every
    /// JSONTestSuite file (`y_`, `n_` and the implementation-defined `i_`),
    /// but numbers out of `f64` range, which it never converts: laying each
    /// file out, and skipping it whole as the value of a member nobody
    /// reads.
    #[test]
    fn agrees_with_serde_json_on_json_test_suite() {
        let root = std::env::var_os("ARGSTREAM_TESTDATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data").into());
        let Ok(dir) = std::fs::read_dir(root.join("JSONTestSuite/test_parsing")) else {
            eprintln!("skipping: JSONTestSuite not found (set ARGSTREAM_TESTDATA)");
            return;
        };
        let mut checked = 0;
        for entry in dir {
            let path = entry.unwrap().path();
            let doc = std::fs::read(&path).unwrap();
            let wrapped = [&b"{\"skipped\":"[..], &doc, b"}"].concat();
            for (doc, got) in [(&doc, reads(&doc)), (&wrapped, skips(&wrapped))] {
                match serde_json::from_slice::<serde_json::Value>(doc) {
                    Ok(_) => assert!(got.is_ok(), "{}: {got:?}", path.display()),
                    Err(e) if e.to_string().starts_with("number out of range") => {}
                    Err(e) => assert!(got.is_err(), "{}: serde_json says {e}", path.display()),
                }
            }
            checked += 1;
        }
        assert!(checked > 300);
    }

    #[test]
    fn errors_name_the_byte_whether_read_or_skipped() {
        let cases: [(&[u8], ErrorKind, u64); 11] = [
            (br#"{"a":1,}"#, ErrorKind::UnexpectedByte, 7),
            (br#"{"a":"\q"}"#, ErrorKind::InvalidEscape, 7),
            (br#"{"a":01}"#, ErrorKind::InvalidNumber, 6),
            (br#"{"a":tru}"#, ErrorKind::InvalidLiteral, 8),
            (br#"{"a":1} x"#, ErrorKind::TrailingContent, 8),
            (br#"{"a":"#, ErrorKind::Truncated, 5),
            (b"{\"a\":\"\xff\"}", ErrorKind::InvalidUtf8, 6),
            (b"{\"a\":\"\x01\"}", ErrorKind::ControlCharacter, 6),
            (br#"{"a" 1}"#, ErrorKind::UnexpectedByte, 5),
            (br#"{"a":{"b":[1 2]}}"#, ErrorKind::UnexpectedByte, 13),
            (br#"{"a":{"b":[1}}"#, ErrorKind::UnexpectedByte, 12),
        ];
        for (doc, kind, offset) in cases {
            for error in [reads(doc).unwrap_err(), skips(doc).unwrap_err()] {
                assert_eq!(
                    (error.kind(), error.offset()),
                    (kind, offset),
                    "{:?}",
                    String::from_utf8_lossy(doc)
                );
            }
        }
    }

    #[test]
    fn the_depth_limit_is_settable_and_holds_in_skipped_values() {
        let nested = |depth: usize| {
            let mut doc = b"{\"a\":".to_vec();
            doc.extend(std::iter::repeat_n(b'[', depth));
            doc.extend(std::iter::repeat_n(b']', depth));
            doc.push(b'}');
            doc
        };
        assert_eq!(reads(&nested(200)).unwrap_err().kind(), ErrorKind::TooDeep);
        assert_eq!(skips(&nested(200)).unwrap_err().kind(), ErrorKind::TooDeep);
        assert!(skips(&nested(100)).is_ok());
        let mut reader = EventReader::new(&NONE);
        reader.set_max_depth(8);
        let error = reader.read(&nested(7)).map(drop).unwrap_err();
        assert_eq!((error.kind(), error.offset()), (ErrorKind::TooDeep, 11));
        assert!(reader.read(&nested(6)).is_ok());
    }

    #[test]
    fn looks_fields_up_with_raw_spans_and_decoded_strings() {
        let doc =
            br#" {"a": {"b": [1, "x\u00e9", null, {"c": true}]}, "s": "p\"q", "a": {"n": 42}} "#;
        let mut reader = EventReader::new(&Names::ALL);
        let doc = reader.read(doc).unwrap();
        let root = Some(doc.root().unwrap());
        assert_eq!(doc.unsigned(doc.get(root, "a").unwrap(), "n"), Ok(Some(42)));
        assert_eq!(doc.str(root, "s"), Ok(Some("p\"q")));
        assert_eq!(doc.raw(doc.get(root, "s").unwrap().unwrap()), r#""p\"q""#);
        assert_eq!(doc.str(root, "missing"), Ok(None));
        assert!(doc.str(root, "a").is_err(), "an object is not a string");
    }

    /// A skipped member leaves no trace but in its object's raw text; the
    /// members around it, and a key with an escape, are read.
    #[test]
    fn skips_what_no_decoder_reads() {
        let payload = br#"{"skip": {"type": "x", "n": [1, {"type": 2}]}, "type": "t", "u": {"keep": 1, "skip": "y"}, "\u0073kip": 3}"#;
        let mut reader = EventReader::new(&KEPT);
        let doc = reader.read(payload).unwrap();
        let root = doc.root().unwrap();
        assert_eq!(doc.str(Some(root), "type"), Ok(Some("t")));
        let u = doc.get_object(Some(root), "u").unwrap();
        assert_eq!(doc.unsigned(u, "keep"), Ok(Some(1)));
        assert!(doc.has_members(u.unwrap()).unwrap());
        assert_eq!(doc.raw(u.unwrap()), r#"{"keep": 1, "skip": "y"}"#);
        // `type`, `u` and the escaped name, which the table never sees.
        assert_eq!(doc.members(root).unwrap().count(), 3);
    }
}
