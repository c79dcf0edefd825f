//! What an upstream stream carried, worked out by a test with serde_json
//! from the raw events (never by the crate's decoders), and the checks that
//! the relay gives exactly that at every feed size: the Gemini and Bedrock
//! corpora and generated streams use it.

use argstream::{Relay, ToolCallMode};
use bytes::Bytes;
use serde_json::Value;

use super::client;

/// One call as upstream carried it: its arguments as a JSON value, since a
/// format that sends them as an object (Gemini, Bedrock's whole input)
/// fixes no text.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// The meaning of one stream.
#[derive(Debug, Default, PartialEq)]
pub struct Expected {
    pub text: String,
    pub reasoning: String,
    pub calls: Vec<Call>,
    /// The finish in OpenAI's words, `None` for a stream cut off.
    pub finish: Option<String>,
    /// `(prompt, completion, total)` tokens.
    pub usage: Option<(u64, u64, u64)>,
    pub error: bool,
}

/// Relays `body` fed in pieces of `piece` bytes.
pub fn relay(
    relay: Relay,
    body: &[u8],
    piece: usize,
) -> (Vec<u8>, Relay, Result<(), argstream::Error>) {
    let mut relay = relay;
    let mut out = Vec::new();
    for read in body.chunks(piece.max(1)) {
        let fed = relay.feed(Bytes::copy_from_slice(read));
        out.extend_from_slice(&relay.output());
        if let Err(error) = fed {
            return (out, relay, Err(error));
        }
    }
    let finished = relay.finish();
    out.extend_from_slice(&relay.output());
    (out, relay, finished)
}

/// The first string-valued top-level key of the first call that has one:
/// a key the stream really streams.
pub fn pick_key(expected: &Expected) -> Option<String> {
    expected.calls.iter().find_map(|call| {
        call.arguments
            .as_object()?
            .iter()
            .find(|(_, v)| v.is_string())
            .map(|(k, _)| k.clone())
    })
}

/// The first string-valued key of the first call that has one, among
/// calls' arguments given as JSON text (text that does not parse is passed
/// over): the key a corpus test tracks.
pub fn first_string_key<'a>(arguments: impl IntoIterator<Item = &'a str>) -> Option<String> {
    arguments.into_iter().find_map(|text| {
        let value: Value = serde_json::from_str(text).ok()?;
        let (key, _) = value.as_object()?.iter().find(|(_, v)| v.is_string())?;
        Some(key.clone())
    })
}

/// The string values of `key` in calls' arguments given as JSON text,
/// joined in order: the text a relay streams as the target values.
pub fn target_text<'a>(arguments: impl IntoIterator<Item = &'a str>, key: &str) -> String {
    arguments
        .into_iter()
        .filter_map(|text| {
            let value: Value = serde_json::from_str(text).ok()?;
            value.get(key)?.as_str().map(str::to_owned)
        })
        .collect()
}

/// Checks how a relay's whole chat output ended: with an `error`, cut off
/// (an error, no finish, no `[DONE]`) when there is no `finish`, else with
/// one finish chunk (`tool_calls` read as `stop`, calls being hidden) and
/// `[DONE]`.
pub fn check_ending(
    name: &str,
    whole: &[u8],
    seen: &client::Client,
    error: bool,
    finish: Option<&str>,
) {
    if error {
        assert_eq!((seen.errors.len(), seen.done), (1, 0), "{name}: error");
    } else if let Some(finish) = finish {
        assert!(whole.ends_with(b"data: [DONE]\n\n"), "{name}");
        assert_eq!((seen.errors.len(), seen.done), (0, 1), "{name}");
        let want = if finish == "tool_calls" {
            "stop"
        } else {
            finish
        };
        assert_eq!(seen.finish_reasons, [want], "{name}: one finish chunk");
    } else {
        assert_eq!((seen.errors.len(), seen.done), (1, 0), "{name}: cut off");
        assert!(seen.finish_reasons.is_empty(), "{name}");
    }
}

/// Whether `whole` interleaves `a` and `b`, each in order.
pub fn is_shuffle(whole: &str, a: &str, b: &str) -> bool {
    let (w, a, b): (Vec<char>, Vec<char>, Vec<char>) = (
        whole.chars().collect(),
        a.chars().collect(),
        b.chars().collect(),
    );
    if w.len() != a.len() + b.len() {
        return false;
    }
    // can[j]: whole[..i+j] interleaves a[..i] and b[..j].
    let mut can = vec![false; b.len() + 1];
    can[0] = true;
    for j in 1..=b.len() {
        can[j] = can[j - 1] && b[j - 1] == w[j - 1];
    }
    for i in 1..=a.len() {
        can[0] = can[0] && a[i - 1] == w[i - 1];
        for j in 1..=b.len() {
            can[j] =
                (can[j] && a[i - 1] == w[i + j - 1]) || (can[j - 1] && b[j - 1] == w[i + j - 1]);
        }
    }
    can[b.len()]
}

fn parsed(arguments: &str, what: &str) -> Value {
    serde_json::from_str(arguments).unwrap_or_else(|e| panic!("{what}: {arguments:?}: {e}"))
}

/// Relays `body` at feed sizes 1, 7, 4096 and whole, with calls hidden and
/// forwarded, and checks every output against `expected`; returns the
/// whole-feed output with calls hidden.
pub fn check(name: &str, body: &[u8], expected: &Expected, format: &str) -> Vec<u8> {
    let key = pick_key(expected).unwrap_or_else(|| "pre_exec_msg".to_owned());
    let targets: String = expected
        .calls
        .iter()
        .filter_map(|call| call.arguments.get(&key)?.as_str().map(str::to_owned))
        .collect();
    let make = || Relay::new(&[&key]);
    let (whole, relayer, result) = relay(make(), body, body.len());
    result.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(relayer.format().map(|f| f.name()), Some(format), "{name}");
    for piece in [1, 7, 4096] {
        let (out, _, result) = relay(make(), body, piece);
        result.unwrap_or_else(|e| panic!("{name} at {piece}: {e}"));
        assert_eq!(out, whole, "{name}: feed size {piece} changes the output");
    }
    let seen = client::read(&whole);
    assert_eq!(seen.after_end, 0, "{name}: frames after the end");
    assert_eq!(seen.roles, ["assistant"], "{name}: one role");
    assert_eq!(seen.reasoning, expected.reasoning, "{name}: reasoning");
    assert!(seen.calls.is_empty(), "{name}: calls hidden");
    check_ending(
        name,
        &whole,
        &seen,
        expected.error,
        expected.finish.as_deref(),
    );
    if !expected.error && expected.finish.is_some() {
        let usage: Vec<(u64, u64, u64)> = seen
            .usage
            .iter()
            .map(|u| {
                let n = |field: &str| u[field].as_u64().unwrap();
                (
                    n("prompt_tokens"),
                    n("completion_tokens"),
                    n("total_tokens"),
                )
            })
            .collect();
        assert_eq!(usage, Vec::from_iter(expected.usage), "{name}: usage");
    }
    assert!(
        is_shuffle(&seen.content, &expected.text, &targets),
        "{name}: content {:?} is not text {:?} with targets {targets:?}",
        seen.content,
        expected.text
    );
    let summary = relayer.summary();
    assert_eq!(summary.content, expected.text, "{name}: summary content");
    assert_eq!(
        summary.finish_reason, expected.finish,
        "{name}: summary finish"
    );
    assert_eq!(
        summary.usage.is_some(),
        expected.usage.is_some(),
        "{name}: summary usage"
    );
    let calls: Vec<Call> = summary
        .tool_calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            assert_eq!(c.index as usize, i);
            assert_eq!(c.error, None, "{name}: call {i} {:?}", c.arguments);
            Call {
                id: c.id.clone(),
                name: c.name.clone(),
                arguments: parsed(&c.arguments, name),
            }
        })
        .collect();
    assert_eq!(calls, expected.calls, "{name}: calls");

    // Forwarded: the client gets the calls whole, and the finish as is.
    let forward = Relay::new(&[&key]).with_tool_calls(ToolCallMode::Forward);
    let (out, _, result) = relay(forward, body, 7);
    result.unwrap();
    let seen = client::read(&out);
    let calls: Vec<Call> = seen
        .calls
        .iter()
        .map(|c| Call {
            id: c.id.clone(),
            name: c.name.clone(),
            arguments: parsed(&c.arguments, name),
        })
        .collect();
    assert_eq!(calls, expected.calls, "{name}: forwarded calls");
    if !expected.error
        && let Some(finish) = &expected.finish
    {
        assert_eq!(seen.finish_reasons, std::slice::from_ref(finish), "{name}");
    }
    whole
}

/// Relays a bundled voice-agent example (`examples/data/voice_agent*`)
/// with the default key and checks what every format's copy of that turn
/// gives the client; returns the output and the relay.
pub fn check_voice_agent(body: &[u8]) -> (Vec<u8>, Relay) {
    let (out, relay, result) = relay(Relay::default(), body, 64);
    result.unwrap();
    let seen = client::read(&out);
    let message = "Let me check the \"feels like\" forecast for Lisbon \u{2014} caf\u{e9} weather \u{1F600}.\nOne moment!";
    assert_eq!(seen.content, format!("Sure, checking now.{message}"));
    assert_eq!(
        seen.reasoning,
        "The user wants the weather in Lisbon; call get_weather."
    );
    let mut usage = serde_json::json!({"prompt_tokens": 412, "completion_tokens": 87, "total_tokens": 499, "prompt_tokens_details": {"cached_tokens": 128}});
    // The reasoning count, where the copy has one: Gemini's
    // `thoughtsTokenCount`, Responses' `reasoning_tokens` (the chat copy
    // and the Anthropic one count none).
    let reasoning = body
        .windows(b"thoughtsTokenCount\":23".len())
        .any(|w| w == b"thoughtsTokenCount\":23")
        .then_some(23)
        .or_else(|| {
            let needle = b"\"reasoning_tokens\":24";
            body.windows(needle.len())
                .any(|w| w == needle)
                .then_some(24)
        });
    if let Some(reasoning) = reasoning {
        usage["completion_tokens_details"] = serde_json::json!({"reasoning_tokens": reasoning});
    }
    assert_eq!(seen.usage, [usage]);
    assert_eq!(seen.finish_reasons, ["stop"]);
    (out, relay)
}
