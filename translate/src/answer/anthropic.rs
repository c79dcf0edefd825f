//! Anthropic's whole answer: a `Message`.

use std::borrow::Cow;

use argstream::Format;
use argstream::neutral::{AnthropicUsage, Finish, Usage};
use serde_json::{Map, Value};

use super::{Answer, Arguments, Block, Call, Object, Reasoning, ResponseOptions, elements};
use crate::Error;
use crate::json::{self, at, index};

pub(super) fn read(root: &Map<String, Value>) -> Result<Answer<'_>, Error> {
    if let Some(kind) = json::str(root, "type", "$")?
        && kind != "message"
    {
        return Err(Error::shape(
            "type",
            "an Anthropic answer is of type \"message\"",
        ));
    }
    let mut answer = Answer {
        id: json::str(root, "id", "$")?.unwrap_or(""),
        model: json::str(root, "model", "$")?.unwrap_or(""),
        usage: usage(json::object(root, "usage", "$")?)?,
        ..Answer::default()
    };
    if let Some(word) = json::str(root, "stop_reason", "$")? {
        let sequence = json::str(root, "stop_sequence", "$")?;
        answer.finish = Some(Finish::read(Format::Anthropic, word, sequence));
    }
    for (n, block) in elements(json::array(root, "content", "$")?) {
        let path = index("content", n);
        let block = json::as_object(block, &path)?;
        let read = match json::need_str(block, "type", &path)? {
            "text" => json::str(block, "text", &path)?
                .filter(|text| !text.is_empty())
                .map(|text| Block::Text(Cow::Borrowed(text))),
            "thinking" => Some(Block::Reasoning(Reasoning {
                origin: Format::Anthropic,
                text: Cow::Borrowed(json::str(block, "thinking", &path)?.unwrap_or("")),
                signature: json::str(block, "signature", &path)?,
                redacted: None,
            })),
            "redacted_thinking" => Some(Block::Reasoning(Reasoning {
                origin: Format::Anthropic,
                text: Cow::Borrowed(""),
                signature: None,
                redacted: Some(json::need_str(block, "data", &path)?),
            })),
            "tool_use" => Some(Block::Call(Call {
                id: Cow::Borrowed(json::str(block, "id", &path)?.unwrap_or("")),
                name: json::need_str(block, "name", &path)?,
                arguments: Arguments::Value(block.get("input")),
                custom: false,
                signature: None,
                path: at(&path, "input"),
            })),
            // A tool the provider ran itself (`server_tool_use`, its
            // results): not a call of the client's, as the relay has it.
            _ => None,
        };
        answer.blocks.extend(read);
    }
    Ok(answer)
}

fn usage(usage: Option<&Map<String, Value>>) -> Result<Option<Usage>, Error> {
    let Some(object) = usage else {
        return Ok(None);
    };
    let path = "usage";
    Ok(Some(Usage::from(AnthropicUsage {
        input_tokens: json::uint(object, "input_tokens", path)?,
        output_tokens: json::uint(object, "output_tokens", path)?,
        cache_read_input_tokens: json::uint(object, "cache_read_input_tokens", path)?,
        cache_creation_input_tokens: json::uint(object, "cache_creation_input_tokens", path)?,
    })))
}

/// The containers around a call's `input`: the message, `content`, the
/// block.
const WRAPPING: usize = 3;

/// `{"id","type":"message","role":"assistant","model","content":[…],
/// "stop_reason","stop_sequence","usage"}`.
///
/// # Errors
/// A call whose arguments are not a JSON object, which `input` must be.
pub(super) fn write(
    answer: &Answer<'_>,
    options: &ResponseOptions,
) -> Result<Map<String, Value>, Error> {
    let mut content = Vec::with_capacity(answer.blocks.len());
    for block in &answer.blocks {
        content.extend(match block {
            Block::Text(text) => Some(text_block(text)),
            // Anthropic has no refusal block: a refusal is text, and the
            // stop reason says `refusal`.
            Block::Refusal(text) => Some(text_block(text)),
            Block::Reasoning(reasoning) => thinking_block(reasoning),
            Block::Call(call) => {
                let input = call.object(WRAPPING).ok_or_else(|| {
                    Error::shape(
                        &call.path,
                        "a call's arguments are not a JSON object, which Anthropic's input must be",
                    )
                })?;
                Some(
                    Object::new()
                        .with("type", "tool_use")
                        .with("id", call.id.as_ref())
                        .with("name", call.name)
                        .with("input", input)
                        .into(),
                )
            }
        });
    }
    let finish = answer
        .finish()
        .words(Format::Anthropic, answer.made_calls());
    let usage = answer.usage.unwrap_or_default().anthropic();
    let usage = Object::new()
        .with("input_tokens", usage.input_tokens.unwrap_or(0))
        .with("output_tokens", usage.output_tokens.unwrap_or(0))
        .maybe(
            "cache_creation_input_tokens",
            usage.cache_creation_input_tokens,
        )
        .maybe("cache_read_input_tokens", usage.cache_read_input_tokens);
    Ok(Object::new()
        .with("id", answer.id())
        .with("type", "message")
        .with("role", "assistant")
        .with("model", answer.model(options))
        .with("content", content)
        .with("stop_reason", finish.reason)
        .with("stop_sequence", finish.detail)
        .with("usage", usage)
        .build())
}

fn text_block(text: &str) -> Value {
    Object::new().with("type", "text").with("text", text).into()
}

/// A `thinking` block, whose signature only Anthropic's own reasoning
/// has; others get an empty one, as the relay's blocks start with, and
/// none at all when they have no text either (a Responses item with only
/// its `encrypted_content`, which Anthropic cannot read).
fn thinking_block(reasoning: &Reasoning<'_>) -> Option<Value> {
    let own = reasoning.origin == Format::Anthropic;
    if !own {
        return (!reasoning.text.is_empty()).then(|| thinking(&reasoning.text, ""));
    }
    Some(match reasoning.redacted {
        Some(data) => Object::new()
            .with("type", "redacted_thinking")
            .with("data", data)
            .into(),
        None => thinking(&reasoning.text, reasoning.signature.unwrap_or("")),
    })
}

fn thinking(text: &str, signature: &str) -> Value {
    Object::new()
        .with("type", "thinking")
        .with("thinking", text)
        .with("signature", signature)
        .into()
}

/// `{"type":"error","error":{"type","message"}}`.
pub(super) fn write_error(error_type: &str, message: &str) -> Map<String, Value> {
    let error = Object::new()
        .with("type", error_type)
        .with("message", message);
    Object::new()
        .with("type", "error")
        .with("error", error)
        .build()
}
