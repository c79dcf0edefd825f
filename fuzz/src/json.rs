//! A generator of JSON documents aimed at the scanner's hard cases: escapes
//! of every kind, surrogate pairs and lone surrogates, multi-byte UTF-8,
//! nested decoys of the target keys, escaped spellings of the keys, nesting
//! near the depth limit, whitespace everywhere, and a little damage.
//!
//! The tree comes from `arbitrary`; writing it out recurses, but only over
//! the generated tree and never past [`MAX_TREE_DEPTH`]: deep nesting comes
//! from [`Node::Deep`], which writes its brackets in a loop.

use arbitrary::Arbitrary;

/// The keys the generated documents aim at.
pub const KEYS: [&str; 2] = ["pre_exec_msg", "message"];

/// Keys that look like a target but are not one.
const DECOYS: [&str; 10] = [
    "pre_exec_msgs",
    "pre_exec_ms",
    "Pre_exec_msg",
    "pre-exec-msg",
    "pre_exec_msg ",
    " message",
    "messages",
    "messag",
    "MESSAGE",
    "",
];

/// Characters whose UTF-8 takes 2, 3 and 4 bytes, and the edges.
const WIDE: [char; 12] = [
    'é',
    'ß',
    '\u{7ff}',
    '\u{800}',
    '€',
    '\u{2028}',
    '\u{fffd}',
    '\u{ffff}',
    '😀',
    '𝄞',
    '\u{10000}',
    '\u{10ffff}',
];

/// Recursion of the writer stops here; deeper nodes are written as `0`.
pub const MAX_TREE_DEPTH: usize = 160;

/// One generated document.
#[derive(Arbitrary, Debug)]
pub struct Document {
    /// The root object's members.
    pub members: Vec<Member>,
    /// Below 16: the root is the first member's value instead of an object.
    pub root_selector: u8,
    /// Seeds the whitespace between tokens.
    pub layout: u64,
    /// Below 48 (about one document in five): `damage` is applied.
    pub damage_gate: u8,
    /// A small change to the written bytes, to reach refusals near valid text.
    pub damage: Damage,
}

/// One object member.
#[derive(Arbitrary, Debug)]
pub struct Member {
    /// The key.
    pub key: Key,
    /// The value.
    pub value: Node,
}

/// A key: a target spelled in one of many ways, a decoy, or any text.
#[derive(Arbitrary, Debug)]
pub enum Key {
    /// `KEYS[which % 2]`, with the characters whose bit is set in `escapes`
    /// written as `\uXXXX` (hex digits upper case when `upper`).
    Target {
        /// Which target key.
        which: bool,
        /// Which characters to escape.
        escapes: u16,
        /// Upper-case hex digits.
        upper: bool,
    },
    /// The target key itself, plainly.
    Plain(bool),
    /// One of [`DECOYS`].
    Decoy(u8),
    /// Any text.
    Other(Text),
}

/// A JSON value.
#[derive(Arbitrary, Debug)]
pub enum Node {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, maybe malformed, maybe out of `f64` range.
    Number(Number),
    /// A string.
    Str(Text),
    /// An array.
    Array(Vec<Node>),
    /// An object, whose keys may be decoys of the targets.
    Object(Vec<Member>),
    /// `levels` brackets deep (near the 128 limit when `near_limit`), each
    /// level an array or, by a bit of `shape`, an object keyed by a target
    /// name, around `inner`.
    Deep {
        /// How deep.
        levels: u8,
        /// Land within a few levels of 128.
        near_limit: bool,
        /// Per level: array (0) or object (1).
        shape: u128,
        /// The innermost value.
        inner: Box<Node>,
    },
}

/// A number from its parts; `form` below 24 makes it malformed.
#[derive(Arbitrary, Debug)]
pub struct Number {
    /// A leading `-`.
    pub negative: bool,
    /// The integer part.
    pub int: u64,
    /// Digits after the point, if any.
    pub frac: Option<u32>,
    /// The exponent, if any.
    pub exp: Option<i16>,
    /// `e` or `E`, explicit `+` or not; or, below 24, a malformed spelling.
    pub form: u8,
}

/// String text: a sequence of pieces, each its own kind of hard case.
#[derive(Arbitrary, Debug)]
pub struct Text(pub Vec<Piece>);

/// One piece of string text.
#[derive(Arbitrary, Debug)]
pub enum Piece {
    /// A printable ASCII byte (`"` and `\` escaped).
    Ascii(u8),
    /// A run of plain ASCII, `len` bytes long.
    Run(u8),
    /// Any char, as UTF-8 (controls, `"` and `\` escaped).
    Char(char),
    /// A character from [`WIDE`].
    Wide(u8),
    /// One of `\" \\ \/ \b \f \n \r \t`.
    Short(u8),
    /// `\uXXXX` of any code unit: below the surrogates, above them, or a
    /// lone surrogate (which JSON refuses).
    Unicode {
        /// The code unit.
        unit: u16,
        /// Upper-case hex digits.
        upper: bool,
    },
    /// A supplementary character as a `\uD8xx\uDCxx` pair.
    Pair {
        /// Selects the character.
        code: u32,
        /// Upper-case hex digits.
        upper: bool,
    },
    /// A high surrogate escape followed by something other than a low one.
    BrokenPair(u8),
    /// Text that looks like a key inside a string: `","pre_exec_msg":"`.
    KeyLike(bool),
    /// When `gate` is below 24: something JSON refuses (a raw control
    /// byte, a bad escape, bad UTF-8). Otherwise plain text.
    Bad {
        /// Whether it is bad.
        gate: u8,
        /// Which bad thing.
        which: u8,
    },
}

/// A small change to the written document.
#[derive(Arbitrary, Debug)]
pub enum Damage {
    /// Cut the document at this position.
    Truncate(u16),
    /// Replace the byte at this position.
    Replace(u16, u8),
    /// Insert a byte at this position.
    Insert(u16, u8),
    /// Remove the byte at this position.
    Remove(u16),
    /// Append bytes after the root.
    Trailing(Vec<u8>),
}

impl Document {
    /// The document's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer {
            out: Vec::new(),
            layout: self.layout | 1,
        };
        match self.members.first() {
            Some(first) if self.root_selector < 16 => writer.node(&first.value, 0),
            _ => writer.object(&self.members, 0),
        }
        writer.space();
        let mut out = writer.out;
        if self.damage_gate < 48 {
            self.damage.apply(&mut out);
        }
        out
    }
}

impl Damage {
    fn apply(&self, out: &mut Vec<u8>) {
        let at = |pos: u16, len: usize| usize::from(pos) % len.max(1);
        match *self {
            Damage::Truncate(pos) => out.truncate(at(pos, out.len())),
            Damage::Replace(pos, byte) => {
                let i = at(pos, out.len());
                if let Some(b) = out.get_mut(i) {
                    *b = byte;
                }
            }
            Damage::Insert(pos, byte) => {
                let i = at(pos, out.len() + 1);
                out.insert(i, byte);
            }
            Damage::Remove(pos) => {
                if !out.is_empty() {
                    out.remove(at(pos, out.len()));
                }
            }
            Damage::Trailing(ref bytes) => out.extend_from_slice(bytes),
        }
    }
}

struct Writer {
    out: Vec<u8>,
    /// xorshift state deciding the whitespace.
    layout: u64,
}

impl Writer {
    fn next(&mut self) -> u64 {
        self.layout ^= self.layout << 13;
        self.layout ^= self.layout >> 7;
        self.layout ^= self.layout << 17;
        self.layout
    }

    /// Whitespace between tokens: usually none, sometimes a few of the four
    /// JSON whitespace bytes.
    fn space(&mut self) {
        let roll = self.next();
        if roll % 4 != 0 {
            return;
        }
        for i in 0..(roll >> 8) % 4 {
            self.out
                .push(b" \t\n\r"[((roll >> (16 + 2 * i)) % 4) as usize]);
        }
    }

    fn node(&mut self, node: &Node, depth: usize) {
        self.space();
        if depth >= MAX_TREE_DEPTH {
            self.out.push(b'0');
            return;
        }
        match node {
            Node::Null => self.out.extend_from_slice(b"null"),
            Node::Bool(true) => self.out.extend_from_slice(b"true"),
            Node::Bool(false) => self.out.extend_from_slice(b"false"),
            Node::Number(number) => self.number(number),
            Node::Str(text) => self.text(text),
            Node::Array(items) => {
                self.out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.space();
                        self.out.push(b',');
                    }
                    self.node(item, depth + 1);
                }
                self.space();
                self.out.push(b']');
            }
            Node::Object(members) => self.object(members, depth),
            Node::Deep {
                levels,
                near_limit,
                shape,
                inner,
            } => {
                let levels = if *near_limit {
                    usize::from(120 + levels % 12).saturating_sub(depth)
                } else {
                    usize::from(levels % 40)
                };
                let is_object = |level: usize| shape >> (level % 128) & 1 == 1;
                for level in 0..levels {
                    if is_object(level) {
                        self.out.extend_from_slice(b"{\"");
                        self.out.extend_from_slice(KEYS[level % 2].as_bytes());
                        self.out.extend_from_slice(b"\":");
                    } else {
                        self.out.push(b'[');
                    }
                    self.space();
                }
                self.node(inner, depth + 1);
                for level in (0..levels).rev() {
                    self.space();
                    self.out.push(if is_object(level) { b'}' } else { b']' });
                }
            }
        }
    }

    fn object(&mut self, members: &[Member], depth: usize) {
        self.space();
        self.out.push(b'{');
        for (i, member) in members.iter().enumerate() {
            if i > 0 {
                self.space();
                self.out.push(b',');
            }
            self.space();
            self.key(&member.key);
            self.space();
            self.out.push(b':');
            self.node(&member.value, depth + 1);
        }
        self.space();
        self.out.push(b'}');
    }

    fn key(&mut self, key: &Key) {
        match key {
            Key::Target {
                which,
                escapes,
                upper,
            } => {
                let name = KEYS[usize::from(*which)];
                self.out.push(b'"');
                for (i, c) in name.chars().enumerate() {
                    if escapes >> (i % 16) & 1 == 1 {
                        self.unicode_escape(c as u16, *upper);
                    } else {
                        self.out.push(c as u8);
                    }
                }
                self.out.push(b'"');
            }
            Key::Plain(which) => {
                self.out.push(b'"');
                self.out
                    .extend_from_slice(KEYS[usize::from(*which)].as_bytes());
                self.out.push(b'"');
            }
            Key::Decoy(which) => {
                self.out.push(b'"');
                self.out
                    .extend_from_slice(DECOYS[usize::from(*which) % DECOYS.len()].as_bytes());
                self.out.push(b'"');
            }
            Key::Other(text) => self.text(text),
        }
    }

    fn number(&mut self, number: &Number) {
        if number.form < 24 {
            const MALFORMED: [&[u8]; 12] = [
                b"-", b"01", b"1.", b".5", b"1e", b"1e+", b"+1", b"-01", b"1.e5", b"0x1", b"1E-",
                b"--1",
            ];
            self.out
                .extend_from_slice(MALFORMED[usize::from(number.form) % MALFORMED.len()]);
            return;
        }
        if number.negative {
            self.out.push(b'-');
        }
        self.out
            .extend_from_slice(number.int.to_string().as_bytes());
        if let Some(frac) = number.frac {
            self.out.push(b'.');
            self.out.extend_from_slice(frac.to_string().as_bytes());
        }
        if let Some(exp) = number.exp {
            self.out
                .push(if number.form & 1 == 0 { b'e' } else { b'E' });
            if exp >= 0 && number.form & 2 == 0 {
                self.out.push(b'+');
            }
            // Mostly small exponents; sometimes past f64's range.
            let exp = if number.form & 4 == 0 {
                exp % 400
            } else {
                exp % 32
            };
            self.out.extend_from_slice(exp.to_string().as_bytes());
        }
    }

    fn unicode_escape(&mut self, unit: u16, upper: bool) {
        let hex = if upper {
            format!("\\u{unit:04X}")
        } else {
            format!("\\u{unit:04x}")
        };
        self.out.extend_from_slice(hex.as_bytes());
    }

    fn char(&mut self, c: char) {
        match c {
            '"' => self.out.extend_from_slice(b"\\\""),
            '\\' => self.out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => self.unicode_escape(c as u16, false),
            c => {
                let mut utf8 = [0; 4];
                self.out
                    .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }

    fn text(&mut self, text: &Text) {
        self.out.push(b'"');
        for piece in &text.0 {
            self.piece(piece);
        }
        self.out.push(b'"');
    }

    fn piece(&mut self, piece: &Piece) {
        match *piece {
            Piece::Ascii(b) => self.char(char::from(0x20 + b % 95)),
            Piece::Run(len) => {
                for i in 0..len % 64 {
                    self.out.push(b'a' + i % 26);
                }
            }
            Piece::Char(c) => self.char(c),
            Piece::Wide(which) => self.char(WIDE[usize::from(which) % WIDE.len()]),
            Piece::Short(which) => {
                self.out.push(b'\\');
                self.out.push(b"\"\\/bfnrt"[usize::from(which) % 8]);
            }
            Piece::Unicode { unit, upper } => self.unicode_escape(unit, upper),
            Piece::Pair { code, upper } => {
                let c = 0x10000 + code % 0x10_0000;
                let high = 0xD800 + ((c - 0x10000) >> 10) as u16;
                let low = 0xDC00 + ((c - 0x10000) & 0x3FF) as u16;
                self.unicode_escape(high, upper);
                self.unicode_escape(low, upper);
            }
            Piece::BrokenPair(which) => {
                self.unicode_escape(0xD83D, false);
                const AFTER: [&[u8]; 6] = [b"", b"x", b"\\n", b"\\u0041", b"\\uD83D", b"\\"];
                self.out
                    .extend_from_slice(AFTER[usize::from(which) % AFTER.len()]);
            }
            Piece::KeyLike(which) => {
                self.out.extend_from_slice(b"\\\",\\\"");
                self.out
                    .extend_from_slice(KEYS[usize::from(which)].as_bytes());
                self.out.extend_from_slice(b"\\\":\\\"");
            }
            Piece::Bad { gate, which } if gate < 24 => {
                const BAD: [&[u8]; 14] = [
                    b"\x00",
                    b"\x1f",
                    b"\n",
                    b"\\x",
                    b"\\u12G4",
                    b"\\U0041",
                    b"\xff",
                    b"\xc0\x80",
                    b"\xed\xa0\x80",
                    b"\x80",
                    b"\xe2\x82",
                    b"\xf4\x90\x80\x80",
                    b"\\uDC00",
                    b"\\\xc3\xa9",
                ];
                self.out
                    .extend_from_slice(BAD[usize::from(which) % BAD.len()]);
            }
            Piece::Bad { which, .. } => self.char(char::from(b'A' + which % 26)),
        }
    }
}
