//! The relay: an upstream event stream in any of the three formats, a
//! client's OpenAI `chat.completion.chunk` stream out, with the target
//! arguments of every tool call streamed as content as they arrive.
//!
//! Data flows one way: upstream bytes, [`SseDecoder`] events, the format's
//! [`Decoder`] turning each into provider-neutral [`Upstream`] events, the
//! calls and their key scanners, then the downstream writer.

mod calls;
mod render;
mod summary;

use std::fmt;
use std::io::Write as _;
use std::str::FromStr;

use bytes::Bytes;

use self::calls::Calls;
use self::render::{Pending, Writer, write_escaped};
use crate::error::{Error, ErrorKind};
use crate::sse::{SseDecoder, SseEvent};
use crate::upstream::{
    CallDelta, Code, Decoder, Finish, Format, Sink, Upstream, UpstreamError, Usage,
};

pub(crate) use self::render::write_json_string;
pub use self::summary::{Summary, ToolCallSummary};

/// The key a relay tracks when none is given: the voice agent's spoken
/// preamble.
pub const DEFAULT_KEY: &str = "pre_exec_msg";

/// The default limit on one tool call's collected arguments: 16 MiB.
pub const DEFAULT_MAX_ARGUMENTS: usize = 16 << 20;

/// The default limit on the tool calls of one response.
pub const DEFAULT_MAX_CALLS: usize = 1024;

/// The default limit on the answer text a summary collects: 16 MiB.
pub const DEFAULT_MAX_CONTENT: usize = 16 << 20;

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
    type Err = String;

    fn from_str(name: &str) -> Result<ToolCallMode, String> {
        match name {
            "hide" => Ok(ToolCallMode::Hide),
            "forward" => Ok(ToolCallMode::Forward),
            _ => Err(format!(
                "unknown tool-call mode {name:?}: expected hide or forward"
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

/// Relays one upstream event stream to a client as OpenAI chat-completion
/// chunks.
///
/// Upstream reads go in through [`feed`](Relay::feed); downstream bytes come
/// out of [`output`](Relay::output), whole SSE frames ready to write:
///
/// - **Formats.** OpenAI chat completions, OpenAI Responses and Anthropic
///   Messages, detected from the first events (Anthropic's `message_start`,
///   a `response.*` event, else chat completions) or given with
///   [`with_format`](Relay::with_format).
/// - **Text.** Answer text goes out as `content`, reasoning (Anthropic
///   thinking, Responses reasoning summaries, chat `reasoning_content`) as
///   `reasoning_content` and refusals as `refusal`, in chunks that carry the
///   upstream id, model and created time. A chat chunk that carries only such
///   deltas is forwarded as its original bytes, never re-serialised.
/// - **Calls.** Each tool call's arguments are collected and scanned for the
///   target keys; the new text of their string values goes out as `content`
///   as it arrives, copied raw (it is already JSON string text), so the
///   client decodes exactly the value. With [`ToolCallMode::Forward`] the
///   calls themselves go out too, as `tool_calls` deltas.
/// - **The end.** When upstream finished, exactly one chunk carries
///   `finish_reason` in OpenAI's words, then one usage chunk (`choices: []`)
///   if upstream gave usage, then `data: [DONE]`;
///   [`with_finish(false)`](Relay::with_finish) leaves all three out, for a
///   gateway that chains several upstream responses into one client stream.
/// - **Upstream errors.** An error event upstream, or a stream that ends
///   before its format's end (inside an event, or with no finish), goes to
///   the client once as `data: {"error":{"message":…,"type":…,"code":…}}`,
///   is recorded in the [`Summary`], and ends the downstream: no `[DONE]`
///   follows, so the client knows the answer is incomplete.
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
/// [`with_max_arguments`](Relay::with_max_arguments), stop only that call's
/// extraction: the error is kept in its [`ToolCallSummary`] and the stream
/// goes on. More calls than [`with_max_calls`](Relay::with_max_calls) is
/// [`ErrorKind::TooManyCalls`].
#[derive(Debug)]
pub struct Relay {
    sse: SseDecoder,
    decoder: Decoder,
    given_format: Option<Format>,
    state: State,
    error: Option<Error>,
}

/// Everything the decoder's events change.
#[derive(Debug)]
struct State {
    keys: Vec<Box<str>>,
    mode: ToolCallMode,
    finish_on: bool,
    max_arguments: usize,
    max_calls: usize,
    max_content: usize,
    writer: Writer,
    summary: Summary,
    calls: Calls,
    spare_strings: Vec<String>,
    /// Counts merged from every usage upstream sent, field by field.
    usage: Usage<'static>,
    usage_seen: bool,
    /// Upstream's last usage object when it is already OpenAI's shape.
    openai_usage: Option<String>,
    /// The upstream event being relayed: its offset, what it brought, and
    /// whether its payload may go out as it is.
    offset: u64,
    pending: Pending,
    verbatim: Option<bool>,
    verbatim_ok: bool,
    ending: Ending,
    /// The client's stream has ended: `[DONE]` or an error was written.
    ended: bool,
    events: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    No,
    Finished,
    Failed,
}

impl Default for Relay {
    fn default() -> Relay {
        Relay::new(&[DEFAULT_KEY])
    }
}

impl Relay {
    /// A relay that streams the string values of `keys` (top-level keys of
    /// each tool call's arguments) to the client as content, detecting the
    /// upstream format, with calls hidden.
    pub fn new<K: AsRef<str>>(keys: &[K]) -> Relay {
        Relay {
            sse: SseDecoder::new(),
            decoder: Decoder::new(None),
            given_format: None,
            state: State {
                keys: keys.iter().map(|key| Box::from(key.as_ref())).collect(),
                mode: ToolCallMode::Hide,
                finish_on: true,
                max_arguments: DEFAULT_MAX_ARGUMENTS,
                max_calls: DEFAULT_MAX_CALLS,
                max_content: DEFAULT_MAX_CONTENT,
                writer: Writer::new(),
                summary: Summary::default(),
                calls: Calls::default(),
                spare_strings: Vec::new(),
                usage: Usage::default(),
                usage_seen: false,
                openai_usage: None,
                offset: 0,
                pending: Pending::default(),
                verbatim: None,
                verbatim_ok: false,
                ending: Ending::No,
                ended: false,
                events: 0,
            },
            error: None,
        }
    }

    /// Reads `format` instead of detecting it (`None`: detect, the default).
    pub fn with_format(mut self, format: Option<Format>) -> Relay {
        self.given_format = format;
        self.decoder = Decoder::new(format);
        self
    }

    /// Hides the tool calls from the client (the default) or forwards them.
    pub fn with_tool_calls(mut self, mode: ToolCallMode) -> Relay {
        self.state.mode = mode;
        self
    }

    /// With `false`, the finish chunk, the usage chunk and `[DONE]` are left
    /// out, so that a gateway can chain several upstream responses into one
    /// client stream. Errors still go out.
    pub fn with_finish(mut self, on: bool) -> Relay {
        self.state.finish_on = on;
        self
    }

    /// Sets the largest upstream event accepted, in bytes (see
    /// [`SseDecoder::set_max_event_size`]).
    pub fn with_max_event_size(mut self, max: usize) -> Relay {
        self.sse.set_max_event_size(max);
        self
    }

    /// Sets the limit on one call's collected arguments, in bytes (default
    /// [`DEFAULT_MAX_ARGUMENTS`]).
    pub fn with_max_arguments(mut self, max: usize) -> Relay {
        self.state.max_arguments = max;
        self
    }

    /// Sets the limit on the tool calls of one response (default
    /// [`DEFAULT_MAX_CALLS`]).
    pub fn with_max_calls(mut self, max: usize) -> Relay {
        self.state.max_calls = max;
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
        self.state.max_content = max;
        self
    }

    /// Sets the `created` time (Unix seconds) of the chunks for a format that
    /// carries none (Anthropic). Default 0, so that output depends only on
    /// input; a gateway passes the time the request started.
    pub fn with_created(mut self, created: u64) -> Relay {
        self.state.writer.default_created = created;
        self
    }

    /// [`with_created`](Relay::with_created) for a relay kept between
    /// streams: a gateway that reuses relays sets each request's time.
    pub fn set_created(&mut self, created: u64) {
        self.state.writer.default_created = created;
    }

    /// The upstream format, once given or detected.
    pub fn format(&self) -> Option<Format> {
        self.decoder.format()
    }

    /// Whether the client's stream has ended: `[DONE]` (or, without finish,
    /// the end of the response) or an error event was written.
    pub fn is_ended(&self) -> bool {
        self.state.ended
    }

    /// Reads one upstream read and relays every event it completes.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedChunk`] (or the SSE decoder's
    /// [`ErrorKind::EventTooLarge`], or [`ErrorKind::TooManyCalls`]) with the
    /// upstream byte offset of the bad byte. The relay then stays failed;
    /// take [`output`](Relay::output) for what was relayed before it.
    pub fn feed(&mut self, read: Bytes) -> Result<(), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.sse.feed(read);
        self.drain()
    }

    /// Marks the end of the upstream body: relays a last complete event and
    /// ends the client's stream: with the finish, usage and `[DONE]` when
    /// upstream finished, with an error event when it was cut off.
    ///
    /// # Errors
    /// As for [`feed`](Relay::feed). A cut-off stream is not an error of the
    /// relay: it is recorded in [`Summary::upstream_error`], and arguments
    /// cut off in [`ToolCallSummary::error`] as [`ErrorKind::Truncated`].
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.sse.finish();
        self.drain()?;
        // An event the body ended inside counts when it reads whole (a
        // server that leaves out the last blank line); cut off, it is the
        // sign of a stream that broke.
        let mut cut_inside = false;
        if let Some(event) = self.sse.take_unterminated_event() {
            cut_inside = self.relay_event(&event).is_err();
        }
        let state = &mut self.state;
        if state.ended {
            return Ok(());
        }
        state.calls.finish(&mut state.summary.tool_calls);
        if state.summary.finish_reason.is_some() && !cut_inside {
            state.write_end();
        } else {
            state.cut_off();
        }
        Ok(())
    }

    /// The downstream bytes written since the last call: whole SSE frames,
    /// ready to send. Empty when there are none.
    pub fn output(&mut self) -> Bytes {
        self.state.writer.take()
    }

    /// Writes one error event in OpenAI's shape,
    /// `{"error":{"message":…,"type":…,"code":null}}`, unless the client's
    /// stream has already ended, and ends it: for a gateway's own faults (the
    /// upstream connection broke, went silent, or sent what the relay
    /// refused). `message` goes to the client: keep payloads and secrets out
    /// of it.
    pub fn write_error(&mut self, error_type: &str, message: &str) {
        if !self.state.ended {
            self.state.writer.error(message, error_type, None);
            self.state.ended = true;
        }
    }

    /// What has been collected so far.
    pub fn summary(&self) -> &Summary {
        &self.state.summary
    }

    /// How many upstream events have been read, the failed one included.
    pub fn events(&self) -> u64 {
        self.state.events
    }

    /// The bytes the relay's buffers hold, as their capacities tell: what a
    /// pool that keeps the relay after [`reset`](Relay::reset) keeps with it.
    /// The buffers grow to the largest event, frame and call a stream brought,
    /// and the collected content to [`with_max_content`](Relay::with_max_content).
    /// Cheap: a sum over the buffers, one term for each call.
    pub fn retained_bytes(&self) -> usize {
        self.sse.buffer_capacity() + self.decoder.retained_bytes() + self.state.retained_bytes()
    }

    /// Forgets the stream, keeping keys, options and allocations, to relay a
    /// new one.
    pub fn reset(&mut self) {
        self.sse.reset();
        self.decoder.reset(self.given_format);
        self.state.reset();
        self.error = None;
    }

    fn drain(&mut self) -> Result<(), Error> {
        loop {
            let event = match self.sse.next_event() {
                Ok(Some(event)) => event,
                Ok(None) => return Ok(()),
                Err(error) => return Err(self.fail(error)),
            };
            if let Err(error) = self.relay_event(&event) {
                return Err(self.fail(error));
            }
        }
    }

    fn relay_event(&mut self, event: &SseEvent) -> Result<(), Error> {
        let state = &mut self.state;
        state.events += 1;
        if state.ended {
            // The client's stream is over: nothing after it can reach it.
            return Ok(());
        }
        state.offset = event.offset();
        state.pending.clear();
        state.verbatim = None;
        state.verbatim_ok = true;
        state.ending = Ending::No;
        // The decoders name bytes of the event's data; the relay names bytes
        // of the stream. Any fault in the JSON is a malformed event.
        self.decoder
            .decode(event, state)
            .map_err(|error| match error.kind() {
                ErrorKind::TooManyCalls => error,
                ErrorKind::TooDeep => {
                    Error::new(ErrorKind::TooDeep, event.data_offset() + error.offset())
                }
                _ => Error::new(
                    ErrorKind::MalformedChunk,
                    event.data_offset() + error.offset(),
                ),
            })?;
        state.write_event(event.data());
        Ok(())
    }

    fn fail(&mut self, error: Error) -> Error {
        self.error = Some(error);
        error
    }
}

impl Sink for State {
    fn event(&mut self, event: Upstream<'_>) -> Result<(), Error> {
        match event {
            Upstream::Response { id, model, created } => {
                self.writer.set_response(id, model, created);
            }
            Upstream::Verbatim { role, .. } => {
                self.verbatim = Some(role);
                // A provider that repeats the role in every chunk would have
                // the SDK's accumulator concatenate it.
                self.verbatim_ok &= !(role && self.writer.role_sent());
            }
            Upstream::Text(text) => {
                self.summary.push_content(text, self.max_content);
                write_escaped(&mut self.pending.text, text);
            }
            Upstream::Reasoning(text) => write_escaped(&mut self.pending.reasoning, text),
            Upstream::Refusal(text) => write_escaped(&mut self.pending.refusal, text),
            Upstream::Call(delta) => self.call(&delta)?,
            Upstream::CallDone { call, arguments } => {
                if let Some(slot) = self.calls.find(&call)
                    && !self.calls.has_fragments(slot)
                {
                    self.verbatim_ok = false;
                    self.arguments(slot, arguments);
                }
            }
            Upstream::Finish(finish) => {
                if self.summary.finish_reason.is_none() {
                    let reason = match finish {
                        Finish::Stop => "stop",
                        Finish::Length => "length",
                        Finish::ToolCalls => "tool_calls",
                        Finish::ContentFilter => "content_filter",
                        Finish::Completed if self.summary.tool_calls.is_empty() => "stop",
                        Finish::Completed => "tool_calls",
                        Finish::Other(word) => word,
                    };
                    set_text(
                        &mut self.summary.finish_reason,
                        &mut self.spare_strings,
                        reason,
                    );
                }
            }
            Upstream::Usage(usage) => self.usage(&usage),
            Upstream::Error(error) => self.upstream_error(&error),
            Upstream::End => {
                self.summary.saw_done = true;
                if self.ending == Ending::No {
                    self.ending = Ending::Finished;
                }
            }
        }
        Ok(())
    }
}

impl State {
    fn retained_bytes(&self) -> usize {
        let spare: usize = self.spare_strings.iter().map(String::capacity).sum();
        let usage = self.openai_usage.as_ref().map_or(0, String::capacity);
        self.writer.retained_bytes()
            + self.pending.retained_bytes()
            + self.summary.retained_bytes()
            + self.calls.retained_bytes()
            + spare
            + usage
    }

    fn reset(&mut self) {
        self.writer.reset();
        let summary = &mut self.summary;
        summary.content.clear();
        let texts = [
            &mut summary.finish_reason,
            &mut summary.usage,
            &mut summary.upstream_error,
            &mut self.openai_usage,
        ];
        for mut text in texts.into_iter().filter_map(Option::take) {
            text.clear();
            self.spare_strings.push(text);
        }
        self.calls.reset(&mut summary.tool_calls);
        summary.saw_done = false;
        summary.content_truncated = false;
        self.usage = Usage::default();
        self.usage_seen = false;
        self.pending.clear();
        self.ended = false;
        self.events = 0;
    }

    fn call(&mut self, delta: &CallDelta<'_>) -> Result<(), Error> {
        let slot = match self.calls.find(&delta.call) {
            Some(slot) => slot,
            None if delta.opens => self.calls.open(
                &delta.call,
                &mut self.summary.tool_calls,
                &self.keys,
                self.max_calls,
                self.offset,
            )?,
            // A fragment of a block that is not the client's call (an
            // Anthropic server tool's input).
            None => return Ok(()),
        };
        let summary = &mut self.summary.tool_calls[slot];
        if let Some(id) = delta.id
            && summary.id.is_empty()
        {
            summary.id.push_str(id);
        }
        if let Some(name) = delta.name
            && summary.name != name
        {
            // Streamed in pieces by some chat providers, repeated whole by
            // others.
            summary.name.push_str(name);
        }
        match self.mode {
            ToolCallMode::Hide => self.verbatim_ok = false,
            ToolCallMode::Forward => {
                self.verbatim_ok &= self.calls.numbered_as_ordinal(slot);
                if !self.calls.announce(slot) {
                    self.announce(slot);
                }
            }
        }
        if let Some(fragment) = delta.arguments {
            self.arguments(slot, fragment);
        }
        Ok(())
    }

    /// Writes the start of a forwarded call, `{"index":…,"id":…,"type":"function","function":{"name":…,"arguments":""}}`.
    fn announce(&mut self, slot: usize) {
        let call = &self.summary.tool_calls[slot];
        let out = &mut self.pending.calls;
        if !out.is_empty() {
            out.push(b',');
        }
        let _ = write!(out, r#"{{"index":{},"id":"#, call.index);
        write_json_string(out, &call.id);
        out.extend_from_slice(br#","type":"function","function":{"name":"#);
        write_json_string(out, &call.name);
        out.extend_from_slice(br#","arguments":""}}"#);
    }

    fn arguments(&mut self, slot: usize, fragment: &str) {
        let call = &mut self.summary.tool_calls[slot];
        let taken = self.calls.push(
            slot,
            call,
            fragment,
            self.max_arguments,
            &mut self.pending.spans,
        );
        if taken && self.mode == ToolCallMode::Forward && !fragment.is_empty() {
            let out = &mut self.pending.calls;
            if !out.is_empty() {
                out.push(b',');
            }
            let _ = write!(out, r#"{{"index":{},"function":{{"arguments":"#, call.index);
            write_json_string(out, fragment);
            out.extend_from_slice(b"}}");
        }
    }

    fn usage(&mut self, usage: &Usage<'_>) {
        set_text(&mut self.summary.usage, &mut self.spare_strings, usage.raw);
        if usage.openai_shape {
            set_text(&mut self.openai_usage, &mut self.spare_strings, usage.raw);
        }
        let merged = &mut self.usage;
        merged.prompt = usage.prompt.or(merged.prompt);
        merged.completion = usage.completion.or(merged.completion);
        merged.total = usage.total.or(merged.total);
        merged.cached = usage.cached.or(merged.cached);
        self.usage_seen = true;
    }

    /// Writes what this upstream event brought before the error, then the
    /// error, and ends the client's stream.
    fn upstream_error(&mut self, error: &UpstreamError<'_>) {
        set_text(
            &mut self.summary.upstream_error,
            &mut self.spare_strings,
            error.raw,
        );
        self.writer.deltas(&self.pending);
        self.pending.clear();
        self.verbatim = None;
        self.writer.error(
            error.message.unwrap_or("upstream error"),
            error.error_type.unwrap_or("upstream_error"),
            error.code,
        );
        self.ending = Ending::Failed;
        self.ended = true;
    }

    /// Writes what the upstream event brought, then the end it reached.
    fn write_event(&mut self, payload: &[u8]) {
        match self.verbatim {
            Some(role) if self.verbatim_ok => {
                self.writer.verbatim(payload, role);
                let spans = Pending {
                    spans: std::mem::take(&mut self.pending.spans),
                    ..Pending::default()
                };
                self.writer.deltas(&spans);
                self.pending.spans = spans.spans;
            }
            _ => self.writer.deltas(&self.pending),
        }
        match self.ending {
            Ending::No => {}
            Ending::Finished => {
                self.calls.finish(&mut self.summary.tool_calls);
                self.write_end();
            }
            Ending::Failed => {}
        }
        self.pending.clear();
    }

    /// Writes the finish chunk, the usage chunk and `[DONE]`, unless left
    /// out, and ends the client's stream.
    fn write_end(&mut self) {
        self.ended = true;
        if !self.finish_on {
            return;
        }
        let reason = match self.summary.finish_reason.as_deref() {
            Some("tool_calls") if self.mode == ToolCallMode::Hide => "stop",
            Some(reason) => reason,
            None => "stop",
        };
        self.writer.finish(reason);
        if let Some(usage) = &self.openai_usage {
            self.writer.usage(usage.as_bytes());
        } else if self.usage_seen {
            let usage = &self.usage;
            let json = &mut self.pending.text;
            json.clear();
            let prompt = usage.prompt.unwrap_or(0);
            let completion = usage.completion.unwrap_or(0);
            let total = usage.total.unwrap_or(prompt + completion);
            let _ = write!(
                json,
                r#"{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{total}"#
            );
            if let Some(cached) = usage.cached {
                let _ = write!(
                    json,
                    r#","prompt_tokens_details":{{"cached_tokens":{cached}}}"#
                );
            }
            json.push(b'}');
            self.writer.usage(json);
            json.clear();
        }
        self.writer.done();
    }

    /// Upstream ended before its format's end: the client gets an error.
    fn cut_off(&mut self) {
        const CUT_OFF: &str = r#"{"message":"upstream stream ended before the response finished","type":"upstream_error","code":"stream_truncated"}"#;
        set_text(
            &mut self.summary.upstream_error,
            &mut self.spare_strings,
            CUT_OFF,
        );
        self.writer.error(
            "upstream stream ended before the response finished",
            "upstream_error",
            Some(Code::Text("stream_truncated")),
        );
        self.ended = true;
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
