//! The table of member names a reader lays out, and the one hash that
//! finds a name in it.

use crate::scan::plain::not_plain;

/// The member names a reader lays out, as a table built at compile time
/// that names each of them by a small number, its id, for a few
/// instructions: a slot per name length (below 32) and hash of its words
/// (a name of fewer than 16 bytes read whole in two, a longer one's first
/// and last eight bytes), checked against the name itself. A member whose
/// name is in the table is laid out with its id, so that a lookup compares
/// ids, not bytes; any other member's value is skipped. Two names that
/// share a slot are told apart by comparing their bytes; a name 32 bytes
/// long or more is looked for among the names one by one.
#[derive(Debug)]
pub(crate) struct Names {
    pub(super) names: &'static [&'static str],
    /// The id of the name of each length and hash, at `len << 6 | hash`:
    /// [`NO_NAME`], a name's index plus one, or [`SHARED`].
    pub(super) slots: [u8; SLOTTED << 6],
    /// What mixes a name's words into its slot: an odd multiplier.
    seed: u64,
    /// Each name's [`words`]: a name shorter than 16 bytes read whole in
    /// the walk's words is checked against them in two comparisons.
    words: [[u64; 2]; SHARED as usize],
    /// Which names are laid out: the others keep their ids (a table made
    /// for one format names its members as the table of all formats does)
    /// but are skipped as any unknown name is.
    kept: [bool; SHARED as usize],
    /// Every member is laid out, with no id: tests' readers.
    pub(super) all: bool,
}

/// Each name shorter than this has a slot; a longer one is looked for among
/// the names one by one.
const SLOTTED: usize = 32;

/// A member name the table does not hold.
pub(super) const NO_NAME: u8 = 0;
/// A slot that two names or more share.
pub(super) const SHARED: u8 = u8::MAX;

/// The seeds tried: the odd multiples of the first, itself odd, which
/// spread over all 64 bits (close multipliers would hash alike).
const FIRST_SEED: u64 = 0x9E37_79B9_7F4A_7C15;
const SEEDS: u64 = 1024;

impl Names {
    /// The table of `names` (fewer than 255), with the first seed under
    /// which no two names share a slot, if one does (a test holds the
    /// decoders' table to that).
    pub(crate) const fn of(names: &'static [&'static str]) -> Names {
        Names::of_some(names, &[names])
    }

    /// The table of `names` that lays out only those also in one of the
    /// `kept` lists, each with its id among `names`: what one format's
    /// decoder reads, named as [`of`](Names::of) names it.
    pub(crate) const fn of_some(names: &'static [&'static str], kept: &[&[&str]]) -> Names {
        assert!(names.len() < SHARED as usize, "ids are bytes");
        let mut keep = [false; SHARED as usize];
        let mut i = 0;
        while i < names.len() {
            let mut list = 0;
            while list < kept.len() {
                let mut k = 0;
                while k < kept[list].len() && !keep[i] {
                    keep[i] = same_name(names[i].as_bytes(), kept[list][k].as_bytes());
                    k += 1;
                }
                list += 1;
            }
            i += 1;
        }
        let mut tried = 0;
        loop {
            let seed = FIRST_SEED.wrapping_mul(2 * tried + 1);
            let (slots, shared) = Names::slots(names, &keep, seed);
            tried += 1;
            if !shared || tried == SEEDS {
                let mut words = [[0; 2]; SHARED as usize];
                let mut i = 0;
                while i < names.len() {
                    words[i] = words_of(names[i].as_bytes());
                    i += 1;
                }
                return Names {
                    names,
                    slots,
                    seed,
                    words,
                    kept: keep,
                    all: false,
                };
            }
        }
    }

    /// The slots of `names` under `seed`, and whether two names share one.
    const fn slots(
        names: &[&str],
        keep: &[bool; SHARED as usize],
        seed: u64,
    ) -> ([u8; SLOTTED << 6], bool) {
        let mut slots = [NO_NAME; SLOTTED << 6];
        let mut shared = false;
        let mut i = 0;
        while i < names.len() {
            let name = names[i].as_bytes();
            if keep[i] && name.len() < SLOTTED {
                let slot = &mut slots[slot_of(name.len(), words_of(name), seed)];
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

    /// Every name: a reader that lays everything out.
    #[cfg(test)]
    pub(crate) const ALL: Names = Names {
        names: &[],
        slots: [NO_NAME; SLOTTED << 6],
        seed: FIRST_SEED,
        words: [[0; 2]; SHARED as usize],
        kept: [false; SHARED as usize],
        all: true,
    };

    /// The id of a member named `name` (raw, as the payload writes it, or
    /// decoded), or [`NO_NAME`].
    #[inline]
    pub(super) fn id(&self, name: &[u8]) -> u8 {
        match self.slot(name) {
            NO_NAME => NO_NAME,
            SHARED => self.search(name),
            id if same_bytes(self.names[usize::from(id - 1)].as_bytes(), name) => id,
            _ => NO_NAME,
        }
    }

    /// What the slot of a name of these bytes holds: [`NO_NAME`],
    /// [`SHARED`] (a name too long for a slot is looked for among all), or
    /// the id of the one name there, which may not be this one.
    #[inline(always)]
    const fn slot(&self, name: &[u8]) -> u8 {
        if name.len() < SLOTTED {
            self.slots[slot_of(name.len(), words_of(name), self.seed)]
        } else {
            SHARED
        }
    }

    /// The member name whose opening quote is at `open`, when it is plain
    /// text shorter than 24 bytes whose words are in the payload: where it
    /// ends (past its closing quote) and its id, from the words the walk
    /// reads it in. `None` sends any other name to the lexer.
    #[inline(always)]
    pub(super) fn short_name(&self, input: &[u8], open: usize) -> Option<(usize, u8)> {
        let first = word_at(input, open + 1)?;
        let stops = not_plain(first);
        let (len, first, second) = if stops != 0 {
            let len = (stops.trailing_zeros() / 8) as usize;
            (len, first & low_bytes(len), 0)
        } else {
            let second = word_at(input, open + 9)?;
            let stops = not_plain(second);
            if stops == 0 {
                return self.longer_name(input, open);
            }
            let len = (stops.trailing_zeros() / 8) as usize;
            (8 + len, first, second & low_bytes(len))
        };
        if input.get(open + 1 + len) != Some(&b'"') {
            // An escape, a control character, a byte past ASCII.
            return None;
        }
        let id = match self.slots[slot_of(len, [first, second], self.seed)] {
            NO_NAME => NO_NAME,
            SHARED => self.search(&input[open + 1..open + 1 + len]),
            id if self.words[usize::from(id - 1)] == [first, second] => id,
            _ => NO_NAME,
        };
        Some((open + len + 2, id))
    }

    /// [`short_name`](Names::short_name) for a name of 16 to 23 bytes: its
    /// third word holds its end. Hashed from its first eight bytes and its
    /// last eight, as the table is, and checked against the name whole.
    #[inline(never)]
    fn longer_name(&self, input: &[u8], open: usize) -> Option<(usize, u8)> {
        let stops = not_plain(word_at(input, open + 17)?);
        if stops == 0 {
            return None;
        }
        let len = 16 + (stops.trailing_zeros() / 8) as usize;
        let name = input.get(open + 1..open + 1 + len)?;
        if input.get(open + 1 + len) != Some(&b'"') {
            return None;
        }
        let words = [word_at(name, 0)?, word_at(name, len - 8)?];
        let id = match self.slots[slot_of(len, words, self.seed)] {
            NO_NAME => NO_NAME,
            SHARED => self.search(name),
            id if same_bytes(self.names[usize::from(id - 1)].as_bytes(), name) => id,
            _ => NO_NAME,
        };
        Some((open + len + 2, id))
    }

    /// The [`Key`] of `name`: its id when the table holds it. Made at
    /// compile time by the decoders' [`key!`](crate::upstream::key), so
    /// that their lookups compare ids worked out once.
    pub(crate) const fn key<'k>(&self, name: &'k str) -> Key<'k> {
        let bytes = name.as_bytes();
        let id = match self.slot(bytes) {
            SHARED => self.search(bytes),
            id if id != NO_NAME && same_name(self.names[id as usize - 1].as_bytes(), bytes) => id,
            _ => NO_NAME,
        };
        Key {
            name,
            id: if id == NO_NAME { SHARED } else { id },
        }
    }

    /// The id of `name` by a search through the names.
    #[cold]
    const fn search(&self, name: &[u8]) -> u8 {
        let mut i = 0;
        while i < self.names.len() {
            if self.kept[i] && same_name(self.names[i].as_bytes(), name) {
                return i as u8 + 1;
            }
            i += 1;
        }
        NO_NAME
    }
}

/// A member name a decoder looks up, with its id in the reader's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key<'k> {
    pub(super) name: &'k str,
    /// [`SHARED`] for a name the table lacks, which no member has.
    pub(super) id: u8,
}

impl Key<'_> {
    /// Whether the table holds the name, so that a member of this name is
    /// laid out and can be found.
    pub(crate) const fn is_known(&self) -> bool {
        self.id != SHARED
    }
}

/// Whether `a` and `b` are the same bytes, in a constant context.
pub(crate) const fn same_name(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The two words a name is hashed from: a name shorter than 16 bytes as
/// the walk reads it, in two little-endian words with zeros past its end; a
/// longer one's first eight bytes and its last eight.
const fn words_of(name: &[u8]) -> [u64; 2] {
    let mut padded = [0; 16];
    let (first, last) = if name.len() < 16 {
        padded.split_at_mut(name.len()).0.copy_from_slice(name);
        (padded.first_chunk(), padded.last_chunk())
    } else {
        (name.first_chunk(), name.last_chunk())
    };
    match (first, last) {
        (Some(first), Some(last)) => [u64::from_le_bytes(*first), u64::from_le_bytes(*last)],
        _ => [0; 2],
    }
}

/// The one hash of a name: its length (below [`SLOTTED`]) picks 64 slots,
/// and its [`words`](words_of), mixed by a multiply, one of them.
#[inline(always)]
const fn slot_of(len: usize, words: [u64; 2], seed: u64) -> usize {
    let mixed = (words[0] ^ words[1].rotate_left(29)).wrapping_mul(seed);
    (len % SLOTTED) << 6 | (mixed >> 58) as usize
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
