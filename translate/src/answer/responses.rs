//! OpenAI Responses' whole answer: a `response` object, whose `output`
//! items are read and written.

use std::borrow::Cow;

use argstream::Format;
use argstream::neutral::{Finish, ResponsesUsage, Usage};
use serde_json::{Map, Value};

use super::{Answer, Arguments, Block, Call, Object, Reasoning, ResponseOptions, count, elements};
use crate::Error;
use crate::json::{self, at, index};

pub(super) fn read(root: &Map<String, Value>) -> Result<Answer<'_>, Error> {
    let mut answer = Answer {
        id: json::str(root, "id", "$")?.unwrap_or(""),
        model: json::str(root, "model", "$")?.unwrap_or(""),
        created: json::uint(root, "created_at", "$")?,
        usage: usage(json::object(root, "usage", "$")?)?,
        ..Answer::default()
    };
    if let Some(status) = json::str(root, "status", "$")? {
        let details = json::object(root, "incomplete_details", "$")?;
        let reason = match details {
            Some(details) => json::str(details, "reason", "incomplete_details")?,
            None => None,
        };
        answer.finish = Some(Finish::read(Format::OpenAiResponses, status, reason));
    }
    for (n, item) in elements(json::array(root, "output", "$")?) {
        let path = index("output", n);
        read_item(json::as_object(item, &path)?, path, &mut answer.blocks)?;
    }
    Ok(answer)
}

fn read_item<'a>(
    item: &'a Map<String, Value>,
    path: String,
    blocks: &mut Vec<Block<'a>>,
) -> Result<(), Error> {
    match json::need_str(item, "type", &path)? {
        "message" => {
            for (n, part) in elements(json::array(item, "content", &path)?) {
                let path = index(&at(&path, "content"), n);
                let part = json::as_object(part, &path)?;
                let block = match json::need_str(part, "type", &path)? {
                    "output_text" => {
                        json::str(part, "text", &path)?.map(|text| Block::Text(Cow::Borrowed(text)))
                    }
                    "refusal" => json::str(part, "refusal", &path)?.map(Block::Refusal),
                    _ => None,
                };
                blocks
                    .extend(block.filter(|block| !matches!(block, Block::Text(t) if t.is_empty())));
            }
        }
        "reasoning" => {
            // The summary the API shows, else the raw reasoning text some
            // servers give; parts end to end, as the relay joins their
            // deltas.
            let mut text = joined(item, "summary", "summary_text", &path)?;
            if text.is_empty() {
                text = joined(item, "content", "reasoning_text", &path)?;
            }
            let signature = json::str(item, "encrypted_content", &path)?;
            if !text.is_empty() || signature.is_some() {
                blocks.push(Block::Reasoning(Reasoning {
                    origin: Format::OpenAiResponses,
                    text,
                    signature,
                    redacted: None,
                }));
            }
        }
        "function_call" => blocks.push(Block::Call(Call {
            id: Cow::Borrowed(json::str(item, "call_id", &path)?.unwrap_or("")),
            name: json::need_str(item, "name", &path)?,
            arguments: Arguments::Text(json::str(item, "arguments", &path)?.unwrap_or("")),
            custom: false,
            signature: None,
            path: at(&path, "arguments"),
        })),
        "custom_tool_call" => blocks.push(Block::Call(Call {
            id: Cow::Borrowed(json::str(item, "call_id", &path)?.unwrap_or("")),
            name: json::need_str(item, "name", &path)?,
            arguments: Arguments::Text(json::str(item, "input", &path)?.unwrap_or("")),
            custom: true,
            signature: None,
            path: at(&path, "input"),
        })),
        // The provider's own tools (web search, file search, ...): not
        // calls of the client's, as the relay has them.
        _ => {}
    }
    Ok(())
}

/// The `text` of the parts of type `kind` under `name`, end to end.
fn joined<'a>(
    item: &'a Map<String, Value>,
    name: &str,
    kind: &str,
    path: &str,
) -> Result<Cow<'a, str>, Error> {
    let mut texts = Vec::new();
    for (n, part) in elements(json::array(item, name, path)?) {
        let path = index(&at(path, name), n);
        let part = json::as_object(part, &path)?;
        if json::str(part, "type", &path)? == Some(kind)
            && let Some(text) = json::str(part, "text", &path)?.filter(|text| !text.is_empty())
        {
            texts.push(text);
        }
    }
    Ok(match texts.as_slice() {
        [] => Cow::Borrowed(""),
        [one] => Cow::Borrowed(one),
        many => Cow::Owned(many.concat()),
    })
}

fn usage(usage: Option<&Map<String, Value>>) -> Result<Option<Usage>, Error> {
    let Some(object) = usage else {
        return Ok(None);
    };
    let path = "usage";
    let input = json::object(object, "input_tokens_details", path)?;
    let output = json::object(object, "output_tokens_details", path)?;
    Ok(Some(Usage::from(ResponsesUsage {
        input_tokens: json::uint(object, "input_tokens", path)?,
        output_tokens: json::uint(object, "output_tokens", path)?,
        total_tokens: json::uint(object, "total_tokens", path)?,
        cached_tokens: count(input, "cached_tokens", "usage.input_tokens_details")?,
        reasoning_tokens: count(output, "reasoning_tokens", "usage.output_tokens_details")?,
    })))
}

/// The response object as the relay's `response.completed` (or
/// `response.incomplete`) carries it: text and refusal in `message`
/// items (one for each run of them), reasoning in `reasoning` items, each
/// call in a `function_call` (or `custom_tool_call`) item.
pub(super) fn write(answer: &Answer<'_>, options: &ResponseOptions) -> Map<String, Value> {
    let id = answer.id();
    let mut output: Vec<Value> = Vec::new();
    let mut message: Vec<Value> = Vec::new();
    for block in &answer.blocks {
        let part = match block {
            Block::Text(text) => Some(
                Object::new()
                    .with("type", "output_text")
                    .with("text", text.as_ref())
                    .with("annotations", Vec::<Value>::new())
                    .with("logprobs", Vec::<Value>::new()),
            ),
            Block::Refusal(text) => {
                Some(Object::new().with("type", "refusal").with("refusal", *text))
            }
            _ => None,
        };
        if let Some(part) = part {
            message.push(part.into());
            continue;
        }
        close_message(&mut output, &mut message, id);
        let at = output.len();
        match block {
            Block::Reasoning(reasoning) => output.push(reasoning_item(reasoning, id, at)),
            Block::Call(call) => output.push(call_item(call, id, at)),
            Block::Text(_) | Block::Refusal(_) => {}
        }
    }
    close_message(&mut output, &mut message, id);
    let finish = answer
        .finish()
        .words(Format::OpenAiResponses, answer.made_calls());
    let incomplete = finish
        .detail
        .map(|reason| Object::new().with("reason", reason));
    Object::new()
        .with("id", id)
        .with("object", "response")
        .with("created_at", answer.created.unwrap_or(options.created))
        .with("status", finish.reason)
        .with("error", Value::Null)
        .with("incomplete_details", incomplete)
        .with("instructions", Value::Null)
        .with("metadata", Map::new())
        .with("model", answer.model(options))
        .with("output", output)
        .with("parallel_tool_calls", true)
        .with("temperature", Value::Null)
        .with("tool_choice", "auto")
        .with("tools", Vec::<Value>::new())
        .with("top_p", Value::Null)
        .with("usage", answer.usage.map(write_usage))
        .build()
}

/// `msg_…`, `rs_…` or `fc_…`: the response id and the output index, as the
/// relay names its items.
fn item_id(prefix: &str, response: &str, at: usize) -> String {
    format!("{prefix}_{response}_{at}")
}

/// Writes the message item of the parts gathered, if any.
fn close_message(output: &mut Vec<Value>, parts: &mut Vec<Value>, id: &str) {
    if parts.is_empty() {
        return;
    }
    let item = Object::new()
        .with("id", item_id("msg", id, output.len()))
        .with("type", "message")
        .with("status", "completed")
        .with("role", "assistant")
        .with("content", std::mem::take(parts));
    output.push(item.into());
}

/// A `reasoning` item: the text as its summary; an Anthropic signature, or
/// its redacted thinking, as its `encrypted_content`, which a Responses
/// client keeps and sends back.
fn reasoning_item(reasoning: &Reasoning<'_>, id: &str, at: usize) -> Value {
    let mut summary = Vec::new();
    if !reasoning.text.is_empty() {
        summary.push(Value::from(
            Object::new()
                .with("type", "summary_text")
                .with("text", reasoning.text.as_ref()),
        ));
    }
    let encrypted = match reasoning.origin {
        Format::Anthropic => reasoning.redacted.or(reasoning.signature),
        _ => None,
    };
    Object::new()
        .with("id", item_id("rs", id, at))
        .with("type", "reasoning")
        .with("summary", summary)
        .maybe("encrypted_content", encrypted)
        .into()
}

fn call_item(call: &Call<'_>, id: &str, at: usize) -> Value {
    if call.custom {
        let input = call.input();
        return Object::new()
            .with("id", item_id("ctc", id, at))
            .with("type", "custom_tool_call")
            .with("status", "completed")
            .with("call_id", call.id.as_ref())
            .with("name", call.name)
            .with("input", input)
            .into();
    }
    Object::new()
        .with("id", item_id("fc", id, at))
        .with("type", "function_call")
        .with("status", "completed")
        .with("arguments", call.arguments.text())
        .with("call_id", call.id.as_ref())
        .with("name", call.name)
        .into()
}

fn write_usage(usage: Usage) -> Object {
    let counts = usage.responses();
    Object::new()
        .with("input_tokens", counts.input_tokens.unwrap_or(0))
        .with(
            "input_tokens_details",
            Object::new()
                .with("cached_tokens", counts.cached_tokens.unwrap_or(0))
                // The SDKs' type requires it; neutral usage has no count
                // of it in Responses' terms, and the relay writes 0 too.
                .with("cache_write_tokens", 0),
        )
        .with("output_tokens", counts.output_tokens.unwrap_or(0))
        .with(
            "output_tokens_details",
            Object::new().with("reasoning_tokens", counts.reasoning_tokens.unwrap_or(0)),
        )
        .with("total_tokens", counts.total_tokens.unwrap_or(0))
}
