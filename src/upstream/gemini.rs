//! Google Gemini `streamGenerateContent?alt=sse` (the Gemini API and
//! Vertex AI): each `data:` payload is a `GenerateContentResponse`, with no
//! `event:` names and no `[DONE]`; the body's end is the response's end.
//!
//! - **Text.** `candidates[0].content.parts[]`: a `text` part is answer
//!   text, one with `"thought": true` reasoning. `thoughtSignature`,
//!   `executableCode`, `codeExecutionResult` and `inlineData` are not answer
//!   text and are skipped. Candidates other than index 0 are ignored, as a
//!   format with no choices carries choice 0 alone.
//! - **Calls.** A part's whole `functionCall {name, args}` is a call whose
//!   arguments are the raw JSON text of `args`, a slice of the payload (`{}`
//!   when it has none). Vertex streams a call instead
//!   (`streamFunctionCallArguments`): `functionCall {name, willContinue:
//!   true}` opens it, the `partialArgs` of the `functionCall` parts after it
//!   carry its arguments piece by piece at JSON paths, and the first
//!   `functionCall` without `willContinue` ends it. The decoder assembles
//!   those pieces into JSON text as they arrive (see `partial`), and each
//!   event's new text is the call's next argument fragment: a target key's
//!   string streams as soon as its piece arrives. A path that cannot be
//!   written in order fails that call alone ([`Upstream::CallError`]).
//! - **Ids.** Gemini calls carry none (a `functionCall.id`, where an API
//!   gives one, is kept): a call's id is `call_` + the `responseId` + `_` +
//!   its ordinal in the response, from 0 (`call_dqHOab6xGLzWodAPkPuViA4_0`),
//!   distinct within a response and the same however the stream is cut.
//! - **Signatures.** The `thoughtSignature` of a `functionCall` part is the
//!   call's signature ([`CallDelta::signature`](super::CallDelta::signature)),
//!   which a Gemini client must give back with the call; other parts'
//!   signatures are skipped.
//! - **Finish.** Some streams send a `finishReason`, then more text and a
//!   second one; the first is the response's finish, and it goes out once,
//!   when the body ends ([`super::Decoder::finish`]), read by
//!   [`Finish::read`]; a prompt blocked by `promptFeedback.blockReason` is
//!   `SAFETY`. A body that ends with no `finishReason` was cut off.
//! - **Usage.** `usageMetadata` comes with every event, counting so far,
//!   read by [`GeminiUsage`]: thoughts are counted beside the candidates,
//!   tool-use prompt tokens beside the prompt's. A `usageMetadata` with no count
//!   (`{"trafficType":"ON_DEMAND"}`) is no usage.
//! - **Errors.** An in-stream `{"error":{"code","message","status"}}` is an
//!   upstream error, of type `status`.

mod partial;

use std::fmt::Write as _;

use self::partial::{Assembler, Piece};
use super::reader::{At, Doc, Names, Scalar};
use super::{CallDelta, CallRef, Finish, Format, Sink, Upstream, UpstreamError, text};
use super::{key, keys};
use crate::neutral::{GeminiUsage, KeptFinish};
use crate::sse::SseEvent;
use crate::{Error, ErrorKind};

/// The names this decoder reads, as [`key!`] finds them.
const READ: Names = super::formats::read_by(Format::Gemini);

/// What a Gemini stream carries from one event to the next.
#[derive(Debug, Default)]
pub(super) struct State {
    /// Calls opened so far: the next call's ordinal.
    calls: u64,
    /// The streamed call being assembled, by ordinal.
    streaming: Option<u64>,
    assembler: Assembler,
    /// The first `finishReason`, kept for the end of the body.
    finish: KeptFinish,
    /// Reused: a made call id, and one event's assembled arguments.
    id: String,
    fragment: String,
}

impl State {
    /// Back to its fresh state ([`Default`]), its buffers' memory kept.
    pub(super) fn reset(&mut self) {
        let old = std::mem::take(self);
        let mut finish = old.finish;
        finish.clear();
        let (mut id, mut fragment) = (old.id, old.fragment);
        id.clear();
        fragment.clear();
        *self = State {
            // Restarted with each streamed call.
            assembler: old.assembler,
            finish,
            id,
            fragment,
            ..State::default()
        };
    }

    /// The body ended: the response's finish, if upstream gave one.
    pub(super) fn finish(&mut self, sink: &mut impl Sink) -> Result<(), Error> {
        match self.finish.get() {
            Some(finish) => sink.event(Upstream::Finish(finish)),
            None => Ok(()),
        }
    }

    fn keep_finish(&mut self, word: &str) {
        if !self.finish.is_some() {
            self.finish.set(Finish::read(Format::Gemini, word, None));
        }
    }
}

/// Makes the id of a call Gemini gave none, in `out`: `call_` + the
/// `responseId` of the event that carries it + `_` + the call's ordinal in
/// the response. The decoder names such calls so; the Gemini renderer leaves
/// out an id a reader would make the same.
pub(crate) fn made_call_id(out: &mut String, response_id: &str, ordinal: u64) {
    out.clear();
    let _ = write!(out, "call_{response_id}_{ordinal}");
}

pub(super) fn decode(
    doc: Result<Doc<'_>, Error>,
    state: &mut State,
    event: &SseEvent,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let data = event.data();
    let Some(doc) = super::unless_empty(doc, data)? else {
        return Ok(());
    };
    let root = Some(doc.root()?);
    let [
        error,
        candidates,
        usage,
        feedback,
        response_id,
        model,
        created,
    ] = doc.pick(
        root,
        keys![
            "error",
            "candidates",
            "usageMetadata",
            "promptFeedback",
            "responseId",
            "modelVersion",
            "createTime",
        ],
    )?;
    if let Some(error) = doc.object(error)? {
        let at = Some(error);
        return sink.event(Upstream::Error(UpstreamError {
            message: doc.str(at, key!("message"))?,
            error_type: doc.str(at, key!("status"))?,
            code: doc.code(at, key!("code"))?,
            raw: doc.raw(error),
        }));
    }
    let response_id = doc.string(response_id)?;
    sink.event(Upstream::Response {
        id: response_id,
        model: doc.string(model)?,
        created: doc.string(created)?.and_then(unix_seconds),
    })?;
    let mut first = None;
    for candidate in doc.elements(candidates)? {
        let candidate = doc.object(Some(candidate))?;
        if first.is_none() && doc.unsigned(candidate, key!("index"))?.unwrap_or(0) == 0 {
            first = candidate;
        }
    }
    if let Some(candidate) = first {
        let [content, finish] = doc.pick(Some(candidate), keys!["content", "finishReason"])?;
        let parts = doc.get(doc.object(content)?, key!("parts"))?;
        for part in doc.elements(parts)? {
            read_part(&doc, state, doc.object(Some(part))?, response_id, sink)?;
        }
        if let Some(word) = doc.string(finish)?.filter(|word| !word.is_empty()) {
            state.keep_finish(word);
        }
    }
    if doc
        .str(doc.object(feedback)?, key!("blockReason"))?
        .is_some()
    {
        state.keep_finish("SAFETY");
    }
    read_usage(&doc, doc.object(usage)?, sink)
}

fn read_part(
    doc: &Doc<'_>,
    state: &mut State,
    part: Option<At>,
    response_id: Option<&str>,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let [text_at, thought, call, signature] = doc.pick(
        part,
        keys!["text", "thought", "functionCall", "thoughtSignature"],
    )?;
    let wrap = match doc.boolean(thought)? {
        Some(true) => Upstream::Reasoning,
        _ => Upstream::Text,
    };
    text(doc.string(text_at)?, wrap, sink)?;
    match doc.object(call)? {
        Some(call) => {
            let signature = doc.string(signature)?.filter(|s| !s.is_empty());
            function_call(doc, state, (call, signature), response_id, sink)
        }
        None => Ok(()),
    }
}

fn function_call(
    doc: &Doc<'_>,
    state: &mut State,
    (call, signature): (At, Option<&str>),
    response_id: Option<&str>,
    sink: &mut impl Sink,
) -> Result<(), Error> {
    let [name, args, pieces, more, id] = doc.pick(
        Some(call),
        keys!["name", "args", "partialArgs", "willContinue", "id"],
    )?;
    let more = doc.boolean(more)?.unwrap_or(false);
    let name = doc.string(name)?.filter(|name| !name.is_empty());
    let args = doc.object(args)?;
    let ordinal = match state.streaming {
        Some(ordinal) => ordinal,
        // A closing `{}` with no call open says nothing.
        None if name.is_none() && args.is_none() && pieces.is_none() => return Ok(()),
        None => {
            let ordinal = state.calls;
            state.calls += 1;
            let id = match doc.string(id)?.filter(|id| !id.is_empty()) {
                Some(id) => id,
                None => {
                    made_call_id(&mut state.id, response_id.unwrap_or(""), ordinal);
                    &state.id
                }
            };
            let streamed = more || (pieces.is_some() && args.is_none());
            let whole = match args {
                Some(args) => doc.raw(args),
                None => "{}",
            };
            sink.event(Upstream::Call(CallDelta {
                call: CallRef {
                    index: Some(ordinal),
                    item: None,
                },
                opens: true,
                id: Some(id),
                name,
                arguments: (!streamed).then_some(whole),
                signature,
            }))?;
            if !streamed {
                return Ok(());
            }
            state.streaming = Some(ordinal);
            state.assembler.start();
            ordinal
        }
    };
    let fragment = &mut state.fragment;
    fragment.clear();
    let was_failed = state.assembler.failed();
    for piece in doc.elements(pieces)? {
        let piece = doc.object(Some(piece))?;
        let [path, string, number, boolean, null, piece_more] = doc.pick_with_nulls(
            piece,
            keys![
                "jsonPath",
                "stringValue",
                "numberValue",
                "boolValue",
                "nullValue",
                "willContinue",
            ],
        )?;
        let path = doc.string(path)?.unwrap_or("");
        let value = if let Some(at) = string.filter(|&at| doc.is_string(at)) {
            Piece::String {
                text: doc.raw_scalar(at, Scalar::String)?,
                more: doc
                    .boolean(piece_more.filter(|&at| !doc.is_null(at)))?
                    .unwrap_or(false),
            }
        } else if let Some(at) = number.filter(|&at| !doc.is_null(at)) {
            Piece::Raw(doc.raw_scalar(at, Scalar::Number)?)
        } else if let Some(at) = boolean.filter(|&at| !doc.is_null(at)) {
            Piece::Raw(doc.raw_scalar(at, Scalar::Bool)?)
        } else if null.is_some() {
            Piece::Raw("null")
        } else if let Some(at) = string.filter(|&at| !doc.is_null(at)) {
            // A `stringValue` that is not a string.
            return Err(Error::new(ErrorKind::MalformedChunk, doc.start(at)));
        } else {
            Piece::None
        };
        if state.assembler.piece(path, value, fragment).is_err() {
            break;
        }
    }
    if !more {
        state.assembler.end(fragment);
        state.streaming = None;
    }
    let call = CallRef {
        index: Some(ordinal),
        item: None,
    };
    if !fragment.is_empty() {
        sink.event(Upstream::Call(CallDelta {
            call,
            opens: false,
            id: None,
            name: None,
            arguments: Some(fragment),
            signature: None,
        }))?;
    }
    if state.assembler.failed() && !was_failed {
        // The offset is in the call's arguments: where they stopped.
        sink.event(Upstream::CallError {
            call,
            error: Error::new(ErrorKind::MalformedChunk, state.assembler.written()),
        })?;
    }
    Ok(())
}

fn read_usage(doc: &Doc<'_>, usage: Option<At>, sink: &mut impl Sink) -> Result<(), Error> {
    let Some(at) = usage else {
        return Ok(());
    };
    let [prompt, tool_prompt, candidates, thoughts, total, cached] = doc.pick(
        usage,
        keys![
            "promptTokenCount",
            "toolUsePromptTokenCount",
            "candidatesTokenCount",
            "thoughtsTokenCount",
            "totalTokenCount",
            "cachedContentTokenCount",
        ],
    )?;
    let counts = GeminiUsage {
        prompt_token_count: doc.unsigned_at(prompt)?,
        tool_use_prompt_token_count: doc.unsigned_at(tool_prompt)?,
        candidates_token_count: doc.unsigned_at(candidates)?,
        thoughts_token_count: doc.unsigned_at(thoughts)?,
        total_token_count: doc.unsigned_at(total)?,
        cached_content_token_count: doc.unsigned_at(cached)?,
    };
    let usage = crate::neutral::Usage::from(counts);
    if usage.input.is_none() && usage.output.is_none() && usage.total.is_none() {
        return Ok(());
    }
    sink.event(Upstream::Usage {
        usage,
        raw: doc.raw(at),
    })
}

/// Unix seconds of an RFC 3339 time (`2026-04-02T17:03:50.399550Z`, or with
/// an offset), or `None` for one that does not read.
fn unix_seconds(time: &str) -> Option<u64> {
    let b = time.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if b[13] != b':' || b[16] != b':' || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // The offset after the fraction: `Z` or `+hh:mm` / `-hh:mm`.
    let mut at = 19;
    if b[at] == b'.' {
        at += 1;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == b.len() && b[at + 3] == b':' => {
            let minutes = digits(at + 1..at + 3)? * 60 + digits(at + 4..at + 6)?;
            if sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::unix_seconds;

    #[test]
    fn reads_rfc_3339_times() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_seconds("2026-04-02T17:03:50.399550Z"),
            Some(1_775_149_430)
        );
        assert_eq!(
            unix_seconds("2026-04-02T19:03:50+02:00"),
            Some(1_775_149_430)
        );
        assert_eq!(unix_seconds("2000-02-29T12:00:00Z"), Some(951_825_600));
        for bad in [
            "",
            "2026-04-02",
            "2026-13-02T00:00:00Z",
            "2026-04-02T00:00:00",
            "x026-04-02T00:00:00Z",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }
}
