//! The provider-neutral request: what every reader makes of its format's
//! body and every writer makes its format's body of.
//!
//! Each part keeps the path it came from in the client's body, so that a
//! writer that cannot carry it warns with that path.

use argstream::Format;
use serde_json::{Map, Value};

/// One request, neutral.
#[derive(Clone, Debug, Default)]
pub(crate) struct Request {
    pub model: Option<String>,
    pub stream: bool,
    /// The instructions before the conversation (system and developer), in
    /// order.
    pub system: Vec<Text>,
    pub turns: Vec<Turn>,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    /// `Some(false)` when the client asked for one call at a time.
    pub parallel: Option<bool>,
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u64>,
    pub stop: Vec<String>,
    pub seed: Option<i64>,
    pub presence_penalty: Option<f64>,
    pub frequency_penalty: Option<f64>,
    /// How many answers (chat `n`, Gemini `candidateCount`).
    pub choices: Option<u64>,
    pub reasoning: Option<Reasoning>,
    pub output: Option<Output>,
    /// The end user's id (chat `user`, Anthropic `metadata.user_id`).
    pub user: Option<String>,
}

/// A piece of instruction text, with where it came from.
#[derive(Clone, Debug)]
pub(crate) struct Text {
    pub text: String,
    pub path: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
    /// Instructions inside the conversation (a chat `system` message after
    /// the first turn, Claude Code's `role: "system"` messages).
    System,
}

#[derive(Clone, Debug)]
pub(crate) struct Turn {
    pub role: Role,
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug)]
pub(crate) enum Part {
    Text(Text),
    Image(Media),
    Document(Document),
    Call(Call),
    Result(ToolResult),
    Thinking(Thinking),
    Refusal(Text),
}

/// Where an image's or a document's bytes are.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// An `http(s)` or `gs://` address; the media type when known.
    Url {
        url: String,
        media_type: Option<String>,
    },
    /// Inline bytes, base64.
    Base64 { media_type: String, data: String },
    /// A provider's file id.
    File { id: String },
    /// Plain text (Anthropic's text documents).
    Text { text: String },
}

#[derive(Clone, Debug)]
pub(crate) struct Media {
    pub source: Source,
    /// OpenAI's `detail` (low, high, auto).
    pub detail: Option<String>,
    pub path: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Document {
    pub source: Source,
    pub name: Option<String>,
    pub path: String,
}

/// A tool call the assistant made.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub id: String,
    pub name: String,
    /// The arguments as an object; for a freeform (`custom`) tool's call, a
    /// string.
    pub arguments: Value,
    pub custom: bool,
    /// Gemini's `thoughtSignature` on the call's part.
    pub signature: Option<String>,
    pub path: String,
}

/// A tool's result, tied to its call by id.
#[derive(Clone, Debug)]
pub(crate) struct ToolResult {
    pub id: String,
    /// The function's name when the client's format says it (Gemini) or it
    /// is found among the request's calls.
    pub name: Option<String>,
    /// Text and images.
    pub content: Vec<Part>,
    pub error: bool,
    /// The result of a freeform (`custom`) tool's call.
    pub custom: bool,
    pub path: String,
}

/// Reasoning the assistant did, and the provider that can read it back.
#[derive(Clone, Debug)]
pub(crate) struct Thinking {
    pub origin: Format,
    pub text: String,
    pub signature: Option<String>,
    /// Anthropic's `redacted_thinking` data.
    pub redacted: Option<String>,
    pub path: String,
}

#[derive(Clone, Debug)]
pub(crate) enum Tool {
    Function(Function),
    /// OpenAI's freeform tool: its input is text, shaped by an optional
    /// grammar.
    Custom {
        name: String,
        description: Option<String>,
        format: Option<Value>,
        path: String,
    },
    /// A provider's own web search.
    WebSearch {
        path: String,
    },
    /// A provider's tool with no counterpart elsewhere, named as the client
    /// named its type.
    Other {
        kind: String,
        path: String,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Function {
    pub name: String,
    pub description: Option<String>,
    /// A JSON Schema (standard keywords, lowercase types).
    pub schema: Map<String, Value>,
    pub strict: Option<bool>,
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ToolChoice {
    Auto,
    None,
    Required,
    Named(String),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Reasoning {
    /// OpenAI's words: `none`, `minimal`, `low`, `medium`, `high`, `xhigh`;
    /// Anthropic's `max` is read as `xhigh`.
    Effort(String),
    /// A token budget (Anthropic `budget_tokens`, Gemini `thinkingBudget`).
    Budget(u64),
    /// The model decides (Anthropic `adaptive`, Gemini's budget -1), with
    /// an effort when the client gave one.
    Adaptive(Option<String>),
    Disabled,
}

#[derive(Clone, Debug)]
pub(crate) enum Output {
    JsonSchema {
        name: Option<String>,
        schema: Map<String, Value>,
        strict: Option<bool>,
        path: String,
    },
    JsonObject {
        path: String,
    },
}

/// The budget an effort word stands for, and back: the same table both ways
/// so that a translation there and back keeps the word.
pub(crate) const EFFORT_BUDGETS: [(&str, u64); 5] = [
    ("minimal", 1024),
    ("low", 2048),
    ("medium", 8192),
    ("high", 24576),
    ("xhigh", 32768),
];

pub(crate) fn budget_of(effort: &str) -> Option<u64> {
    EFFORT_BUDGETS
        .iter()
        .find(|(word, _)| *word == effort)
        .map(|(_, budget)| *budget)
        .or(match effort {
            "max" => Some(32768),
            _ => None,
        })
}

/// The smallest effort whose budget covers `budget`.
pub(crate) fn effort_of(budget: u64) -> &'static str {
    EFFORT_BUDGETS
        .iter()
        .find(|(_, b)| budget <= *b)
        .map_or("xhigh", |(word, _)| word)
}

impl Turn {
    /// The turn's text parts, joined by blank lines (instructions).
    pub(crate) fn text(&self) -> String {
        let texts: Vec<&str> = self
            .parts
            .iter()
            .filter_map(|part| match part {
                Part::Text(text) => Some(text.text.as_str()),
                _ => None,
            })
            .collect();
        texts.join("\n\n")
    }
}

impl Request {
    /// The names of the freeform (`custom`) tools, whose calls' input is
    /// text.
    pub(crate) fn custom_tool_names(&self) -> Vec<&str> {
        self.tools
            .iter()
            .filter_map(|tool| match tool {
                Tool::Custom { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The name of the call `id` answers, among the request's calls.
    pub(crate) fn call_name(&self, id: &str) -> Option<&str> {
        self.turns
            .iter()
            .flat_map(|turn| &turn.parts)
            .find_map(|part| match part {
                Part::Call(call) if call.id == id => Some(call.name.as_str()),
                _ => None,
            })
    }

    /// The output limit after the cap.
    pub(crate) fn capped_max_tokens(&self, cap: Option<u64>) -> Option<u64> {
        match (self.max_tokens, cap) {
            (Some(asked), Some(cap)) => Some(asked.min(cap)),
            (asked, _) => asked,
        }
    }
}

/// Splits a `data:` URL into its media type and base64 data.
pub(crate) fn data_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("data:")?;
    let (head, data) = rest.split_once(',')?;
    let media_type = head.strip_suffix(";base64")?;
    Some((media_type.to_owned(), data.to_owned()))
}

/// A media type guessed from a URL's file extension.
pub(crate) fn media_type_of_url(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => return None,
    })
}
