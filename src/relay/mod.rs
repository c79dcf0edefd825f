//! The relay: an upstream event stream in any of the five formats it
//! reads, a client's stream out in the format it asks for, with the target
//! arguments of every tool call streamed as answer text as they arrive.
//!
//! Data flows one way: upstream bytes, [`SseDecoder`](crate::SseDecoder)
//! events or [`FrameDecoder`](crate::eventstream::FrameDecoder) frames, the format's
//! [`Decoder`] turning each into provider-neutral [`Upstream`] events, the
//! calls and their key scanners, then the renderer of the output format.

mod calls;
mod render;
mod summary;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;
use smallvec::{SmallVec, smallvec};

use self::calls::Calls;
use self::render::{CallStart, End, Failure, Renderer, Verbatim, write_escaped};
use crate::error::{Error, ErrorKind, UnknownName};
use crate::neutral::{Finish, KeptFinish, Usage};
use crate::scan::Keys;
use crate::upstream::{
    CallDelta, Code, Decoder, Format, Forwardable, Input, Message, Sink, Upstream, UpstreamError,
};

pub use self::render::OutputFormat;
/// The former name of [`OutputFormat`], kept so that code written against
/// it builds.
#[doc(hidden)]
pub use self::render::OutputFormat as Output;
pub use self::summary::{Summary, ToolCallSummary};

/// The key a relay tracks when none is given: the voice agent's spoken
/// preamble.
pub const DEFAULT_KEY: &str = "pre_exec_msg";

/// The default limit on one tool call's collected arguments: 16 MiB.
pub const DEFAULT_MAX_ARGUMENTS: usize = 16 << 20;

/// The default limit on all the calls' collected arguments in one stream:
/// 256 MiB, so that many calls cannot each hold the most one call may
/// (1,024 of 16 MiB would be 16 GiB).
pub const DEFAULT_MAX_STREAM_ARGUMENTS: usize = 256 << 20;

/// The default limit on the tool calls of one response.
pub const DEFAULT_MAX_CALLS: usize = 1024;

/// The default limit on the answer text a summary collects: 16 MiB.
pub const DEFAULT_MAX_CONTENT: usize = 16 << 20;

/// The default limit on the answer a renderer keeps to write it whole at
/// the end (Responses' `response.completed`): 256 MiB, as much as a
/// stream's calls may collect.
pub const DEFAULT_MAX_KEPT: usize = 256 << 20;

/// What the client learns of the tool calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ToolCallMode {
    /// The voice agent's way: the client gets content only (the target
    /// values among it), and a `tool_calls` finish is reported as `stop`.
    #[default]
    Hide,
    /// The client also gets the calls as OpenAI `tool_calls` deltas (index =
    /// the call's ordinal, id, name, argument fragments), and the finish
    /// stays `tool_calls`.
    Forward,
}

impl FromStr for ToolCallMode {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<ToolCallMode, UnknownName> {
        match name {
            "hide" => Ok(ToolCallMode::Hide),
            "forward" => Ok(ToolCallMode::Forward),
            _ => Err(UnknownName::new(
                "tool-call mode",
                name,
                &["hide", "forward"],
            )),
        }
    }
}

impl fmt::Display for ToolCallMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ToolCallMode::Hide => "hide",
            ToolCallMode::Forward => "forward",
        })
    }
}

/// The default limit on a response's chat choices: indexes 0 to 127 (no
/// API returns more than 128).
pub const DEFAULT_MAX_CHOICES: usize = 128;

/// Relays one upstream event stream to a client, in the client's format.
///
/// Upstream reads go in through [`feed`](Relay::feed); downstream bytes come
/// out of [`output`](Relay::output), whole SSE frames ready to write:
///
/// - **Formats in.** OpenAI chat completions, OpenAI Responses, Anthropic
///   Messages, Google Gemini and Amazon Bedrock `ConverseStream`, detected
///   from the first bytes and events (Bedrock's binary frames, Anthropic's
///   `message_start`, a `response.*` event, Gemini's `candidates`, else chat
///   completions) or given with [`with_format`](Relay::with_format).
/// - **Formats out.** [`with_output`](Relay::with_output): OpenAI chat
///   chunks (the default), Anthropic Messages events, OpenAI Responses
///   events, Gemini `GenerateContentResponse` events, or the upstream's own
///   format ([`OutputFormat::Same`]; chat for Bedrock). Each
///   renderer follows what its format's official SDK needs to build a final
///   object from the stream.
/// - **Text.** Answer text, reasoning (Anthropic thinking, Responses
///   reasoning summaries, chat `reasoning_content`) and refusals each go
///   out as their kind in the output format. A chat chunk relayed to chat
///   that carries only such deltas is forwarded as its original bytes,
///   never re-serialised.
/// - **Calls.** Each tool call's arguments are collected and scanned for the
///   target keys; the new text of their string values goes out as answer
///   text as it arrives, copied raw (it is already JSON string text), so the
///   client decodes exactly the value ([`with_values(false)`](Relay::with_values)
///   leaves it out). With [`ToolCallMode::Forward`] the calls themselves go
///   out too, as the output format's calls (Gemini's as whole
///   `functionCall` parts, once their arguments are complete).
/// - **Choices.** A chat upstream's choices stay apart in chat output, each
///   with its own text, calls, role and finish; the other outputs carry
///   choice 0 alone. The [`Summary`] describes choice 0.
/// - **The end.** When upstream finished, the output format's end goes out
///   once (chat: a finish chunk, a usage chunk if upstream gave usage, and
///   `data: [DONE]`; Anthropic: `message_delta` and `message_stop`;
///   Responses: `response.completed` or `response.incomplete`; Gemini: an
///   event with the `finishReason` and `usageMetadata`);
///   [`with_finish(false)`](Relay::with_finish) leaves it out, for a
///   gateway that chains several upstream responses into one client stream.
/// - **Upstream errors.** An error event upstream, or a stream that ends
///   before its format's end (inside an event, or with no finish), goes to
///   the client once as the output format's error (chat
///   `{"error":{"message":…,"type":…,"code":…}}`, Anthropic `event: error`,
///   Responses `response.failed`, Gemini `{"error":{"code":…,"message":…,
///   "status":…}}`), is recorded in the [`Summary`], and ends
///   the downstream with no success end after it.
///
/// # Cost
/// Upstream bytes are read once by the SSE decoder and once by the format's
/// JSON parser; arguments once more by their call's scanner, found in O(1)
/// per fragment. Frames are written into one reused buffer. After warm-up,
/// relaying an event allocates nothing but the growth of the collected
/// arguments and content; [`reset`](Relay::reset) keeps every buffer for the
/// next stream.
///
/// # Termination
/// Call [`finish`](Relay::finish) at the end of the upstream body, then take
/// the last [`output`](Relay::output).
///
/// # Errors
/// An event that is not its format's JSON stops the relay:
/// [`feed`](Relay::feed) returns [`ErrorKind::MalformedChunk`] at the stream
/// offset of the bad byte (a syntax error, or where a field of the wrong type
/// starts), and the relay stays failed. Frames for the
/// events before it are still in [`output`](Relay::output), and
/// [`write_error`](Relay::write_error) ends the client's stream properly.
/// Invalid arguments in one tool call, or arguments past
/// [`with_max_arguments`](Relay::with_max_arguments) or
/// [`with_max_stream_arguments`](Relay::with_max_stream_arguments), stop only that call's
/// extraction: the error is kept in its [`ToolCallSummary`] and the stream
/// goes on. More calls than [`with_max_calls`](Relay::with_max_calls) is
/// [`ErrorKind::TooManyCalls`], and a choice past
/// [`with_max_choices`](Relay::with_max_choices) [`ErrorKind::TooManyChoices`].
#[derive(Debug)]
pub struct Relay {
    input: Input,
    decoder: Decoder,
    state: State,
    error: Option<Error>,
}

/// What the builder sets: the same for every stream a relay relays.
#[derive(Debug)]
struct Options {
    keys: Arc<Keys>,
    /// The upstream format given, or `None` to detect it.
    format: Option<Format>,
    mode: ToolCallMode,
    finish_on: bool,
    values: bool,
    /// The output asked for; the renderer is its format once known.
    output: OutputFormat,
    max_arguments: usize,
    max_stream_arguments: usize,
    max_calls: usize,
    max_choices: usize,
    max_content: usize,
    /// The nesting limit of events and of arguments.
    max_depth: usize,
}

/// What the decoder's events reach: the relay's options, the renderer, and
/// what the streams fill.
#[derive(Debug)]
struct State {
    options: Options,
    renderer: Renderer,
    summary: Summary,
    /// The response's choices, choice 0 first, then the others a chat
    /// output keeps apart, in the order they appeared; `1 + stream.others`
    /// of them are in use. Choice 0 is held inline, so that a new relay
    /// allocates nothing for it.
    choices: SmallVec<[Choice; 1]>,
    spare_strings: Vec<String>,
    /// Escaped text and target-value spans on their way to the renderer.
    escaped: Vec<u8>,
    spans: Vec<u8>,
    /// Whether the caller takes the output as frames: then an event that
    /// goes out as it came is held by reference, not copied. Not for
    /// `output`, whose one buffer would be copied again, and which would
    /// keep the SSE decoder from reusing its own while the events wait.
    by_reference: bool,
    /// What one stream changes, fresh at its start.
    stream: Stream,
}

/// What one stream changes beyond the buffers it fills: its one fresh
/// state is [`Default`], which a new relay starts from and a reset goes
/// back to, so that no field of it can outlive its stream.
#[derive(Debug, Default)]
struct Stream {
    /// The arguments collected so far in this stream, in every call.
    stream_arguments: usize,
    /// The choices after choice 0 in use.
    others: usize,
    /// The choice the decoder's events are about.
    choice: u32,
    /// Counts merged from every usage upstream sent, field by field; `None`
    /// while upstream sent none.
    usage: Option<Usage>,
    /// The upstream format, once given or detected.
    format: Option<Format>,
    /// The upstream event being relayed: its offset and what it brought.
    offset: u64,
    phase: Phase,
    /// Whether upstream speaks the output format, so that an event may go
    /// out as it came.
    same: bool,
    /// The addresses of the read being relayed: an event inside it goes
    /// out by reference; one the SSE decoder joined across reads is copied,
    /// so that the decoder's buffer is free again for the next.
    read: std::ops::Range<usize>,
    events: u64,
}

/// Where the relay is with the event being relayed, and with the client's
/// stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// The event's output is written anew.
    #[default]
    Rewrite,
    /// The event may go out as its own bytes to a client of its format.
    Verbatim(Forwardable),
    /// Upstream reached its end in this event: the end goes out after it.
    Finishing,
    /// The client's stream has ended: the format's end or an error was
    /// written, and nothing after it reaches the client.
    Ended,
}

/// One choice of the response: its calls and their summaries, and its
/// finish. Choice 0's summaries are the [`Summary`]'s `tool_calls` (the
/// summary describes choice 0), so its own list stays empty: [`part`]
/// hands out the right one.
#[derive(Debug, Default)]
struct Choice {
    index: u32,
    calls: Calls,
    tool_calls: Vec<ToolCallSummary>,
    finish: KeptFinish,
}

impl Choice {
    /// Back to its fresh state for the next stream, keeping its buffers:
    /// its calls take their summaries back from `first` (the
    /// [`Summary`]'s, for choice 0) or from its own list. Every field is
    /// named, so that one added must be thought of here.
    fn reset(&mut self, first: Option<&mut Vec<ToolCallSummary>>) {
        let Choice {
            index,
            calls,
            tool_calls,
            finish,
        } = self;
        *index = 0;
        calls.reset(first.unwrap_or(tool_calls));
        finish.clear();
    }
}

/// A choice's parts, borrowed apart.
struct Part<'a> {
    index: u32,
    calls: &'a mut Calls,
    summaries: &'a mut Vec<ToolCallSummary>,
    finish: &'a mut KeptFinish,
}

/// The parts of the choice at `at` in `choices`; choice 0's call
/// summaries are in `summary`.
fn part<'a>(choices: &'a mut [Choice], summary: &'a mut Summary, at: usize) -> Part<'a> {
    let Choice {
        index,
        calls,
        tool_calls,
        finish,
    } = &mut choices[at];
    Part {
        index: *index,
        calls,
        summaries: if at == 0 {
            &mut summary.tool_calls
        } else {
            tool_calls
        },
        finish,
    }
}

impl Default for Relay {
    fn default() -> Relay {
        Relay::new(&[DEFAULT_KEY])
    }
}

impl Relay {
    /// A relay that streams the string values of `keys` (top-level keys of
    /// each tool call's arguments) to the client as answer text, detecting
    /// the upstream format, with calls hidden, answering in chat chunks.
    pub fn new<K: AsRef<str>>(keys: &[K]) -> Relay {
        Relay {
            input: Input::default(),
            decoder: Decoder::new(None),
            state: State {
                options: Options {
                    keys: Keys::new(keys),
                    format: None,
                    mode: ToolCallMode::Hide,
                    finish_on: true,
                    values: true,
                    output: OutputFormat::OpenAiChat,
                    max_arguments: DEFAULT_MAX_ARGUMENTS,
                    max_stream_arguments: DEFAULT_MAX_STREAM_ARGUMENTS,
                    max_calls: DEFAULT_MAX_CALLS,
                    max_choices: DEFAULT_MAX_CHOICES,
                    max_content: DEFAULT_MAX_CONTENT,
                    max_depth: crate::scan::DEFAULT_MAX_DEPTH,
                },
                renderer: Renderer::new(OutputFormat::OpenAiChat),
                summary: Summary::default(),
                choices: smallvec![Choice::default()],
                spare_strings: Vec::new(),
                escaped: Vec::new(),
                spans: Vec::new(),
                by_reference: false,
                stream: Stream::default(),
            },
            error: None,
        }
    }

    /// Reads `format` instead of detecting it (`None`: detect, the default).
    pub fn with_format(mut self, format: Option<Format>) -> Relay {
        self.state.options.format = format;
        self.input.set_format(format);
        self.decoder = Decoder::new(format).with_max_depth(self.state.options.max_depth);
        self.state.pick_renderer(format);
        self
    }

    /// Sets the nesting limit of an upstream event's JSON and of each
    /// call's arguments (default
    /// [`DEFAULT_MAX_DEPTH`](crate::scan::DEFAULT_MAX_DEPTH), serde_json's):
    /// the array or object that would make `limit` containers open at once
    /// is refused with [`ErrorKind::TooDeep`],
    /// an event's as the relay's error, a call's in its summary.
    pub fn with_max_depth(mut self, limit: usize) -> Relay {
        self.state.options.max_depth = limit.max(1);
        self.decoder = std::mem::take(&mut self.decoder).with_max_depth(limit);
        self
    }

    /// Answers in `output` (default [`OutputFormat::OpenAiChat`]).
    /// [`OutputFormat::Same`] answers in the upstream's format, given or detected
    /// from its first event; before that (a relay error on the first
    /// event, or [`write_error`](Relay::write_error) before any), in chat.
    pub fn with_output(mut self, output: OutputFormat) -> Relay {
        self.state.options.output = output;
        let known = self.state.stream.format.or(self.state.options.format);
        self.state.pick_renderer(known);
        self
    }

    /// With `false`, the target values are not streamed to the client as
    /// answer text (a pure translation); the summary still has each call's
    /// arguments. Default `true`.
    pub fn with_values(mut self, on: bool) -> Relay {
        self.state.options.values = on;
        self
    }

    /// Hides the tool calls from the client (the default) or forwards them.
    pub fn with_tool_calls(mut self, mode: ToolCallMode) -> Relay {
        self.state.options.mode = mode;
        self
    }

    /// With `false`, the output format's end (chat: the finish chunk, the
    /// usage chunk and `[DONE]`; Anthropic: `message_delta` and
    /// `message_stop`; Responses: `response.completed`) is left out, so that
    /// a gateway can chain several upstream responses into one client
    /// stream. Open blocks and items are still closed; errors still go out.
    pub fn with_finish(mut self, on: bool) -> Relay {
        self.state.options.finish_on = on;
        self
    }

    /// Sets the largest upstream event accepted, in bytes (see
    /// [`SseDecoder::with_max_event_size`](crate::SseDecoder::with_max_event_size)),
    /// and the largest event-stream frame (default
    /// [`DEFAULT_MAX_EVENT_SIZE`](crate::sse::DEFAULT_MAX_EVENT_SIZE)).
    pub fn with_max_event_size(mut self, max: usize) -> Relay {
        self.input = self.input.with_max_event_size(max);
        self
    }

    /// Sets the limit on one call's collected arguments, in bytes (default
    /// [`DEFAULT_MAX_ARGUMENTS`]).
    pub fn with_max_arguments(mut self, max: usize) -> Relay {
        self.state.options.max_arguments = max;
        self
    }

    /// Sets the limit on all calls' collected arguments in one stream, in
    /// bytes (default [`DEFAULT_MAX_STREAM_ARGUMENTS`]): a fragment that
    /// would pass it stops that call's arguments as
    /// [`with_max_arguments`](Relay::with_max_arguments)'s limit does, with
    /// [`ErrorKind::ArgumentsTooLarge`] in its summary.
    pub fn with_max_stream_arguments(mut self, max: usize) -> Relay {
        self.state.options.max_stream_arguments = max;
        self
    }

    /// Sets the limit on the tool calls of one response (default
    /// [`DEFAULT_MAX_CALLS`]).
    pub fn with_max_calls(mut self, max: usize) -> Relay {
        self.state.options.max_calls = max;
        self
    }

    /// Sets the limit on a response's chat choices (default
    /// [`DEFAULT_MAX_CHOICES`]): an upstream event about a choice whose
    /// index is `max` or more is [`ErrorKind::TooManyChoices`], as choices
    /// are kept apart, each with its own calls and text. Choice 0 is always
    /// kept: a `max` of 0 counts as 1.
    pub fn with_max_choices(mut self, max: usize) -> Relay {
        self.state.options.max_choices = max.max(1);
        self
    }

    /// Sets the limit on the answer text collected in
    /// [`Summary::content`], in bytes (default [`DEFAULT_MAX_CONTENT`]). Past
    /// it the content stops growing, cut on a character boundary, and
    /// [`Summary::content_truncated`] is set; the stream goes on and the
    /// client still gets all the text. `0` turns the collecting off, for a
    /// caller that never reads the content: the summary then costs no memory
    /// for it, and says `content_truncated` once any text came.
    pub fn with_max_content(mut self, max: usize) -> Relay {
        self.state.options.max_content = max;
        self
    }

    /// Sets the limit on the answer the output format keeps to write it
    /// whole at the end, in bytes (default [`DEFAULT_MAX_KEPT`]): the
    /// Responses output keeps every item's text and arguments for
    /// `response.completed`. Past it the client's stream ends with the
    /// format's error (`response.failed`, saying why), and
    /// [`feed`](Relay::feed) returns [`ErrorKind::ResponseTooLarge`]. The
    /// other outputs keep nothing of the answer.
    pub fn with_max_kept(mut self, max: usize) -> Relay {
        self.state.renderer.set_max_kept(max);
        self
    }

    /// Sets the `created` time (Unix seconds) of the output for a format
    /// that carries none (Anthropic). Default 0, so that output depends only
    /// on input; a gateway passes the time the request started. A setter,
    /// not a builder, since it changes with each stream: a gateway that
    /// reuses relays sets each request's time, and [`reset`](Relay::reset)
    /// keeps it.
    pub fn set_created(&mut self, created: u64) {
        self.state.renderer.set_created(created);
    }

    /// The upstream format, once given or detected.
    pub fn format(&self) -> Option<Format> {
        self.decoder.format()
    }

    /// The format the client gets: the one asked for, or with
    /// [`OutputFormat::Same`] the upstream's once known (chat until then).
    pub fn output_format(&self) -> OutputFormat {
        self.state.renderer.output()
    }

    /// Whether the client's stream has ended: the output format's end (or,
    /// without finish, the end of the response) or an error was written.
    pub fn is_ended(&self) -> bool {
        self.state.stream.phase == Phase::Ended
    }

    /// Reads one upstream read and relays every event it completes.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedChunk`] (or the SSE decoder's
    /// [`ErrorKind::EventTooLarge`], [`ErrorKind::TooManyCalls`], or
    /// [`ErrorKind::TooManyChoices`]) with the
    /// upstream byte offset of the bad byte. The relay then stays failed;
    /// take [`output`](Relay::output) for what was relayed before it.
    pub fn feed(&mut self, read: Bytes) -> Result<(), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let start = read.as_ptr() as usize;
        self.state.stream.read = start..start + read.len();
        self.input.feed(read);
        self.drain()
    }

    /// Marks the end of the upstream body: relays a last complete event and
    /// ends the client's stream: with the format's end when upstream
    /// finished, with an error when it was cut off.
    ///
    /// # Errors
    /// As for [`feed`](Relay::feed). A cut-off stream is not an error of the
    /// relay: it is recorded in [`Summary::upstream_error`], and arguments
    /// cut off in [`ToolCallSummary::error`] as [`ErrorKind::Truncated`].
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.input.finish();
        self.drain()?;
        // An event the body ended inside counts when it reads whole (a
        // server that leaves out the last blank line); cut off, it is the
        // sign of a stream that broke. A frame cut off is never whole.
        let mut cut_inside = self.input.cut_inside_frame();
        if let Some(event) = self.input.take_unterminated() {
            cut_inside = self.relay_event(&event).is_err();
        }
        // What the format held back for the end (Gemini's finish).
        if let Err(error) = self.decoder.finish(&mut self.state) {
            return Err(self.fail(error));
        }
        let state = &mut self.state;
        if state.stream.phase == Phase::Ended {
            return Ok(());
        }
        state.finish_calls();
        if state.summary.finish_reason.is_some() && !cut_inside {
            state.write_end();
        } else {
            state.cut_off();
        }
        Ok(())
    }

    /// The downstream bytes written since the last call: whole SSE frames,
    /// ready to send. Empty when there are none.
    ///
    /// An event forwarded unchanged is copied here once, with the rest;
    /// [`output_frames`](Relay::output_frames) hands it out by reference.
    pub fn output(&mut self) -> Bytes {
        self.state.renderer.take()
    }

    /// The same bytes as [`output`](Relay::output), as a few [`Bytes`] in
    /// order, for a vectored write. From the first call on (for this relay
    /// and, after [`reset`](Relay::reset), its next streams), an event
    /// forwarded unchanged (a chat chunk to a chat client, an Anthropic
    /// delta to an Anthropic one) is, when the upstream read held it whole,
    /// a slice of that read, never copied; what the relay wrote around it
    /// are slices of its own buffer. (An event the SSE decoder joined
    /// across reads is copied, as by `output`, so that the decoder's buffer
    /// is free again for the next.) No allocation once the list of pieces
    /// has grown to its need, as long as the frames are dropped once
    /// written.
    pub fn output_frames(&mut self) -> impl Iterator<Item = Bytes> + '_ {
        self.state.by_reference = true;
        self.state.renderer.take_frames()
    }

    /// Writes one error in the output format (chat
    /// `{"error":{"message":…,"type":…,"code":null}}`, Anthropic
    /// `event: error`, Responses `response.failed`, Gemini
    /// `{"error":{"code":…,"message":…,"status":…}}`), unless the client's
    /// stream has already ended, and ends it: for a gateway's own faults
    /// (the upstream connection broke, went silent, or sent what the relay
    /// refused). `message` goes to the client: keep payloads and secrets out
    /// of it.
    pub fn write_error(&mut self, error_type: &str, message: &str) {
        if self.state.stream.phase != Phase::Ended {
            self.state.renderer.error(&Failure {
                message,
                error_type,
                code: None,
            });
            self.state.stream.phase = Phase::Ended;
        }
    }

    /// What has been collected so far.
    pub fn summary(&self) -> &Summary {
        &self.state.summary
    }

    /// How many upstream events have been read, the failed one included.
    pub fn events(&self) -> u64 {
        self.state.stream.events
    }

    /// How many SSE frames the relay has written for the client since it
    /// was made, across [`reset`](Relay::reset)s (a caller counts a
    /// stream's by difference); a renderer made anew for
    /// [`OutputFormat::Same`] or [`with_output`](Relay::with_output) counts from 0.
    pub fn frames(&self) -> u64 {
        self.state.renderer.frames()
    }

    /// The bytes the relay's buffers hold, as their capacities tell: what a
    /// pool that keeps the relay after [`reset`](Relay::reset) keeps with it.
    /// The buffers grow to the largest event, frame and call a stream brought,
    /// and the collected content to [`with_max_content`](Relay::with_max_content).
    /// Cheap: a sum over the buffers, one term for each call.
    pub fn retained_bytes(&self) -> usize {
        self.input.retained_bytes() + self.decoder.retained_bytes() + self.state.retained_bytes()
    }

    /// Forgets the stream, keeping keys, options and allocations, to relay a
    /// new one.
    pub fn reset(&mut self) {
        self.input.reset();
        self.decoder.reset(self.state.options.format);
        self.state.reset();
        self.state.pick_renderer(self.state.options.format);
        self.error = None;
    }

    fn drain(&mut self) -> Result<(), Error> {
        loop {
            let event = match self.input.next_message() {
                Ok(Some(event)) => event,
                Ok(None) => return Ok(()),
                Err(error) => return Err(self.fail(error)),
            };
            if let Err(error) = self.relay_event(&event) {
                return Err(self.fail(error));
            }
        }
    }

    fn relay_event(&mut self, event: &Message) -> Result<(), Error> {
        let state = &mut self.state;
        state.stream.events += 1;
        if state.stream.phase == Phase::Ended {
            // The client's stream is over: nothing after it can reach it.
            return Ok(());
        }
        state.stream.offset = event.offset();
        state.stream.phase = Phase::Rewrite;
        state.stream.choice = 0;
        // The decoders name bytes of the event's data; the relay names bytes
        // of the stream. Any fault in the JSON is a malformed event.
        self.decoder
            .decode_message(event, state)
            .map_err(|error| match error.kind() {
                ErrorKind::TooManyCalls | ErrorKind::TooManyChoices => error,
                ErrorKind::TooDeep => {
                    Error::new(ErrorKind::TooDeep, event.data_offset() + error.offset())
                }
                _ => Error::new(
                    ErrorKind::MalformedChunk,
                    event.data_offset() + error.offset(),
                ),
            })?;
        if state.renderer.outgrown() && state.stream.phase != Phase::Ended {
            state.outgrown();
            return Err(Error::new(ErrorKind::ResponseTooLarge, event.offset()));
        }
        state.write_event(event.data());
        Ok(())
    }

    fn fail(&mut self, error: Error) -> Error {
        self.error = Some(error);
        error
    }
}

impl Sink for State {
    /// The format, read in the decoder's one pass over the event: it picks
    /// the renderer of [`OutputFormat::Same`] and tells whether the event may go
    /// out as it came.
    fn format(&mut self, format: Option<Format>) {
        self.stream.format = format;
        if self.options.output == OutputFormat::Same {
            self.pick_renderer(format);
        } else {
            self.is_same(format);
        }
    }

    fn event(&mut self, event: Upstream<'_>) -> Result<(), Error> {
        match event {
            Upstream::Choice(index) => {
                if index as usize >= self.options.max_choices {
                    return Err(Error::new(ErrorKind::TooManyChoices, self.stream.offset));
                }
                self.stream.choice = index;
            }
            Upstream::Response { id, model, created } => {
                self.renderer.response(id, model, created);
            }
            Upstream::Start => self.renderer.start(),
            Upstream::Verbatim { forwardable, .. } => {
                if self.stream.phase == Phase::Rewrite
                    && self.stream.same
                    && self.renderer.may_forward(forwardable)
                {
                    self.stream.phase = Phase::Verbatim(forwardable);
                }
            }
            Upstream::Usage { usage, raw } => self.usage(usage, raw),
            Upstream::Error(error) => self.upstream_error(&error),
            Upstream::End => {
                self.summary.saw_done = true;
                if self.stream.phase != Phase::Ended {
                    self.stream.phase = Phase::Finishing;
                }
            }
            // What belongs to the choice the events are about, if the client
            // gets that choice. Listed, so that a new kind of event must be
            // placed on one side or the other.
            event @ (Upstream::Text(_)
            | Upstream::Reasoning(_)
            | Upstream::Refusal(_)
            | Upstream::ReasoningState(_)
            | Upstream::Item { .. }
            | Upstream::Call(_)
            | Upstream::CallError { .. }
            | Upstream::CallDone { .. }
            | Upstream::Finish(_)) => {
                if let Some(at) = self.choice_at() {
                    self.choice_event(at, event)?;
                }
            }
        }
        Ok(())
    }
}

impl State {
    fn retained_bytes(&self) -> usize {
        let spare: usize = self.spare_strings.iter().map(String::capacity).sum();
        let choices: usize = self
            .choices
            .iter()
            .map(|choice| {
                let calls: usize = choice
                    .tool_calls
                    .iter()
                    .map(ToolCallSummary::retained_bytes)
                    .sum();
                choice.calls.retained_bytes() + choice.finish.retained_bytes() + calls
            })
            .sum();
        self.renderer.retained()
            + self.escaped.capacity()
            + self.spans.capacity()
            + self.summary.retained_bytes()
            + choices
            + spare
    }

    /// Back to a fresh stream, keeping the options and every buffer. Every
    /// field is named, so that one added must be thought of here.
    fn reset(&mut self) {
        let State {
            options: _,
            renderer,
            summary,
            choices,
            spare_strings,
            // Scratch, emptied before each use.
            escaped: _,
            spans: _,
            // How the caller takes the output, for the relay's life.
            by_reference: _,
            stream,
        } = self;
        renderer.reset();
        for (at, choice) in choices[..=stream.others].iter_mut().enumerate() {
            choice.reset((at == 0).then_some(&mut summary.tool_calls));
        }
        summary.reset(spare_strings);
        *stream = Stream::default();
    }

    /// Makes the renderer the one of the output asked for, given the
    /// upstream `format` when known.
    fn pick_renderer(&mut self, format: Option<Format>) {
        let output = match (self.options.output, format) {
            (OutputFormat::Same, Some(format)) => OutputFormat::of(format),
            // Until the upstream's format is known, chat.
            (OutputFormat::Same, None) => OutputFormat::OpenAiChat,
            (output, _) => output,
        };
        self.renderer.switch(output);
        self.is_same(format);
    }

    /// Notes whether events of `format` may go out as they came.
    fn is_same(&mut self, format: Option<Format>) {
        self.stream.same =
            format.is_some_and(|format| OutputFormat::of(format) == self.renderer.output());
    }

    /// Where the choice the events are about is in `choices`, kept from its
    /// first event on; `None` for a choice other than 0 when the output
    /// carries choice 0 alone. The one place choices are filtered.
    fn choice_at(&mut self) -> Option<usize> {
        let index = self.stream.choice;
        if index == 0 {
            return Some(0);
        }
        if !self.renderer.has_choices() {
            return None;
        }
        let used = 1 + self.stream.others;
        if let Some(at) = self.choices[1..used].iter().position(|c| c.index == index) {
            return Some(1 + at);
        }
        if used == self.choices.len() {
            self.choices.push(Choice::default());
        }
        self.choices[used].index = index;
        self.stream.others += 1;
        Some(used)
    }

    /// An event about the choice at `at`: every choice takes this one path.
    fn choice_event(&mut self, at: usize, event: Upstream<'_>) -> Result<(), Error> {
        let index = self.choices[at].index;
        match event {
            Upstream::Text(text) | Upstream::Reasoning(text) | Upstream::Refusal(text) => {
                if at == 0 && matches!(event, Upstream::Text(_)) {
                    self.summary.push_content(text, self.options.max_content);
                }
                self.escaped.clear();
                write_escaped(&mut self.escaped, text);
                let renderer = &mut self.renderer;
                match event {
                    Upstream::Text(_) => renderer.text(index, &self.escaped),
                    Upstream::Reasoning(_) => renderer.reasoning(index, &self.escaped),
                    _ => renderer.refusal(index, &self.escaped),
                }
            }
            Upstream::ReasoningState(state) => self.renderer.reasoning_state(state),
            Upstream::Item { kind, id } => self.renderer.item(kind, id),
            Upstream::Call(delta) => self.call(at, &delta)?,
            Upstream::CallError { call, error } => {
                let choice = part(&mut self.choices, &mut self.summary, at);
                if let Some(slot) = choice.calls.find(&call) {
                    choice.summaries[slot].error.get_or_insert(error);
                }
            }
            Upstream::CallDone { call, arguments } => {
                let choice = part(&mut self.choices, &mut self.summary, at);
                if let Some(slot) = choice.calls.find(&call)
                    && !choice.calls.has_fragments(slot)
                {
                    unforwardable(&mut self.stream.phase);
                    self.arguments(at, slot, arguments);
                }
            }
            Upstream::Finish(finish) => {
                let choice = part(&mut self.choices, &mut self.summary, at);
                if !choice.finish.is_some() {
                    choice.finish.set(finish);
                    if at == 0 {
                        let called = !choice.summaries.is_empty();
                        let words = finish.words(Format::OpenAiChat, called);
                        set_text(
                            &mut self.summary.finish_reason,
                            &mut self.spare_strings,
                            words.reason,
                        );
                    }
                }
            }
            // The stream's own events, which `event` handles.
            _ => {}
        }
        Ok(())
    }

    /// A call's delta, in the choice at `at`: opens the call when it is
    /// new, takes its id and name, tells the renderer of a forwarded call,
    /// and relays its arguments.
    fn call(&mut self, at: usize, delta: &CallDelta<'_>) -> Result<(), Error> {
        let options = &self.options;
        let choice = part(&mut self.choices, &mut self.summary, at);
        let slot = match choice.calls.find(&delta.call) {
            Some(slot) => slot,
            None if delta.opens => choice.calls.open(
                &delta.call,
                choice.summaries,
                &options.keys,
                (options.max_calls, options.max_depth),
                self.stream.offset,
            )?,
            // A fragment of a block that is not the client's call (an
            // Anthropic server tool's input).
            None => return Ok(()),
        };
        named(&mut choice.summaries[slot], delta);
        match options.mode {
            ToolCallMode::Hide => unforwardable(&mut self.stream.phase),
            ToolCallMode::Forward => {
                if !choice.calls.numbered_as_ordinal(slot) {
                    unforwardable(&mut self.stream.phase);
                }
                let call = &choice.summaries[slot];
                let renderer = &mut self.renderer;
                if !choice.calls.announce(slot) {
                    let start = CallStart {
                        ordinal: call.index,
                        id: &call.id,
                        name: &call.name,
                        item: delta.call.item,
                    };
                    renderer.call_start(choice.index, &start);
                }
                if let Some(signature) = delta.signature {
                    renderer.call_signature(choice.index, call.index, signature);
                }
            }
        }
        if let Some(fragment) = delta.arguments {
            self.arguments(at, slot, fragment);
        }
        Ok(())
    }

    /// Appends `fragment` to the call in `slot` of the choice at `at` and
    /// scans it; writes the fragment when calls are forwarded, the new text
    /// of the target values when they stream, and the call's end once its
    /// arguments are complete.
    fn arguments(&mut self, at: usize, slot: usize, fragment: &str) {
        let options = &self.options;
        let choice = part(&mut self.choices, &mut self.summary, at);
        let call = &mut choice.summaries[slot];
        self.spans.clear();
        // This call's limit, or less when the stream's is nearer.
        let stream_left = options
            .max_stream_arguments
            .saturating_sub(self.stream.stream_arguments);
        let max = options
            .max_arguments
            .min(call.arguments.len().saturating_add(stream_left));
        let taken = choice
            .calls
            .push(slot, call, fragment, max, &mut self.spans);
        if taken {
            self.stream.stream_arguments += fragment.len();
        }
        let renderer = &mut self.renderer;
        let forward = options.mode == ToolCallMode::Forward;
        if taken && forward && !fragment.is_empty() {
            renderer.call_arguments(choice.index, call.index, fragment);
        }
        if options.values && !self.spans.is_empty() {
            renderer.value(choice.index, &self.spans);
        }
        if forward && choice.calls.newly_complete(slot, call) {
            renderer.call_end(choice.index, call.index, &call.arguments);
        }
    }

    /// Every choice's calls are over: arguments cut off are marked so.
    fn finish_calls(&mut self) {
        for at in 0..=self.stream.others {
            let choice = part(&mut self.choices, &mut self.summary, at);
            choice.calls.finish(choice.summaries);
        }
    }

    fn usage(&mut self, usage: Usage, raw: &str) {
        set_text(&mut self.summary.usage, &mut self.spare_strings, raw);
        let merged = self.stream.usage.get_or_insert_default();
        merged.update(usage);
        self.renderer.usage(merged);
    }

    /// Writes what this upstream event brought before the error, then the
    /// error, and ends the client's stream.
    fn upstream_error(&mut self, error: &UpstreamError<'_>) {
        set_text(
            &mut self.summary.upstream_error,
            &mut self.spare_strings,
            error.raw,
        );
        self.renderer.error(&Failure {
            message: error.message.unwrap_or("upstream error"),
            error_type: error.error_type.unwrap_or("upstream_error"),
            code: error.code,
        });
        self.stream.phase = Phase::Ended;
    }

    /// Whether `payload` lies in the read being relayed.
    fn holds(&self, payload: &Bytes) -> bool {
        let start = payload.as_ptr() as usize;
        self.stream.read.start <= start && start + payload.len() <= self.stream.read.end
    }

    /// Writes what the upstream event brought, then the end it reached.
    fn write_event(&mut self, payload: &Bytes) {
        match self.stream.phase {
            Phase::Verbatim(forwardable) => {
                let by_reference = self.by_reference && self.holds(payload);
                self.renderer.flush(Some(Verbatim {
                    payload,
                    by_reference,
                    forwardable,
                }));
            }
            Phase::Rewrite => self.renderer.flush(None),
            Phase::Finishing => {
                self.finish_calls();
                self.write_end();
            }
            Phase::Ended => {}
        }
    }

    /// Writes the output format's end, unless left out, and ends the
    /// client's stream.
    fn write_end(&mut self) {
        self.stream.phase = Phase::Ended;
        if !self.options.finish_on {
            self.renderer.close();
            return;
        }
        let hide = self.options.mode == ToolCallMode::Hide;
        let mut others = SmallVec::<[(u32, Finish<'_>, bool); 4]>::new();
        for choice in &self.choices[1..=self.stream.others] {
            let (finish, called) = shown(choice.finish.get(), &choice.tool_calls, hide);
            others.push((choice.index, finish, called));
        }
        let first = self.choices[0].finish.get();
        let (finish, made_calls) = shown(first, &self.summary.tool_calls, hide);
        let end = End {
            finish,
            made_calls,
            others: &others,
            usage: self.stream.usage,
            raw_usage: self.stream.format.zip(self.summary.usage.as_deref()),
        };
        self.renderer.end(&end);
    }

    /// The answer outgrew what the output keeps of it: the client gets an
    /// error, as the response can no longer be written whole.
    fn outgrown(&mut self) {
        self.renderer.error(&Failure {
            message: "the response is larger than the relay keeps",
            error_type: "relay_error",
            code: Some(Code::Text("response_too_large")),
        });
        self.stream.phase = Phase::Ended;
    }

    /// Upstream ended before its format's end: the client gets an error.
    fn cut_off(&mut self) {
        const CUT_OFF: &str = r#"{"message":"upstream stream ended before the response finished","type":"upstream_error","code":"stream_truncated"}"#;
        set_text(
            &mut self.summary.upstream_error,
            &mut self.spare_strings,
            CUT_OFF,
        );
        self.renderer.error(&Failure {
            message: "upstream stream ended before the response finished",
            error_type: "upstream_error",
            code: Some(Code::Text("stream_truncated")),
        });
        self.stream.phase = Phase::Ended;
    }
}

/// This event cannot go out as it came.
fn unforwardable(phase: &mut Phase) {
    if let Phase::Verbatim(_) = phase {
        *phase = Phase::Rewrite;
    }
}

/// The finish the client is told, and whether it is told of calls: with
/// calls hidden, a `tool_calls` finish reads as a stop, and the answer made
/// none.
fn shown<'a>(
    finish: Option<Finish<'a>>,
    calls: &[ToolCallSummary],
    hide: bool,
) -> (Finish<'a>, bool) {
    match finish.unwrap_or(Finish::Stop) {
        Finish::ToolCalls if hide => (Finish::Stop, false),
        finish => (finish, !hide && !calls.is_empty()),
    }
}

/// Takes the id and name an event gives a call.
fn named(call: &mut ToolCallSummary, delta: &CallDelta<'_>) {
    if let Some(id) = delta.id
        && call.id.is_empty()
    {
        call.id.push_str(id);
    }
    if let Some(name) = delta.name
        && call.name != name
    {
        // Streamed in pieces by some chat providers, repeated whole by
        // others.
        call.name.push_str(name);
    }
}

/// Sets `slot` to `text`, reusing the string already there or a spare one:
/// usage arrives in every chunk with some providers, and must not cost an
/// allocation each.
fn set_text(slot: &mut Option<String>, spare: &mut Vec<String>, text: &str) {
    let kept = slot.get_or_insert_with(|| spare.pop().unwrap_or_default());
    kept.clear();
    kept.push_str(text);
}
