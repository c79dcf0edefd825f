//! The OpenAI Responses API: `response.created`, output items opened by
//! `response.output_item.added` (a `function_call` item is a tool call, with
//! `call_id` and `name`), filled by `response.function_call_arguments.delta`,
//! `response.output_text.delta`, `response.refusal.delta` and the reasoning
//! deltas, and an end: `response.completed`, `response.incomplete` or
//! `response.failed`, with usage inside `response`. No `[DONE]`.
//!
//! A call's arguments are its deltas, or, when none came, those of
//! `response.function_call_arguments.done`, or of its
//! `response.output_item.done`.
//!
//! A `message` or `reasoning` item's `output_item.added` opens an item
//! with upstream's id ([`Upstream::Item`]); a reasoning item's
//! `encrypted_content` (there when the request asked for it with `include`)
//! is read from its `output_item.done`, which holds the item whole, as the
//! reasoning's state ([`Upstream::ReasoningState`]).
//!
//! Reasoning items usually come first, so a call's `output_index` is rarely
//! 0. Unknown event types and members (`obfuscation`, `sequence_number`, ...)
//! are ignored.
//!
//! The end: `response.completed` and `response.incomplete` (with its
//! `incomplete_details.reason`) are read by [`Finish::read`], the usage
//! inside `response` by [`ResponsesUsage`]; `response.failed` is an
//! upstream error with the response's `error`.

use super::reader::{At, Doc, Names};
use super::{CallDelta, CallRef, Finish, Format, ItemKind, Sink, Upstream, UpstreamError, text};
use super::{key, keys};
use crate::Error;
use crate::neutral::ResponsesUsage;
use crate::sse::SseEvent;

/// The names this decoder reads, as [`key!`] finds them.
const READ: Names = super::formats::read_by(Format::OpenAiResponses);

pub(super) fn decode(
    doc: Result<Doc<'_>, Error>,
    event: &SseEvent,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let read = keys!["type", "delta"];
    super::typed_event(doc, event, read, |doc, root, kind, [_, delta]| {
        let Some(name) = kind.strip_prefix(b"response.") else {
            return match kind {
                b"error" => sink.event(Upstream::Error(UpstreamError {
                    message: doc.str(root, key!("message"))?,
                    error_type: doc.str(root, key!("type"))?,
                    code: doc.code(root, key!("code"))?,
                    raw: root.map_or("null", |at| doc.raw(at)),
                })),
                _ => Ok(()),
            };
        };
        let call = || -> Result<CallRef<'_>, Error> {
            Ok(CallRef {
                index: doc.unsigned(root, key!("output_index"))?,
                item: doc.str(root, key!("item_id"))?,
            })
        };
        match name {
            b"created" | b"in_progress" => {
                let response = doc.get_object(root, key!("response"))?;
                sink.event(Upstream::Response {
                    id: doc.str(response, key!("id"))?,
                    model: doc.str(response, key!("model"))?,
                    created: doc.unsigned(response, key!("created_at"))?,
                })?;
                sink.event(Upstream::Start)
            }
            b"output_item.added" => {
                let item = doc.get_object(root, key!("item"))?;
                let kind = match doc.str(item, key!("type"))? {
                    Some("function_call") => None,
                    Some("message") => Some(ItemKind::Message),
                    Some("reasoning") => Some(ItemKind::Reasoning),
                    _ => return Ok(()),
                };
                if let Some(kind) = kind {
                    let id = doc.str(item, key!("id"))?;
                    return sink.event(Upstream::Item { kind, id });
                }
                sink.event(Upstream::Call(CallDelta {
                    call: CallRef {
                        index: doc.unsigned(root, key!("output_index"))?,
                        item: doc.str(item, key!("id"))?,
                    },
                    opens: true,
                    id: doc.str(item, key!("call_id"))?,
                    name: doc.str(item, key!("name"))?,
                    arguments: None,
                    signature: None,
                }))
            }
            // A call's finished item carries its whole arguments too: they
            // are the call's when neither a delta nor `arguments.done` came.
            b"output_item.done" => {
                let item = doc.get_object(root, key!("item"))?;
                match doc.str(item, key!("type"))? {
                    Some("function_call") => {}
                    Some("reasoning") => {
                        let state = doc.str(item, key!("encrypted_content"))?;
                        return text(state, Upstream::ReasoningState, sink);
                    }
                    _ => return Ok(()),
                }
                match doc.str(item, key!("arguments"))?.filter(|a| !a.is_empty()) {
                    Some(arguments) => sink.event(Upstream::CallDone {
                        call: CallRef {
                            index: doc.unsigned(root, key!("output_index"))?,
                            item: doc.str(item, key!("id"))?,
                        },
                        arguments,
                    }),
                    None => Ok(()),
                }
            }
            b"function_call_arguments.delta" => sink.event(Upstream::Call(CallDelta {
                call: call()?,
                opens: false,
                id: None,
                name: None,
                arguments: doc.string(delta)?,
                signature: None,
            })),
            b"function_call_arguments.done" => match doc.str(root, key!("arguments"))? {
                Some(arguments) => sink.event(Upstream::CallDone {
                    call: call()?,
                    arguments,
                }),
                None => Ok(()),
            },
            b"output_text.delta" => text(doc.string(delta)?, Upstream::Text, sink),
            b"refusal.delta" => text(doc.string(delta)?, Upstream::Refusal, sink),
            b"reasoning_summary_text.delta" | b"reasoning_text.delta" => {
                text(doc.string(delta)?, Upstream::Reasoning, sink)
            }
            b"completed" | b"incomplete" | b"failed" => {
                let response = doc.get_object(root, key!("response"))?;
                usage(&doc, doc.get_object(response, key!("usage"))?, sink)?;
                match name {
                    b"completed" | b"incomplete" => {
                        let details = doc.get_object(response, key!("incomplete_details"))?;
                        let reason = doc.str(details, key!("reason"))?;
                        let status = if name == b"completed" {
                            "completed"
                        } else {
                            "incomplete"
                        };
                        let finish = Finish::read(Format::OpenAiResponses, status, reason);
                        sink.event(Upstream::Finish(finish))?;
                    }
                    _ => {
                        let error = doc.get_object(response, key!("error"))?;
                        return sink.event(Upstream::Error(UpstreamError {
                            message: doc.str(error, key!("message"))?,
                            error_type: doc.str(error, key!("type"))?,
                            code: doc.code(error, key!("code"))?,
                            raw: error.map_or("null", |at| doc.raw(at)),
                        }));
                    }
                }
                sink.event(Upstream::End)
            }
            _ => Ok(()),
        }
    })
}

fn usage(doc: &Doc<'_>, at: Option<At>, sink: &mut impl Sink) -> Result<(), Error> {
    let Some(usage) = at else {
        return Ok(());
    };
    let details = doc.get_object(at, key!("input_tokens_details"))?;
    let output_details = doc.get_object(at, key!("output_tokens_details"))?;
    let counts = ResponsesUsage {
        input_tokens: doc.unsigned(at, key!("input_tokens"))?,
        output_tokens: doc.unsigned(at, key!("output_tokens"))?,
        total_tokens: doc.unsigned(at, key!("total_tokens"))?,
        cached_tokens: doc.unsigned(details, key!("cached_tokens"))?,
        reasoning_tokens: doc.unsigned(output_details, key!("reasoning_tokens"))?,
    };
    sink.event(Upstream::Usage {
        usage: counts.into(),
        raw: doc.raw(usage),
    })
}
