//! The document API the decoders read a walked event through.

use crate::{Error, ErrorKind};

use super::names::{Key, Names};
use super::walk::{Kind, Node};

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
    pub(super) text: &'t str,
    pub(super) nodes: &'t [Node],
    pub(super) decoded: &'t str,
    pub(super) wanted: &'static Names,
}

impl<'t> Doc<'t> {
    /// The root, which must be an object.
    #[inline(always)]
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
    pub(crate) fn get(&self, at: Option<At>, key: Key<'_>) -> Result<Option<At>, Error> {
        // The one value found is checked once, not each member of its name.
        let [found] = self.pick_with_nulls(at, [key])?;
        Ok(found.filter(|&value| !self.is_null(value)))
    }

    /// The values of the members `keys` of the object at `at`, in one pass
    /// over its members: the last of repeated keys, `None` for absent or
    /// `null`.
    #[inline(always)]
    pub(crate) fn pick<const N: usize>(
        &self,
        at: Option<At>,
        keys: [Key<'_>; N],
    ) -> Result<[Option<At>; N], Error> {
        self.find::<N, false>(at, keys)
    }

    /// As [`pick`](Doc::pick), but a `null` member is found too: for a
    /// format where `null` is a value (Gemini's `nullValue`).
    #[inline(always)]
    pub(crate) fn pick_with_nulls<const N: usize>(
        &self,
        at: Option<At>,
        keys: [Key<'_>; N],
    ) -> Result<[Option<At>; N], Error> {
        self.find::<N, true>(at, keys)
    }

    /// [`pick`](Doc::pick), with `null` members found when `NULLS`.
    #[inline(always)]
    fn find<const N: usize, const NULLS: bool>(
        &self,
        at: Option<At>,
        keys: [Key<'_>; N],
    ) -> Result<[Option<At>; N], Error> {
        let mut found = [None; N];
        let Some(at) = at else { return Ok(found) };
        let value_of = |value: At| (NULLS || self.nodes[value].kind != Kind::Null).then_some(value);
        if self.wanted.all {
            for (name, value) in self.members(at)? {
                let name = self.name(name);
                if let Some(slot) = keys.iter().position(|key| key.name.as_bytes() == name) {
                    found[slot] = value_of(value);
                }
            }
            return Ok(found);
        }
        // Each member's name was told when it was read, and each key's
        // when it was made: ids are compared, not bytes.
        for (name, value) in self.members(at)? {
            let id = self.nodes[name].name;
            if let Some(slot) = keys.iter().position(|key| key.id == id) {
                found[slot] = value_of(value);
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
    #[inline(always)]
    pub(crate) fn unsigned_at(&self, at: Option<At>) -> Result<Option<u64>, Error> {
        at.map(|at| {
            self.integer(at)
                .ok_or_else(|| wrong_type(self.nodes[at].start as usize))
        })
        .transpose()
    }

    /// The integer at `at`, which must fit a `u32` (an index); `None` for
    /// absent.
    #[inline(always)]
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

    /// The nodes inside the container at `at`, which must be of `kind`.
    fn inside(&self, at: At, kind: Kind) -> Result<(usize, usize), Error> {
        let node = &self.nodes[at];
        if node.kind != kind {
            return Err(wrong_type(node.start as usize));
        }
        Ok((at + 1, node.next as usize))
    }

    /// The `(key, value)` positions of the object's members that are read.
    pub(super) fn members(&self, at: At) -> Result<Members<'_, 't>, Error> {
        let (at, end) = self.inside(at, Kind::Object)?;
        Ok(Members { doc: self, at, end })
    }

    /// The element positions of the array at `at`; `None` is empty.
    #[inline(always)]
    pub(crate) fn elements(&self, at: Option<At>) -> Result<Elements<'_, 't>, Error> {
        let (at, end) = match at {
            Some(at) => self.inside(at, Kind::Array)?,
            None => (0, 0),
        };
        Ok(Elements { doc: self, at, end })
    }

    /// The object at `at`, or `None` for absent or `null`.
    #[inline(always)]
    pub(crate) fn object(&self, at: Option<At>) -> Result<Option<At>, Error> {
        match at.map(|at| &self.nodes[at]) {
            None => Ok(None),
            Some(node) if node.kind == Kind::Object => Ok(at),
            Some(node) => Err(wrong_type(node.start as usize)),
        }
    }

    /// The member `key` of the object at `at`, which must be an object.
    pub(crate) fn get_object(&self, at: Option<At>, key: Key<'_>) -> Result<Option<At>, Error> {
        self.object(self.get(at, key)?)
    }

    /// The string member `key` of the object at `at`, decoded.
    pub(crate) fn str(&self, at: Option<At>, key: Key<'_>) -> Result<Option<&'t str>, Error> {
        self.string(self.get(at, key)?)
    }

    /// The string at `at`, decoded; `None` for absent.
    #[inline(always)]
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
    #[inline(always)]
    pub(crate) fn is_string(&self, at: At) -> bool {
        self.nodes[at].kind == Kind::String
    }

    /// The non-negative integer member `key` of the object at `at`.
    pub(crate) fn unsigned(&self, at: Option<At>, key: Key<'_>) -> Result<Option<u64>, Error> {
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
    pub(crate) fn code(&self, at: Option<At>, key: Key<'_>) -> Result<Option<Code<'t>>, Error> {
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
    #[inline]
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
        if digits.is_empty() {
            return None;
        }
        // One pass: a sign, a fraction or an exponent is no digit.
        digits.iter().try_fold(0u64, |n, &d| {
            let digit = d.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            n.checked_mul(10)?.checked_add(u64::from(digit))
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
