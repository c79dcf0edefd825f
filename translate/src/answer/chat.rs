//! OpenAI chat's whole answer: a `chat.completion`, of which choice 0 is
//! read and written.

use std::borrow::Cow;

use argstream::Format;
use argstream::neutral::{ChatUsage, Finish, Usage};
use serde_json::{Map, Value};

use super::{Answer, Arguments, Block, Call, Object, Reasoning, ResponseOptions, count, elements};
use crate::Error;
use crate::json::{self, at, index};

pub(super) fn read(root: &Map<String, Value>) -> Result<Answer<'_>, Error> {
    let mut answer = Answer {
        id: json::str(root, "id", "$")?.unwrap_or(""),
        model: json::str(root, "model", "$")?.unwrap_or(""),
        created: json::uint(root, "created", "$")?,
        usage: usage(json::object(root, "usage", "$")?)?,
        ..Answer::default()
    };
    let choices = json::array(root, "choices", "$")?;
    let mut first = None;
    for (n, choice) in elements(choices) {
        let path = index("choices", n);
        let choice = json::as_object(choice, &path)?;
        if json::uint(choice, "index", &path)?.unwrap_or(n as u64) == 0 {
            first = Some((choice, path));
            break;
        }
    }
    let Some((choice, path)) = first else {
        return Ok(answer);
    };
    if let Some(word) = json::str(choice, "finish_reason", &path)?.filter(|word| !word.is_empty()) {
        answer.finish = Some(Finish::read(Format::OpenAiChat, word, None));
    }
    let path = at(&path, "message");
    let Some(message) = json::object(choice, "message", &path)? else {
        return Ok(answer);
    };
    read_message(message, &path, &mut answer.blocks)?;
    Ok(answer)
}

/// Reasoning first, then text, refusal and calls: the order the relay
/// reads a chunk's members in.
fn read_message<'a>(
    message: &'a Map<String, Value>,
    path: &str,
    blocks: &mut Vec<Block<'a>>,
) -> Result<(), Error> {
    // `reasoning_content` (DeepSeek, vLLM), else `reasoning` (OpenRouter,
    // Groq).
    let reasoning = match json::str(message, "reasoning_content", path)? {
        Some(text) => Some(text),
        None => json::str(message, "reasoning", path)?,
    };
    if let Some(text) = reasoning.filter(|text| !text.is_empty()) {
        blocks.push(Block::Reasoning(Reasoning {
            origin: Format::OpenAiChat,
            text: Cow::Borrowed(text),
            signature: None,
            redacted: None,
        }));
    }
    match message.get("content") {
        Some(Value::String(text)) if !text.is_empty() => {
            blocks.push(Block::Text(Cow::Borrowed(text)))
        }
        Some(Value::Array(parts)) => {
            for (n, part) in parts.iter().enumerate() {
                let path = index(&at(path, "content"), n);
                let part = json::as_object(part, &path)?;
                if json::str(part, "type", &path)? == Some("text")
                    && let Some(text) =
                        json::str(part, "text", &path)?.filter(|text| !text.is_empty())
                {
                    blocks.push(Block::Text(Cow::Borrowed(text)));
                }
            }
        }
        None | Some(Value::Null | Value::String(_)) => {}
        Some(_) => {
            return Err(Error::shape(
                at(path, "content"),
                "expected a string or an array of parts",
            ));
        }
    }
    if let Some(refusal) = json::str(message, "refusal", path)?.filter(|text| !text.is_empty()) {
        blocks.push(Block::Refusal(refusal));
    }
    let calls_path = at(path, "tool_calls");
    for (n, call) in elements(json::array(message, "tool_calls", path)?) {
        let path = index(&calls_path, n);
        blocks.push(Block::Call(read_call(json::as_object(call, &path)?, path)?));
    }
    // The calls' predecessor: one `function_call`, with no id.
    if let Some(function) = json::object(message, "function_call", path)? {
        let path = at(path, "function_call");
        blocks.push(Block::Call(Call {
            id: Cow::Borrowed(""),
            name: json::need_str(function, "name", &path)?,
            arguments: Arguments::Text(json::str(function, "arguments", &path)?.unwrap_or("")),
            custom: false,
            signature: None,
            path: at(&path, "arguments"),
        }));
    }
    Ok(())
}

/// `{"id","type":"function","function":{"name","arguments"}}`, or a
/// freeform tool's `{"id","type":"custom","custom":{"name","input"}}`.
fn read_call(call: &Map<String, Value>, path: String) -> Result<Call<'_>, Error> {
    let id = Cow::Borrowed(json::str(call, "id", &path)?.unwrap_or(""));
    if json::str(call, "type", &path)? == Some("custom") {
        let custom_path = at(&path, "custom");
        let custom = json::object(call, "custom", &path)?.ok_or_else(|| {
            Error::shape(&custom_path, "a custom call has its name and input here")
        })?;
        return Ok(Call {
            id,
            name: json::need_str(custom, "name", &custom_path)?,
            arguments: Arguments::Text(json::str(custom, "input", &custom_path)?.unwrap_or("")),
            custom: true,
            signature: None,
            path: at(&custom_path, "input"),
        });
    }
    let function_path = at(&path, "function");
    let function = json::object(call, "function", &path)?
        .ok_or_else(|| Error::shape(&function_path, "a call has its name and arguments here"))?;
    Ok(Call {
        id,
        name: json::need_str(function, "name", &function_path)?,
        arguments: Arguments::Text(json::str(function, "arguments", &function_path)?.unwrap_or("")),
        custom: false,
        signature: None,
        path: at(&function_path, "arguments"),
    })
}

fn usage(usage: Option<&Map<String, Value>>) -> Result<Option<Usage>, Error> {
    let Some(object) = usage else {
        return Ok(None);
    };
    let path = "usage";
    let prompt = json::object(object, "prompt_tokens_details", path)?;
    let completion = json::object(object, "completion_tokens_details", path)?;
    Ok(Some(Usage::from(ChatUsage {
        prompt_tokens: json::uint(object, "prompt_tokens", path)?,
        completion_tokens: json::uint(object, "completion_tokens", path)?,
        total_tokens: json::uint(object, "total_tokens", path)?,
        cached_tokens: count(prompt, "cached_tokens", "usage.prompt_tokens_details")?,
        reasoning_tokens: count(
            completion,
            "reasoning_tokens",
            "usage.completion_tokens_details",
        )?,
    })))
}

/// `{"id","object":"chat.completion","created","model","choices":[{"index":0,
/// "message":{…},"logprobs":null,"finish_reason"}],"usage"}`: every text
/// block in `content`, every reasoning block in `reasoning_content`, each
/// joined as the relay's deltas join.
pub(super) fn write(answer: &Answer<'_>, options: &ResponseOptions) -> Map<String, Value> {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut refusal = String::new();
    let mut calls = Vec::new();
    for block in &answer.blocks {
        match block {
            Block::Text(piece) => text.push_str(piece),
            Block::Reasoning(piece) => reasoning.push_str(&piece.text),
            Block::Refusal(piece) => refusal.push_str(piece),
            Block::Call(call) => calls.push(write_call(call)),
        }
    }
    let some = |text: String| (!text.is_empty()).then_some(text);
    let mut message = Object::new()
        .with("role", "assistant")
        .with("content", some(text))
        .with("refusal", some(refusal))
        .maybe("reasoning_content", some(reasoning));
    if !calls.is_empty() {
        message = message.with("tool_calls", calls);
    }
    let finish = answer
        .finish()
        .words(Format::OpenAiChat, answer.made_calls());
    let choice = Object::new()
        .with("index", 0)
        .with("message", message)
        .with("logprobs", Value::Null)
        .with("finish_reason", finish.reason);
    Object::new()
        .with("id", answer.id())
        .with("object", "chat.completion")
        .with("created", answer.created.unwrap_or(options.created))
        .with("model", answer.model(options))
        .with("choices", vec![Value::from(choice)])
        .maybe("usage", answer.usage.map(write_usage))
        .build()
}

fn write_call(call: &Call<'_>) -> Value {
    let object = Object::new().with("id", call.id.as_ref());
    if call.custom {
        let input = call.input();
        let custom = Object::new().with("name", call.name).with("input", input);
        return object.with("type", "custom").with("custom", custom).into();
    }
    let function = Object::new()
        .with("name", call.name)
        .with("arguments", call.arguments.text());
    object
        .with("type", "function")
        .with("function", function)
        .into()
}

fn write_usage(usage: Usage) -> Object {
    let chat = usage.chat();
    let mut object = Object::new()
        .with("prompt_tokens", chat.prompt_tokens.unwrap_or(0))
        .with("completion_tokens", chat.completion_tokens.unwrap_or(0))
        .with("total_tokens", chat.total_tokens.unwrap_or(0));
    if let Some(cached) = chat.cached_tokens {
        object = object.with(
            "prompt_tokens_details",
            Object::new().with("cached_tokens", cached),
        );
    }
    if let Some(reasoning) = chat.reasoning_tokens {
        object = object.with(
            "completion_tokens_details",
            Object::new().with("reasoning_tokens", reasoning),
        );
    }
    object
}

/// `{"error":{"message","type","param":null,"code"}}`, the shape of chat's
/// and Responses' error bodies alike.
pub(super) fn write_error(
    message: &str,
    error_type: &str,
    code: Option<Value>,
) -> Map<String, Value> {
    let error = Object::new()
        .with("message", message)
        .with("type", error_type)
        .with("param", Value::Null)
        .with("code", code.unwrap_or(Value::Null));
    Object::new().with("error", error).build()
}
