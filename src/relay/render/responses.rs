//! OpenAI Responses out: `response.created` and `response.in_progress`,
//! output items each opened with `response.output_item.added` and closed
//! with `response.output_item.done`, their deltas between, and
//! `response.completed` (or `response.incomplete`) whose `response.output`
//! holds every item that was streamed, whole; an error as
//! `response.failed`.
//!
//! Items get `output_index` 0, 1, 2 ... in the order they open, and every
//! event a `sequence_number` counting the events written from 0. Answer text
//! and the target values go into a `message` item (an `output_text` part; a
//! refusal is a `refusal` part of it), reasoning into a `reasoning` item's
//! summary text, a forwarded call into a `function_call` item whose
//! `response.function_call_arguments.delta` events are its fragments. A
//! message or reasoning item stays open until another item opens, a call's
//! item until the response ends, as Anthropic's blocks do; an item that
//! upstream opens ([`Upstream::Item`](crate::upstream::Upstream::Item))
//! opens one here. Item ids are upstream's where it gave them (a client
//! may send them back: with `store: false`, a reasoning item's id must be
//! the one the API gave), else `msg_`, `rs_` or `fc_`, the response id, `_`
//! and the output index.
//!
//! The reasoning's state (an Anthropic thinking signature, a Responses
//! `encrypted_content`) is the reasoning item's `encrypted_content` in its
//! `response.output_item.done` and in the final response: Codex, which
//! sends `store: false`, gives it back on its next turn.
//!
//! The SDKs take the final response from `response.completed`, not from the
//! deltas, so the renderer keeps each item's text to write it there: the one
//! output format whose memory grows with the answer. It keeps at most
//! [`with_max_kept`](crate::Relay::with_max_kept) bytes of it (escaped
//! text, arguments and reasoning state, all items together, and for each
//! item that upstream opens its id and 64 bytes); past that the delta that
//! did not fit is not written, and the relay ends the client's stream with
//! `response.failed`.
//!
//! The end: `response.completed`, or `response.incomplete` with its
//! reason, as [`Finish::words`](crate::neutral::Finish::words) gives them,
//! with the usage of [`Usage::responses`].

use super::{
    Base, CallStart, Emptied, End, Failure, Render, Verbatim, write_escaped, write_json_string,
    write_number,
};
use crate::neutral::Usage;
use crate::upstream::Code;
use crate::upstream::{Format, ItemKind};

/// What an item that upstream opens counts against what may be kept,
/// besides its id: about what its empty JSON takes.
const ITEM: usize = 64;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Message,
    Reasoning,
    Call,
}

/// Which text of an item a delta goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Text,
    Refusal,
    Summary,
}

#[derive(Debug, Default)]
struct Item {
    kind: Kind,
    open: bool,
    /// The message's output text, the reasoning's summary text, or the
    /// call's arguments: escaped JSON string text.
    text: Vec<u8>,
    /// The message's refusal text, escaped.
    refusal: Vec<u8>,
    /// The content index of the message's text part and refusal part.
    text_part: Option<u32>,
    refusal_part: Option<u32>,
    call_id: String,
    name: String,
    /// Upstream's id for the item, or empty for the renderer's own.
    id: String,
    /// The reasoning's state, escaped: its `encrypted_content`.
    state: Vec<u8>,
}

impl Item {
    fn clear(&mut self, kind: Kind) {
        self.kind = kind;
        self.open = true;
        self.text.clear();
        self.refusal.clear();
        self.text_part = None;
        self.refusal_part = None;
        self.call_id.clear();
        self.name.clear();
        self.id.clear();
        self.state.clear();
    }

    /// Takes upstream's id for the item, unless it is longer than any
    /// response name may be: then the renderer's own stands.
    fn set_id(&mut self, id: Option<&str>) {
        if let Some(id) = id.filter(|id| !id.is_empty() && id.len() <= super::MAX_NAME) {
            self.id.push_str(id);
        }
    }

    fn part(&self, part: Part) -> &[u8] {
        match part {
            Part::Refusal => &self.refusal,
            _ => &self.text,
        }
    }

    fn parts(&self) -> u32 {
        u32::from(self.text_part.is_some()) + u32::from(self.refusal_part.is_some())
    }
}

/// The Responses renderer.
#[derive(Debug)]
pub(in crate::relay) struct Responses {
    pub(super) base: Base,
    started: bool,
    /// The response id as it was when the response started: a chat
    /// upstream may change its id from chunk to chunk, and item ids must
    /// not.
    id: String,
    sequence: u64,
    items: Vec<Item>,
    /// How many of `items` this response has.
    used: usize,
    /// The open message item and the open reasoning item.
    message: Option<usize>,
    reasoning: Option<usize>,
    /// The item of each forwarded call, by the call's ordinal.
    calls: Vec<usize>,
    /// Where the deltas not yet written go, and their text.
    pending_to: Option<(usize, Part)>,
    pending: Vec<u8>,
    usage: Option<Usage>,
    /// The bytes of text and arguments the items keep, all together.
    kept: usize,
    /// Whether a delta did not fit in what may be kept.
    outgrown: bool,
}

impl Responses {
    pub(super) fn new() -> Responses {
        Responses::fresh(Base::new())
    }

    /// The renderer at a stream's start, around `base`.
    fn fresh(base: Base) -> Responses {
        Responses {
            base,
            started: false,
            id: String::new(),
            sequence: 0,
            items: Vec::new(),
            used: 0,
            message: None,
            reasoning: None,
            calls: Vec::new(),
            pending_to: None,
            pending: Vec::new(),
            usage: None,
            kept: 0,
            outgrown: false,
        }
    }

    /// Counts `len` more bytes kept, unless they would pass the limit.
    fn keep(&mut self, len: usize) -> bool {
        if self.outgrown || self.kept.saturating_add(len) > self.base.max_kept {
            self.outgrown = true;
            return false;
        }
        self.kept += len;
        true
    }

    /// The open reasoning item, opened first (closing an open message).
    fn open_reasoning(&mut self) -> usize {
        if let Some(at) = self.reasoning {
            return at;
        }
        self.close_prose();
        let at = self.open_item(Kind::Reasoning, None);
        self.reasoning = Some(at);
        at
    }

    /// Closes the open reasoning and message items, in output order.
    fn close_prose(&mut self) {
        self.write_pending();
        for open in [self.reasoning.take(), self.message.take()]
            .into_iter()
            .flatten()
        {
            self.close_item(open);
        }
    }

    /// Appends the response object, with its items whole when it is not in
    /// progress.
    fn response_object(
        &mut self,
        status: &[u8],
        incomplete: Option<&[u8]>,
        failure: Option<&Failure<'_>>,
    ) {
        let created = self.base.created();
        let frame = &mut self.base.frame;
        frame.extend_from_slice(br#"{"id":"#);
        write_json_string(frame, &self.id);
        write_number(
            frame,
            br#","object":"response","created_at":"#,
            created,
            br#","status":""#,
        );
        frame.extend_from_slice(status);
        frame.extend_from_slice(br#"","error":"#);
        match failure {
            Some(failure) => {
                frame.extend_from_slice(br#"{"code":""#);
                frame.extend_from_slice(error_code(failure).as_bytes());
                frame.extend_from_slice(br#"","message":"#);
                write_json_string(frame, failure.message);
                frame.extend_from_slice(br#","type":"#);
                write_json_string(frame, failure.error_type);
                frame.push(b'}');
            }
            None => frame.extend_from_slice(b"null"),
        }
        frame.extend_from_slice(br#","incomplete_details":"#);
        match incomplete {
            Some(reason) => {
                frame.extend_from_slice(br#"{"reason":""#);
                frame.extend_from_slice(reason);
                frame.extend_from_slice(br#""}"#);
            }
            None => frame.extend_from_slice(b"null"),
        }
        frame.extend_from_slice(br#","model":"#);
        write_json_string(frame, &self.base.model);
        frame.extend_from_slice(br#","output":["#);
        if status != b"in_progress" {
            for at in 0..self.used {
                if at > 0 {
                    frame.push(b',');
                }
                write_item(frame, &self.id, &self.items[at], at, true);
            }
        }
        frame.extend_from_slice(
            br#"],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":"#,
        );
        if let Some(usage) = self.usage.filter(|_| status != b"in_progress") {
            let usage = usage.responses();
            let count = |n: Option<u64>| n.unwrap_or(0);
            let input = count(usage.input_tokens);
            write_number(frame, br#"{"input_tokens":"#, input, b"");
            let cached = count(usage.cached_tokens);
            let details = br#","input_tokens_details":{"cached_tokens":"#;
            write_number(frame, details, cached, br#","cache_write_tokens":0}"#);
            let output = count(usage.output_tokens);
            write_number(frame, br#","output_tokens":"#, output, b"");
            let reasoning = count(usage.reasoning_tokens);
            let details = br#","output_tokens_details":{"reasoning_tokens":"#;
            write_number(frame, details, reasoning, b"}");
            let total = count(usage.total_tokens);
            write_number(frame, br#","total_tokens":"#, total, b"}");
        } else {
            frame.extend_from_slice(b"null");
        }
        frame.push(b'}');
    }

    /// Appends text to the open message item's part, opening them first.
    fn message_text(&mut self, part: Part, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        let at = match self.message {
            Some(at) => at,
            None => {
                self.write_pending();
                if let Some(reasoning) = self.reasoning.take() {
                    self.close_item(reasoning);
                }
                let at = self.open_item(Kind::Message, None);
                self.message = Some(at);
                at
            }
        };
        let item = &self.items[at];
        let opened = match part {
            Part::Text => item.text_part,
            _ => item.refusal_part,
        };
        if opened.is_none() {
            self.write_pending();
            let index = self.items[at].parts();
            let item = &mut self.items[at];
            match part {
                Part::Text => item.text_part = Some(index),
                _ => item.refusal_part = Some(index),
            }
            self.part_event(b"response.content_part.added", at, index);
            self.base.frame.extend_from_slice(br#","part":"#);
            write_part(&mut self.base.frame, part, b"");
            self.base.frame.push(b'}');
            self.push();
        }
        self.pend(at, part, text);
    }

    fn pend(&mut self, at: usize, part: Part, text: &[u8]) {
        if !self.keep(text.len()) {
            return;
        }
        if self.pending_to != Some((at, part)) {
            self.write_pending();
            self.pending_to = Some((at, part));
        }
        self.pending.extend_from_slice(text);
        let item = &mut self.items[at];
        match part {
            Part::Refusal => item.refusal.extend_from_slice(text),
            _ => item.text.extend_from_slice(text),
        }
    }

    fn write_pending(&mut self) {
        let Some((at, part)) = self.pending_to.take() else {
            return;
        };
        if self.pending.is_empty() {
            return;
        }
        let (kind, index): (&[u8], u32) = match part {
            Part::Text => (
                b"response.output_text.delta",
                self.items[at].text_part.unwrap_or(0),
            ),
            Part::Refusal => (
                b"response.refusal.delta",
                self.items[at].refusal_part.unwrap_or(0),
            ),
            Part::Summary => (b"response.reasoning_summary_text.delta", 0),
        };
        self.part_event(kind, at, index);
        let frame = &mut self.base.frame;
        frame.extend_from_slice(br#","delta":""#);
        frame.extend_from_slice(&self.pending);
        frame.push(b'"');
        if part == Part::Text {
            frame.extend_from_slice(br#","logprobs":[]"#);
        }
        frame.push(b'}');
        self.push();
        self.pending.clear();
    }

    fn reserve_item(&mut self, kind: Kind) -> usize {
        self.start();
        if self.used == self.items.len() {
            self.items.push(Item::default());
        }
        let at = self.used;
        self.used += 1;
        self.items[at].clear(kind);
        at
    }

    fn open_item(&mut self, kind: Kind, id: Option<&str>) -> usize {
        let at = self.reserve_item(kind);
        self.items[at].set_id(id);
        self.added(at);
        at
    }

    /// `response.output_item.added` for the item at `at`.
    fn added(&mut self, at: usize) {
        self.item_whole(b"response.output_item.added", at, false);
    }

    /// An event that carries the item at `at` whole, as it is so far
    /// (`done`: as it ended).
    fn item_whole(&mut self, kind: &[u8], at: usize, done: bool) {
        self.event(kind);
        let frame = &mut self.base.frame;
        write_number(frame, br#","output_index":"#, at as u64, br#","item":"#);
        write_item(frame, &self.id, &self.items[at], at, done);
        frame.push(b'}');
        self.push();
    }

    /// The done events of the item at `at`, ending with its
    /// `response.output_item.done`.
    fn close_item(&mut self, at: usize) {
        if self.pending_to.is_some_and(|(to, _)| to == at) {
            self.write_pending();
        }
        let item = &self.items[at];
        match item.kind {
            Kind::Message => {
                let parts = [
                    (item.text_part, Part::Text),
                    (item.refusal_part, Part::Refusal),
                ];
                let mut parts = parts.map(|(index, part)| index.map(|index| (index, part)));
                parts.sort_unstable_by_key(|part| part.map(|(index, _)| index));
                for (index, part) in parts.into_iter().flatten() {
                    let (kind, field): (&[u8], &[u8]) = match part {
                        Part::Text => (b"response.output_text.done", br#","text":""#),
                        _ => (b"response.refusal.done", br#","refusal":""#),
                    };
                    self.part_event(kind, at, index);
                    let frame = &mut self.base.frame;
                    frame.extend_from_slice(field);
                    frame.extend_from_slice(self.items[at].part(part));
                    frame.push(b'"');
                    if part == Part::Text {
                        frame.extend_from_slice(br#","logprobs":[]"#);
                    }
                    frame.push(b'}');
                    self.push();
                    self.part_event(b"response.content_part.done", at, index);
                    let frame = &mut self.base.frame;
                    frame.extend_from_slice(br#","part":"#);
                    write_part(frame, part, self.items[at].part(part));
                    frame.push(b'}');
                    self.push();
                }
            }
            Kind::Reasoning if item.text_part.is_some() => {
                self.part_event(b"response.reasoning_summary_text.done", at, 0);
                let frame = &mut self.base.frame;
                frame.extend_from_slice(br#","text":""#);
                frame.extend_from_slice(&self.items[at].text);
                frame.extend_from_slice(br#""}"#);
                self.push();
                self.part_event(b"response.reasoning_summary_part.done", at, 0);
                let frame = &mut self.base.frame;
                frame.extend_from_slice(br#","part":"#);
                write_part(frame, Part::Summary, &self.items[at].text);
                frame.push(b'}');
                self.push();
            }
            Kind::Reasoning => {}
            Kind::Call => {
                self.item_event(b"response.function_call_arguments.done", at);
                let item = &self.items[at];
                let frame = &mut self.base.frame;
                frame.extend_from_slice(br#","name":"#);
                write_json_string(frame, &item.name);
                frame.extend_from_slice(br#","arguments":""#);
                frame.extend_from_slice(&item.text);
                frame.extend_from_slice(br#""}"#);
                self.push();
            }
        }
        self.items[at].open = false;
        self.item_whole(b"response.output_item.done", at, true);
    }

    /// Starts an event's frame: `{"type":…,"sequence_number":…`.
    fn event(&mut self, kind: &[u8]) {
        let frame = &mut self.base.frame;
        frame.clear();
        frame.extend_from_slice(br#"{"type":""#);
        frame.extend_from_slice(kind);
        write_number(frame, br#"","sequence_number":"#, self.sequence, b"");
        self.sequence += 1;
    }

    /// An event about the item at `at`: `…,"item_id":…,"output_index":…`.
    fn item_event(&mut self, kind: &[u8], at: usize) {
        self.event(kind);
        let frame = &mut self.base.frame;
        frame.extend_from_slice(br#","item_id":"#);
        write_item_id(frame, &self.id, &self.items[at], at);
        write_number(frame, br#","output_index":"#, at as u64, b"");
    }

    /// An event about a part of the item at `at`: its content index, or
    /// for reasoning its summary index.
    fn part_event(&mut self, kind: &[u8], at: usize, index: u32) {
        self.item_event(kind, at);
        let name: &[u8] = match self.items[at].kind {
            Kind::Reasoning => br#","summary_index":"#,
            _ => br#","content_index":"#,
        };
        write_number(&mut self.base.frame, name, index.into(), b"");
    }

    /// Writes the frame as an event named by its type.
    fn push(&mut self) {
        // The type is the frame's first string: `{"type":"` is 9 bytes.
        let frame = &self.base.frame;
        let end = frame[9..]
            .iter()
            .position(|&b| b == b'"')
            .map_or(9, |n| 9 + n);
        self.base.encoder.push_line(Some(&frame[9..end]), frame);
    }

    fn push_as(&mut self, kind: &[u8]) {
        self.base.push_named(kind);
    }
}

impl Render for Responses {
    fn base(&self) -> &Base {
        &self.base
    }

    fn base_mut(&mut self) -> &mut Base {
        &mut self.base
    }

    fn reset(&mut self) {
        let old = std::mem::replace(self, Responses::fresh(Base::empty()));
        self.base = old.base;
        self.id = old.id.emptied();
        // Items are reused as they come, each cleared when it opens.
        self.items = old.items;
        self.calls = old.calls.emptied();
        self.pending = old.pending.emptied();
    }

    fn outgrown(&self) -> bool {
        self.outgrown
    }

    fn retained(&self) -> usize {
        let items: usize = self
            .items
            .iter()
            .map(|item| {
                item.text.capacity()
                    + item.refusal.capacity()
                    + item.call_id.capacity()
                    + item.name.capacity()
                    + item.id.capacity()
                    + item.state.capacity()
            })
            .sum();
        items + self.id.capacity() + self.pending.capacity() + 8 * self.calls.capacity()
    }

    fn text(&mut self, _choice: u32, text: &[u8]) {
        self.message_text(Part::Text, text);
    }

    fn refusal(&mut self, _choice: u32, text: &[u8]) {
        self.message_text(Part::Refusal, text);
    }

    fn reasoning(&mut self, _choice: u32, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        let at = self.open_reasoning();
        if self.items[at].text_part.is_none() {
            self.write_pending();
            self.items[at].text_part = Some(0);
            self.part_event(b"response.reasoning_summary_part.added", at, 0);
            self.base
                .frame
                .extend_from_slice(br#","part":{"type":"summary_text","text":""}}"#);
            self.push();
        }
        self.pend(at, Part::Summary, text);
    }

    /// A piece of the reasoning's state, kept for its `encrypted_content`:
    /// a state without summary text is a reasoning item of its own.
    fn reasoning_state(&mut self, state: &str) {
        if state.is_empty() {
            return;
        }
        let at = self.open_reasoning();
        let item = &mut self.items[at];
        let from = item.state.len();
        write_escaped(&mut item.state, state);
        if !self.keep(self.items[at].state.len() - from) {
            self.items[at].state.truncate(from);
        }
    }

    /// Upstream opens an item: the open message or reasoning item closes
    /// and one of `kind` opens with upstream's id, unless the open one is
    /// already that item.
    fn item(&mut self, kind: ItemKind, id: Option<&str>) {
        let open = match kind {
            ItemKind::Message => self.message,
            ItemKind::Reasoning => self.reasoning,
        };
        if let (Some(at), Some(id)) = (open, id)
            && self.items[at].id == id
        {
            return;
        }
        // Items without text would cost nothing kept, and an upstream could
        // open them without end.
        if !self.keep(ITEM + id.map_or(0, str::len)) {
            return;
        }
        self.close_prose();
        match kind {
            ItemKind::Message => self.message = Some(self.open_item(Kind::Message, id)),
            ItemKind::Reasoning => self.reasoning = Some(self.open_item(Kind::Reasoning, id)),
        }
    }

    fn call_start(&mut self, _choice: u32, call: &CallStart<'_>) {
        if call.ordinal as usize != self.calls.len() {
            return;
        }
        // What the model wrote before it called is over; text after the
        // call opens a message item after it.
        self.close_prose();
        let at = self.reserve_item(Kind::Call);
        self.items[at].call_id.push_str(call.id);
        self.items[at].name.push_str(call.name);
        self.items[at].set_id(call.item);
        self.added(at);
        self.calls.push(at);
    }

    fn call_arguments(&mut self, _choice: u32, ordinal: u32, fragment: &str) {
        let Some(&at) = self
            .calls
            .get(ordinal as usize)
            .filter(|_| !fragment.is_empty())
        else {
            return;
        };
        self.write_pending();
        let item = &mut self.items[at];
        let from = item.text.len();
        write_escaped(&mut item.text, fragment);
        if !self.keep(self.items[at].text.len() - from) {
            self.items[at].text.truncate(from);
            return;
        }
        self.item_event(b"response.function_call_arguments.delta", at);
        let frame = &mut self.base.frame;
        frame.extend_from_slice(br#","delta":""#);
        frame.extend_from_slice(&self.items[at].text[from..]);
        frame.extend_from_slice(br#""}"#);
        self.push();
    }

    fn usage(&mut self, usage: &Usage) {
        self.usage = Some(*usage);
    }

    /// Its sequence numbers and item ids are the relay's own: no event goes
    /// out as it came.
    fn flush(&mut self, _verbatim: Option<Verbatim<'_>>) {
        if !self.started && self.base.named() {
            self.start();
        }
        self.write_pending();
    }

    fn end(&mut self, end: &End<'_>) {
        self.close();
        let words = end.finish.words(Format::OpenAiResponses, end.made_calls);
        let (kind, status): (&[u8], &[u8]) = match words.reason {
            "incomplete" => (b"response.incomplete", b"incomplete"),
            _ => (b"response.completed", b"completed"),
        };
        let reason = words.detail.map(str::as_bytes);
        self.event(kind);
        self.base.frame.extend_from_slice(br#","response":"#);
        self.response_object(status, reason, None);
        self.base.frame.push(b'}');
        self.push_as(kind);
    }

    /// Closes every open item, in output order.
    fn close(&mut self) {
        self.start();
        self.write_pending();
        for at in 0..self.used {
            if self.items[at].open {
                self.close_item(at);
            }
        }
        self.message = None;
        self.reasoning = None;
        self.calls.clear();
    }

    /// `response.failed`, with the error in the response.
    fn error(&mut self, failure: &Failure<'_>) {
        self.start();
        self.event(b"response.failed");
        self.base.frame.extend_from_slice(br#","response":"#);
        self.response_object(b"failed", None, Some(failure));
        self.base.frame.push(b'}');
        self.push_as(b"response.failed");
    }

    /// `response.created` and `response.in_progress`, once.
    fn start(&mut self) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        self.id.clear();
        self.id.push_str(super::or_no_id(&self.base.id));
        for kind in [&b"response.created"[..], b"response.in_progress"] {
            self.event(kind);
            self.base.frame.extend_from_slice(br#","response":"#);
            self.response_object(b"in_progress", None, None);
            self.base.frame.push(b'}');
            self.push_as(kind);
        }
    }
}

/// A failed response's `code`, one of the words the API (and the SDK's
/// strict model) allows: the upstream's own when it is one of them,
/// `rate_limit_exceeded` for a rate limit, else `server_error`. The
/// upstream's type goes beside it.
fn error_code(failure: &Failure<'_>) -> &'static str {
    const CODES: [&str; 3] = ["server_error", "rate_limit_exceeded", "invalid_prompt"];
    let named = match failure.code {
        Some(Code::Text(code)) => code,
        _ => failure.error_type,
    };
    if let Some(code) = CODES.iter().find(|&&code| code == named) {
        return code;
    }
    let rate = [named, failure.error_type]
        .iter()
        .any(|word| word.contains("rate_limit") || *word == "429")
        || matches!(failure.code, Some(Code::Number(429)));
    if rate {
        "rate_limit_exceeded"
    } else {
        "server_error"
    }
}

/// Upstream's id for the item, else `msg_…`, `rs_…` or `fc_…`: the response
/// id and the output index.
fn write_item_id(out: &mut Vec<u8>, response: &str, item: &Item, at: usize) {
    if !item.id.is_empty() {
        write_json_string(out, &item.id);
        return;
    }
    out.extend_from_slice(match item.kind {
        Kind::Message => b"\"msg_",
        Kind::Reasoning => b"\"rs_",
        Kind::Call => b"\"fc_",
    });
    write_escaped(out, response);
    write_number(out, b"_", at as u64, b"\"");
}

/// A content or summary part with its text.
fn write_part(out: &mut Vec<u8>, part: Part, text: &[u8]) {
    let (head, tail): (&[u8], &[u8]) = match part {
        Part::Text => (
            br#"{"type":"output_text","text":""#,
            br#"","annotations":[],"logprobs":[]}"#,
        ),
        Part::Refusal => (br#"{"type":"refusal","refusal":""#, br#""}"#),
        Part::Summary => (br#"{"type":"summary_text","text":""#, br#""}"#),
    };
    out.extend_from_slice(head);
    out.extend_from_slice(text);
    out.extend_from_slice(tail);
}

/// An item: empty as it is added, or `whole` with its text and status.
fn write_item(out: &mut Vec<u8>, response: &str, item: &Item, at: usize, whole: bool) {
    let status: &[u8] = if whole { b"completed" } else { b"in_progress" };
    out.extend_from_slice(br#"{"id":"#);
    write_item_id(out, response, item, at);
    match item.kind {
        Kind::Message => {
            out.extend_from_slice(br#","type":"message","status":""#);
            out.extend_from_slice(status);
            out.extend_from_slice(br#"","role":"assistant","content":["#);
            if whole {
                let mut parts = [
                    (item.text_part, Part::Text, &item.text),
                    (item.refusal_part, Part::Refusal, &item.refusal),
                ];
                parts.sort_unstable_by_key(|part| part.0);
                let mut first = true;
                for (index, part, text) in parts {
                    if index.is_some() {
                        if !std::mem::take(&mut first) {
                            out.push(b',');
                        }
                        write_part(out, part, text);
                    }
                }
            }
            out.push(b']');
        }
        Kind::Reasoning => {
            out.extend_from_slice(br#","type":"reasoning","summary":["#);
            if whole && item.text_part.is_some() {
                write_part(out, Part::Summary, &item.text);
            }
            out.push(b']');
            if whole && !item.state.is_empty() {
                out.extend_from_slice(br#","encrypted_content":""#);
                out.extend_from_slice(&item.state);
                out.push(b'"');
            }
        }
        Kind::Call => {
            out.extend_from_slice(br#","type":"function_call","status":""#);
            out.extend_from_slice(status);
            out.extend_from_slice(br#"","arguments":""#);
            if whole {
                out.extend_from_slice(&item.text);
            }
            out.extend_from_slice(br#"","call_id":"#);
            write_json_string(out, &item.call_id);
            out.extend_from_slice(br#","name":"#);
            write_json_string(out, &item.name);
        }
    }
    out.push(b'}');
}
