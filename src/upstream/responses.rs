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

use super::reader::{At, Doc};
use super::{CallDelta, CallRef, Finish, Format, ItemKind, Sink, Upstream, UpstreamError, text};
use crate::Error;
use crate::neutral::ResponsesUsage;
use crate::sse::SseEvent;

pub(super) fn decode(
    doc: Result<Doc<'_>, Error>,
    event: &SseEvent,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    super::typed_event(doc, event, |doc, root, kind| {
        let Some(name) = kind.strip_prefix(b"response.") else {
            return match kind {
                b"error" => sink.event(Upstream::Error(UpstreamError {
                    message: doc.str(root, "message")?,
                    error_type: doc.str(root, "type")?,
                    code: doc.code(root, "code")?,
                    raw: root.map_or("null", |at| doc.raw(at)),
                })),
                _ => Ok(()),
            };
        };
        let call = || -> Result<CallRef<'_>, Error> {
            Ok(CallRef {
                index: doc.unsigned(root, "output_index")?,
                item: doc.str(root, "item_id")?,
            })
        };
        match name {
            b"created" | b"in_progress" => {
                let response = doc.get_object(root, "response")?;
                sink.event(Upstream::Response {
                    id: doc.str(response, "id")?,
                    model: doc.str(response, "model")?,
                    created: doc.unsigned(response, "created_at")?,
                })?;
                sink.event(Upstream::Start)
            }
            b"output_item.added" => {
                let item = doc.get_object(root, "item")?;
                let kind = match doc.str(item, "type")? {
                    Some("function_call") => None,
                    Some("message") => Some(ItemKind::Message),
                    Some("reasoning") => Some(ItemKind::Reasoning),
                    _ => return Ok(()),
                };
                if let Some(kind) = kind {
                    let id = doc.str(item, "id")?;
                    return sink.event(Upstream::Item { kind, id });
                }
                sink.event(Upstream::Call(CallDelta {
                    call: CallRef {
                        index: doc.unsigned(root, "output_index")?,
                        item: doc.str(item, "id")?,
                    },
                    opens: true,
                    id: doc.str(item, "call_id")?,
                    name: doc.str(item, "name")?,
                    arguments: None,
                    signature: None,
                }))
            }
            // A call's finished item carries its whole arguments too: they
            // are the call's when neither a delta nor `arguments.done` came.
            b"output_item.done" => {
                let item = doc.get_object(root, "item")?;
                match doc.str(item, "type")? {
                    Some("function_call") => {}
                    Some("reasoning") => {
                        let state = doc.str(item, "encrypted_content")?;
                        return text(state, Upstream::ReasoningState, sink);
                    }
                    _ => return Ok(()),
                }
                match doc.str(item, "arguments")?.filter(|a| !a.is_empty()) {
                    Some(arguments) => sink.event(Upstream::CallDone {
                        call: CallRef {
                            index: doc.unsigned(root, "output_index")?,
                            item: doc.str(item, "id")?,
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
                arguments: doc.str(root, "delta")?,
                signature: None,
            })),
            b"function_call_arguments.done" => match doc.str(root, "arguments")? {
                Some(arguments) => sink.event(Upstream::CallDone {
                    call: call()?,
                    arguments,
                }),
                None => Ok(()),
            },
            b"output_text.delta" => text(doc.str(root, "delta")?, Upstream::Text, sink),
            b"refusal.delta" => text(doc.str(root, "delta")?, Upstream::Refusal, sink),
            b"reasoning_summary_text.delta" | b"reasoning_text.delta" => {
                text(doc.str(root, "delta")?, Upstream::Reasoning, sink)
            }
            b"completed" | b"incomplete" | b"failed" => {
                let response = doc.get_object(root, "response")?;
                usage(&doc, doc.get_object(response, "usage")?, sink)?;
                match name {
                    b"completed" | b"incomplete" => {
                        let details = doc.get_object(response, "incomplete_details")?;
                        let reason = doc.str(details, "reason")?;
                        let status = if name == b"completed" {
                            "completed"
                        } else {
                            "incomplete"
                        };
                        let finish = Finish::read(Format::OpenAiResponses, status, reason);
                        sink.event(Upstream::Finish(finish))?;
                    }
                    _ => {
                        let error = doc.get_object(response, "error")?;
                        return sink.event(Upstream::Error(UpstreamError {
                            message: doc.str(error, "message")?,
                            error_type: doc.str(error, "type")?,
                            code: doc.code(error, "code")?,
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
    let details = doc.get_object(at, "input_tokens_details")?;
    let output_details = doc.get_object(at, "output_tokens_details")?;
    let counts = ResponsesUsage {
        input_tokens: doc.unsigned(at, "input_tokens")?,
        output_tokens: doc.unsigned(at, "output_tokens")?,
        total_tokens: doc.unsigned(at, "total_tokens")?,
        cached_tokens: doc.unsigned(details, "cached_tokens")?,
        reasoning_tokens: doc.unsigned(output_details, "reasoning_tokens")?,
    };
    sink.event(Upstream::Usage {
        usage: counts.into(),
        raw: doc.raw(usage),
    })
}
