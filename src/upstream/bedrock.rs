//! Amazon Bedrock `ConverseStream`: binary event-stream frames
//! ([`crate::eventstream`]), each named by its `:event-type` header, with a
//! JSON payload: `messageStart`; content blocks opened by
//! `contentBlockStart` (`start.toolUse {toolUseId, name}` for a tool call),
//! filled by `contentBlockDelta` (`delta.text`, `delta.toolUse.input`, a
//! piece of the call's arguments as JSON text, `delta.reasoningContent.text`)
//! and closed by `contentBlockStop`; `messageStop` with the `stopReason`;
//! then `metadata` with the usage, the response's last event.
//!
//! Since the usage comes after `messageStop`, the response ends at
//! `metadata`; a body that ends after `messageStop` without it is complete
//! too (the relay sees a finish), one that ends before is cut off.
//!
//! Stop reasons are read by [`Finish::read`], usage by
//! [`BedrockUsage`](crate::neutral::BedrockUsage): `inputTokens` leave out
//! the cache's.
//!
//! A frame of `:message-type` `exception` (`throttlingException`,
//! `modelStreamErrorException`, `validationException`, ...) or `error` is an
//! upstream error, of the exception's type, with the payload's `message`.
//! Every payload's padding member `p` and unknown events are ignored.

use super::reader::{At, Doc, Names};
use super::{CallDelta, CallRef, Finish, Format, Sink, Upstream, UpstreamError, text};
use super::{key, keys};
use crate::Error;
use crate::sse::SseEvent;
use crate::neutral::BedrockUsage;

/// The names this decoder reads, as [`key!`] finds them.
const READ: Names = super::formats::read_by(Format::Bedrock);

/// One Bedrock event: a frame's headers and payload, or an SSE event's name
/// and data for a stream that a proxy turned into SSE.
pub(super) struct Event<'a> {
    pub(super) event_type: &'a [u8],
    pub(super) message_type: Option<&'a [u8]>,
    pub(super) exception_type: Option<&'a [u8]>,
    pub(super) payload: &'a [u8],
}

/// Decodes a Bedrock event carried as SSE (by a proxy): named by the
/// event, with no exceptions but in-stream `error` events.
pub(super) fn decode(
    doc: Result<Doc<'_>, Error>,
    event: &SseEvent,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let event = Event {
        event_type: event.event_type(),
        message_type: None,
        exception_type: None,
        payload: event.data(),
    };
    decode_event(doc, &event, sink)
}

/// Decodes one Bedrock event, from a frame or an SSE event.
pub(super) fn decode_event(
    doc: Result<Doc<'_>, Error>,
    frame: &Event<'_>,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let payload = frame.payload;
    if let Some(b"exception" | b"error") = frame.message_type {
        return exception(doc, frame, sink);
    }
    let Some(doc) = super::unless_empty(doc, payload)? else {
        return Ok(());
    };
    let root = Some(doc.root()?);
    let block = || -> Result<CallRef<'_>, Error> {
        Ok(CallRef {
            index: doc.unsigned(root, key!("contentBlockIndex"))?,
            item: None,
        })
    };
    match frame.event_type {
        b"contentBlockStart" => {
            let start = doc.get_object(root, key!("start"))?;
            match doc.get_object(start, key!("toolUse"))? {
                Some(tool) => sink.event(Upstream::Call(CallDelta {
                    call: block()?,
                    opens: true,
                    id: doc.str(Some(tool), key!("toolUseId"))?,
                    name: doc.str(Some(tool), key!("name"))?,
                    arguments: None,
                    signature: None,
                })),
                None => Ok(()),
            }
        }
        b"contentBlockDelta" => {
            let delta = doc.get_object(root, key!("delta"))?;
            let [text_at, tool, reasoning] =
                doc.pick(delta, keys!["text", "toolUse", "reasoningContent"])?;
            text(doc.string(text_at)?, Upstream::Text, sink)?;
            text(
                doc.str(doc.object(reasoning)?, key!("text"))?,
                Upstream::Reasoning,
                sink,
            )?;
            match doc.str(doc.object(tool)?, key!("input"))? {
                Some(input) => sink.event(Upstream::Call(CallDelta {
                    call: block()?,
                    opens: false,
                    id: None,
                    name: None,
                    arguments: Some(input),
                    signature: None,
                })),
                None => Ok(()),
            }
        }
        b"messageStop" => match doc.str(root, key!("stopReason"))? {
            Some(reason) => sink.event(Upstream::Finish(Finish::read(
                Format::Bedrock,
                reason,
                None,
            ))),
            None => Ok(()),
        },
        b"messageStart" => sink.event(Upstream::Start),
        b"metadata" => {
            usage(&doc, doc.get_object(root, key!("usage"))?, sink)?;
            sink.event(Upstream::End)
        }
        // contentBlockStop, and events yet to come.
        _ => Ok(()),
    }
}

/// An exception frame: its type from the header, its message from the
/// payload, which is the error's raw JSON when it is an object.
fn exception(
    doc: Result<Doc<'_>, Error>,
    frame: &Event<'_>,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let error_type = frame
        .exception_type
        .and_then(|kind| std::str::from_utf8(kind).ok());
    let Some((doc, root)) = doc.and_then(|doc| Ok((doc, doc.root()?))).ok() else {
        // Not a JSON object: the error still ends the response.
        return sink.event(Upstream::Error(UpstreamError {
            message: None,
            error_type,
            code: None,
            raw: "{}",
        }));
    };
    sink.event(Upstream::Error(UpstreamError {
        message: doc.str(Some(root), key!("message"))?,
        error_type,
        code: None,
        raw: doc.raw(root),
    }))
}

fn usage(doc: &Doc<'_>, at: Option<At>, sink: &mut impl Sink) -> Result<(), Error> {
    let Some(usage) = at else {
        return Ok(());
    };
    let [input, output, total, read, write] = doc.pick(
        at,
        keys![
            "inputTokens",
            "outputTokens",
            "totalTokens",
            "cacheReadInputTokens",
            "cacheWriteInputTokens",
        ],
    )?;
    let counts = BedrockUsage {
        input_tokens: doc.unsigned_at(input)?,
        output_tokens: doc.unsigned_at(output)?,
        total_tokens: doc.unsigned_at(total)?,
        cache_read_input_tokens: doc.unsigned_at(read)?,
        cache_write_input_tokens: doc.unsigned_at(write)?,
    };
    sink.event(Upstream::Usage {
        usage: counts.into(),
        raw: doc.raw(usage),
    })
}
