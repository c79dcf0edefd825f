//! Gemini in, Gemini out: streamed arguments go out as one whole call with
//! no id made up, a call's thought signature stays on its part, and errors
//! carry an HTTP code and a Google status (from Anthropic's errors too).

use argstream::{Format, OutputFormat, Relay, ToolCallMode};
use serde_json::{Value, json};

use crate::common::expected;
use crate::common::{readback, rules};
use crate::support::relay_in_sevens as relay;
use crate::support::*;
use crate::support::{gemini_data as events, vertex_call_part as call_part, vertex_event as event};

#[test]
fn gemini_to_gemini_gives_streamed_arguments_as_one_whole_call_without_a_made_up_id() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/voice_agent_gemini.sse"
    );
    let upstream = std::fs::read_to_string(path).unwrap();
    assert!(
        upstream.contains("partialArgs"),
        "the example streams its arguments"
    );
    let relayer = forwarding(OutputFormat::Same);
    let out = relay(relayer, &upstream);
    let events = gemini_events(&out);
    let calls = function_calls(&events);
    assert_eq!(calls.len(), 1);
    // No id: the one a reader makes (call_ + responseId + _0) is the
    // upstream's own.
    assert!(calls[0].get("id").is_none(), "{}", calls[0]);
    assert_eq!(calls[0]["name"], "get_weather");
    let back = readback::read(&out, Some(Format::Gemini)).unwrap();
    let source = readback::read(upstream.as_bytes(), Some(Format::Gemini)).unwrap();
    // A client reads no id on either side (the crate's own decoder makes
    // the same one for both, from the responseId they share).
    assert_eq!(
        (back.calls[0].id.as_str(), source.calls[0].id.as_str()),
        ("", "")
    );
    assert_eq!(back.calls[0].name, source.calls[0].name);
    assert_eq!(
        serde_json::from_str::<Value>(&back.calls[0].arguments).unwrap(),
        serde_json::from_str::<Value>(&source.calls[0].arguments).unwrap()
    );
    assert_eq!(back.reasoning, source.reasoning);
    assert_eq!(back.usage, source.usage);
    let last = events.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["usageMetadata"],
        json!({"promptTokenCount":412,"candidatesTokenCount":64,"totalTokenCount":499,
            "cachedContentTokenCount":128,"thoughtsTokenCount":23})
    );
}

#[test]
fn gemini_errors_carry_an_http_code_and_a_google_status() {
    let text = |upstream: &str| {
        let out = relay(Relay::default().with_output(OutputFormat::Gemini), upstream);
        rules::gemini(&out);
        String::from_utf8(out).unwrap()
    };
    let gemini = concat!(
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"},\"index\":0}],\"responseId\":\"r\"}\r\n\r\n",
        "data: {\"error\":{\"code\":429,\"message\":\"Resource exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"}}\r\n\r\n",
    );
    let out = text(gemini);
    assert!(out.contains(r#"{"text":"Hel"}"#), "{out}");
    assert!(
        out.ends_with("data: {\"error\":{\"code\":429,\"message\":\"Resource exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"}}\r\n\r\n"),
        "{out}"
    );
    let anthropic = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n",
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
    );
    assert!(
        text(anthropic).ends_with("data: {\"error\":{\"code\":503,\"message\":\"Overloaded\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n")
    );
    // Cut off: the relay's own error, no finish.
    let cut = text(&gemini[..gemini.find("data: {\"error\"").unwrap()]);
    assert!(
        cut.contains(r#""code":500"#) && !cut.contains("finishReason"),
        "{cut}"
    );
}

/// Gemini to Gemini, a call's `thoughtSignature` stays on its part, whole
/// or streamed, for the client to give back; a chat client has no place for
/// it.
#[test]
fn a_calls_thought_signature_reaches_a_gemini_client_on_its_part() {
    let whole = event(
        json!([{"functionCall": {"name": "speak", "args": {"pre_exec_msg": "Hi"}}, "thoughtSignature": "c2lnMQ=="}]),
        json!({"finishReason": "STOP"}),
    );
    let streamed = event(
        json!([{"functionCall": {"name": "speak", "willContinue": true}, "thoughtSignature": "c2lnMg=="}]),
        json!({}),
    ) + &event(
        call_part(json!({"partialArgs": [{"jsonPath": "$.pre_exec_msg", "stringValue": "Hi"}]})),
        json!({}),
    ) + &event(call_part(json!({})), json!({"finishReason": "STOP"}));
    for (body, signature) in [(whole, "c2lnMQ=="), (streamed, "c2lnMg==")] {
        let forward = Relay::default()
            .with_tool_calls(ToolCallMode::Forward)
            .with_output(argstream::OutputFormat::Gemini);
        let (out, _, result) = expected::relay(forward, body.as_bytes(), 5);
        result.unwrap();
        let parts: Vec<Value> = events(&out)
            .iter()
            .flat_map(|e| {
                e["candidates"][0]["content"]["parts"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|part| part.get("functionCall").is_some())
            .collect();
        assert_eq!(parts.len(), 1, "{}", String::from_utf8_lossy(&out));
        assert_eq!(parts[0]["thoughtSignature"], signature);
        assert_eq!(
            parts[0]["functionCall"]["args"],
            json!({"pre_exec_msg": "Hi"})
        );
        let to_chat = Relay::default().with_tool_calls(ToolCallMode::Forward);
        let (out, _, _) = expected::relay(to_chat, body.as_bytes(), 5);
        assert!(!String::from_utf8_lossy(&out).contains(signature));
    }
}
