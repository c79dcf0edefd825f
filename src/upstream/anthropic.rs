//! Anthropic Messages: `message_start`, then content blocks (`text`,
//! `tool_use`, `thinking`, `server_tool_use`, ...) opened by
//! `content_block_start`, filled by `content_block_delta` and closed by
//! `content_block_stop`, then `message_delta` with the stop reason and
//! cumulative usage, and `message_stop`. `ping` may come anywhere, and
//! `error` mid-stream.
//!
//! The stop reason (with `stop_sequence`) is read by [`Finish::read`], the
//! usage by [`AnthropicUsage`]. A message has no creation time: the relay's
//! [`set_created`](crate::Relay::set_created) gives one (default 0).
//!
//! A `server_tool_use` block is a tool the provider runs itself (web search,
//! code execution): its input is not a call for the client, so it opens no
//! call, and the `input_json_delta`s of its block are dropped by the relay as
//! fragments of a call never opened.

use super::reader::{At, Doc, Names};
use super::{
    CallDelta, CallRef, Finish, Format, Forwardable, ItemKind, Sink, Upstream, UpstreamError, text,
};
use super::{key, keys};
use crate::Error;
use crate::neutral::AnthropicUsage;
use crate::sse::SseEvent;

/// The names this decoder reads, as [`key!`] finds them.
const READ: Names = super::formats::read_by(Format::Anthropic);

pub(super) fn decode(
    doc: Result<Doc<'_>, Error>,
    event: &SseEvent,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let read = keys!["type", "index", "delta"];
    super::typed_event(doc, event, read, |doc, root, kind, [_, index, delta]| {
        match kind {
            b"message_start" => {
                let message = doc.get_object(root, key!("message"))?;
                sink.event(Upstream::Response {
                    id: doc.str(message, key!("id"))?,
                    model: doc.str(message, key!("model"))?,
                    created: None,
                })?;
                usage(&doc, doc.get_object(message, key!("usage"))?, sink)?;
                sink.event(Upstream::Start)
            }
            b"content_block_start" => {
                let index = doc.unsigned_at(index)?;
                let block = doc.get_object(root, key!("content_block"))?;
                match doc.str(block, key!("type"))? {
                    Some("tool_use") => {
                        let call = CallRef { index, item: None };
                        sink.event(Upstream::Call(CallDelta {
                            call,
                            opens: true,
                            id: doc.str(block, key!("id"))?,
                            name: doc.str(block, key!("name"))?,
                            arguments: None,
                            signature: None,
                        }))?;
                        // The API opens every call with `"input": {}` and
                        // streams it; a block that brings its input whole
                        // (a proxy, a replay) gives the call those arguments.
                        match doc.get_object(block, key!("input"))? {
                            Some(input) if doc.has_members(input)? => {
                                sink.event(Upstream::CallDone {
                                    call,
                                    arguments: doc.raw(input),
                                })
                            }
                            _ => Ok(()),
                        }
                    }
                    Some("text") => text(doc.str(block, key!("text"))?, Upstream::Text, sink),
                    // Each thinking block has its own signature: a block
                    // that follows another is an item of its own.
                    Some("thinking") => {
                        let kind = ItemKind::Reasoning;
                        sink.event(Upstream::Item { kind, id: None })?;
                        text(doc.str(block, key!("thinking"))?, Upstream::Reasoning, sink)
                    }
                    _ => Ok(()),
                }
            }
            b"content_block_delta" => {
                // The commonest event: each object's members looked up in
                // one pass.
                let index = doc.unsigned_at(index)?;
                let [kind, text_at, thinking, partial_json, signature] = doc.pick(
                    doc.object(delta)?,
                    keys!["type", "text", "thinking", "partial_json", "signature"],
                )?;
                let verbatim = Upstream::Verbatim {
                    payload: event.data(),
                    forwardable: Forwardable {
                        announces: false,
                        part: index,
                    },
                };
                match doc.string(kind)? {
                    Some("text_delta") => {
                        sink.event(verbatim)?;
                        text(doc.string(text_at)?, Upstream::Text, sink)
                    }
                    Some("thinking_delta") => {
                        sink.event(verbatim)?;
                        text(doc.string(thinking)?, Upstream::Reasoning, sink)
                    }
                    Some("input_json_delta") => sink.event(Upstream::Call(CallDelta {
                        call: CallRef { index, item: None },
                        opens: false,
                        id: None,
                        name: None,
                        arguments: doc.string(partial_json)?,
                        signature: None,
                    })),
                    Some("signature_delta") => match doc.string(signature)? {
                        Some(signature) => sink.event(Upstream::ReasoningState(signature)),
                        None => Ok(()),
                    },
                    // citations_delta: nothing for the client.
                    _ => Ok(()),
                }
            }
            b"message_delta" => {
                let delta = doc.object(delta)?;
                usage(&doc, doc.get_object(root, key!("usage"))?, sink)?;
                let [reason, sequence] = doc.pick(delta, keys!["stop_reason", "stop_sequence"])?;
                match doc.string(reason)? {
                    Some(reason) => {
                        let sequence = doc.string(sequence)?;
                        let finish = Finish::read(Format::Anthropic, reason, sequence);
                        sink.event(Upstream::Finish(finish))
                    }
                    None => Ok(()),
                }
            }
            b"message_stop" => sink.event(Upstream::End),
            b"error" => {
                let error = doc.get_object(root, key!("error"))?;
                sink.event(Upstream::Error(UpstreamError {
                    message: doc.str(error, key!("message"))?,
                    error_type: doc.str(error, key!("type"))?,
                    code: None,
                    raw: error.map_or("null", |at| doc.raw(at)),
                }))
            }
            // ping, content_block_stop, and event types yet to come.
            _ => Ok(()),
        }
    })
}

/// The counts of a `usage` object, whose `input_tokens` leave out the
/// cache's ([`AnthropicUsage`]).
fn usage(doc: &Doc<'_>, at: Option<At>, sink: &mut impl Sink) -> Result<(), Error> {
    let Some(usage) = at else {
        return Ok(());
    };
    let [input, created, read, output] = doc.pick(
        at,
        keys![
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
        ],
    )?;
    let counts = AnthropicUsage {
        input_tokens: doc.unsigned_at(input)?,
        output_tokens: doc.unsigned_at(output)?,
        cache_read_input_tokens: doc.unsigned_at(read)?,
        cache_creation_input_tokens: doc.unsigned_at(created)?,
    };
    sink.event(Upstream::Usage {
        usage: counts.into(),
        raw: doc.raw(usage),
    })
}
