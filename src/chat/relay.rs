//! The relay: a provider's chat-completions event stream in, a client's event
//! stream out, with the target argument of every tool call turned into
//! content as it arrives.

use std::io::Write as _;

use bytes::Bytes;

use super::chunk::{Chunk, ChunkParser, ChunkView};
use crate::error::{Error, ErrorKind};
use crate::scan::{Event, KeyScanner};
use crate::sse::{SseDecoder, SseEncoder, SseEvent};

/// The key a relay tracks when none is given: the voice agent's spoken
/// preamble.
pub const DEFAULT_KEY: &str = "pre_exec_msg";

/// Relays an OpenAI-compatible `chat.completion.chunk` stream.
///
/// Upstream reads go in through [`feed`](Relay::feed); downstream bytes come
/// out of [`output`](Relay::output), ready to write to the client:
///
/// - a chunk with content, reasoning or refusal text, or an in-stream error,
///   is forwarded as its original payload bytes, never re-serialised;
/// - each tool call, told apart by its `index`, has its arguments collected,
///   and a [`KeyScanner`] finds the target keys in them; the new text spans
///   an upstream chunk brings become one content chunk with that chunk's
///   `id`, `created` and `model`, the spans copied raw (they are already JSON
///   string text), so the client decodes exactly the value;
/// - `[DONE]` is written once, when upstream sends it or, for providers that
///   do not, at [`finish`](Relay::finish); events after an upstream `[DONE]`
///   are counted and ignored.
///
/// The relay reads on after the finish reason, to `[DONE]` or the end of the
/// stream, so usage sent last is collected. [`summary`](Relay::summary) holds
/// what was collected.
///
/// # Cost
/// Upstream bytes are read once by the SSE decoder and once by the chunk
/// parser; arguments once more by their scanner. Output frames are written
/// into one reused buffer. After warm-up, relaying an event allocates nothing
/// but the growth of the collected arguments and content.
///
/// # Termination
/// Call [`finish`](Relay::finish) at the end of the upstream body, then take
/// the last [`output`](Relay::output).
///
/// # Errors
/// A chunk that is not a chat-completion chunk stops the relay: [`feed`](Relay::feed)
/// returns an error at the byte offset where the event began, and the relay
/// stays failed. Frames for the events before it are still in
/// [`output`](Relay::output), so nothing already relayed is lost. Invalid
/// arguments in one tool call only stop that call's extraction: the error is
/// kept in its [`ToolCallSummary`] and the stream goes on.
#[derive(Debug)]
pub struct Relay {
    decoder: SseDecoder,
    parser: ChunkParser,
    state: State,
    error: Option<Error>,
}

/// Everything but the decoder and parser, so a chunk view (which borrows the
/// parser) can be read while the state changes.
#[derive(Debug)]
struct State {
    keys: Vec<Box<str>>,
    encoder: SseEncoder,
    summary: Summary,
    /// Scanners of finished streams' calls, kept to be reused.
    spare_scanners: Vec<KeyScanner>,
    /// Strings and call records of earlier streams, emptied, kept to be
    /// reused so that relaying stream after stream allocates nothing new.
    spare_strings: Vec<String>,
    spare_calls: Vec<ToolCallSummary>,
    scanners: Vec<KeyScanner>,
    /// The content chunk being written for the upstream chunk being relayed:
    /// empty until its first span, then its head and the spans so far.
    frame: Vec<u8>,
    done_sent: bool,
    events: u64,
}

/// What a relay collected from the stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The upstream content text, concatenated.
    pub content: String,
    /// The first finish reason upstream gave.
    pub finish_reason: Option<String>,
    /// Each tool call, in the order their first fragments arrived.
    pub tool_calls: Vec<ToolCallSummary>,
    /// The raw JSON of the last `usage` object upstream sent.
    pub usage: Option<String>,
    /// The raw JSON of an in-stream `error` object, if upstream sent one.
    pub upstream_error: Option<String>,
    /// Whether upstream sent `[DONE]`.
    pub saw_done: bool,
}

/// One tool call as collected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolCallSummary {
    /// The call's `index` in the upstream chunks (0 when missing).
    pub index: u32,
    /// The call's id.
    pub id: String,
    /// The function's name.
    pub name: String,
    /// The full arguments, as the concatenation of the fragments.
    pub arguments: String,
    /// Why the arguments are not a valid JSON document, if they are not.
    /// Empty arguments are taken as no arguments, not as an error.
    pub error: Option<Error>,
}

impl Default for Relay {
    fn default() -> Relay {
        Relay::new(&[DEFAULT_KEY])
    }
}

impl Relay {
    /// A relay that streams the string values of `keys` (top-level keys of
    /// each tool call's arguments) to the client as content.
    pub fn new<K: AsRef<str>>(keys: &[K]) -> Relay {
        Relay {
            decoder: SseDecoder::new(),
            parser: ChunkParser::new(),
            state: State {
                keys: keys.iter().map(|key| Box::from(key.as_ref())).collect(),
                encoder: SseEncoder::new(),
                summary: Summary::default(),
                spare_scanners: Vec::new(),
                spare_strings: Vec::new(),
                spare_calls: Vec::new(),
                scanners: Vec::new(),
                frame: Vec::new(),
                done_sent: false,
                events: 0,
            },
            error: None,
        }
    }

    /// Sets the largest upstream event accepted, in bytes (see
    /// [`SseDecoder::set_max_event_size`]).
    pub fn with_max_event_size(mut self, max: usize) -> Relay {
        self.decoder.set_max_event_size(max);
        self
    }

    /// Reads one upstream read and relays every event it completes.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedChunk`] (or the SSE decoder's
    /// [`ErrorKind::EventTooLarge`]) with the upstream byte offset of the bad
    /// event. The relay then stays failed; take [`output`](Relay::output) for
    /// what was relayed before it.
    pub fn feed(&mut self, read: Bytes) -> Result<(), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.decoder.feed(read);
        self.drain()
    }

    /// Marks the end of the upstream body: relays a last complete event,
    /// checks each tool call's arguments are complete, and writes `[DONE]` if
    /// it has not been written.
    ///
    /// # Errors
    /// As for [`feed`](Relay::feed). Arguments cut off by the end of the
    /// stream are not an error of the relay: they are recorded in the call's
    /// [`ToolCallSummary::error`] as [`ErrorKind::Truncated`].
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.decoder.finish();
        self.drain()?;
        self.state.end_of_stream();
        Ok(())
    }

    /// The downstream bytes written since the last call: whole SSE frames,
    /// ready to send. Empty when there are none.
    pub fn output(&mut self) -> Bytes {
        self.state.encoder.take()
    }

    /// What has been collected so far.
    pub fn summary(&self) -> &Summary {
        &self.state.summary
    }

    /// How many upstream events have been read, the failed one included.
    pub fn events(&self) -> u64 {
        self.state.events
    }

    /// Forgets the stream, keeping keys and allocations, to relay a new one.
    pub fn reset(&mut self) {
        self.decoder.reset();
        self.state.reset();
        self.error = None;
    }

    fn drain(&mut self) -> Result<(), Error> {
        loop {
            let event = match self.decoder.next_event() {
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
        self.state.events += 1;
        if self.state.summary.saw_done {
            // The client has had `[DONE]`: nothing after it can reach it.
            return Ok(());
        }
        let bad_event = |_| Error::new(ErrorKind::MalformedChunk, event.offset());
        match self.parser.parse(event.data()).map_err(bad_event)? {
            Chunk::Done => {
                self.state.summary.saw_done = true;
                self.state.end_of_stream();
            }
            Chunk::Error(error) => {
                let raw = error.raw_json().unwrap_or("null");
                let state = &mut self.state;
                replace_text(
                    &mut state.summary.upstream_error,
                    &mut state.spare_strings,
                    raw,
                );
                self.state.encoder.push_data(event.data());
            }
            Chunk::Data(view) => self.state.relay_chunk(&view, event.data()),
        }
        Ok(())
    }

    fn fail(&mut self, error: Error) -> Error {
        self.error = Some(error);
        error
    }
}

impl State {
    fn reset(&mut self) {
        self.encoder.take();
        let summary = &mut self.summary;
        summary.content.clear();
        let texts = [
            &mut summary.finish_reason,
            &mut summary.usage,
            &mut summary.upstream_error,
        ];
        for mut text in texts.into_iter().filter_map(Option::take) {
            text.clear();
            self.spare_strings.push(text);
        }
        for mut call in summary.tool_calls.drain(..) {
            call.id.clear();
            call.name.clear();
            call.arguments.clear();
            call.error = None;
            self.spare_calls.push(call);
        }
        summary.saw_done = false;
        self.spare_scanners.append(&mut self.scanners);
        self.done_sent = false;
        self.events = 0;
    }

    fn relay_chunk(&mut self, view: &ChunkView<'_>, payload: &[u8]) {
        let mut forward = false;
        if let Some(usage) = view.usage().and_then(|usage| usage.raw_json()) {
            replace_text(&mut self.summary.usage, &mut self.spare_strings, usage);
        }
        for choice in view.choices() {
            let delta = choice.delta();
            for text in delta.text() {
                self.summary.content.push_str(text);
                forward |= !text.is_empty();
            }
            forward |= delta.reasoning().is_some_and(|text| !text.is_empty());
            forward |= delta.refusal().is_some_and(|text| !text.is_empty());
            if let Some(reason) = choice.finish_reason()
                && self.summary.finish_reason.is_none()
            {
                replace_text(
                    &mut self.summary.finish_reason,
                    &mut self.spare_strings,
                    reason,
                );
            }
        }
        if forward {
            self.encoder.push_data(payload);
        }
        for choice in view.choices() {
            for call in choice.tool_calls() {
                let slot = self.call_slot(call.index());
                let summary = &mut self.summary.tool_calls[slot];
                if let Some(id) = call.id().filter(|id| !id.is_empty())
                    && summary.id.is_empty()
                {
                    summary.id.push_str(id);
                }
                if let Some(name) = call.name().filter(|name| !name.is_empty())
                    && summary.name != name
                {
                    // Streamed in pieces by some providers, repeated whole by
                    // others.
                    summary.name.push_str(name);
                }
                if let Some(arguments) = call.arguments() {
                    self.relay_arguments(slot, arguments, view);
                }
            }
        }
        // All the spans one upstream chunk gives, from all its calls, go out
        // as one content chunk: fewer frames, and output stays within a small
        // multiple of the input however short the spans are.
        if !self.frame.is_empty() {
            self.frame.extend_from_slice(FRAME_TAIL);
            self.encoder.push_data(&self.frame);
            self.frame.clear();
        }
    }

    /// The slot of the call with upstream `index`, opened if new.
    fn call_slot(&mut self, index: u32) -> usize {
        if let Some(slot) = self
            .summary
            .tool_calls
            .iter()
            .position(|call| call.index == index)
        {
            return slot;
        }
        let mut call = self.spare_calls.pop().unwrap_or_default();
        call.index = index;
        self.summary.tool_calls.push(call);
        let scanner = match self.spare_scanners.pop() {
            Some(mut scanner) => {
                scanner.reset();
                scanner
            }
            None => KeyScanner::new(&self.keys),
        };
        self.scanners.push(scanner);
        self.summary.tool_calls.len() - 1
    }

    fn relay_arguments(&mut self, slot: usize, fragment: &str, view: &ChunkView<'_>) {
        let call = &mut self.summary.tool_calls[slot];
        call.arguments.push_str(fragment);
        if call.error.is_some() {
            return;
        }
        let scanner = &mut self.scanners[slot];
        loop {
            match scanner.next_event(call.arguments.as_bytes()) {
                Ok(Some(Event::Text(span))) => {
                    if self.frame.is_empty() {
                        write_frame_head(&mut self.frame, view);
                    }
                    self.frame
                        .extend_from_slice(span.raw(call.arguments.as_bytes()));
                }
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(error) => {
                    call.error = Some(error);
                    return;
                }
            }
        }
    }

    /// Upstream is done, by `[DONE]` or by its end: judges each call's
    /// arguments and writes `[DONE]` once.
    fn end_of_stream(&mut self) {
        for (call, scanner) in self.summary.tool_calls.iter_mut().zip(&mut self.scanners) {
            if call.error.is_none() && !call.arguments.trim_ascii().is_empty() {
                call.error = scanner.finish().err();
            }
        }
        if !self.done_sent {
            self.encoder.push_done();
            self.done_sent = true;
        }
    }
}

/// Sets `slot` to `text`, reusing the string already there or a spare one:
/// usage arrives in every chunk with some providers, and must not cost an
/// allocation each.
fn replace_text(slot: &mut Option<String>, spare: &mut Vec<String>, text: &str) {
    let kept = slot.get_or_insert_with(|| spare.pop().unwrap_or_default());
    kept.clear();
    kept.push_str(text);
}

const FRAME_TAIL: &[u8] = br#""},"finish_reason":null}]}"#;

/// Writes the start of a content chunk that carries `view`'s id, created and
/// model, up to the content's opening quote.
fn write_frame_head(head: &mut Vec<u8>, view: &ChunkView<'_>) {
    head.extend_from_slice(br#"{"id":"#);
    write_json_string(head, view.id().unwrap_or(""));
    head.extend_from_slice(br#","object":"chat.completion.chunk","created":"#);
    // Writing a number into a Vec cannot fail.
    let _ = write!(head, "{}", view.created().unwrap_or(0));
    head.extend_from_slice(br#","model":"#);
    write_json_string(head, view.model().unwrap_or(""));
    head.extend_from_slice(br#","choices":[{"index":0,"delta":{"role":"assistant","content":""#);
}

/// Appends `text` as a JSON string literal, quotes included.
pub(crate) fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => br#"\""#,
            b'\\' => br"\\",
            b'\n' => br"\n",
            b'\r' => br"\r",
            b'\t' => br"\t",
            0x00..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

impl Summary {
    /// The summary as one line of JSON:
    /// `{"content":…,"finish_reason":…,"tool_calls":[{"index":…,"id":…,"name":…,"arguments":…,"error":…}],"usage":…}`,
    /// with `usage` as upstream sent it and `error` as a message naming the
    /// byte offset in the arguments.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        out.extend_from_slice(br#"{"content":"#);
        write_json_string(&mut out, &self.content);
        out.extend_from_slice(br#","finish_reason":"#);
        write_optional(&mut out, self.finish_reason.as_deref());
        out.extend_from_slice(br#","tool_calls":["#);
        for (i, call) in self.tool_calls.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = write!(out, r#"{{"index":{},"id":"#, call.index);
            write_json_string(&mut out, &call.id);
            out.extend_from_slice(br#","name":"#);
            write_json_string(&mut out, &call.name);
            out.extend_from_slice(br#","arguments":"#);
            write_json_string(&mut out, &call.arguments);
            out.extend_from_slice(br#","error":"#);
            write_optional(&mut out, call.error.map(|e| e.to_string()).as_deref());
            out.push(b'}');
        }
        out.extend_from_slice(br#"],"usage":"#);
        out.extend_from_slice(self.usage.as_deref().unwrap_or("null").as_bytes());
        out.push(b'}');
        // Only valid UTF-8 went in: strings from `&str`, usage from the
        // validated payload.
        String::from_utf8(out).unwrap_or_default()
    }
}

fn write_optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => write_json_string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}
