//! The relay over every recorded stream of the three formats and over
//! hand-written hard cases. The reference is serde_json on the upstream
//! events (tests/common/upstream.rs) and a client that reads the output the
//! way the OpenAI SDK accumulates it (tests/common/client.rs).

mod common;

use argstream::{ErrorKind, Relay, ToolCallMode};
use bytes::Bytes;
use common::client::{self, payloads};
use common::expected::is_shuffle;
use common::upstream::{self, Reference};
use serde_json::Value;

/// Relays `upstream` fed in pieces of `piece` bytes.
fn relay_with(
    mut relay: Relay,
    upstream: &[u8],
    piece: usize,
) -> (Vec<u8>, Relay, Result<(), argstream::Error>) {
    let mut out = Vec::new();
    for read in upstream.chunks(piece.max(1)) {
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

fn relay(
    upstream: &[u8],
    keys: &[&str],
    piece: usize,
) -> (Vec<u8>, Relay, Result<(), argstream::Error>) {
    relay_with(Relay::new(keys), upstream, piece)
}

/// The first top-level string key of the first call's arguments: a key the
/// recorded stream really streams, to use as the target.
fn pick_key(reference: &Reference) -> Option<String> {
    reference.calls.iter().find_map(|call| {
        let value: Value = serde_json::from_str(&call.arguments).ok()?;
        value
            .as_object()?
            .iter()
            .find(|(_, v)| v.is_string())
            .map(|(k, _)| k.clone())
    })
}

/// Every recorded stream of `dir`, relayed at feed sizes 1, 7, 4096 and
/// whole, with calls hidden and forwarded, checked against the reference.
fn corpus(dir: &str, format: &str) {
    let Some(dir) = common::testdata(dir) else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut with_targets, mut with_calls) = (0, 0);
    for path in &files {
        let upstream = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let reference = upstream::reference(&upstream);
        assert_eq!(reference.format, format, "{name}");
        let key = pick_key(&reference).unwrap_or_else(|| "pre_exec_msg".to_owned());
        let targets: String = reference
            .calls
            .iter()
            .filter_map(|call| {
                let value: Value = serde_json::from_str(&call.arguments).ok()?;
                value.get(&key)?.as_str().map(str::to_owned)
            })
            .collect();
        with_targets += usize::from(!targets.is_empty());
        with_calls += usize::from(!reference.calls.is_empty());
        let (whole, relayer, result) = relay(&upstream, &[&key], upstream.len());
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(relayer.format().map(|f| f.name()), Some(format), "{name}");
        for piece in [1, 7, 4096] {
            let (out, _, result) = relay(&upstream, &[&key], piece);
            result.unwrap_or_else(|e| panic!("{name} at {piece}: {e}"));
            assert_eq!(out, whole, "{name}: feed size {piece} changes the output");
        }
        let seen = client::read(&whole);
        assert_eq!(seen.after_end, 0, "{name}: frames after the end");
        assert_eq!(seen.roles, ["assistant"], "{name}: one role");
        assert_eq!(seen.reasoning, reference.reasoning, "{name}: reasoning");
        assert_eq!(seen.refusal, reference.refusal, "{name}: refusal");
        assert!(seen.calls.is_empty(), "{name}: calls hidden");
        if reference.error {
            assert_eq!((seen.errors.len(), seen.done), (1, 0), "{name}");
        } else if reference.finish.is_none() {
            // Cut off: an error, no finish and no [DONE].
            assert_eq!((seen.errors.len(), seen.done), (1, 0), "{name}: cut off");
            assert!(seen.finish_reasons.is_empty(), "{name}");
        } else {
            assert!(whole.ends_with(b"data: [DONE]\n\n"), "{name}");
            assert_eq!((seen.errors.len(), seen.done), (0, 1), "{name}");
            let want = match reference.finish.as_deref() {
                Some("tool_calls") => "stop",
                other => other.unwrap(),
            };
            assert_eq!(seen.finish_reasons, [want], "{name}: one finish chunk");
            assert_eq!(
                seen.usage.len(),
                usize::from(reference.usage),
                "{name}: usage"
            );
        }
        // Content: the answer text and the target values, each in order.
        let (plain, _, _) = relay(&upstream, &["\u{0}no such key"], 4096);
        let plain = client::read(&plain);
        assert_eq!(plain.content, reference.text, "{name}: content");
        // Each other choice keeps its own text, role and finish.
        let others: Vec<(u64, &str, Option<&str>)> = plain
            .others
            .iter()
            .map(|(&index, c)| {
                assert_eq!(c.roles, ["assistant"], "{name}: choice {index}'s role");
                let finish = match c.finish_reasons.as_slice() {
                    [] => None,
                    [reason] => Some(reason.as_str()),
                    more => panic!("{name}: choice {index} finished {more:?}"),
                };
                (index, c.content.as_str(), finish)
            })
            .collect();
        let want: Vec<(u64, &str, Option<&str>)> = reference
            .others
            .iter()
            .map(|(&index, (text, finish))| {
                let finish = finish
                    .as_deref()
                    .map(|f| if f == "tool_calls" { "stop" } else { f });
                (
                    index,
                    text.as_str(),
                    finish
                        .or(Some("stop"))
                        .filter(|_| reference.finish.is_some()),
                )
            })
            .collect();
        assert_eq!(others, want, "{name}: the other choices");
        if !reference.interleaved {
            assert!(
                is_shuffle(&seen.content, &reference.text, &targets),
                "{name}: content {:?} is not text {:?} with targets {:?}",
                seen.content,
                reference.text,
                targets
            );
        }
        let summary = relayer.summary();
        assert_eq!(summary.content, reference.text, "{name}");
        assert_eq!(
            summary.finish_reason, reference.finish,
            "{name}: summary finish"
        );
        let got: Vec<(u32, &str, &str, &str)> = summary
            .tool_calls
            .iter()
            .map(|c| {
                (
                    c.index,
                    c.id.as_str(),
                    c.name.as_str(),
                    c.arguments.as_str(),
                )
            })
            .collect();
        let want: Vec<(u32, &str, &str, &str)> = reference
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    i as u32,
                    c.id.as_str(),
                    c.name.as_str(),
                    c.arguments.as_str(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}: calls");
        for call in &summary.tool_calls {
            let valid = call.arguments.trim().is_empty()
                || serde_json::from_str::<Value>(&call.arguments).is_ok();
            assert_eq!(
                call.error.is_none(),
                valid,
                "{name}: call {} {:?}",
                call.index,
                call.error
            );
        }
        let summary_json: Value =
            serde_json::from_str(&summary.to_json()).expect("summary is JSON");
        assert_eq!(summary_json["content"], reference.text.as_str());

        // Forwarded: the client gets the calls whole, and the finish as is.
        let forward = Relay::new(&[&key]).with_tool_calls(ToolCallMode::Forward);
        let (out, _, result) = relay_with(forward, &upstream, 7);
        result.unwrap();
        let seen = client::read(&out);
        let calls: Vec<(String, String, String)> = seen
            .calls
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
            .collect();
        let want: Vec<(String, String, String)> = reference
            .calls
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
            .collect();
        assert_eq!(calls, want, "{name}: forwarded calls");
        if !reference.error && reference.finish.is_some() {
            assert_eq!(
                seen.finish_reasons,
                [reference.finish.clone().unwrap()],
                "{name}"
            );
        }

        // Without finish: no finish, usage or [DONE].
        let chained = Relay::new(&[&key]).with_finish(false);
        let (out, _, result) = relay_with(chained, &upstream, 4096);
        result.unwrap();
        let seen = client::read(&out);
        assert!(
            seen.finish_reasons.is_empty() && seen.usage.is_empty() && seen.done == 0,
            "{name}"
        );
    }
    eprintln!(
        "{format}: {} streams, {with_calls} with calls, {with_targets} with a target value",
        files.len()
    );
}

#[test]
fn every_recorded_chat_stream_relays_exactly() {
    corpus("streams/openai-compatible", "openai-chat");
}

#[test]
fn every_recorded_anthropic_stream_relays_exactly() {
    corpus("streams/anthropic", "anthropic");
}

#[test]
fn every_recorded_responses_stream_relays_exactly() {
    corpus("streams/openai-responses", "openai-responses");
}

fn chunk(delta: &str) -> String {
    format!(
        "data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":null}}]}}\n\n"
    )
}

fn arguments(index: u32, fragment: &str) -> String {
    let fragment = serde_json::to_string(fragment).unwrap();
    chunk(&format!(
        r#"{{"tool_calls":[{{"index":{index},"function":{{"arguments":{fragment}}}}}]}}"#
    ))
}

/// A stream whose arguments are cut at every byte, so escapes, surrogate
/// pairs and characters are split across chunks.
fn one_byte_arguments(args: &str) -> String {
    let mut stream = chunk(r#"{"role":"assistant","content":"Hi"}"#);
    stream.push_str(&chunk(
        r#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"speak","arguments":""}}]}"#,
    ));
    let mut start = 0;
    for (i, _) in args.char_indices().skip(1).chain([(args.len(), ' ')]) {
        stream.push_str(&arguments(0, &args[start..i]));
        start = i;
    }
    stream.push_str("data: [DONE]\n\n");
    stream
}

#[test]
fn escapes_split_across_chunks_reach_the_client_decoded_exactly() {
    let args = r#"{"nested":{"pre_exec_msg":"no"},"pre_exec_msg":"a \"q\" \\ \/ \n \u00e9 \ud83d\ude00 中 é","x":1}"#;
    let stream = one_byte_arguments(args);
    for piece in [1, 2, 3, 7, 4096] {
        let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], piece);
        result.unwrap();
        assert_eq!(client::read(&out).content, "Hia \"q\" \\ / \n é 😀 中 é");
        assert_eq!(relayer.summary().tool_calls[0].arguments, args);
        assert_eq!(relayer.summary().tool_calls[0].name, "speak");
        assert!(out.ends_with(b"data: [DONE]\n\n"));
        assert_eq!(out.windows(6).filter(|w| w == b"[DONE]").count(), 1);
    }
}

#[test]
fn parallel_calls_are_kept_apart() {
    let (a, b) = (
        r#"{"pre_exec_msg":"first call"}"#,
        r#"{"pre_exec_msg":"second"}"#,
    );
    let (mut x, mut y) = (a.as_bytes().chunks(3), b.as_bytes().chunks(3));
    let mut stream = String::new();
    loop {
        let (p, q) = (x.next(), y.next());
        if p.is_none() && q.is_none() {
            break;
        }
        for (index, piece) in [(0, p), (1, q)] {
            if let Some(piece) = piece {
                stream.push_str(&arguments(index, std::str::from_utf8(piece).unwrap()));
            }
        }
    }
    let (_, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 5);
    result.unwrap();
    let calls = &relayer.summary().tool_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].index, calls[0].arguments.as_str()), (0, a));
    assert_eq!((calls[1].index, calls[1].arguments.as_str()), (1, b));
    assert!(calls.iter().all(|call| call.error.is_none()));
}

#[test]
fn invalid_arguments_stop_only_that_call() {
    let mut stream = arguments(0, r#"{"pre_exec_msg":"ok "#);
    stream.push_str(&arguments(0, r#"\q bad"}"#));
    stream.push_str(&arguments(1, r#"{"pre_exec_msg":"still relayed"}"#));
    stream.push_str(&chunk(r#"{"content":"after"}"#));
    let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 4);
    result.unwrap();
    assert_eq!(client::read(&out).content, "ok still relayedafter");
    let error = relayer.summary().tool_calls[0].error.unwrap();
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::InvalidEscape, 21)
    );
    assert_eq!(relayer.summary().tool_calls[1].error, None);
}

#[test]
fn a_malformed_chunk_is_an_error_naming_the_byte_and_keeps_what_was_relayed() {
    let good = chunk(r#"{"content":"kept"}"#);
    let stream = format!(
        "{good}data: {{\"choices\": 5}}\n\n{}",
        chunk(r#"{"content":"never"}"#)
    );
    for piece in [1, 7, 4096] {
        let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], piece);
        let error = result.unwrap_err();
        // The offset names the `5`, where an array should be.
        let at = good.len() + "data: {\"choices\": ".len();
        assert_eq!(
            (error.kind(), error.offset()),
            (ErrorKind::MalformedChunk, at as u64)
        );
        assert_eq!(relayer.events(), 2);
        assert_eq!(client::read(&out).content, "kept");
        assert!(!out.ends_with(b"[DONE]\n\n"));
    }
}

#[test]
fn provider_habits() {
    // A comment first, CRLF line ends, `data:` without a space, usage in a
    // chunk with no choices, the finish chunk twice, and no [DONE].
    let stream = concat!(
        ": OPENROUTER PROCESSING\r\n\r\n",
        "data:{\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n",
        "data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"t\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"pre_exec_msg\\\":\\\"b\\\"}\"}}]}}]}\r\n\r\n",
        "data: {\"id\":\"x\",\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\r\n\r\n",
        "data: {\"id\":\"x\",\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\r\n\r\n",
        "data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\r\n\r\n",
    );
    for piece in [1, 2, 7, 4096] {
        let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], piece);
        result.unwrap();
        let summary = relayer.summary();
        assert_eq!(summary.content, "a");
        assert_eq!(summary.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(
            summary.usage.as_deref(),
            Some(r#"{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}"#)
        );
        assert_eq!(summary.tool_calls[0].id, "t");
        assert!(!summary.saw_done);
        assert!(out.ends_with(b"data: [DONE]\n\n"));
        let seen = client::read(&out);
        assert_eq!(seen.content, "ab");
        assert_eq!(seen.finish_reasons, ["stop"]);
        assert_eq!(seen.usage.len(), 1);
    }
}

#[test]
fn the_bundled_example_stream_relays() {
    let upstream = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/voice_agent.sse"
    ))
    .unwrap();
    let (out, relayer, result) = relay(&upstream, &["pre_exec_msg"], 7);
    result.unwrap();
    assert_eq!(
        client::read(&out).content,
        "Sure, checking now.Let me check the \"feels like\" forecast for Lisbon — café weather 😀.\nOne moment!And the tides, too."
    );
    assert_eq!(relayer.summary().tool_calls.len(), 2);
}

#[test]
fn events_after_done_are_ignored() {
    let stream = format!(
        "{}data: [DONE]\n\n{}",
        chunk(r#"{"content":"a"}"#),
        chunk(r#"{"content":"late"}"#)
    );
    let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 3);
    result.unwrap();
    assert!(out.ends_with(b"data: [DONE]\n\n"));
    assert_eq!(relayer.summary().content, "a");
    assert_eq!(relayer.events(), 3);
}

#[test]
fn spans_of_one_upstream_chunk_go_out_as_one_frame() {
    let values: String = (0..200)
        .map(|i| format!(r#""pre_exec_msg":"{}","#, i % 10))
        .collect();
    let args = format!("{{{values}\"end\":1}}");
    let stream = arguments(0, &args);
    let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 4096);
    result.unwrap();
    let frames = payloads(&out).len();
    assert_eq!(frames, 2, "one content chunk and the cut-off error");
    assert_eq!(client::read(&out).content.len(), 200);
    assert!(out.len() <= 4 * stream.len() + 64);
    assert!(relayer.summary().tool_calls[0].error.is_none());
}

#[test]
fn ids_and_models_are_escaped_in_written_chunks() {
    let id = "c\"1\\\n\u{1}é";
    let payload = serde_json::json!({
        "id": id, "created": 9, "model": "m\t\"x\"",
        "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"pre_exec_msg\":\"hi\"}"}}]}}],
    });
    let stream = format!("data: {payload}\n\n");
    let (out, relayer, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 3);
    result.unwrap();
    let written: Value = serde_json::from_slice(payloads(&out)[0]).expect("valid JSON");
    assert_eq!(written["id"], id);
    assert_eq!(written["model"], "m\t\"x\"");
    assert_eq!(written["created"], 9);
    assert_eq!(written["choices"][0]["delta"]["content"], "hi");
    let summary: Value = serde_json::from_str(&relayer.summary().to_json()).expect("valid JSON");
    assert_eq!(
        summary["tool_calls"][0]["arguments"],
        "{\"pre_exec_msg\":\"hi\"}"
    );
}

#[test]
fn the_bundled_anthropic_and_responses_examples_relay() {
    let spoken =
        "Let me check the \"feels like\" forecast for Lisbon — café weather 😀.\nOne moment!";
    for (file, format) in [
        ("voice_agent_anthropic.sse", "anthropic"),
        ("voice_agent_responses.sse", "openai-responses"),
    ] {
        let path = format!("{}/examples/data/{file}", env!("CARGO_MANIFEST_DIR"));
        let upstream = std::fs::read(path).unwrap();
        let (whole, _, _) = relay(&upstream, &["pre_exec_msg"], upstream.len());
        for piece in [1, 3, 7, 4096] {
            let (out, relayer, result) = relay(&upstream, &["pre_exec_msg"], piece);
            result.unwrap();
            assert_eq!(out, whole, "{file} at {piece}");
            assert_eq!(relayer.format().unwrap().name(), format);
            let seen = client::read(&out);
            assert_eq!(seen.content, format!("Sure, checking now.{spoken}"));
            assert!(seen.reasoning.len() > 20);
            assert_eq!(seen.finish_reasons, ["stop"]);
            assert_eq!(seen.usage.len(), 1);
            assert_eq!(seen.usage[0]["prompt_tokens_details"]["cached_tokens"], 128);
            assert_eq!(seen.done, 1);
            let call = &relayer.summary().tool_calls[0];
            assert_eq!((call.index, call.name.as_str()), (0, "get_weather"));
            assert_eq!(call.error, None);
            assert_eq!(
                relayer.summary().finish_reason.as_deref(),
                Some("tool_calls")
            );
        }
    }
}

#[test]
fn a_syntax_error_names_its_byte_in_the_stream() {
    let good = chunk(r#"{"content":"kept"}"#);
    for (bad, inside) in [
        (
            r#"{"choices":[{"delta":{"content":"a\q"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a\"#.len(),
        ),
        (
            r#"{"id":"x","created":01}"#,
            r#"{"id":"x","created":0"#.len(),
        ),
        ("{\"choices\":[]} trailing", "{\"choices\":[]} ".len()),
    ] {
        let stream = format!("{good}: comment\ndata: {bad}\n\n");
        let (_, _, result) = relay(stream.as_bytes(), &["pre_exec_msg"], 3);
        let error = result.unwrap_err();
        let at = good.len() + ": comment\ndata: ".len() + inside;
        assert_eq!(
            (error.kind(), error.offset()),
            (ErrorKind::MalformedChunk, at as u64),
            "{bad}"
        );
    }
}

/// Every name of an option parses back to its value, and a bad one is a
/// typed error that names it and what is accepted.
#[test]
fn option_names_parse_back_and_a_bad_one_says_what_is_accepted() {
    use argstream::{Format, OutputFormat, UnknownName};

    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    let formats = [
        Format::OpenAiChat,
        Format::OpenAiResponses,
        Format::Anthropic,
        Format::Gemini,
        Format::Bedrock,
    ];
    let error: UnknownName = "cohere".parse::<Format>().unwrap_err();
    is_error(&error);
    assert_eq!(error.name(), "cohere");
    let names: Vec<&str> = formats.iter().map(|format| format.name()).collect();
    assert_eq!(error.expected(), names);
    for format in formats {
        assert_eq!(format.name().parse::<Format>(), Ok(format));
    }
    assert_eq!(
        error.to_string(),
        "unknown format \"cohere\": expected openai-chat, openai-responses, anthropic, gemini or bedrock"
    );

    let outputs = [
        OutputFormat::OpenAiChat,
        OutputFormat::OpenAiResponses,
        OutputFormat::Anthropic,
        OutputFormat::Gemini,
        OutputFormat::Same,
    ];
    let error = "gemini-x".parse::<OutputFormat>().unwrap_err();
    let names: Vec<&str> = outputs.iter().map(|output| output.name()).collect();
    assert_eq!(error.expected(), names);
    for output in outputs {
        assert_eq!(output.name().parse::<OutputFormat>(), Ok(output));
    }
    assert!(
        error
            .to_string()
            .starts_with("unknown output format \"gemini-x\": expected ")
    );

    for mode in [ToolCallMode::Hide, ToolCallMode::Forward] {
        assert_eq!(mode.to_string().parse::<ToolCallMode>(), Ok(mode));
    }
    let error = "show".parse::<ToolCallMode>().unwrap_err();
    assert_eq!(error.expected(), ["hide", "forward"]);
    assert_eq!(
        error.to_string(),
        "unknown tool-call mode \"show\": expected hide or forward"
    );
}
