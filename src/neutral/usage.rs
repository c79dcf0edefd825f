//! Token counts in no format's shape, and the one place that knows each
//! format's arithmetic, both ways.
//!
//! The formats count the same tokens differently:
//!
//! | format    | input                                   | output                        |
//! |-----------|-----------------------------------------|-------------------------------|
//! | chat      | `prompt_tokens`, cached included         | `completion_tokens`, reasoning included |
//! | Responses | `input_tokens`, cached included          | `output_tokens`, reasoning included |
//! | Anthropic | `input_tokens` + cache reads + cache writes | `output_tokens`            |
//! | Bedrock   | `inputTokens` + cache reads + cache writes | `outputTokens`              |
//! | Gemini    | `promptTokenCount` + `toolUsePromptTokenCount`, cached included | `candidatesTokenCount` + `thoughtsTokenCount` |
//!
//! Each format has a struct named by its fields; `Usage::from` reads one,
//! and [`Usage::chat`], [`Usage::anthropic`], [`Usage::responses`],
//! [`Usage::gemini`] and [`Usage::bedrock`] give the numbers each of its
//! fields gets.

/// Token counts, each `None` when upstream did not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Usage {
    /// Every input token: those read from and written to a cache included.
    pub input: Option<u64>,
    /// Every output token: reasoning included.
    pub output: Option<u64>,
    /// Both, as upstream counted them; written as `input + output` when
    /// upstream did not say.
    pub total: Option<u64>,
    /// Input tokens read from a cache.
    pub cache_read: Option<u64>,
    /// Input tokens written to a cache.
    pub cache_creation: Option<u64>,
    /// Output tokens spent on reasoning.
    pub reasoning: Option<u64>,
}

impl Usage {
    /// Takes each count `newer` gives, keeping the others: usage that
    /// arrives in pieces (Anthropic's input in `message_start`, its output
    /// in `message_delta`) or again and again (Gemini, some chat providers)
    /// merges field by field, the latest winning.
    pub fn update(&mut self, newer: Usage) {
        let fields = [
            (&mut self.input, newer.input),
            (&mut self.output, newer.output),
            (&mut self.total, newer.total),
            (&mut self.cache_read, newer.cache_read),
            (&mut self.cache_creation, newer.cache_creation),
            (&mut self.reasoning, newer.reasoning),
        ];
        for (kept, newer) in fields {
            if newer.is_some() {
                *kept = newer;
            }
        }
    }

    /// Whether it has no count at all.
    pub fn is_empty(&self) -> bool {
        *self == Usage::default()
    }

    /// The total: upstream's, else the sum of input and output when either
    /// is known.
    pub fn total(&self) -> Option<u64> {
        self.total.or(sum(self.input, self.output))
    }

    /// The numbers of chat's `usage`.
    pub fn chat(&self) -> ChatUsage {
        ChatUsage {
            prompt_tokens: self.input,
            completion_tokens: self.output,
            total_tokens: self.total(),
            cached_tokens: self.cache_read,
            reasoning_tokens: self.reasoning,
        }
    }

    /// The numbers of Responses' `usage`.
    pub fn responses(&self) -> ResponsesUsage {
        ResponsesUsage {
            input_tokens: self.input,
            output_tokens: self.output,
            total_tokens: self.total(),
            cached_tokens: self.cache_read,
            reasoning_tokens: self.reasoning,
        }
    }

    /// The numbers of Anthropic's `usage`: its `input_tokens` leave out the
    /// cache's.
    pub fn anthropic(&self) -> AnthropicUsage {
        AnthropicUsage {
            input_tokens: self.uncached_input(),
            output_tokens: self.output,
            cache_read_input_tokens: self.cache_read,
            cache_creation_input_tokens: self.cache_creation,
        }
    }

    /// The numbers of Bedrock's `usage`: its `inputTokens` leave out the
    /// cache's.
    pub fn bedrock(&self) -> BedrockUsage {
        BedrockUsage {
            input_tokens: self.uncached_input(),
            output_tokens: self.output,
            total_tokens: self.total(),
            cache_read_input_tokens: self.cache_read,
            cache_write_input_tokens: self.cache_creation,
        }
    }

    /// The numbers of Gemini's `usageMetadata`: thoughts are counted beside
    /// the candidates, not in them. A count of reasoning larger than the
    /// output counts neither way and is left out.
    pub fn gemini(&self) -> GeminiUsage {
        let reasoning = self
            .reasoning
            .filter(|&reasoning| reasoning <= self.output.unwrap_or(0));
        GeminiUsage {
            prompt_token_count: self.input,
            tool_use_prompt_token_count: None,
            candidates_token_count: self.output.map(|output| output - reasoning.unwrap_or(0)),
            thoughts_token_count: reasoning,
            total_token_count: self.total(),
            cached_content_token_count: self.cache_read,
        }
    }

    fn uncached_input(&self) -> Option<u64> {
        let cache = self
            .cache_read
            .unwrap_or(0)
            .saturating_add(self.cache_creation.unwrap_or(0));
        self.input.map(|input| input.saturating_sub(cache))
    }
}

/// `a + b` when either is known.
fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

/// OpenAI chat's `usage`, field by field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChatUsage {
    /// `prompt_tokens`: cached ones included.
    pub prompt_tokens: Option<u64>,
    /// `completion_tokens`: reasoning included.
    pub completion_tokens: Option<u64>,
    /// `total_tokens`.
    pub total_tokens: Option<u64>,
    /// `prompt_tokens_details.cached_tokens`.
    pub cached_tokens: Option<u64>,
    /// `completion_tokens_details.reasoning_tokens`.
    pub reasoning_tokens: Option<u64>,
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

/// OpenAI Responses' `usage`, field by field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResponsesUsage {
    /// `input_tokens`: cached ones included.
    pub input_tokens: Option<u64>,
    /// `output_tokens`: reasoning included.
    pub output_tokens: Option<u64>,
    /// `total_tokens`.
    pub total_tokens: Option<u64>,
    /// `input_tokens_details.cached_tokens`.
    pub cached_tokens: Option<u64>,
    /// `output_tokens_details.reasoning_tokens`.
    pub reasoning_tokens: Option<u64>,
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

/// Anthropic's `usage`, field by field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AnthropicUsage {
    /// `input_tokens`: the cache's left out.
    pub input_tokens: Option<u64>,
    /// `output_tokens`.
    pub output_tokens: Option<u64>,
    /// `cache_read_input_tokens`.
    pub cache_read_input_tokens: Option<u64>,
    /// `cache_creation_input_tokens`.
    pub cache_creation_input_tokens: Option<u64>,
}

impl From<AnthropicUsage> for Usage {
    fn from(anthropic: AnthropicUsage) -> Usage {
        with_cache(
            anthropic.input_tokens,
            anthropic.output_tokens,
            None,
            anthropic.cache_read_input_tokens,
            anthropic.cache_creation_input_tokens,
        )
    }
}

/// Bedrock's `usage`, field by field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BedrockUsage {
    /// `inputTokens`: the cache's left out.
    pub input_tokens: Option<u64>,
    /// `outputTokens`.
    pub output_tokens: Option<u64>,
    /// `totalTokens`.
    pub total_tokens: Option<u64>,
    /// `cacheReadInputTokens`.
    pub cache_read_input_tokens: Option<u64>,
    /// `cacheWriteInputTokens`.
    pub cache_write_input_tokens: Option<u64>,
}

impl From<BedrockUsage> for Usage {
    fn from(bedrock: BedrockUsage) -> Usage {
        with_cache(
            bedrock.input_tokens,
            bedrock.output_tokens,
            bedrock.total_tokens,
            bedrock.cache_read_input_tokens,
            bedrock.cache_write_input_tokens,
        )
    }
}

/// Counts of a format whose input leaves out the cache's tokens.
fn with_cache(
    uncached: Option<u64>,
    output: Option<u64>,
    total: Option<u64>,
    read: Option<u64>,
    written: Option<u64>,
) -> Usage {
    let cache = read.unwrap_or(0).saturating_add(written.unwrap_or(0));
    Usage {
        input: uncached.map(|input| input.saturating_add(cache)),
        output,
        total,
        cache_read: read,
        cache_creation: written,
        reasoning: None,
    }
}

/// Gemini's `usageMetadata`, field by field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct GeminiUsage {
    /// `promptTokenCount`: cached content included.
    pub prompt_token_count: Option<u64>,
    /// `toolUsePromptTokenCount`: input too, counted apart.
    pub tool_use_prompt_token_count: Option<u64>,
    /// `candidatesTokenCount`: thoughts left out.
    pub candidates_token_count: Option<u64>,
    /// `thoughtsTokenCount`.
    pub thoughts_token_count: Option<u64>,
    /// `totalTokenCount`.
    pub total_token_count: Option<u64>,
    /// `cachedContentTokenCount`.
    pub cached_content_token_count: Option<u64>,
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

#[cfg(test)]
mod tests {
    use super::{AnthropicUsage, BedrockUsage, ChatUsage, GeminiUsage, ResponsesUsage, Usage};

    /// 100 input tokens of which 30 read from a cache and 10 written to
    /// it; 50 output tokens of which 20 reasoning.
    const USAGE: Usage = Usage {
        input: Some(100),
        output: Some(50),
        total: None,
        cache_read: Some(30),
        cache_creation: Some(10),
        reasoning: Some(20),
    };

    #[test]
    fn each_format_counts_as_it_does() {
        let anthropic = USAGE.anthropic();
        assert_eq!(anthropic.input_tokens, Some(60));
        assert_eq!(anthropic.output_tokens, Some(50));
        let gemini = USAGE.gemini();
        assert_eq!(gemini.prompt_token_count, Some(100));
        assert_eq!(gemini.candidates_token_count, Some(30));
        assert_eq!(gemini.thoughts_token_count, Some(20));
        assert_eq!(gemini.total_token_count, Some(150));
        let chat = USAGE.chat();
        assert_eq!(chat.prompt_tokens, Some(100));
        assert_eq!(chat.completion_tokens, Some(50));
        assert_eq!(chat.total_tokens, Some(150));
        assert_eq!(USAGE.bedrock().input_tokens, Some(60));
        assert_eq!(USAGE.responses().input_tokens, Some(100));
    }

    #[test]
    fn each_format_reads_back_what_it_was_written() {
        let chat = Usage::from(USAGE.chat());
        assert_eq!(
            (chat.input, chat.output, chat.reasoning),
            (Some(100), Some(50), Some(20))
        );
        let anthropic = Usage::from(USAGE.anthropic());
        assert_eq!(
            (anthropic.input, anthropic.cache_read),
            (Some(100), Some(30))
        );
        assert_eq!(Usage::from(USAGE.bedrock()).input, Some(100));
        let gemini = Usage::from(USAGE.gemini());
        assert_eq!((gemini.input, gemini.output), (Some(100), Some(50)));
        assert_eq!(gemini.reasoning, Some(20));
        assert_eq!(Usage::from(USAGE.responses()).output, Some(50));
    }

    #[test]
    fn missing_counts_stay_missing() {
        assert!(Usage::from(ChatUsage::default()).is_empty());
        assert!(Usage::from(ResponsesUsage::default()).is_empty());
        assert!(Usage::from(AnthropicUsage::default()).is_empty());
        assert!(Usage::from(BedrockUsage::default()).is_empty());
        assert!(Usage::from(GeminiUsage::default()).is_empty());
        assert_eq!(Usage::default().total(), None);
    }

    #[test]
    fn reasoning_past_the_output_is_left_out_of_gemini() {
        let odd = Usage {
            output: Some(5),
            reasoning: Some(9),
            ..Usage::default()
        };
        assert_eq!(odd.gemini().thoughts_token_count, None);
        assert_eq!(odd.gemini().candidates_token_count, Some(5));
    }

    #[test]
    fn later_counts_win_field_by_field() {
        let mut usage = Usage::from(AnthropicUsage {
            input_tokens: Some(10),
            output_tokens: Some(1),
            ..AnthropicUsage::default()
        });
        usage.update(Usage::from(AnthropicUsage {
            output_tokens: Some(40),
            ..AnthropicUsage::default()
        }));
        assert_eq!((usage.input, usage.output), (Some(10), Some(40)));
    }
}
