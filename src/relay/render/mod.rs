//! The renderers: one file a downstream format, fed the relay's
//! provider-neutral output events, writing whole SSE frames into one reused
//! buffer.
//!
//! The relay tells a renderer what the client must learn (answer text, the
//! target values' spans, reasoning, forwarded calls, the end or an error);
//! what a format requires (chat's one-role rule and choices, Anthropic's
//! content block indexes in start order, Responses' sequence numbers and a
//! final object that agrees with the deltas) lives in its renderer and
//! nowhere else. Text reaches a renderer as JSON string text, escaped and
//! without quotes: answer text escaped once by the relay, a target value's
//! span raw as it came, so it is copied, never decoded and escaped again.
//!
//! Each renderer's module docs hold its format's rules, and
//! [`neutral`](crate::neutral) each format's finish words and usage fields;
//! what each pair of formats maps is `docs/relay.md` in the repository,
//! which links back to these.

use std::fmt;
use std::io::Write as _;
use std::str::FromStr;

use bytes::Bytes;

use crate::UnknownName;
use crate::neutral::{Finish, Usage};
use crate::scan::plain::{HIGHS, ONES, lanes_of};
use crate::sse::SseEncoder;
use crate::upstream::{Code, Format, Forwardable, ItemKind};

/// What `each_format!` makes here, from the lines of its list that name a
/// renderer: a module a renderer, [`OutputFormat`] and its names, the
/// [`Renderer`] enum, and `each!`, the match that calls a method of
/// whichever renderer it is. `$d` is a `$` for `each!`'s own variables.
macro_rules! declare_renderers {
    ($d:tt $(
        $(#[$doc:meta])*
        $variant:ident $decoder:ident $(($state:ident))?
            $(=> $(#[$output_doc:meta])* $output:ident $renderer:ident $render_type:ident)?;
    )*) => {
        $($(
            mod $renderer;
            use self::$renderer::$render_type;
        )?)*

        /// The format a relay answers its client in.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum OutputFormat {
            $($($(#[$output_doc])* $output,)?)*
            /// The upstream's own format, given or detected (chat for a
            /// format that has no renderer: Bedrock).
            Same,
        }

        impl OutputFormat {
            /// The name on the command line: that of its [`Format`]
            /// (`openai-chat`, `openai-responses`, `anthropic`, `gemini`),
            /// or `same`.
            pub const fn name(self) -> &'static str {
                match self {
                    $($(OutputFormat::$output => Format::$variant.name(),)?)*
                    OutputFormat::Same => "same",
                }
            }

            /// The output for a stream read in `format`: its own, or chat
            /// for a format that has no renderer (Bedrock).
            pub fn of(format: Format) -> OutputFormat {
                match format {
                    $($(Format::$variant => OutputFormat::$output,)?)*
                    #[allow(unreachable_patterns)]
                    _ => OutputFormat::default(),
                }
            }
        }

        /// The names of the formats a renderer answers in, then `same`.
        const OUTPUT_NAMES: &[&str] = &[$($(OutputFormat::$output.name(),)?)* "same"];

        /// The renderer of one output format: the formats behind
        /// [`Render`], dispatched without a virtual call.
        #[derive(Debug)]
        pub(super) enum Renderer {
            $($($render_type($render_type),)?)*
        }

        impl Renderer {
            /// The renderer for `output`; [`OutputFormat::Same`] starts as
            /// chat until the upstream format is known.
            pub(super) fn new(output: OutputFormat) -> Renderer {
                match output {
                    $($(OutputFormat::$output => Renderer::$render_type($render_type::new()),)?)*
                    OutputFormat::Same => Renderer::new(OutputFormat::default()),
                }
            }

            /// Which output this renderer writes.
            pub(super) fn output(&self) -> OutputFormat {
                match self {
                    $($(Renderer::$render_type(_) => OutputFormat::$output,)?)*
                }
            }
        }

        /// Calls the same method on whichever renderer it is.
        macro_rules! each {
            ($d renderer:ident, $d r:ident => $d call:expr) => {
                match $d renderer {
                    $($(Renderer::$render_type($d r) => $d call,)?)*
                }
            };
        }
    };
}

crate::upstream::formats::each_format!(declare_renderers $);

/// Chat, the output of a client that asks for none and of a format without
/// a renderer.
impl Default for OutputFormat {
    fn default() -> OutputFormat {
        OutputFormat::OpenAiChat
    }
}

impl OutputFormat {
    /// Every output's name, as [`name`](OutputFormat::name) gives it: those of
    /// the formats a renderer answers in, and `same`.
    pub fn names() -> &'static [&'static str] {
        OUTPUT_NAMES
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputFormat {
    type Err = UnknownName;

    /// Reads a [`name`](OutputFormat::name), or any name [`Format`] reads (the
    /// output of that format, as [`OutputFormat::of`] gives it).
    fn from_str(name: &str) -> Result<OutputFormat, UnknownName> {
        match name {
            "same" => Ok(OutputFormat::Same),
            _ => name
                .parse::<Format>()
                .ok()
                .map(OutputFormat::of)
                .ok_or_else(|| UnknownName::new("output format", name, OutputFormat::names())),
        }
    }
}

/// An upstream event in the output's format, which may go out as it came.
#[derive(Clone, Copy, Debug)]
pub(super) struct Verbatim<'a> {
    /// The event's JSON.
    pub(super) payload: &'a Bytes,
    /// Whether it goes out by reference (the caller takes frames), not
    /// copied.
    pub(super) by_reference: bool,
    /// What it says of itself.
    pub(super) forwardable: Forwardable,
}

/// How the response ended, after the relay's own rules (with calls hidden,
/// a `tool_calls` finish reads as a stop and the answer made no calls).
#[derive(Clone, Copy, Debug)]
pub(super) struct End<'a> {
    /// Choice 0's finish.
    pub(super) finish: Finish<'a>,
    /// Whether choice 0 made calls the client sees.
    pub(super) made_calls: bool,
    /// The other choices' (index, finish, made calls), for a format that
    /// has choices.
    pub(super) others: &'a [(u32, Finish<'a>, bool)],
    /// The counts merged from every usage upstream sent, if any.
    pub(super) usage: Option<Usage>,
    /// Upstream's format and its last usage object as it came: a renderer
    /// of that format may pass it on whole.
    pub(super) raw_usage: Option<(Format, &'a str)>,
}

/// An error to tell the client.
#[derive(Clone, Copy, Debug)]
pub(super) struct Failure<'a> {
    pub(super) message: &'a str,
    pub(super) error_type: &'a str,
    pub(super) code: Option<Code<'a>>,
}

/// What a renderer does with the relay's output events. The relay filters
/// choices before a renderer sees them: a format without choices
/// ([`has_choices`](Render::has_choices) false) gets choice 0's events
/// alone, so its `choice` arguments are always 0. The default methods are
/// what a format that has no place for an event does: nothing.
pub(super) trait Render {
    /// What every renderer keeps.
    fn base(&self) -> &Base;

    fn base_mut(&mut self) -> &mut Base;

    /// Bytes held in its own buffers that outlive a stream, beyond its
    /// [`Base`].
    fn retained(&self) -> usize;

    /// Back to its fresh state, keeping its buffers.
    fn reset(&mut self);

    /// Whether the format carries several choices (chat).
    fn has_choices(&self) -> bool {
        false
    }

    /// Upstream's response has started: the client's first frame goes out
    /// now (chat's role, Anthropic's `message_start`, Responses'
    /// `response.created`), not with the first text.
    fn start(&mut self) {}

    /// Answer text of `choice`, escaped.
    fn text(&mut self, choice: u32, text: &[u8]);

    /// A target value's span of `choice`: raw JSON string text, answer text
    /// unless the format keeps it apart.
    fn value(&mut self, choice: u32, span: &[u8]) {
        self.text(choice, span);
    }

    /// Reasoning text of `choice`, escaped.
    fn reasoning(&mut self, choice: u32, text: &[u8]);

    /// A piece of the opaque state of the reasoning being written, for a
    /// format that has a place for another provider's.
    fn reasoning_state(&mut self, _state: &str) {}

    /// Upstream opens an item of `kind`, with its id if it gave one.
    fn item(&mut self, _kind: ItemKind, _id: Option<&str>) {}

    /// Refusal text of `choice`, escaped.
    fn refusal(&mut self, choice: u32, text: &[u8]);

    /// A forwarded call of `choice` opens.
    fn call_start(&mut self, choice: u32, call: &CallStart<'_>);

    /// The signature upstream attached to a forwarded call.
    fn call_signature(&mut self, _choice: u32, _ordinal: u32, _signature: &str) {}

    /// A fragment of a forwarded call's arguments, as upstream sent it.
    fn call_arguments(&mut self, choice: u32, ordinal: u32, fragment: &str);

    /// A forwarded call's `arguments` are now one whole, valid JSON value
    /// (what comes after it can only be whitespace or make them invalid).
    /// A call whose arguments never get there (none, cut off, invalid) gets
    /// no `call_end`.
    fn call_end(&mut self, _choice: u32, _ordinal: u32, _arguments: &str) {}

    /// The latest merged token counts.
    fn usage(&mut self, _usage: &Usage) {}

    /// Whether an upstream event of this format may go out as it came.
    fn may_forward(&self, _forwardable: Forwardable) -> bool {
        false
    }

    /// One upstream event is done: writes what it brought, or, when
    /// `verbatim` says the event is in this format and unchanged, the
    /// event itself where the format's rules allow.
    fn flush(&mut self, verbatim: Option<Verbatim<'_>>);

    /// Whether the answer outgrew what the renderer may keep of it: the
    /// client's stream must end with an error, as what was kept can no
    /// longer be written whole.
    fn outgrown(&self) -> bool {
        false
    }

    /// The response is over: writes the end (after a `flush`).
    fn end(&mut self, end: &End<'_>);

    /// The response is over, and its end is left out (a gateway chaining
    /// responses): closes what is open (after a `flush`).
    fn close(&mut self) {}

    /// Writes an error that ends the client's stream (after a `flush`).
    fn error(&mut self, failure: &Failure<'_>);
}

/// A forwarded call that opens.
#[derive(Clone, Copy, Debug)]
pub(super) struct CallStart<'a> {
    /// Its ordinal within its choice, from 0.
    pub(super) ordinal: u32,
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    /// Upstream's id for the call's item, if it gave one.
    pub(super) item: Option<&'a str>,
}

/// Methods of [`Renderer`] that call the same [`Render`] method of whichever
/// renderer it is, each match arm a direct call the compiler may inline.
macro_rules! forward {
    () => {};
    (fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?; $($rest:tt)*) => {
        #[inline]
        pub(super) fn $name(&mut self $(, $arg: $ty)*) $(-> $ret)? {
            each!(self, r => r.$name($($arg),*))
        }
        forward!($($rest)*);
    };
    (fn $name:ident(&self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?; $($rest:tt)*) => {
        #[inline]
        pub(super) fn $name(&self $(, $arg: $ty)*) $(-> $ret)? {
            each!(self, r => r.$name($($arg),*))
        }
        forward!($($rest)*);
    };
}

impl Renderer {
    forward! {
        fn has_choices(&self) -> bool;
        fn start(&mut self);
        fn text(&mut self, choice: u32, text: &[u8]);
        fn value(&mut self, choice: u32, span: &[u8]);
        fn reasoning(&mut self, choice: u32, text: &[u8]);
        fn reasoning_state(&mut self, state: &str);
        fn item(&mut self, kind: ItemKind, id: Option<&str>);
        fn refusal(&mut self, choice: u32, text: &[u8]);
        fn call_start(&mut self, choice: u32, call: &CallStart<'_>);
        fn call_signature(&mut self, choice: u32, ordinal: u32, signature: &str);
        fn call_arguments(&mut self, choice: u32, ordinal: u32, fragment: &str);
        fn call_end(&mut self, choice: u32, ordinal: u32, arguments: &str);
        fn usage(&mut self, usage: &Usage);
        fn may_forward(&self, forwardable: Forwardable) -> bool;
        fn flush(&mut self, verbatim: Option<Verbatim<'_>>);
        fn outgrown(&self) -> bool;
    }

    /// Becomes the renderer of `output` (not [`OutputFormat::Same`]), keeping the
    /// response's names and created time.
    pub(super) fn switch(&mut self, output: OutputFormat) {
        if self.output() != output {
            let (created, max_kept) = (self.base().default_created, self.base().max_kept);
            *self = Renderer::new(output);
            let base = self.base_mut();
            base.default_created = created;
            base.max_kept = max_kept;
        }
    }

    fn base(&self) -> &Base {
        each!(self, r => r.base())
    }

    fn base_mut(&mut self) -> &mut Base {
        each!(self, r => r.base_mut())
    }

    pub(super) fn set_created(&mut self, created: u64) {
        let base = self.base_mut();
        base.default_created = created;
        base.names_changed += 1;
    }

    /// Sets the limit on the answer a renderer keeps to write it whole at
    /// the end (Responses' `response.completed`).
    pub(super) fn set_max_kept(&mut self, max: usize) {
        self.base_mut().max_kept = max;
    }

    pub(super) fn take(&mut self) -> Bytes {
        self.base_mut().encoder.take()
    }

    /// The output as a few [`Bytes`], events forwarded unchanged by
    /// reference.
    pub(super) fn take_frames(&mut self) -> impl Iterator<Item = Bytes> + '_ {
        self.base_mut().encoder.take_frames()
    }

    /// The frames written since it was made.
    pub(super) fn frames(&self) -> u64 {
        self.base().encoder.frames()
    }

    /// Bytes held in buffers that outlive a stream.
    pub(super) fn retained(&self) -> usize {
        each!(self, r => r.base().retained() + r.retained())
    }

    pub(super) fn reset(&mut self) {
        self.base_mut().reset();
        each!(self, r => r.reset());
    }

    /// Takes the response's id, model and created time, where given.
    pub(super) fn response(&mut self, id: Option<&str>, model: Option<&str>, created: Option<u64>) {
        self.base_mut().set_response(id, model, created);
    }

    /// The response is over: closes what is open and writes the end.
    pub(super) fn end(&mut self, end: &End<'_>) {
        each!(self, r => {
            r.flush(None);
            r.end(end);
        });
    }

    /// The response is over, and its end is left out (a gateway chaining
    /// responses): closes what is open, writes no end.
    pub(super) fn close(&mut self) {
        each!(self, r => {
            r.flush(None);
            r.close();
        });
    }

    /// Writes an error that ends the client's stream.
    pub(super) fn error(&mut self, failure: &Failure<'_>) {
        each!(self, r => {
            r.flush(None);
            r.error(failure);
        });
    }
}

/// What every renderer keeps: the encoder, a scratch frame, and the
/// response's names.
#[derive(Debug)]
pub(super) struct Base {
    pub(super) encoder: SseEncoder,
    pub(super) frame: Vec<u8>,
    pub(super) id: String,
    pub(super) model: String,
    pub(super) created: Option<u64>,
    /// `created` for formats that carry none.
    pub(super) default_created: u64,
    /// The limit on the answer kept to be written whole at the end.
    pub(super) max_kept: usize,
    /// Counts the changes of `id`, `model` and the created time, so that a
    /// renderer may keep what it writes of them until the next change.
    pub(super) names_changed: u64,
}

impl Base {
    fn new() -> Base {
        let mut base = Base::empty();
        base.frame.reserve(512);
        base
    }

    /// A base that holds no memory: what a renderer's fresh state is
    /// built around while its reset carries the old base over.
    pub(super) fn empty() -> Base {
        Base {
            // The encoder grows its own buffer: a capacity given here
            // changes when `bytes` can take a split buffer back whole, and
            // with it the allocations after a reset.
            encoder: SseEncoder::new(),
            frame: Vec::new(),
            id: String::new(),
            model: String::new(),
            created: None,
            default_created: 0,
            max_kept: super::DEFAULT_MAX_KEPT,
            names_changed: 0,
        }
    }

    fn reset(&mut self) {
        self.encoder.take();
        self.frame.clear();
        self.id.clear();
        self.model.clear();
        self.created = None;
        self.names_changed += 1;
    }

    fn retained(&self) -> usize {
        self.encoder.retained_bytes()
            + self.frame.capacity()
            + self.id.capacity()
            + self.model.capacity()
    }

    /// Each event repeats the id and the model, so they are cut to
    /// [`MAX_NAME`] bytes: an upstream that sends a huge id once and then
    /// thousands of one-byte deltas must not make the output a thousand
    /// times its input.
    fn set_response(&mut self, id: Option<&str>, model: Option<&str>, created: Option<u64>) {
        for (kept, given) in [(&mut self.id, id), (&mut self.model, model)] {
            if let Some(given) = given.map(|given| floor_boundary(given, MAX_NAME))
                && kept != given
            {
                kept.clear();
                kept.push_str(given);
                self.names_changed += 1;
            }
        }
        if created.is_some() && created != self.created {
            self.created = created;
            self.names_changed += 1;
        }
    }

    /// Whether upstream has named the response (its id or model).
    pub(super) fn named(&self) -> bool {
        !(self.id.is_empty() && self.model.is_empty())
    }

    pub(super) fn created(&self) -> u64 {
        self.created.unwrap_or(self.default_created)
    }

    /// Writes the scratch frame as a data-only event. The frame is the
    /// renderer's own JSON, every string in it escaped, so it is one line:
    /// a frame that carries upstream's JSON as it came goes through
    /// [`push_upstream`](Base::push_upstream) instead.
    pub(super) fn push_data(&mut self) {
        self.encoder.push_line(None, &self.frame);
    }

    /// Writes the scratch frame, one line as for
    /// [`push_data`](Base::push_data), as an event named `name`.
    pub(super) fn push_named(&mut self, name: &[u8]) {
        self.encoder.push_line(Some(name), &self.frame);
    }

    /// Writes the scratch frame as a data-only event, when it carries a
    /// piece of upstream's JSON as it came, which may hold line breaks
    /// between its tokens: each line its own `data:` line.
    pub(super) fn push_upstream(&mut self) {
        self.encoder.push_data(&self.frame);
    }
}

/// A buffer a reset carries over: emptied, its memory kept. A renderer's
/// reset starts from its fresh state (the one `fresh` that `new` uses too)
/// and carries over only such buffers and its [`Base`], so that nothing of
/// a stream can reach the next one a pooled relay relays.
pub(super) trait Emptied {
    fn emptied(self) -> Self;
}

impl<T> Emptied for Vec<T> {
    fn emptied(mut self) -> Vec<T> {
        self.clear();
        self
    }
}

impl Emptied for String {
    fn emptied(mut self) -> String {
        self.clear();
        self
    }
}

/// The response id written when upstream names none (Bedrock):
/// openai-node's stream helper takes a chunk's usage only from a chunk with
/// an id.
pub(super) const NO_ID: &str = "argstream";

/// `id`, or [`NO_ID`] when it is empty.
pub(super) fn or_no_id(id: &str) -> &str {
    if id.is_empty() { NO_ID } else { id }
}

/// The longest id or model name a written event carries, in bytes.
pub(super) const MAX_NAME: usize = 256;

/// `text` cut to at most `max` bytes, on a character boundary.
pub(super) fn floor_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Appends an error code: a JSON string, a number, or `null`.
pub(super) fn write_code(out: &mut Vec<u8>, code: Option<Code<'_>>) {
    match code {
        Some(Code::Text(code)) => write_json_string(out, code),
        Some(Code::Number(code)) => {
            let _ = write!(out, "{code}");
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends `before`, `n` in decimal and `after`: the numbers of the
/// frames written for every event (a chunk's choice index, a block's index,
/// a sequence number) without the formatting machinery, which costs more
/// than the rest of a small frame.
///
/// Inlined, so that the text around the number, known where it is
/// called, is copied without a call; a number of one digit (most indexes)
/// is one byte.
#[inline]
pub(super) fn write_number(out: &mut Vec<u8>, before: &[u8], n: u64, after: &[u8]) {
    out.extend_from_slice(before);
    if n < 10 {
        out.push(b'0' + n as u8);
    } else {
        let mut digits = [0u8; 20];
        out.extend_from_slice(crate::sse::encode::decimal(n, &mut digits));
    }
    out.extend_from_slice(after);
}

/// Appends `"name":"` + escaped text + `"`.
pub(super) fn write_field(out: &mut Vec<u8>, name: &[u8], escaped: &[u8]) {
    out.extend_from_slice(name);
    out.push(b'"');
    out.extend_from_slice(escaped);
    out.push(b'"');
}

/// Appends `text` as a JSON string literal, quotes included.
pub(crate) fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    write_escaped(out, text);
    out.push(b'"');
}

/// The room a text buffer starts with, rather than growing from the size of
/// its first piece a few times in every stream.
const TEXT: usize = 256;

/// Appends `bytes` to a text buffer, which starts with room for [`TEXT`].
#[inline]
pub(super) fn append(buffer: &mut Vec<u8>, bytes: &[u8]) {
    if buffer.capacity() == 0 {
        buffer.reserve(TEXT.max(bytes.len()));
    }
    buffer.extend_from_slice(bytes);
}

/// Appends `text` escaped for a JSON string, without quotes: the runs
/// between the bytes JSON must escape are copied whole, found eight bytes
/// at a time ([`next_escape`]).
pub(crate) fn write_escaped(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len().max(if out.capacity() == 0 { TEXT } else { 0 }));
    let mut start = 0;
    loop {
        let at = next_escape(bytes, start);
        out.extend_from_slice(&bytes[start..at]);
        let Some(&b) = bytes.get(at) else { return };
        match b {
            b'"' => out.extend_from_slice(br#"\""#),
            b'\\' => out.extend_from_slice(br"\\"),
            b'\n' => out.extend_from_slice(br"\n"),
            b'\r' => out.extend_from_slice(br"\r"),
            b'\t' => out.extend_from_slice(br"\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let hex = [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex[0], hex[1]]);
            }
        }
        start = at + 1;
    }
}

/// Where the first byte from `from` that JSON must escape (a control
/// character, `"` or `\\`) is, or the length when there is none: eight
/// bytes a step, and the last few read as one word padded with spaces.
/// Text outside ASCII needs no escape and goes at the same speed.
fn next_escape(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(word) = bytes.get(at..at + 8) {
        let flagged = to_escape(u64::from_le_bytes(word.try_into().unwrap_or([b' '; 8])));
        if flagged != 0 {
            return at + (flagged.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let rest = bytes.get(at..).unwrap_or_default();
    if rest.is_empty() {
        return bytes.len();
    }
    let mut word = [b' '; 8];
    word[..rest.len()].copy_from_slice(rest);
    match to_escape(u64::from_le_bytes(word)) {
        0 => bytes.len(),
        flagged => at + (flagged.trailing_zeros() / 8) as usize,
    }
}

/// The bytes of `word` (read little-endian) that JSON must escape, each as
/// the high bit of its lane: below 0x20, `"` or `\\`. As in
/// [`not_plain`](crate::scan::plain::not_plain), a lane that matches may
/// flag the lanes above it too, never one below: the lowest flagged lane is
/// exact.
fn to_escape(word: u64) -> u64 {
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    control | lanes_of(word, b'"') | lanes_of(word, b'\\')
}

#[cfg(test)]
mod tests {
    use super::{next_escape, write_json_string, write_number};

    /// Every byte value at every place of texts up to 20 bytes long, from
    /// every start: the first byte that needs an escape, as a byte loop
    /// finds it.
    #[test]
    fn next_escape_agrees_with_a_byte_loop() {
        let escaped = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        for len in 0..20 {
            for at in 0..=len {
                for stop in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    if at < len {
                        bytes[at] = stop;
                    }
                    for from in 0..=len {
                        let expected = (from..len).find(|&i| escaped(bytes[i])).unwrap_or(len);
                        assert_eq!(
                            next_escape(&bytes, from),
                            expected,
                            "{len} {at} {stop:#x} {from}"
                        );
                    }
                }
            }
        }
    }

    /// Every number of digits, and the ends, as `format!` writes them.
    #[test]
    fn numbers_read_as_format_writes_them() {
        let mut n = 1u64;
        let mut cases = vec![0, u64::MAX, u64::from(u32::MAX)];
        while let Some(next) = n.checked_mul(10) {
            cases.extend([n - 1, n, n + 1]);
            n = next;
        }
        for n in cases {
            let mut out = b"x".to_vec();
            write_number(&mut out, b"[", n, b"]");
            assert_eq!(out, format!("x[{n}]").into_bytes());
        }
    }

    /// Every character class at every place in a word of eight, as JSON
    /// reads it back: the same text.
    #[test]
    fn escaped_text_reads_back_as_it_was() {
        let pieces = [
            "\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1f}", "\u{7f}", "é", "😀", "a",
        ];
        for piece in pieces {
            for before in 0..17 {
                for after in [0, 1, 7, 8, 9] {
                    let text = format!("{}{piece}{}", "x".repeat(before), "y".repeat(after));
                    let mut out = Vec::new();
                    write_json_string(&mut out, &text);
                    let back: String = serde_json::from_slice(&out).expect("JSON");
                    assert_eq!(back, text);
                }
            }
        }
    }
}
