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
use crate::scan::plain::{not_plain, plain_words};
use crate::scan::string::{Scanned, StringLexer, decode_string_text};
use crate::{Error, ErrorKind};

/// The member names a reader lays out, as a table built at compile time
/// that names each of them by a small number, its id, for a few
/// instructions: a slot per name length (below 32) and hash of its first,
/// second and last bytes, checked against the name itself. A member whose name is
/// in the table is laid out with its id, so that a lookup compares ids, not
/// bytes; any other member's value is skipped. Two names that share a slot
/// are told apart by comparing their bytes; a name 32 bytes long or more
/// is looked for among the names one by one.
#[derive(Debug)]
pub(crate) struct Names {
    names: &'static [&'static str],
    /// The id of the name of each length and hash: [`NO_NAME`], a name's
    /// index plus one, or [`SHARED`].
    slots: [[u8; 64]; 32],
    /// What mixes a name's bytes into its slot.
    seed: u32,
    /// Each name shorter than 16 bytes as two little-endian words, zero
    /// past its end: a name read whole in the walk's words is checked
    /// against it in two comparisons.
    words: [[u64; 2]; SHARED as usize],
    /// Every member is laid out, with no id: tests' readers.
    all: bool,
}

/// A member name the table does not hold.
const NO_NAME: u8 = 0;
/// A slot that two names or more share.
const SHARED: u8 = u8::MAX;

impl Names {
    /// The table of `names` (fewer than 255), with the first hash seed
    /// from 1 to 255 under which no two names share a slot, if one does
    /// (a test holds the decoders' table to that).
    pub(crate) const fn of(names: &'static [&'static str]) -> Names {
        assert!(names.len() < SHARED as usize, "ids are bytes");
        let mut seed = 1;
        loop {
            let (slots, shared) = Names::slots(names, seed);
            if !shared || seed == 255 {
                return Names {
                    names,
                    slots,
                    seed,
                    words: Names::words(names),
                    all: false,
                };
            }
            seed += 1;
        }
    }

    /// The slots of `names` under `seed`, and whether two names share one.
    const fn slots(names: &[&str], seed: u32) -> ([[u8; 64]; 32], bool) {
        let mut slots = [[NO_NAME; 64]; 32];
        let mut shared = false;
        let mut i = 0;
        while i < names.len() {
            let name = names[i].as_bytes();
            if name.len() < 32 {
                let slot = &mut slots[name.len()][Names::hash(name, seed)];
                if *slot == NO_NAME {
                    *slot = i as u8 + 1;
                } else {
                    *slot = SHARED;
                    shared = true;
                }
            }
            i += 1;
        }
        (slots, shared)
    }

    /// The words of each name shorter than 16 bytes.
    const fn words(names: &[&str]) -> [[u64; 2]; SHARED as usize] {
        let mut words = [[0; 2]; SHARED as usize];
        let mut i = 0;
        while i < names.len() {
            let name = names[i].as_bytes();
            if name.len() < 16 {
                let mut at = 0;
                while at < name.len() {
                    words[i][at / 8] |= (name[at] as u64) << (8 * (at % 8));
                    at += 1;
                }
            }
            i += 1;
        }
        words
    }

    /// Every name: a reader that lays everything out (its list is empty, so
    /// that lookups by any name pass the debug check).
    #[cfg(test)]
    pub(crate) const ALL: Names = Names {
        names: &[],
        slots: [[NO_NAME; 64]; 32],
        seed: 1,
        words: [[0; 2]; SHARED as usize],
        all: true,
    };

    /// A name's slot among those of its length: its first, second and last
    /// bytes, mixed by `seed`, for three bytes or more; its first byte for
    /// one or two (as [`Names::short_name`] mixes them too).
    #[inline(always)]
    const fn hash(name: &[u8], seed: u32) -> usize {
        match name {
            [] => 0,
            [first, second, .., last] => Names::mix(name.len(), *first, *second, *last, seed),
            [first, ..] => Names::mix(name.len(), *first, 0, 0, seed),
        }
    }

    /// The one hash of a name, from its length and its first, second and
    /// last bytes: [`Names::hash`] takes them from a slice, the walk's
    /// [`Names::short_name`] from the words it read the name in. The
    /// second and last bytes count from three bytes on.
    #[inline(always)]
    const fn mix(len: usize, first: u8, second: u8, last: u8, seed: u32) -> usize {
        let mix = match len {
            0 => 0,
            1 | 2 => first as u32,
            _ => (first as u32) + (second as u32).wrapping_mul(seed) + (last as u32) * 3,
        };
        (mix & 63) as usize
    }

    /// The id of a member named `name` (raw, as the payload writes it, or
    /// decoded), or [`NO_NAME`].
    #[inline]
    fn id(&self, name: &[u8]) -> u8 {
        match self.slots.get(name.len()) {
            Some(slots) => match slots[Names::hash(name, self.seed)] {
                NO_NAME => NO_NAME,
                SHARED => self.search(name),
                id if same_bytes(self.names[usize::from(id - 1)].as_bytes(), name) => id,
                _ => NO_NAME,
            },
            None => self.search(name),
        }
    }

    /// The member name whose opening quote is at `open`, when it is plain
    /// text shorter than 16 bytes whose words are in the payload: where it
    /// ends (past its closing quote) and its id, from the words the walk
    /// reads it in. `None` sends any other name to the lexer.
    #[inline(always)]
    fn short_name(&self, input: &[u8], open: usize) -> Option<(usize, u8)> {
        let first = word_at(input, open + 1)?;
        let stops = not_plain(first);
        let (len, first, second) = if stops != 0 {
            let len = (stops.trailing_zeros() / 8) as usize;
            (len, first & low_bytes(len), 0)
        } else {
            let second = word_at(input, open + 9)?;
            let stops = not_plain(second);
            if stops == 0 {
                return None;
            }
            let len = (stops.trailing_zeros() / 8) as usize;
            (8 + len, first, second & low_bytes(len))
        };
        if input.get(open + 1 + len) != Some(&b'"') {
            // An escape, a control character, a byte past ASCII.
            return None;
        }
        let byte = |at: usize| {
            let word = if at < 8 { first } else { second };
            (word >> (8 * (at % 8))) as u8
        };
        let hash = Names::mix(
            len,
            byte(0),
            byte(1),
            byte(len.saturating_sub(1)),
            self.seed,
        );
        let id = match self.slots[len][hash] {
            NO_NAME => NO_NAME,
            SHARED => self.search(&input[open + 1..open + 1 + len]),
            id if self.words[usize::from(id - 1)] == [first, second] => id,
            _ => NO_NAME,
        };
        Some((open + len + 2, id))
    }

    /// The id of `key`, one of the names: no byte is compared unless its
    /// slot is shared.
    /// A key the table does not hold (a decoder's bug, which a debug
    /// assertion catches) gets [`SHARED`], which no member has. Inlined into
    /// each lookup, where the key is a constant the compiler may fold.
    #[inline(always)]
    fn known_id(&self, key: &str) -> u8 {
        let id = match self.slots.get(key.len()) {
            Some(slots) => match slots[Names::hash(key.as_bytes(), self.seed)] {
                SHARED => self.search(key.as_bytes()),
                id => id,
            },
            None => self.search(key.as_bytes()),
        };
        if id == NO_NAME { SHARED } else { id }
    }

    /// The id of `name` by a search through the names.
    #[cold]
    fn search(&self, name: &[u8]) -> u8 {
        self.names
            .iter()
            .position(|known| known.as_bytes() == name)
            .map_or(NO_NAME, |i| i as u8 + 1)
    }
}

/// The eight bytes of `input` from `at` as a little-endian word, if there.
#[inline(always)]
fn word_at(input: &[u8], at: usize) -> Option<u64> {
    input
        .get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map(u64::from_le_bytes)
}

/// The low `len` bytes of a word (`len` below 8).
#[inline(always)]
fn low_bytes(len: usize) -> u64 {
    (1u64 << (8 * len)).wrapping_sub(1)
}

/// Whether `a` and `b`, short member names, are the same bytes: in words
/// that may overlap, without a call to `memcmp`.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    let four = |bytes: &[u8], at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map(u32::from_le_bytes)
    };
    let eight = |bytes: &[u8], at: usize| {
        bytes
            .get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    match len {
        0..4 => a == b,
        4..=8 => four(a, 0) == four(b, 0) && four(a, len - 4) == four(b, len - 4),
        _ => {
            (0..len - 8)
                .step_by(8)
                .all(|at| eight(a, at) == eight(b, at))
                && eight(a, len - 8) == eight(b, len - 8)
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
    /// A member name: its id in the reader's [`Names`].
    name: u8,
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

/// The nodes and open brackets a reader makes room for at its first event:
/// a chat chunk lays out some 30 nodes, nested four deep.
const NODES_AT_FIRST: usize = 64;
const OPEN_AT_FIRST: usize = 16;

/// The walk's `skip_from` while no value is skipped.
const NOT_SKIPPING: usize = usize::MAX;

/// Reads payloads with buffers that are reused.
#[derive(Debug)]
pub(crate) struct EventReader {
    nodes: Vec<Node>,
    open: Vec<Open>,
    decoded: String,
    wanted: &'static Names,
    max_depth: usize,
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
        // The walk checked the UTF-8 of every string, and outside strings
        // it allows only ASCII: this check, once for the whole payload,
        // never fails, and lets every string be a slice of it.
        let text = simdutf8::compat::from_utf8(payload)
            .map_err(|error| Error::new(ErrorKind::InvalidUtf8, error.valid_up_to() as u64))?;
        Ok(Doc {
            text,
            nodes: &self.nodes,
            decoded: &self.decoded,
            wanted: self.wanted,
        })
    }

    /// The pass: a value, then what may follow it (a comma, a closing
    /// bracket, the end), then a member's name when a comma in an object
    /// calls for one, each in the order JSON has them, with no state to
    /// dispatch on between them.
    fn walk(&mut self, input: &[u8]) -> Result<(), Error> {
        if u32::try_from(input.len()).is_err() {
            // Positions are kept in 32 bits; no event is 4 GiB.
            return Err(Error::new(ErrorKind::EventTooLarge, u64::from(u32::MAX)));
        }
        self.nodes.clear();
        self.open.clear();
        self.decoded.clear();
        if self.nodes.capacity() == 0 {
            // A new reader's first event: room for a usual one at once,
            // rather than growing four times on the way.
            self.nodes.reserve(NODES_AT_FIRST);
            self.open.reserve(OPEN_AT_FIRST);
        }
        let fail = |kind, at: usize| Err(Error::new(kind, at as u64));
        let mut pos = skip_space(input, 0);
        // While a member's value is skipped: how many brackets were open
        // when it began. Nothing inside it is laid out.
        let mut skip_from = NOT_SKIPPING;
        'value: loop {
            // A value starts at `pos`.
            let keep = skip_from == NOT_SKIPPING;
            let Some(&b) = input.get(pos) else {
                return fail(ErrorKind::Truncated, pos);
            };
            pos = match b {
                b'"' => {
                    let (end, escaped) = lex_string(input, pos)?;
                    if keep {
                        self.push_string(input, pos, end, escaped)?;
                    }
                    end
                }
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
                            pos = self.name(input, inner, keep, &mut skip_from)?;
                            continue 'value;
                        }
                        (false, _) => {
                            pos = inner;
                            continue 'value;
                        }
                    }
                }
                b'-' | b'0'..=b'9' => {
                    let end = match number::read(input, pos + 1, Num::start(b)) {
                        Read::Ended(end) => end,
                        Read::Exhausted(num) if num.is_complete() => input.len(),
                        Read::Exhausted(_) => return fail(ErrorKind::Truncated, input.len()),
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
            // A value ended just before `pos`: what follows it.
            loop {
                if skip_from == self.open.len() {
                    // The skipped value ended here.
                    skip_from = NOT_SKIPPING;
                }
                pos = skip_space(input, pos);
                let Some(&top) = self.open.last() else {
                    if pos == input.len() {
                        return Ok(());
                    }
                    return fail(ErrorKind::TrailingContent, pos);
                };
                match input.get(pos) {
                    Some(b',') => {
                        let next = skip_space(input, pos + 1);
                        pos = if top.object {
                            let keep = skip_from == NOT_SKIPPING;
                            self.name(input, next, keep, &mut skip_from)?
                        } else {
                            next
                        };
                        continue 'value;
                    }
                    Some(b'}') if top.object => pos = self.close(pos),
                    Some(b']') if !top.object => pos = self.close(pos),
                    Some(_) => return fail(ErrorKind::UnexpectedByte, pos),
                    None => return fail(ErrorKind::Truncated, pos),
                }
            }
        }
    }

    /// A member's name at `pos`, its colon and the space after: returns
    /// where its value starts. With `keep`, a name the table holds is laid
    /// out; any other has its value skipped, which `skip_from` records.
    #[inline(always)]
    fn name(
        &mut self,
        input: &[u8],
        pos: usize,
        keep: bool,
        skip_from: &mut usize,
    ) -> Result<usize, Error> {
        match input.get(pos) {
            Some(b'"') => {}
            Some(_) => return Err(Error::new(ErrorKind::UnexpectedByte, pos as u64)),
            None => return Err(Error::new(ErrorKind::Truncated, pos as u64)),
        }
        let short = if keep {
            self.wanted.short_name(input, pos)
        } else {
            None
        };
        let end = if let Some((end, id)) = short {
            self.plain_name(pos, end, id, skip_from);
            end
        } else {
            self.long_name(input, pos, keep, skip_from)?
        };
        let colon = skip_space(input, end);
        match input.get(colon) {
            Some(b':') => Ok(skip_space(input, colon + 1)),
            Some(_) => Err(Error::new(ErrorKind::UnexpectedByte, colon as u64)),
            None => Err(Error::new(ErrorKind::Truncated, colon as u64)),
        }
    }

    /// A name [`Names::short_name`] does not take (longer, escaped, past
    /// ASCII, or inside a skipped value), through the lexer: returns the
    /// index past its closing quote.
    fn long_name(
        &mut self,
        input: &[u8],
        pos: usize,
        keep: bool,
        skip_from: &mut usize,
    ) -> Result<usize, Error> {
        let (end, escaped) = lex_string(input, pos)?;
        if keep {
            if escaped {
                self.push_string(input, pos, end, true)?;
                self.name_last_decoded();
            } else {
                let id = self.wanted.id(&input[pos + 1..end - 1]);
                self.plain_name(pos, end, id, skip_from);
            }
        }
        Ok(end)
    }

    /// Lays out the name from its quote at `pos` to just past its closing
    /// quote at `end`, with its `id`; or, when the table has no such name,
    /// records in `skip_from` that its value is skipped.
    #[inline(always)]
    fn plain_name(&mut self, pos: usize, end: usize, id: u8, skip_from: &mut usize) {
        if id != NO_NAME || self.wanted.all {
            self.push(Kind::String, pos, end);
            if let Some(node) = self.nodes.last_mut() {
                node.name = id;
            }
        } else {
            *skip_from = self.open.len();
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
            name: NO_NAME,
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

    /// Gives the member name just laid out and decoded its id. A name with
    /// an escape is laid out whether or not the table holds it: its value
    /// is read with no id when it does not.
    #[inline(never)]
    fn name_last_decoded(&mut self) {
        if let Some(node) = self.nodes.last_mut() {
            let decoded = &self.decoded.as_bytes()[node.next as usize..node.decoded_end as usize];
            node.name = self.wanted.id(decoded);
        }
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
    /// The payload, which the reader checked is UTF-8.
    text: &'t str,
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
    #[inline(always)]
    pub(crate) fn get(&self, at: Option<At>, key: &str) -> Result<Option<At>, Error> {
        let [found] = self.pick(at, [key])?;
        Ok(found)
    }

    /// The values of the members `keys` of the object at `at`, in one pass
    /// over its members: the last of repeated keys, `None` for absent or
    /// `null`.
    #[inline(always)]
    pub(crate) fn pick<const N: usize>(
        &self,
        at: Option<At>,
        keys: [&str; N],
    ) -> Result<[Option<At>; N], Error> {
        let mut found = self.pick_with_nulls(at, keys)?;
        for value in &mut found {
            if value.is_some_and(|value| self.nodes[value].kind == Kind::Null) {
                *value = None;
            }
        }
        Ok(found)
    }

    /// As [`pick`](Doc::pick), but a `null` member is found too: for a
    /// format where `null` is a value (Gemini's `nullValue`).
    #[inline(always)]
    pub(crate) fn pick_with_nulls<const N: usize>(
        &self,
        at: Option<At>,
        keys: [&str; N],
    ) -> Result<[Option<At>; N], Error> {
        let mut found = [None; N];
        let Some(at) = at else { return Ok(found) };
        keys.iter().for_each(|key| self.check_wanted(key));
        if self.wanted.all {
            for (name, value) in self.members(at)? {
                let name = self.name(name);
                if let Some(slot) = keys.iter().position(|key| key.as_bytes() == name) {
                    found[slot] = Some(value);
                }
            }
            return Ok(found);
        }
        // Each member's name was told when it was read: ids are compared,
        // not bytes.
        let mut ids = [SHARED; N];
        for (id, key) in ids.iter_mut().zip(keys) {
            *id = self.wanted.known_id(key);
        }
        for (name, value) in self.members(at)? {
            let id = self.nodes[name].name;
            if let Some(slot) = ids.iter().position(|&key| key == id) {
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
        let inner = &self.text.as_bytes()[node.start as usize + 1..node.end as usize];
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

    /// The nodes inside the container at `at`, which must be of `kind`.
    fn inside(&self, at: At, kind: Kind) -> Result<(usize, usize), Error> {
        let node = &self.nodes[at];
        if node.kind != kind {
            return Err(wrong_type(node.start as usize));
        }
        Ok((at + 1, node.next as usize))
    }

    /// The `(key, value)` positions of the object's members that are read.
    fn members(&self, at: At) -> Result<Members<'_, 't>, Error> {
        let (at, end) = self.inside(at, Kind::Object)?;
        Ok(Members { doc: self, at, end })
    }

    /// The element positions of the array at `at`; `None` is empty.
    pub(crate) fn elements(&self, at: Option<At>) -> Result<Elements<'_, 't>, Error> {
        let (at, end) = match at {
            Some(at) => self.inside(at, Kind::Array)?,
            None => (0, 0),
        };
        Ok(Elements { doc: self, at, end })
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
            Kind::Number => self
                .text
                .get((node.start as usize)..(node.end as usize))
                .and_then(|n| n.parse().ok())
                .map(Code::Number),
            _ => None,
        })
    }

    /// The value at `at` exactly as the payload wrote it.
    pub(crate) fn raw(&self, at: At) -> &'t str {
        let node = &self.nodes[at];
        // The reader checked the payload's UTF-8 inside strings, and outside
        // them only ASCII is allowed, so this never fails.
        self.text
            .get((node.start as usize)..(node.end as usize))
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
            self.text
                .as_bytes()
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
        // A string's quotes are ASCII: the slice is on characters' bounds.
        self.text
            .get((node.start as usize) + 1..(node.end as usize) - 1)
    }

    /// A non-negative integer that fits `u64`.
    fn integer(&self, at: At) -> Option<u64> {
        let node = &self.nodes[at];
        if node.kind != Kind::Number {
            return None;
        }
        let digits = &self.text.as_bytes()[(node.start as usize)..(node.end as usize)];
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

    /// Each name of a table has its own id, found from its bytes; a name
    /// the table lacks has none, even one of the same length and ends.
    #[test]
    fn names_have_ids_of_their_own() {
        static TABLE: Names = Names::of(&["created", "call_id", "id", "index", "x", ""]);
        let mut ids: Vec<u8> = TABLE.names.iter().map(|n| TABLE.id(n.as_bytes())).collect();
        assert!(
            ids.iter()
                .all(|&id| id != super::NO_NAME && id != super::SHARED)
        );
        assert!(
            TABLE
                .names
                .iter()
                .all(|n| TABLE.known_id(n) == TABLE.id(n.as_bytes()))
        );
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), TABLE.names.len());
        for stranger in [
            "crested",
            "cxll_id",
            "ib",
            "indey",
            "y",
            "a_name_of_more_than_32_bytes_long",
        ] {
            assert_eq!(TABLE.id(stranger.as_bytes()), super::NO_NAME, "{stranger}");
        }
        assert_eq!(TABLE.known_id("absent"), super::SHARED, "no member has it");
        // The decoders' table: no two names share a slot.
        let decoders = &super::super::READ_BY_A_DECODER;
        for slots in &decoders.slots {
            assert!(!slots.contains(&super::SHARED));
        }
        for name in decoders.names {
            assert_eq!(
                decoders.names[usize::from(decoders.id(name.as_bytes()) - 1)],
                *name
            );
        }
    }

    /// The walk's short names get the ids the lexer's path gives them, and
    /// a name it must not take goes to the lexer.
    #[test]
    fn short_names_have_the_ids_of_long_ones() {
        let table = &super::super::READ_BY_A_DECODER;
        let strangers = [
            "",
            "a",
            "ix",
            "idx",
            "crested",
            "functiom",
            "finish_reasom",
            "x\\u0041",
        ];
        for name in table.names.iter().chain(&strangers) {
            let payload = format!("\"{name}\":1}}                  ");
            let short = table.short_name(payload.as_bytes(), 0);
            if name.len() <= 15 && !name.contains('\\') {
                let (end, id) = short.expect(name);
                assert_eq!(end, name.len() + 2, "{name}");
                assert_eq!(id, table.id(name.as_bytes()), "{name}");
                assert_eq!(id != super::NO_NAME, table.names.contains(name), "{name}");
            } else {
                assert_eq!(short, None, "{name}");
            }
        }
        for odd in [
            "\"caf\u{e9}\":1}                  ",
            "\"a\u{1}b\":1}                  ",
            "\"ab\":1}",
        ] {
            assert_eq!(table.short_name(odd.as_bytes(), 0), None, "{odd:?}");
        }
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
