//! The round trip through the event model: every recorded stream of the
//! five corpora and every bundled example, relayed to every output format
//! with calls hidden, forwarded, and forwarded without values, at feed sizes
//! 1, 7, 4096 and whole. The output must not depend on the feed size, and
//! read back with the crate's own decoders it must mean what the upstream
//! meant: the same text (with the target values among it, unless left
//! out), reasoning, refusal, calls, finish, usage, and error or end.

use crate::common;

use std::path::PathBuf;

use argstream::{Format, OutputFormat, Relay, ToolCallMode};
use bytes::Bytes;
use common::expected::{first_string_key, is_shuffle, target_text};
use common::readback::{self, Meaning};
use serde_json::Value;

const OUTPUTS: [(OutputFormat, Format); 4] = [
    (OutputFormat::OpenAiChat, Format::OpenAiChat),
    (OutputFormat::Anthropic, Format::Anthropic),
    (OutputFormat::OpenAiResponses, Format::OpenAiResponses),
    (OutputFormat::Gemini, Format::Gemini),
];

/// (calls, values): hidden, forwarded, forwarded without values.
const MODES: [(ToolCallMode, bool); 3] = [
    (ToolCallMode::Hide, true),
    (ToolCallMode::Forward, true),
    (ToolCallMode::Forward, false),
];

fn relay(make: &dyn Fn() -> Relay, upstream: &[u8], piece: usize) -> (Vec<u8>, Relay) {
    let mut relay = make();
    let mut out = Vec::new();
    for read in upstream.chunks(piece.max(1)) {
        relay.feed(Bytes::copy_from_slice(read)).expect("relayed");
        out.extend_from_slice(&relay.output());
    }
    relay.finish().expect("finished");
    out.extend_from_slice(&relay.output());
    (out, relay)
}

/// The first top-level string key of the first call with one: a key the
/// stream really streams.
fn pick_key(meaning: &Meaning) -> String {
    first_string_key(meaning.calls.iter().map(|call| call.arguments.as_str()))
        .unwrap_or_else(|| "pre_exec_msg".to_owned())
}

/// The finish a client of `output` reads back, for the relay's `reason`:
/// `called` when the client got a call, `dropped` when a forwarded call
/// could not go out (Gemini's, whose arguments are not an object).
fn read_back_finish(output: OutputFormat, reason: &str, called: bool, dropped: bool) -> String {
    let gemini_word = reason.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    let reason = match (output, reason) {
        (OutputFormat::OpenAiChat, _) => reason,
        (_, "length" | "content_filter") => reason,
        (OutputFormat::Gemini, "stop" | "tool_calls") if dropped => "MALFORMED_FUNCTION_CALL",
        (OutputFormat::Gemini, _) if gemini_word && !reason.is_empty() => reason,
        (OutputFormat::OpenAiResponses | OutputFormat::Gemini, _) if called => "tool_calls",
        (OutputFormat::Anthropic, "tool_calls") => "tool_calls",
        _ => "stop",
    };
    reason.to_owned()
}

/// (id, name, arguments) of a call as read back.
type ReadCall = (Option<String>, String, String);

/// Whether a client of `output` gets a call with these arguments: Gemini
/// carries them as an object (`{}` for none) and leaves out a call whose
/// arguments are not one; the others carry them as text.
fn goes_out(output: OutputFormat, arguments: &str) -> bool {
    output != OutputFormat::Gemini
        || arguments.trim().is_empty()
        || serde_json::from_str::<Value>(arguments).is_ok_and(|v| v.is_object())
}

/// The calls a client of `output` reads back, for the calls upstream made.
/// Gemini's arguments are compared as JSON values (`{}` for none). A call
/// that had no id (a Gemini call) reaches a Gemini client with none, and
/// the others with the id the relay makes: `None` here, whose id is checked
/// to be there and distinct from the other calls', not compared.
fn read_back_calls(output: OutputFormat, calls: &[readback::Call]) -> Vec<ReadCall> {
    calls
        .iter()
        .filter(|call| goes_out(output, &call.arguments))
        .map(|call| {
            let id =
                (output == OutputFormat::Gemini || !call.id.is_empty()).then(|| call.id.clone());
            (id, call.name.clone(), as_read(output, &call.arguments))
        })
        .collect()
}

/// A call's arguments as `output` carries them.
fn as_read(output: OutputFormat, arguments: &str) -> String {
    match output {
        OutputFormat::Gemini if arguments.trim().is_empty() => "{}".to_owned(),
        OutputFormat::Gemini => serde_json::from_str::<Value>(arguments)
            .map_or_else(|_| arguments.to_owned(), |value| value.to_string()),
        _ => arguments.to_owned(),
    }
}

fn check(name: &str, body: &[u8]) {
    let Ok(upstream) = readback::read(body, None) else {
        // A stream the decoders refuse, the relay refuses too.
        let mut relay = Relay::default();
        let fed = relay.feed(Bytes::copy_from_slice(body));
        assert!(fed.and_then(|()| relay.finish()).is_err(), "{name}");
        return;
    };
    let key = pick_key(&upstream);
    // The target values' text, call by call.
    let targets = target_text(upstream.calls.iter().map(|c| c.arguments.as_str()), &key);
    let mut summaries = Vec::new();
    for (output, format) in OUTPUTS {
        for (mode, values) in MODES {
            let what = format!("{name} to {output}, calls {mode}, values {values}");
            let make = || {
                Relay::new(&[&key])
                    .with_output(output)
                    .with_tool_calls(mode)
                    .with_values(values)
            };
            let (whole, relayer) = relay(&make, body, body.len());
            for piece in [1, 7, 4096] {
                if piece == 1 && body.len() > 200_000 {
                    continue;
                }
                let (out, _) = relay(&make, body, piece);
                assert!(out == whole, "{what}: feed size {piece} changes the output");
            }
            match output {
                OutputFormat::Anthropic => common::rules::anthropic(&whole),
                OutputFormat::OpenAiResponses => common::rules::responses(&whole),
                OutputFormat::Gemini => common::rules::gemini(&whole),
                _ => {}
            }
            let summary = relayer.summary();
            summaries.push(summary.to_json());
            let back = readback::read(&whole, Some(format))
                .unwrap_or_else(|e| panic!("{what}: the output does not read back: {e}"));
            if summary.upstream_error.is_some() {
                assert_eq!((back.errors, back.ended), (1, false), "{what}: error");
                continue;
            }
            assert_eq!((back.errors, back.ended), (0, true), "{what}: the end");
            let forwarded = mode == ToolCallMode::Forward;
            let reason = match summary.finish_reason.as_deref().unwrap_or("stop") {
                "tool_calls" if !forwarded => "stop",
                reason => reason,
            };
            let want_calls = read_back_calls(output, &upstream.calls);
            let called = forwarded && !want_calls.is_empty();
            let dropped = forwarded && want_calls.len() < upstream.calls.len();
            assert_eq!(
                back.finish.as_deref(),
                Some(read_back_finish(output, reason, called, dropped).as_str()),
                "{what}: finish"
            );
            // Anthropic and Gemini have no refusal part: a refusal is text.
            let (text, refusal) = match output {
                OutputFormat::Anthropic | OutputFormat::Gemini => {
                    (format!("{}{}", upstream.text, upstream.refusal), "")
                }
                _ => (upstream.text.clone(), upstream.refusal.as_str()),
            };
            if values {
                assert!(
                    is_shuffle(&back.text, &text, &targets),
                    "{what}: text {:?} is not {text:?} with {targets:?}",
                    back.text
                );
            } else {
                assert_eq!(back.text, text, "{what}: text");
            }
            assert_eq!(back.reasoning, upstream.reasoning, "{what}: reasoning");
            assert_eq!(back.refusal, refusal, "{what}: refusal");
            if forwarded {
                let got: Vec<ReadCall> = back
                    .calls
                    .iter()
                    .zip(&want_calls)
                    .map(|(call, (id, _, _))| {
                        let id = id.as_ref().map(|_| call.id.clone());
                        (id, call.name.clone(), as_read(output, &call.arguments))
                    })
                    .collect();
                assert_eq!(back.calls.len(), want_calls.len(), "{what}: calls");
                assert_eq!(got, want_calls, "{what}: calls");
                // An id the relay made: there, and no other call's, so that
                // the client can answer each call.
                let made = back
                    .calls
                    .iter()
                    .zip(&want_calls)
                    .filter(|(_, want)| want.0.is_none());
                for (call, _) in made {
                    let same = back.calls.iter().filter(|c| c.id == call.id).count();
                    assert!(
                        !call.id.is_empty() && same == 1,
                        "{what}: made id {:?}",
                        call.id
                    );
                }
            } else {
                assert!(back.calls.is_empty(), "{what}: hidden calls");
            }
            if let Some((prompt, completion, _, _)) = upstream.usage {
                let (p, c, _, _) = back.usage.expect("usage");
                assert_eq!(
                    (p.unwrap_or(0), c.unwrap_or(0)),
                    (prompt.unwrap_or(0), completion.unwrap_or(0)),
                    "{what}: usage"
                );
            }
        }
    }
    // What the relay collects does not depend on what it writes.
    summaries.dedup();
    assert_eq!(summaries.len(), 1, "{name}: summaries differ by output");
}

fn files(dir: PathBuf) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "sse" || e == "eventstream")
        })
        .collect();
    files.sort();
    files
}

fn corpus(dir: &str) {
    let Some(dir) = common::testdata(dir) else {
        return;
    };
    let files = files(dir);
    assert!(!files.is_empty());
    for path in files {
        let body = std::fs::read(&path).unwrap();
        check(&path.file_name().unwrap().to_string_lossy(), &body);
    }
}

#[test]
fn every_recorded_chat_stream_round_trips_to_every_format() {
    corpus("streams/openai-compatible");
}

#[test]
fn every_recorded_anthropic_stream_round_trips_to_every_format() {
    corpus("streams/anthropic");
}

#[test]
fn every_recorded_responses_stream_round_trips_to_every_format() {
    corpus("streams/openai-responses");
}

#[test]
fn every_recorded_gemini_stream_round_trips_to_every_format() {
    corpus("streams/gemini");
}

#[test]
fn every_recorded_bedrock_stream_round_trips_to_every_format() {
    corpus("streams/bedrock");
}

#[test]
fn the_bundled_examples_round_trip_to_every_format() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data"));
    for path in files(dir) {
        let body = std::fs::read(&path).unwrap();
        check(&path.file_name().unwrap().to_string_lossy(), &body);
    }
}
