//! The chat-completion chunk view: hand-written payloads for each field and
//! provider habit, and every payload of the recorded streams compared with
//! serde_json.

use std::path::PathBuf;

use argstream::chat::{Chunk, ChunkParser, ChunkView, Content, ErrorCode, ToolCall};
use argstream::{Error, ErrorKind};
use serde_json::Value;

fn with_data<R>(payload: &str, check: impl FnOnce(&ChunkView<'_>) -> R) -> R {
    let mut parser = ChunkParser::new();
    match parser.parse(payload.as_bytes()) {
        Ok(Chunk::Data(view)) => check(&view),
        other => panic!("expected data for {payload}, got {other:?}"),
    }
}

fn calls<'a>(view: &ChunkView<'a>) -> Vec<ToolCall<'a>> {
    view.choices().flat_map(|c| c.tool_calls()).collect()
}

fn parse_error(payload: &[u8]) -> Error {
    let mut parser = ChunkParser::new();
    match parser.parse(payload) {
        Err(err) => err,
        Ok(chunk) => panic!("expected an error for {payload:?}, got {chunk:?}"),
    }
}

#[test]
fn parser_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ChunkParser>();
}

#[test]
fn top_level_fields() {
    let payload = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1718000000,
        "model":"gpt-4o","system_fingerprint":"fp_1","choices":[],"p":"abc"}"#;
    with_data(payload, |view| {
        assert_eq!(view.id(), Some("chatcmpl-1"));
        assert_eq!(view.object(), Some("chat.completion.chunk"));
        assert_eq!(view.created(), Some(1_718_000_000));
        assert_eq!(view.model(), Some("gpt-4o"));
        assert_eq!(view.system_fingerprint(), Some("fp_1"));
        assert_eq!(view.choices().len(), 0);
        assert!(view.usage().is_none());
        assert_eq!(view.payload(), payload.as_bytes());
    });
    with_data(r#"{"choices":[{"delta":{}}]}"#, |view| {
        assert_eq!(
            (view.id(), view.model(), view.created()),
            (None, None, None)
        );
        let choice = view.choices().next().unwrap();
        assert_eq!(choice.index(), 0);
        assert_eq!(choice.delta().role(), None);
        assert!(choice.delta().content().is_none());
        assert_eq!(choice.finish_reason(), None);
    });
}

#[test]
fn role_content_and_finish_reason() {
    let payload = r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi \"you\"\n"},"finish_reason":null,"logprobs":null}]}"#;
    with_data(payload, |view| {
        let choice = view.choices().next().unwrap();
        assert_eq!(choice.delta().role(), Some("assistant"));
        assert!(matches!(
            choice.delta().content(),
            Some(Content::Text("Hi \"you\"\n"))
        ));
        assert_eq!(choice.delta().text().collect::<String>(), "Hi \"you\"\n");
        assert_eq!(choice.finish_reason(), None);
        assert!(!choice.is_message());
    });
    for (reason, expected) in [(r#""stop""#, Some("stop")), (r#""""#, None), ("null", None)] {
        let payload =
            format!(r#"{{"choices":[{{"index":0,"delta":{{}},"finish_reason":{reason}}}]}}"#);
        with_data(&payload, |view| {
            assert_eq!(view.choices().next().unwrap().finish_reason(), expected);
        });
    }
    with_data(
        r#"{"choices":[{"index":0,"delta":{"content":null,"role":null}}]}"#,
        |view| {
            let delta = view.choices().next().unwrap().delta();
            assert!(delta.content().is_none());
            assert_eq!(delta.text().count(), 0);
            assert_eq!(delta.role(), None);
        },
    );
}

#[test]
fn content_parts() {
    let payload = r#"{"choices":[{"index":0,"delta":{"content":[
        {"type":"text","text":"Hello, "},
        {"type":"image_url","image_url":{"url":"x"}},
        {"type":"text","text":"w\u00f6rld"}]}}]}"#;
    with_data(payload, |view| {
        let delta = view.choices().next().unwrap().delta();
        assert_eq!(delta.text().collect::<String>(), "Hello, wörld");
        let Some(Content::Parts(parts)) = delta.content() else {
            panic!("expected parts");
        };
        let kinds: Vec<_> = parts.map(|p| (p.kind(), p.text())).collect();
        assert_eq!(
            kinds,
            [
                (Some("text"), Some("Hello, ")),
                (Some("image_url"), None),
                (Some("text"), Some("wörld"))
            ]
        );
    });
}

#[test]
fn reasoning_under_either_name() {
    for key in ["reasoning", "reasoning_content"] {
        let payload =
            format!(r#"{{"choices":[{{"index":0,"delta":{{"{key}":"think","content":""}}}}]}}"#);
        with_data(&payload, |view| {
            assert_eq!(
                view.choices().next().unwrap().delta().reasoning(),
                Some("think")
            );
        });
    }
    let payload = r#"{"choices":[{"index":0,"delta":{"reasoning":"a","reasoning_content":null,"refusal":"no"}}]}"#;
    with_data(payload, |view| {
        let delta = view.choices().next().unwrap().delta();
        assert_eq!(delta.reasoning(), Some("a"));
        assert_eq!(delta.refusal(), Some("no"));
    });
}

#[test]
fn tool_call_fields_and_escaped_arguments() {
    let payload = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":2,"id":"call_1","type":"function",
        "function":{"name":"get_weather","arguments":"{\"city\":\"Caf\u00e9 \\\"Z\\\" \ud83d\ude00\",\"a\\\\b\":1}"}}]}}]}"#;
    with_data(payload, |view| {
        let calls = calls(view);
        assert_eq!(calls.len(), 1);
        let call = calls[0];
        assert_eq!(call.index(), 2);
        assert_eq!(call.id(), Some("call_1"));
        assert_eq!(call.kind(), Some("function"));
        assert_eq!(call.name(), Some("get_weather"));
        assert_eq!(
            call.arguments(),
            Some(r#"{"city":"Café \"Z\" 😀","a\\b":1}"#)
        );
    });
}

#[test]
fn tool_call_index_missing_means_zero() {
    let payload =
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{}"}}]}}]}"#;
    with_data(payload, |view| {
        let call = calls(view)[0];
        assert_eq!(call.index(), 0);
        assert_eq!((call.id(), call.name(), call.kind()), (None, None, None));
        assert_eq!(call.arguments(), Some("{}"));
    });
}

#[test]
fn several_calls_in_one_chunk_and_several_choices() {
    let payload = r#"{"choices":[
        {"index":0,"delta":{"tool_calls":[
            {"index":0,"id":"a","function":{"name":"f","arguments":"{\"x\":1}"}},
            {"index":1,"id":"b","function":{"name":"g","arguments":"{}"}}]}},
        {"index":1,"delta":{"content":"hi","tool_calls":null},"finish_reason":"stop"},
        {"index":2,"delta":{"tool_calls":[{"index":0,"id":null,"function":{"name":null,"arguments":"[1"}}]}}]}"#;
    with_data(payload, |view| {
        let choices: Vec<_> = view.choices().collect();
        assert_eq!(choices.len(), 3);
        let first: Vec<_> = choices[0].tool_calls().collect();
        assert_eq!(first.len(), 2);
        assert_eq!(
            (first[0].index(), first[0].id(), first[0].name()),
            (0, Some("a"), Some("f"))
        );
        assert_eq!(first[0].arguments(), Some(r#"{"x":1}"#));
        assert_eq!(
            (first[1].index(), first[1].id(), first[1].name()),
            (1, Some("b"), Some("g"))
        );
        assert_eq!(choices[1].index(), 1);
        assert_eq!(choices[1].tool_calls().count(), 0);
        assert_eq!(choices[1].finish_reason(), Some("stop"));
        let third: Vec<_> = choices[2].tool_calls().collect();
        assert_eq!(
            (third[0].id(), third[0].name(), third[0].arguments()),
            (None, None, Some("[1"))
        );
    });
}

#[test]
fn message_instead_of_delta() {
    let payload = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"done",
        "tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}]}"#;
    with_data(payload, |view| {
        let choice = view.choices().next().unwrap();
        assert!(choice.is_message());
        assert_eq!(choice.delta().role(), Some("assistant"));
        assert_eq!(choice.delta().text().collect::<String>(), "done");
        assert_eq!(choice.tool_calls().next().unwrap().name(), Some("f"));
    });
}

#[test]
fn usage_in_a_chunk_without_choices() {
    let usage = r#"{"prompt_tokens":20,"completion_tokens":16,"total_tokens":36,"prompt_tokens_details":{"cached_tokens":0},"cost":3.36e-05}"#;
    let payload = format!(r#"{{"id":"x","choices":[],"usage": {usage} ,"model":"m"}}"#);
    with_data(&payload, |view| {
        assert_eq!(view.choices().count(), 0);
        let u = view.usage().expect("usage");
        assert_eq!(u.prompt_tokens(), Some(20));
        assert_eq!(u.completion_tokens(), Some(16));
        assert_eq!(u.total_tokens(), Some(36));
        assert_eq!(u.raw_json(), Some(usage));
    });
    with_data(r#"{"choices":[],"usage":null}"#, |view| {
        assert!(view.usage().is_none())
    });
}

#[test]
fn in_stream_error() {
    let payload =
        br#"{"error":{"message":"Rate limit \"hit\"","type":"rate_limit_error","code":429}}"#;
    let mut parser = ChunkParser::new();
    let Ok(Chunk::Error(err)) = parser.parse(payload) else {
        panic!("expected an error chunk");
    };
    assert_eq!(err.message(), Some("Rate limit \"hit\""));
    assert_eq!(err.error_type(), Some("rate_limit_error"));
    assert_eq!(err.code(), Some(ErrorCode::Number(429)));
    assert_eq!(
        err.raw_json(),
        Some(r#"{"message":"Rate limit \"hit\"","type":"rate_limit_error","code":429}"#)
    );
    let payload = br#"{"id":"x","choices":[],"error":{"message":"m","code":"server_error"}}"#;
    let Ok(Chunk::Error(err)) = parser.parse(payload) else {
        panic!("expected an error chunk");
    };
    assert_eq!(err.code(), Some(ErrorCode::Text("server_error")));
    let Ok(Chunk::Error(err)) = parser.parse(br#"{"error":"overloaded"}"#) else {
        panic!("expected an error chunk");
    };
    assert_eq!(err.message(), Some("overloaded"));
    assert!(matches!(
        parser.parse(br#"{"error":null,"choices":[]}"#),
        Ok(Chunk::Data(_))
    ));
}

#[test]
fn done_sentinel() {
    let mut parser = ChunkParser::new();
    for payload in [&b"[DONE]"[..], b" [DONE]\r\n", b"\t[DONE] "] {
        assert!(
            matches!(parser.parse(payload), Ok(Chunk::Done)),
            "{payload:?}"
        );
    }
    assert_eq!(
        parser.parse(b"[DONE]x").unwrap_err().kind(),
        ErrorKind::MalformedChunk
    );
    assert_eq!(
        parser.parse(b"[done]").unwrap_err().kind(),
        ErrorKind::MalformedChunk
    );
}

#[test]
fn not_json_is_malformed() {
    for payload in [
        &b""[..],
        b" ",
        b"{",
        b"{\"id\":",
        b"{\"id\":\"x\"",
        b"{\"id\":\"x\"}}",
        b"hello",
        b"{\"id\":\"\\x\"}",
        b"{\"id\":\"\xff\"}",
        b"{\"choices\":[],}",
        b"{\"id\":01}",
    ] {
        assert_eq!(
            parse_error(payload).kind(),
            ErrorKind::MalformedChunk,
            "{payload:?}"
        );
    }
    let err = parse_error(b"{\"id\":\"x\",  ?}");
    assert!(err.offset() <= 14, "{err}");
}

#[test]
fn wrong_types_are_malformed() {
    for payload in [
        r#"[]"#,
        r#""text""#,
        r#"42"#,
        r#"null"#,
        r#"{"choices":{}}"#,
        r#"{"choices":"x"}"#,
        r#"{"choices":[1]}"#,
        r#"{"choices":[{"index":"0"}]}"#,
        r#"{"choices":[{"index":-1}]}"#,
        r#"{"choices":[{"index":4294967296}]}"#,
        r#"{"choices":[{"index":1.5}]}"#,
        r#"{"choices":[{"delta":[]}]}"#,
        r#"{"choices":[{"delta":{"content":5}}]}"#,
        r#"{"choices":[{"delta":{"content":[1]}}]}"#,
        r#"{"choices":[{"delta":{"content":[{"type":"text","text":1}]}}]}"#,
        r#"{"choices":[{"delta":{"role":true}}]}"#,
        r#"{"choices":[{"delta":{"reasoning":{}}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":{}}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":"0"}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"function":"f"}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":{"a":1}}}]}}]}"#,
        r#"{"choices":[{"finish_reason":1}]}"#,
        r#"{"id":1}"#,
        r#"{"model":[]}"#,
        r#"{"created":"now"}"#,
        r#"{"created":-5}"#,
        r#"{"usage":[]}"#,
        r#"{"usage":{"total_tokens":"3"}}"#,
        r#"{"error":5}"#,
        r#"{"error":{"message":1}}"#,
        r#"{"error":{"code":1.5}}"#,
    ] {
        let err = parse_error(payload.as_bytes());
        assert_eq!(err.kind(), ErrorKind::MalformedChunk, "{payload}");
    }
}

#[test]
fn too_deep_is_reported() {
    let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(200), "]".repeat(200));
    assert_eq!(parse_error(deep.as_bytes()).kind(), ErrorKind::TooDeep);
    let mut parser = ChunkParser::with_max_depth(300);
    assert!(matches!(parser.parse(deep.as_bytes()), Ok(Chunk::Data(_))));
}

#[test]
fn parser_is_reusable_after_errors_and_views() {
    let mut parser = ChunkParser::new();
    let good = br#"{"choices":[{"index":0,"delta":{"content":"a"}}]}"#;
    for _ in 0..3 {
        assert!(parser.parse(b"{nope").is_err());
        assert!(parser.parse(br#"{"choices":5}"#).is_err());
        let Ok(Chunk::Data(view)) = parser.parse(good) else {
            panic!("expected data");
        };
        assert_eq!(
            view.choices().next().unwrap().delta().text().next(),
            Some("a")
        );
    }
}

#[test]
fn every_prefix_of_a_chunk_errs_without_panicking() {
    let payload = br#"{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":\"\u00e9\"}"}}]},"finish_reason":null}],"usage":{"total_tokens":3}}"#;
    let mut parser = ChunkParser::new();
    for end in 0..payload.len() {
        assert!(parser.parse(&payload[..end]).is_err(), "prefix {end}");
    }
    assert!(parser.parse(payload).is_ok());
}

// ---- recorded streams ----

fn testdata() -> PathBuf {
    std::env::var_os("ARGSTREAM_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data").into())
}

/// The `data:` payloads of a recorded stream, by a plain line split.
fn data_payloads(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        let data = line.strip_prefix("data:")?;
        Some(data.strip_prefix(' ').unwrap_or(data))
    })
}

fn opt_str(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

/// The reasoning rule of [`Delta::reasoning`], written against serde_json.
fn expected_reasoning(delta: &Value) -> Option<&str> {
    opt_str(delta.get("reasoning_content")).or_else(|| opt_str(delta.get("reasoning")))
}

fn expected_text(delta: &Value) -> Option<String> {
    match delta.get("content")? {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect(),
        ),
        _ => None,
    }
}

/// An array member; absent and `null` read as empty.
fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// An `index` member; absent reads as 0.
fn index(value: &Value) -> u64 {
    value.get("index").and_then(Value::as_u64).unwrap_or(0)
}

fn compare(view: &ChunkView<'_>, reference: &Value, place: &str) {
    assert_eq!(view.id(), opt_str(reference.get("id")), "{place}");
    assert_eq!(view.model(), opt_str(reference.get("model")), "{place}");
    assert_eq!(
        view.created(),
        reference.get("created").and_then(Value::as_u64),
        "{place}"
    );
    let choices = array(reference, "choices");
    assert_eq!(view.choices().len(), choices.len(), "{place}");
    for (choice, expected) in view.choices().zip(choices) {
        assert_eq!(u64::from(choice.index()), index(expected), "{place}");
        let finish = opt_str(expected.get("finish_reason")).filter(|r| !r.is_empty());
        assert_eq!(choice.finish_reason(), finish, "{place}");
        let null = Value::Null;
        let delta_ref = expected
            .get("delta")
            .filter(|d| !d.is_null())
            .or_else(|| expected.get("message"))
            .unwrap_or(&null);
        let delta = choice.delta();
        assert_eq!(delta.role(), opt_str(delta_ref.get("role")), "{place}");
        let text = delta.content().map(|_| delta.text().collect::<String>());
        assert_eq!(text, expected_text(delta_ref), "{place}");
        assert_eq!(delta.reasoning(), expected_reasoning(delta_ref), "{place}");
        let calls_ref = array(delta_ref, "tool_calls");
        assert_eq!(delta.tool_calls().len(), calls_ref.len(), "{place}");
        for (call, expected) in delta.tool_calls().zip(calls_ref) {
            assert_eq!(u64::from(call.index()), index(expected), "{place}");
            assert_eq!(call.id(), opt_str(expected.get("id")), "{place}");
            assert_eq!(call.kind(), opt_str(expected.get("type")), "{place}");
            let function = expected.get("function");
            assert_eq!(
                call.name(),
                opt_str(function.and_then(|f| f.get("name"))),
                "{place}"
            );
            let arguments = opt_str(function.and_then(|f| f.get("arguments")));
            assert_eq!(call.arguments(), arguments, "{place}");
        }
    }
    let usage_ref = reference.get("usage").filter(|u| !u.is_null());
    assert_eq!(view.usage().is_some(), usage_ref.is_some(), "{place}");
    if let (Some(usage), Some(usage_ref)) = (view.usage(), usage_ref) {
        let count = |key: &str| usage_ref.get(key).and_then(Value::as_u64);
        assert_eq!(usage.prompt_tokens(), count("prompt_tokens"), "{place}");
        assert_eq!(
            usage.completion_tokens(),
            count("completion_tokens"),
            "{place}"
        );
        assert_eq!(usage.total_tokens(), count("total_tokens"), "{place}");
        let raw: Value = serde_json::from_str(usage.raw_json().expect("raw usage")).unwrap();
        assert_eq!(&raw, usage_ref, "{place}");
    }
}

#[test]
fn recorded_streams_match_serde_json() {
    let dir = testdata().join("streams/openai-compatible");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipping: {} not found", dir.display());
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sse"))
        .collect();
    paths.sort();
    let mut parser = ChunkParser::new();
    let (mut chunks, mut done, mut calls) = (0, 0, 0);
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        for (n, payload) in data_payloads(&text).enumerate() {
            let place = format!("{} payload {n}", path.display());
            match parser.parse(payload.as_bytes()) {
                Ok(Chunk::Done) => {
                    assert_eq!(payload.trim(), "[DONE]", "{place}");
                    done += 1;
                }
                Ok(Chunk::Error(err)) => {
                    let reference: Value = serde_json::from_str(payload).unwrap();
                    let error = &reference["error"];
                    let message = opt_str(error.get("message")).or(error.as_str());
                    assert_eq!(err.message(), message, "{place}");
                }
                Ok(Chunk::Data(view)) => {
                    let reference: Value = serde_json::from_str(payload)
                        .unwrap_or_else(|e| panic!("{place}: argstream accepted, serde_json: {e}"));
                    compare(&view, &reference, &place);
                    chunks += 1;
                    calls += view.choices().map(|c| c.tool_calls().len()).sum::<usize>();
                }
                Err(err) => {
                    assert!(
                        serde_json::from_str::<Value>(payload).is_err(),
                        "{place}: {err}"
                    );
                }
            }
        }
    }
    println!(
        "{} streams, {chunks} chunks, {calls} tool calls, {done} [DONE]",
        paths.len()
    );
    assert!(chunks > 0);
}
