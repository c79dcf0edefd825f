//! A borrowed view of one chat-completion chunk: the JSON in one SSE `data:`
//! payload of an OpenAI-compatible stream.
//!
//! simd-json parses the payload into a tape inside a copy the parser owns;
//! one pass over the tape then checks the types of the fields the view knows
//! and records, per choice, tool call and content part, where its values sit
//! on the tape. Every buffer (the copy, simd-json's buffers, the tape and the
//! records) belongs to the [`ChunkParser`] and is reused, so once it has seen
//! a chunk as large as the next one, parsing allocates nothing.

use std::ops::Range;

use simd_json::{Buffers, ErrorType, INPUT_PADDING, Node, StaticNode, Tape};

use crate::raw::top_level_value;
use crate::{Error, ErrorKind};

/// The nesting depth [`ChunkParser::new`] accepts. Chunks nest about six
/// levels (`choices[].delta.tool_calls[].function`); logprobs and provider
/// extras a few more.
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// Parses chat-completion chunks, one payload at a time, into views that
/// borrow from it.
///
/// Keep one per stream (or per connection) and call [`parse`](Self::parse)
/// for each `data:` payload: the parser keeps its buffers between calls.
///
/// # Example
/// ```
/// use argstream::chat::{Chunk, ChunkParser};
///
/// let mut parser = ChunkParser::new();
/// let payload = br#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[
///     {"index":0,"function":{"arguments":"{\"city\":\"Par"}}]}}]}"#;
/// let Chunk::Data(view) = parser.parse(payload)? else { unreachable!() };
/// let choice = view.choices().next().unwrap();
/// let call = choice.tool_calls().next().unwrap();
/// assert_eq!(call.arguments(), Some(r#"{"city":"Par"#));
/// # Ok::<(), argstream::Error>(())
/// ```
pub struct ChunkParser {
    /// The payload followed by simd-json's padding; strings are unescaped in
    /// place here, so decoded `&str`s borrow from it.
    scratch: Vec<u8>,
    buffers: Buffers,
    /// The tape's allocation between parses. A [`ChunkView`] takes it while
    /// it lives and gives it back when dropped.
    tape: Tape<'static>,
    choices: Vec<ChoiceRecord>,
    calls: Vec<CallRecord>,
    parts: Vec<PartRecord>,
}

impl std::fmt::Debug for ChunkParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkParser")
            .field("scratch_capacity", &self.scratch.capacity())
            .field("tape_capacity", &self.tape.0.capacity())
            .finish_non_exhaustive()
    }
}

impl Default for ChunkParser {
    fn default() -> Self {
        ChunkParser::new()
    }
}

impl ChunkParser {
    /// A parser that accepts chunks nested up to [`DEFAULT_MAX_DEPTH`].
    ///
    /// Allocates a few small buffers; they grow to the largest chunk seen.
    pub fn new() -> ChunkParser {
        ChunkParser::with_max_depth(DEFAULT_MAX_DEPTH)
    }

    /// A parser that rejects chunks nested deeper than `max_depth` with
    /// [`ErrorKind::TooDeep`].
    pub fn with_max_depth(max_depth: usize) -> ChunkParser {
        ChunkParser {
            scratch: Vec::new(),
            buffers: Buffers::with_max_depth(0, max_depth),
            tape: Tape(Vec::new()),
            choices: Vec::new(),
            calls: Vec::new(),
            parts: Vec::new(),
        }
    }

    /// Parses one SSE `data:` payload.
    ///
    /// `[DONE]`, with optional ASCII whitespace around it, gives
    /// [`Chunk::Done`]; an object with a non-null `error` member gives
    /// [`Chunk::Error`]; any other JSON object gives [`Chunk::Data`]. Members
    /// the view does not know are skipped unchecked; a `null` known member is
    /// treated as absent.
    ///
    /// Cost: a copy of the payload, simd-json's two stages over it, and one
    /// walk over the known fields. No allocation once the parser's buffers
    /// have grown to the size this payload needs. The returned view borrows
    /// the parser, so drop it before the next call.
    ///
    /// # Errors
    /// - [`ErrorKind::MalformedChunk`] if the payload is not JSON (`offset`
    ///   is where simd-json stopped, when it says), is not an object (offset
    ///   0), or a known field has the wrong type (offset 0: the tape keeps no
    ///   positions).
    /// - [`ErrorKind::TooDeep`] if it nests deeper than the parser's limit.
    ///
    /// # Panics
    /// Never.
    pub fn parse<'a>(&'a mut self, payload: &'a [u8]) -> Result<Chunk<'a>, Error> {
        if payload.trim_ascii() == b"[DONE]" {
            return Ok(Chunk::Done);
        }
        let ChunkParser {
            scratch,
            buffers,
            tape: spare,
            choices,
            calls,
            parts,
        } = self;
        scratch.clear();
        scratch.extend_from_slice(payload);
        scratch.resize(payload.len() + INPUT_PADDING, b' ');
        let mut tape: Tape<'a> = std::mem::replace(spare, Tape(Vec::new())).reset();
        let filled = simd_json::fill_tape_padded(scratch, payload.len(), buffers, &mut tape)
            .map_err(|err| json_error(&err, payload.len()));
        let top = filled.and_then(|()| {
            choices.clear();
            calls.clear();
            parts.clear();
            Records {
                nodes: &tape.0,
                choices,
                calls,
                parts,
            }
            .top_level()
        });
        let top = match top {
            Ok(top) => top,
            Err(err) => {
                *spare = tape.reset();
                return Err(err);
            }
        };
        match top {
            TopLevel::Error(error) => {
                *spare = tape.reset();
                Ok(Chunk::Error(ErrorView { payload, ..error }))
            }
            TopLevel::Data(fields) => Ok(Chunk::Data(ChunkView {
                payload,
                fields,
                tape,
                spare,
                choices,
                calls,
                parts,
            })),
        }
    }
}

/// Maps simd-json's error to ours, keeping the offset it names.
#[cold]
fn json_error(err: &simd_json::Error, len: usize) -> Error {
    let kind = match err.error() {
        ErrorType::DepthLimitExceeded => ErrorKind::TooDeep,
        _ => ErrorKind::MalformedChunk,
    };
    Error::new(kind, err.index().min(len) as u64)
}

/// A chunk whose JSON parsed but does not have the protocol's shape.
#[cold]
fn malformed() -> Error {
    Error::new(ErrorKind::MalformedChunk, 0)
}

/// One parsed payload.
#[derive(Debug)]
pub enum Chunk<'a> {
    /// The `[DONE]` sentinel that ends an OpenAI stream. Many providers end
    /// without it; the stream's end is the real signal.
    Done,
    /// An in-stream error object (`{"error": {...}}`), sent by a provider
    /// that fails after the response started.
    Error(ErrorView<'a>),
    /// A `chat.completion.chunk`.
    Data(ChunkView<'a>),
}

/// An in-stream `{"error": ...}` object.
///
/// An `error` that is a bare string is taken as its message.
#[derive(Clone, Copy, Debug)]
pub struct ErrorView<'a> {
    payload: &'a [u8],
    message: Option<&'a str>,
    error_type: Option<&'a str>,
    code: Option<ErrorCode<'a>>,
}

/// The `code` of an in-stream error: providers send either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode<'a> {
    /// A string code such as `"rate_limit_exceeded"`.
    Text(&'a str),
    /// A numeric code such as `429`.
    Number(i64),
}

impl<'a> ErrorView<'a> {
    /// `error.message`, decoded.
    pub fn message(&self) -> Option<&'a str> {
        self.message
    }

    /// `error.type`, decoded.
    pub fn error_type(&self) -> Option<&'a str> {
        self.error_type
    }

    /// `error.code`.
    pub fn code(&self) -> Option<ErrorCode<'a>> {
        self.code
    }

    /// The `error` value exactly as the payload wrote it, to relay unchanged.
    ///
    /// Scans the payload (linear, no allocation). `None` only if the key was
    /// written with escapes.
    pub fn raw_json(&self) -> Option<&'a str> {
        top_level_value(self.payload, "error")
    }
}

/// A `chat.completion.chunk`, borrowed from the payload and the parser.
///
/// Strings are decoded (JSON escapes resolved) and borrow from the parser's
/// copy of the payload, so they live as long as the view's `'a`, not just as
/// long as a borrow of the view.
#[derive(Debug)]
pub struct ChunkView<'a> {
    payload: &'a [u8],
    fields: TopFields<'a>,
    tape: Tape<'a>,
    spare: &'a mut Tape<'static>,
    choices: &'a [ChoiceRecord],
    calls: &'a [CallRecord],
    parts: &'a [PartRecord],
}

impl Drop for ChunkView<'_> {
    fn drop(&mut self) {
        // Gives the tape's allocation back to the parser for the next chunk.
        *self.spare = Tape(std::mem::take(&mut self.tape.0)).reset();
    }
}

impl<'a> ChunkView<'a> {
    /// The payload this view was parsed from, unchanged.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// `id`.
    pub fn id(&self) -> Option<&'a str> {
        self.fields.id
    }

    /// `model`.
    pub fn model(&self) -> Option<&'a str> {
        self.fields.model
    }

    /// `object`, normally `"chat.completion.chunk"`.
    pub fn object(&self) -> Option<&'a str> {
        self.fields.object
    }

    /// `created`, in Unix seconds.
    pub fn created(&self) -> Option<u64> {
        self.fields.created
    }

    /// `system_fingerprint`.
    pub fn system_fingerprint(&self) -> Option<&'a str> {
        self.fields.system_fingerprint
    }

    /// The choices, in payload order. Empty for a usage-only chunk
    /// (`"choices": []`). Does not allocate.
    pub fn choices(&self) -> Choices<'_, 'a> {
        Choices {
            tables: self.tables(),
            records: self.choices.iter(),
        }
    }

    /// `usage`, when present and not `null`.
    pub fn usage(&self) -> Option<Usage<'a>> {
        self.fields.usage.map(|counts| Usage {
            payload: self.payload,
            counts,
        })
    }

    fn tables(&self) -> Tables<'_, 'a> {
        Tables {
            nodes: &self.tape.0,
            calls: self.calls,
            parts: self.parts,
        }
    }
}

/// Token counts of a chunk's `usage` member.
#[derive(Clone, Copy, Debug)]
pub struct Usage<'a> {
    payload: &'a [u8],
    counts: UsageCounts,
}

impl<'a> Usage<'a> {
    /// `usage.prompt_tokens`.
    pub fn prompt_tokens(&self) -> Option<u64> {
        self.counts.prompt
    }

    /// `usage.completion_tokens`.
    pub fn completion_tokens(&self) -> Option<u64> {
        self.counts.completion
    }

    /// `usage.total_tokens`.
    pub fn total_tokens(&self) -> Option<u64> {
        self.counts.total
    }

    /// The `usage` value exactly as the payload wrote it, provider extras
    /// (cache and reasoning details, costs) included.
    ///
    /// Scans the payload (linear, no allocation). `None` only if the key was
    /// written with escapes.
    pub fn raw_json(&self) -> Option<&'a str> {
        top_level_value(self.payload, "usage")
    }
}

/// Iterator over a chunk's choices. Does not allocate.
#[derive(Clone, Debug)]
pub struct Choices<'v, 'a> {
    tables: Tables<'v, 'a>,
    records: std::slice::Iter<'v, ChoiceRecord>,
}

impl<'v, 'a> Iterator for Choices<'v, 'a> {
    type Item = Choice<'v, 'a>;

    fn next(&mut self) -> Option<Choice<'v, 'a>> {
        let record = self.records.next()?;
        Some(Choice {
            tables: self.tables,
            record,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for Choices<'_, '_> {}

/// One element of `choices`.
#[derive(Clone, Copy, Debug)]
pub struct Choice<'v, 'a> {
    tables: Tables<'v, 'a>,
    record: &'v ChoiceRecord,
}

impl<'v, 'a> Choice<'v, 'a> {
    /// `index`; 0 when absent.
    pub fn index(&self) -> u32 {
        self.record.index
    }

    /// `delta`, or `message` for a provider that sends non-streaming style
    /// choices; empty when neither is present.
    pub fn delta(&self) -> Delta<'v, 'a> {
        Delta {
            tables: self.tables,
            record: &self.record.delta,
        }
    }

    /// Whether the choice carried `message` rather than `delta`.
    pub fn is_message(&self) -> bool {
        self.record.is_message
    }

    /// `finish_reason`; `None` for `null` and for the empty string some
    /// providers send instead.
    pub fn finish_reason(&self) -> Option<&'a str> {
        self.tables.string(self.record.finish_reason)
    }

    /// Shorthand for `self.delta().tool_calls()`.
    pub fn tool_calls(&self) -> ToolCalls<'v, 'a> {
        self.delta().tool_calls()
    }
}

/// A choice's `delta` (or `message`).
#[derive(Clone, Copy, Debug)]
pub struct Delta<'v, 'a> {
    tables: Tables<'v, 'a>,
    record: &'v DeltaRecord,
}

impl<'v, 'a> Delta<'v, 'a> {
    /// `role`.
    pub fn role(&self) -> Option<&'a str> {
        self.tables.string(self.record.role)
    }

    /// `content`: a string, an array of content parts, or `None` for `null`
    /// or absent.
    pub fn content(&self) -> Option<Content<'v, 'a>> {
        match &self.record.content {
            ContentRecord::Absent => None,
            &ContentRecord::Text(at) => self.tables.string(Some(at)).map(Content::Text),
            ContentRecord::Parts(range) => Some(Content::Parts(ContentParts {
                nodes: self.tables.nodes,
                records: self.tables.parts.get(range.clone()).unwrap_or(&[]).iter(),
            })),
        }
    }

    /// The text of `content`, in pieces: the string itself, or the `text` of
    /// each part of type `"text"`. Concatenate them for the whole text. Does
    /// not allocate.
    pub fn text(&self) -> TextPieces<'v, 'a> {
        match self.content() {
            None => TextPieces::Parts(None),
            Some(Content::Text(text)) => TextPieces::Text(Some(text)),
            Some(Content::Parts(parts)) => TextPieces::Parts(Some(parts)),
        }
    }

    /// The reasoning text: `reasoning_content` (DeepSeek, vLLM) if it is a
    /// string, else `reasoning` (OpenRouter, Groq, llama.cpp).
    pub fn reasoning(&self) -> Option<&'a str> {
        self.tables
            .string(self.record.reasoning_content)
            .or_else(|| self.tables.string(self.record.reasoning))
    }

    /// `refusal`.
    pub fn refusal(&self) -> Option<&'a str> {
        self.tables.string(self.record.refusal)
    }

    /// `tool_calls`, in payload order; empty when absent or `null`. Does not
    /// allocate.
    pub fn tool_calls(&self) -> ToolCalls<'v, 'a> {
        let records = self.tables.calls.get(self.record.calls.clone());
        ToolCalls {
            nodes: self.tables.nodes,
            records: records.unwrap_or(&[]).iter(),
        }
    }
}

/// A delta's `content`.
#[derive(Clone, Debug)]
pub enum Content<'v, 'a> {
    /// A plain string, decoded.
    Text(&'a str),
    /// An array of content parts.
    Parts(ContentParts<'v, 'a>),
}

/// Iterator over the parts of an array `content`. Does not allocate.
#[derive(Clone, Debug)]
pub struct ContentParts<'v, 'a> {
    nodes: &'v [Node<'a>],
    records: std::slice::Iter<'v, PartRecord>,
}

impl<'a> Iterator for ContentParts<'_, 'a> {
    type Item = ContentPart<'a>;

    fn next(&mut self) -> Option<ContentPart<'a>> {
        let record = self.records.next()?;
        Some(ContentPart {
            kind: string_at(self.nodes, record.kind),
            text: string_at(self.nodes, record.text),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for ContentParts<'_, '_> {}

/// One element of an array `content`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentPart<'a> {
    kind: Option<&'a str>,
    text: Option<&'a str>,
}

impl<'a> ContentPart<'a> {
    /// `type`, e.g. `"text"`.
    pub fn kind(&self) -> Option<&'a str> {
        self.kind
    }

    /// `text`.
    pub fn text(&self) -> Option<&'a str> {
        self.text
    }
}

/// Iterator over the text of a delta's `content`; see [`Delta::text`].
#[derive(Clone, Debug)]
pub enum TextPieces<'v, 'a> {
    /// `content` was a string: yields it once.
    Text(Option<&'a str>),
    /// `content` was parts (or absent): yields the text of each text part.
    Parts(Option<ContentParts<'v, 'a>>),
}

impl<'a> Iterator for TextPieces<'_, 'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            TextPieces::Text(text) => text.take(),
            TextPieces::Parts(parts) => {
                parts
                    .as_mut()?
                    .find(|part| part.kind == Some("text") && part.text.is_some())?
                    .text
            }
        }
    }
}

/// Iterator over a delta's tool calls. Does not allocate.
#[derive(Clone, Debug)]
pub struct ToolCalls<'v, 'a> {
    nodes: &'v [Node<'a>],
    records: std::slice::Iter<'v, CallRecord>,
}

impl<'a> Iterator for ToolCalls<'_, 'a> {
    type Item = ToolCall<'a>;

    fn next(&mut self) -> Option<ToolCall<'a>> {
        let record = self.records.next()?;
        Some(ToolCall {
            index: record.index,
            id: string_at(self.nodes, record.id),
            kind: string_at(self.nodes, record.kind),
            name: string_at(self.nodes, record.name),
            arguments: string_at(self.nodes, record.arguments),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for ToolCalls<'_, '_> {}

/// One element of `delta.tool_calls`: usually a fragment of a call that
/// later chunks continue under the same [`index`](Self::index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToolCall<'a> {
    index: u32,
    id: Option<&'a str>,
    kind: Option<&'a str>,
    name: Option<&'a str>,
    arguments: Option<&'a str>,
}

impl<'a> ToolCall<'a> {
    /// `index`: which call of the choice this fragment belongs to; 0 when
    /// absent, as some providers send one call without it.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// `id`, usually only in a call's first fragment.
    pub fn id(&self) -> Option<&'a str> {
        self.id
    }

    /// `type`, normally `"function"`.
    pub fn kind(&self) -> Option<&'a str> {
        self.kind
    }

    /// `function.name`, usually only in a call's first fragment.
    pub fn name(&self) -> Option<&'a str> {
        self.name
    }

    /// `function.arguments`, decoded: the next fragment of the call's JSON
    /// arguments text.
    pub fn arguments(&self) -> Option<&'a str> {
        self.arguments
    }
}

/// What the view's accessors need to turn records into values.
#[derive(Clone, Copy, Debug)]
struct Tables<'v, 'a> {
    nodes: &'v [Node<'a>],
    calls: &'v [CallRecord],
    parts: &'v [PartRecord],
}

impl<'a> Tables<'_, 'a> {
    fn string(&self, at: Option<usize>) -> Option<&'a str> {
        string_at(self.nodes, at)
    }
}

fn string_at<'a>(nodes: &[Node<'a>], at: Option<usize>) -> Option<&'a str> {
    match nodes.get(at?) {
        Some(&Node::String(text)) => Some(text),
        _ => None,
    }
}

/// Where the strings of one tape position sit; `None` is absent or `null`.
/// Plain indices rather than `&str`s, so the vectors holding records outlive
/// any one payload and are reused.
type At = Option<usize>;

#[derive(Debug)]
struct ChoiceRecord {
    index: u32,
    is_message: bool,
    finish_reason: At,
    delta: DeltaRecord,
}

#[derive(Debug, Default)]
struct DeltaRecord {
    role: At,
    content: ContentRecord,
    reasoning: At,
    reasoning_content: At,
    refusal: At,
    calls: Range<usize>,
}

#[derive(Debug, Default)]
enum ContentRecord {
    #[default]
    Absent,
    Text(usize),
    Parts(Range<usize>),
}

#[derive(Debug)]
struct CallRecord {
    index: u32,
    id: At,
    kind: At,
    name: At,
    arguments: At,
}

#[derive(Debug)]
struct PartRecord {
    kind: At,
    text: At,
}

#[derive(Clone, Copy, Debug, Default)]
struct UsageCounts {
    prompt: Option<u64>,
    completion: Option<u64>,
    total: Option<u64>,
}

#[derive(Debug, Default)]
struct TopFields<'a> {
    id: Option<&'a str>,
    model: Option<&'a str>,
    object: Option<&'a str>,
    system_fingerprint: Option<&'a str>,
    created: Option<u64>,
    usage: Option<UsageCounts>,
}

enum TopLevel<'a> {
    Data(TopFields<'a>),
    Error(ErrorView<'a>),
}

/// The walk over the tape that checks types and fills the records. The shape
/// of a chunk is fixed, so each level is its own loop: no recursion on input.
struct Records<'p, 't, 'a> {
    nodes: &'t [Node<'a>],
    choices: &'p mut Vec<ChoiceRecord>,
    calls: &'p mut Vec<CallRecord>,
    parts: &'p mut Vec<PartRecord>,
}

impl<'a> Records<'_, '_, 'a> {
    fn top_level(&mut self) -> Result<TopLevel<'a>, Error> {
        let mut fields = TopFields::default();
        let mut error = None;
        for (key, at) in members(self.nodes, 0)? {
            match key {
                "id" => fields.id = self.string(at)?,
                "model" => fields.model = self.string(at)?,
                "object" => fields.object = self.string(at)?,
                "system_fingerprint" => fields.system_fingerprint = self.string(at)?,
                "created" => fields.created = self.unsigned(at)?,
                "choices" => {
                    self.choices.clear();
                    self.calls.clear();
                    self.parts.clear();
                    for choice in elements(self.nodes, at)? {
                        self.choice(choice)?;
                    }
                }
                "usage" => fields.usage = self.usage(at)?,
                "error" => error = self.error(at)?,
                _ => {}
            }
        }
        Ok(match error {
            Some(error) => TopLevel::Error(error),
            None => TopLevel::Data(fields),
        })
    }

    fn choice(&mut self, at: usize) -> Result<(), Error> {
        let mut index = 0;
        let mut finish_reason = None;
        let mut delta = None;
        let mut message = None;
        for (key, at) in members(self.nodes, at)? {
            match key {
                "index" => index = self.index(at)?,
                "finish_reason" => {
                    finish_reason = self.string(at)?.and_then(|reason| {
                        // The empty string some providers send means "not yet".
                        (!reason.is_empty()).then_some(at)
                    });
                }
                "delta" => delta = self.object(at)?,
                "message" => message = self.object(at)?,
                _ => {}
            }
        }
        let delta_record = match delta.or(message) {
            Some(at) => self.delta(at)?,
            None => DeltaRecord::default(),
        };
        self.choices.push(ChoiceRecord {
            index,
            is_message: delta.is_none() && message.is_some(),
            finish_reason,
            delta: delta_record,
        });
        Ok(())
    }

    fn delta(&mut self, at: usize) -> Result<DeltaRecord, Error> {
        let mut record = DeltaRecord::default();
        for (key, at) in members(self.nodes, at)? {
            match key {
                "role" => record.role = self.string_at(at)?,
                "content" => record.content = self.content(at)?,
                "reasoning" => record.reasoning = self.string_at(at)?,
                "reasoning_content" => record.reasoning_content = self.string_at(at)?,
                "refusal" => record.refusal = self.string_at(at)?,
                "tool_calls" => {
                    let start = self.calls.len();
                    for call in elements(self.nodes, at)? {
                        self.tool_call(call)?;
                    }
                    record.calls = start..self.calls.len();
                }
                _ => {}
            }
        }
        Ok(record)
    }

    fn content(&mut self, at: usize) -> Result<ContentRecord, Error> {
        match self.nodes.get(at) {
            Some(Node::String(_)) => Ok(ContentRecord::Text(at)),
            Some(Node::Static(StaticNode::Null)) => Ok(ContentRecord::Absent),
            Some(Node::Array { .. }) => {
                let start = self.parts.len();
                for part in elements(self.nodes, at)? {
                    let mut record = PartRecord {
                        kind: None,
                        text: None,
                    };
                    for (key, at) in members(self.nodes, part)? {
                        match key {
                            "type" => record.kind = self.string_at(at)?,
                            "text" => record.text = self.string_at(at)?,
                            _ => {}
                        }
                    }
                    self.parts.push(record);
                }
                Ok(ContentRecord::Parts(start..self.parts.len()))
            }
            _ => Err(malformed()),
        }
    }

    fn tool_call(&mut self, at: usize) -> Result<(), Error> {
        let mut record = CallRecord {
            index: 0,
            id: None,
            kind: None,
            name: None,
            arguments: None,
        };
        for (key, at) in members(self.nodes, at)? {
            match key {
                "index" => record.index = self.index(at)?,
                "id" => record.id = self.string_at(at)?,
                "type" => record.kind = self.string_at(at)?,
                "function" => {
                    let Some(function) = self.object(at)? else {
                        continue;
                    };
                    for (key, at) in members(self.nodes, function)? {
                        match key {
                            "name" => record.name = self.string_at(at)?,
                            "arguments" => record.arguments = self.string_at(at)?,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        self.calls.push(record);
        Ok(())
    }

    fn usage(&self, at: usize) -> Result<Option<UsageCounts>, Error> {
        let Some(usage) = self.object(at)? else {
            return Ok(None);
        };
        let mut counts = UsageCounts::default();
        for (key, at) in members(self.nodes, usage)? {
            match key {
                "prompt_tokens" => counts.prompt = self.unsigned(at)?,
                "completion_tokens" => counts.completion = self.unsigned(at)?,
                "total_tokens" => counts.total = self.unsigned(at)?,
                _ => {}
            }
        }
        Ok(Some(counts))
    }

    fn error(&self, at: usize) -> Result<Option<ErrorView<'a>>, Error> {
        let mut view = ErrorView {
            payload: &[],
            message: None,
            error_type: None,
            code: None,
        };
        match self.nodes.get(at) {
            Some(Node::Static(StaticNode::Null)) => return Ok(None),
            Some(&Node::String(message)) => view.message = Some(message),
            Some(Node::Object { .. }) => {
                for (key, at) in members(self.nodes, at)? {
                    match key {
                        "message" => view.message = self.string(at)?,
                        "type" => view.error_type = self.string(at)?,
                        "code" => {
                            view.code = match self.nodes.get(at) {
                                Some(&Node::String(code)) => Some(ErrorCode::Text(code)),
                                Some(Node::Static(StaticNode::Null)) => None,
                                Some(&Node::Static(StaticNode::I64(code))) => {
                                    Some(ErrorCode::Number(code))
                                }
                                Some(&Node::Static(StaticNode::U64(code))) => {
                                    Some(ErrorCode::Number(
                                        i64::try_from(code).map_err(|_| malformed())?,
                                    ))
                                }
                                _ => return Err(malformed()),
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => return Err(malformed()),
        }
        Ok(Some(view))
    }

    /// The tape position of a string value, `None` for `null`.
    fn string_at(&self, at: usize) -> Result<At, Error> {
        match self.nodes.get(at) {
            Some(Node::String(_)) => Ok(Some(at)),
            Some(Node::Static(StaticNode::Null)) => Ok(None),
            _ => Err(malformed()),
        }
    }

    /// A string value, `None` for `null`.
    fn string(&self, at: usize) -> Result<Option<&'a str>, Error> {
        Ok(string_at(self.nodes, self.string_at(at)?))
    }

    /// The tape position of an object value, `None` for `null`.
    fn object(&self, at: usize) -> Result<At, Error> {
        match self.nodes.get(at) {
            Some(Node::Object { .. }) => Ok(Some(at)),
            Some(Node::Static(StaticNode::Null)) => Ok(None),
            _ => Err(malformed()),
        }
    }

    /// A non-negative integer value, `None` for `null`.
    fn unsigned(&self, at: usize) -> Result<Option<u64>, Error> {
        match self.nodes.get(at) {
            Some(&Node::Static(StaticNode::U64(n))) => Ok(Some(n)),
            Some(&Node::Static(StaticNode::I64(n))) => {
                u64::try_from(n).map(Some).map_err(|_| malformed())
            }
            Some(Node::Static(StaticNode::Null)) => Ok(None),
            _ => Err(malformed()),
        }
    }

    /// A choice or tool call `index`: a `u32`; `null` counts as 0.
    fn index(&self, at: usize) -> Result<u32, Error> {
        let index = self.unsigned(at)?.unwrap_or(0);
        u32::try_from(index).map_err(|_| malformed())
    }
}

/// The number of tape nodes the value at `at` spans, itself included.
fn span(node: &Node<'_>) -> usize {
    match *node {
        Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
        _ => 1,
    }
}

/// The `(key, value position)` pairs of the object at `at`.
///
/// # Errors
/// [`ErrorKind::MalformedChunk`] if the value at `at` is not an object.
fn members<'t, 'a>(nodes: &'t [Node<'a>], at: usize) -> Result<Members<'t, 'a>, Error> {
    match nodes.get(at) {
        Some(&Node::Object { len, .. }) => Ok(Members {
            nodes,
            at: at + 1,
            left: len,
        }),
        _ => Err(malformed()),
    }
}

struct Members<'t, 'a> {
    nodes: &'t [Node<'a>],
    at: usize,
    left: usize,
}

impl<'a> Iterator for Members<'_, 'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<(&'a str, usize)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let &Node::String(key) = self.nodes.get(self.at)? else {
            return None;
        };
        let value = self.at + 1;
        self.at = value + span(self.nodes.get(value)?);
        Some((key, value))
    }
}

/// The value positions of the array at `at`; `null` counts as empty.
///
/// # Errors
/// [`ErrorKind::MalformedChunk`] if the value at `at` is neither.
fn elements<'t, 'a>(nodes: &'t [Node<'a>], at: usize) -> Result<Elements<'t, 'a>, Error> {
    match nodes.get(at) {
        Some(&Node::Array { len, .. }) => Ok(Elements {
            nodes,
            at: at + 1,
            left: len,
        }),
        Some(Node::Static(StaticNode::Null)) => Ok(Elements { nodes, at, left: 0 }),
        _ => Err(malformed()),
    }
}

struct Elements<'t, 'a> {
    nodes: &'t [Node<'a>],
    at: usize,
    left: usize,
}

impl Iterator for Elements<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let value = self.at;
        self.at = value + span(self.nodes.get(value)?);
        Some(value)
    }
}
