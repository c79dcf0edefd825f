//! Error bodies: an upstream's error, in its format's shape or not JSON at
//! all, becomes the client's format's error shape.

use argstream::Format;
use serde_json::{Map, Value};

use super::{anthropic, chat, gemini, to_vec};

/// The longest message an error body carries, in bytes: an upstream's page
/// of HTML or a runaway message is cut here, on a character boundary.
pub const MAX_ERROR_MESSAGE: usize = 2048;

/// Translates an upstream's error body, with the HTTP status it came with,
/// into the client's format's error shape:
///
/// | format | shape |
/// | --- | --- |
/// | chat, Responses | `{"error":{"message","type","param":null,"code"}}` |
/// | Anthropic | `{"type":"error","error":{"type","message"}}` |
/// | Gemini | `{"error":{"code","message","status"}}` |
///
/// The kind of failure comes from the status where it says one (400, 401,
/// 402, 403, 404, 408, 413, 429, 503, 504, 529), else from the words of
/// the upstream's body (its Anthropic type, Google status, or OpenAI type
/// and code), else from the status's class; the client's format names it
/// in its own words (`rate_limit_error`, `RESOURCE_EXHAUSTED`, ...). The
/// message is the upstream's, or for a body that is not JSON (an HTML page
/// from a proxy) the start of its text, at most [`MAX_ERROR_MESSAGE`]
/// bytes. A body already in the client's shape (chat and Responses share
/// theirs) goes as it came.
///
/// ```
/// use argstream::Format;
/// use argstream_translate::translate_error;
///
/// let overloaded = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
/// let out = translate_error(529, overloaded, Format::Anthropic, Format::Gemini);
/// let gemini: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(gemini["error"]["status"], "UNAVAILABLE");
/// assert_eq!(gemini["error"]["message"], "Overloaded");
///
/// let page = b"<html><body>502 Bad Gateway</body></html>";
/// let out = translate_error(502, page, Format::OpenAiChat, Format::Anthropic);
/// let anthropic: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(anthropic["error"]["type"], "api_error");
/// assert_eq!(anthropic["error"]["message"], "<html><body>502 Bad Gateway</body></html>");
/// ```
///
/// # Panics
/// Never, whatever the body.
pub fn translate_error(status: u16, body: &[u8], from: Format, to: Format) -> Vec<u8> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(value) = &parsed
        && family(from) == family(to)
        && has_shape(value, to)
    {
        return body.to_vec();
    }
    let failure = read(status, parsed.as_ref(), body);
    to_vec(&Value::Object(write(&failure, from, to)))
}

/// The formats that share an error shape.
fn family(format: Format) -> Format {
    match format {
        Format::OpenAiResponses => Format::OpenAiChat,
        other => other,
    }
}

/// Whether `value` is an error body of `format`'s shape.
fn has_shape(value: &Value, format: Format) -> bool {
    let error = value.get("error").and_then(Value::as_object);
    let message = error.is_some_and(|error| error.get("message").is_some_and(Value::is_string));
    match format {
        Format::Anthropic => {
            message
                && value.get("type").and_then(Value::as_str) == Some("error")
                && error.is_some_and(|error| error.get("type").is_some_and(Value::is_string))
        }
        Format::Gemini => {
            message
                && error.is_some_and(|error| {
                    error.get("code").is_some_and(Value::is_u64)
                        && error.get("status").is_some_and(Value::is_string)
                })
        }
        _ => message,
    }
}

/// The longest type, status or code carried from an upstream's error, in
/// bytes.
const MAX_WORD: usize = 64;

/// A failure, neutral.
struct Failure<'a> {
    status: u16,
    kind: Kind,
    message: String,
    /// The upstream's own word for it: an Anthropic type, a Google status,
    /// an OpenAI type.
    word: Option<&'a str>,
    /// An OpenAI code (a string or a number), as it came.
    code: Option<&'a Value>,
}

/// What failed, in no format's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    InvalidRequest,
    Authentication,
    Billing,
    Permission,
    NotFound,
    TooLarge,
    RateLimit,
    Timeout,
    Overloaded,
    Internal,
}

/// Each kind's HTTP status, Anthropic type, Google status and OpenAI type.
const WORDS: [(Kind, u16, &str, &str, &str); 10] = [
    (
        Kind::InvalidRequest,
        400,
        "invalid_request_error",
        "INVALID_ARGUMENT",
        "invalid_request_error",
    ),
    (
        Kind::Authentication,
        401,
        "authentication_error",
        "UNAUTHENTICATED",
        "authentication_error",
    ),
    (
        Kind::Billing,
        402,
        "billing_error",
        "FAILED_PRECONDITION",
        "insufficient_quota",
    ),
    (
        Kind::Permission,
        403,
        "permission_error",
        "PERMISSION_DENIED",
        "permission_error",
    ),
    (
        Kind::NotFound,
        404,
        "not_found_error",
        "NOT_FOUND",
        "not_found_error",
    ),
    (
        Kind::TooLarge,
        413,
        "request_too_large",
        "INVALID_ARGUMENT",
        "invalid_request_error",
    ),
    (
        Kind::RateLimit,
        429,
        "rate_limit_error",
        "RESOURCE_EXHAUSTED",
        "rate_limit_error",
    ),
    (
        Kind::Timeout,
        504,
        "timeout_error",
        "DEADLINE_EXCEEDED",
        "timeout_error",
    ),
    (
        Kind::Overloaded,
        529,
        "overloaded_error",
        "UNAVAILABLE",
        "server_error",
    ),
    (Kind::Internal, 500, "api_error", "INTERNAL", "server_error"),
];

fn words(kind: Kind) -> (u16, &'static str, &'static str, &'static str) {
    let (_, status, anthropic, google, openai) = WORDS
        .iter()
        .copied()
        .find(|entry| entry.0 == kind)
        .unwrap_or(WORDS[WORDS.len() - 1]);
    (status, anthropic, google, openai)
}

/// The kind an HTTP status says, where it says one.
fn kind_of_status(status: u16) -> Option<Kind> {
    Some(match status {
        400 => Kind::InvalidRequest,
        401 => Kind::Authentication,
        402 => Kind::Billing,
        403 => Kind::Permission,
        404 => Kind::NotFound,
        408 | 504 => Kind::Timeout,
        413 => Kind::TooLarge,
        429 => Kind::RateLimit,
        503 | 529 => Kind::Overloaded,
        _ => return None,
    })
}

/// Pieces of the formats' words, and the kind they say: Anthropic's types,
/// Google's statuses, OpenAI's types and codes, lower-cased.
const HINTS: [(&str, Kind); 17] = [
    ("rate_limit", Kind::RateLimit),
    ("resource_exhausted", Kind::RateLimit),
    ("quota", Kind::Billing),
    ("billing", Kind::Billing),
    ("overloaded", Kind::Overloaded),
    ("unavailable", Kind::Overloaded),
    ("timeout", Kind::Timeout),
    ("deadline", Kind::Timeout),
    ("too_large", Kind::TooLarge),
    ("authentication", Kind::Authentication),
    ("unauthenticated", Kind::Authentication),
    ("api_key", Kind::Authentication),
    ("permission", Kind::Permission),
    ("not_found", Kind::NotFound),
    ("invalid", Kind::InvalidRequest),
    ("failed_precondition", Kind::InvalidRequest),
    ("out_of_range", Kind::InvalidRequest),
];

fn kind_of_words(words: &[Option<&str>]) -> Option<Kind> {
    words.iter().flatten().find_map(|word| {
        let lower = word.to_ascii_lowercase();
        HINTS
            .iter()
            .find(|(hint, _)| lower.contains(hint))
            .map(|&(_, kind)| kind)
    })
}

/// Reads what the body says, whatever its shape: `{"error":{…}}` (OpenAI,
/// Gemini), `{"type":"error","error":{…}}` (Anthropic), the same inside an
/// array (Gemini's stream), `{"error":"…"}`, `{"message":…}`,
/// `{"detail":…}` or a JSON string (other servers), or text.
fn read<'a>(status: u16, value: Option<&'a Value>, body: &[u8]) -> Failure<'a> {
    let root = match value {
        Some(Value::Array(items)) => items.first(),
        other => other,
    };
    let error = root.and_then(|root| root.get("error"));
    let object: Option<&Map<String, Value>> = error.and_then(Value::as_object).or(match error {
        None => root.and_then(Value::as_object),
        Some(_) => None,
    });
    let text = |name: &str| object.and_then(|o| o.get(name)).and_then(Value::as_str);
    let message = text("message")
        .or_else(|| error.and_then(Value::as_str))
        .or_else(|| text("detail"))
        .or_else(|| root.and_then(Value::as_str))
        .map(str::to_owned)
        .or_else(|| {
            value
                .is_none()
                .then(|| String::from_utf8_lossy(prefix(body)).trim().to_owned())
        })
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| format!("the upstream answered with HTTP status {status}"));
    // A type, status or code is a word: anything longer is no word of any
    // format's, and is not carried.
    let word = |name: &str| text(name).filter(|word| word.len() <= MAX_WORD);
    let kind_word = word("type").filter(|word| *word != "error");
    let status_word = word("status");
    let code = object.and_then(|o| o.get("code")).filter(|code| {
        code.is_number() || code.as_str().is_some_and(|code| code.len() <= MAX_WORD)
    });
    let code_word = code.and_then(Value::as_str);
    let kind = kind_of_status(status)
        .or_else(|| kind_of_words(&[status_word, kind_word, code_word]))
        .unwrap_or(if (400..500).contains(&status) {
            Kind::InvalidRequest
        } else {
            Kind::Internal
        });
    Failure {
        status,
        kind,
        message: cut(message),
        word: status_word.or(kind_word),
        code,
    }
}

/// The body's first [`MAX_ERROR_MESSAGE`] bytes, of a message to cut again
/// on a character boundary.
fn prefix(body: &[u8]) -> &[u8] {
    &body[..body.len().min(MAX_ERROR_MESSAGE + 4)]
}

/// `message` cut to [`MAX_ERROR_MESSAGE`] bytes on a character boundary.
fn cut(mut message: String) -> String {
    if message.len() > MAX_ERROR_MESSAGE {
        let mut end = MAX_ERROR_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    message
}

fn write(failure: &Failure<'_>, from: Format, to: Format) -> Map<String, Value> {
    let (status, anthropic_type, google_status, openai_type) = words(failure.kind);
    let message = failure.message.as_str();
    match to {
        Format::Anthropic => anthropic::write_error(anthropic_type, message),
        Format::Gemini => {
            let code = if (400..=599).contains(&failure.status) {
                failure.status
            } else {
                status
            };
            let word = match failure.word {
                Some(word) if from == Format::Gemini => word,
                _ => google_status,
            };
            gemini::write_error(code, message, word)
        }
        _ => {
            // OpenAI's own type and code go on as they came; another
            // format's word becomes the code, beside OpenAI's type.
            let openai = family(from) == Format::OpenAiChat;
            let error_type = match failure.word {
                Some(word) if openai => word,
                _ => openai_type,
            };
            let code = match failure.code {
                Some(code) if openai => Some(code.clone()),
                _ if failure.kind == Kind::RateLimit => Some(Value::from("rate_limit_exceeded")),
                _ => failure.word.filter(|_| !openai).map(Value::from),
            };
            chat::write_error(message, error_type, code)
        }
    }
}
