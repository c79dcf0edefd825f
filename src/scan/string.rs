//! Strings: the lexer that walks string text across fragment boundaries, the
//! [`Span`] it hands out, and the decoder that turns a span into text.
//!
//! A string is read in two gears. The fast gear looks for the next `"` or `\`
//! (a plain loop over a short fragment, `memchr2` over a long one) and checks
//! the run before it in bulk (no control characters, valid UTF-8), steps over
//! an escape that is whole in the input, and takes the rest of a UTF-8
//! character cut by the last fragment's end once it has arrived. The slow
//! gear steps one byte at a time through escapes and surrogate pairs cut by
//! the end of a fragment, escapes in keys (whose text is matched), and bytes
//! the fast gear refused, to find out why; its state survives between calls,
//! so no byte is read twice.

use super::plain::{lanes_of, short_plain_prefix};
use crate::error::{Error, ErrorKind};

/// A byte range of a target value's raw JSON string text, in the caller's
/// buffer.
///
/// A span never cuts an escape sequence, the two `\uXXXX` halves of a surrogate
/// pair, or a UTF-8 character, so its bytes can be copied as they are into
/// another JSON string, or decoded on their own. Spans of one value, in order,
/// concatenate to the value's raw text without its quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) escaped: bool,
    /// Every raw byte is ASCII (escapes may still stand for other characters).
    pub(crate) ascii: bool,
}

impl Span {
    /// The first byte of the span in the caller's buffer.
    pub fn start(&self) -> usize {
        self.start
    }

    /// One past the last byte of the span in the caller's buffer.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The span as a range, for slicing the buffer.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// The length of the raw text in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span is empty (the scanner never emits empty spans).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether the raw text holds a backslash escape. A span without one is
    /// its own decoded text.
    pub fn is_escaped(&self) -> bool {
        self.escaped
    }

    /// The raw JSON string text: valid inside a JSON string as it is.
    /// Empty if `input` is not the buffer the span came from and is too short.
    pub fn raw<'a>(&self, input: &'a [u8]) -> &'a [u8] {
        input.get(self.range()).unwrap_or_default()
    }

    /// The text borrowed from the buffer, when the span has no escape.
    ///
    /// Costs one UTF-8 check of the span's bytes (the crate has no `unsafe`).
    /// `None` for an escaped span, or when `input` is not the buffer the span
    /// came from.
    pub fn as_str<'a>(&self, input: &'a [u8]) -> Option<&'a str> {
        if self.escaped {
            return None;
        }
        std::str::from_utf8(input.get(self.range())?).ok()
    }

    /// The decoded text: borrowed from `input` when the span has no escape,
    /// otherwise decoded into `scratch` (cleared first), which the caller
    /// reuses from span to span so decoding allocates only while `scratch`
    /// grows.
    ///
    /// # Errors
    /// Only when `input` is not the buffer the span came from: then the bytes
    /// may not be valid string text, and the error says why and where.
    pub fn decode<'a>(&self, input: &'a [u8], scratch: &'a mut String) -> Result<&'a str, Error> {
        if let Some(text) = self.as_str(input) {
            return Ok(text);
        }
        scratch.clear();
        self.decode_into(input, scratch)?;
        Ok(scratch)
    }

    /// Appends the decoded text to `out`.
    ///
    /// # Errors
    /// As for [`decode`](Span::decode).
    pub fn decode_into(&self, input: &[u8], out: &mut String) -> Result<(), Error> {
        let Some(raw) = input.get(self.range()) else {
            return Err(Error::new(ErrorKind::BufferShrunk, input.len() as u64));
        };
        // Whether the bytes are ASCII is known only for the buffer the span
        // came from, and `input` may be another: check them.
        decode_string_text(raw, self.start as u64, false, out)
    }
}

/// Decodes complete raw JSON string text (no quotes) and appends it to `out`.
/// `base` is the offset of `raw[0]`, for errors. With `ascii`, the caller
/// knows every byte is ASCII, so the runs between escapes are appended
/// without a UTF-8 check.
pub(crate) fn decode_string_text(
    raw: &[u8],
    base: u64,
    ascii: bool,
    out: &mut String,
) -> Result<(), Error> {
    let mut at = 0;
    while at < raw.len() {
        let run_end = backslash(&raw[at..]).map_or(raw.len(), |i| at + i);
        let run = &raw[at..run_end];
        if ascii {
            push_ascii(run, out);
        } else {
            match std::str::from_utf8(run) {
                Ok(text) => out.push_str(text),
                Err(e) => {
                    let offset = base + (at + e.valid_up_to()) as u64;
                    return Err(Error::new(ErrorKind::InvalidUtf8, offset));
                }
            }
        }
        if run_end == raw.len() {
            break;
        }
        let (ch, len) = decode_escape(&raw[run_end..], base + run_end as u64)?;
        out.push(ch);
        at = run_end + len;
    }
    Ok(())
}

/// Decodes the raw text (no quotes) of a string whose bytes have been
/// checked as JSON string text, appending the bytes it stands for to `out`:
/// the runs between escapes copied whole, found a word at a time, and the
/// one-character escapes written as their byte. `base` is the offset of
/// `raw[0]`, for errors. The runs are not checked again: the caller checks
/// the UTF-8 of `out` once, for every string it decoded.
pub(crate) fn decode_checked_text(raw: &[u8], base: u64, out: &mut Vec<u8>) -> Result<(), Error> {
    out.reserve(raw.len());
    let mut at = 0;
    loop {
        let run_end = next_backslash(raw, at);
        out.extend_from_slice(&raw[at..run_end]);
        if run_end == raw.len() {
            return Ok(());
        }
        match raw.get(run_end + 1).copied().and_then(simple_escape) {
            Some(ch) => {
                out.push(ch as u8);
                at = run_end + 2;
            }
            None => {
                let (ch, len) = decode_escape(&raw[run_end..], base + run_end as u64)?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                at = run_end + len;
            }
        }
    }
}

/// The index of the first `\\` in `bytes` from `at`, or the length: eight
/// bytes a step, then one at a time.
fn next_backslash(bytes: &[u8], mut at: usize) -> usize {
    while let Some(word) = bytes
        .get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    {
        let found = lanes_of(u64::from_le_bytes(word), b'\\');
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let rest = bytes.get(at..).unwrap_or_default();
    rest.iter()
        .position(|&b| b == b'\\')
        .map_or(bytes.len(), |i| at + i)
}

/// Appends bytes known to be ASCII to `out`. Without `unsafe` a `&str` costs
/// a UTF-8 check; a short run is cheaper to push a character at a time, and
/// a long one is checked at the standard library's ASCII speed, a word at a
/// time, which costs less than the copy. Were a byte not ASCII after all, a
/// short run would get the character of its low seven bits and a long one
/// each byte's Latin-1 character: wrong text, never undefined behaviour.
// Always inlined, like `scan`, `whole_escape` and `hex4`: with a second
// caller in the chunk walker the compiler kept them out of line, and the
// scanner's per-fragment and per-escape paths paid for the calls.
#[inline(always)]
pub(crate) fn push_ascii(run: &[u8], out: &mut String) {
    if run.len() <= 16 {
        for &b in run {
            // The mask tells the compiler what the caller knows: one byte
            // of UTF-8 each, so `push` needs no encoding.
            out.push(char::from(b & 0x7F));
        }
    } else {
        match std::str::from_utf8(run) {
            Ok(text) => out.push_str(text),
            Err(_) => out.extend(run.iter().map(|&b| char::from(b))),
        }
    }
}

/// Decodes one escape at the start of `raw` (which begins with `\`), with
/// both halves of a surrogate pair. Returns the character and the bytes used.
fn decode_escape(raw: &[u8], offset: u64) -> Result<(char, usize), Error> {
    let bad = |kind| Error::new(kind, offset);
    let ch = match raw.get(1) {
        Some(&b) if b != b'u' => simple_escape(b).ok_or_else(|| bad(ErrorKind::InvalidEscape))?,
        Some(_) => {
            let high = hex4(raw.get(2..6)).ok_or_else(|| bad(ErrorKind::InvalidEscape))?;
            if !is_high_surrogate(high) {
                let ch =
                    char::from_u32(u32::from(high)).ok_or_else(|| bad(ErrorKind::LoneSurrogate))?;
                return Ok((ch, 6));
            }
            if raw.get(6..8) != Some(b"\\u") {
                return Err(bad(ErrorKind::LoneSurrogate));
            }
            let low = hex4(raw.get(8..12)).ok_or_else(|| bad(ErrorKind::InvalidEscape))?;
            let ch = combine_surrogates(high, low).ok_or_else(|| bad(ErrorKind::LoneSurrogate))?;
            return Ok((ch, 12));
        }
        None => return Err(bad(ErrorKind::InvalidEscape)),
    };
    Ok((ch, 2))
}

/// The character a one-letter escape stands for.
pub(crate) fn simple_escape(b: u8) -> Option<char> {
    Some(match b {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// The length of the whole, valid escape at the start of `raw` (which
/// begins with `\\`), with both halves of a surrogate pair; `None` when it is
/// cut by the end of `raw` or invalid. What [`decode_escape`] accepts,
/// without making the character: the fast gear only steps over escapes.
#[inline(always)]
fn whole_escape(raw: &[u8]) -> Option<usize> {
    match raw.get(1)? {
        b'u' => {
            let unit = hex4(raw.get(2..6))?;
            if !is_high_surrogate(unit) {
                return (!is_low_surrogate(unit)).then_some(6);
            }
            if raw.get(6..8) != Some(b"\\u") {
                return None;
            }
            is_low_surrogate(hex4(raw.get(8..12))?).then_some(12)
        }
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        _ => None,
    }
}

/// The value of four hex digits.
#[inline(always)]
fn hex4(digits: Option<&[u8]>) -> Option<u16> {
    let [a, b, c, d] = <[u8; 4]>::try_from(digits?).ok()?;
    let digit = |x: u8| hex_value(x).map(u16::from);
    Some(digit(a)? << 12 | digit(b)? << 8 | digit(c)? << 4 | digit(d)?)
}

/// The value of one hex digit.
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub(crate) fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..=0xDBFF).contains(&unit)
}

pub(crate) fn is_low_surrogate(unit: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
}

/// The character of a high and a low surrogate, or `None` if `low` is not one.
pub(crate) fn combine_surrogates(high: u16, low: u16) -> Option<char> {
    if !is_low_surrogate(low) {
        return None;
    }
    let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
    char::from_u32(code)
}

/// Where the lexer stands inside a string, between any two bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lex {
    /// Ordinary text.
    Text,
    /// After a backslash.
    Escape,
    /// After `\u` and `digits` hex digits whose value so far is `value`.
    Hex { digits: u8, value: u16 },
    /// After a high surrogate escape: a `\` must follow.
    LowBackslash { high: u16 },
    /// After a high surrogate and `\`: a `u` must follow.
    LowU { high: u16 },
    /// Inside the low half's hex digits.
    LowHex { high: u16, digits: u8, value: u16 },
    /// Inside a UTF-8 character: `need` continuation bytes are missing and the
    /// next one must lie in `lo..=hi` (RFC 3629's table, which rules out
    /// overlong forms, surrogates and code points past U+10FFFF).
    Utf8 { need: u8, lo: u8, hi: u8 },
}

/// What one call of [`StringLexer::scan`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// The closing quote, at this index.
    Closed(usize),
    /// The input ran out inside the string.
    Exhausted,
}

/// Decoded text of a string being read, for key matching. Holds at most
/// `cap` bytes; a longer key cannot match any target, so the rest is dropped.
#[derive(Debug)]
pub(crate) struct KeyText {
    bytes: smallvec::SmallVec<[u8; 32]>,
    cap: usize,
    overflow: bool,
}

impl KeyText {
    pub(crate) fn new(cap: usize) -> KeyText {
        KeyText {
            bytes: smallvec::SmallVec::with_capacity(cap),
            cap,
            overflow: false,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.overflow = false;
    }

    fn push_bytes(&mut self, bytes: &[u8]) {
        if self.overflow || self.bytes.len() + bytes.len() > self.cap {
            self.overflow = true;
        } else {
            self.bytes.extend_from_slice(bytes);
        }
    }

    fn push_char(&mut self, ch: char) {
        self.push_bytes(ch.encode_utf8(&mut [0; 4]).as_bytes());
    }

    /// The whole decoded key, or `None` if it outgrew every target.
    pub(crate) fn get(&self) -> Option<&[u8]> {
        (!self.overflow).then_some(&self.bytes[..])
    }
}

/// The string lexer: its state, and where the unit it is inside (an escape,
/// a surrogate pair, a UTF-8 character) began, so a span can stop before it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StringLexer {
    pub(crate) lex: Lex,
    pub(crate) unit_start: usize,
    /// An escape was completed since the last [`take_escaped`](Self::take_escaped).
    escaped: bool,
    /// A whole character outside ASCII was read since the last
    /// [`take_non_ascii`](Self::take_non_ascii).
    non_ascii: bool,
}

impl StringLexer {
    pub(crate) fn new() -> StringLexer {
        StringLexer {
            lex: Lex::Text,
            unit_start: 0,
            escaped: false,
            non_ascii: false,
        }
    }

    /// Where text that is safe to hand out ends, when the input runs out at
    /// `pos`: before any unit still incomplete.
    pub(crate) fn safe_end(&self, pos: usize) -> usize {
        if self.lex == Lex::Text {
            pos
        } else {
            self.unit_start
        }
    }

    /// Whether an escape was completed since the last call: the text up to
    /// [`safe_end`](Self::safe_end) holds a backslash then. Clears the flag.
    pub(crate) fn take_escaped(&mut self) -> bool {
        std::mem::take(&mut self.escaped)
    }

    /// Whether a whole character outside ASCII was read since the last call:
    /// the text up to [`safe_end`](Self::safe_end) holds one then. Clears the
    /// flag.
    pub(crate) fn take_non_ascii(&mut self) -> bool {
        std::mem::take(&mut self.non_ascii)
    }

    /// Reads string text from `*pos` until the closing quote or the end of
    /// `input`, checking it as JSON requires. Decoded text goes to `key` when
    /// the string is a key that may match.
    #[inline(always)]
    pub(crate) fn scan(
        &mut self,
        input: &[u8],
        pos: &mut usize,
        mut key: Option<&mut KeyText>,
    ) -> Result<Scanned, Error> {
        while *pos < input.len() {
            if self.lex == Lex::Text {
                let rest = &input[*pos..];
                let plain = short_plain_prefix(rest);
                let (run, ok) = if matches!(rest.get(plain), None | Some(b'"' | b'\\')) {
                    (plain, plain)
                } else {
                    let tail = &rest[plain..];
                    let run = plain + quote_or_backslash(tail).unwrap_or(tail.len());
                    let (ok, non_ascii) = check_run(&rest[plain..run]);
                    self.non_ascii |= non_ascii;
                    (run, plain + ok)
                };
                if let Some(key) = key.as_deref_mut() {
                    key.push_bytes(&rest[..ok]);
                }
                *pos += ok;
                if ok < run {
                    // A control character, bad UTF-8, or a character cut by the
                    // end of the input: the slow gear finds out which.
                    self.step(input[*pos], *pos, key.as_deref_mut())?;
                    *pos += 1;
                    continue;
                }
                match rest.get(run) {
                    Some(b'"') => return Ok(Scanned::Closed(*pos)),
                    Some(_) if key.is_none() => match whole_escape(&rest[run..]) {
                        // A whole, valid escape outside a key has nothing to
                        // decode or wait for: the fast gear steps over it.
                        // A cut or bad one goes to the slow gear, which waits
                        // for the rest or reports it at the right offset.
                        Some(len) => {
                            self.escaped = true;
                            *pos += len;
                        }
                        None => self.begin_escape(pos),
                    },
                    Some(_) => self.begin_escape(pos),
                    None => return Ok(Scanned::Exhausted),
                }
            } else if let Some(tail) = self.rest_of_char(&input[*pos..]) {
                // The rest of a character cut by the last fragment's end has
                // arrived: take it whole. Bad or missing bytes go to the slow
                // gear, which reports them at the right offset.
                if let Some(key) = key.as_deref_mut() {
                    key.push_bytes(tail);
                }
                self.non_ascii = true;
                self.lex = Lex::Text;
                *pos += tail.len();
            } else {
                self.step(input[*pos], *pos, key.as_deref_mut())?;
                *pos += 1;
            }
        }
        Ok(Scanned::Exhausted)
    }

    /// Inside a UTF-8 character, the bytes of `rest` that complete it, when
    /// they are all there and valid.
    #[inline]
    fn rest_of_char<'a>(&self, rest: &'a [u8]) -> Option<&'a [u8]> {
        let Lex::Utf8 { need, lo, hi } = self.lex else {
            return None;
        };
        let tail = rest.get(..usize::from(need))?;
        let (&first, more) = tail.split_first()?;
        let valid = (lo..=hi).contains(&first) && more.iter().all(|&b| b & 0xC0 == 0x80);
        valid.then_some(tail)
    }

    /// Enters the slow gear at the backslash at `*pos`.
    fn begin_escape(&mut self, pos: &mut usize) {
        self.lex = Lex::Escape;
        self.unit_start = *pos;
        *pos += 1;
    }

    /// The slow gear: one byte at `at`, never a quote or backslash in `Text`
    /// (the fast gear takes those).
    pub(crate) fn step(
        &mut self,
        b: u8,
        at: usize,
        key: Option<&mut KeyText>,
    ) -> Result<(), Error> {
        let fail = |kind| Err(Error::new(kind, at as u64));
        self.lex = match self.lex {
            Lex::Text => match b {
                0x00..=0x1F => return fail(ErrorKind::ControlCharacter),
                0x20..=0x7F => {
                    if let Some(key) = key {
                        key.push_bytes(&[b]);
                    }
                    Lex::Text
                }
                _ => {
                    let Some((need, lo, hi)) = utf8_lead(b) else {
                        return fail(ErrorKind::InvalidUtf8);
                    };
                    if let Some(key) = key {
                        key.push_bytes(&[b]);
                    }
                    self.unit_start = at;
                    Lex::Utf8 { need, lo, hi }
                }
            },
            Lex::Utf8 { need, lo, hi } => {
                if !(lo..=hi).contains(&b) {
                    return fail(ErrorKind::InvalidUtf8);
                }
                if let Some(key) = key {
                    key.push_bytes(&[b]);
                }
                if need == 1 {
                    // Counted when whole, as a span never holds half of one.
                    self.non_ascii = true;
                    Lex::Text
                } else {
                    Lex::Utf8 {
                        need: need - 1,
                        lo: 0x80,
                        hi: 0xBF,
                    }
                }
            }
            Lex::Escape => {
                if b == b'u' {
                    Lex::Hex {
                        digits: 0,
                        value: 0,
                    }
                } else {
                    let Some(ch) = simple_escape(b) else {
                        return fail(ErrorKind::InvalidEscape);
                    };
                    if let Some(key) = key {
                        key.push_char(ch);
                    }
                    self.escaped = true;
                    Lex::Text
                }
            }
            Lex::Hex { digits, value } => {
                let Some(d) = hex_value(b) else {
                    return fail(ErrorKind::InvalidEscape);
                };
                let value = value << 4 | u16::from(d);
                if digits < 3 {
                    Lex::Hex {
                        digits: digits + 1,
                        value,
                    }
                } else if is_high_surrogate(value) {
                    Lex::LowBackslash { high: value }
                } else {
                    // A low surrogate with no high one before it is refused at
                    // the escape's backslash, like serde_json refuses it.
                    let Some(ch) = char::from_u32(u32::from(value)) else {
                        return Err(Error::new(ErrorKind::LoneSurrogate, self.unit_start as u64));
                    };
                    if let Some(key) = key {
                        key.push_char(ch);
                    }
                    self.escaped = true;
                    Lex::Text
                }
            }
            Lex::LowBackslash { high } if b == b'\\' => Lex::LowU { high },
            Lex::LowU { high } if b == b'u' => Lex::LowHex {
                high,
                digits: 0,
                value: 0,
            },
            Lex::LowBackslash { .. } | Lex::LowU { .. } => {
                return Err(Error::new(ErrorKind::LoneSurrogate, self.unit_start as u64));
            }
            Lex::LowHex {
                high,
                digits,
                value,
            } => {
                let Some(d) = hex_value(b) else {
                    return fail(ErrorKind::InvalidEscape);
                };
                let value = value << 4 | u16::from(d);
                if digits < 3 {
                    Lex::LowHex {
                        high,
                        digits: digits + 1,
                        value,
                    }
                } else {
                    let Some(ch) = combine_surrogates(high, value) else {
                        return Err(Error::new(ErrorKind::LoneSurrogate, self.unit_start as u64));
                    };
                    if let Some(key) = key {
                        key.push_char(ch);
                    }
                    self.escaped = true;
                    Lex::Text
                }
            }
        };
        Ok(())
    }
}

/// The index of the first `"` or `\\` in `bytes`.
///
/// Fragments of streamed arguments are often a few bytes long, and for those
/// a plain loop beats `memchr2`, whose vector search costs a dispatch and a
/// setup that only pay over longer text.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 16 {
        bytes.iter().position(|&b| b == b'"' || b == b'\\')
    } else {
        memchr::memchr2(b'"', b'\\', bytes)
    }
}

/// The index of the first `\\` in `bytes`: a plain loop under 16 bytes, as
/// in [`quote_or_backslash`], since spans of streamed text are often that
/// short.
fn backslash(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 16 {
        bytes.iter().position(|&b| b == b'\\')
    } else {
        memchr::memchr(b'\\', bytes)
    }
}

/// For a UTF-8 lead byte: how many continuation bytes follow, and the range
/// the first of them must lie in (RFC 3629, section 4).
fn utf8_lead(b: u8) -> Option<(u8, u8, u8)> {
    Some(match b {
        0xC2..=0xDF => (1, 0x80, 0xBF),
        0xE0 => (2, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
        0xED => (2, 0x80, 0x9F),
        0xF0 => (3, 0x90, 0xBF),
        0xF1..=0xF3 => (3, 0x80, 0xBF),
        0xF4 => (3, 0x80, 0x8F),
        _ => return None,
    })
}

/// How many leading bytes of `run` (which holds no `"` or `\`) are good
/// string text, ending on a character boundary, and whether a byte outside
/// ASCII is among them.
///
/// Prose is mostly ASCII, so one pass first skips the printable ASCII prefix;
/// only from the first other byte on are control characters and UTF-8 checked.
fn check_run(run: &[u8]) -> (usize, bool) {
    let Some(at) = first_not_printable_ascii(run) else {
        return (run.len(), false);
    };
    let rest = &run[at..];
    let clean = first_control(rest).unwrap_or(rest.len());
    let valid = valid_utf8_prefix(&rest[..clean]);
    // The byte at `at` is a control character (never taken) or the lead
    // byte of a character outside ASCII.
    (at + valid, valid > 0)
}

/// The length of the longest valid UTF-8 prefix of `bytes`. The common case,
/// all valid, takes simdutf8's vector check; the standard library then finds
/// where a bad or cut character starts.
fn valid_utf8_prefix(bytes: &[u8]) -> usize {
    // Under 64 bytes simdutf8 hands over to the standard library anyway, and
    // a short run is often a fragment cut inside a character: check it once.
    if bytes.len() < 64 {
        return std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), str::len);
    }
    if simdutf8::basic::from_utf8(bytes).is_ok() {
        return bytes.len();
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    }
}

/// The index of the first byte outside printable ASCII (0x20 to 0x7F).
fn first_not_printable_ascii(bytes: &[u8]) -> Option<usize> {
    // `b - 0x20` wraps the control characters up past 0x5F, beside the bytes
    // from 0x80, so one unsigned comparison finds both.
    first_where(bytes, |b| b.wrapping_sub(0x20) >= 0x60)
}

/// The index of the first byte below 0x20.
fn first_control(bytes: &[u8]) -> Option<usize> {
    first_where(bytes, |b| b < 0x20)
}

/// The index of the first byte matching `hit`. Tests 32 bytes at a time with
/// a branch-free fold the compiler turns into vector code.
#[inline(always)]
fn first_where(bytes: &[u8], hit: impl Fn(u8) -> bool) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(32);
    let mut base = 0;
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |seen, &b| seen | hit(b)) {
            break;
        }
        base += 32;
    }
    bytes[base..].iter().position(|&b| hit(b)).map(|i| base + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-a-step search finds the first backslash from every start,
    /// at every place, as a byte loop does.
    #[test]
    fn next_backslash_agrees_with_a_byte_loop() {
        for len in 0..20 {
            for at in 0..=len {
                let mut bytes = vec![b'\\' ^ 1; len];
                if at < len {
                    bytes[at] = b'\\';
                }
                for from in 0..=len {
                    let expected = (from..len).find(|&i| bytes[i] == b'\\').unwrap_or(len);
                    assert_eq!(next_backslash(&bytes, from), expected, "{len} {at} {from}");
                }
            }
        }
    }

    /// Checked text decodes to the bytes `decode_string_text` gives, escapes
    /// of every kind included, and a bad escape is an error at its byte.
    #[test]
    fn checked_text_decodes_as_the_text_decoder_does() {
        for raw in [
            &br#"plain"#[..],
            br#"a\"b\\c\/d\be\ff\ng\rh\ti"#,
            br#"caf\u00e9 \ud83d\ude00 \u2028!"#,
            "caf\u{e9} \\n \u{1F600}".as_bytes(),
            br#"\"\"\"\"\"\"\"\"\"\""#,
        ] {
            let mut text = String::new();
            decode_string_text(raw, 0, false, &mut text).unwrap();
            let mut bytes = Vec::new();
            decode_checked_text(raw, 0, &mut bytes).unwrap();
            assert_eq!(bytes, text.as_bytes());
        }
        let error = decode_checked_text(br"ab\x", 10, &mut Vec::new()).unwrap_err();
        assert_eq!(
            (error.kind(), error.offset()),
            (ErrorKind::InvalidEscape, 12)
        );
    }

    #[test]
    fn byte_searches_find_the_first_in_any_lane() {
        for len in 0..100 {
            for at in 0..len {
                let mut bytes = vec![b'a'; len];
                bytes[at] = 0x1F;
                if at + 3 < len {
                    bytes[at + 3] = 0x00;
                }
                assert_eq!(first_control(&bytes), Some(at));
                for bad in [0x00, 0x1F, 0x80, 0xFF] {
                    let mut text = vec![0x7F; len];
                    text[at] = bad;
                    assert_eq!(first_not_printable_ascii(&text), Some(at));
                }
            }
            assert_eq!(first_control(&vec![0x20; len]), None);
            assert_eq!(first_not_printable_ascii(&vec![b' '; len]), None);
        }
    }

    #[test]
    fn short_searches_agree_with_memchr_at_every_length() {
        for len in 0..40 {
            for at in 0..=len {
                for stop in [b'"', b'\\'] {
                    let mut bytes = vec![b'a'; len];
                    if at < len {
                        bytes[at] = stop;
                    }
                    let expected = memchr::memchr2(b'"', b'\\', &bytes);
                    assert_eq!(quote_or_backslash(&bytes), expected, "{len} {at}");
                    let expected = memchr::memchr(b'\\', &bytes);
                    assert_eq!(backslash(&bytes), expected, "{len} {at}");
                }
            }
        }
    }

    /// What the lexer found, where text safe to hand out ends, whether an
    /// escape and a whole character outside ASCII were seen, and the decoded
    /// key.
    type Outcome = (Result<Scanned, Error>, usize, (bool, bool), Option<Vec<u8>>);

    /// `input` through the slow gear alone, one byte at a time: the plain
    /// path the fast gear must agree with.
    fn scan_by_steps(input: &[u8]) -> Outcome {
        let mut lexer = StringLexer::new();
        let mut key = KeyText::new(64);
        let mut result = Ok(Scanned::Exhausted);
        let mut pos = input.len();
        for (at, &b) in input.iter().enumerate() {
            pos = at;
            if lexer.lex == Lex::Text && b == b'"' {
                result = Ok(Scanned::Closed(at));
                break;
            }
            if lexer.lex == Lex::Text && b == b'\\' {
                lexer.lex = Lex::Escape;
                lexer.unit_start = at;
                continue;
            }
            if let Err(error) = lexer.step(b, at, Some(&mut key)) {
                result = Err(error);
                break;
            }
            pos = input.len();
        }
        let end = lexer.safe_end(pos);
        (
            result,
            end,
            (lexer.escaped, lexer.non_ascii),
            key.get().map(<[u8]>::to_vec),
        )
    }

    /// `input` through [`StringLexer::scan`] in one piece, as a key or not.
    fn scan_whole(input: &[u8], as_key: bool) -> Outcome {
        let mut lexer = StringLexer::new();
        let mut key = KeyText::new(64);
        let mut pos = 0;
        let result = lexer.scan(input, &mut pos, as_key.then_some(&mut key));
        let end = lexer.safe_end(pos);
        let key = as_key.then(|| key.get().map(<[u8]>::to_vec)).flatten();
        (result, end, (lexer.escaped, lexer.non_ascii), key)
    }

    /// `input` through [`StringLexer::scan`] as a key, in two pieces cut at
    /// `cut`.
    fn scan_in_two(input: &[u8], cut: usize) -> Outcome {
        let mut lexer = StringLexer::new();
        let mut key = KeyText::new(64);
        let mut pos = 0;
        let result = match lexer.scan(&input[..cut], &mut pos, Some(&mut key)) {
            Ok(Scanned::Exhausted) => lexer.scan(input, &mut pos, Some(&mut key)),
            done => done,
        };
        let end = lexer.safe_end(pos);
        (
            result,
            end,
            (lexer.escaped, lexer.non_ascii),
            key.get().map(<[u8]>::to_vec),
        )
    }

    #[test]
    fn fast_gear_agrees_with_the_slow_gear() {
        let alphabet = [
            b'a', b'"', b'\\', b'u', b'0', b'D', b'8', b'n', 0x01, 0x7F, 0xC3, 0xA9, 0xE4, 0xFF,
        ];
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=4 {
            let mut longer = Vec::new();
            for input in inputs.iter().filter(|input| input.len() == len - 1) {
                for &b in &alphabet {
                    longer.push([&input[..], &[b]].concat());
                }
            }
            inputs.extend(longer);
        }
        // Longer mixes, to cross the short loop's limit and the searches'
        // blocks, from a fixed-seed generator.
        let pieces: [&[u8]; 14] = [
            b"ab",
            b"plain text ",
            br"\n",
            br"\u00e9",
            br"\ud83d\ude00",
            "é".as_bytes(),
            "中".as_bytes(),
            "😀".as_bytes(),
            b"\"",
            b"\x01",
            br"\x",
            br"\ud800x",
            b"\xe4\xb8",
            b"\t",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        for _ in 0..20_000 {
            let mut input = Vec::new();
            while input.len() < 40 {
                let seed = crate::scan::tests::xorshift(&mut seed);
                input.extend_from_slice(pieces[(seed % 14) as usize]);
                if seed.is_multiple_of(5) {
                    break;
                }
            }
            inputs.push(input);
        }
        for input in &inputs {
            let slow = scan_by_steps(input);
            let key = scan_whole(input, true);
            assert_eq!(key, slow, "{input:?} as a key");
            for cut in 0..input.len() {
                assert_eq!(scan_in_two(input, cut), slow, "{input:?} cut at {cut}");
            }
            let (result, end, flags, _) = slow;
            assert_eq!(
                scan_whole(input, false),
                (result, end, flags, None),
                "{input:?}"
            );
        }
    }

    #[test]
    fn check_run_stops_at_the_first_bad_byte() {
        assert_eq!(check_run(b"plain"), (5, false));
        let mixed = "café 中文 😀".as_bytes();
        assert_eq!(check_run(mixed), (mixed.len(), true));
        assert_eq!(check_run(b"ab\x01cd"), (2, false));
        assert_eq!(check_run(b"ab\xc3\xa9\x01"), (4, true));
        assert_eq!(check_run(b"ab\xe4\xb8"), (2, false));
        assert_eq!(check_run(b"ab\xffcd"), (2, false));
        let long = [vec![b'a'; 100], vec![0x7F, 0x0A]].concat();
        assert_eq!(check_run(&long), (101, false));
    }

    #[test]
    fn decode_handles_every_escape() {
        let mut out = String::new();
        let raw = br#"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00z"#;
        for ascii in [false, true] {
            out.clear();
            decode_string_text(raw, 0, ascii, &mut out).unwrap();
            assert_eq!(out, "a\"\\/\u{8}\u{c}\n\r\té\u{1F600}z");
        }
    }

    #[test]
    fn whole_escape_accepts_what_decode_escape_accepts() {
        let tails: [&[u8]; 12] = [
            b"",
            b"n",
            b"x",
            b"u",
            b"u00e",
            b"u00e9",
            b"uD83D",
            b"ud83d\\u",
            b"ud83d\\ude0",
            b"ud83d\\ude00",
            b"udc00",
            b"ud83d\\u0041",
        ];
        for tail in tails {
            for extra in [&b""[..], b"z", b"\\n"] {
                let raw = [&b"\\"[..], tail, extra].concat();
                let expected = decode_escape(&raw, 0).ok().map(|(_, len)| len);
                assert_eq!(whole_escape(&raw), expected, "{raw:?}");
            }
        }
        for b in 0..=255u8 {
            let raw = [b'\\', b];
            let expected = decode_escape(&raw, 0).ok().map(|(_, len)| len);
            assert_eq!(whole_escape(&raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn decode_refuses_broken_text_without_panicking() {
        for raw in [
            &br"\"[..],
            br"\u12",
            br"\ud800",
            br"\ud800\u0041",
            br"\x",
            b"\xff",
        ] {
            assert!(decode_string_text(raw, 0, false, &mut String::new()).is_err());
        }
    }
}
