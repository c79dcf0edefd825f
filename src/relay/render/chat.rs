//! OpenAI chat completions out: `chat.completion.chunk` frames, one per
//! upstream event and choice at most, the finish, a usage chunk and
//! `data: [DONE]`.
//!
//! The rules the OpenAI SDKs' accumulators need: `"role":"assistant"` once
//! per choice (they concatenate repeated string fields), each choice under
//! its own `index`, a call's id, type and name once with its first fragment,
//! its arguments as fragments under the call's ordinal, and a usage chunk
//! with `choices: []`.
//!
//! The end: one finish chunk a choice, its `finish_reason` from
//! [`Finish::words`](crate::neutral::Finish::words); then, when upstream
//! gave usage, the usage chunk ([`Usage::chat`]); then `data: [DONE]`. An
//! error is `data: {"error":{"message":…,"type":…,"code":…}}`, with no
//! `[DONE]` after it.

use std::io::Write as _;

use super::{
    Base, CallStart, Emptied, End, Failure, Render, Verbatim, append, write_code, write_field,
    write_json_string, write_number,
};
use crate::upstream::{Format, Forwardable};

/// The texts one upstream event brought to one choice, escaped and without
/// quotes, waiting to be written.
#[derive(Debug, Default)]
struct Pending {
    index: u32,
    /// Whether this choice has had `"role":"assistant"`.
    role_sent: bool,
    text: Vec<u8>,
    /// The target values' spans, kept apart from the text: a chunk that goes
    /// out as it came carries the text, not the spans.
    spans: Vec<u8>,
    reasoning: Vec<u8>,
    refusal: Vec<u8>,
    /// `tool_calls` array elements, comma-separated.
    calls: Vec<u8>,
}

impl Pending {
    /// Back to its fresh state ([`Default`]), its buffers' memory kept.
    fn reset(&mut self) {
        let old = std::mem::take(self);
        *self = Pending {
            text: old.text.emptied(),
            spans: old.spans.emptied(),
            reasoning: old.reasoning.emptied(),
            refusal: old.refusal.emptied(),
            calls: old.calls.emptied(),
            ..Pending::default()
        };
    }

    fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
        self.reasoning.clear();
        self.refusal.clear();
        self.calls.clear();
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty()
            && self.spans.is_empty()
            && self.reasoning.is_empty()
            && self.refusal.is_empty()
            && self.calls.is_empty()
    }

    fn capacity(&self) -> usize {
        [
            &self.text,
            &self.spans,
            &self.reasoning,
            &self.refusal,
            &self.calls,
        ]
        .iter()
        .map(|buffer| buffer.capacity())
        .sum()
    }

    fn call(&mut self) -> &mut Vec<u8> {
        if !self.calls.is_empty() {
            self.calls.push(b',');
        }
        &mut self.calls
    }
}

/// The chat renderer.
#[derive(Debug)]
pub(in crate::relay) struct Chat {
    pub(super) base: Base,
    /// Choice 0 first, then the others in the order they appeared.
    choices: Vec<Pending>,
    /// How many of `choices` this stream has used.
    used: usize,
    /// Choices 0 up to this index have all had their role: openai-python
    /// builds its list of choices by index, so choice `k` must not reach it
    /// before choices 0 to `k - 1`.
    introduced: u32,
    /// The chunks' head as [`head`](Chat::head) last wrote it, and the
    /// [`Base::names_changed`] it was written at.
    head: Vec<u8>,
    head_at: Option<u64>,
}

/// The room a chunk's head starts with: its id and model, and the rest.
const HEAD: usize = 192;

impl Chat {
    pub(super) fn new() -> Chat {
        Chat::fresh(Base::new(), vec![Pending::default()], Vec::new())
    }

    /// The renderer at a stream's start, around `base`, with `choices`
    /// (one at least, each fresh) and the `head` buffer.
    fn fresh(base: Base, choices: Vec<Pending>, head: Vec<u8>) -> Chat {
        Chat {
            base,
            choices,
            used: 1,
            introduced: 0,
            head,
            head_at: None,
        }
    }

    fn choice(&mut self, index: u32) -> &mut Pending {
        let at = match self.choices[..self.used]
            .iter()
            .position(|c| c.index == index)
        {
            Some(at) => at,
            None => {
                if self.used == self.choices.len() {
                    self.choices.push(Pending::default());
                }
                self.used += 1;
                let choice = &mut self.choices[self.used - 1];
                choice.index = index;
                self.used - 1
            }
        };
        &mut self.choices[at]
    }

    /// Gives every choice below `index` that the client has not seen its
    /// role, in one chunk, so that choices reach the client in index order.
    fn introduce(&mut self, index: u32) {
        if index <= self.introduced {
            return;
        }
        let mut unseen = false;
        for below in self.introduced..index {
            unseen |= !self.choice(below).role_sent;
        }
        if unseen {
            self.head();
            let mut first = true;
            for below in self.introduced..index {
                let at = self.position(below);
                if std::mem::replace(&mut self.choices[at].role_sent, true) {
                    continue;
                }
                let frame = &mut self.base.frame;
                if !std::mem::take(&mut first) {
                    frame.push(b',');
                }
                let _ = write!(
                    frame,
                    r#"{{"index":{below},"delta":{{"role":"assistant"}},"finish_reason":null}}"#
                );
            }
            self.base.frame.extend_from_slice(b"]}");
            self.base.push_data();
        }
        self.introduced = index;
    }

    fn position(&self, index: u32) -> usize {
        self.choices[..self.used]
            .iter()
            .position(|c| c.index == index)
            .unwrap_or(0)
    }

    /// `{"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[`
    /// Written once while the response's names stay as they are.
    fn head(&mut self) {
        let base = &mut self.base;
        if self.head_at != Some(base.names_changed) {
            let head = &mut self.head;
            head.clear();
            head.reserve(HEAD);
            head.extend_from_slice(br#"{"id":"#);
            write_json_string(head, super::or_no_id(&base.id));
            head.extend_from_slice(br#","object":"chat.completion.chunk","created":"#);
            write_number(head, b"", base.created(), b"");
            head.extend_from_slice(br#","model":"#);
            write_json_string(head, &base.model);
            head.extend_from_slice(br#","choices":["#);
            self.head_at = Some(base.names_changed);
        }
        base.frame.clear();
        base.frame.extend_from_slice(&self.head);
    }

    /// The chunk with every choice's finish reason.
    fn finish(&mut self, end: &End<'_>) {
        if let Some(last) = end.others.iter().map(|&(index, ..)| index).max() {
            self.introduce(last);
        }
        self.head();
        let reason = end.finish.words(Format::OpenAiChat, end.made_calls).reason;
        self.choice_delta(0, Some(reason));
        for &(index, finish, called) in end.others {
            let reason = finish.words(Format::OpenAiChat, called).reason;
            self.base.frame.push(b',');
            let at = self.choices[..self.used]
                .iter()
                .position(|c| c.index == index);
            match at {
                Some(at) => self.choice_delta(at, Some(reason)),
                None => {
                    let frame = &mut self.base.frame;
                    let _ = write!(frame, r#"{{"index":{index},"delta":{{}},"finish_reason":"#);
                    write_json_string(frame, reason);
                    frame.push(b'}');
                }
            }
        }
        self.base.frame.extend_from_slice(b"]}");
        self.base.push_data();
    }

    fn usage_chunk(&mut self, usage: &[u8]) {
        self.head();
        let frame = &mut self.base.frame;
        frame.extend_from_slice(br#"],"usage":"#);
        frame.extend_from_slice(usage);
        frame.push(b'}');
        // Upstream's usage object may come as it was sent.
        self.base.push_upstream();
    }

    /// One chunk with the pending texts of `choices[at]`.
    fn chunk(&mut self, at: usize, finish: Option<&str>) {
        self.head();
        self.choice_delta(at, finish);
        self.base.frame.extend_from_slice(b"]}");
        self.base.push_data();
    }

    /// `{"index":…,"delta":{…},"finish_reason":…}` for `choices[at]`, which
    /// it clears.
    fn choice_delta(&mut self, at: usize, finish: Option<&str>) {
        let choice = &mut self.choices[at];
        let frame = &mut self.base.frame;
        write_number(
            frame,
            br#"{"index":"#,
            choice.index.into(),
            br#","delta":{"#,
        );
        let mut first = true;
        let mut field = |frame: &mut Vec<u8>| {
            if !std::mem::take(&mut first) {
                frame.push(b',');
            }
        };
        if !choice.role_sent {
            field(frame);
            frame.extend_from_slice(br#""role":"assistant""#);
            choice.role_sent = true;
        }
        if !choice.text.is_empty() || !choice.spans.is_empty() {
            field(frame);
            frame.extend_from_slice(br#""content":""#);
            frame.extend_from_slice(&choice.text);
            frame.extend_from_slice(&choice.spans);
            frame.push(b'"');
        }
        for (name, text) in [
            (&br#""reasoning_content":"#[..], &choice.reasoning),
            (br#""refusal":"#, &choice.refusal),
        ] {
            if !text.is_empty() {
                field(frame);
                write_field(frame, name, text);
            }
        }
        if !choice.calls.is_empty() {
            field(frame);
            frame.extend_from_slice(br#""tool_calls":["#);
            frame.extend_from_slice(&choice.calls);
            frame.push(b']');
        }
        frame.extend_from_slice(br#"},"finish_reason":"#);
        match finish {
            Some(reason) => write_json_string(frame, reason),
            None => frame.extend_from_slice(b"null"),
        }
        frame.push(b'}');
        choice.clear();
    }
}

impl Render for Chat {
    fn base(&self) -> &Base {
        &self.base
    }

    fn base_mut(&mut self) -> &mut Base {
        &mut self.base
    }

    fn has_choices(&self) -> bool {
        true
    }

    /// A chunk that announces the role may go out only while the client
    /// has not had it.
    fn may_forward(&self, forwardable: Forwardable) -> bool {
        !(forwardable.announces && self.choices[0].role_sent)
    }

    fn reset(&mut self) {
        let old = std::mem::replace(self, Chat::fresh(Base::empty(), Vec::new(), Vec::new()));
        let mut choices = old.choices;
        for choice in &mut choices {
            choice.reset();
        }
        *self = Chat::fresh(old.base, choices, old.head.emptied());
    }

    fn retained(&self) -> usize {
        self.choices.iter().map(Pending::capacity).sum::<usize>() + self.head.capacity()
    }

    fn text(&mut self, choice: u32, text: &[u8]) {
        append(&mut self.choice(choice).text, text);
    }

    fn value(&mut self, choice: u32, span: &[u8]) {
        append(&mut self.choice(choice).spans, span);
    }

    fn reasoning(&mut self, choice: u32, text: &[u8]) {
        append(&mut self.choice(choice).reasoning, text);
    }

    fn refusal(&mut self, choice: u32, text: &[u8]) {
        append(&mut self.choice(choice).refusal, text);
    }

    /// `{"index":…,"id":…,"type":"function","function":{"name":…,"arguments":""}}`
    fn call_start(&mut self, choice: u32, call: &CallStart<'_>) {
        let out = self.choice(choice).call();
        write_number(out, br#"{"index":"#, call.ordinal.into(), br#","id":"#);
        write_json_string(out, call.id);
        out.extend_from_slice(br#","type":"function","function":{"name":"#);
        write_json_string(out, call.name);
        out.extend_from_slice(br#","arguments":""}}"#);
    }

    /// `{"index":…,"function":{"arguments":…}}`
    fn call_arguments(&mut self, choice: u32, ordinal: u32, fragment: &str) {
        let out = self.choice(choice).call();
        write_number(
            out,
            br#"{"index":"#,
            ordinal.into(),
            br#","function":{"arguments":"#,
        );
        write_json_string(out, fragment);
        out.extend_from_slice(b"}}");
    }

    /// The first chunk, as OpenAI's own: choice 0's role, with empty
    /// content.
    fn start(&mut self) {
        if self.choices[0].role_sent {
            return;
        }
        self.choices[0].role_sent = true;
        self.head();
        self.base.frame.extend_from_slice(
            br#"{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
        );
        self.base.push_data();
    }

    fn flush(&mut self, verbatim: Option<Verbatim<'_>>) {
        if let Some(Verbatim {
            payload,
            by_reference,
            forwardable,
        }) = verbatim
        {
            // The chunk goes as it came (its text with it), after a chunk
            // with the role if the client has not had it; the spans of its
            // calls follow in a chunk of their own.
            let choice = &mut self.choices[0];
            let spans = std::mem::take(&mut choice.spans);
            choice.clear();
            if !forwardable.announces && !choice.role_sent {
                self.chunk(0, None);
            }
            self.choices[0].role_sent = true;
            self.choices[0].spans = spans;
            if by_reference {
                self.base.encoder.push_shared_frame(None, payload);
            } else {
                self.base.encoder.push_data(payload);
            }
        }
        for at in 0..self.used {
            if !self.choices[at].is_empty() {
                self.introduce(self.choices[at].index);
                self.chunk(at, None);
            }
        }
    }

    fn end(&mut self, end: &End<'_>) {
        self.finish(end);
        if let Some((Format::OpenAiChat, raw)) = end.raw_usage {
            // Upstream's own object, with whatever details it counts.
            self.usage_chunk(raw.as_bytes());
        } else if let Some(usage) = end.usage {
            let usage = usage.chat();
            let mut json = std::mem::take(&mut self.choices[0].text);
            json.clear();
            let count = |n: Option<u64>| n.unwrap_or(0);
            write_number(
                &mut json,
                br#"{"prompt_tokens":"#,
                count(usage.prompt_tokens),
                b"",
            );
            let completion = count(usage.completion_tokens);
            write_number(&mut json, br#","completion_tokens":"#, completion, b"");
            write_number(
                &mut json,
                br#","total_tokens":"#,
                count(usage.total_tokens),
                b"",
            );
            if let Some(cached) = usage.cached_tokens {
                let details = br#","prompt_tokens_details":{"cached_tokens":"#;
                write_number(&mut json, details, cached, b"}");
            }
            if let Some(reasoning) = usage.reasoning_tokens {
                let details = br#","completion_tokens_details":{"reasoning_tokens":"#;
                write_number(&mut json, details, reasoning, b"}");
            }
            json.push(b'}');
            self.usage_chunk(&json);
            json.clear();
            self.choices[0].text = json;
        }
        self.base.encoder.push_done();
    }

    /// `{"error":{"message":…,"type":…,"code":…}}`
    fn error(&mut self, failure: &Failure<'_>) {
        let frame = &mut self.base.frame;
        frame.clear();
        frame.extend_from_slice(br#"{"error":{"message":"#);
        write_json_string(frame, failure.message);
        frame.extend_from_slice(br#","type":"#);
        write_json_string(frame, failure.error_type);
        frame.extend_from_slice(br#","code":"#);
        write_code(frame, failure.code);
        frame.extend_from_slice(b"}}");
        self.base.push_data();
    }
}
