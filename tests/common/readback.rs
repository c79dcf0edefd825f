//! A stream read back through the crate's own decoders: what a stream in
//! any of the formats means in the provider-neutral event model (choice 0's
//! text, reasoning, refusal, calls, finish, usage, error, end). Used for the
//! round trip: decode the upstream, relay it to a format, decode that, and
//! the meaning must be the same.
//!
//! A call's id and name are the exception: they are read here from the raw
//! events with serde_json, by each format's own rule as its documentation
//! gives it to a client ([`client_calls`]), not through the decoders. So the
//! ids the crate makes (Gemini's calls carry none) and the way the relay
//! joins the names and ids a call's events bring are checked against what a
//! client reads, instead of being read back by the same code that wrote
//! them.

use argstream::upstream::{CallRef, Decoder, Finish, Sink, Upstream};
use argstream::{Error, Format, SseDecoder};
use bytes::Bytes;
use serde_json::Value;

/// One call as read back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Call {
    /// As a client of the format reads it ([`client_calls`]): empty for a
    /// Gemini call that carries none.
    pub id: String,
    /// As a client of the format reads it ([`client_calls`]).
    pub name: String,
    pub arguments: String,
    /// The arguments came whole (`.done`, a whole input), not in fragments.
    whole: bool,
    key: (Option<u64>, Option<String>),
}

/// (prompt, completion, total, cached).
pub type Counts = (Option<u64>, Option<u64>, Option<u64>, Option<u64>);

/// The meaning of a stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meaning {
    pub text: String,
    pub reasoning: String,
    pub refusal: String,
    pub calls: Vec<Call>,
    /// The first finish, in OpenAI's words (a stop after calls as
    /// `tool_calls`: Responses' `completed` and Gemini's `STOP` do not say
    /// why).
    pub finish: Option<String>,
    /// Token counts, merged field by field.
    pub usage: Option<Counts>,
    pub errors: usize,
    pub ended: bool,
    choice: u32,
    completed: bool,
}

impl Sink for Meaning {
    fn event(&mut self, event: Upstream<'_>) -> Result<(), Error> {
        if let Upstream::Choice(index) = event {
            self.choice = index;
            return Ok(());
        }
        let ignored = matches!(
            event,
            Upstream::Text(_)
                | Upstream::Reasoning(_)
                | Upstream::Refusal(_)
                | Upstream::Call(_)
                | Upstream::CallDone { .. }
                | Upstream::Finish(_)
        );
        if self.choice != 0 && ignored {
            return Ok(());
        }
        match event {
            Upstream::Text(text) => self.text.push_str(text),
            Upstream::Reasoning(text) => self.reasoning.push_str(text),
            Upstream::Refusal(text) => self.refusal.push_str(text),
            Upstream::Call(delta) => {
                let slot = match self.find(&delta.call) {
                    Some(slot) => slot,
                    None if delta.opens => {
                        self.calls.push(Call {
                            key: key(&delta.call),
                            ..Call::default()
                        });
                        self.calls.len() - 1
                    }
                    None => return Ok(()),
                };
                // The id and name are left to `client_calls`.
                let call = &mut self.calls[slot];
                if let Some(fragment) = delta.arguments {
                    if call.whole {
                        call.arguments.clear();
                        call.whole = false;
                    }
                    call.arguments.push_str(fragment);
                }
            }
            Upstream::CallDone { call, arguments } => {
                if let Some(slot) = self.find(&call)
                    && self.calls[slot].arguments.is_empty()
                {
                    self.calls[slot].arguments.push_str(arguments);
                    self.calls[slot].whole = true;
                }
            }
            Upstream::Finish(finish) if self.finish.is_none() => {
                self.completed = finish == Finish::Stop;
                let reason = match finish {
                    Finish::Stop | Finish::StopSequence(_) => "stop",
                    Finish::Length => "length",
                    Finish::ToolCalls => "tool_calls",
                    Finish::ContentFilter | Finish::Refusal => "content_filter",
                    Finish::Other(word) => word,
                };
                self.finish = Some(reason.to_owned());
            }
            Upstream::Usage { usage, .. } => {
                let (p, c, t, k) = self.usage.unwrap_or_default();
                self.usage = Some((
                    usage.input.or(p),
                    usage.output.or(c),
                    usage.total.or(t),
                    usage.cache_read.or(k),
                ));
            }
            Upstream::Error(_) => self.errors += 1,
            Upstream::End => self.ended = true,
            _ => {}
        }
        Ok(())
    }
}

fn key(call: &CallRef<'_>) -> (Option<u64>, Option<String>) {
    match (call.index, call.item) {
        (Some(index), _) => (Some(index), None),
        (None, Some(item)) => (None, Some(item.to_owned())),
        (None, None) => (Some(0), None),
    }
}

impl Meaning {
    fn find(&self, call: &CallRef<'_>) -> Option<usize> {
        let key = key(call);
        self.calls.iter().position(|c| c.key == key)
    }
}

/// What `body`, a whole stream in `format` (detected when `None`), means.
///
/// # Panics
///
/// When the decoders find a different number of calls than a client of the
/// format does ([`client_calls`]).
pub fn read(body: &[u8], format: Option<Format>) -> Result<Meaning, Error> {
    // Each event's JSON, for `client_calls`; what is not JSON is no call.
    let mut events = Vec::new();
    let framed = format.map_or(body.first() == Some(&0), Format::is_framed);
    if framed {
        let mut frames = argstream::eventstream::FrameDecoder::new();
        frames.feed(Bytes::copy_from_slice(body));
        let mut decoder = Decoder::new(Some(Format::Bedrock));
        let mut meaning = Meaning::default();
        while let Some(frame) = frames.next_frame()? {
            events.extend(json(frame.payload()));
            decoder.decode_frame(&frame, &mut meaning)?;
        }
        decoder.finish(&mut meaning)?;
        name_calls(&mut meaning, Format::Bedrock, &events);
        return Ok(meaning);
    }
    let mut sse = SseDecoder::new();
    sse.feed(Bytes::copy_from_slice(body));
    sse.finish();
    let mut decoder = Decoder::new(format);
    let mut meaning = Meaning::default();
    while let Some(event) = sse.next_event()? {
        meaning.choice = 0;
        events.extend(json(event.data()));
        decoder.decode(&event, &mut meaning)?;
    }
    if let Some(event) = sse.take_unterminated_event() {
        meaning.choice = 0;
        events.extend(json(event.data()));
        decoder.decode(&event, &mut meaning)?;
    }
    decoder.finish(&mut meaning)?;
    if let Some(format) = decoder.format() {
        name_calls(&mut meaning, format, &events);
    }
    // Gemini has no end event: a response read to the body's end with its
    // finish has ended.
    if decoder.format() == Some(Format::Gemini) {
        meaning.ended = meaning.finish.is_some();
    }
    // A plain stop after calls waits for their results.
    if meaning.completed && !meaning.calls.is_empty() {
        meaning.finish = Some("tool_calls".to_owned());
    }
    Ok(meaning)
}

fn json(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data).ok()
}

/// Gives the decoders' calls the ids and names a client reads.
fn name_calls(meaning: &mut Meaning, format: Format, events: &[Value]) {
    let named = client_calls(format, events);
    assert_eq!(
        named.len(),
        meaning.calls.len(),
        "{format}: a client reads {named:?}, the decoders {:?}",
        meaning.calls
    );
    for (call, (_, id, name)) in meaning.calls.iter_mut().zip(named) {
        (call.id, call.name) = (id, name);
    }
}

/// Choice 0's calls as a client of `format` reads them from the events'
/// JSON, in the order they open: (the key that tells them apart, id, name).
/// Each format's documentation fixes where a client finds them:
/// - **Chat Completions**: a streamed call is the `tool_calls` entries of
///   choice 0's `delta` (or of a whole `message`) with one `index` (an
///   entry without one is its place in the list); its `id` and
///   `function.name` are the strings those entries carry, joined in order,
///   as OpenAI's SDK accumulates a delta's strings. They normally come once,
///   in the call's first entry.
/// - **Anthropic Messages**: a `content_block_start` whose block is a
///   `tool_use` opens a call with the block's `id` and `name`; the deltas
///   carry neither. A `server_tool_use` is the server's, not a call.
/// - **OpenAI Responses**: a `function_call` item, added
///   (`response.output_item.added`) and done (`response.output_item.done`,
///   whose item a client keeps), at one `output_index`; its id is the item's
///   `call_id`, which the client sends back with the call's output, not the
///   item's own `id`.
/// - **Gemini**: a part of candidate 0 with a `functionCall` opens a call
///   with its `name` and its `id` where the API gives one (none otherwise:
///   a client answers a call by its name). On Vertex a `functionCall` with
///   `willContinue: true` is continued by the `functionCall` parts after it
///   up to the first without `willContinue`, which bring no name.
/// - **Bedrock `ConverseStream`**: a `contentBlockStart` whose `start` is a
///   `toolUse` opens a call with its `toolUseId` and `name`.
pub fn client_calls(format: Format, events: &[Value]) -> Vec<(Value, String, String)> {
    let mut calls: Vec<(Value, String, String)> = Vec::new();
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let first_choice = |choice: &&Value| choice["index"].as_u64().unwrap_or(0) == 0;
    // Gemini: whether the last call goes on in the next `functionCall`.
    let mut continues = false;
    for event in events {
        match format {
            Format::OpenAiChat => {
                let choices = event["choices"].as_array().into_iter().flatten();
                for choice in choices.filter(first_choice) {
                    let delta = match &choice["delta"] {
                        Value::Object(_) => &choice["delta"],
                        _ => &choice["message"],
                    };
                    let entries = delta["tool_calls"].as_array().into_iter().flatten();
                    for (place, entry) in entries.enumerate() {
                        let key = match &entry["index"] {
                            Value::Null => Value::from(place),
                            index => index.clone(),
                        };
                        let at = match calls.iter().position(|call| call.0 == key) {
                            Some(at) => at,
                            None => {
                                calls.push((key, String::new(), String::new()));
                                calls.len() - 1
                            }
                        };
                        calls[at].1 += entry["id"].as_str().unwrap_or_default();
                        calls[at].2 += entry["function"]["name"].as_str().unwrap_or_default();
                    }
                }
            }
            Format::Anthropic => {
                let block = &event["content_block"];
                if event["type"] == "content_block_start" && block["type"] == "tool_use" {
                    calls.push((
                        event["index"].clone(),
                        text(&block["id"]),
                        text(&block["name"]),
                    ));
                }
            }
            Format::OpenAiResponses => {
                let item = &event["item"];
                let kind = event["type"].as_str().unwrap_or_default();
                let added_or_done = matches!(
                    kind,
                    "response.output_item.added" | "response.output_item.done"
                );
                if added_or_done && item["type"] == "function_call" {
                    let key = event["output_index"].clone();
                    let named = (key.clone(), text(&item["call_id"]), text(&item["name"]));
                    match calls.iter().position(|call| call.0 == key) {
                        Some(at) => calls[at] = named,
                        None => calls.push(named),
                    }
                }
            }
            Format::Gemini => {
                let candidates = event["candidates"].as_array().into_iter().flatten();
                for candidate in candidates.filter(first_choice) {
                    let parts = candidate["content"]["parts"]
                        .as_array()
                        .into_iter()
                        .flatten();
                    for call in parts.filter_map(|part| part.get("functionCall")) {
                        let opens = !continues && call.get("name").is_some();
                        if opens {
                            let key = Value::from(calls.len());
                            calls.push((key, text(&call["id"]), text(&call["name"])));
                        }
                        continues = (opens || continues) && call["willContinue"] == true;
                    }
                }
            }
            Format::Bedrock => {
                let start = &event["start"]["toolUse"];
                if start.is_object() {
                    let key = event["contentBlockIndex"].clone();
                    calls.push((key, text(&start["toolUseId"]), text(&start["name"])));
                }
            }
        }
    }
    calls
}
