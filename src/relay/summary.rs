//! What a relay collected from one stream, and its one-line JSON form.

use std::io::Write as _;

use super::render::{Emptied, floor_boundary, write_json_string};
use crate::Error;

/// What a relay collected from the stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The upstream answer text, concatenated (not the calls' target
    /// values, which the client also gets as content), up to the relay's
    /// [`with_max_content`](super::Relay::with_max_content) bytes.
    pub content: String,
    /// Upstream's finish in OpenAI's words (`stop`, `length`, `tool_calls`,
    /// `content_filter`, or a chat provider's own word), as upstream gave
    /// it: a `tool_calls` finish stays `tool_calls` here even when the
    /// client, with calls hidden, was told `stop`.
    pub finish_reason: Option<String>,
    /// Each tool call, in the order they opened.
    pub tool_calls: Vec<ToolCallSummary>,
    /// The raw JSON of the last `usage` object upstream sent.
    pub usage: Option<String>,
    /// The raw JSON of the error upstream reported in the stream, or a
    /// relay-made one for a stream cut off before its end.
    pub upstream_error: Option<String>,
    /// Whether upstream reached its format's end (`[DONE]`, `message_stop`,
    /// `response.completed` / `incomplete`).
    pub saw_done: bool,
    /// Whether answer text went past the relay's
    /// [`with_max_content`](super::Relay::with_max_content) limit, so that
    /// `content` holds only its start (the client still got all of it).
    pub content_truncated: bool,
}

/// One tool call as collected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolCallSummary {
    /// The call's ordinal in the response: 0, 1, ... in the order calls
    /// opened, whatever upstream numbered them.
    pub index: u32,
    /// The call's id (chat `id`, Anthropic `tool_use` id, Responses
    /// `call_id`).
    pub id: String,
    /// The function's name.
    pub name: String,
    /// The full arguments: the concatenated fragments, or a Responses
    /// `arguments.done` event's arguments when no fragment came.
    pub arguments: String,
    /// Why the arguments are not a valid JSON document, or why they stopped
    /// growing ([`ErrorKind::ArgumentsTooLarge`](crate::ErrorKind::ArgumentsTooLarge)).
    /// Empty arguments are taken as no arguments, not as an error.
    pub error: Option<Error>,
}

impl Summary {
    /// Appends answer text to `content`, as much as fits in `max` bytes (cut
    /// on a character boundary), and marks the content truncated when some
    /// did not fit. Once cut, it stops: later text that would fit must not
    /// follow a gap.
    pub(super) fn push_content(&mut self, text: &str, max: usize) {
        if self.content_truncated {
            return;
        }
        if self.content.capacity() == 0 {
            // Rather than growing from a few bytes, a word at a time.
            self.content.reserve(max.min(512));
        }
        let room = max.saturating_sub(self.content.len());
        let kept = floor_boundary(text, room);
        self.content.push_str(kept);
        self.content_truncated |= kept.len() < text.len();
    }

    /// Back to its fresh state ([`Default`]) for the next stream, keeping
    /// its buffers: the content's, the list of calls' (whose summaries the
    /// calls have taken back), and its strings, which go to `spare`. Every
    /// field is named, so that one added must be thought of here.
    pub(super) fn reset(&mut self, spare: &mut Vec<String>) {
        let Summary {
            content,
            finish_reason,
            tool_calls,
            usage,
            upstream_error,
            saw_done: _,
            content_truncated: _,
        } = std::mem::take(self);
        for mut text in [finish_reason, usage, upstream_error].into_iter().flatten() {
            text.clear();
            spare.push(text);
        }
        debug_assert!(
            tool_calls.is_empty(),
            "the calls take their summaries back first"
        );
        *self = Summary {
            content: content.emptied(),
            tool_calls,
            ..Summary::default()
        };
    }

    /// The bytes its strings and its list of calls hold.
    pub(super) fn retained_bytes(&self) -> usize {
        let texts = [&self.finish_reason, &self.usage, &self.upstream_error];
        let calls: usize = self
            .tool_calls
            .iter()
            .map(ToolCallSummary::retained_bytes)
            .sum();
        self.content.capacity()
            + texts
                .iter()
                .filter_map(|text| text.as_ref())
                .map(String::capacity)
                .sum::<usize>()
            + calls
            + self.tool_calls.capacity() * size_of::<ToolCallSummary>()
    }

    /// The summary as one line of JSON:
    /// `{"content":…,"finish_reason":…,"tool_calls":[{"index":…,"id":…,"name":…,"arguments":…,"error":…}],"usage":…,"error":…,"content_truncated":…}`,
    /// with `usage` and `error` as upstream sent them, and a call's `error`
    /// as a message naming the byte offset in its arguments.
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
        out.extend_from_slice(br#","error":"#);
        out.extend_from_slice(self.upstream_error.as_deref().unwrap_or("null").as_bytes());
        let _ = write!(out, r#","content_truncated":{}}}"#, self.content_truncated);
        // Only valid UTF-8 went in: strings from `&str`, raw JSON from
        // validated payloads.
        String::from_utf8(out).unwrap_or_default()
    }
}

impl ToolCallSummary {
    /// The bytes its strings hold.
    pub(super) fn retained_bytes(&self) -> usize {
        self.id.capacity() + self.name.capacity() + self.arguments.capacity()
    }
}

fn write_optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => write_json_string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}
