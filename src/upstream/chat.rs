//! OpenAI chat completions: each `data:` payload is a `chat.completion.chunk`,
//! an `{"error":...}` object, or `[DONE]`.
//!
//! Read by the event reader (`super::reader`), which checks the whole payload
//! as strictly as the key scanner does and lays out only the fields the
//! decoders use. A known field of the wrong type is an error at its byte; a
//! `null` one is taken as absent; unknown fields are skipped.
//!
//! A `finish_reason` is read by [`Finish::read`] (an empty one means none
//! yet), the usage by [`ChatUsage`].

use smallvec::SmallVec;

use super::reader::{At, Doc, Names};
use super::{CallDelta, CallRef, Finish, Format, Forwardable, Sink, Upstream, UpstreamError};
use super::{key, keys};
use crate::Error;
use crate::neutral::ChatUsage;
use crate::sse::SseEvent;

/// The names this decoder reads, as [`key!`] finds them.
const READ: Names = super::formats::read_by(Format::OpenAiChat);

/// Decodes one event, `doc` as the reader read its `data`.
pub(super) fn decode(
    doc: Result<Doc<'_>, Error>,
    event: &SseEvent,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let data = event.data();
    if data.trim_ascii() == b"[DONE]" {
        return sink.event(Upstream::End);
    }
    let doc = doc?;
    let root = Some(doc.root()?);
    let [error, id, model, created, object, usage, choices] = doc.pick(
        root,
        keys![
            "error", "id", "model", "created", "object", "usage", "choices",
        ],
    )?;
    if let Some(error) = error {
        return sink.event(Upstream::Error(upstream_error(&doc, error)?));
    }
    sink.event(Upstream::Response {
        id: doc.string(id)?,
        model: doc.string(model)?,
        created: doc.unsigned_at(created)?,
    })?;
    let usage = doc.object(usage)?;
    let chunk = doc.string(object)? == Some("chat.completion.chunk");
    // Each choice and its delta, looked up once.
    let mut read: SmallVec<[Choice; 2]> = SmallVec::new();
    for choice in doc.elements(choices)? {
        let [index, finish, delta, message] = doc.pick(
            doc.object(Some(choice))?,
            keys!["index", "finish_reason", "delta", "message"],
        )?;
        let index = doc.small_at(index)?.unwrap_or(0);
        // A provider that sends the whole answer in one chunk sends a
        // `message` instead of a `delta`.
        let fields = doc.pick(
            doc.object(delta.or(message))?,
            keys![
                "role",
                "content",
                "reasoning_content",
                "reasoning",
                "refusal",
                "tool_calls",
            ],
        )?;
        read.push(Choice {
            index,
            finish,
            delta: delta.is_some(),
            fields,
        });
    }
    if let [only] = read.as_slice()
        && only.forwardable(&doc)
        && chunk
        && usage.is_none()
    {
        sink.event(Upstream::Verbatim {
            payload: data,
            forwardable: Forwardable {
                announces: only.fields[ROLE].is_some(),
                part: None,
            },
        })?;
    }
    // Choice 0's events need no `Choice` before them: the commonest chunk
    // has none at all.
    let mut current = 0;
    for choice in &read {
        about(choice.index, &mut current, sink)?;
        deltas(&doc, &choice.fields, sink)?;
    }
    about(0, &mut current, sink)?;
    if let Some(at) = usage {
        let [
            prompt,
            completion,
            total,
            prompt_details,
            completion_details,
        ] = doc.pick(
            usage,
            keys![
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "prompt_tokens_details",
                "completion_tokens_details",
            ],
        )?;
        let counts = ChatUsage {
            prompt_tokens: doc.unsigned_at(prompt)?,
            completion_tokens: doc.unsigned_at(completion)?,
            total_tokens: doc.unsigned_at(total)?,
            cached_tokens: doc.unsigned(doc.object(prompt_details)?, key!("cached_tokens"))?,
            reasoning_tokens: doc
                .unsigned(doc.object(completion_details)?, key!("reasoning_tokens"))?,
        };
        sink.event(Upstream::Usage {
            usage: counts.into(),
            raw: doc.raw(at),
        })?;
    }
    for choice in &read {
        // The empty string some providers send means "not yet".
        if let Some(reason) = doc.string(choice.finish)?.filter(|r| !r.is_empty()) {
            about(choice.index, &mut current, sink)?;
            let finish = Finish::read(Format::OpenAiChat, reason, None);
            sink.event(Upstream::Finish(finish))?;
        }
    }
    about(0, &mut current, sink)
}

/// Tells the sink that the events after are about choice `index`, unless
/// they already are (`current`).
fn about(index: u32, current: &mut u32, sink: &mut impl Sink) -> Result<(), Error> {
    if index == *current {
        return Ok(());
    }
    *current = index;
    sink.event(Upstream::Choice(index))
}

/// The members of a choice's delta (or message) that the decoder reads, in
/// this order.
const ROLE: usize = 0;
const CONTENT: usize = 1;
const REASONING_CONTENT: usize = 2;
const REASONING: usize = 3;
const REFUSAL: usize = 4;
const TOOL_CALLS: usize = 5;

/// One choice of a chunk, as read once.
struct Choice {
    index: u32,
    finish: Option<At>,
    /// Whether it has a `delta` (not a whole `message`).
    delta: bool,
    /// The delta's members, at [`ROLE`] to [`TOOL_CALLS`].
    fields: [Option<At>; 6],
}

impl Choice {
    /// Whether a chunk with only this choice says nothing the relay must
    /// rewrite: choice 0, no finish, a delta that carries a role or
    /// something ([`carries`]), and no reasoning under `reasoning`, which
    /// is written anew as `reasoning_content` so that a client finds all of
    /// it under one name whether or not a chunk was forwarded (OpenRouter,
    /// Groq).
    fn forwardable(&self, doc: &Doc<'_>) -> bool {
        let fields = &self.fields;
        self.index == 0
            && self.finish.is_none()
            && self.delta
            && (fields[ROLE].is_some()
                || fields[CONTENT..]
                    .iter()
                    .flatten()
                    .any(|&at| carries(doc, at)))
            && !fields[REASONING].is_some_and(|at| carries(doc, at))
    }
}

/// An in-stream `error`: an object, or a bare string taken as its message.
fn upstream_error<'t>(doc: &Doc<'t>, at: At) -> Result<UpstreamError<'t>, Error> {
    if doc.is_string(at) {
        return Ok(UpstreamError {
            message: doc.string(Some(at))?,
            error_type: None,
            code: None,
            raw: doc.raw(at),
        });
    }
    let error = doc.object(Some(at))?;
    Ok(UpstreamError {
        message: doc.str(error, key!("message"))?,
        error_type: doc.str(error, key!("type"))?,
        code: doc.code(error, key!("code"))?,
        raw: doc.raw(at),
    })
}

/// What one choice's delta carries: reasoning, text, refusal, tool calls.
fn deltas(doc: &Doc<'_>, fields: &[Option<At>; 6], sink: &mut impl Sink) -> Result<(), Error> {
    let [reasoning_content, reasoning, content, refusal, tool_calls] = [
        fields[REASONING_CONTENT],
        fields[REASONING],
        fields[CONTENT],
        fields[REFUSAL],
        fields[TOOL_CALLS],
    ];
    // `reasoning_content` (DeepSeek, vLLM), else `reasoning` (OpenRouter,
    // Groq, llama.cpp).
    let reasoning = match doc.string(reasoning_content)? {
        Some(text) => Some(text),
        None => doc.string(reasoning)?,
    };
    super::text(reasoning, Upstream::Reasoning, sink)?;
    match content {
        Some(content) if doc.is_string(content) => {
            super::text(doc.string(Some(content))?, Upstream::Text, sink)?;
        }
        content => {
            for part in doc.elements(content)? {
                let [kind, text] = doc.pick(doc.object(Some(part))?, keys!["type", "text"])?;
                let text = doc.string(text)?;
                if doc.string(kind)? == Some("text") {
                    super::text(text, Upstream::Text, sink)?;
                }
            }
        }
    }
    super::text(doc.string(refusal)?, Upstream::Refusal, sink)?;
    for (position, call) in doc.elements(tool_calls)?.enumerate() {
        let [index, id, kind, function] = doc.pick(
            doc.object(Some(call))?,
            keys!["index", "id", "type", "function"],
        )?;
        // Checked for its type, as a strict reader would; not used.
        doc.string(kind)?;
        let [name, arguments] = doc.pick(doc.object(function)?, keys!["name", "arguments"])?;
        sink.event(Upstream::Call(CallDelta {
            call: CallRef {
                // Without an `index`, a call is told apart by its place in
                // the chunk: a provider that sends parallel calls whole in
                // one chunk keeps them apart, and one that streams a single
                // call without indexes keeps it at 0.
                index: Some(doc.small_at(index)?.map_or(position as u64, u64::from)),
                item: None,
            },
            opens: true,
            id: doc.string(id)?.filter(|id| !id.is_empty()),
            name: doc.string(name)?.filter(|name| !name.is_empty()),
            arguments: doc.string(arguments)?,
            signature: None,
        }))?;
    }
    Ok(())
}

/// Whether a delta's field carries something: text that is not empty,
/// content parts or tool calls.
///
/// A `chat.completion.chunk` (checked by the caller: the OpenAI SDK's stream
/// helper drops chunks that do not name themselves one, and Azure and
/// Copilot leave `object` out) with one choice that carries only such deltas,
/// no finish and no usage, says nothing the relay must rewrite: it may go to
/// the client as it came.
fn carries(doc: &Doc<'_>, at: At) -> bool {
    if doc.is_string(at) {
        doc.string(Some(at))
            .is_ok_and(|text| text.is_some_and(|t| !t.is_empty()))
    } else {
        doc.elements(Some(at))
            .is_ok_and(|mut all| all.next().is_some())
    }
}
