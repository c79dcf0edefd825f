//! Why an answer ended, in no format's words, and the one place that knows
//! each format's words for it, both ways.

use crate::upstream::Format;

/// Why an answer ended.
///
/// Read from a format's words with [`Finish::read`], written as a format's
/// words with [`Finish::words`]. The relay's decoders and renderers and a
/// whole-answer translator all go through these two, so that a format's
/// words are known in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Finish<'a> {
    /// A natural end: chat `stop`, Anthropic and Bedrock `end_turn`,
    /// Responses `completed`, Gemini `STOP`.
    Stop,
    /// A stop sequence of the request matched: Anthropic and Bedrock
    /// `stop_sequence` (chat and Gemini say `stop`), with the sequence when
    /// upstream names it (Anthropic's `stop_sequence`).
    StopSequence(Option<&'a str>),
    /// A token limit: chat `length`, Anthropic `max_tokens`, Responses
    /// `incomplete` for `max_output_tokens`, Gemini `MAX_TOKENS`.
    Length,
    /// The model waits for the results of the calls it made.
    ToolCalls,
    /// The provider filtered the answer: chat `content_filter`, Responses
    /// `incomplete` for `content_filter`, Gemini's safety words, Bedrock
    /// `guardrail_intervened`.
    ContentFilter,
    /// The model refused (Anthropic `refusal`).
    Refusal,
    /// A word no other variant stands for, kept as the provider wrote it
    /// (Gemini `MALFORMED_FUNCTION_CALL`, a chat provider's own word).
    Other(&'a str),
}

/// A [`Finish`] in one format's words, as [`Finish::words`] gives it and
/// [`Finish::read`] takes it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FinishWords<'a> {
    /// Chat's `finish_reason`, Anthropic's and Bedrock's `stop_reason` /
    /// `stopReason`, Responses' `status`, Gemini's `finishReason`.
    pub reason: &'a str,
    /// Anthropic's `stop_sequence` (the matched sequence, `null` when
    /// `None`); Responses' `incomplete_details.reason` (no
    /// `incomplete_details` when `None`). `None` in the other formats.
    pub detail: Option<&'a str>,
}

impl<'a> Finish<'a> {
    /// Reads a finish in `format`'s words: `word` is chat's
    /// `finish_reason`, Anthropic's `stop_reason`, Responses' `status`
    /// (`completed` or `incomplete`), Gemini's `finishReason` or Bedrock's
    /// `stopReason`; `detail` is Anthropic's `stop_sequence` or Responses'
    /// `incomplete_details.reason`, and is not read in the other formats.
    ///
    /// A word the format does not define is [`Finish::Other`]. A call's
    /// presence is not read here: Responses' `completed` and Gemini's `STOP`
    /// are [`Finish::Stop`] whether or not the answer made calls, and
    /// [`words`](Finish::words) tells them apart again.
    pub fn read(format: Format, word: &'a str, detail: Option<&'a str>) -> Finish<'a> {
        match format {
            Format::OpenAiChat => match word {
                "stop" => Finish::Stop,
                "length" => Finish::Length,
                "tool_calls" | "function_call" => Finish::ToolCalls,
                "content_filter" => Finish::ContentFilter,
                other => Finish::Other(other),
            },
            Format::Anthropic | Format::Bedrock => match word {
                // `pause_turn`: a server tool's turn paused; the answer so
                // far is whole.
                "end_turn" | "pause_turn" => Finish::Stop,
                "stop_sequence" => Finish::StopSequence(detail),
                "max_tokens" | "model_context_window_exceeded" => Finish::Length,
                "tool_use" => Finish::ToolCalls,
                "refusal" => Finish::Refusal,
                "guardrail_intervened" | "content_filtered" => Finish::ContentFilter,
                other => Finish::Other(other),
            },
            Format::OpenAiResponses => match (word, detail) {
                ("completed", _) => Finish::Stop,
                ("incomplete", Some("content_filter")) => Finish::ContentFilter,
                // `max_output_tokens`, or a reason yet to come: the answer
                // stopped short.
                ("incomplete", _) => Finish::Length,
                (other, _) => Finish::Other(other),
            },
            Format::Gemini => match word {
                "STOP" => Finish::Stop,
                "MAX_TOKENS" => Finish::Length,
                "SAFETY"
                | "RECITATION"
                | "BLOCKLIST"
                | "PROHIBITED_CONTENT"
                | "SPII"
                | "IMAGE_SAFETY"
                | "IMAGE_PROHIBITED_CONTENT"
                | "IMAGE_RECITATION" => Finish::ContentFilter,
                other => Finish::Other(other),
            },
        }
    }

    /// The finish in `format`'s words, for an answer that made calls the
    /// client sees when `made_calls`.
    ///
    /// An answer that made calls and stopped naturally waits for their
    /// results: chat says `tool_calls` and Anthropic and Bedrock `tool_use`
    /// (whatever upstream said: Gemini's `STOP`, Responses' `completed`, a
    /// chat provider's `stop`); Responses and Gemini have no word for it
    /// and say `completed` and `STOP`. [`Finish::Other`] keeps its word
    /// where the format is open to one (chat) or where it reads as the
    /// format's own (Gemini's upper-case words; Anthropic's `pause_turn`),
    /// and is the format's plain stop elsewhere.
    pub fn words(self, format: Format, made_calls: bool) -> FinishWords<'a> {
        let finish = match self {
            Finish::Stop if made_calls => Finish::ToolCalls,
            finish => finish,
        };
        let (reason, detail) = match format {
            Format::OpenAiChat => (finish.chat_word(), None),
            Format::Anthropic => finish.anthropic_words(),
            Format::Bedrock => match finish.anthropic_words() {
                ("refusal", _) => ("content_filtered", None),
                ("pause_turn", _) => ("end_turn", None),
                (reason, _) => (reason, None),
            },
            Format::OpenAiResponses => match finish {
                Finish::Length => ("incomplete", Some("max_output_tokens")),
                Finish::ContentFilter | Finish::Refusal => ("incomplete", Some("content_filter")),
                _ => ("completed", None),
            },
            Format::Gemini => (finish.gemini_word(), None),
        };
        FinishWords { reason, detail }
    }

    fn chat_word(self) -> &'a str {
        match self {
            Finish::Stop | Finish::StopSequence(_) => "stop",
            Finish::Length => "length",
            Finish::ToolCalls => "tool_calls",
            Finish::ContentFilter | Finish::Refusal => "content_filter",
            Finish::Other(word) => word,
        }
    }

    fn anthropic_words(self) -> (&'a str, Option<&'a str>) {
        match self {
            Finish::StopSequence(sequence) => ("stop_sequence", sequence),
            Finish::Length => ("max_tokens", None),
            Finish::ToolCalls => ("tool_use", None),
            Finish::ContentFilter | Finish::Refusal => ("refusal", None),
            Finish::Other("pause_turn") => ("pause_turn", None),
            Finish::Stop | Finish::Other(_) => ("end_turn", None),
        }
    }

    fn gemini_word(self) -> &'a str {
        match self {
            Finish::Length => "MAX_TOKENS",
            Finish::ContentFilter | Finish::Refusal => "SAFETY",
            // Gemini's own words (`MALFORMED_FUNCTION_CALL`, `OTHER`, ...).
            Finish::Other(word)
                if word.starts_with(|c: char| c.is_ascii_uppercase())
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
            {
                word
            }
            _ => "STOP",
        }
    }

    /// The text it carries: a stop sequence's, or an other finish's word.
    pub(crate) fn word(self) -> Option<&'a str> {
        match self {
            Finish::StopSequence(sequence) => sequence,
            Finish::Other(word) => Some(word),
            _ => None,
        }
    }

    /// The same finish carrying `word` in place of its own text (see
    /// [`word`](Finish::word)), for a holder that keeps the text apart.
    pub(crate) fn with_word(self, word: &str) -> Finish<'_> {
        match self {
            Finish::Stop => Finish::Stop,
            Finish::StopSequence(sequence) => Finish::StopSequence(sequence.map(|_| word)),
            Finish::Length => Finish::Length,
            Finish::ToolCalls => Finish::ToolCalls,
            Finish::ContentFilter => Finish::ContentFilter,
            Finish::Refusal => Finish::Refusal,
            Finish::Other(_) => Finish::Other(word),
        }
    }
}

/// A finish kept past the event that brought it, with its text in a buffer
/// of its own that a reset keeps.
#[derive(Debug, Default)]
pub(crate) struct KeptFinish {
    finish: Option<Finish<'static>>,
    word: String,
}

impl KeptFinish {
    /// Keeps `finish` (in place of one kept before).
    pub(crate) fn set(&mut self, finish: Finish<'_>) {
        self.word.clear();
        self.word.push_str(finish.word().unwrap_or(""));
        self.finish = Some(finish.with_word(""));
    }

    /// The finish kept, if any.
    pub(crate) fn get(&self) -> Option<Finish<'_>> {
        self.finish.map(|finish| finish.with_word(&self.word))
    }

    pub(crate) fn is_some(&self) -> bool {
        self.finish.is_some()
    }

    pub(crate) fn clear(&mut self) {
        self.finish = None;
        self.word.clear();
    }

    pub(crate) fn retained_bytes(&self) -> usize {
        self.word.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::{Finish, FinishWords, KeptFinish};
    use crate::upstream::Format;

    fn words(finish: Finish<'_>, format: Format, calls: bool) -> (&str, Option<&str>) {
        let FinishWords { reason, detail } = finish.words(format, calls);
        (reason, detail)
    }

    /// Each format's words read back as the finish they were written from.
    #[test]
    fn written_words_read_back() {
        let finishes = [
            Finish::Stop,
            Finish::StopSequence(Some("\n\nHuman:")),
            Finish::Length,
            Finish::ToolCalls,
            Finish::ContentFilter,
            Finish::Refusal,
            Finish::Other("MALFORMED_FUNCTION_CALL"),
        ];
        for format in [
            Format::OpenAiChat,
            Format::Anthropic,
            Format::OpenAiResponses,
            Format::Gemini,
            Format::Bedrock,
        ] {
            for finish in finishes {
                let written = finish.words(format, false);
                let read = Finish::read(format, written.reason, written.detail);
                // What a format cannot tell apart reads as its nearest.
                let want = match (format, finish) {
                    (Format::OpenAiChat | Format::Gemini, Finish::StopSequence(_)) => Finish::Stop,
                    (Format::OpenAiResponses, Finish::StopSequence(_) | Finish::ToolCalls)
                    | (Format::Gemini, Finish::ToolCalls) => Finish::Stop,
                    (
                        Format::OpenAiResponses | Format::OpenAiChat | Format::Gemini,
                        Finish::Refusal,
                    ) => Finish::ContentFilter,
                    (Format::Anthropic, Finish::ContentFilter) => Finish::Refusal,
                    (Format::Bedrock, Finish::Refusal) => Finish::ContentFilter,
                    (Format::Bedrock, Finish::StopSequence(_)) => Finish::StopSequence(None),
                    (
                        Format::Anthropic | Format::Bedrock | Format::OpenAiResponses,
                        Finish::Other(_),
                    ) => Finish::Stop,
                    _ => finish,
                };
                assert_eq!(read, want, "{finish:?} through {format}");
            }
        }
    }

    #[test]
    fn a_stop_with_calls_waits_for_their_results() {
        assert_eq!(
            words(Finish::Stop, Format::OpenAiChat, true),
            ("tool_calls", None)
        );
        assert_eq!(
            words(Finish::Stop, Format::Anthropic, true),
            ("tool_use", None)
        );
        assert_eq!(words(Finish::Stop, Format::Gemini, true), ("STOP", None));
        assert_eq!(
            words(Finish::Stop, Format::OpenAiResponses, true),
            ("completed", None)
        );
        assert_eq!(
            words(Finish::Stop, Format::OpenAiChat, false),
            ("stop", None)
        );
        // A limit stays a limit.
        assert_eq!(
            words(Finish::Length, Format::Anthropic, true),
            ("max_tokens", None)
        );
    }

    #[test]
    fn a_stop_sequence_keeps_its_value_where_the_format_has_one() {
        let finish = Finish::read(Format::Anthropic, "stop_sequence", Some("END"));
        assert_eq!(finish, Finish::StopSequence(Some("END")));
        assert_eq!(
            words(finish, Format::Anthropic, false),
            ("stop_sequence", Some("END"))
        );
        assert_eq!(words(finish, Format::OpenAiChat, false), ("stop", None));
        assert_eq!(words(finish, Format::Gemini, false), ("STOP", None));
        assert_eq!(
            words(finish, Format::OpenAiResponses, false),
            ("completed", None)
        );
    }

    #[test]
    fn responses_status_and_reason() {
        let read = |status, reason| Finish::read(Format::OpenAiResponses, status, reason);
        assert_eq!(read("completed", None), Finish::Stop);
        assert_eq!(
            read("incomplete", Some("max_output_tokens")),
            Finish::Length
        );
        assert_eq!(
            read("incomplete", Some("content_filter")),
            Finish::ContentFilter
        );
        assert_eq!(read("incomplete", None), Finish::Length);
    }

    #[test]
    fn other_words_go_where_they_read() {
        let other = Finish::read(Format::Gemini, "MALFORMED_FUNCTION_CALL", None);
        assert_eq!(other, Finish::Other("MALFORMED_FUNCTION_CALL"));
        assert_eq!(
            words(other, Format::Gemini, false).0,
            "MALFORMED_FUNCTION_CALL"
        );
        assert_eq!(
            words(other, Format::OpenAiChat, false).0,
            "MALFORMED_FUNCTION_CALL"
        );
        assert_eq!(words(other, Format::Anthropic, false).0, "end_turn");
        let chat = Finish::read(Format::OpenAiChat, "eos", None);
        assert_eq!(words(chat, Format::Gemini, false).0, "STOP");
        assert_eq!(words(chat, Format::OpenAiChat, false).0, "eos");
        assert_eq!(words(Finish::Other(""), Format::Gemini, false).0, "STOP");
        assert_eq!(words(Finish::ToolCalls, Format::Gemini, false).0, "STOP");
    }

    #[test]
    fn a_kept_finish_keeps_its_text() {
        let mut kept = KeptFinish::default();
        assert_eq!(kept.get(), None);
        kept.set(Finish::StopSequence(Some("END")));
        assert_eq!(kept.get(), Some(Finish::StopSequence(Some("END"))));
        kept.set(Finish::StopSequence(None));
        assert_eq!(kept.get(), Some(Finish::StopSequence(None)));
        kept.set(Finish::Other("eos"));
        assert_eq!(kept.get(), Some(Finish::Other("eos")));
        kept.clear();
        assert!(!kept.is_some());
    }
}
