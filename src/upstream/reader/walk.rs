//! The walk: one pass over an event's JSON that checks all of it and lays
//! out the members the table names.

use crate::scan::number::{self, Num, Read};
use crate::scan::plain::plain_words;
use crate::scan::string::{Scanned, StringLexer, decode_checked_text};
use crate::{Error, ErrorKind};

use super::doc::Doc;
use super::names::{NO_NAME, Names};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
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
pub(super) struct Node {
    pub(super) kind: Kind,
    /// A string with escapes, decoded into the reader's buffer.
    pub(super) escaped: bool,
    /// A member name: its id in the reader's [`Names`].
    pub(super) name: u8,
    /// The value's first byte (a string's opening quote).
    pub(super) start: u32,
    /// Just past the value's last byte.
    pub(super) end: u32,
    /// A container: the index just past its last node. A string with
    /// escapes: where its decoded text starts in the decoded buffer.
    pub(super) next: u32,
    /// A string with escapes: where its decoded text ends.
    pub(super) decoded_end: u32,
}

/// An open bracket: its node, or [`SKIPPED`] for one walked without a
/// layout.
#[derive(Clone, Copy, Debug)]
struct Open {
    node: u32,
    object: bool,
}

/// The node of a container that is walked without a layout.
const SKIPPED: u32 = u32::MAX;

/// A member's name read: where its value starts, to be read as the walk
/// reads its value; or, its value walked already without a layout (no
/// decoder reads it), the index past that value.
enum Member {
    Read(usize),
    Skipped(usize),
}

/// The nodes and open brackets a reader makes room for at its first event:
/// a chat chunk lays out some 30 nodes, nested four deep.
const NODES_AT_FIRST: usize = 64;
const OPEN_AT_FIRST: usize = 16;

/// Reads payloads with buffers that are reused.
#[derive(Debug)]
pub(crate) struct EventReader {
    nodes: Vec<Node>,
    open: Vec<Open>,
    decoded: Vec<u8>,
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
            decoded: Vec::new(),
            wanted,
            // The key scanner's default, which is serde_json's.
            max_depth: crate::scan::DEFAULT_MAX_DEPTH,
        }
    }

    /// Lays out the members `wanted` names from the next payload on.
    pub(crate) fn set_names(&mut self, wanted: &'static Names) {
        self.wanted = wanted;
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
        // The basic check, which tells no offset, is the quicker; were it
        // ever to fail, the one that does tells where.
        let text = match simdutf8::basic::from_utf8(payload) {
            Ok(text) => text,
            Err(_) => simdutf8::compat::from_utf8(payload)
                .map_err(|error| Error::new(ErrorKind::InvalidUtf8, error.valid_up_to() as u64))?,
        };
        // The decoded strings: their runs were checked in the payload and
        // their escapes as they were decoded, so this check never fails
        // either.
        let decoded = match self.decoded.is_empty() {
            true => "",
            false => match simdutf8::basic::from_utf8(&self.decoded) {
                Ok(decoded) => decoded,
                Err(_) => return Err(Error::new(ErrorKind::InvalidUtf8, 0)),
            },
        };
        Ok(Doc {
            text,
            nodes: &self.nodes,
            decoded,
            wanted: self.wanted,
        })
    }

    /// The pass: the root value, then nothing but space.
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
        let end = self.value::<true>(input, skip_space(input, 0))?;
        let end = skip_space(input, end);
        if end == input.len() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::TrailingContent, end as u64))
        }
    }

    /// The value at `pos` and everything in it, checked: returns the index
    /// just past it. Each value, then what may follow it (a comma, a
    /// closing bracket, the value's end), then a member's name when a comma
    /// in an object calls for one, in the order JSON has them, with no
    /// state to dispatch on between them. With `LAY_OUT`, the value is laid
    /// out, and so are its members whose names the table holds; the others'
    /// values are walked without it, as is everything in them.
    fn value<const LAY_OUT: bool>(&mut self, input: &[u8], mut pos: usize) -> Result<usize, Error> {
        let fail = |kind, at: usize| Err(Error::new(kind, at as u64));
        // The brackets open around the value, which its end closes again.
        let around = self.open.len();
        'value: loop {
            // A value starts at `pos`.
            let Some(&b) = input.get(pos) else {
                return fail(ErrorKind::Truncated, pos);
            };
            pos = match b {
                b'"' => {
                    let (end, escapes) = lex_string(input, pos)?;
                    if LAY_OUT {
                        self.push_string(input, pos, end, escapes)?;
                    }
                    end
                }
                b'{' | b'[' => {
                    if self.open.len() + 1 >= self.max_depth {
                        return fail(ErrorKind::TooDeep, pos);
                    }
                    let object = b == b'{';
                    let node = if LAY_OUT {
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
                        (true, _) => match self.member::<LAY_OUT>(input, inner)? {
                            Member::Read(value) => {
                                pos = value;
                                continue 'value;
                            }
                            Member::Skipped(end) => end,
                        },
                        (false, _) => {
                            pos = inner;
                            continue 'value;
                        }
                    }
                }
                b'-' | b'0'..=b'9' => {
                    let end = number_end(input, pos, b)?;
                    if LAY_OUT {
                        self.push(Kind::Number, pos, end);
                    }
                    end
                }
                // Space before a value: most JSON has none after a colon,
                // so it is looked for only where the value would start.
                b' ' | b'\n' | b'\r' | b'\t' => {
                    pos = skip_space(input, pos + 1);
                    continue 'value;
                }
                b't' => self.literal::<LAY_OUT>(input, pos, b"true", Kind::True)?,
                b'f' => self.literal::<LAY_OUT>(input, pos, b"false", Kind::False)?,
                b'n' => self.literal::<LAY_OUT>(input, pos, b"null", Kind::Null)?,
                _ => return fail(ErrorKind::UnexpectedByte, pos),
            };
            // A value ended just before `pos`: what follows it.
            loop {
                if self.open.len() == around {
                    // The walk's own value ended.
                    return Ok(pos);
                }
                let Some(&top) = self.open.last() else {
                    return Ok(pos);
                };
                pos = skip_space(input, pos);
                match input.get(pos) {
                    Some(b',') => {
                        let next = skip_space(input, pos + 1);
                        if !top.object {
                            pos = next;
                            continue 'value;
                        }
                        match self.member::<LAY_OUT>(input, next)? {
                            Member::Read(value) => {
                                pos = value;
                                continue 'value;
                            }
                            Member::Skipped(end) => pos = end,
                        }
                    }
                    Some(b'}') if top.object => pos = self.close(pos),
                    Some(b']') if !top.object => pos = self.close(pos),
                    Some(_) => return fail(ErrorKind::UnexpectedByte, pos),
                    None => return fail(ErrorKind::Truncated, pos),
                }
            }
        }
    }

    /// A member's name at `pos` and its colon (the space after is skipped
    /// where the value is read). With
    /// `LAY_OUT`, a name the table holds is laid out, and the member's value
    /// is to be read where it starts; any other member's value is walked
    /// here without a layout.
    #[inline(always)]
    fn member<const LAY_OUT: bool>(&mut self, input: &[u8], pos: usize) -> Result<Member, Error> {
        match input.get(pos) {
            Some(b'"') => {}
            Some(_) => return Err(Error::new(ErrorKind::UnexpectedByte, pos as u64)),
            None => return Err(Error::new(ErrorKind::Truncated, pos as u64)),
        }
        let short = if LAY_OUT {
            self.wanted.short_name(input, pos)
        } else {
            None
        };
        let (end, read) = match short {
            Some((end, id)) => (end, self.plain_name(pos, end, id)),
            None => self.long_name::<LAY_OUT>(input, pos)?,
        };
        let colon = skip_space(input, end);
        let value = match input.get(colon) {
            Some(b':') => colon + 1,
            Some(_) => return Err(Error::new(ErrorKind::UnexpectedByte, colon as u64)),
            None => return Err(Error::new(ErrorKind::Truncated, colon as u64)),
        };
        if read {
            Ok(Member::Read(value))
        } else {
            self.skip(input, value).map(Member::Skipped)
        }
    }

    /// The value at `pos` of a member no decoder reads, walked without a
    /// layout: returns the index just past it. A scalar (a string, the
    /// commonest, a number, a `null`) or an empty array is read at once,
    /// without the walk's setup.
    #[inline(never)]
    fn skip(&mut self, input: &[u8], pos: usize) -> Result<usize, Error> {
        match input.get(pos) {
            Some(b'"') => lex_string(input, pos).map(|(end, _)| end),
            Some(&b @ (b'-' | b'0'..=b'9')) => number_end(input, pos, b),
            Some(b'n') => self.literal::<false>(input, pos, b"null", Kind::Null),
            // An empty array (the `logprobs` of a Responses delta) within
            // the nesting limit, which the walk would refuse as it does.
            Some(b'[')
                if input.get(pos + 1) == Some(&b']') && self.open.len() + 1 < self.max_depth =>
            {
                Ok(pos + 2)
            }
            _ => self.value::<false>(input, pos),
        }
    }

    /// A name [`Names::short_name`] does not take (longer, escaped, past
    /// ASCII, or inside a value walked without a layout), through the
    /// lexer: returns the index past its closing quote, and whether the
    /// member's value is to be read.
    fn long_name<const LAY_OUT: bool>(
        &mut self,
        input: &[u8],
        pos: usize,
    ) -> Result<(usize, bool), Error> {
        let (end, escapes) = lex_string(input, pos)?;
        if !LAY_OUT {
            return Ok((end, true));
        }
        if escapes != Escapes::None {
            self.push_string(input, pos, end, escapes)?;
            self.name_last_decoded();
            return Ok((end, true));
        }
        let id = self.wanted.id(&input[pos + 1..end - 1]);
        Ok((end, self.plain_name(pos, end, id)))
    }

    /// Lays out the name from its quote at `pos` to just past its closing
    /// quote at `end`, with its `id`, when the table holds it: returns
    /// whether it does, so that its value is read.
    #[inline(always)]
    fn plain_name(&mut self, pos: usize, end: usize, id: u8) -> bool {
        if id == NO_NAME && !self.wanted.all {
            return false;
        }
        self.push_named(Kind::String, pos, end, id);
        true
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        self.push_named(kind, start, end, NO_NAME);
    }

    /// Lays out a value, or a member's name with its id.
    #[inline(always)]
    fn push_named(&mut self, kind: Kind, start: usize, end: usize, name: u8) {
        self.nodes.push(Node {
            kind,
            start: start as u32,
            end: end as u32,
            next: 0,
            decoded_end: 0,
            escaped: false,
            name,
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
        escapes: Escapes,
    ) -> Result<(), Error> {
        self.push(Kind::String, open, end);
        if escapes == Escapes::None {
            return Ok(());
        }
        self.decode_last(input)
    }

    /// Gives the member name just laid out and decoded its id. A name with
    /// an escape is laid out whether or not the table holds it: its value
    /// is read with no id when it does not.
    #[inline(never)]
    fn name_last_decoded(&mut self) {
        if let Some(node) = self.nodes.last_mut() {
            let decoded = &self.decoded[node.next as usize..node.decoded_end as usize];
            node.name = self.wanted.id(decoded);
        }
    }

    /// Decodes the escaped string just laid out: its runs were checked as
    /// it was lexed, and the whole buffer's UTF-8 is checked once, when the
    /// walk is done.
    #[inline(never)]
    fn decode_last(&mut self, input: &[u8]) -> Result<(), Error> {
        let Some(&Node { start, end, .. }) = self.nodes.last() else {
            return Ok(());
        };
        let from = self.decoded.len();
        let text = start as usize + 1..end as usize - 1;
        decode_checked_text(&input[text], u64::from(start) + 1, &mut self.decoded)?;
        if let Some(node) = self.nodes.last_mut() {
            node.next = from as u32;
            node.decoded_end = self.decoded.len() as u32;
            node.escaped = true;
        }
        Ok(())
    }

    /// The literal `word` at `at`, checked: compared whole, and byte by
    /// byte only to find where one that is not `word` goes wrong.
    #[inline(always)]
    fn literal<const LAY_OUT: bool>(
        &mut self,
        input: &[u8],
        at: usize,
        word: &[u8],
        kind: Kind,
    ) -> Result<usize, Error> {
        if input.get(at..at + word.len()) != Some(word) {
            return Err(literal_error(input, at, word));
        }
        if LAY_OUT {
            self.push(kind, at, at + word.len());
        }
        Ok(at + word.len())
    }
}

/// Why the bytes at `at` are not the literal `word`: the first byte that
/// differs, or the end of the input.
#[cold]
fn literal_error(input: &[u8], at: usize, word: &[u8]) -> Error {
    for (i, &want) in word.iter().enumerate() {
        match input.get(at + i) {
            Some(&b) if b == want => {}
            Some(_) => return Error::new(ErrorKind::InvalidLiteral, (at + i) as u64),
            None => return Error::new(ErrorKind::Truncated, input.len() as u64),
        }
    }
    // Not reached: the literal is there whole.
    Error::new(ErrorKind::InvalidLiteral, at as u64)
}

/// What a string has that its layout must decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escapes {
    /// No escape: the string is its raw text.
    None,
    /// Escapes, decoded into the reader's buffer.
    Some,
}

/// Checks the string whose opening quote is at `open`: returns the index
/// past its closing quote and what it has to decode.
#[inline]
fn lex_string(input: &[u8], open: usize) -> Result<(usize, Escapes), Error> {
    // Keys and most values are short printable ASCII: the plain run finds
    // their end for less than the lexer's setup. Anything else (an escape, a
    // control character, a byte past ASCII) goes to the lexer from where the
    // run stopped, in its plain-text state.
    let mut pos = plain_words(input, open + 1);
    while let Some(&b) = input.get(pos) {
        match b {
            b'"' => return Ok((pos + 1, Escapes::None)),
            b'\\' | 0x00..=0x1F | 0x80..=0xFF => break,
            _ => pos += 1,
        }
    }
    lex_string_text(input, pos)
}

/// The rest of a string from `pos`, where its plain run stopped, through the
/// key scanner's lexer (the run before it is plain ASCII).
#[inline(never)]
fn lex_string_text(input: &[u8], mut pos: usize) -> Result<(usize, Escapes), Error> {
    let mut lexer = StringLexer::new();
    match lexer.scan(input, &mut pos, None)? {
        Scanned::Closed(close) => {
            let escapes = match lexer.take_escaped() {
                false => Escapes::None,
                true => Escapes::Some,
            };
            Ok((close + 1, escapes))
        }
        Scanned::Exhausted => Err(Error::new(ErrorKind::Truncated, input.len() as u64)),
    }
}

/// Checks the number whose first byte `b` is at `pos`: returns the index
/// just past it.
#[inline(always)]
fn number_end(input: &[u8], pos: usize, b: u8) -> Result<usize, Error> {
    match number::read(input, pos + 1, Num::start(b)) {
        Read::Ended(end) => Ok(end),
        Read::Exhausted(num) if num.is_complete() => Ok(input.len()),
        Read::Exhausted(_) => Err(Error::new(ErrorKind::Truncated, input.len() as u64)),
        Read::Invalid(at) => Err(Error::new(ErrorKind::InvalidNumber, at as u64)),
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
