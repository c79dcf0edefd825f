//! A finish and token counts in no format's words, with each format's words
//! for them: the same mapping as the relay's, until the core's own types
//! take its place.

use argstream::Format;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finish<'a> {
    Stop,
    StopSequence(Option<&'a str>),
    Length,
    ToolCalls,
    ContentFilter,
    Refusal,
    Other(&'a str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FinishWords<'a> {
    pub(crate) reason: &'a str,
    pub(crate) detail: Option<&'a str>,
}

impl<'a> Finish<'a> {
    pub(crate) fn read(format: Format, word: &'a str, detail: Option<&'a str>) -> Finish<'a> {
        match (format, word) {
            (Format::OpenAiChat, "stop") => Finish::Stop,
            (Format::OpenAiChat, "length") => Finish::Length,
            (Format::OpenAiChat, "tool_calls" | "function_call") => Finish::ToolCalls,
            (Format::OpenAiChat, "content_filter") => Finish::ContentFilter,
            (Format::Anthropic, "end_turn" | "pause_turn") => Finish::Stop,
            (Format::Anthropic, "stop_sequence") => Finish::StopSequence(detail),
            (Format::Anthropic, "max_tokens" | "model_context_window_exceeded") => Finish::Length,
            (Format::Anthropic, "tool_use") => Finish::ToolCalls,
            (Format::Anthropic, "refusal") => Finish::Refusal,
            (Format::OpenAiResponses, "completed") => Finish::Stop,
            (Format::OpenAiResponses, "incomplete") if detail == Some("content_filter") => {
                Finish::ContentFilter
            }
            (Format::OpenAiResponses, "incomplete") => Finish::Length,
            (Format::Gemini, "STOP") => Finish::Stop,
            (Format::Gemini, "MAX_TOKENS") => Finish::Length,
            (
                Format::Gemini,
                "SAFETY"
                | "RECITATION"
                | "BLOCKLIST"
                | "PROHIBITED_CONTENT"
                | "SPII"
                | "IMAGE_SAFETY"
                | "IMAGE_PROHIBITED_CONTENT"
                | "IMAGE_RECITATION",
            ) => Finish::ContentFilter,
            (_, other) => Finish::Other(other),
        }
    }

    pub(crate) fn words(self, format: Format, made_calls: bool) -> FinishWords<'a> {
        let finish = match self {
            Finish::Stop if made_calls => Finish::ToolCalls,
            finish => finish,
        };
        let (reason, detail) = match (format, finish) {
            (Format::OpenAiChat, Finish::Stop | Finish::StopSequence(_)) => ("stop", None),
            (Format::OpenAiChat, Finish::Length) => ("length", None),
            (Format::OpenAiChat, Finish::ToolCalls) => ("tool_calls", None),
            (Format::OpenAiChat, Finish::ContentFilter | Finish::Refusal) => {
                ("content_filter", None)
            }
            (Format::OpenAiChat, Finish::Other(word)) => (word, None),
            (Format::Anthropic, Finish::StopSequence(sequence)) => ("stop_sequence", sequence),
            (Format::Anthropic, Finish::Length) => ("max_tokens", None),
            (Format::Anthropic, Finish::ToolCalls) => ("tool_use", None),
            (Format::Anthropic, Finish::ContentFilter | Finish::Refusal) => ("refusal", None),
            (Format::Anthropic, Finish::Other("pause_turn")) => ("pause_turn", None),
            (Format::Anthropic, _) => ("end_turn", None),
            (Format::OpenAiResponses, Finish::Length) => ("incomplete", Some("max_output_tokens")),
            (Format::OpenAiResponses, Finish::ContentFilter | Finish::Refusal) => {
                ("incomplete", Some("content_filter"))
            }
            (Format::OpenAiResponses, _) => ("completed", None),
            (_, Finish::Length) => ("MAX_TOKENS", None),
            (_, Finish::ContentFilter | Finish::Refusal) => ("SAFETY", None),
            (_, Finish::Other(word))
                if word.starts_with(|c: char| c.is_ascii_uppercase())
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
            {
                (word, None)
            }
            _ => ("STOP", None),
        };
        FinishWords { reason, detail }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) input: Option<u64>,
    pub(crate) output: Option<u64>,
    pub(crate) total: Option<u64>,
    pub(crate) cache_read: Option<u64>,
    pub(crate) cache_creation: Option<u64>,
    pub(crate) reasoning: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ChatUsage {
    pub(crate) prompt_tokens: Option<u64>,
    pub(crate) completion_tokens: Option<u64>,
    pub(crate) total_tokens: Option<u64>,
    pub(crate) cached_tokens: Option<u64>,
    pub(crate) reasoning_tokens: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ResponsesUsage {
    pub(crate) input_tokens: Option<u64>,
    pub(crate) output_tokens: Option<u64>,
    pub(crate) total_tokens: Option<u64>,
    pub(crate) cached_tokens: Option<u64>,
    pub(crate) reasoning_tokens: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AnthropicUsage {
    pub(crate) input_tokens: Option<u64>,
    pub(crate) output_tokens: Option<u64>,
    pub(crate) cache_read_input_tokens: Option<u64>,
    pub(crate) cache_creation_input_tokens: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GeminiUsage {
    pub(crate) prompt_token_count: Option<u64>,
    pub(crate) tool_use_prompt_token_count: Option<u64>,
    pub(crate) candidates_token_count: Option<u64>,
    pub(crate) thoughts_token_count: Option<u64>,
    pub(crate) total_token_count: Option<u64>,
    pub(crate) cached_content_token_count: Option<u64>,
}

fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

impl Usage {
    pub(crate) fn total(&self) -> Option<u64> {
        self.total.or(sum(self.input, self.output))
    }

    pub(crate) fn chat(&self) -> ChatUsage {
        ChatUsage {
            prompt_tokens: self.input,
            completion_tokens: self.output,
            total_tokens: self.total(),
            cached_tokens: self.cache_read,
            reasoning_tokens: self.reasoning,
        }
    }

    pub(crate) fn responses(&self) -> ResponsesUsage {
        ResponsesUsage {
            input_tokens: self.input,
            output_tokens: self.output,
            total_tokens: self.total(),
            cached_tokens: self.cache_read,
            reasoning_tokens: self.reasoning,
        }
    }

    pub(crate) fn anthropic(&self) -> AnthropicUsage {
        let cache = self
            .cache_read
            .unwrap_or(0)
            .saturating_add(self.cache_creation.unwrap_or(0));
        AnthropicUsage {
            input_tokens: self.input.map(|input| input.saturating_sub(cache)),
            output_tokens: self.output,
            cache_read_input_tokens: self.cache_read,
            cache_creation_input_tokens: self.cache_creation,
        }
    }

    pub(crate) fn gemini(&self) -> GeminiUsage {
        let reasoning = self.reasoning.filter(|&r| r <= self.output.unwrap_or(0));
        GeminiUsage {
            prompt_token_count: self.input,
            tool_use_prompt_token_count: None,
            candidates_token_count: self.output.map(|output| output - reasoning.unwrap_or(0)),
            thoughts_token_count: reasoning,
            total_token_count: self.total(),
            cached_content_token_count: self.cache_read,
        }
    }
}

impl From<ChatUsage> for Usage {
    fn from(chat: ChatUsage) -> Usage {
        Usage {
            input: chat.prompt_tokens,
            output: chat.completion_tokens,
            total: chat.total_tokens,
            cache_read: chat.cached_tokens,
            cache_creation: None,
            reasoning: chat.reasoning_tokens,
        }
    }
}

impl From<ResponsesUsage> for Usage {
    fn from(responses: ResponsesUsage) -> Usage {
        Usage {
            input: responses.input_tokens,
            output: responses.output_tokens,
            total: responses.total_tokens,
            cache_read: responses.cached_tokens,
            cache_creation: None,
            reasoning: responses.reasoning_tokens,
        }
    }
}

impl From<AnthropicUsage> for Usage {
    fn from(anthropic: AnthropicUsage) -> Usage {
        let read = anthropic.cache_read_input_tokens;
        let written = anthropic.cache_creation_input_tokens;
        let cache = read.unwrap_or(0).saturating_add(written.unwrap_or(0));
        Usage {
            input: anthropic
                .input_tokens
                .map(|input| input.saturating_add(cache)),
            output: anthropic.output_tokens,
            total: None,
            cache_read: read,
            cache_creation: written,
            reasoning: None,
        }
    }
}

impl From<GeminiUsage> for Usage {
    fn from(gemini: GeminiUsage) -> Usage {
        Usage {
            input: sum(
                gemini.prompt_token_count,
                gemini.tool_use_prompt_token_count,
            ),
            output: sum(gemini.candidates_token_count, gemini.thoughts_token_count),
            total: gemini.total_token_count,
            cache_read: gemini.cached_content_token_count,
            cache_creation: None,
            reasoning: gemini.thoughts_token_count,
        }
    }
}
