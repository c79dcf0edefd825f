//! The one table of formats: all the crate says of a format outside its
//! decoder, its renderer and its words in [`neutral`](crate::neutral).
//!
//! - [`each_format!`] lists the formats, a line each: the [`Format`]
//!   variant, its decoder's module and, when clients speak it, its
//!   renderer's. The enums [`Format`] and
//!   [`OutputFormat`](crate::OutputFormat), the decoders' dispatch, the
//!   state a decoder carries between events and the renderers' dispatch
//!   are all made from this list.
//! - [`FORMATS`] holds a row a format: its name and the names it is read
//!   by, how a stream tells it, the member names its decoder reads and the
//!   paths it reads them at. [`Format`]'s `name` and `FromStr`, detection,
//!   the reader's tables, the output names, the probe that holds the reader
//!   to serde_json and the bindings' lists of names read the rows.
//!
//! A new format is a decoder file, a renderer file (or none: its clients
//! are answered in chat), a line in the list, a row, and its words for a
//! finish and its usage fields in [`neutral`](crate::neutral), where the
//! compiler asks for them.

use super::Format;
use super::reader::{Names, same_name};

/// Every format, a line each, in the order of [`Format`]'s variants and of
/// [`FORMATS`]: the variant with its docs, the module of its decoder (with,
/// in parentheses, the type of the state it carries from one event to the
/// next, if it keeps one), and, when a renderer answers in it, `=>` the
/// [`OutputFormat`] variant with its docs, its renderer's module and its
/// renderer's type.
///
/// Calls `$then!` with the list, after any tokens given first: the
/// macros that make the enums and each dispatch (`declare_formats!` in
/// `upstream/mod.rs`, `declare_renderers!` in `relay/render/mod.rs`) take
/// what they need of each line, so nothing else lists the formats.
///
/// [`OutputFormat`]: crate::OutputFormat
macro_rules! each_format {
    ($then:ident $($first:tt)*) => {
        $then! {
            $($first)*

            /// OpenAI chat completions: `data: {chat.completion.chunk}` events and
            /// `data: [DONE]`; the format most providers speak.
            OpenAiChat chat =>
                /// OpenAI `chat.completion.chunk` events and `data: [DONE]` (the
                /// default).
                OpenAiChat chat Chat;

            /// The OpenAI Responses API: `response.output_text.delta`,
            /// `response.function_call_arguments.delta`, ..., ending with
            /// `response.completed` (no `[DONE]`).
            OpenAiResponses responses =>
                /// OpenAI Responses events: `response.created` ... `response.completed`.
                OpenAiResponses responses Responses;

            /// Anthropic Messages: `message_start`, `content_block_delta` with
            /// `input_json_delta`, ..., `message_stop`.
            Anthropic anthropic =>
                /// Anthropic Messages events: `message_start` ... `message_stop`.
                Anthropic anthropic Anthropic;

            /// Google Gemini `streamGenerateContent?alt=sse`: `data:` events of
            /// `candidates`, `usageMetadata`, ..., with no end but the body's; on
            /// Vertex, call arguments streamed by JSON path (`partialArgs`).
            Gemini gemini(State) =>
                /// Google Gemini `streamGenerateContent?alt=sse` events:
                /// `GenerateContentResponse`s, the last with the `finishReason`.
                Gemini gemini Gemini;

            /// Amazon Bedrock `ConverseStream`: binary
            /// `application/vnd.amazon.eventstream` frames, `messageStart` ...
            /// `metadata`.
            Bedrock bedrock;
        }
    };
}

pub(crate) use each_format;

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
    /// The member names its decoder reads, besides [`COMMON_NAMES`]: the
    /// reader lays these out of its events and skips every other member.
    /// A decoder that looks up a name missing here does not compile
    /// ([`key!`](super::key)).
    pub(crate) reads: &'static [&'static str],
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
        reads: &[
            "arguments",
            "cached_tokens",
            "choices",
            "completion_tokens",
            "completion_tokens_details",
            "content",
            "created",
            "delta",
            "finish_reason",
            "function",
            "id",
            "index",
            "model",
            "name",
            "object",
            "prompt_tokens",
            "prompt_tokens_details",
            "reasoning",
            "reasoning_content",
            "reasoning_tokens",
            "refusal",
            "role",
            "text",
            "tool_calls",
            "total_tokens",
            "usage",
        ],
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
        reads: &[
            "arguments",
            "cached_tokens",
            "call_id",
            "created_at",
            "delta",
            "encrypted_content",
            "id",
            "incomplete_details",
            "input_tokens",
            "input_tokens_details",
            "item",
            "item_id",
            "model",
            "name",
            "output_index",
            "output_tokens",
            "output_tokens_details",
            "reason",
            "reasoning_tokens",
            "response",
            "total_tokens",
            "usage",
        ],
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
        reads: &[
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "content_block",
            "delta",
            "id",
            "index",
            "input",
            "input_tokens",
            "model",
            "name",
            "output_tokens",
            "partial_json",
            "signature",
            "stop_reason",
            "stop_sequence",
            "text",
            "thinking",
            "usage",
        ],
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
        reads: &[
            "args",
            "blockReason",
            "boolValue",
            "cachedContentTokenCount",
            "candidates",
            "candidatesTokenCount",
            "content",
            "createTime",
            "finishReason",
            "functionCall",
            "id",
            "index",
            "jsonPath",
            "modelVersion",
            "name",
            "nullValue",
            "numberValue",
            "partialArgs",
            "parts",
            "promptFeedback",
            "promptTokenCount",
            "responseId",
            "status",
            "stringValue",
            "text",
            "thought",
            "thoughtSignature",
            "thoughtsTokenCount",
            "toolUsePromptTokenCount",
            "totalTokenCount",
            "usageMetadata",
            "willContinue",
        ],
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
        reads: &[
            "cacheReadInputTokens",
            "cacheWriteInputTokens",
            "contentBlockIndex",
            "delta",
            "input",
            "inputTokens",
            "name",
            "outputTokens",
            "reasoningContent",
            "start",
            "stopReason",
            "text",
            "toolUse",
            "toolUseId",
            "totalTokens",
            "usage",
        ],
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

/// The member names read in any format's events, before the format is
/// known too (an error, a ping, detection).
pub(crate) const COMMON_NAMES: &[&str] = &["code", "error", "message", "type"];

/// Every member name some decoder reads, each once: the rows' and the
/// common ones. The ids of the reader's tables are indexes here.
const READ: [&str; GATHERED.1] = {
    let mut read = [""; GATHERED.1];
    read.copy_from_slice(GATHERED.0.split_at(GATHERED.1).0);
    read
};

/// The rows' names and the common ones, each once, in the first of
/// `MAX_NAMES` places, and how many they are.
const GATHERED: ([&str; MAX_NAMES], usize) = {
    let mut read = [""; MAX_NAMES];
    let mut count = 0;
    let mut row = 0;
    while row <= FORMATS.len() {
        let names = if row < FORMATS.len() {
            FORMATS[row].reads
        } else {
            COMMON_NAMES
        };
        let mut i = 0;
        while i < names.len() {
            if !holds(read.split_at(count).0, names[i]) {
                read[count] = names[i];
                count += 1;
            }
            i += 1;
        }
        row += 1;
    }
    (read, count)
};

/// More names than the reader's tables can hold (their ids are bytes).
const MAX_NAMES: usize = 255;

/// The names read before the format is known (detection's included): the
/// table of every name read.
pub(crate) static READ_BY_A_DECODER: Names = Names::of(&READ);

/// Each format's table, in the table's order: its row's names and the
/// common ones, with the ids [`READ_BY_A_DECODER`] gives them.
pub(crate) static READ_BY_FORMAT: [Names; FORMATS.len()] = {
    let mut tables = [const { Names::of(&[]) }; FORMATS.len()];
    let mut row = 0;
    while row < FORMATS.len() {
        tables[row] = read_by(FORMATS[row].format);
        row += 1;
    }
    tables
};

/// The table of the names `format`'s decoder reads: what its [`key!`]
/// looks names up in, at compile time.
///
/// [`key!`]: super::key
pub(crate) const fn read_by(format: Format) -> Names {
    Names::of_some(&READ, &[FORMATS[format as usize].reads, COMMON_NAMES])
}

/// Whether `names` holds `name`, in a constant context.
const fn holds(names: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < names.len() {
        if same_name(names[i].as_bytes(), name.as_bytes()) {
            return true;
        }
        i += 1;
    }
    false
}

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
    use super::{COMMON_NAMES, FORMATS, READ, READ_BY_A_DECODER, READ_BY_FORMAT};

    #[test]
    fn the_rows_are_in_the_formats_order() {
        for (at, row) in FORMATS.iter().enumerate() {
            assert_eq!(row.format as usize, at, "{}", row.name);
        }
    }

    /// Every member name on a row's paths is one its decoder reads, so the
    /// probe's paths are laid out by the format's own table.
    #[test]
    fn a_rows_paths_name_what_it_reads() {
        for row in &FORMATS {
            for path in row.paths {
                let names = path
                    .split(['.', '[', ']', '*', '$'])
                    .filter(|n| !n.is_empty());
                for name in names {
                    assert!(
                        row.reads.contains(&name) || COMMON_NAMES.contains(&name),
                        "{}: {name} in {path}",
                        row.name
                    );
                }
            }
        }
    }

    /// A format's table finds the names it reads, with the ids of the
    /// table of all, and no other name.
    #[test]
    fn each_format_lays_out_its_own_names_with_the_common_ids() {
        for row in &FORMATS {
            let own = &READ_BY_FORMAT[row.format as usize];
            for name in READ {
                let key = own.key(name);
                let reads = row.reads.contains(&name) || COMMON_NAMES.contains(&name);
                assert_eq!(key.is_known(), reads, "{}: {name}", row.name);
                if reads {
                    assert_eq!(key, READ_BY_A_DECODER.key(name), "{name}");
                }
            }
        }
    }
}
