//! The four workloads of the comparison with peer crates, shared by the
//! criterion bench (`benches/peers.rs`) and the report (`src/main.rs`): their
//! inputs, how the inputs are cut into fragments, and the code each side runs.
//!
//! Every implementation returns the length of what it extracted (decoded text
//! for W1 and W2, bytes written downstream for W4) so the caller can check
//! that argstream and its peers did the same work.

use std::convert::Infallible;
use std::path::PathBuf;

use argstream::{Event, KeyScanner, Relay};
use bytes::Bytes;
use futures::StreamExt as _;
use jiter::{JsonValue, PartialMode};
use jsonmodem::{ParseEvent, ParserOptions, PathComponent, StreamingParser};
use serde::{Deserialize, Serialize};

/// The shared test data folder: `ARGSTREAM_TESTDATA`, default `../shared/data`
/// from the repository root (this crate sits one level below it).
pub fn testdata() -> PathBuf {
    std::env::var_os("ARGSTREAM_TESTDATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        PathBuf::from,
    )
}

/// A file of the test data folder, with a message that names the variable
/// when it is missing.
pub fn read_testdata(path: &str) -> Vec<u8> {
    let full = testdata().join(path);
    std::fs::read(&full).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set ARGSTREAM_TESTDATA to the shared data folder)",
            full.display()
        )
    })
}

// ---------------------------------------------------------------- fragments

/// End offsets of `n` pieces of (near) equal length. With `chars`, an end
/// inside a UTF-8 character moves forward to the character's end, so every
/// piece is a `&str`; pieces that become empty are dropped.
pub fn equal_cuts(doc: &[u8], n: usize, chars: bool) -> Vec<usize> {
    cuts((1..=n).map(|i| i * doc.len() / n), doc, chars)
}

/// End offsets of pieces of `len` bytes (the last may be shorter), moved to
/// character ends with `chars` as in [`equal_cuts`].
pub fn fixed_cuts(doc: &[u8], len: usize, chars: bool) -> Vec<usize> {
    let ends = (1..=doc.len().div_ceil(len)).map(|i| (i * len).min(doc.len()));
    cuts(ends, doc, chars)
}

fn cuts(ends: impl Iterator<Item = usize>, doc: &[u8], chars: bool) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for mut end in ends {
        while chars && end < doc.len() && doc[end] & 0xC0 == 0x80 {
            end += 1;
        }
        if out.last().is_none_or(|&last| last < end) {
            out.push(end);
        }
    }
    out
}

/// The pieces `cuts` makes of `doc`.
pub fn byte_pieces<'a>(doc: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut start = 0;
    cuts.iter()
        .map(|&end| {
            let piece = &doc[start..end];
            start = end;
            piece
        })
        .collect()
}

/// The pieces `cuts` makes of `doc`, as text (cuts from `chars` mode).
pub fn str_pieces<'a>(doc: &'a [u8], cuts: &[usize]) -> Vec<&'a str> {
    byte_pieces(doc, cuts)
        .into_iter()
        .map(|piece| std::str::from_utf8(piece).expect("cut at character boundaries"))
        .collect()
}

// ------------------------------------------------------------------- inputs

/// W1: jsonmodem's published benchmark input (16,230 bytes); its top-level
/// `"analysis"` string is the value tracked.
pub fn response_large() -> Vec<u8> {
    read_testdata("bench/response_large.json")
}

/// The key W1 tracks.
pub const W1_KEY: &str = "analysis";

/// The key W2 tracks.
pub const W2_KEY: &str = "pre_exec_msg";

/// Raw JSON string text a voice agent says: prose, quotes, newlines, a Windows
/// path, accents raw and escaped, CJK, emoji, tabs. No surrogate-pair escape
/// (`\ud83d\ude00`): jsonmodem 0.1.0 rejects them ("Invalid Unicode scalar
/// value: 55357"), and every peer must read the same input.
const SAYINGS: [&str; 12] = [
    "Let me check that for you. ",
    r#"She said \"it's fine\" and left. "#,
    r"Line one.\nLine two.\n",
    r"The file is C:\\Users\\agent\\notes.txt; ",
    "Café crème, naïve façade, São Paulo. ",
    "天气很好，我们去公园吧。",
    "東京の天気を確認しています。 ",
    "😀 Great news! 🎉 ",
    r"Price: 5€ (\u20ac), tab\there. ",
    r"Escaped \u00e7a va, \u00bfqu\u00e9 tal? ",
    r"Ünïcödé \u00e9t\u00e9 ",
    "One moment while I look up your order number. ",
];

/// W2: `{"pre_exec_msg": "<text>", ...}` whose raw string text is at least
/// `text_len` bytes, followed by a nested object with a decoy key of the same
/// name and a number. The sayings come in a fixed order (stride 7 over 12).
pub fn voice_arguments(text_len: usize) -> Vec<u8> {
    let mut doc = br#"{"pre_exec_msg": ""#.to_vec();
    let start = doc.len();
    let mut i = 0;
    while doc.len() - start < text_len {
        doc.extend_from_slice(SAYINGS[i % SAYINGS.len()].as_bytes());
        i += 7;
    }
    doc.extend_from_slice(
        br#"", "query": {"city": "Paris", "pre_exec_msg": "decoy"}, "limit": 5}"#,
    );
    doc
}

// ------------------------------------------------- W1, W2: live text, argstream

/// argstream's streaming loop as a gateway writes it: append the fragment to
/// the arguments buffer and have the scanner append the new text to the live
/// text ([`KeyScanner::push_text`]); or, in [`run_events`](Self::run_events),
/// pull every event and decode each span onto the text. Kept between runs,
/// so a run after the first allocates nothing.
pub struct ArgstreamTracker {
    scanner: KeyScanner,
    arguments: Vec<u8>,
    scratch: String,
    text: String,
}

impl ArgstreamTracker {
    /// A tracker for the string value of `key`.
    pub fn new(key: &str) -> ArgstreamTracker {
        ArgstreamTracker {
            scanner: KeyScanner::new(&[key]),
            arguments: Vec::new(),
            scratch: String::new(),
            text: String::new(),
        }
    }

    /// Streams one document given as `pieces` with `push_text`; returns the
    /// decoded text's length.
    pub fn run(&mut self, pieces: &[&[u8]]) -> usize {
        self.scanner.reset();
        self.arguments.clear();
        self.text.clear();
        for piece in pieces {
            self.arguments.extend_from_slice(piece);
            let scanner = &mut self.scanner;
            while let Some(event) = scanner
                .push_text(&self.arguments, &mut self.text)
                .expect("valid")
            {
                if let Event::ValueStart {
                    occurrence: 1.., ..
                } = event
                {
                    self.text.clear();
                }
            }
        }
        self.scanner.finish().expect("complete");
        self.text.len()
    }

    /// [`run`](Self::run) with `next_event`, a span at a time.
    pub fn run_events(&mut self, pieces: &[&[u8]]) -> usize {
        self.scanner.reset();
        self.arguments.clear();
        self.text.clear();
        for piece in pieces {
            self.arguments.extend_from_slice(piece);
            while let Some(event) = self.scanner.next_event(&self.arguments).expect("valid") {
                if let Event::Text(span) = event {
                    let text = span.decode(&self.arguments, &mut self.scratch);
                    self.text.push_str(text.expect("same buffer"));
                }
            }
        }
        self.scanner.finish().expect("complete");
        self.text.len()
    }
}

// --------------------------------------------------- W1, W2: live text, peers

/// jsonmodem's streaming parser, fed each fragment; the string fragments
/// whose path is the top-level `key` make the live text.
pub fn jsonmodem_track(pieces: &[&str], key: &str) -> usize {
    let mut parser = StreamingParser::new(ParserOptions::default());
    let mut text = String::new();
    let mut take = |event: Result<ParseEvent, _>| {
        if let ParseEvent::String { path, fragment, .. } = event.expect("valid")
            && matches!(path.as_slice(), [PathComponent::Key(name)] if name == key)
        {
            text.push_str(&fragment);
        }
    };
    for piece in pieces {
        parser.feed(piece);
        for event in &mut parser {
            take(event);
        }
    }
    for event in parser.finish() {
        take(event);
    }
    text.len()
}

/// What openai-python and the Anthropic SDK do: append the fragment, re-parse
/// the whole buffer with jiter in trailing-strings partial mode, and hand out
/// the part of the value not seen before.
pub fn jiter_reparse(pieces: &[&str], key: &str) -> usize {
    let mut buffer = String::new();
    let mut text = String::new();
    for piece in pieces {
        buffer.push_str(piece);
        let parsed =
            JsonValue::parse_with_config(buffer.as_bytes(), false, PartialMode::TrailingStrings);
        if let Ok(JsonValue::Object(object)) = parsed
            && let Some((_, JsonValue::Str(value))) = object.iter().find(|(name, _)| name == key)
            && value.len() > text.len()
        {
            text.push_str(&value[text.len()..]);
        }
    }
    text.len()
}

/// The target of the naive loop's parse: only the key it wants.
#[derive(Deserialize)]
struct VoiceArguments {
    #[serde(default)]
    pre_exec_msg: Option<String>,
}

/// The naive loop: append the fragment, close the open string and object by
/// hand (`"}`, else `}`, else nothing) and re-parse with serde_json, taking
/// the new part of `pre_exec_msg` when a closing works.
pub fn serde_naive(pieces: &[&str]) -> usize {
    let mut buffer = String::new();
    let mut attempt = String::new();
    let mut text = String::new();
    for piece in pieces {
        buffer.push_str(piece);
        let parsed = ["\"}", "}", ""].iter().find_map(|closing| {
            attempt.clear();
            attempt.push_str(&buffer);
            attempt.push_str(closing);
            serde_json::from_str::<VoiceArguments>(&attempt).ok()
        });
        if let Some(value) = parsed.and_then(|args| args.pre_exec_msg)
            && value.len() > text.len()
            && value.starts_with(text.as_str())
        {
            text.push_str(&value[text.len()..]);
        }
    }
    text.len()
}

// ------------------------------------------------------ W3: one piece, checked

/// argstream reads a whole document in one piece, checking all of it; the
/// text of `key` is counted, not decoded. Returns the text's raw length.
pub fn argstream_validate(scanner: &mut KeyScanner, doc: &[u8]) -> usize {
    scanner.reset();
    let mut text = 0;
    while let Some(event) = scanner.next_event(doc).expect("valid") {
        if let Event::Text(span) = event {
            text += span.len();
        }
    }
    scanner.finish().expect("complete");
    text
}

/// serde_json's cheapest full check: deserialise into `IgnoredAny`.
pub fn serde_ignored(doc: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(doc).is_ok()
}

/// simd-json's tape, on a mutable copy (the copy is the caller's, made
/// outside the timing: simd-json unescapes strings in place). Returns the
/// tape's length.
pub fn simd_json_tape(copy: &mut [u8], buffers: &mut simd_json::Buffers) -> usize {
    simd_json::to_tape_with_buffers(copy, buffers)
        .expect("valid")
        .0
        .len()
}

/// jiter's full check: its value, since `Jiter::next_skip` does not check
/// UTF-8.
pub fn jiter_value(doc: &[u8]) -> bool {
    JsonValue::parse(doc, false).is_ok()
}

/// The physical reference: find every `"` and `\` and do nothing else.
pub fn memchr2_count(doc: &[u8]) -> usize {
    memchr::memchr2_iter(b'"', b'\\', doc).count()
}

// --------------------------------------------------------- W4: relay streams

/// The upstream formats of the recorded streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upstream {
    /// OpenAI chat completions and the providers compatible with it.
    Chat,
    /// Anthropic's Messages events.
    Anthropic,
    /// OpenAI's Responses events.
    Responses,
    /// Google Gemini's `GenerateContentResponse` events (the profile's
    /// pairs; the report's rows stay with the three above).
    Gemini,
}

impl Upstream {
    /// The folder of the test data that holds its streams.
    pub fn folder(self) -> &'static str {
        match self {
            Upstream::Chat => "streams/openai-compatible",
            Upstream::Anthropic => "streams/anthropic",
            Upstream::Responses => "streams/openai-responses",
            Upstream::Gemini => "streams/gemini",
        }
    }
}

/// Recorded streams of one format, each one read of a shared buffer, and the
/// keys the relay tracks: for each stream with tool calls, the first
/// string-valued key of its first call's arguments.
pub struct Corpus {
    /// Their format.
    pub format: Upstream,
    /// One read per stream.
    pub streams: Vec<Bytes>,
    /// The tracked keys, sorted and deduplicated.
    pub keys: Vec<String>,
}

impl Corpus {
    /// Reads `streams/openai-compatible` from the test data folder.
    pub fn load() -> Corpus {
        Corpus::load_format(Upstream::Chat)
    }

    /// Reads the streams of `format` from the test data folder.
    pub fn load_format(format: Upstream) -> Corpus {
        let dir = testdata().join(format.folder());
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("readable").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "sse"))
            .collect();
        paths.sort();
        let mut all = Vec::new();
        let mut ranges = Vec::new();
        let mut keys = Vec::new();
        for path in &paths {
            let body = std::fs::read(path).expect("readable");
            keys.extend(first_string_key(format, &body));
            ranges.push(all.len()..all.len() + body.len());
            all.extend_from_slice(&body);
        }
        let all = Bytes::from(all);
        keys.sort();
        keys.dedup();
        Corpus {
            format,
            streams: ranges.into_iter().map(|range| all.slice(range)).collect(),
            keys,
        }
    }

    /// The streams that make no tool call: the same-format rows' input,
    /// which the relay may forward as they came.
    pub fn without_calls(&self) -> Corpus {
        let marker: &[u8] = match self.format {
            Upstream::Chat => b"\"tool_calls\"",
            Upstream::Anthropic => b"\"tool_use\"",
            Upstream::Responses => b"\"function_call\"",
            Upstream::Gemini => b"\"functionCall\"",
        };
        let streams = self
            .streams
            .iter()
            .filter(|stream| memchr::memmem::find(stream, marker).is_none())
            .cloned()
            .collect();
        Corpus {
            format: self.format,
            streams,
            keys: self.keys.clone(),
        }
    }

    /// The relay's output that answers a stream of this corpus in its own
    /// format.
    pub fn own_output(&self) -> argstream::Output {
        match self.format {
            Upstream::Chat => argstream::Output::OpenAiChat,
            Upstream::Anthropic => argstream::Output::Anthropic,
            Upstream::Responses => argstream::Output::OpenAiResponses,
            Upstream::Gemini => argstream::Output::Gemini,
        }
    }

    /// The bytes of all streams.
    pub fn total_bytes(&self) -> usize {
        self.streams.iter().map(Bytes::len).sum()
    }
}

/// The first string-valued key of the first tool call's arguments.
fn first_string_key(format: Upstream, body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let mut arguments = String::new();
    // The first call: Anthropic's first tool_use block, Responses' first
    // function_call item.
    let mut first_call: Option<String> = None;
    for line in text.lines() {
        let Some(payload) = line.strip_prefix("data:").map(str::trim) else {
            continue;
        };
        match format {
            Upstream::Chat => {
                let Ok(chunk) = serde_json::from_str::<ChatChunk>(payload) else {
                    continue;
                };
                let calls = chunk.choices.into_iter().filter_map(|c| c.delta.tool_calls);
                for call in calls.flatten().filter(|call| call.index == 0) {
                    arguments.extend(call.function.and_then(|f| f.arguments));
                }
            }
            Upstream::Anthropic => {
                let Ok(event) = serde_json::from_str::<AnthropicEvent>(payload) else {
                    continue;
                };
                let index = event.index.map(|i| i.to_string());
                if event.content_block.is_some_and(|b| b.kind == "tool_use") {
                    first_call = first_call.or(index);
                } else if let Some(delta) = event.delta
                    && first_call.is_some()
                    && index == first_call
                {
                    arguments.extend(delta.partial_json);
                }
            }
            Upstream::Responses => {
                let Ok(event) = serde_json::from_str::<ResponsesEvent>(payload) else {
                    continue;
                };
                if let Some(item) = event.item
                    && item.kind == "function_call"
                {
                    first_call = first_call.or(item.id);
                } else if event.kind == "response.function_call_arguments.delta"
                    && first_call.is_some()
                    && event.item_id == first_call
                {
                    arguments.extend(event.delta);
                }
            }
            Upstream::Gemini => {
                // Gemini sends a call's arguments whole, as an object.
                let Ok(event) = serde_json::from_str::<serde_json::Value>(payload) else {
                    continue;
                };
                let parts = event["candidates"][0]["content"]["parts"].as_array();
                let first = parts
                    .into_iter()
                    .flatten()
                    .find_map(|part| part["functionCall"]["args"].as_object());
                if let Some(args) = first
                    && arguments.is_empty()
                {
                    arguments = serde_json::Value::Object(args.clone()).to_string();
                }
            }
        }
    }
    let value: serde_json::Value = serde_json::from_str(&arguments).ok()?;
    let (key, _) = value.as_object()?.iter().find(|(_, v)| v.is_string())?;
    Some(key.clone())
}

/// `stream` cut into reads of `len` bytes (the last may be shorter), each a
/// zero-copy slice, as a gateway's HTTP client hands them over.
pub fn reads(stream: &Bytes, len: usize) -> impl Iterator<Item = Bytes> + '_ {
    (0..stream.len())
        .step_by(len.max(1))
        .map(move |at| stream.slice(at..(at + len).min(stream.len())))
}

/// What a gateway does per request: a new relay for each stream, fed in
/// reads of `read_len` bytes. Returns the downstream bytes and the upstream
/// events.
pub fn relay_corpus_fresh(corpus: &Corpus, read_len: usize) -> (usize, u64) {
    let (mut written, mut events) = (0, 0);
    for stream in &corpus.streams {
        let mut relay = Relay::new(&corpus.keys);
        for read in reads(stream, read_len) {
            relay.feed(read).expect("relays");
            written += relay.output().len();
        }
        relay.finish().expect("relays");
        written += relay.output().len();
        events += relay.events();
    }
    (written, events)
}

/// argstream's relay over every stream, each fed as one read; returns the
/// downstream bytes and the upstream events.
pub fn relay_corpus(relay: &mut Relay, corpus: &Corpus) -> (usize, u64) {
    let (mut written, mut events) = (0, 0);
    for stream in &corpus.streams {
        relay.reset();
        relay.feed(stream.clone()).expect("relays");
        written += relay.output().len();
        relay.finish().expect("relays");
        written += relay.output().len();
        events += relay.events();
    }
    (written, events)
}

/// argstream's SSE decoder alone over every stream, each as one read, the
/// decoder reset: the floor a same-format relay is measured against.
/// Returns the data bytes and the events.
pub fn sse_decode_corpus(decoder: &mut argstream::SseDecoder, corpus: &Corpus) -> (usize, u64) {
    let (mut data, mut events) = (0, 0);
    for stream in &corpus.streams {
        decoder.reset();
        decoder.feed(stream.clone());
        decoder.finish();
        while let Some(event) = decoder.next_event().expect("decodes") {
            data += event.data().len();
            events += 1;
        }
    }
    (data, events)
}

/// An owned `chat.completion.chunk`, as async-openai and most gateways
/// deserialise it.
#[derive(Deserialize, Serialize)]
pub struct ChatChunk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    object: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

#[derive(Deserialize, Serialize)]
struct ChunkChoice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Default, Deserialize, Serialize)]
struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<ToolCallChunk>>,
}

#[derive(Deserialize, Serialize)]
struct ToolCallChunk {
    #[serde(default)]
    index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    function: Option<FunctionChunk>,
}

#[derive(Deserialize, Serialize)]
struct FunctionChunk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arguments: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

/// An Anthropic Messages event, owned, with the fields a gateway reads.
#[derive(Deserialize, Serialize)]
pub struct AnthropicEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<AnthropicMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_block: Option<AnthropicBlock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delta: Option<AnthropicDelta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<AnthropicUsage>,
}

#[derive(Deserialize, Serialize)]
struct AnthropicMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<AnthropicUsage>,
}

#[derive(Deserialize, Serialize)]
struct AnthropicBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thinking: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct AnthropicDelta {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    partial_json: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thinking: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stop_reason: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct AnthropicUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

/// An OpenAI Responses event, owned, with the fields a gateway reads.
#[derive(Deserialize, Serialize)]
pub struct ResponsesEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    sequence_number: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output_index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delta: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    item: Option<ResponsesItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<ResponsesResponse>,
}

#[derive(Deserialize, Serialize)]
struct ResponsesItem {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arguments: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct ResponsesResponse {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<ResponsesUsage>,
}

#[derive(Deserialize, Serialize)]
struct ResponsesUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

/// Deserialises `data` into `T` and serialises it into `frame`, or copies
/// `data` when it is not a `T`.
fn reserialise_as<T: serde::de::DeserializeOwned + Serialize>(data: &str, frame: &mut Vec<u8>) {
    match serde_json::from_str::<T>(data) {
        Ok(value) => serde_json::to_writer(&mut *frame, &value).expect("serialises"),
        Err(_) => frame.extend_from_slice(data.as_bytes()),
    }
}

/// One event's data the way the serde_json gateways handle it: `[DONE]` is
/// passed on, an event is deserialised into the owned structs of its format
/// ([`ChatChunk`], [`AnthropicEvent`], [`ResponsesEvent`]) and serialised
/// again into the reused `frame`; data that is not one (an in-stream error)
/// is forwarded as it is. Returns the frame's length.
fn reserialise(format: Upstream, data: &str, frame: &mut Vec<u8>) -> usize {
    frame.clear();
    frame.extend_from_slice(b"data: ");
    match format {
        _ if data == "[DONE]" => frame.extend_from_slice(data.as_bytes()),
        Upstream::Chat => reserialise_as::<ChatChunk>(data, frame),
        Upstream::Anthropic => reserialise_as::<AnthropicEvent>(data, frame),
        Upstream::Responses => reserialise_as::<ResponsesEvent>(data, frame),
        Upstream::Gemini => reserialise_as::<serde_json::Value>(data, frame),
    }
    frame.extend_from_slice(b"\n\n");
    frame.len()
}

/// A stream's reads as the peers' byte streams take them: one read, or
/// reads of `read_len` bytes.
fn peer_reads(
    stream: &Bytes,
    read_len: Option<usize>,
) -> futures::stream::Iter<std::vec::IntoIter<Result<Bytes, Infallible>>> {
    let reads: Vec<_> = match read_len {
        None => vec![Ok(stream.clone())],
        Some(len) => reads(stream, len).map(Ok).collect(),
    };
    futures::stream::iter(reads)
}

/// The async-openai path: eventsource-stream over each stream, in one read
/// or reads of `read_len` bytes, then [`reserialise`]. Returns the bytes
/// written and the events.
pub fn eventsource_corpus(corpus: &Corpus, read_len: Option<usize>) -> (usize, u64) {
    use eventsource_stream::Eventsource as _;
    let mut frame = Vec::new();
    let (mut written, mut events) = (0, 0);
    for stream in &corpus.streams {
        let mut sse = peer_reads(stream, read_len).eventsource();
        futures::executor::block_on(async {
            while let Some(event) = sse.next().await {
                let data = event.expect("decodes").data;
                written += reserialise(corpus.format, &data, &mut frame);
                events += 1;
            }
        });
    }
    (written, events)
}

/// The tensorzero path: sse-stream over each stream, in one read or reads
/// of `read_len` bytes, then [`reserialise`]. Returns the bytes written and
/// the events.
pub fn sse_stream_corpus(corpus: &Corpus, read_len: Option<usize>) -> (usize, u64) {
    let mut frame = Vec::new();
    let (mut written, mut events) = (0, 0);
    for stream in &corpus.streams {
        let mut sse = sse_stream::SseByteStream::new(peer_reads(stream, read_len));
        futures::executor::block_on(async {
            while let Some(event) = sse.next().await {
                if let Some(data) = event.expect("decodes").data {
                    written += reserialise(corpus.format, &data, &mut frame);
                    events += 1;
                }
            }
        });
    }
    (written, events)
}
