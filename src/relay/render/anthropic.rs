//! Anthropic Messages out: `message_start`, content blocks opened with
//! `content_block_start`, filled with `content_block_delta` and closed with
//! `content_block_stop`, then `message_delta` (the stop reason and usage)
//! and `message_stop`; an error as `event: error`.
//!
//! Blocks are numbered 0, 1, 2 ... in the order they start, whatever
//! upstream numbered its own. Answer text and the target values go into a
//! `text` block, reasoning into a `thinking` block (with its
//! `signature_delta` when upstream gave the reasoning a state: Anthropic's
//! own signature, a Responses reasoning item's `encrypted_content`; a state
//! without text is a thinking block of its own), a forwarded call into a
//! `tool_use` block whose start has `"input":{}` and whose
//! `input_json_delta` fragments are the call's arguments. A text or
//! thinking block stays open until another block starts; a `tool_use` block
//! until the message ends, so that its fragments always have an open block
//! to go to, and the text of its values, in the text block that opens after
//! it, interleaves with them by index (the SDKs accumulate deltas by index).
//!
//! Anthropic to Anthropic, a text or thinking delta whose block has the same
//! index here as upstream goes out as it came.
//!
//! A call's arguments that start as anything but an object (`null`, which
//! some chat providers send for a call without parameters) are held back:
//! the block's `"input":{}` stands, as a tool's input must be an object.
//! Whitespace before the arguments' first byte is held back too.
//!
//! The end: `message_delta` with the stop reason and `stop_sequence` in
//! Anthropic's words ([`Finish::words`](crate::Finish::words)) and the
//! usage ([`Usage::anthropic`]: `input_tokens` without the cache's,
//! `output_tokens`, and the cache's reads and writes when known), then
//! `message_stop`. A refusal is text, as Anthropic has no refusal block. An
//! error is `event: error` with `{"type":"error","error":{"type":…,"message":…}}`.

use super::{
    Base, CallStart, Emptied, End, Failure, Render, Verbatim, write_json_string, write_number,
};
use crate::neutral::Usage;
use crate::upstream::{Format, Forwardable, ItemKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prose {
    Text,
    Thinking,
}

/// How a call's arguments started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// With nothing but whitespace so far: held back.
    Blank,
    /// With `{`: forwarded.
    Object,
    /// With anything else (`null`): held back, the input left `{}`.
    NotObject,
}

/// The Anthropic renderer.
#[derive(Debug)]
pub(in crate::relay) struct Anthropic {
    pub(super) base: Base,
    started: bool,
    /// The next block's index.
    next: u32,
    /// The open text or thinking block, and its index.
    prose: Option<(Prose, u32)>,
    /// Text for the open prose block not written yet: the deltas of one
    /// upstream event go out as one.
    pending: Vec<u8>,
    /// The block of each forwarded call, by the call's ordinal.
    calls: Vec<u32>,
    /// How each forwarded call's arguments started, by its ordinal.
    starts: Vec<Start>,
    /// Blocks to close, sorted.
    open: Vec<u32>,
    usage: Usage,
}

impl Anthropic {
    pub(super) fn new() -> Anthropic {
        Anthropic::fresh(Base::new())
    }

    /// The renderer at a stream's start, around `base`.
    fn fresh(base: Base) -> Anthropic {
        Anthropic {
            base,
            started: false,
            next: 0,
            prose: None,
            pending: Vec::new(),
            calls: Vec::new(),
            starts: Vec::new(),
            open: Vec::new(),
            usage: Usage::default(),
        }
    }

    /// Appends text to the open prose block of `kind`, opening it first.
    fn prose(&mut self, kind: Prose, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        self.open_prose(kind);
        self.pending.extend_from_slice(text);
    }

    /// Makes the open prose block one of `kind`, ending another first.
    fn open_prose(&mut self, kind: Prose) {
        if self.prose.is_some_and(|(open, _)| open == kind) {
            return;
        }
        self.write_pending();
        self.close_prose();
        let index = self.start_block();
        self.base.frame.extend_from_slice(match kind {
            Prose::Text => br#"{"type":"text","text":""}}"#,
            Prose::Thinking => br#"{"type":"thinking","thinking":"","signature":""}}"#,
        });
        self.base.push_named(b"content_block_start");
        self.prose = Some((kind, index));
    }

    fn write_pending(&mut self) {
        let Some((kind, index)) = self.prose.filter(|_| !self.pending.is_empty()) else {
            return;
        };
        let frame = delta_head(&mut self.base.frame, index);
        frame.extend_from_slice(match kind {
            Prose::Text => br#"{"type":"text_delta","text":""#,
            Prose::Thinking => br#"{"type":"thinking_delta","thinking":""#,
        });
        frame.extend_from_slice(&self.pending);
        frame.extend_from_slice(br#""}}"#);
        self.base.push_named(b"content_block_delta");
        self.pending.clear();
    }

    fn close_prose(&mut self) {
        if let Some((_, index)) = self.prose.take() {
            self.stop_block(index);
        }
    }

    /// Appends the usage object to the frame.
    fn write_usage(&mut self) {
        let frame = &mut self.base.frame;
        let usage = self.usage.anthropic();
        let input = usage.input_tokens.unwrap_or(0);
        write_number(frame, br#"{"input_tokens":"#, input, b"");
        let output = usage.output_tokens.unwrap_or(0);
        write_number(frame, br#","output_tokens":"#, output, b"");
        if let Some(read) = usage.cache_read_input_tokens {
            write_number(frame, br#","cache_read_input_tokens":"#, read, b"");
        }
        if let Some(created) = usage.cache_creation_input_tokens {
            write_number(frame, br#","cache_creation_input_tokens":"#, created, b"");
        }
        frame.push(b'}');
    }

    /// Starts the frame of a `content_block_start` for the next block, up to
    /// its `content_block` value, and returns the block's index.
    fn start_block(&mut self) -> u32 {
        self.start();
        let index = self.next;
        self.next += 1;
        let frame = &mut self.base.frame;
        frame.clear();
        write_number(
            frame,
            br#"{"type":"content_block_start","index":"#,
            index.into(),
            br#","content_block":"#,
        );
        index
    }

    fn stop_block(&mut self, index: u32) {
        let frame = &mut self.base.frame;
        frame.clear();
        write_number(
            frame,
            br#"{"type":"content_block_stop","index":"#,
            index.into(),
            b"}",
        );
        self.base.push_named(b"content_block_stop");
    }
}

impl Render for Anthropic {
    fn base(&self) -> &Base {
        &self.base
    }

    fn base_mut(&mut self) -> &mut Base {
        &mut self.base
    }

    /// A text or thinking delta may go out as it came (when its block is
    /// numbered here as upstream numbers it: see `flush`).
    fn may_forward(&self, _forwardable: Forwardable) -> bool {
        true
    }

    fn reset(&mut self) {
        let old = std::mem::replace(self, Anthropic::fresh(Base::empty()));
        self.base = old.base;
        self.pending = old.pending.emptied();
        self.calls = old.calls.emptied();
        self.starts = old.starts.emptied();
        self.open = old.open.emptied();
    }

    fn retained(&self) -> usize {
        self.pending.capacity()
            + 4 * (self.calls.capacity() + self.open.capacity())
            + self.starts.capacity()
    }

    fn text(&mut self, _choice: u32, text: &[u8]) {
        self.prose(Prose::Text, text);
    }

    fn reasoning(&mut self, _choice: u32, text: &[u8]) {
        self.prose(Prose::Thinking, text);
    }

    /// Anthropic has no refusal block: a refusal is text (and its stop
    /// reason says `refusal`).
    fn refusal(&mut self, choice: u32, text: &[u8]) {
        self.text(choice, text);
    }

    /// The reasoning's state as its thinking block's `signature_delta`: a
    /// state that comes without thinking text (a Responses reasoning item
    /// with no summary) opens a thinking block of its own.
    fn reasoning_state(&mut self, signature: &str) {
        if signature.is_empty() {
            return;
        }
        self.write_pending();
        self.open_prose(Prose::Thinking);
        let Some((Prose::Thinking, index)) = self.prose else {
            return;
        };
        let frame = delta_head(&mut self.base.frame, index);
        frame.extend_from_slice(br#"{"type":"signature_delta","signature":"#);
        write_json_string(frame, signature);
        frame.extend_from_slice(b"}}");
        self.base.push_named(b"content_block_delta");
    }

    /// Upstream opens an item: the open text or thinking block ends, so
    /// that what comes next (another reasoning item's signature) is a block
    /// of its own.
    fn item(&mut self, _kind: ItemKind, _id: Option<&str>) {
        self.write_pending();
        self.close_prose();
    }

    fn call_start(&mut self, _choice: u32, call: &CallStart<'_>) {
        if call.ordinal as usize != self.calls.len() {
            return;
        }
        self.write_pending();
        // What the model wrote before it called is over; text after the
        // call (its values, or more answer) opens a block after it, as
        // upstream numbers them.
        self.close_prose();
        let index = self.start_block();
        let frame = &mut self.base.frame;
        frame.extend_from_slice(br#"{"type":"tool_use","id":"#);
        write_json_string(frame, call.id);
        frame.extend_from_slice(br#","name":"#);
        write_json_string(frame, call.name);
        frame.extend_from_slice(br#","input":{}}}"#);
        self.base.push_named(b"content_block_start");
        self.calls.push(index);
        self.starts.push(Start::Blank);
    }

    fn call_arguments(&mut self, _choice: u32, ordinal: u32, fragment: &str) {
        let at = ordinal as usize;
        let (Some(&index), Some(start)) = (self.calls.get(at), self.starts.get_mut(at)) else {
            return;
        };
        let fragment = match *start {
            Start::Object => fragment,
            Start::NotObject => return,
            Start::Blank => {
                let fragment = fragment.trim_ascii_start();
                match fragment.as_bytes().first() {
                    None => return,
                    Some(b'{') => *start = Start::Object,
                    Some(_) => {
                        *start = Start::NotObject;
                        return;
                    }
                }
                fragment
            }
        };
        self.write_pending();
        let frame = delta_head(&mut self.base.frame, index);
        frame.extend_from_slice(br#"{"type":"input_json_delta","partial_json":"#);
        write_json_string(frame, fragment);
        frame.extend_from_slice(b"}}");
        self.base.push_named(b"content_block_delta");
    }

    fn usage(&mut self, usage: &Usage) {
        self.usage = *usage;
    }

    /// Writes the pending delta, or, for an Anthropic delta whose block is
    /// the open block of the same index here, the upstream event itself.
    fn flush(&mut self, verbatim: Option<Verbatim<'_>>) {
        if !self.started && self.base.named() {
            self.start();
        }
        if let Some(Verbatim {
            payload,
            by_reference,
            forwardable: Forwardable {
                part: Some(block), ..
            },
        }) = verbatim
            && self.started
            && !self.pending.is_empty()
            && self
                .prose
                .is_some_and(|(_, index)| u64::from(index) == block)
        {
            self.pending.clear();
            let event = Some(&b"content_block_delta"[..]);
            if by_reference {
                self.base.encoder.push_shared_frame(event, payload);
            } else {
                self.base.encoder.push_frame(&crate::sse::SseFrame {
                    event,
                    data: payload,
                    ..crate::sse::SseFrame::default()
                });
            }
            return;
        }
        self.write_pending();
    }

    fn end(&mut self, end: &End<'_>) {
        self.close();
        let words = end.finish.words(Format::Anthropic, end.made_calls);
        let frame = &mut self.base.frame;
        frame.clear();
        frame.extend_from_slice(br#"{"type":"message_delta","delta":{"stop_reason":"#);
        write_json_string(frame, words.reason);
        frame.extend_from_slice(br#","stop_sequence":"#);
        match words.detail {
            Some(sequence) => write_json_string(frame, sequence),
            None => frame.extend_from_slice(b"null"),
        }
        frame.extend_from_slice(br#"},"usage":"#);
        self.write_usage();
        self.base.frame.push(b'}');
        self.base.push_named(b"message_delta");
        self.base.frame.clear();
        self.base
            .frame
            .extend_from_slice(br#"{"type":"message_stop"}"#);
        self.base.push_named(b"message_stop");
    }

    /// Closes every open block, in index order.
    fn close(&mut self) {
        self.start();
        self.write_pending();
        self.open.clear();
        self.open.extend(self.prose.take().map(|(_, index)| index));
        self.open.append(&mut self.calls);
        self.open.sort_unstable();
        for at in 0..self.open.len() {
            self.stop_block(self.open[at]);
        }
        self.open.clear();
    }

    /// `event: error` with `{"type":"error","error":{"type":…,"message":…}}`.
    fn error(&mut self, failure: &Failure<'_>) {
        let frame = &mut self.base.frame;
        frame.clear();
        frame.extend_from_slice(br#"{"type":"error","error":{"type":"#);
        write_json_string(frame, failure.error_type);
        frame.extend_from_slice(br#","message":"#);
        write_json_string(frame, failure.message);
        frame.extend_from_slice(b"}}");
        self.base.push_named(b"error");
    }

    /// `message_start`, once.
    fn start(&mut self) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        let base = &mut self.base;
        let frame = &mut base.frame;
        frame.clear();
        frame.extend_from_slice(br#"{"type":"message_start","message":{"id":"#);
        write_json_string(frame, super::or_no_id(&base.id));
        frame.extend_from_slice(br#","type":"message","role":"assistant","model":"#);
        write_json_string(frame, &base.model);
        frame.extend_from_slice(
            br#","content":[],"stop_reason":null,"stop_sequence":null,"usage":"#,
        );
        self.write_usage();
        self.base.frame.extend_from_slice(b"}}");
        self.base.push_named(b"message_start");
    }
}

/// Starts the frame of a `content_block_delta` up to its `delta` value.
fn delta_head(frame: &mut Vec<u8>, index: u32) -> &mut Vec<u8> {
    frame.clear();
    write_number(
        frame,
        br#"{"type":"content_block_delta","index":"#,
        index.into(),
        br#","delta":"#,
    );
    frame
}
