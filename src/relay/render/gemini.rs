//! Google Gemini out, as `streamGenerateContent?alt=sse` answers: `data:`
//! events only, each ending with `\r\n\r\n` as Gemini's own do, each a
//! `GenerateContentResponse`:
//! `{"candidates":[{"content":{"role":"model","parts":[…]},"index":0}],
//! "modelVersion":…,"responseId":…}`, with no end but the last event's
//! `finishReason` and the body's end.
//!
//! - **Parts.** One event for each upstream event that brought anything:
//!   answer text (the target values and a refusal among it, as Gemini has
//!   no refusal part) in `{"text":…}` parts, reasoning in
//!   `{"text":…,"thought":true}` parts, consecutive text of one kind in
//!   one part. Signatures of reasoning are left out: Gemini's
//!   `thoughtSignature` is its own base64, which no other format's is.
//! - **Calls.** A forwarded call goes out as one whole
//!   `{"functionCall":{"name":…,"args":{…}}}` part, in the event where its
//!   arguments became one complete JSON object, since Gemini's clients
//!   (google-genai among them) read `args` whole. Calls keep their order:
//!   one whose arguments complete while a call before it is still open
//!   waits for it (after a call with no arguments, which nothing tells
//!   complete, until the end), its arguments kept meanwhile. A Gemini upstream's
//!   streamed `partialArgs` go out the same way: the Gemini API itself
//!   never sends them, and google-genai does not assemble them. A call with
//!   no arguments, or `null` ones, has `"args":{}`; a call whose arguments are not a JSON
//!   object (invalid, cut off, an array), or nest so deep that the event
//!   around them would pass a reader's depth limit (128, serde_json's and
//!   argstream's), is left out, the relay's
//!   [`Summary`](crate::Summary) keeping it with its error, and a finish
//!   that would read `STOP` reads `MALFORMED_FUNCTION_CALL`, Gemini's word
//!   for a call it could not give. Line breaks between the tokens of the
//!   arguments are written as spaces, so that every event is one `data:`
//!   line.
//! - **Ids.** A call's id goes out as `functionCall.id`, unless it is the
//!   one a Gemini reader makes anyway (`call_` + the `responseId` + `_` +
//!   the call's ordinal among the response's `functionCall` parts, the
//!   rule of argstream's Gemini decoder), which a Gemini upstream's calls,
//!   having none, have: Gemini to Gemini, a call comes out as it came,
//!   with the `thoughtSignature` upstream gave it on its part.
//! - **The end.** The last event has the calls not yet written, the
//!   `finishReason` in Gemini's words ([`Finish::words`](crate::Finish::words))
//!   and the `usageMetadata` ([`Usage::gemini`]: `promptTokenCount`, cached
//!   tokens included, `candidatesTokenCount`, `totalTokenCount`,
//!   `cachedContentTokenCount` and `thoughtsTokenCount` when known;
//!   `candidatesTokenCount` is the output tokens less the thoughts, as
//!   Gemini counts them apart).
//! - **Errors.** `{"error":{"code":…,"message":…,"status":…}}`, with an HTTP
//!   code and a Google status word (google-genai raises its `ServerError`
//!   or `ClientError` by the code): upstream's own when they are Google's,
//!   else from the error's words (a rate limit `429 RESOURCE_EXHAUSTED`,
//!   an overload `503 UNAVAILABLE`, ...), else `500 INTERNAL`.
//! - **Choices.** Candidate 0 alone, as for every format without choices;
//!   `responseId` is the first one upstream named, for every event
//!   (`argstream` while it named none, as in every format).

use std::io::Write as _;

use super::{
    Base, CallStart, Emptied, End, Failure, Render, Verbatim, write_json_string, write_number,
};
use crate::neutral::Usage;
use crate::scan::DEFAULT_MAX_DEPTH;
use crate::sse::{LineEnding, SseEncoder};
use crate::upstream::made_call_id;
use crate::upstream::{Code, Format};

/// The kind of the text part being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prose {
    Text,
    Thought,
}

/// A forwarded call, until its part is written.
#[derive(Debug, Default)]
struct Call {
    id: String,
    name: String,
    /// Whether its arguments are whole: kept in `arguments` until the
    /// calls before it have gone out.
    ready: bool,
    arguments: String,
    /// Whether every fragment so far was whitespace: no arguments.
    blank: bool,
    /// The `thoughtSignature` upstream gave the call, if any.
    signature: String,
}

/// The Gemini renderer.
#[derive(Debug)]
pub(in crate::relay) struct Gemini {
    pub(super) base: Base,
    /// The parts of the event being written, comma-separated; the last one
    /// open while `prose` says so.
    parts: Vec<u8>,
    prose: Option<Prose>,
    /// The response id every event carries, once one was needed.
    id: Option<String>,
    calls: Vec<Call>,
    /// How many of `calls` this response has.
    used: usize,
    /// The first call not written yet (nor left out): calls go out in
    /// their order.
    next_call: usize,
    /// `functionCall` parts written: the next one's ordinal for a reader.
    written: u32,
    /// Whether a call was left out for its arguments.
    dropped: bool,
    usage: Option<Usage>,
    /// Scratch: the id a reader makes for the next call.
    made_id: String,
}

impl Gemini {
    pub(super) fn new() -> Gemini {
        let mut base = Base::new();
        base.encoder = SseEncoder::new().with_line_ending(LineEnding::CrLf);
        Gemini::fresh(base)
    }

    /// The renderer at a stream's start, around `base`.
    fn fresh(base: Base) -> Gemini {
        Gemini {
            base,
            parts: Vec::new(),
            prose: None,
            id: None,
            calls: Vec::new(),
            used: 0,
            next_call: 0,
            written: 0,
            dropped: false,
            usage: None,
            made_id: String::new(),
        }
    }

    /// Appends escaped text to a part of `kind`, opening one first.
    fn prose(&mut self, kind: Prose, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        if self.prose != Some(kind) {
            self.close_prose();
            self.open_part();
            self.parts.extend_from_slice(br#"{"text":""#);
            self.prose = Some(kind);
        }
        self.parts.extend_from_slice(text);
    }

    fn close_prose(&mut self) {
        match self.prose.take() {
            Some(Prose::Text) => self.parts.extend_from_slice(br#""}"#),
            Some(Prose::Thought) => self.parts.extend_from_slice(br#"","thought":true}"#),
            None => {}
        }
    }

    /// Closes the open part and puts the comma before the next one.
    fn open_part(&mut self) {
        self.close_prose();
        if !self.parts.is_empty() {
            self.parts.push(b',');
        }
    }

    /// The calls next in order whose arguments are whole.
    fn write_ready_calls(&mut self) {
        while self.next_call < self.used && self.calls[self.next_call].ready {
            let arguments = std::mem::take(&mut self.calls[self.next_call].arguments);
            self.write_call(&arguments);
            self.calls[self.next_call - 1].arguments = arguments;
        }
    }

    /// The calls left, at the end: those whose arguments are whole, `{}`
    /// for those that had none, the others left out.
    fn write_remaining_calls(&mut self) {
        while self.next_call < self.used {
            let call = &self.calls[self.next_call];
            if call.ready {
                self.write_ready_calls();
            } else if call.blank {
                self.write_call("{}");
            } else {
                self.next_call += 1;
                self.dropped = true;
            }
        }
    }

    /// `{"functionCall":{"id":…,"name":…,"args":{…}}}` for the next call,
    /// or, for arguments that are not an object, nothing (the call left
    /// out).
    fn write_call(&mut self, arguments: &str) {
        let at = self.next_call;
        self.next_call += 1;
        let arguments = match arguments.trim_ascii() {
            // A call without parameters, as some chat providers send it:
            // `args` must be an object.
            "null" => "{}",
            arguments => arguments,
        };
        // Inline, the arguments nest inside the event's own seven levels
        // (candidates, content, parts, functionCall, ...): deeper than a
        // reader's depth limit would fail the whole event.
        if !arguments.starts_with('{') || WRAPPING + nesting(arguments) >= DEFAULT_MAX_DEPTH {
            self.dropped = true;
            return;
        }
        self.open_part();
        let ordinal = self.written;
        self.written += 1;
        self.freeze_id();
        // The response id the client reads is the one every event carries.
        let id = super::or_no_id(self.id.as_deref().unwrap_or(""));
        made_call_id(&mut self.made_id, id, u64::from(ordinal));
        let call = &self.calls[at];
        let parts = &mut self.parts;
        parts.extend_from_slice(br#"{"functionCall":{"#);
        if !call.id.is_empty() && call.id != self.made_id {
            parts.extend_from_slice(br#""id":"#);
            write_json_string(parts, &call.id);
            parts.push(b',');
        }
        parts.extend_from_slice(br#""name":"#);
        write_json_string(parts, &call.name);
        parts.extend_from_slice(br#","args":"#);
        // Valid JSON has line breaks only between tokens.
        parts.extend(
            arguments
                .bytes()
                .map(|b| if matches!(b, b'\r' | b'\n') { b' ' } else { b }),
        );
        parts.push(b'}');
        if !call.signature.is_empty() {
            parts.extend_from_slice(br#","thoughtSignature":"#);
            write_json_string(parts, &call.signature);
        }
        parts.push(b'}');
    }

    /// The response id of every event: the first upstream named.
    fn freeze_id(&mut self) {
        let id = self.id.get_or_insert_with(String::new);
        if id.is_empty() {
            id.push_str(&self.base.id);
        }
    }

    /// One event with the parts written so far (emptied), and with the
    /// finish and usage when it is the last.
    fn write_event(&mut self, finish: Option<&str>) {
        self.close_prose();
        self.freeze_id();
        let frame = &mut self.base.frame;
        frame.clear();
        frame.extend_from_slice(br#"{"candidates":[{"content":{"role":"model","parts":["#);
        frame.extend_from_slice(&self.parts);
        frame.extend_from_slice(b"]}");
        if let Some(reason) = finish {
            frame.extend_from_slice(br#","finishReason":"#);
            write_json_string(frame, reason);
        }
        frame.extend_from_slice(br#","index":0}]"#);
        if let Some(usage) = self.usage.filter(|_| finish.is_some()) {
            let usage = usage.gemini();
            let count = |n: Option<u64>| n.unwrap_or(0);
            let prompt = count(usage.prompt_token_count);
            write_number(
                frame,
                br#","usageMetadata":{"promptTokenCount":"#,
                prompt,
                b"",
            );
            let candidates = count(usage.candidates_token_count);
            write_number(frame, br#","candidatesTokenCount":"#, candidates, b"");
            let total = count(usage.total_token_count);
            write_number(frame, br#","totalTokenCount":"#, total, b"");
            if let Some(cached) = usage.cached_content_token_count {
                write_number(frame, br#","cachedContentTokenCount":"#, cached, b"");
            }
            if let Some(reasoning) = usage.thoughts_token_count {
                write_number(frame, br#","thoughtsTokenCount":"#, reasoning, b"");
            }
            frame.push(b'}');
        }
        frame.extend_from_slice(br#","modelVersion":"#);
        write_json_string(frame, &self.base.model);
        frame.extend_from_slice(br#","responseId":"#);
        write_json_string(frame, super::or_no_id(self.id.as_deref().unwrap_or("")));
        frame.push(b'}');
        self.base.push_data();
        self.parts.clear();
    }
}

impl Render for Gemini {
    fn base(&self) -> &Base {
        &self.base
    }

    fn base_mut(&mut self) -> &mut Base {
        &mut self.base
    }

    fn reset(&mut self) {
        let old = std::mem::replace(self, Gemini::fresh(Base::empty()));
        self.base = old.base;
        self.parts = old.parts.emptied();
        self.id = old.id.map(Emptied::emptied);
        // Calls are reused as they come, each cleared when it opens.
        self.calls = old.calls;
        self.made_id = old.made_id.emptied();
    }

    fn retained(&self) -> usize {
        let calls: usize = self
            .calls
            .iter()
            .map(|call| {
                call.id.capacity()
                    + call.name.capacity()
                    + call.arguments.capacity()
                    + call.signature.capacity()
            })
            .sum();
        self.parts.capacity()
            + self.id.as_ref().map_or(0, String::capacity)
            + calls
            + self.made_id.capacity()
    }

    fn text(&mut self, _choice: u32, text: &[u8]) {
        self.prose(Prose::Text, text);
    }

    fn reasoning(&mut self, _choice: u32, text: &[u8]) {
        self.prose(Prose::Thought, text);
    }

    fn refusal(&mut self, _choice: u32, text: &[u8]) {
        self.prose(Prose::Text, text);
    }

    fn call_start(&mut self, _choice: u32, start: &CallStart<'_>) {
        if start.ordinal as usize != self.used {
            return;
        }
        if self.used == self.calls.len() {
            self.calls.push(Call::default());
        }
        let call = &mut self.calls[self.used];
        self.used += 1;
        call.id.clear();
        call.id.push_str(start.id);
        call.name.clear();
        call.name.push_str(start.name);
        call.ready = false;
        call.arguments.clear();
        call.blank = true;
        call.signature.clear();
    }

    /// Gemini gives the signature back on the call's part.
    fn call_signature(&mut self, _choice: u32, ordinal: u32, signature: &str) {
        if let Some(call) = self.calls[..self.used].get_mut(ordinal as usize) {
            call.signature.clear();
            call.signature.push_str(signature);
        }
    }

    fn call_arguments(&mut self, _choice: u32, ordinal: u32, fragment: &str) {
        if let Some(call) = self.calls[..self.used].get_mut(ordinal as usize) {
            call.blank &= fragment.trim_ascii().is_empty();
        }
    }

    /// Writes the call's part now that its arguments are whole, or, while
    /// a call before it is not written, keeps them until it is.
    fn call_end(&mut self, _choice: u32, ordinal: u32, arguments: &str) {
        let at = ordinal as usize;
        if at < self.next_call || at >= self.used {
            return;
        }
        if at == self.next_call {
            self.write_call(arguments);
            self.write_ready_calls();
        } else {
            let call = &mut self.calls[at];
            call.ready = true;
            call.arguments.clear();
            call.arguments.push_str(arguments);
        }
    }

    fn usage(&mut self, usage: &Usage) {
        self.usage = Some(*usage);
    }

    /// Writes what the upstream event brought, as one event.
    /// Its finish goes out once, at the end: no event goes out as it came.
    fn flush(&mut self, _verbatim: Option<Verbatim<'_>>) {
        if !self.parts.is_empty() {
            self.write_event(None);
        }
    }

    fn end(&mut self, end: &End<'_>) {
        self.write_remaining_calls();
        let reason = match end.finish.words(Format::Gemini, end.made_calls).reason {
            // A call left out for its arguments: the answer is not whole.
            "STOP" if self.dropped => "MALFORMED_FUNCTION_CALL",
            reason => reason,
        };
        self.write_event(Some(reason));
    }

    fn close(&mut self) {
        self.write_remaining_calls();
        self.flush(None);
    }

    /// `{"error":{"code":…,"message":…,"status":…}}`
    fn error(&mut self, failure: &Failure<'_>) {
        let (code, status) = google_status(failure);
        let frame = &mut self.base.frame;
        frame.clear();
        let _ = write!(frame, r#"{{"error":{{"code":{code},"message":"#);
        write_json_string(frame, failure.message);
        frame.extend_from_slice(br#","status":"#);
        write_json_string(frame, status);
        frame.extend_from_slice(b"}}");
        self.base.push_data();
    }
}

/// The containers an event holds a call's `args` in: the event, its
/// `candidates`, the candidate, `content`, `parts`, the part and its
/// `functionCall`.
const WRAPPING: usize = 7;

/// How deep the containers of a valid JSON document nest.
fn nesting(json: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    let (mut in_string, mut escaped) = (false, false);
    for b in json.bytes() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'{' | b'[' if !in_string => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' if !in_string => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Google's status words and their HTTP codes.
const STATUSES: [(&str, u16); 16] = [
    ("INVALID_ARGUMENT", 400),
    ("FAILED_PRECONDITION", 400),
    ("OUT_OF_RANGE", 400),
    ("UNAUTHENTICATED", 401),
    ("PERMISSION_DENIED", 403),
    ("NOT_FOUND", 404),
    ("ABORTED", 409),
    ("ALREADY_EXISTS", 409),
    ("RESOURCE_EXHAUSTED", 429),
    ("CANCELLED", 499),
    ("INTERNAL", 500),
    ("UNKNOWN", 500),
    ("DATA_LOSS", 500),
    ("UNIMPLEMENTED", 501),
    ("UNAVAILABLE", 503),
    ("DEADLINE_EXCEEDED", 504),
];

/// Words in another format's error type or code, and the status they
/// mean.
const WORDS: [(&str, &str); 12] = [
    ("rate_limit", "RESOURCE_EXHAUSTED"),
    ("throttl", "RESOURCE_EXHAUSTED"),
    ("quota", "RESOURCE_EXHAUSTED"),
    ("overloaded", "UNAVAILABLE"),
    ("unavailable", "UNAVAILABLE"),
    ("timeout", "DEADLINE_EXCEEDED"),
    ("invalid", "INVALID_ARGUMENT"),
    ("validation", "INVALID_ARGUMENT"),
    ("authentication", "UNAUTHENTICATED"),
    ("permission", "PERMISSION_DENIED"),
    ("not_found", "NOT_FOUND"),
    ("notfound", "NOT_FOUND"),
];

/// The HTTP code and Google status of an error.
fn google_status(failure: &Failure<'_>) -> (u16, &'static str) {
    let given = match failure.code {
        Some(Code::Number(code)) => u16::try_from(code)
            .ok()
            .filter(|code| (400..=599).contains(code)),
        Some(Code::Text(code)) => code.parse().ok().filter(|code| (400..=599).contains(code)),
        None => None,
    };
    let named = STATUSES
        .iter()
        .find(|(status, _)| *status == failure.error_type);
    if let Some(&(status, code)) = named {
        return (given.unwrap_or(code), status);
    }
    if let Some(code) = given {
        let status = STATUSES.iter().find(|&&(_, known)| known == code).map_or(
            if code < 500 {
                "FAILED_PRECONDITION"
            } else {
                "INTERNAL"
            },
            |&(status, _)| status,
        );
        return (code, status);
    }
    let code_text = match failure.code {
        Some(Code::Text(code)) => code,
        _ => "",
    };
    for text in [failure.error_type, code_text] {
        let lower = text.to_ascii_lowercase();
        if let Some(&(_, status)) = WORDS.iter().find(|(word, _)| lower.contains(word)) {
            let code = STATUSES
                .iter()
                .find(|(known, _)| *known == status)
                .map_or(500, |&(_, code)| code);
            return (code, status);
        }
    }
    (500, "INTERNAL")
}

#[cfg(test)]
mod tests {
    use super::{Failure, google_status};
    use crate::upstream::Code;

    fn status(error_type: &str, code: Option<Code<'_>>) -> (u16, &'static str) {
        google_status(&Failure {
            message: "m",
            error_type,
            code,
        })
    }

    #[test]
    fn errors_get_a_code_and_a_google_status() {
        assert_eq!(
            status("UNAVAILABLE", Some(Code::Number(503))),
            (503, "UNAVAILABLE")
        );
        assert_eq!(
            status("RESOURCE_EXHAUSTED", None),
            (429, "RESOURCE_EXHAUSTED")
        );
        assert_eq!(status("overloaded_error", None), (503, "UNAVAILABLE"));
        assert_eq!(
            status("throttlingException", None),
            (429, "RESOURCE_EXHAUSTED")
        );
        assert_eq!(
            status("server_error", Some(Code::Text("rate_limit_exceeded"))),
            (429, "RESOURCE_EXHAUSTED")
        );
        assert_eq!(
            status("invalid_request_error", None),
            (400, "INVALID_ARGUMENT")
        );
        assert_eq!(status("x", Some(Code::Number(404))), (404, "NOT_FOUND"));
        assert_eq!(status("x", Some(Code::Text("502"))), (502, "INTERNAL"));
        assert_eq!(
            status("upstream_error", Some(Code::Text("stream_truncated"))),
            (500, "INTERNAL")
        );
        assert_eq!(status("x", Some(Code::Number(200))), (500, "INTERNAL"));
    }

    #[test]
    fn nesting_counts_containers_not_brackets_in_strings() {
        assert_eq!(super::nesting(r#"{}"#), 1);
        assert_eq!(super::nesting(r#"{"a":[{"b":"}]{[\"["}],"c":[]}"#), 3);
        assert_eq!(super::nesting(r#"{"a":"\\","b":[[1]]}"#), 3);
    }
}
