//! A reusable simd-json tape for the upstream decoders that read events of a
//! fixed shape (Anthropic, Responses): parse one payload, then look fields up
//! by key, level by level, with no recursion on input.

use simd_json::{Buffers, ErrorType, INPUT_PADDING, Node, StaticNode, Tape};

use crate::{Error, ErrorKind};

/// The nesting depth accepted in one event, as for chat chunks.
const MAX_DEPTH: usize = 128;

/// Owns the buffers one parse needs, so that after warm-up parsing an event
/// allocates nothing.
pub(crate) struct TapeParser {
    scratch: Vec<u8>,
    buffers: Buffers,
    spare: Tape<'static>,
}

impl std::fmt::Debug for TapeParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TapeParser")
            .field("scratch_capacity", &self.scratch.capacity())
            .finish_non_exhaustive()
    }
}

impl TapeParser {
    pub(crate) fn new() -> TapeParser {
        TapeParser {
            scratch: Vec::new(),
            buffers: Buffers::with_max_depth(0, MAX_DEPTH),
            spare: Tape(Vec::new()),
        }
    }

    /// Parses `payload` and hands its tape to `read`.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedChunk`] at the offset simd-json names when the
    /// payload is not JSON, or [`ErrorKind::TooDeep`]; and whatever `read`
    /// returns.
    pub(crate) fn parse<R>(
        &mut self,
        payload: &[u8],
        read: impl FnOnce(Doc<'_, '_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let TapeParser {
            scratch,
            buffers,
            spare,
        } = self;
        scratch.clear();
        scratch.extend_from_slice(payload);
        scratch.resize(payload.len() + INPUT_PADDING, b' ');
        let mut tape = std::mem::replace(spare, Tape(Vec::new())).reset();
        let result = match simd_json::fill_tape_padded(scratch, payload.len(), buffers, &mut tape) {
            Ok(()) => read(Doc { nodes: &tape.0 }),
            Err(err) => Err(json_error(&err, payload.len())),
        };
        *spare = tape.reset();
        result
    }
}

/// Maps simd-json's error to ours, keeping the offset it names.
#[cold]
pub(crate) fn json_error(err: &simd_json::Error, len: usize) -> Error {
    let kind = match err.error() {
        ErrorType::DepthLimitExceeded => ErrorKind::TooDeep,
        _ => ErrorKind::MalformedChunk,
    };
    Error::new(kind, err.index().min(len) as u64)
}

/// A JSON value of the wrong type where the protocol fixes one. The tape
/// keeps no positions; the relay reports the event's own offset.
#[cold]
pub(crate) fn malformed() -> Error {
    Error::new(ErrorKind::MalformedChunk, 0)
}

/// One parsed payload: tape positions and typed lookups. Values read as
/// `None` when absent or `null`; a value of another type is an error.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'t, 'a> {
    nodes: &'t [Node<'a>],
}

/// A position on the tape.
pub(crate) type At = usize;

impl<'t, 'a> Doc<'t, 'a> {
    /// The root, which must be an object.
    pub(crate) fn root(&self) -> Result<At, Error> {
        match self.nodes.first() {
            Some(Node::Object { .. }) => Ok(0),
            _ => Err(malformed()),
        }
    }

    /// The value of the last member `key` of the object at `at`, or `None`
    /// when the member is absent or `null`.
    pub(crate) fn get(&self, at: Option<At>, key: &str) -> Result<Option<At>, Error> {
        let Some(at) = at else { return Ok(None) };
        let Some(&Node::Object { len, .. }) = self.nodes.get(at) else {
            return Err(malformed());
        };
        let mut found = None;
        let mut pos = at + 1;
        for _ in 0..len {
            let Some(&Node::String(name)) = self.nodes.get(pos) else {
                return Err(malformed());
            };
            let value = pos + 1;
            if name == key {
                found = Some(value);
            }
            pos = value + self.width(value);
        }
        Ok(found.filter(|&value| !self.is_null(value)))
    }

    /// The object at `at`, or `None` for absent or `null`.
    pub(crate) fn object(&self, at: Option<At>) -> Result<Option<At>, Error> {
        match at.map(|at| self.nodes.get(at)) {
            None => Ok(None),
            Some(Some(Node::Object { .. })) => Ok(at),
            Some(_) => Err(malformed()),
        }
    }

    /// The member `key` of the object at `at`, which must be an object.
    pub(crate) fn get_object(&self, at: Option<At>, key: &str) -> Result<Option<At>, Error> {
        self.object(self.get(at, key)?)
    }

    /// The string member `key` of the object at `at`.
    pub(crate) fn str(&self, at: Option<At>, key: &str) -> Result<Option<&'a str>, Error> {
        match self.get(at, key)?.map(|value| &self.nodes[value]) {
            None => Ok(None),
            Some(&Node::String(text)) => Ok(Some(text)),
            Some(_) => Err(malformed()),
        }
    }

    /// The non-negative integer member `key` of the object at `at`.
    pub(crate) fn unsigned(&self, at: Option<At>, key: &str) -> Result<Option<u64>, Error> {
        match self.get(at, key)?.map(|value| &self.nodes[value]) {
            None => Ok(None),
            Some(&Node::Static(StaticNode::U64(n))) => Ok(Some(n)),
            Some(&Node::Static(StaticNode::I64(n))) => {
                u64::try_from(n).map(Some).map_err(|_| malformed())
            }
            Some(_) => Err(malformed()),
        }
    }

    /// The member `key` of the object at `at` if it is a string or an
    /// integer (an error `code` is either), `None` for anything else.
    pub(crate) fn code(&self, at: Option<At>, key: &str) -> Result<Option<Code<'a>>, Error> {
        Ok(match self.get(at, key)?.map(|value| &self.nodes[value]) {
            Some(&Node::String(text)) => Some(Code::Text(text)),
            Some(&Node::Static(StaticNode::U64(n))) => i64::try_from(n).ok().map(Code::Number),
            Some(&Node::Static(StaticNode::I64(n))) => Some(Code::Number(n)),
            _ => None,
        })
    }

    /// The number of tape nodes the value at `at` spans, itself included.
    fn width(&self, at: At) -> usize {
        match self.nodes.get(at) {
            Some(&Node::Object { count, .. } | &Node::Array { count, .. }) => count + 1,
            _ => 1,
        }
    }

    fn is_null(&self, at: At) -> bool {
        matches!(self.nodes.get(at), Some(Node::Static(StaticNode::Null)))
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
