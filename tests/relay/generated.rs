//! Generated streams of the three formats, with seeded randomness: answer
//! text, reasoning, tool calls whose arguments hold the target key (with
//! escapes, surrogate pairs, multi-byte characters and a nested decoy of the
//! same name) cut into fragments at arbitrary character positions, optional
//! usage. Each is relayed under random read sizes; the output must not
//! depend on them, and the client must get the answer text, then each call's
//! decoded value, one finish, usage and `[DONE]`.

use crate::common;

use argstream::{Relay, ToolCallMode};
use bytes::Bytes;
use common::Rng;
use common::client;
use serde_json::{Value, json};

const PIECES: [&str; 14] = [
    "a", "Let me", " check", "é", "中文", "😀", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{2028}",
    " ",
];

fn text(rng: &mut Rng, max: usize) -> String {
    (0..rng.below(max))
        .map(|_| PIECES[rng.below(PIECES.len())])
        .collect()
}

/// A JSON string literal of `value` with escapes chosen at random: `\uXXXX`
/// (surrogate pairs for astral characters) or the short forms.
fn literal(rng: &mut Rng, value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        let escape = rng.chance(30);
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            '/' if escape => out.push_str("\\/"),
            c if escape => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Arguments with `pre_exec_msg` = `value`, a nested decoy and other members.
fn arguments(rng: &mut Rng, value: &str) -> String {
    let mut members = [
        format!("\"pre_exec_msg\": {}", literal(rng, value)),
        format!(
            "\"query\": {{\"pre_exec_msg\": {}, \"n\": [1, 2.5e3, null]}}",
            literal(rng, "decoy")
        ),
        format!("\"city\": {}", literal(rng, "Lisbon")),
    ];
    let first = rng.below(3);
    members.swap(0, first);
    let spaces = if rng.chance(50) { "\n  " } else { "" };
    format!("{{{spaces}{}}}", members.join(&format!(",{spaces}")))
}

/// `text` cut at random character boundaries.
fn cut(rng: &mut Rng, text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = (1 + rng.below(8)).min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        pieces.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    pieces
}

struct Turn {
    reasoning: Vec<String>,
    text: Vec<String>,
    /// (id, name, fragments, value)
    calls: Vec<(String, String, Vec<String>, String)>,
    usage: bool,
}

fn turn(rng: &mut Rng) -> Turn {
    let reasoning = (0..rng.below(3))
        .map(|_| text(rng, 5))
        .filter(|t| !t.is_empty())
        .collect();
    let answer = (0..rng.below(4))
        .map(|_| text(rng, 6))
        .filter(|t| !t.is_empty())
        .collect();
    let calls = (0..rng.below(3))
        .map(|i| {
            let value = text(rng, 12);
            let args = arguments(rng, &value);
            assert_eq!(
                serde_json::from_str::<Value>(&args).unwrap()["pre_exec_msg"],
                value.as_str()
            );
            (
                format!("call_{i}"),
                format!("tool_{i}"),
                cut(rng, &args),
                value,
            )
        })
        .collect();
    Turn {
        reasoning,
        text: answer,
        calls,
        usage: rng.chance(70),
    }
}

fn sse(name: Option<&str>, data: &Value) -> String {
    match name {
        Some(name) => format!("event: {name}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

fn chat(turn: &Turn) -> String {
    let chunk = |delta: Value, finish: Value| {
        sse(
            None,
            &json!({"id":"chatcmpl-g","object":"chat.completion.chunk","created":3,"model":"g",
            "choices":[{"index":0,"delta":delta,"finish_reason":finish}]}),
        )
    };
    let mut out = chunk(json!({"role":"assistant","content":""}), Value::Null);
    for t in &turn.reasoning {
        out += &chunk(json!({"reasoning_content": t}), Value::Null);
    }
    for t in &turn.text {
        out += &chunk(json!({"content": t}), Value::Null);
    }
    for (i, (id, name, fragments, _)) in turn.calls.iter().enumerate() {
        out += &chunk(
            json!({"tool_calls":[{"index":i,"id":id,"type":"function","function":{"name":name,"arguments":""}}]}),
            Value::Null,
        );
        for fragment in fragments {
            out += &chunk(
                json!({"tool_calls":[{"index":i,"function":{"arguments":fragment}}]}),
                Value::Null,
            );
        }
    }
    let finish = if turn.calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    out += &chunk(json!({}), json!(finish));
    if turn.usage {
        out += &sse(
            None,
            &json!({"id":"chatcmpl-g","object":"chat.completion.chunk","created":3,"model":"g",
            "choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}),
        );
    }
    out + "data: [DONE]\n\n"
}

fn anthropic(turn: &Turn) -> String {
    let event = |data: Value| sse(Some(data["type"].as_str().unwrap()), &data);
    let mut out = event(
        json!({"type":"message_start","message":{"id":"msg_g","model":"g","usage":{"input_tokens":5,"output_tokens":1}}}),
    );
    let mut block = 0;
    if !turn.reasoning.is_empty() {
        out += &event(
            json!({"type":"content_block_start","index":block,"content_block":{"type":"thinking","thinking":""}}),
        );
        for t in &turn.reasoning {
            out += &event(
                json!({"type":"content_block_delta","index":block,"delta":{"type":"thinking_delta","thinking":t}}),
            );
        }
        out += &event(
            json!({"type":"content_block_delta","index":block,"delta":{"type":"signature_delta","signature":"s"}}),
        );
        block += 1;
    }
    if !turn.text.is_empty() {
        out += &event(
            json!({"type":"content_block_start","index":block,"content_block":{"type":"text","text":""}}),
        );
        for t in &turn.text {
            out += &event(
                json!({"type":"content_block_delta","index":block,"delta":{"type":"text_delta","text":t}}),
            );
        }
        out += &event(json!({"type":"ping"}));
        block += 1;
    }
    for (id, name, fragments, _) in &turn.calls {
        out += &event(
            json!({"type":"content_block_start","index":block,"content_block":{"type":"tool_use","id":id,"name":name,"input":{}}}),
        );
        out += &event(
            json!({"type":"content_block_delta","index":block,"delta":{"type":"input_json_delta","partial_json":""}}),
        );
        for fragment in fragments {
            out += &event(
                json!({"type":"content_block_delta","index":block,"delta":{"type":"input_json_delta","partial_json":fragment}}),
            );
        }
        out += &event(json!({"type":"content_block_stop","index":block}));
        block += 1;
    }
    let reason = if turn.calls.is_empty() {
        "end_turn"
    } else {
        "tool_use"
    };
    let usage = if turn.usage {
        json!({"output_tokens":7})
    } else {
        Value::Null
    };
    out += &event(json!({"type":"message_delta","delta":{"stop_reason":reason},"usage":usage}));
    out + &event(json!({"type":"message_stop"}))
}

fn responses(turn: &Turn) -> String {
    let event = |data: Value| sse(Some(data["type"].as_str().unwrap()), &data);
    let mut out = event(
        json!({"type":"response.created","response":{"id":"resp_g","model":"g","created_at":3}}),
    );
    let mut index = 0;
    if !turn.reasoning.is_empty() {
        for t in &turn.reasoning {
            out += &event(
                json!({"type":"response.reasoning_summary_text.delta","output_index":index,"item_id":"rs","delta":t}),
            );
        }
        index += 1;
    }
    for t in &turn.text {
        out += &event(
            json!({"type":"response.output_text.delta","output_index":index,"item_id":"msg","delta":t,"obfuscation":"x"}),
        );
    }
    index += 1;
    for (i, (id, name, fragments, _)) in turn.calls.iter().enumerate() {
        let item = format!("fc_{i}");
        out += &event(
            json!({"type":"response.output_item.added","output_index":index,
            "item":{"type":"function_call","id":item,"call_id":id,"name":name,"arguments":""}}),
        );
        for fragment in fragments {
            out += &event(
                json!({"type":"response.function_call_arguments.delta","output_index":index,"item_id":item,"delta":fragment}),
            );
        }
        out += &event(
            json!({"type":"response.function_call_arguments.done","output_index":index,"item_id":item,
            "arguments":fragments.concat()}),
        );
        index += 1;
    }
    let usage = if turn.usage {
        json!({"input_tokens":5,"output_tokens":7,"total_tokens":12})
    } else {
        Value::Null
    };
    out + &event(json!({"type":"response.completed","response":{"id":"resp_g","usage":usage}}))
}

fn relay(make: &dyn Fn() -> Relay, upstream: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut relay = make();
    let mut out = Vec::new();
    let mut rest = upstream;
    while !rest.is_empty() {
        let n = if rng.chance(10) {
            1 + rng.below(500)
        } else {
            1 + rng.below(9)
        }
        .min(rest.len());
        relay.feed(Bytes::copy_from_slice(&rest[..n])).unwrap();
        out.extend_from_slice(&relay.output());
        rest = &rest[n..];
    }
    relay.finish().unwrap();
    out.extend_from_slice(&relay.output());
    out
}

#[test]
fn generated_streams_of_every_format_relay_exactly_under_any_reads() {
    for seed in 1..=600u64 {
        let mut rng = Rng::new(seed);
        let turn = turn(&mut rng);
        let (format, upstream) = match seed % 3 {
            0 => ("openai-chat", chat(&turn)),
            1 => ("anthropic", anthropic(&turn)),
            _ => ("openai-responses", responses(&turn)),
        };
        let hidden = || Relay::new(&["pre_exec_msg"]);
        let whole = relay(&hidden, upstream.as_bytes(), &mut Rng::new(seed ^ 0xdead));
        for plan in 0..3 {
            let out = relay(
                &hidden,
                upstream.as_bytes(),
                &mut Rng::new(seed * 31 + plan),
            );
            assert_eq!(
                out, whole,
                "seed {seed} ({format}): reads change the output"
            );
        }
        let seen = client::read(&whole);
        let values: String = turn.calls.iter().map(|c| c.3.as_str()).collect();
        assert_eq!(
            seen.content,
            turn.text.concat() + &values,
            "seed {seed} ({format})"
        );
        assert_eq!(
            seen.reasoning,
            turn.reasoning.concat(),
            "seed {seed} ({format})"
        );
        assert_eq!(seen.finish_reasons, ["stop"], "seed {seed} ({format})");
        // message_start always carries usage.
        let usage = turn.usage || format == "anthropic";
        assert_eq!(
            seen.usage.len(),
            usize::from(usage),
            "seed {seed} ({format})"
        );
        assert_eq!(
            (seen.done, seen.errors.len(), seen.after_end),
            (1, 0, 0),
            "seed {seed}"
        );
        assert_eq!(seen.roles, ["assistant"]);

        let forward = || Relay::new(&["pre_exec_msg"]).with_tool_calls(ToolCallMode::Forward);
        let mut relayer = forward();
        relayer.feed(Bytes::from(upstream.clone())).unwrap();
        relayer.finish().unwrap();
        let seen = client::read(&relayer.output());
        let want: Vec<(String, String, String)> = turn
            .calls
            .iter()
            .map(|(id, name, fragments, _)| (id.clone(), name.clone(), fragments.concat()))
            .collect();
        let got: Vec<(String, String, String)> = seen
            .calls
            .iter()
            .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
            .collect();
        assert_eq!(got, want, "seed {seed} ({format}): forwarded calls");
        let finish = if turn.calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        };
        assert_eq!(seen.finish_reasons, [finish], "seed {seed} ({format})");
        let summary = relayer.summary();
        assert_eq!(summary.finish_reason.as_deref(), Some(finish));
        assert_eq!(summary.content, turn.text.concat());
        for (call, (id, _, fragments, _)) in summary.tool_calls.iter().zip(&turn.calls) {
            assert_eq!((&call.id, &call.arguments), (id, &fragments.concat()));
            assert_eq!(call.error, None);
        }
    }
}
