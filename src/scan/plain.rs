//! The one byte-class fast path of string text, shared by the key scanner
//! and the event reader: which bytes are plain (printable ASCII other than
//! `"` and `\\`, text as it is with nothing to check), found eight at a time
//! with word arithmetic, no `unsafe` and no table. Each function is tested
//! against the plain byte loop it stands for.

/// How many of the first 32 bytes of `bytes` are printable ASCII other
/// than `"` and `\\`: text as it is, with nothing to check.
///
/// Streamed fragments are often three or four bytes of prose, and keys and
/// values of ordinary JSON a few words: one plain loop that stops at a
/// quote, a backslash or any byte to check costs less than the search and
/// the check it replaces, whose setup only pays over longer text.
#[inline]
pub(crate) fn short_plain_prefix(bytes: &[u8]) -> usize {
    plain_prefix(bytes, 32)
}

/// Whether `b` is plain string text: printable ASCII (0x20 to 0x7F) other
/// than `"` and `\\`, which stands for itself and needs no check.
#[inline]
pub(crate) fn is_plain(b: u8) -> bool {
    b.wrapping_sub(0x20) < 0x60 && b != b'"' && b != b'\\'
}

/// How many of the first `limit` bytes of `bytes` are plain ([`is_plain`]):
/// [`plain_words`], then one at a time for the last few.
#[inline]
pub(crate) fn plain_prefix(bytes: &[u8], limit: usize) -> usize {
    let bytes = bytes.get(..limit).unwrap_or(bytes);
    let at = plain_words(bytes, 0);
    let rest = bytes.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .position(|&b| !is_plain(b))
        .unwrap_or(rest.len())
}

/// Skips plain bytes from `pos`, eight at a time: returns the exact place of
/// the first other byte when a whole word of eight holds one, else where
/// the last few bytes, fewer than eight, begin. The loop of the event
/// reader's strings, whose caller's own byte loop finishes the job.
#[inline]
pub(crate) fn plain_words(input: &[u8], mut pos: usize) -> usize {
    while let Some(word) = input.get(pos..pos + 8) {
        let others = not_plain(u64::from_le_bytes(word.try_into().unwrap_or([0; 8])));
        if others != 0 {
            return pos + (others.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    pos
}

/// Whether every byte of `bytes` is plain ([`is_plain`]). Fragments of
/// three to eight bytes are the commonest a model streams: from four bytes
/// on, two overlapping 4-byte words, the first and the last, are tested as
/// one 8-byte word.
#[inline]
pub(crate) fn all_plain_bytes(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if (4..=8).contains(&len) {
        let word = |at: usize| {
            let four = bytes
                .get(at..at + 4)
                .and_then(|w| <[u8; 4]>::try_from(w).ok());
            u64::from(u32::from_le_bytes(four.unwrap_or([b' '; 4])))
        };
        return not_plain(word(0) | word(len - 4) << 32) == 0;
    }
    plain_prefix(bytes, len) == len
}

/// The bytes of `word` (read little-endian) that are not plain, each as the
/// high bit of its lane: a control character, a byte from 0x80, a `"` or a
/// `\\`. The classic tests for "some byte is zero" and "some byte is below
/// n": a lane that matches can make the lanes above it match too (a borrow
/// runs upward), never one below, so the lowest flagged lane is exact and
/// the others are not.
#[inline]
pub(crate) fn not_plain(word: u64) -> u64 {
    // A lane below 0x20 wraps to its high bit; one from 0x80 has it.
    let control_or_outside_ascii = (word.wrapping_sub(ONES * 0x20) | word) & HIGHS;
    control_or_outside_ascii | lanes_of(word, b'"') | lanes_of(word, b'\\')
}

/// The lanes of `word` that hold `byte`, each as its high bit: the test for
/// "some byte is zero" of `word ^ byte`, whose lowest flagged lane is
/// exact (see [`not_plain`]). The one lane test of the crate's word-at-a-time
/// searches.
#[inline(always)]
pub(crate) fn lanes_of(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// A byte of ones, a lane of a word each; and each lane's high bit.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
pub(crate) const HIGHS: u64 = 0x8080_8080_8080_8080;

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs of `a` shorter than `max_len`, each with every byte value at
    /// every position (and with none): `check(bytes, position, byte)`.
    fn every_stop(max_len: usize, mut check: impl FnMut(&[u8], usize, u8)) {
        for len in 0..max_len {
            for at in 0..=len {
                for stop in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    if at < len {
                        bytes[at] = stop;
                    }
                    check(&bytes, at, stop);
                }
            }
        }
    }

    #[test]
    fn all_plain_bytes_agrees_with_a_byte_loop() {
        every_stop(20, |bytes, _, _| {
            let expected = bytes.iter().all(|&b| is_plain(b));
            assert_eq!(all_plain_bytes(bytes), expected, "{bytes:?}");
        });
    }

    #[test]
    fn plain_words_stops_exactly_at_an_other_byte_or_before_the_tail() {
        every_stop(40, |bytes, at, stop| {
            let words = bytes.len() / 8 * 8;
            let expected = match bytes.iter().position(|&b| !is_plain(b)) {
                Some(first) if first < words => first,
                _ => words,
            };
            let got = plain_words(bytes, 0);
            assert_eq!(got, expected, "{} {at} {stop:#x}", bytes.len());
        });
    }

    #[test]
    fn plain_prefix_agrees_with_a_byte_loop() {
        let plain_by_bytes = |bytes: &[u8], limit: usize| {
            let head = &bytes[..bytes.len().min(limit)];
            head.iter()
                .position(|&b| !is_plain(b))
                .unwrap_or(head.len())
        };
        every_stop(40, |bytes, at, stop| {
            for limit in [0, 5, 8, 16, 32, 64] {
                assert_eq!(
                    plain_prefix(bytes, limit),
                    plain_by_bytes(bytes, limit),
                    "{} {at} {stop:#x} {limit}",
                    bytes.len()
                );
            }
        });
        // A stop byte right after bytes whose tests borrow: 0x7F and 0x20.
        let mut bytes = *b"\x7f\x20\x7f\x20\x7f\x20\x7f\x20\x7f\x20\x7f\x20\x7f\x20\x7f\x20";
        assert_eq!(plain_prefix(&bytes, 64), 16);
        bytes[9] = b'"';
        assert_eq!(plain_prefix(&bytes, 64), 9);
        // A control character below a quote: the lowest lane is exact.
        assert_eq!(plain_words(b"ab\x01\"cdefg", 0), 2);
        assert_eq!(plain_words(b"abc\"\x01efg", 0), 3);
    }
}
