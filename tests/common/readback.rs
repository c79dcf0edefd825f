//! A stream read back through the crate's own decoders: what a stream in
//! any of the formats means in the provider-neutral event model (choice 0's
//! text, reasoning, refusal, calls, finish, usage, error, end). Used for the
//! round trip: decode the upstream, relay it to a format, decode that, and
//! the meaning must be the same.

use argstream::upstream::{CallRef, Decoder, Finish, Sink, Upstream};
use argstream::{Error, Format, SseDecoder};
use bytes::Bytes;

/// One call as read back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Call {
    pub id: String,
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
                let call = &mut self.calls[slot];
                if let Some(id) = delta.id
                    && call.id.is_empty()
                {
                    call.id.push_str(id);
                }
                if let Some(name) = delta.name
                    && call.name != name
                {
                    call.name.push_str(name);
                }
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
pub fn read(body: &[u8], format: Option<Format>) -> Result<Meaning, Error> {
    let framed = format.map_or(body.first() == Some(&0), Format::is_framed);
    if framed {
        let mut frames = argstream::eventstream::FrameDecoder::new();
        frames.feed(Bytes::copy_from_slice(body));
        let mut decoder = Decoder::new(Some(Format::Bedrock));
        let mut meaning = Meaning::default();
        while let Some(frame) = frames.next_frame()? {
            decoder.decode_frame(&frame, &mut meaning)?;
        }
        decoder.finish(&mut meaning)?;
        return Ok(meaning);
    }
    let mut sse = SseDecoder::new();
    sse.feed(Bytes::copy_from_slice(body));
    sse.finish();
    let mut decoder = Decoder::new(format);
    let mut meaning = Meaning::default();
    while let Some(event) = sse.next_event()? {
        meaning.choice = 0;
        decoder.decode(&event, &mut meaning)?;
    }
    if let Some(event) = sse.take_unterminated_event() {
        meaning.choice = 0;
        decoder.decode(&event, &mut meaning)?;
    }
    decoder.finish(&mut meaning)?;
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
