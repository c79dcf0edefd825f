//! OpenAI chat completions: each `data:` payload is a `chat.completion.chunk`,
//! an `{"error":...}` object, or `[DONE]`.
//!
//! Read by the event reader (`super::reader`), which checks the whole payload
//! as strictly as the key scanner does and lays out only the fields the
//! decoders use. A known field of the wrong type is an error at its byte; a
//! `null` one is taken as absent; unknown fields are skipped.

use super::reader::{At, Doc};
use super::{CallDelta, CallRef, Finish, Sink, Upstream, UpstreamError, Usage};
use crate::Error;

/// Decodes one event, `doc` as the reader read its `data`.
pub(super) fn decode(
    doc: Result<Doc<'_>, Error>,
    data: &[u8],
    sink: &mut impl Sink,
) -> Result<(), Error> {
    if data.trim_ascii() == b"[DONE]" {
        return sink.event(Upstream::End);
    }
    let doc = doc?;
    let root = Some(doc.root()?);
    let [error, id, model, created, object, usage, choices] = doc.pick(
        root,
        [
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
    // Each choice and its delta, looked up once.
    let mut verbatim = doc.string(object)? == Some("chat.completion.chunk") && usage.is_none();
    let mut role = false;
    let mut count = 0;
    for choice in doc.elements(choices)? {
        let [index, finish, delta, message] = doc.pick(
            doc.object(Some(choice))?,
            ["index", "finish_reason", "delta", "message"],
        )?;
        let index = doc.small_at(index)?.unwrap_or(0);
        let delta = doc.object(delta)?;
        count += 1;
        verbatim &= count == 1 && index == 0 && finish.is_none() && delta.is_some();
        let fields = doc.pick(
            doc.object(delta.or(message))?,
            [
                "role",
                "content",
                "reasoning_content",
                "reasoning",
                "refusal",
                "tool_calls",
            ],
        )?;
        role = fields[0].is_some();
        verbatim &= role || fields[1..].iter().flatten().any(|&at| carries(&doc, at));
        // Reasoning under `reasoning` (OpenRouter, Groq) is written anew as
        // `reasoning_content`, so that a client finds all of it under one
        // name whether or not a chunk was forwarded.
        verbatim &= !fields[3].is_some_and(|at| carries(&doc, at));
    }
    if verbatim {
        sink.event(Upstream::Verbatim {
            payload: data,
            role,
            block: None,
        })?;
    }
    for choice in doc.elements(choices)? {
        let [index, delta, message] = doc.pick(Some(choice), ["index", "delta", "message"])?;
        sink.event(Upstream::Choice(doc.small_at(index)?.unwrap_or(0)))?;
        // A provider that sends the whole answer in one chunk sends a
        // `message` instead of a `delta`.
        deltas(&doc, doc.object(delta.or(message))?, sink)?;
    }
    sink.event(Upstream::Choice(0))?;
    if let Some(at) = usage {
        let [prompt, completion, total, details] = doc.pick(
            usage,
            [
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "completion_tokens_details",
            ],
        )?;
        sink.event(Upstream::Usage(Usage {
            prompt: doc.unsigned_at(prompt)?,
            completion: doc.unsigned_at(completion)?,
            total: doc.unsigned_at(total)?,
            cached: None,
            reasoning: doc.unsigned(doc.object(details)?, "reasoning_tokens")?,
            raw: doc.raw(at),
            openai_shape: true,
        }))?;
    }
    for choice in doc.elements(choices)? {
        // The empty string some providers send means "not yet".
        let [index, reason] = doc.pick(Some(choice), ["index", "finish_reason"])?;
        if let Some(reason) = doc.string(reason)?.filter(|r| !r.is_empty()) {
            sink.event(Upstream::Choice(doc.small_at(index)?.unwrap_or(0)))?;
            sink.event(Upstream::Finish(finish(reason)))?;
        }
    }
    sink.event(Upstream::Choice(0))
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
        message: doc.str(error, "message")?,
        error_type: doc.str(error, "type")?,
        code: doc.code(error, "code")?,
        raw: doc.raw(at),
    })
}

/// What one choice's delta carries: reasoning, text, refusal, tool calls.
fn deltas(doc: &Doc<'_>, delta: Option<At>, sink: &mut impl Sink) -> Result<(), Error> {
    let [reasoning_content, reasoning, content, refusal, tool_calls] = doc.pick(
        delta,
        [
            "reasoning_content",
            "reasoning",
            "content",
            "refusal",
            "tool_calls",
        ],
    )?;
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
                let [kind, text] = doc.pick(doc.object(Some(part))?, ["type", "text"])?;
                let text = doc.string(text)?;
                if doc.string(kind)? == Some("text") {
                    super::text(text, Upstream::Text, sink)?;
                }
            }
        }
    }
    super::text(doc.string(refusal)?, Upstream::Refusal, sink)?;
    for (position, call) in doc.elements(tool_calls)?.enumerate() {
        let [index, id, kind, function] =
            doc.pick(doc.object(Some(call))?, ["index", "id", "type", "function"])?;
        // Checked for its type, as a strict reader would; not used.
        doc.string(kind)?;
        let [name, arguments] = doc.pick(doc.object(function)?, ["name", "arguments"])?;
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

fn finish(reason: &str) -> Finish<'_> {
    match reason {
        "stop" => Finish::Stop,
        "length" => Finish::Length,
        "tool_calls" | "function_call" => Finish::ToolCalls,
        "content_filter" => Finish::ContentFilter,
        other => Finish::Other(other),
    }
}
