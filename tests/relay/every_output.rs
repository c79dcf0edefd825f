//! One upstream stream into every output format: several choices, parallel
//! calls after a text block, `null` arguments, an upstream error, a write
//! error, `OutputFormat::Same`, and a pooled relay after `reset`; each
//! output checked against its format's rules (tests/common/rules.rs) and
//! read back with the crate's decoders (tests/common/readback.rs).

use argstream::{Format, OutputFormat, Relay, ToolCallMode};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::common::client::{self};
use crate::common::{readback, rules};
use crate::support::chat_chunk as chunk;
use crate::support::relay_in_sevens as relay;
use crate::support::*;

/// A chat stream with `n` choices: each says its own words (choice 1's
/// arrive first in each chunk), and with `calls` each also calls a tool
/// whose `pre_exec_msg` is its own.
fn choices_stream(n: u64, calls: bool) -> String {
    let mut body = String::new();
    for i in (0..n).rev() {
        body += &chunk(json!([{"index":i,"delta":{"role":"assistant","content":""}}]));
    }
    for word in ["Here", " is", " mine"] {
        let choices: Vec<Value> = (0..n)
            .rev()
            .map(|i| json!({"index":i,"delta":{"content":format!("{word}{i}")}}))
            .collect();
        body += &chunk(Value::Array(choices));
    }
    if calls {
        for i in 0..n {
            let arguments = format!(r#"{{"pre_exec_msg":"Checking {i}","city":"Paris"}}"#);
            let (head, tail) = arguments.split_at(20);
            for (part, piece) in [head, tail].into_iter().enumerate() {
                let call = if part == 0 {
                    json!({"index":0,"id":format!("call_{i}"),"type":"function","function":{"name":"lookup","arguments":piece}})
                } else {
                    json!({"index":0,"function":{"arguments":piece}})
                };
                body += &chunk(json!([{"index":i,"delta":{"tool_calls":[call]}}]));
            }
        }
    }
    let reason = if calls { "tool_calls" } else { "stop" };
    for i in 0..n {
        body += &chunk(json!([{"index":i,"delta":{},"finish_reason":reason}]));
    }
    body += &chunk(json!([])).replace(
        r#""choices":[]"#,
        r#""choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}"#,
    );
    body + "data: [DONE]\n\n"
}

fn several_choices(n: u64, calls: bool) {
    let upstream = choices_stream(n, calls);
    for mode in [ToolCallMode::Hide, ToolCallMode::Forward] {
        let out = relay(Relay::default().with_tool_calls(mode), &upstream);
        // openai-python builds its choices by index from the first chunk
        // on: they must first appear in index order.
        let mut order = Vec::new();
        for payload in client::payloads(&out) {
            let Ok(chunk) = serde_json::from_slice::<Value>(payload) else {
                continue;
            };
            for choice in chunk["choices"].as_array().into_iter().flatten() {
                let index = choice["index"].as_u64().unwrap();
                if !order.contains(&index) {
                    order.push(index);
                }
            }
        }
        assert_eq!(
            order,
            (0..n).collect::<Vec<_>>(),
            "{mode}: choices in order"
        );
        let seen = client::read(&out);
        let spoken = |i: u64| {
            if calls {
                format!("Checking {i}")
            } else {
                String::new()
            }
        };
        assert_eq!(
            seen.content,
            format!("Here0 is0 mine0{}", spoken(0)),
            "{mode}"
        );
        assert_eq!(seen.roles, ["assistant"]);
        assert_eq!(seen.finish_reasons.len(), 1);
        assert_eq!(seen.others.len() as u64, n - 1);
        for (&i, choice) in &seen.others {
            assert_eq!(
                choice.content,
                format!("Here{i} is{i} mine{i}{}", spoken(i))
            );
            assert_eq!(choice.roles, ["assistant"], "choice {i}: one role");
            assert_eq!(choice.finish_reasons.len(), 1, "choice {i}: one finish");
            let forwarded = calls && mode == ToolCallMode::Forward;
            assert_eq!(choice.calls.len(), usize::from(forwarded), "choice {i}");
            if forwarded {
                assert_eq!(choice.calls[0].id, format!("call_{i}"));
                assert_eq!(
                    choice.calls[0].arguments,
                    format!(r#"{{"pre_exec_msg":"Checking {i}","city":"Paris"}}"#)
                );
            }
        }
        // The other formats carry choice 0 alone.
        for (output, format) in &OUTPUTS[1..] {
            let relayer = Relay::default().with_tool_calls(mode).with_output(*output);
            let out = relay(relayer, &upstream);
            check_rules(*output, &out);
            let back = readback::read(&out, Some(*format)).unwrap();
            assert_eq!(
                back.text,
                format!("Here0 is0 mine0{}", spoken(0)),
                "{output}"
            );
            let forwarded = calls && mode == ToolCallMode::Forward;
            assert_eq!(back.calls.len(), usize::from(forwarded), "{output}");
        }
    }
    // The summary describes choice 0.
    let mut relayer = Relay::default();
    relayer.feed(Bytes::from(upstream)).unwrap();
    relayer.finish().unwrap();
    assert_eq!(relayer.summary().content, "Here0 is0 mine0");
    assert_eq!(relayer.summary().tool_calls.len(), usize::from(calls));
}

#[test]
fn two_choices_stay_apart() {
    several_choices(2, false);
}

#[test]
fn three_choices_stay_apart() {
    several_choices(3, false);
}

#[test]
fn two_choices_with_calls_stay_apart() {
    several_choices(2, true);
}

#[test]
fn three_choices_with_calls_stay_apart() {
    several_choices(3, true);
}

#[test]
fn parallel_calls_after_a_text_block_in_every_format() {
    let upstream = parallel_calls();
    for (output, format) in OUTPUTS {
        let relayer = forwarding(output);
        let out = relay(relayer, &upstream);
        check_rules(output, &out);
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!(back.text, "Let me look.One moment", "{output}");
        let calls: Vec<(&str, &str, &str)> = back
            .calls
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
            .collect();
        // Gemini carries a call's arguments as an object: `{}` for none.
        let none = if output == OutputFormat::Gemini {
            "{}"
        } else {
            ""
        };
        assert_eq!(
            calls,
            [
                (
                    "toolu_a",
                    "weather",
                    r#"{"pre_exec_msg": "One moment", "city": "Oslo"}"#
                ),
                ("toolu_b", "clock", none),
            ],
            "{output}"
        );
        assert_eq!(back.finish.as_deref(), Some("tool_calls"), "{output}");
        assert_eq!(back.usage.unwrap().0, Some(10), "{output}");
    }
}

#[test]
fn an_upstream_error_in_every_format_ends_the_stream_with_no_success_end() {
    let upstream = concat!(
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n",
        "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":\"busy\"}}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
        "data: [DONE]\n\n",
    );
    let wants = [
        r#"data: {"error":{"message":"overloaded","type":"server_error","code":"busy"}}"#,
        r#"event: error
data: {"type":"error","error":{"type":"server_error","message":"overloaded"}}"#,
        r#""type":"response.failed""#,
        "data: {\"error\":{\"code\":500,\"message\":\"overloaded\",\"status\":\"INTERNAL\"}}\r\n\r\n",
    ];
    for ((output, format), want) in OUTPUTS.into_iter().zip(wants) {
        let out = relay(Relay::default().with_output(output), upstream);
        check_rules(output, &out);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains(want), "{output}: {text}");
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!(
            (back.text.as_str(), back.errors, back.ended),
            ("Hel", 1, false),
            "{output}"
        );
    }
    // Cut off: the same, with the relay's own error.
    let cut = &upstream[..upstream.find("data: {\"error\"").unwrap()];
    for (output, format) in OUTPUTS {
        let out = relay(Relay::default().with_output(output), cut);
        check_rules(output, &out);
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!((back.errors, back.ended), (1, false), "{output}: cut off");
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("upstream stream ended"),
            "{output}"
        );
    }
}

#[test]
fn write_error_speaks_the_output_format() {
    for (output, format) in OUTPUTS {
        let mut relayer = Relay::default().with_output(output);
        relayer.write_error("upstream_timeout", "upstream went silent");
        relayer.write_error("upstream_timeout", "twice");
        let out = relayer.output();
        let back = readback::read(&out, Some(format)).unwrap();
        assert_eq!(back.errors, 1, "{output}");
        assert!(relayer.is_ended());
    }
}

#[test]
fn same_answers_in_the_upstream_format() {
    let upstream = parallel_calls();
    let mut relayer = Relay::default().with_output(OutputFormat::Same);
    assert_eq!(relayer.output_format(), OutputFormat::OpenAiChat);
    relayer.feed(Bytes::from(upstream)).unwrap();
    assert_eq!(relayer.output_format(), OutputFormat::Anthropic);
    relayer.reset();
    relayer.feed(Bytes::from(choices_stream(1, false))).unwrap();
    assert_eq!(relayer.output_format(), OutputFormat::OpenAiChat);
    assert_eq!("same".parse::<OutputFormat>(), Ok(OutputFormat::Same));
    assert_eq!(
        "anthropic".parse::<OutputFormat>(),
        Ok(OutputFormat::Anthropic)
    );
    assert_eq!("gemini".parse::<OutputFormat>(), Ok(OutputFormat::Gemini));
    assert_eq!(OutputFormat::of(Format::Gemini), OutputFormat::Gemini);
    assert!("gemini-x".parse::<OutputFormat>().is_err());
}

/// A chat call whose arguments are `null` (a call without parameters, as
/// Groq sends it), cut in two: an Anthropic client gets the block's
/// `"input":{}` and no fragment, a Gemini client `"args":{}`; both read the
/// call back with an object.
#[test]
fn null_arguments_are_an_empty_object_where_the_format_needs_one() {
    let call = |arguments: &str, opening: bool| {
        let call = if opening {
            json!({"index":0,"id":"call_n","type":"function","function":{"name":"ping","arguments":arguments}})
        } else {
            json!({"index":0,"function":{"arguments":arguments}})
        };
        choice_chunk(&json!({"tool_calls":[call]}), Value::Null)
    };
    let upstream = call(" nu", true)
        + &call("ll", false)
        + &choice_chunk(&json!({}), json!("tool_calls"))
        + "data: [DONE]\n\n";
    let out = relay(forwarding(OutputFormat::Anthropic), &upstream);
    rules::anthropic(&out);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(!text.contains("input_json_delta"), "{text}");
    let back = readback::read(&out, Some(Format::Anthropic)).unwrap();
    assert_eq!(back.calls.len(), 1, "{text}");
    let out = relay(forwarding(OutputFormat::Gemini), &upstream);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains(r#"{"functionCall":{"id":"call_n","name":"ping","args":{}}}"#),
        "{text}"
    );
    assert!(text.contains(r#""finishReason":"STOP""#), "{text}");
}

/// A pooled relay carries nothing over: whatever stream it relayed before
/// (cut off halfway, or whole), after `reset` every stream comes out as a
/// new relay writes it, in every output format.
#[test]
fn a_reset_relay_writes_each_stream_as_a_new_one_does() {
    let bodies: Vec<String> = [
        "voice_agent.sse",
        "voice_agent_anthropic.sse",
        "voice_agent_responses.sse",
        "voice_agent_gemini.sse",
    ]
    .iter()
    .map(|name| {
        let path = format!("{}/examples/data/{name}", env!("CARGO_MANIFEST_DIR"));
        String::from_utf8(std::fs::read(path).unwrap()).unwrap()
    })
    .chain([choices_stream(3, true)])
    .collect();
    for (output, _) in OUTPUTS {
        let make = || forwarding(output).with_output(output);
        for before in &bodies {
            for body in &bodies {
                let want = relay(make(), body);
                for cut in [before.len() / 2, before.len()] {
                    let mut pooled = make();
                    let _ = pooled.feed(Bytes::copy_from_slice(&before.as_bytes()[..cut]));
                    let _ = pooled.output();
                    pooled.reset();
                    assert!(relay(pooled, body) == want, "{output}: cut at {cut}");
                }
            }
        }
    }
}
