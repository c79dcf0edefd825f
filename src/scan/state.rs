//! The scanner's states and its structural transition function: everything
//! outside strings, numbers and literals, which have their own small machines.

use smallvec::SmallVec;

use super::number::Num;
use super::plain::plain_prefix;
use super::{Event, KeyScanner, ValueKind};
use crate::error::{Error, ErrorKind};

/// Where the scanner stands between two bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Before the root value.
    Root,
    /// After `:`, or after `,` in an array: a value must follow.
    Value,
    /// After `[`: a value or `]`.
    ArrayStart,
    /// After `{`: a key or `}`.
    ObjectStart,
    /// After `,` in an object: a key must follow.
    Key,
    /// After a key: `:` must follow.
    Colon,
    /// After a value inside a container: `,` or the container's closing bracket.
    AfterValue,
    /// The root value is complete: only whitespace may follow.
    Done,
    /// Inside a string; the lexer state is kept beside.
    Str(Role),
    /// Inside a number.
    Number(Num),
    /// Inside `true`, `false` or `null`, with `matched` bytes of `word` read.
    Literal { word: &'static [u8], matched: u8 },
}

impl State {
    /// Whether the state is between tokens, where [`KeyScanner::structure`]
    /// reads.
    fn is_structural(self) -> bool {
        !matches!(
            self,
            State::Str(_) | State::Number(_) | State::Literal { .. }
        )
    }
}

/// What a string being read is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A key of the root object: decoded as it goes, to match the targets.
    TopKey,
    /// A key of a nested object: checked, never matched.
    NestedKey,
    /// The value of target key number `key`: handed out as spans.
    Target { key: u16 },
    /// Any other string value: checked, not kept.
    Plain,
}

/// The open arrays and objects, one bit each (1 for an object), so memory is
/// depth / 8 bytes whatever the input, and nothing recurses.
#[derive(Clone, Debug)]
pub(crate) struct Nesting {
    bits: SmallVec<[u64; 2]>,
    depth: usize,
    /// The innermost container's bit, kept beside the stack: every comma
    /// and closing bracket asks for it.
    top_is_object: bool,
}

impl Nesting {
    pub(crate) fn new() -> Nesting {
        Nesting {
            bits: SmallVec::new(),
            depth: 0,
            top_is_object: false,
        }
    }

    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    pub(crate) fn clear(&mut self) {
        self.bits.clear();
        self.depth = 0;
        self.top_is_object = false;
    }

    fn push(&mut self, object: bool) {
        let (word, bit) = (self.depth / 64, self.depth % 64);
        if word == self.bits.len() {
            self.bits.push(0);
        }
        if object {
            self.bits[word] |= 1 << bit;
        } else {
            self.bits[word] &= !(1 << bit);
        }
        self.depth += 1;
        self.top_is_object = object;
    }

    /// Whether the innermost open container is an object; `None` at the root.
    pub(crate) fn in_object(&self) -> Option<bool> {
        (self.depth > 0).then_some(self.top_is_object)
    }

    fn pop(&mut self) {
        self.depth -= 1;
        self.top_is_object = match self.depth.checked_sub(1) {
            Some(top) => self.bits[top / 64] >> (top % 64) & 1 == 1,
            None => false,
        };
    }
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where the whitespace that starts at `pos` ends. The one space after a
/// colon of pretty-printed JSON is taken here; longer runs in
/// [`whitespace_run`].
#[inline]
fn skip_whitespace(input: &[u8], pos: usize) -> usize {
    match input.get(pos) {
        Some(b' ') if input.get(pos + 1).is_some_and(|&b| !is_whitespace(b)) => pos + 1,
        Some(&b) if is_whitespace(b) => whitespace_run(input, pos),
        _ => pos,
    }
}

/// Where the run of whitespace at `pos` ends. Pretty-printed JSON puts a
/// newline and a run of spaces before nearly every key: the run is tested
/// eight bytes at a time, each byte compared with the four whitespace bytes
/// at once, and its end is the first byte that matches none (the word's
/// lowest in little-endian order). Kept out of line, so compact documents,
/// which rarely come here, keep their loops tight.
#[inline(never)]
fn whitespace_run(input: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Bit 7 of each byte of the result is set exactly when that byte of `x`
    // is not zero: no carry crosses into the next byte.
    let nonzero = |x: u64| (((x & (ONES * 0x7F)) + ONES * 0x7F) | x) & (ONES * 0x80);
    while let Some(word) = input
        .get(pos..pos + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    {
        let x = u64::from_le_bytes(word);
        let other = nonzero(x ^ (ONES * u64::from(b' ')))
            & nonzero(x ^ (ONES * u64::from(b'\n')))
            & nonzero(x ^ (ONES * u64::from(b'\t')))
            & nonzero(x ^ (ONES * u64::from(b'\r')));
        if other != 0 {
            return pos + other.trailing_zeros() as usize / 8;
        }
        pos += 8;
    }
    while input.get(pos).is_some_and(|&b| is_whitespace(b)) {
        pos += 1;
    }
    pos
}

impl KeyScanner {
    /// The structural gear: reads from `self.pos` between tokens, taking
    /// runs of whitespace and punctuation, literals and short plain strings
    /// in one loop, until an event is found, the input ends, a number
    /// begins (its reader stays inlined in [`run`](KeyScanner::run), where
    /// number-heavy documents want it), or a string needs the lexer (a
    /// top-level key, a target value, an escape, a byte outside printable
    /// ASCII, or a string cut by the input's end).
    ///
    /// Pretty-printed JSON has more whitespace than anything else outside
    /// its strings, and its keys and values are mostly a few plain words; a
    /// round trip through [`run`](KeyScanner::run) and the string lexer for
    /// each cost more than their bytes.
    pub(super) fn structure(&mut self, input: &[u8]) -> Result<Option<Event>, Error> {
        loop {
            self.pos = skip_whitespace(input, self.pos);
            let Some(&b) = input.get(self.pos) else {
                return Ok(None);
            };
            let mut event = self.structural(b)?;
            if event.is_none() {
                event = match self.state {
                    State::Str(role @ (Role::NestedKey | Role::Plain)) => {
                        self.short_plain_string(input, role)
                    }
                    State::Literal { word, matched } => self.literal(input, word, matched)?,
                    _ => None,
                };
            }
            if event.is_some() || !self.state.is_structural() {
                return Ok(event);
            }
        }
    }

    /// At the first text byte of a string that is neither a top-level key
    /// nor a target value: reads it whole when its first 64 bytes or fewer
    /// are printable ASCII other than `\\` up to the closing quote, and
    /// returns what its end completes. Otherwise reads the plain bytes and
    /// leaves the rest to the lexer, whose state is still plain text.
    fn short_plain_string(&mut self, input: &[u8], role: Role) -> Option<Event> {
        let rest = &input[self.pos..];
        let len = plain_prefix(rest, 64);
        if rest.get(len) != Some(&b'"') {
            self.pos += len;
            return None;
        }
        self.pos += len + 1;
        match role {
            // A key is nearly always followed by its colon at once: the
            // transition from `Colon` on `:`, without a turn of the loop.
            Role::NestedKey if input.get(self.pos) == Some(&b':') => {
                self.pos += 1;
                self.state = State::Value;
                None
            }
            Role::NestedKey => {
                self.state = State::Colon;
                None
            }
            _ => {
                let event = self.value_done();
                // And a value by its comma: the transition from `AfterValue`.
                if event.is_none() && input.get(self.pos) == Some(&b',') {
                    self.pos += 1;
                    self.state = self.after_comma();
                }
                event
            }
        }
    }

    /// The structural transition: reads the byte `b` at `self.pos`, which is
    /// not whitespace, in any state but `Str`, `Number` and `Literal`, and
    /// says which event, if any, it completes.
    fn structural(&mut self, b: u8) -> Result<Option<Event>, Error> {
        use State::*;
        let event = match (self.state, b) {
            (ArrayStart, b']') => self.close(),
            (Root | Value | ArrayStart, _) => return self.begin_value(b),
            (ObjectStart | Key, b'"') => {
                self.begin_key();
                None
            }
            (ObjectStart, b'}') => self.close(),
            (Colon, b':') => {
                self.state = Value;
                None
            }
            (AfterValue, b',') => {
                self.state = self.after_comma();
                None
            }
            (AfterValue, b'}') if self.nesting.in_object() == Some(true) => self.close(),
            (AfterValue, b']') if self.nesting.in_object() == Some(false) => self.close(),
            (Done, _) => return Err(self.error_here(ErrorKind::TrailingContent)),
            _ => return Err(self.error_here(ErrorKind::UnexpectedByte)),
        };
        self.pos += 1;
        Ok(event)
    }

    /// The state after a comma between values: a key in an object, a value
    /// in an array.
    fn after_comma(&self) -> State {
        if self.nesting.in_object() == Some(true) {
            State::Key
        } else {
            State::Value
        }
    }

    /// The first byte of a value. A target key's value announces itself here.
    fn begin_value(&mut self, b: u8) -> Result<Option<Event>, Error> {
        let target = self.target.take();
        let kind = match b {
            b'{' | b'[' => {
                if self.nesting.depth() + 1 >= self.max_depth {
                    return Err(self.error_here(ErrorKind::TooDeep));
                }
                let object = b == b'{';
                self.nesting.push(object);
                self.state = if object {
                    State::ObjectStart
                } else {
                    State::ArrayStart
                };
                if object {
                    ValueKind::Object
                } else {
                    ValueKind::Array
                }
            }
            b'"' => {
                self.pos += 1;
                let Some(key) = target else {
                    self.state = State::Str(Role::Plain);
                    return Ok(None);
                };
                self.state = State::Str(Role::Target { key });
                self.text_start = self.pos;
                let occurrence = self.count_occurrence(key);
                return Ok(Some(Event::ValueStart {
                    key: usize::from(key),
                    occurrence,
                }));
            }
            b'-' | b'0'..=b'9' => {
                self.state = State::Number(Num::start(b));
                ValueKind::Number
            }
            b't' | b'f' | b'n' => {
                let (word, kind): (&'static [u8], _) = match b {
                    b't' => (b"true", ValueKind::Bool),
                    b'f' => (b"false", ValueKind::Bool),
                    _ => (b"null", ValueKind::Null),
                };
                self.state = State::Literal { word, matched: 1 };
                kind
            }
            _ => return Err(self.error_here(ErrorKind::UnexpectedByte)),
        };
        self.pos += 1;
        Ok(target.map(|key| Event::NonString {
            key: usize::from(key),
            occurrence: self.count_occurrence(key),
            kind,
        }))
    }

    fn begin_key(&mut self) {
        let role = if self.nesting.depth() == 1 {
            self.key_text.clear();
            Role::TopKey
        } else {
            Role::NestedKey
        };
        self.state = State::Str(role);
    }

    /// Closes the innermost container (the caller checked it is the right one).
    fn close(&mut self) -> Option<Event> {
        self.nesting.pop();
        self.value_done()
    }

    /// A value just ended: the document is complete if it was the root.
    pub(super) fn value_done(&mut self) -> Option<Event> {
        if self.nesting.depth() == 0 {
            self.state = State::Done;
            Some(Event::Complete)
        } else {
            self.state = State::AfterValue;
            None
        }
    }

    /// Bumps the occurrence count of target `key`, returning the old count.
    fn count_occurrence(&mut self, key: u16) -> u32 {
        let count = &mut self.occurrences[usize::from(key)];
        let seen = *count;
        *count = count.saturating_add(1);
        seen
    }

    #[cold]
    pub(super) fn error_here(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.pos as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_whitespace_agrees_with_a_byte_loop() {
        let bytes = [b' ', b'\t', b'\n', b'\r', b'"', b'1'];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..20_000 {
            let mut input = Vec::new();
            while input.len() < 40 {
                let seed = crate::scan::tests::xorshift(&mut seed);
                // Mostly spaces, in runs of any length, as indentation is.
                let b = bytes[(seed % 8) as usize % bytes.len()];
                let run = if b == b' ' { (seed >> 8) % 20 } else { 1 };
                input.extend(std::iter::repeat_n(b, run as usize));
                if seed.is_multiple_of(7) {
                    break;
                }
            }
            for pos in 0..=input.len() {
                let expected = input[pos..]
                    .iter()
                    .position(|&b| !is_whitespace(b))
                    .map_or(input.len(), |i| pos + i);
                assert_eq!(skip_whitespace(&input, pos), expected, "{input:?} at {pos}");
            }
        }
    }
}
