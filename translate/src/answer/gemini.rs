//! Google Gemini's whole answer: a `GenerateContentResponse`, of which
//! candidate 0 is read and written.

use std::borrow::Cow;

use argstream::Format;
use argstream::neutral::{Finish, GeminiUsage, Usage};
use serde_json::{Map, Value};

use super::{Answer, Arguments, Block, Call, Object, Reasoning, ResponseOptions, elements};
use crate::Error;
use crate::json::{self, at, index};

pub(super) fn read(root: &Map<String, Value>) -> Result<Answer<'_>, Error> {
    let mut answer = Answer {
        id: json::str(root, "responseId", "$")?.unwrap_or(""),
        model: json::str(root, "modelVersion", "$")?.unwrap_or(""),
        usage: usage(json::object(root, "usageMetadata", "$")?)?,
        ..Answer::default()
    };
    let mut first = None;
    for (n, candidate) in elements(json::array(root, "candidates", "$")?) {
        let path = index("candidates", n);
        let candidate = json::as_object(candidate, &path)?;
        if json::uint(candidate, "index", &path)?.unwrap_or(0) == 0 {
            first = Some((candidate, path));
            break;
        }
    }
    if let Some((candidate, path)) = first {
        if let Some(word) =
            json::str(candidate, "finishReason", &path)?.filter(|word| !word.is_empty())
        {
            answer.finish = Some(Finish::read(Format::Gemini, word, None));
        }
        if let Some(content) = json::object(candidate, "content", &path)? {
            let path = at(&path, "content");
            read_parts(
                json::array(content, "parts", &path)?,
                &at(&path, "parts"),
                answer.id,
                &mut answer.blocks,
            )?;
        }
    }
    if let Some(feedback) = json::object(root, "promptFeedback", "$")?
        && json::str(feedback, "blockReason", "promptFeedback")?.is_some()
        && answer.finish.is_none()
    {
        answer.finish = Some(Finish::ContentFilter);
    }
    Ok(answer)
}

/// Text, thoughts and calls; other parts (`inlineData`, `executableCode`,
/// ...) are not answer text, as the relay has them.
fn read_parts<'a>(
    parts: Option<&'a [Value]>,
    path: &str,
    response_id: &str,
    blocks: &mut Vec<Block<'a>>,
) -> Result<(), Error> {
    let mut calls = 0;
    for (n, part) in elements(parts) {
        let path = index(path, n);
        let part = json::as_object(part, &path)?;
        let signature = json::str(part, "thoughtSignature", &path)?;
        if let Some(text) = json::str(part, "text", &path)?.filter(|text| !text.is_empty()) {
            blocks.push(if json::bool(part, "thought", &path)? == Some(true) {
                Block::Reasoning(Reasoning {
                    origin: Format::Gemini,
                    text: Cow::Borrowed(text),
                    signature,
                    redacted: None,
                })
            } else {
                Block::Text(Cow::Borrowed(text))
            });
        }
        if let Some(call) = json::object(part, "functionCall", &path)? {
            let path = at(&path, "functionCall");
            // Gemini's calls carry no id (where an API gives one, it is
            // kept): the relay's decoder names them by the response and
            // their ordinal.
            let id = match json::str(call, "id", &path)?.filter(|id| !id.is_empty()) {
                Some(id) => Cow::Borrowed(id),
                None => Cow::Owned(format!("call_{response_id}_{calls}")),
            };
            calls += 1;
            blocks.push(Block::Call(Call {
                id,
                name: json::need_str(call, "name", &path)?,
                arguments: Arguments::Value(call.get("args")),
                custom: false,
                signature,
                path: at(&path, "args"),
            }));
        }
    }
    Ok(())
}

fn usage(usage: Option<&Map<String, Value>>) -> Result<Option<Usage>, Error> {
    let Some(object) = usage else {
        return Ok(None);
    };
    let path = "usageMetadata";
    let usage = Usage::from(GeminiUsage {
        prompt_token_count: json::uint(object, "promptTokenCount", path)?,
        tool_use_prompt_token_count: json::uint(object, "toolUsePromptTokenCount", path)?,
        candidates_token_count: json::uint(object, "candidatesTokenCount", path)?,
        thoughts_token_count: json::uint(object, "thoughtsTokenCount", path)?,
        total_token_count: json::uint(object, "totalTokenCount", path)?,
        cached_content_token_count: json::uint(object, "cachedContentTokenCount", path)?,
    });
    // `{"trafficType":"ON_DEMAND"}` counts nothing.
    Ok((usage != Usage::default()).then_some(usage))
}

/// The containers around a call's `args`: the response, `candidates`, the
/// candidate, `content`, `parts`, the part, `functionCall`.
const WRAPPING: usize = 7;

/// `{"candidates":[{"content":{"role":"model","parts":[…]},"finishReason",
/// "index":0}],"usageMetadata","modelVersion","responseId"}`, as the
/// relay's last event has them.
pub(super) fn write(answer: &Answer<'_>, options: &ResponseOptions) -> Map<String, Value> {
    let id = answer.id();
    let mut parts: Vec<Value> = Vec::new();
    let mut written = 0;
    let mut dropped = false;
    for block in &answer.blocks {
        let part = match block {
            Block::Text(text) => Object::new().with("text", text.as_ref()),
            Block::Refusal(text) => Object::new().with("text", *text),
            Block::Reasoning(reasoning) if reasoning.text.is_empty() => continue,
            Block::Reasoning(reasoning) => Object::new()
                .with("text", reasoning.text.as_ref())
                .with("thought", true)
                .maybe(
                    "thoughtSignature",
                    own(reasoning.origin, reasoning.signature),
                ),
            Block::Call(call) => {
                let Some(args) = call.object(WRAPPING) else {
                    dropped = true;
                    continue;
                };
                // The id a Gemini reader makes anyway is left out, so that
                // Gemini to Gemini a call comes out as it came.
                let made = format!("call_{id}_{written}");
                written += 1;
                let function = Object::new()
                    .maybe(
                        "id",
                        (!call.id.is_empty() && call.id != made).then_some(call.id.as_ref()),
                    )
                    .with("name", call.name)
                    .with("args", args);
                Object::new()
                    .with("functionCall", function)
                    .maybe("thoughtSignature", call.signature)
            }
        };
        parts.push(part.into());
    }
    let finish = match answer.finish() {
        Finish::Stop | Finish::ToolCalls | Finish::StopSequence(_) if dropped => {
            Finish::Other("MALFORMED_FUNCTION_CALL")
        }
        finish => finish,
    };
    let finish = finish.words(Format::Gemini, answer.made_calls());
    let candidate = Object::new()
        .with(
            "content",
            Object::new().with("role", "model").with("parts", parts),
        )
        .with("finishReason", finish.reason)
        .with("index", 0);
    Object::new()
        .with("candidates", vec![Value::from(candidate)])
        .maybe("usageMetadata", answer.usage.map(write_usage))
        .with("modelVersion", answer.model(options))
        .with("responseId", id)
        .build()
}

/// A signature Gemini can read back: its own.
fn own(origin: Format, signature: Option<&str>) -> Option<&str> {
    signature.filter(|_| origin == Format::Gemini)
}

fn write_usage(usage: Usage) -> Object {
    let counts = usage.gemini();
    Object::new()
        .with("promptTokenCount", counts.prompt_token_count.unwrap_or(0))
        .with(
            "candidatesTokenCount",
            counts.candidates_token_count.unwrap_or(0),
        )
        .with("totalTokenCount", counts.total_token_count.unwrap_or(0))
        .maybe("cachedContentTokenCount", counts.cached_content_token_count)
        .maybe("thoughtsTokenCount", counts.thoughts_token_count)
}

/// `{"error":{"code","message","status"}}`.
pub(super) fn write_error(code: u16, message: &str, status: &str) -> Map<String, Value> {
    let error = Object::new()
        .with("code", code)
        .with("message", message)
        .with("status", status);
    Object::new().with("error", error).build()
}
