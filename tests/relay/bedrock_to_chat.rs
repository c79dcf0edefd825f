//! Bedrock in: every recorded `ConverseStream` body, the bundled example
//! and generated frames, relayed at several feed sizes and cut at every
//! byte, checked against a plain reading of the frames written here (its
//! own prelude, header and CRC reading, serde_json for the payloads); and
//! the frame faults: a corrupted CRC, a truncated frame, an exception, a
//! frame past the limit.

use crate::common;

use argstream::eventstream::{FrameDecoder, encode_frame, encode_frame_with_headers};
use argstream::{ErrorKind, Format, Relay, ToolCallMode};
use bytes::Bytes;
use common::client;
use common::expected::{self, Call, Expected};
use serde_json::{Value, json};

/// One frame as a plain reading sees it: its string headers and payload.
#[derive(Debug, PartialEq)]
struct PlainFrame {
    headers: Vec<(String, String)>,
    payload: Vec<u8>,
}

impl PlainFrame {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn be32(bytes: &[u8]) -> usize {
    u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize
}

/// The frames of `body`, or the offset of the first that does not read
/// (its CRCs checked, its string headers kept and the others skipped).
fn plain_frames(body: &[u8]) -> Result<Vec<PlainFrame>, usize> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let frame = body.get(at..).filter(|rest| rest.len() >= 16).ok_or(at)?;
        let (total, headers_len) = (be32(frame), be32(&frame[4..]));
        if crc32fast::hash(&frame[..8]) as usize != be32(&frame[8..])
            || total < 16
            || total > frame.len()
            || headers_len + 16 > total
        {
            return Err(at);
        }
        let frame = &frame[..total];
        if crc32fast::hash(&frame[..total - 4]) as usize != be32(&frame[total - 4..]) {
            return Err(at);
        }
        let mut headers = Vec::new();
        let mut h = &frame[12..12 + headers_len];
        while !h.is_empty() {
            let n = h[0] as usize;
            let name = String::from_utf8(h[1..1 + n].to_vec()).map_err(|_| at)?;
            let kind = h[1 + n];
            h = &h[2 + n..];
            let skip = match kind {
                0 | 1 => 0,
                2 => 1,
                3 => 2,
                4 => 4,
                5 | 8 => 8,
                9 => 16,
                6 | 7 => 2 + u16::from_be_bytes([h[0], h[1]]) as usize,
                _ => return Err(at),
            };
            if kind == 7 {
                headers.push((
                    name,
                    String::from_utf8(h[2..skip].to_vec()).map_err(|_| at)?,
                ));
            }
            h = &h[skip..];
        }
        frames.push(PlainFrame {
            headers,
            payload: frame[12 + headers_len..total - 4].to_vec(),
        });
        at += total;
    }
    Ok(frames)
}

/// What a Bedrock body carried, read from the plain frames.
fn expect(body: &[u8]) -> Expected {
    let mut e = Expected::default();
    let mut blocks: Vec<(u64, usize)> = Vec::new();
    let mut inputs: Vec<String> = Vec::new();
    for frame in plain_frames(body).expect("frames that read") {
        if frame.header(":message-type") != Some("event") {
            e.error = true;
            break;
        }
        let v: Value = serde_json::from_slice(&frame.payload).unwrap();
        let index = v["contentBlockIndex"].as_u64().unwrap_or(0);
        match frame.header(":event-type").unwrap() {
            "contentBlockStart" => {
                let tool = &v["start"]["toolUse"];
                if tool.is_object() {
                    blocks.push((index, e.calls.len()));
                    inputs.push(String::new());
                    e.calls.push(Call {
                        id: tool["toolUseId"].as_str().unwrap().to_owned(),
                        name: tool["name"].as_str().unwrap().to_owned(),
                        arguments: Value::Null,
                    });
                }
            }
            "contentBlockDelta" => {
                let delta = &v["delta"];
                e.text.push_str(delta["text"].as_str().unwrap_or(""));
                e.reasoning
                    .push_str(delta["reasoningContent"]["text"].as_str().unwrap_or(""));
                if let Some(input) = delta["toolUse"]["input"].as_str() {
                    let slot = blocks.iter().find(|(i, _)| *i == index).unwrap().1;
                    inputs[slot].push_str(input);
                }
            }
            "messageStop" => {
                e.finish = Some(
                    match v["stopReason"].as_str().unwrap() {
                        "end_turn" | "stop_sequence" => "stop",
                        "tool_use" => "tool_calls",
                        "max_tokens" => "length",
                        "guardrail_intervened" | "content_filtered" => "content_filter",
                        other => other,
                    }
                    .to_owned(),
                );
            }
            "metadata" => {
                let u = &v["usage"];
                let n = |f: &str| u[f].as_u64().unwrap_or(0);
                let prompt =
                    n("inputTokens") + n("cacheReadInputTokens") + n("cacheWriteInputTokens");
                e.usage = Some((prompt, n("outputTokens"), n("totalTokens")));
            }
            _ => {}
        }
    }
    for (call, input) in e.calls.iter_mut().zip(inputs) {
        call.arguments = serde_json::from_str(&input).unwrap();
    }
    e
}

#[test]
fn every_recorded_bedrock_stream() {
    let files = common::testdata_files("streams/bedrock");
    if files.is_empty() {
        return;
    }
    let mut calls = 0;
    for path in &files {
        let body = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let expected = expect(&body);
        expected::check(&name, &body, &expected, "bedrock");
        calls += usize::from(!expected.calls.is_empty());
        // The crate's frame decoder reads what the plain reading reads.
        let mut decoder = FrameDecoder::new();
        decoder.feed(Bytes::from(body.clone()));
        let plain = plain_frames(&body).unwrap();
        for want in &plain {
            let frame = decoder.next_frame().unwrap().unwrap();
            assert_eq!(
                frame.event_type(),
                want.header(":event-type").map(str::as_bytes)
            );
            assert_eq!(&frame.payload()[..], &want.payload[..]);
        }
        assert_eq!(decoder.next_frame(), Ok(None));
    }
    assert_eq!((files.len(), calls), (8, 4));
}

/// Appends an event frame whose payload is `payload`'s JSON.
fn push(body: &mut Vec<u8>, event_type: &str, payload: Value) {
    encode_frame(body, event_type, sorted(payload).to_string().as_bytes());
}

/// `value` with every object's members in sorted order, so that the bytes
/// written are the same whether serde_json keeps insertion order (its
/// `preserve_order`, which a workspace build turns on for the translate
/// crate) or sorts.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(members) => {
            let mut members: Vec<(String, Value)> = members.into_iter().collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(members.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The voice-agent turn of `examples/data/voice_agent*.sse` as Bedrock
/// sends it: reasoning, text, then the `get_weather` call whose input comes
/// in the same pieces, cut inside escapes, a surrogate pair and a
/// character; the stop, then the usage. This writes the bundled
/// `examples/data/voice_agent_bedrock.eventstream`.
fn voice_agent(input_pieces: &[&str]) -> Vec<u8> {
    let mut body = Vec::new();
    push(&mut body, "messageStart", json!({"role": "assistant"}));
    for text in [
        "The user wants",
        " the weather in Lisbon;",
        " call get_weather.",
    ] {
        push(
            &mut body,
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": text}}}),
        );
    }
    push(
        &mut body,
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2lnbmF0dXJl"}}}),
    );
    push(
        &mut body,
        "contentBlockStop",
        json!({"contentBlockIndex": 0}),
    );
    for text in ["Sure", ", checking", " now."] {
        push(
            &mut body,
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"text": text}}),
        );
    }
    push(
        &mut body,
        "contentBlockStop",
        json!({"contentBlockIndex": 1}),
    );
    push(
        &mut body,
        "contentBlockStart",
        json!({"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "tooluse_weather", "name": "get_weather"}}}),
    );
    for piece in input_pieces {
        push(
            &mut body,
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"toolUse": {"input": piece}}}),
        );
    }
    push(
        &mut body,
        "contentBlockStop",
        json!({"contentBlockIndex": 2}),
    );
    push(&mut body, "messageStop", json!({"stopReason": "tool_use"}));
    push(
        &mut body,
        "metadata",
        json!({"usage": {"inputTokens": 284, "cacheReadInputTokens": 128, "outputTokens": 87, "totalTokens": 499}, "metrics": {"latencyMs": 412}}),
    );
    body
}

/// The call's input in the pieces the Anthropic example streams it in.
const INPUT: [&str; 26] = [
    "{\"",
    "city\"",
    ": \"Lisbon",
    "\", ",
    "\"query\": {\"p",
    "re_exec",
    "_",
    "msg\": \"decoy\"}, ",
    "\"pre",
    "_exec_ms",
    "g\"",
    ": \"Let me c",
    "heck t",
    "he ",
    "\\\"feels l",
    "ike\\\" forecast",
    " for ",
    "L",
    "isbon \\",
    "u2014 caf\u{e9} weather \\",
    "ud8",
    "3d\\ude",
    "00",
    ".\\nOne mom",
    "ent!",
    "\"}",
];

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/data/voice_agent_bedrock.eventstream"
);

/// `ARGSTREAM_WRITE_EXAMPLES=1 cargo test --test relay bedrock_to_chat` writes the
/// bundled example anew.
#[test]
fn the_bundled_example_is_what_the_generator_writes() {
    let generated = voice_agent(&INPUT);
    if std::env::var_os("ARGSTREAM_WRITE_EXAMPLES").is_some() {
        std::fs::write(EXAMPLE, &generated).unwrap();
    }
    let bundled = std::fs::read(EXAMPLE).expect("the bundled example");
    assert!(
        bundled == generated,
        "examples/data/voice_agent_bedrock.eventstream is stale"
    );
    let expected = expect(&bundled);
    expected::check("voice_agent_bedrock", &bundled, &expected, "bedrock");
    expected::check_voice_agent(&bundled);
}

#[test]
fn the_input_cut_anywhere_and_frames_split_at_every_byte() {
    let whole: String = INPUT.concat();
    // The input cut at every byte boundary that is a character boundary.
    for cut in (1..whole.len()).filter(|&cut| whole.is_char_boundary(cut)) {
        let body = voice_agent(&[&whole[..cut], &whole[cut..]]);
        expected::check(
            &format!("input cut at {cut}"),
            &body,
            &expect(&body),
            "bedrock",
        );
    }
    // The body fed in two reads, cut at every byte.
    let body = voice_agent(&INPUT);
    let (want, _, result) = expected::relay(Relay::default(), &body, body.len());
    result.unwrap();
    for cut in 1..body.len() {
        let mut relay = Relay::default();
        let mut out = Vec::new();
        for read in [&body[..cut], &body[cut..]] {
            relay.feed(Bytes::copy_from_slice(read)).unwrap();
            out.extend_from_slice(&relay.output());
        }
        relay.finish().unwrap();
        out.extend_from_slice(&relay.output());
        assert!(out == want, "cut at {cut}");
    }
}

#[test]
fn a_corrupted_crc_is_an_error_at_the_frame() {
    let body = voice_agent(&INPUT);
    let frames = plain_frames(&body).unwrap();
    let third = frames[..2].iter().map(|f| f.payload.len()).sum::<usize>();
    let starts: Vec<usize> = {
        let mut at = 0;
        let mut starts = Vec::new();
        while at < body.len() {
            starts.push(at);
            at += be32(&body[at..]);
        }
        starts
    };
    assert!(third > 0);
    let at = starts[2];
    let end = starts[3];
    // A bit flipped in the prelude CRC, in the payload, and in the message CRC.
    for flip in [at + 9, at + 20, end - 1] {
        let mut bad = body.clone();
        bad[flip] ^= 0x10;
        for piece in [1, 7, bad.len()] {
            let (out, relay, result) = expected::relay(Relay::default(), &bad, piece);
            let error = result.unwrap_err();
            assert_eq!(
                (error.kind(), error.offset()),
                (ErrorKind::MalformedFrame, at as u64),
                "flip {flip}"
            );
            assert_eq!(relay.events(), 2, "the two frames before it were relayed");
            assert_eq!(client::read(&out).reasoning, "The user wants");
        }
    }
    // A prelude that claims less than a frame can be.
    let mut bad = Vec::new();
    bad.extend_from_slice(&8u32.to_be_bytes());
    bad.extend_from_slice(&0u32.to_be_bytes());
    bad.extend_from_slice(&crc32fast::hash(&bad).to_be_bytes());
    bad.extend_from_slice(&[0; 4]);
    let (_, _, result) =
        expected::relay(Relay::default().with_format(Some(Format::Bedrock)), &bad, 3);
    assert_eq!(result.unwrap_err().kind(), ErrorKind::MalformedFrame);
}

#[test]
fn bad_headers_are_errors_and_every_header_type_is_read() {
    let payload = br#"{"contentBlockIndex":0,"delta":{"text":"ok"}}"#;
    let mut headers = Vec::new();
    for (name, kind, value) in [
        ("t", 0u8, &[][..]),
        ("f", 1, &[]),
        ("b", 2, &[7]),
        ("s", 3, &[0, 7]),
        ("i", 4, &[0, 0, 0, 7]),
        ("l", 5, &[0; 8]),
        ("y", 6, &[0, 2, 0xff, 0xfe]),
        ("ts", 8, &[0; 8]),
        ("u", 9, &[0; 16]),
    ] {
        headers.push(name.len() as u8);
        headers.extend_from_slice(name.as_bytes());
        headers.push(kind);
        headers.extend_from_slice(value);
    }
    let frame = |extra: &[u8]| {
        let mut named = Vec::new();
        encode_frame_with_headers(
            &mut named,
            &[
                (":message-type", "event"),
                (":event-type", "contentBlockDelta"),
            ],
            b"",
        );
        let named_headers = &named[12..named.len() - 4];
        let mut all = named_headers.to_vec();
        all.extend_from_slice(&headers);
        all.extend_from_slice(extra);
        let mut out = Vec::new();
        let total = (16 + all.len() + payload.len()) as u32;
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&(all.len() as u32).to_be_bytes());
        out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
        out.extend_from_slice(&all);
        out.extend_from_slice(payload);
        out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
        out
    };
    let good = frame(&[]);
    let (out, _, result) = expected::relay(Relay::default(), &good, 1);
    result.unwrap();
    assert_eq!(client::read(&out).content, "ok");
    // A string past the headers, an unknown type, a name past them, a
    // string that is not UTF-8.
    for extra in [
        &[1, b'x', 7, 0, 9, b'a'][..],
        &[1, b'x', 10],
        &[9, b'x'],
        &[1, b'x', 7, 0, 1, 0xff],
    ] {
        let (_, _, result) = expected::relay(Relay::default(), &frame(extra), 4);
        let error = result.unwrap_err();
        assert_eq!(
            (error.kind(), error.offset()),
            (ErrorKind::MalformedFrame, 0),
            "{extra:?}"
        );
    }
}

#[test]
fn a_truncated_frame_is_a_cut_off_stream() {
    let body = voice_agent(&INPUT);
    // Cut inside the metadata frame: the stop came, the usage did not.
    for cut in [body.len() - 1, body.len() - 30, 11, 1] {
        let (out, relay, result) = expected::relay(Relay::default(), &body[..cut], 5);
        result.unwrap();
        let seen = client::read(&out);
        assert_eq!((seen.errors.len(), seen.done), (1, 0), "cut at {cut}");
        assert_eq!(seen.errors[0]["code"], "stream_truncated");
        assert!(relay.summary().upstream_error.is_some());
    }
    // Ended after messageStop with no metadata: complete, with no usage.
    let starts = plain_frames(&body).unwrap().len();
    let mut at = 0;
    for _ in 0..starts - 1 {
        at += be32(&body[at..]);
    }
    let (out, _, result) = expected::relay(Relay::default(), &body[..at], 5);
    result.unwrap();
    let seen = client::read(&out);
    assert_eq!((seen.errors.len(), seen.done, seen.usage.len()), (0, 1, 0));
}

#[test]
fn an_exception_frame_is_an_upstream_error() {
    let mut body = Vec::new();
    push(&mut body, "messageStart", json!({"role": "assistant"}));
    push(
        &mut body,
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
    );
    encode_frame_with_headers(
        &mut body,
        &[
            (":exception-type", "throttlingException"),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        br#"{"message":"Too many requests, please wait."}"#,
    );
    push(
        &mut body,
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"text": "lo"}}),
    );
    let expected = expect(&body);
    assert!(expected.error);
    let out = expected::check("exception", &body, &expected, "bedrock");
    let seen = client::read(&out);
    assert_eq!(seen.content, "Hel");
    assert_eq!(seen.errors[0]["message"], "Too many requests, please wait.");
    assert_eq!(seen.errors[0]["type"], "throttlingException");
}

#[test]
fn a_frame_past_the_limit_is_too_large_and_stops_and_finishes_map() {
    let body = voice_agent(&INPUT);
    let limit = 150;
    let (_, relay, result) = expected::relay(Relay::default().with_max_event_size(limit), &body, 9);
    let error = result.unwrap_err();
    let mut at = 0;
    while be32(&body[at..]) <= limit {
        at += be32(&body[at..]);
    }
    assert!(at > 0, "a frame fits");
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::EventTooLarge, at as u64)
    );
    assert_eq!(relay.format(), Some(Format::Bedrock));
    for (reason, finish) in [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
        ("model_context_window_exceeded", "length"),
    ] {
        let mut body = Vec::new();
        push(
            &mut body,
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "x"}}),
        );
        push(&mut body, "messageStop", json!({"stopReason": reason}));
        let forward = Relay::default().with_tool_calls(ToolCallMode::Forward);
        let (out, relay, _) = expected::relay(forward, &body, 6);
        assert_eq!(
            relay.summary().finish_reason.as_deref(),
            Some(finish),
            "{reason}"
        );
        assert_eq!(client::read(&out).finish_reasons, [finish]);
    }
}

/// A body is read as Bedrock frames only when its first frame's prelude
/// checksum holds: one that starts with a zero byte but whose prelude does
/// not check is an error at offset 0, in any cut, with no format told and
/// nothing written; with the checksum right, the same body is Bedrock.
#[test]
fn a_body_is_frames_only_when_its_first_prelude_checks() {
    let body = voice_agent(&INPUT);
    for piece in [1, 5, 12, body.len()] {
        let (_, relay, result) = expected::relay(Relay::default(), &body, piece);
        result.unwrap();
        assert_eq!(relay.format(), Some(Format::Bedrock));
        for flip in [9, 11] {
            let mut bad = body.clone();
            bad[flip] ^= 0x01;
            let (out, relay, result) = expected::relay(Relay::default(), &bad, piece);
            let error = result.unwrap_err();
            assert_eq!(
                (error.kind(), error.offset()),
                (ErrorKind::MalformedFrame, 0)
            );
            assert_eq!(relay.format(), None, "cut {piece}");
            assert!(out.is_empty(), "cut {piece}");
            assert_eq!(relay.events(), 0);
        }
    }
}

/// A frame is Bedrock's whatever format a decoder was given: read for
/// Bedrock's member names, its call fragment, finish and usage arrive, and
/// the given format's own events still read as before after it.
#[test]
fn a_frame_reads_as_bedrock_whatever_format_the_decoder_was_given() {
    use argstream::upstream::{Decoder, Sink, Upstream};
    use argstream::{Error, Format, SseDecoder};

    #[derive(Default)]
    struct Seen(Vec<String>);
    impl Sink for Seen {
        fn event(&mut self, event: Upstream<'_>) -> Result<(), Error> {
            self.0.push(match event {
                Upstream::Call(call) => format!("call {:?}", call.arguments),
                Upstream::Finish(finish) => format!("finish {finish:?}"),
                Upstream::Usage { usage, .. } => format!("usage {:?}", usage.input),
                Upstream::Text(text) => format!("text {text}"),
                _ => return Ok(()),
            });
            Ok(())
        }
    }
    let mut body = Vec::new();
    let input = json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"a\":1}"}}});
    push(&mut body, "contentBlockDelta", input);
    push(&mut body, "messageStop", json!({"stopReason": "tool_use"}));
    push(&mut body, "metadata", json!({"usage": {"inputTokens": 7}}));
    let chunk = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n";
    for given in [
        None,
        Some(Format::Bedrock),
        Some(Format::OpenAiChat),
        Some(Format::Anthropic),
    ] {
        let mut decoder = Decoder::new(given);
        let mut seen = Seen::default();
        let mut frames = FrameDecoder::new();
        frames.feed(Bytes::from(body.clone()));
        while let Some(frame) = frames.next_frame().unwrap() {
            decoder.decode_frame(&frame, &mut seen).unwrap();
        }
        assert_eq!(
            seen.0,
            [
                "call Some(\"{\\\"a\\\":1}\")",
                "finish ToolCalls",
                "usage Some(7)"
            ],
            "{given:?}"
        );
        if given == Some(Format::OpenAiChat) {
            let mut sse = SseDecoder::new();
            sse.feed(Bytes::from(chunk));
            let event = sse.next_event().unwrap().unwrap();
            decoder.decode(&event, &mut seen).unwrap();
            assert_eq!(seen.0.last().map(String::as_str), Some("text hi"));
        }
    }
}
