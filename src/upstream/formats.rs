//! The one table of formats: all the crate says of a format outside its
//! decoder and its renderer, one row a format. Its name and the names it is
//! read by, how a stream tells it, whether a renderer answers in it, and the
//! paths its decoder reads (for the probe that holds the reader to
//! serde_json) are read from here, by [`Format`]'s `name` and `FromStr`,
//! detection, the output formats, the probe and the bindings.
//!
//! A new format is a decoder file, a renderer file (or none: its clients
//! are answered in chat), a [`Format`] variant with its dispatch arms, which
//! the compiler asks for, and a row here.

use super::Format;

/// One format's row.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) format: Format,
    /// Its name on the command line and in the bindings.
    pub(crate) name: &'static str,
    /// Other names it is read by.
    pub(crate) aliases: &'static [&'static str],
    /// How a stream tells it.
    pub(crate) detect: Detect,
    /// Whether a renderer answers in it: a client of a format without one
    /// is answered in chat.
    pub(crate) renders: bool,
    /// The paths its decoder reads, each in its order of reading: member
    /// names after `.`, `[*]` for every element of an array, `$` the root.
    /// Read by the probe of the tests (feature `test-windows`).
    #[cfg_attr(not(feature = "test-windows"), allow(dead_code))]
    pub(crate) paths: &'static [&'static str],
}

/// How a stream tells a format.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Detect {
    /// What no other row claims.
    Otherwise,
    /// An event whose `type` (or, without one, its SSE event name) starts
    /// with one of these.
    Prefixes(&'static [&'static [u8]]),
    /// An event with neither a name nor a `type` whose root has one of
    /// these members.
    Members(&'static [&'static str]),
    /// Binary event-stream frames.
    Frames,
}

/// Every format, in [`Format`]'s order.
pub(crate) const FORMATS: [Row; 5] = [
    Row {
        format: Format::OpenAiChat,
        name: "openai-chat",
        aliases: &["openai", "chat"],
        detect: Detect::Otherwise,
        renders: true,
        paths: &[
            "$.id",
            "$.model",
            "$.created",
            "$.object",
            "$.usage.prompt_tokens",
            "$.usage.completion_tokens",
            "$.usage.total_tokens",
            "$.usage.completion_tokens_details.reasoning_tokens",
            "$.choices[*].index",
            "$.choices[*].finish_reason",
            "$.choices[*].delta.role",
            "$.choices[*].delta.content[*].type",
            "$.choices[*].delta.content[*].text",
            "$.choices[*].delta.reasoning_content",
            "$.choices[*].delta.reasoning",
            "$.choices[*].delta.refusal",
            "$.choices[*].delta.tool_calls[*].index",
            "$.choices[*].delta.tool_calls[*].id",
            "$.choices[*].delta.tool_calls[*].type",
            "$.choices[*].delta.tool_calls[*].function.name",
            "$.choices[*].delta.tool_calls[*].function.arguments",
            "$.choices[*].message.role",
            "$.choices[*].message.content[*].type",
            "$.choices[*].message.content[*].text",
            "$.choices[*].message.reasoning_content",
            "$.choices[*].message.reasoning",
            "$.choices[*].message.refusal",
            "$.choices[*].message.tool_calls[*].index",
            "$.choices[*].message.tool_calls[*].id",
            "$.choices[*].message.tool_calls[*].type",
            "$.choices[*].message.tool_calls[*].function.name",
            "$.choices[*].message.tool_calls[*].function.arguments",
            "$.usage.prompt_tokens_details.cached_tokens",
        ],
    },
    Row {
        format: Format::OpenAiResponses,
        name: "openai-responses",
        aliases: &["responses"],
        detect: Detect::Prefixes(&[b"response."]),
        renders: true,
        paths: &[
            "$.output_index",
            "$.item_id",
            "$.arguments",
            "$.response.id",
            "$.response.model",
            "$.response.created_at",
            "$.response.usage.input_tokens",
            "$.response.usage.output_tokens",
            "$.response.usage.total_tokens",
            "$.response.usage.input_tokens_details.cached_tokens",
            "$.response.usage.output_tokens_details.reasoning_tokens",
            "$.response.incomplete_details.reason",
            "$.response.error.message",
            "$.response.error.type",
            "$.response.error.code",
            "$.item.type",
            "$.item.id",
            "$.item.call_id",
            "$.item.name",
            "$.item.arguments",
        ],
    },
    Row {
        format: Format::Anthropic,
        name: "anthropic",
        aliases: &[],
        detect: Detect::Prefixes(&[b"message_", b"content_block_"]),
        renders: true,
        paths: &[
            "$.message.id",
            "$.message.model",
            "$.message.usage.input_tokens",
            "$.message.usage.cache_creation_input_tokens",
            "$.message.usage.cache_read_input_tokens",
            "$.message.usage.output_tokens",
            "$.index",
            "$.content_block.type",
            "$.content_block.id",
            "$.content_block.name",
            "$.content_block.input",
            "$.content_block.text",
            "$.content_block.thinking",
            "$.delta.type",
            "$.delta.text",
            "$.delta.thinking",
            "$.delta.partial_json",
            "$.delta.signature",
            "$.delta.stop_reason",
            "$.usage.input_tokens",
            "$.usage.cache_creation_input_tokens",
            "$.usage.cache_read_input_tokens",
            "$.usage.output_tokens",
            "$.delta.stop_sequence",
        ],
    },
    Row {
        format: Format::Gemini,
        name: "gemini",
        aliases: &["google", "vertex"],
        detect: Detect::Members(&["candidates", "usageMetadata", "promptFeedback"]),
        renders: true,
        paths: &[
            "$.error.status",
            "$.responseId",
            "$.modelVersion",
            "$.createTime",
            "$.candidates[*].index",
            "$.candidates[*].finishReason",
            "$.candidates[*].content.parts[*].text",
            "$.candidates[*].content.parts[*].thought",
            "$.candidates[*].content.parts[*].functionCall.name",
            "$.candidates[*].content.parts[*].functionCall.args",
            "$.candidates[*].content.parts[*].functionCall.willContinue",
            "$.candidates[*].content.parts[*].functionCall.id",
            "$.candidates[*].content.parts[*].functionCall.partialArgs[*].jsonPath",
            "$.candidates[*].content.parts[*].functionCall.partialArgs[*].stringValue",
            "$.candidates[*].content.parts[*].functionCall.partialArgs[*].numberValue",
            "$.candidates[*].content.parts[*].functionCall.partialArgs[*].boolValue",
            "$.candidates[*].content.parts[*].functionCall.partialArgs[*].nullValue",
            "$.candidates[*].content.parts[*].functionCall.partialArgs[*].willContinue",
            "$.promptFeedback.blockReason",
            "$.usageMetadata.promptTokenCount",
            "$.usageMetadata.toolUsePromptTokenCount",
            "$.usageMetadata.candidatesTokenCount",
            "$.usageMetadata.thoughtsTokenCount",
            "$.usageMetadata.totalTokenCount",
            "$.usageMetadata.cachedContentTokenCount",
            "$.candidates[*].content.parts[*].thoughtSignature",
        ],
    },
    Row {
        format: Format::Bedrock,
        name: "bedrock",
        aliases: &[],
        detect: Detect::Frames,
        renders: false,
        paths: &[
            "$.contentBlockIndex",
            "$.start.toolUse.toolUseId",
            "$.start.toolUse.name",
            "$.delta.toolUse.input",
            "$.delta.reasoningContent.text",
            "$.stopReason",
            "$.usage.inputTokens",
            "$.usage.outputTokens",
            "$.usage.totalTokens",
            "$.usage.cacheReadInputTokens",
            "$.usage.cacheWriteInputTokens",
        ],
    },
];

/// The formats' names, in the table's order.
pub(crate) const NAMES: [&str; FORMATS.len()] = {
    let mut names = [""; FORMATS.len()];
    let mut i = 0;
    while i < FORMATS.len() {
        names[i] = FORMATS[i].name;
        i += 1;
    }
    names
};

/// The paths any format's events are read at before the format is known
/// (an error, a ping, detection).
#[cfg_attr(not(feature = "test-windows"), allow(dead_code))]
pub(crate) const COMMON_PATHS: &[&str] = &[
    "$.type",
    "$.message",
    "$.code",
    "$.error.message",
    "$.error.type",
    "$.error.code",
];

#[cfg(test)]
mod tests {
    use super::FORMATS;

    #[test]
    fn the_rows_are_in_the_formats_order() {
        for (at, row) in FORMATS.iter().enumerate() {
            assert_eq!(row.format as usize, at, "{}", row.name);
        }
    }
}
