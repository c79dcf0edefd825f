//! Upstream formats in, one provider-neutral event model out.
//!
//! A model's streamed answer reaches a gateway in one of five shapes:
//! OpenAI chat completions (`chat.completion.chunk`), OpenAI Responses
//! (`response.*` events), Anthropic Messages (`message_start`,
//! `content_block_delta`, ...), Google Gemini (`GenerateContentResponse`
//! events) or Amazon Bedrock `ConverseStream` (binary event-stream frames).
//! Each has a decoder here, one file a format, that turns one server-sent
//! event or frame into a few [`Upstream`] events: answer
//! text, reasoning, a tool call's id, name and argument fragments, the
//! finish, usage, an error, the end. Everything after the decoders (the
//! calls, their key scanners, the summary, the downstream writer in
//! [`relay`](crate::relay)) sees only these events and never the format.
//!
//! [`Relay`](crate::Relay) drives a [`Decoder`] itself. A caller that wants
//! the events alone, to read a stream without relaying it (the crate's
//! round-trip tests read the relay's output back this way), feeds each
//! [`SseEvent`] to [`Decoder::decode`] or each [`Frame`] to
//! [`Decoder::decode_frame`], calls [`Decoder::finish`] at the body's end,
//! and takes the events in its [`Sink`]. The reader of whole events that
//! the decoders share stays inside the crate.
//!
//! Each decoder's module docs hold its format's rules: what it reads and its
//! errors; each format's finish words and usage fields are in
//! [`neutral`](crate::neutral). What each pair of formats maps, from the
//! client's side, is `docs/relay.md` in the repository, which links back to
//! these.

pub(crate) mod formats;
mod input;
#[cfg(feature = "test-windows")]
#[doc(hidden)]
pub mod probe;
mod reader;

pub(crate) use self::gemini::made_call_id;
pub(crate) use self::input::{Input, Message};

use std::fmt;
use std::str::FromStr;

use crate::eventstream::Frame;
use crate::sse::SseEvent;
use crate::{Error, UnknownName};

pub use crate::neutral::{Finish, Usage};

use self::formats::{Detect, FORMATS, READ_BY_A_DECODER, READ_BY_A_DECODER as READ, Row};
pub use self::reader::Code;
use self::reader::{At, Doc, EventReader, Names};

/// What `each_format!` makes here, from its list: a module a decoder,
/// [`Format`], whether a format renders, the state the decoders that keep
/// one carry between events and the dispatch of an event to its format's
/// decoder.
macro_rules! declare_formats {
    ($(
        $(#[$doc:meta])*
        $variant:ident $decoder:ident $(($state:ident))?
            $(=> $(#[$output_doc:meta])* $output:ident $renderer:ident $render_type:ident)?;
    )*) => {
        $(mod $decoder;)*

        /// An upstream wire format.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Format {
            $($(#[$doc])* $variant,)*
        }

        impl Format {
            /// Whether the relay has a renderer of this format: a client of
            /// a format without one is answered in chat.
            pub fn renders(self) -> bool {
                match self {
                    $(Format::$variant => renders!($($output)?),)*
                }
            }
        }

        /// What the decoders that keep a state carry from one event of a
        /// stream to the next, a field each.
        #[derive(Debug, Default)]
        struct Carried {
            $($($decoder: $decoder::$state,)?)*
        }

        impl Carried {
            /// Back to a new stream's state, buffers kept.
            fn reset(&mut self) {
                $($(carried!(self.$decoder, $state).reset();)?)*
            }

            /// The body of a stream in `format` ended: what the format holds
            /// back for its end, if it keeps a state.
            fn finish(&mut self, format: Format, sink: &mut impl Sink) -> Result<(), Error> {
                match format {
                    $($(Format::$variant => carried!(self.$decoder, $state).finish(sink),)?)*
                    #[allow(unreachable_patterns)]
                    _ => Ok(()),
                }
            }
        }

        /// Decodes `event`, read as `doc`, with `format`'s decoder.
        #[inline(always)]
        fn decode_in(
            format: Format,
            doc: Result<Doc<'_>, Error>,
            carried: &mut Carried,
            event: &SseEvent,
            sink: &mut impl Sink,
        ) -> Result<(), Error> {
            match format {
                $(Format::$variant => $decoder::decode(
                    doc,
                    $(carried!(&mut carried.$decoder, $state),)?
                    event,
                    sink,
                ),)*
            }
        }
    };
}

/// The field of [`Carried`] a line of `each_format!` names with its state
/// (the state's name, which drives the repetition, is not written out).
macro_rules! carried {
    ($field:expr, $state:ident) => {
        $field
    };
}

/// `true` for a line of `each_format!` that names a renderer.
macro_rules! renders {
    () => {
        false
    };
    ($output:ident) => {
        true
    };
}

formats::each_format!(declare_formats);

impl Format {
    /// The format's name on the command line: `openai-chat`,
    /// `openai-responses`, `anthropic`, `gemini` or `bedrock`.
    pub const fn name(self) -> &'static str {
        self.row().name
    }

    /// Every format's name, as [`name`](Format::name) gives it, in the
    /// order of the variants: the names a binding lists.
    pub fn names() -> &'static [&'static str] {
        &formats::NAMES
    }

    /// Whether the format comes as binary event-stream frames rather than
    /// server-sent events.
    pub fn is_framed(self) -> bool {
        matches!(self.row().detect, Detect::Frames)
    }

    /// The format's row in the table of formats.
    pub(crate) const fn row(self) -> &'static Row {
        &FORMATS[self as usize]
    }

    /// The format of a stream whose first meaningful event has SSE type
    /// `event_type` and JSON `type` member `kind` (either may be empty), or
    /// `None` when that event does not tell (a `ping` or an `error`).
    ///
    /// A format whose events are named by a prefix (Anthropic's
    /// `message_*` and `content_block_*`, Responses' `response.*`) is told
    /// by it; anything else is taken as chat completions, whose chunks carry
    /// no `type`. Gemini's events carry neither a name nor a `type`: the
    /// [`Decoder`] tells them from chat chunks by their members
    /// (`candidates`, `usageMetadata`, `promptFeedback`), and Bedrock by its
    /// binary framing.
    pub(crate) fn detect(event_type: &[u8], kind: &[u8]) -> Option<Format> {
        let name = if kind.is_empty() { event_type } else { kind };
        if matches!(name, b"ping" | b"error") {
            return None;
        }
        let mut otherwise = None;
        for row in &FORMATS {
            match row.detect {
                Detect::Prefixes(prefixes) if prefixes.iter().any(|p| name.starts_with(p)) => {
                    return Some(row.format);
                }
                Detect::Otherwise => otherwise = Some(row.format),
                _ => {}
            }
        }
        otherwise
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = UnknownName;

    /// Reads a [`name`](Format::name), or one of the aliases `openai` and
    /// `chat`, `responses`, `google` and `vertex`.
    fn from_str(name: &str) -> Result<Format, UnknownName> {
        FORMATS
            .iter()
            .find(|row| row.name == name || row.aliases.contains(&name))
            .map(|row| row.format)
            .ok_or_else(|| UnknownName::new("format", name, Format::names()))
    }
}

/// One provider-neutral event, borrowed from the upstream event it came
/// from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Upstream<'a> {
    /// Who answers: the response's id, model and creation time, as far as
    /// this event names them.
    Response {
        /// The message, response or completion id.
        id: Option<&'a str>,
        /// The model.
        model: Option<&'a str>,
        /// Unix seconds.
        created: Option<u64>,
    },
    /// The response has started, in a format that says so before its
    /// first content (Anthropic's `message_start`, Responses'
    /// `response.created`, Bedrock's `messageStart`): the client may have
    /// its first frame now rather than with the first text. Comes after the
    /// `Response` event of the same upstream event.
    Start,
    /// Answer text, decoded.
    Text(&'a str),
    /// Reasoning text (Anthropic thinking, Responses reasoning summaries,
    /// chat `reasoning_content`), decoded.
    Reasoning(&'a str),
    /// A piece of the opaque state of the reasoning being streamed, which
    /// the client gives back with the reasoning in its next request so that
    /// the provider can go on from it (Anthropic's thinking `signature`, a
    /// Responses reasoning item's `encrypted_content`). Pieces concatenate.
    ReasoningState(&'a str),
    /// Upstream opens an output item of its own: the answer text, or the
    /// reasoning, that comes after it, up to the next `Item` or call, is
    /// that one item, and a client whose format has item ids gets upstream's
    /// id (a client may send it back).
    Item {
        /// What the item holds.
        kind: ItemKind,
        /// Upstream's id for it.
        id: Option<&'a str>,
    },
    /// Refusal text, decoded.
    Refusal(&'a str),
    /// The events after this one, up to the next `Choice`, are about the
    /// chat choice of this index. Each upstream event starts at choice 0
    /// and ends back at it, and a decoder says `Choice` only where the
    /// choice changes: events with none before them are about choice 0.
    Choice(u32),
    /// A tool call starts, or more of it arrives.
    Call(CallDelta<'a>),
    /// A tool call's arguments cannot be what upstream said (Gemini
    /// `partialArgs` that go back into a closed container): the call's
    /// arguments stop there, with `error` at their byte offset.
    CallError {
        /// Which call.
        call: CallRef<'a>,
        /// What went wrong, at a byte offset in the call's arguments.
        error: Error,
    },
    /// A tool call's whole arguments (Responses' `arguments.done`): its
    /// arguments when no fragment came.
    CallDone {
        /// Which call.
        call: CallRef<'a>,
        /// The arguments, whole.
        arguments: &'a str,
    },
    /// Why the answer ended.
    Finish(Finish<'a>),
    /// Token counts; the latest wins, field by field.
    Usage {
        /// The counts.
        usage: Usage,
        /// The usage object as upstream sent it.
        raw: &'a str,
    },
    /// An error upstream reported in the stream.
    Error(UpstreamError<'a>),
    /// The format's end of the response (`[DONE]`, `message_stop`,
    /// `response.completed`, Bedrock's `metadata`). Gemini has none: its
    /// response ends with the body.
    End,
    /// The upstream event may go to a client of the same format as it is
    /// (a chat chunk of deltas, an Anthropic text or thinking delta),
    /// instead of what the events after it (from the same upstream event)
    /// would be written as, when the relay changed nothing in it.
    Verbatim {
        /// The event's JSON.
        payload: &'a [u8],
        /// What the output's renderer needs to know to carry it as it came.
        forwardable: Forwardable,
    },
}

/// What an upstream event that may go out as it came says of itself, in no
/// format's words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forwardable {
    /// Whether it announces the message: names who speaks (chat's `role`),
    /// which a client is told once.
    pub announces: bool,
    /// The index upstream gives the part of the message it adds to
    /// (Anthropic's content block), which the renderer must number the same.
    pub part: Option<u64>,
}

/// What an output item that upstream opens holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// Answer text (and refusal).
    Message,
    /// Reasoning.
    Reasoning,
}

/// Which tool call an event is about: its position among the response's
/// outputs (chat `index`, Anthropic content block index, Responses
/// `output_index`), or the Responses item id when the position is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallRef<'a> {
    /// The call's position key in its format.
    pub index: Option<u64>,
    /// The Responses output item id.
    pub item: Option<&'a str>,
}

/// Part of a tool call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallDelta<'a> {
    /// Which call.
    pub call: CallRef<'a>,
    /// Whether this event may open a call not seen before. Anthropic and
    /// Responses announce a call before its fragments, so a fragment for an
    /// unannounced position (a server-side tool's input) is not a call of
    /// the client's; chat completions open a call with its first fragment.
    pub opens: bool,
    /// The call id, when this event names it.
    pub id: Option<&'a str>,
    /// The function name, or a piece of it.
    pub name: Option<&'a str>,
    /// An argument fragment: raw JSON text, possibly cut anywhere.
    pub arguments: Option<&'a str>,
    /// An opaque signature the provider attached to the call, to be given
    /// back with it in the next request (Gemini's `thoughtSignature`): only
    /// a client of the format that made it can use it.
    pub signature: Option<&'a str>,
}

/// An error upstream reported in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpstreamError<'a> {
    /// Its message.
    pub message: Option<&'a str>,
    /// Its type (`overloaded_error`, `server_error`, ...).
    pub error_type: Option<&'a str>,
    /// Its code.
    pub code: Option<Code<'a>>,
    /// The error object as upstream sent it.
    pub raw: &'a str,
}

/// Where decoded events go.
pub trait Sink {
    /// Takes one event.
    fn event(&mut self, event: Upstream<'_>) -> Result<(), Error>;

    /// Told the stream's format: `None` before each message while the
    /// events say nothing of it, then once, before the events of the
    /// message that tells it (or of the first, when it was given), the
    /// format; and so again after [`Decoder::reset`]. A decoder tells the
    /// sink it decodes into, so a caller that changes sinks mid-stream
    /// tells the new one itself. Does nothing unless a sink needs it.
    fn format(&mut self, format: Option<Format>) {
        let _ = format;
    }
}

/// Decodes one upstream stream, event by event, in a format given or
/// detected from its first events.
#[derive(Debug)]
pub struct Decoder {
    format: Option<Format>,
    reader: EventReader,
    carried: Carried,
    /// Whether the sink has been told the format.
    told: bool,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new(None)
    }
}

impl Decoder {
    /// A decoder for `format`, or one that detects it when `None`.
    pub fn new(format: Option<Format>) -> Decoder {
        Decoder {
            format,
            reader: EventReader::new(names_read(format)),
            carried: Carried::default(),
            told: false,
        }
    }

    /// Sets the nesting limit of an event's JSON: the array or object that
    /// would make `limit` containers open at once is refused with
    /// [`ErrorKind::TooDeep`](crate::ErrorKind::TooDeep). The default,
    /// [`DEFAULT_MAX_DEPTH`](crate::scan::DEFAULT_MAX_DEPTH), accepts
    /// what serde_json accepts.
    pub fn with_max_depth(mut self, limit: usize) -> Decoder {
        self.reader.set_max_depth(limit);
        self
    }

    /// The format, once given or detected.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Forgets the stream and a detected format; a given one stays.
    pub fn reset(&mut self, given: Option<Format>) {
        self.format = given;
        self.reader.set_names(names_read(given));
        self.told = false;
        self.carried.reset();
    }

    /// Decodes one message, an SSE event or a frame, into `sink`.
    ///
    /// # Errors
    /// As [`decode`](Decoder::decode) and [`decode_frame`](Decoder::decode_frame).
    pub(crate) fn decode_message(
        &mut self,
        message: &Message,
        sink: &mut impl Sink,
    ) -> Result<(), Error> {
        match message {
            Message::Sse(event) => self.decode(event, sink),
            Message::Frame(frame) => self.decode_frame(frame, sink),
        }
    }

    /// Decodes one event-stream frame into `sink`: a Bedrock event, the
    /// format of every framed stream.
    ///
    /// # Errors
    /// As [`decode`](Decoder::decode), with offsets in the frame's payload.
    pub fn decode_frame(&mut self, frame: &Frame, sink: &mut impl Sink) -> Result<(), Error> {
        if self.format.is_none() {
            self.format = Some(Format::Bedrock);
            self.reader.set_names(names_read(self.format));
            self.told = false;
        }
        self.tell(sink);
        let event = bedrock::Event {
            event_type: frame.event_type().unwrap_or_default(),
            message_type: frame.message_type(),
            exception_type: frame.exception_type(),
            payload: frame.payload(),
        };
        if self.format == Some(Format::Bedrock) {
            return bedrock::decode_event(self.reader.read(event.payload), &event, sink);
        }
        // A decoder given another format: the frame is still Bedrock's, read
        // for Bedrock's names, and the format's come back after it.
        self.reader.set_names(names_read(Some(Format::Bedrock)));
        let decoded = bedrock::decode_event(self.reader.read(event.payload), &event, sink);
        self.reader.set_names(names_read(self.format));
        decoded
    }

    /// The body ended: gives what a format holds back for its end (Gemini's
    /// first `finishReason`, which goes out once whatever came after it).
    ///
    /// # Errors
    /// Whatever `sink` returns.
    pub fn finish(&mut self, sink: &mut impl Sink) -> Result<(), Error> {
        match self.format {
            Some(format) => self.carried.finish(format, sink),
            None => Ok(()),
        }
    }

    /// The bytes its reused parse buffers hold.
    pub(crate) fn retained_bytes(&self) -> usize {
        self.reader.retained_bytes()
    }

    /// Decodes one server-sent event into `sink`.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedChunk`](crate::ErrorKind::MalformedChunk) or
    /// [`ErrorKind::TooDeep`](crate::ErrorKind::TooDeep) for an event that
    /// is not its format's JSON, with the offset in the payload where known;
    /// and whatever `sink` returns.
    pub fn decode(&mut self, event: &SseEvent, sink: &mut impl Sink) -> Result<(), Error> {
        let Some(format) = self.format else {
            return self.detect_and_decode(event, sink);
        };
        self.tell(sink);
        // The one pass over the event; each decoder first takes what is not
        // JSON (chat's `[DONE]`, an empty event), then reads the result.
        let doc = self.reader.read(event.data());
        decode_in(format, doc, &mut self.carried, event, sink)
    }

    /// Tells `sink` the format, if not yet told.
    #[inline(always)]
    fn tell(&mut self, sink: &mut impl Sink) {
        if !self.told {
            self.told = true;
            sink.format(self.format);
        }
    }

    /// [`decode`](Decoder::decode) while the format is unknown: the pass
    /// over the event also tells it, and the events after the one that
    /// told it are read for the names its decoder reads.
    #[cold]
    fn detect_and_decode(&mut self, event: &SseEvent, sink: &mut impl Sink) -> Result<(), Error> {
        let doc = self.reader.read(event.data());
        self.format = detect_in(event, doc.as_ref().ok());
        sink.format(self.format);
        self.told = self.format.is_some();
        let Some(format) = self.format else {
            // A ping says nothing; an error reads the same in every format.
            return decode_undetected(doc, event.data(), sink);
        };
        let decoded = decode_in(format, doc, &mut self.carried, event, sink);
        self.reader.set_names(names_read(Some(format)));
        decoded
    }
}

/// The format `event` tells, `doc` being its data as read (`None` when it
/// is no JSON): by its `type` member, else its event name, else (Gemini,
/// which has neither) by the members of its root; see [`Format::detect`].
fn detect_in(event: &SseEvent, doc: Option<&Doc<'_>>) -> Option<Format> {
    let name = event.event().map_or(&b""[..], |e| e);
    let (kind, by_members) = doc.map_or((None, None), |doc| read_detection(*doc));
    let kind = kind.map_or(&b""[..], str::as_bytes);
    match by_members {
        Some(format) if kind.is_empty() && name.is_empty() => Some(format),
        _ => Format::detect(name, kind),
    }
}

/// What tells a format in an event that reads as JSON: its root's `type`
/// when that is a string, and the format whose members its root has
/// ([`Detect::Members`]), if any.
fn read_detection(doc: Doc<'_>) -> (Option<&str>, Option<Format>) {
    let Ok(root) = doc.root() else {
        return (None, None);
    };
    let kind = doc.str(Some(root), key!("type")).ok().flatten();
    let by_members = FORMATS.iter().find_map(|row| match row.detect {
        Detect::Members(members) => members
            .iter()
            .any(|&member| {
                doc.pick_with_nulls(Some(root), [READ_BY_A_DECODER.key(member)])
                    .is_ok_and(|[found]| found.is_some())
            })
            .then_some(row.format),
        _ => None,
    });
    (kind, by_members)
}

/// An event before the format is known: a ping, or an error, which reads
/// the same in every format.
fn decode_undetected(
    doc: Result<Doc<'_>, Error>,
    data: &[u8],
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let Some(doc) = unless_empty(doc, data)? else {
        return Ok(());
    };
    let root = doc.root()?;
    if doc.str(Some(root), key!("type"))? == Some("ping") {
        return Ok(());
    }
    // `{"type":"error","error":{...}}` (Anthropic), `{"error":{...}}`
    // (chat), or `{"type":"error","code":...,"message":...}` (Responses).
    let (at, raw) = match doc.object(doc.get(Some(root), key!("error"))?) {
        Ok(Some(at)) => (at, doc.raw(at)),
        _ => (root, doc.raw(root)),
    };
    sink.event(Upstream::Error(UpstreamError {
        message: doc.str(Some(at), key!("message"))?,
        error_type: doc.str(Some(at), key!("type"))?,
        code: doc.code(Some(at), key!("code"))?,
        raw,
    }))
}

/// Parses an event of a format that names each event's type in its `type`
/// member (or, failing that, in the SSE event name), and hands `read` the
/// document, its root object, the type, and the root's members `keys`,
/// whose first is `type`: those the commonest events read, found in the
/// one pass over the root that finds the type. An event without data is
/// skipped.
fn typed_event<const N: usize>(
    doc: Result<Doc<'_>, Error>,
    event: &SseEvent,
    keys: [reader::Key<'_>; N],
    read: impl FnOnce(Doc<'_>, Option<At>, &[u8], [Option<At>; N]) -> Result<(), Error>,
) -> Result<(), Error> {
    let Some(doc) = unless_empty(doc, event.data())? else {
        return Ok(());
    };
    let root = Some(doc.root()?);
    let found = doc.pick(root, keys)?;
    let kind = match doc.string(found.first().copied().flatten())? {
        Some(kind) => kind.as_bytes(),
        None => event.event_type(),
    };
    read(doc, root, kind, found)
}

/// The event as read, or `None` for one whose `data` is empty or blank,
/// which says nothing (and is no JSON).
fn unless_empty<'t>(doc: Result<Doc<'t>, Error>, data: &[u8]) -> Result<Option<Doc<'t>>, Error> {
    if data.trim_ascii().is_empty() {
        return Ok(None);
    }
    doc.map(Some)
}

/// Passes non-empty `text` on as the event `wrap` makes of it.
fn text<'a>(
    text: Option<&'a str>,
    wrap: fn(&'a str) -> Upstream<'a>,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    match text.filter(|text| !text.is_empty()) {
        Some(text) => sink.event(wrap(text)),
        None => Ok(()),
    }
}

/// The [`Key`](reader::Key) of a member name a decoder reads, made at
/// compile time from the `READ` table where it is used: a decoder's, made
/// by [`formats::read_by`], or here, before the format is known, every
/// decoder's. A name missing from the table does not compile.
macro_rules! key {
    ($name:literal) => {
        const {
            let key = READ.key($name);
            assert!(key.is_known(), "the reader skips members of this name");
            key
        }
    };
}

/// The keys of several member names, each made as [`key!`] makes it.
macro_rules! keys {
    ($($name:literal),+ $(,)?) => {
        [$($crate::upstream::key!($name)),+]
    };
}

pub(crate) use {key, keys};

/// The table the reader lays a `format`'s events out by: the names its
/// decoder reads, or, while the format is unknown, every decoder's.
fn names_read(format: Option<Format>) -> &'static Names {
    match format {
        Some(format) => &formats::READ_BY_FORMAT[format as usize],
        None => &READ_BY_A_DECODER,
    }
}
