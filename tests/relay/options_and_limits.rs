//! The relay's options and limits, whatever the formats: the upstream
//! format given or detected, option names, the limits on a call's and a
//! stream's arguments, on collected content, on depth, calls, choices and
//! what the Responses output keeps, what a reset relay retains, and
//! `write_error`.

use argstream::{ErrorKind, Format, OutputFormat, Relay, ToolCallMode};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::common::client::{self};
use crate::support::*;

#[test]
fn the_format_can_be_given() {
    let events = [
        message_start(),
        block_start(0, json!({"type":"text","text":"hi"})),
    ];
    let stream = format!(
        "event: ping\ndata: {{\"type\":\"ping\"}}\n\n{}",
        anthropic(&events)
    );
    let (_, relay, _) = run(keys, &stream);
    assert_eq!(relay.format(), Some(Format::Anthropic));
    // Read as chat completions, each Anthropic event is a chunk without
    // choices (the chat decoder skips the members it does not know, as it
    // does a usage chunk's), so nothing reaches the client, not even the
    // text in the block's start, and the body ends before any finish: the
    // relay's result is `Ok` and the client's stream ends cut off.
    let (out, relay, result) = run(|| keys().with_format(Some(Format::OpenAiChat)), &stream);
    assert_eq!(relay.format(), Some(Format::OpenAiChat));
    assert_eq!(result, Ok(()));
    let seen = client::read(&out);
    assert_eq!(seen.errors.len(), 1, "{}", String::from_utf8_lossy(&out));
    assert_eq!(seen.errors[0]["code"], "stream_truncated");
    assert!(seen.content.is_empty() && seen.roles.is_empty());
    assert_eq!(
        (seen.done, seen.finish_reasons.len(), seen.after_end),
        (0, 0, 0)
    );
    assert_eq!(relay.summary().content, "");
    assert!(relay.summary().upstream_error.is_some());
    assert_eq!(
        "openai-responses".parse::<Format>().unwrap(),
        Format::OpenAiResponses
    );
    assert_eq!("gemini".parse::<Format>().unwrap(), Format::Gemini);
    assert_eq!("bedrock".parse::<Format>().unwrap(), Format::Bedrock);
    assert!("cohere".parse::<Format>().is_err());
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

#[test]
fn a_call_past_the_arguments_limit_stops_growing_and_the_stream_goes_on() {
    let mut events = vec![
        message_start(),
        block_start(
            0,
            json!({"type":"tool_use","id":"big","name":"f","input":{}}),
        ),
        input(0, r#"{"pre_exec_msg":"0123456789"#),
        input(0, "0123456789"),
        input(0, r#"","x":1}"#),
        block_start(
            1,
            json!({"type":"tool_use","id":"small","name":"g","input":{}}),
        ),
        input(1, r#"{"pre_exec_msg":"fine"}"#),
    ];
    events.extend(message_end("tool_use"));
    let (out, relay, result) = run(|| keys().with_max_arguments(32), &anthropic(&events));
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "0123456789fine");
    let calls = &relay.summary().tool_calls;
    assert_eq!(calls[0].arguments, r#"{"pre_exec_msg":"0123456789"#);
    let error = calls[0].error.unwrap();
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::ArgumentsTooLarge, 27)
    );
    assert_eq!(calls[1].error, None);
}

#[test]
fn collected_content_stops_at_its_limit_on_a_character_boundary() {
    let stream = [
        chat(r#"{"role":"assistant","content":"ab"}"#, "null"),
        chat(r#"{"content":"cé"}"#, "null"),
        chat(r#"{"content":"f"}"#, "null"),
        chat("{}", r#""stop""#),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    // "é" is two bytes: the fourth and fifth would hold it, and the limit is
    // 4. Nothing after the cut is collected, even "f" that would fit.
    let (out, relay, result) = run(|| keys().with_max_content(4), &stream);
    result.unwrap();
    let seen = read(&out);
    assert_eq!(seen.content, "abcéf", "the client gets all the text");
    assert_eq!(seen.finish_reasons, ["stop"]);
    assert_eq!(seen.done, 1);
    let summary = relay.summary();
    assert_eq!(summary.content, "abc");
    assert!(summary.content_truncated);
    assert!(summary.to_json().ends_with(r#","content_truncated":true}"#));

    let (_, relay, _) = run(|| keys().with_max_content(5), &stream);
    assert_eq!(relay.summary().content, "abcé");
    assert!(relay.summary().content_truncated);
    let (out_whole, relay, _) = run(|| keys().with_max_content(6), &stream);
    assert_eq!(out_whole, out, "the limit never changes the output");
    assert_eq!(relay.summary().content, "abcéf");
    assert!(!relay.summary().content_truncated);
    let (_, relay, _) = run(keys, &stream);
    assert!(
        relay
            .summary()
            .to_json()
            .ends_with(r#","content_truncated":false}"#)
    );
}

/// A chat stream of one piece of answer text and a stop.
fn text_then_stop(text: &str) -> String {
    chat(
        &json!({"role": "assistant", "content": text}).to_string(),
        "null",
    ) + &chat("{}", r#""stop""#)
}

#[test]
fn max_content_zero_collects_no_content() {
    let (out, mut relay, result) = run(|| keys().with_max_content(0), &text_then_stop("hello"));
    result.unwrap();
    assert_eq!(read(&out).content, "hello");
    assert_eq!(relay.summary().content, "");
    assert!(
        relay.summary().content_truncated,
        "text came and was not kept"
    );
    assert_eq!(relay.summary().content.capacity(), 0);
    // A stream without text has nothing cut; a reset relay starts uncut.
    relay.reset();
    assert!(!relay.summary().content_truncated);
    relay.feed(Bytes::from(chat("{}", r#""stop""#))).unwrap();
    relay.finish().unwrap();
    assert!(!relay.summary().content_truncated);
}

#[test]
fn retained_bytes_tell_what_a_reset_relay_keeps() {
    let small = text_then_stop("hi");
    let mut relay = keys();
    relay.feed(Bytes::from(small.clone())).unwrap();
    relay.finish().unwrap();
    relay.output();
    relay.reset();
    let warm = relay.retained_bytes();
    assert!(warm < 64 << 10, "a small stream keeps {warm} bytes");

    // One 2 MiB event, in 1000-byte reads: it is held whole to be read, and
    // its text is collected and written again.
    let text = "x".repeat(2 << 20);
    let big = chat(&format!(r#"{{"content":"{text}"}}"#), "null") + &small;
    for read in big.as_bytes().chunks(1000) {
        relay.feed(Bytes::copy_from_slice(read)).unwrap();
        relay.output();
    }
    relay.finish().unwrap();
    relay.output();
    assert_eq!(relay.summary().content.len(), text.len() + 2);
    relay.reset();
    assert!(
        relay.retained_bytes() > 3 * text.len(),
        "{} bytes after a 2 MiB event",
        relay.retained_bytes()
    );
}

#[test]
fn retained_bytes_count_a_large_event_that_brought_no_text() {
    // An Anthropic ping with a member nobody reads, 1 MB long: it goes
    // nowhere, and only the SSE decoder holds it, in the line buffer that
    // grows as the reads come (1000 bytes, then doubling). At 1,024,000
    // bytes the line fills that buffer exactly, so the view left after
    // splitting it off is empty: only a reclaimed buffer shows what is held.
    let head = r#"data: {"type":"ping","x":""#;
    let tail = r#""}"#;
    let padding = "y".repeat(1_024_000 - head.len() - tail.len());
    let event = format!("{head}{padding}{tail}\n\n");
    let mut relay = keys().with_format(Some(Format::Anthropic));
    for read in event.as_bytes().chunks(1000) {
        relay.feed(Bytes::copy_from_slice(read)).unwrap();
    }
    relay.finish().unwrap();
    relay.output();
    relay.reset();
    assert!(
        relay.retained_bytes() >= 1_024_000,
        "{} bytes after a 1 MB event",
        relay.retained_bytes()
    );
}

#[test]
fn calls_are_found_in_constant_time_and_their_number_is_limited() {
    // 100,000 distinct call indexes: each fragment finds its call at once.
    let mut stream = String::new();
    for index in 0..100_000u32 {
        stream.push_str(&format!(
            "data: {{\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":{},\"function\":{{\"arguments\":\"{{}}\"}}}}]}}}}]}}\n\n",
            index * 7
        ));
    }
    stream.push_str("data: [DONE]\n\n");
    let mut relay = Relay::new(&["pre_exec_msg"]).with_max_calls(200_000);
    relay.feed(Bytes::from(stream.clone())).unwrap();
    relay.finish().unwrap();
    assert_eq!(relay.summary().tool_calls.len(), 100_000);
    assert_eq!(relay.summary().tool_calls[99_999].index, 99_999);

    let mut relay = Relay::new(&["pre_exec_msg"]);
    let error = relay.feed(Bytes::from(stream)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyCalls);
    assert_eq!(relay.summary().tool_calls.len(), 1024);
    // The gateway then ends the client's stream with an error of its own.
    relay.write_error("relay_error", "too many tool calls");
    let seen = client::read(&relay.output());
    assert_eq!(seen.errors[0]["type"], "relay_error");
}

#[test]
fn write_error_ends_the_client_stream_once() {
    let mut relay = keys();
    relay
        .feed(Bytes::from(chat(r#"{"content":"a"}"#, "null")))
        .unwrap();
    relay.write_error("upstream_timeout", "upstream went silent");
    relay.write_error("upstream_timeout", "twice");
    relay.finish().unwrap();
    let seen = client::read(&relay.output());
    assert_eq!(seen.content, "a");
    assert_eq!(seen.errors.len(), 1);
    assert_eq!(seen.done, 0);
}

/// What the Responses output keeps for `response.completed` is bounded:
/// past the limit the client's stream ends with `response.failed` saying
/// why, the relay reports it, and nothing of the answer past the limit is
/// written or kept.
#[test]
fn the_responses_output_keeps_no_more_than_its_limit() {
    let text = |word: &str| chat(&format!(r#"{{"content":"{word}"}}"#), "null");
    let upstream = text("0123456789") + &text("abcdefghij") + &text("ABCDEFGHIJ");
    let make = || {
        keys()
            .with_output(argstream::OutputFormat::OpenAiResponses)
            .with_max_kept(25)
    };
    let mut relay = make();
    let error = relay.feed(Bytes::from(upstream.clone())).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
    assert!(relay.is_ended());
    let out = relay.output();
    let events: Vec<Value> = client::payloads(&out)
        .into_iter()
        .map(|payload| serde_json::from_slice(payload).unwrap())
        .collect();
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.failed", "{events:?}");
    assert!(
        last["response"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than the relay keeps")
    );
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "0123456789abcdefghij");
    assert!(!String::from_utf8_lossy(&out).contains("ABCDE"));
    // Within the limit, the same stream completes.
    let mut relay = keys()
        .with_output(argstream::OutputFormat::OpenAiResponses)
        .with_max_kept(30);
    relay
        .feed(Bytes::from(upstream + "data: [DONE]\n\n"))
        .unwrap();
    relay.finish().unwrap();
    assert!(String::from_utf8_lossy(&relay.output()).contains("response.completed"));
}

/// A choice past the relay's limit is an error of its own kind at the
/// event's offset; the choices before it were relayed.
#[test]
fn a_choice_past_the_limit_is_an_error() {
    let choice = |index: u32| {
        format!(
            "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{{\"index\":{index},\"delta\":{{\"content\":\"c{index}\"}},\"finish_reason\":null}}]}}\n\n"
        )
    };
    let upstream = choice(0) + &choice(1) + &choice(2);
    let second = choice(0).len() + choice(1).len();
    let (out, relay, result) = run(|| keys().with_max_choices(2), &upstream);
    let error = result.unwrap_err();
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::TooManyChoices, second as u64)
    );
    assert_eq!(error.kind().name(), "too_many_choices");
    assert_eq!(relay.events(), 3);
    assert!(String::from_utf8_lossy(&out).contains("c1"));
    let (_, _, result) = run(|| keys().with_max_choices(3), &upstream);
    result.unwrap();
}

/// `with_max_depth` holds for an event's JSON (the relay's error, at the
/// bracket that goes too deep) and for a call's arguments (the call's error
/// in the summary, the stream going on).
#[test]
fn the_depth_limit_holds_for_events_and_arguments() {
    let deep_event = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"x\":[[[[1]]]],\"choices\":[]}\n\n";
    let mut shallow = Relay::default().with_max_depth(4);
    let error = shallow.feed(Bytes::from(deep_event)).unwrap_err();
    assert_eq!(error.kind(), argstream::ErrorKind::TooDeep);
    // The fourth container open at once: the third `[`.
    assert_eq!(error.offset(), deep_event.find("[[[[").unwrap() as u64 + 2);
    let mut usual = Relay::default();
    usual.feed(Bytes::from(deep_event)).unwrap();

    let call = |arguments: &str| {
        let chunk = json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0,
            "delta": {"tool_calls": [{"index": 0, "id": "t", "type": "function",
                "function": {"name": "f", "arguments": arguments}}]}}]});
        format!("data: {chunk}\n\ndata: [DONE]\n\n")
    };
    // The chunk nests seven deep; the arguments eight.
    let deep = call(r#"{"a":[[[[[[[1]]]]]]],"pre_exec_msg":"hi"}"#);
    let mut shallow = Relay::default().with_max_depth(8);
    relay_all(&mut shallow, &deep);
    let error = shallow.summary().tool_calls[0].error.expect("too deep");
    assert_eq!(error.kind(), argstream::ErrorKind::TooDeep);
    let mut usual = Relay::default();
    relay_all(&mut usual, &deep);
    assert_eq!(usual.summary().tool_calls[0].error, None);
    assert_eq!(
        usual.summary().tool_calls[0].arguments,
        r#"{"a":[[[[[[[1]]]]]]],"pre_exec_msg":"hi"}"#
    );
}

/// `with_max_stream_arguments` bounds all calls' arguments together: the
/// call whose fragment would pass it stops with `ArgumentsTooLarge` in its
/// summary, the calls before it keep theirs, and a reset gives the next
/// stream the whole budget again.
#[test]
fn the_stream_limit_on_arguments_holds_across_calls() {
    let padding = "x".repeat(500);
    let arguments = format!(r#"{{"pre_exec_msg":"hi","pad":"{padding}"}}"#);
    let mut upstream = String::new();
    for index in 0..3 {
        let chunk = json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0,
            "delta": {"tool_calls": [{"index": index, "id": format!("t{index}"), "type": "function",
                "function": {"name": "f", "arguments": arguments}}]}}]});
        upstream.push_str(&format!("data: {chunk}\n\n"));
    }
    upstream.push_str("data: [DONE]\n\n");
    let mut relay = Relay::default().with_max_stream_arguments(2 * arguments.len() + 10);
    for _ in 0..2 {
        relay.reset();
        relay_all(&mut relay, &upstream);
        let calls = &relay.summary().tool_calls;
        assert_eq!(calls.len(), 3);
        for call in &calls[..2] {
            assert_eq!(
                (call.arguments.as_str(), call.error),
                (arguments.as_str(), None)
            );
        }
        let error = calls[2].error.expect("past the stream's limit");
        assert_eq!(error.kind(), argstream::ErrorKind::ArgumentsTooLarge);
        assert!(calls[2].arguments.is_empty());
    }
    let mut usual = Relay::default();
    relay_all(&mut usual, &upstream);
    assert!(
        usual
            .summary()
            .tool_calls
            .iter()
            .all(|call| call.error.is_none())
    );
}

/// With the upstream's own format as the output, a relay answers in chat
/// until a stream's format is known: before its first stream, after a
/// reset (not in the last stream's format), and after another output was
/// asked for first.
#[test]
fn the_same_output_is_chat_until_the_format_is_known() {
    let stream = std::fs::read("examples/data/voice_agent_anthropic.sse").expect("bundled");
    let mut relay = Relay::new(&["pre_exec_msg"]).with_output(OutputFormat::Same);
    assert_eq!(relay.output_format(), OutputFormat::OpenAiChat);
    relay.feed(Bytes::from(stream)).expect("relays");
    relay.finish().expect("relays");
    assert_eq!(relay.output_format(), OutputFormat::Anthropic);
    relay.output();

    relay.reset();
    assert_eq!(relay.output_format(), OutputFormat::OpenAiChat);
    relay.write_error("upstream_error", "the upstream went away");
    let out = relay.output();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("data: {\"error\":"),
        "a chat error, not the last stream's format: {text}"
    );

    let relay = Relay::new(&["pre_exec_msg"])
        .with_output(OutputFormat::Anthropic)
        .with_output(OutputFormat::Same);
    assert_eq!(relay.output_format(), OutputFormat::OpenAiChat);
}
