//! OpenAI chat completions: each `data:` payload is a `chat.completion.chunk`,
//! an `{"error":...}` object, or `[DONE]`.

use super::{CallDelta, CallRef, Finish, Sink, Upstream, UpstreamError, Usage};
use crate::Error;
use crate::chat::{Chunk, ChunkParser, ChunkView, ErrorCode};

#[derive(Debug)]
pub(super) struct ChatDecoder {
    parser: ChunkParser,
}

impl ChatDecoder {
    pub(super) fn new() -> ChatDecoder {
        ChatDecoder {
            parser: ChunkParser::new(),
        }
    }

    pub(super) fn decode(&mut self, data: &[u8], sink: &mut impl Sink) -> Result<(), Error> {
        match self.parser.parse(data)? {
            Chunk::Done => sink.event(Upstream::End),
            Chunk::Error(error) => sink.event(Upstream::Error(UpstreamError {
                message: error.message(),
                error_type: error.error_type(),
                code: error.code().map(|code| match code {
                    ErrorCode::Text(text) => super::Code::Text(text),
                    ErrorCode::Number(n) => super::Code::Number(n),
                }),
                raw: error.raw_json().unwrap_or("null"),
            })),
            Chunk::Data(view) => chunk(&view, sink),
        }
    }
}

fn chunk(view: &ChunkView<'_>, sink: &mut impl Sink) -> Result<(), Error> {
    sink.event(Upstream::Response {
        id: view.id(),
        model: view.model(),
        created: view.created(),
    })?;
    if is_forwardable(view) {
        let role = view.choices().any(|choice| choice.delta().role().is_some());
        sink.event(Upstream::Verbatim {
            payload: view.payload(),
            role,
        })?;
    }
    for choice in view.choices() {
        let delta = choice.delta();
        if let Some(text) = delta.reasoning().filter(|text| !text.is_empty()) {
            sink.event(Upstream::Reasoning(text))?;
        }
        for text in delta.text().filter(|text| !text.is_empty()) {
            sink.event(Upstream::Text(text))?;
        }
        if let Some(text) = delta.refusal().filter(|text| !text.is_empty()) {
            sink.event(Upstream::Refusal(text))?;
        }
        for call in choice.tool_calls() {
            sink.event(Upstream::Call(CallDelta {
                call: CallRef {
                    index: Some(u64::from(call.index())),
                    item: None,
                },
                opens: true,
                id: call.id().filter(|id| !id.is_empty()),
                name: call.name().filter(|name| !name.is_empty()),
                arguments: call.arguments(),
            }))?;
        }
    }
    if let Some(usage) = view.usage()
        && let Some(raw) = usage.raw_json()
    {
        let (prompt, completion) = (usage.prompt_tokens(), usage.completion_tokens());
        sink.event(Upstream::Usage(Usage {
            prompt,
            completion,
            total: usage.total_tokens(),
            cached: None,
            raw,
            openai_shape: true,
        }))?;
    }
    for choice in view.choices() {
        if let Some(reason) = choice.finish_reason() {
            sink.event(Upstream::Finish(finish(reason)))?;
        }
    }
    Ok(())
}

/// A chunk that carries only deltas of one choice (no finish, no usage) can
/// go to the client as it is: it says nothing the relay must rewrite. It must
/// name itself a `chat.completion.chunk`: the OpenAI SDK's stream helper
/// drops chunks that do not, and some providers (Azure, Copilot) leave
/// `object` out.
fn is_forwardable(view: &ChunkView<'_>) -> bool {
    if view.object() != Some("chat.completion.chunk") {
        return false;
    }
    let mut choices = view.choices();
    let Some(choice) = choices.next() else {
        return false;
    };
    if choices.next().is_some()
        || choice.index() != 0
        || choice.is_message()
        || choice.finish_reason().is_some()
        || view.usage().is_some()
    {
        return false;
    }
    let delta = choice.delta();
    delta.role().is_some()
        || delta.text().any(|text| !text.is_empty())
        || delta.reasoning().is_some_and(|text| !text.is_empty())
        || delta.refusal().is_some_and(|text| !text.is_empty())
        || delta.tool_calls().len() > 0
}

fn finish(reason: &str) -> Finish<'_> {
    match reason {
        "stop" => Finish::Stop,
        "length" => Finish::Length,
        "tool_calls" | "function_call" => Finish::ToolCalls,
        "content_filter" => Finish::ContentFilter,
        other => Finish::Other(other),
    }
}
