//! `--upstream-format`: the gateway binary translating each client's
//! request into one upstream format and the answer back, against an
//! upstream on loopback that records what it got and answers as scripted.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

mod common;

use common::GatewayProcess;

const PATIENCE: Duration = Duration::from_secs(10);

/// The request the upstream received.
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// An upstream that answers each request with `answer` (a whole HTTP
/// response) and tells what it got; at most `count` requests.
fn upstream(answer: String, count: usize) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (seen_tx, seen_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..count {
            let Ok((socket, _)) = listener.accept() else {
                return;
            };
            socket.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut reader = BufReader::new(socket.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (key, value) = line.split_once(':').unwrap();
                headers.push((key.trim().to_owned(), value.trim().to_owned()));
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = seen_tx.send(Seen {
                request_line: request_line.trim_end().to_owned(),
                headers,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            let mut socket = socket;
            let _ = socket.write_all(answer.as_bytes());
        }
    });
    (format!("http://{address}"), seen_rx)
}

fn http(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn sse(events: &[(&str, Value)]) -> String {
    events
        .iter()
        .map(|(name, data)| {
            if name.is_empty() {
                format!("data: {data}\n\n")
            } else {
                format!("event: {name}\ndata: {data}\n\n")
            }
        })
        .collect()
}

/// An Anthropic stream: some text, then a call whose input arrives in
/// pieces.
fn anthropic_stream() -> String {
    sse(&[
        (
            "message_start",
            json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-up","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}),
        ),
        (
            "content_block_start",
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        ),
        (
            "content_block_delta",
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}}),
        ),
        (
            "content_block_stop",
            json!({"type":"content_block_stop","index":0}),
        ),
        (
            "content_block_start",
            json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}),
        ),
        (
            "content_block_delta",
            json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"pre_exec_msg\":\"One mo"}}),
        ),
        (
            "content_block_delta",
            json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ment\",\"city\":\"Paris\"}"}}),
        ),
        (
            "content_block_stop",
            json!({"type":"content_block_stop","index":1}),
        ),
        (
            "message_delta",
            json!({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":20}}),
        ),
        ("message_stop", json!({"type":"message_stop"})),
    ])
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap()
}

fn chat_request() -> Value {
    json!({"model": "gpt-client", "stream": true, "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"}],
        "tools": [{"type": "function", "function": {"name": "weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "pre_exec_msg": {"type": "string"}}}}}]})
}

#[tokio::test]
async fn a_chat_client_reaches_an_anthropic_upstream_and_reads_chat_chunks() {
    let (base, seen) = upstream(http("200 OK", "text/event-stream", &anthropic_stream()), 1);
    let gateway = GatewayProcess::start_with(
        &base,
        &[
            "--upstream-format",
            "anthropic",
            "--model-map",
            "gpt-client=claude-up",
            "--tool-calls",
            "forward",
        ],
        "off",
        Stdio::null(),
    );
    let answer = client()
        .post(format!("http://{}/v1/chat/completions", gateway.address))
        .bearer_auth("sk-client")
        .header("content-type", "application/json")
        .body(chat_request().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    let seen = seen.recv_timeout(PATIENCE).unwrap();
    assert_eq!(seen.request_line, "POST /v1/messages HTTP/1.1");
    assert_eq!(seen.header("x-api-key"), Some("sk-client"));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(seen.body["model"], "claude-up");
    assert_eq!(
        seen.body["system"],
        json!([{"type": "text", "text": "Be brief."}])
    );
    assert_eq!(seen.body["tools"][0]["eager_input_streaming"], true);
    assert_eq!(seen.body["max_tokens"], 8192);
    // The answer comes back as chat chunks: the text, the value as it
    // streams, the call, the finish and usage.
    assert!(text.contains(r#""content":"Checking.""#), "{text}");
    assert!(text.contains(r#""content":"One mo""#), "{text}");
    assert!(text.contains(r#""id":"toolu_1""#), "{text}");
    assert!(text.contains(r#""finish_reason":"tool_calls""#), "{text}");
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
}

#[tokio::test]
async fn a_whole_anthropic_request_reaches_gemini_and_reads_a_message() {
    let gemini = json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "Sunny."},
            {"functionCall": {"name": "weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}]},
        "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
        "responseId": "r1", "modelVersion": "gemini-up"});
    let (base, seen) = upstream(http("200 OK", "application/json", &gemini.to_string()), 1);
    let gateway = GatewayProcess::start_with(
        &base,
        &[
            "--upstream-format",
            "gemini",
            "--upstream-model",
            "gemini-up",
        ],
        "off",
        Stdio::null(),
    );
    let request = json!({"model": "claude-client", "max_tokens": 100, "messages": [{"role": "user", "content": "Weather?"}],
        "tools": [{"name": "weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": false}}]});
    let answer = client()
        .post(format!("http://{}/v1/messages", gateway.address))
        .header("x-api-key", "g-client")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(request.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let message: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    let seen = seen.recv_timeout(PATIENCE).unwrap();
    assert_eq!(
        seen.request_line,
        "POST /v1beta/models/gemini-up:generateContent HTTP/1.1"
    );
    assert_eq!(seen.header("x-goog-api-key"), Some("g-client"));
    assert_eq!(seen.header("x-api-key"), None);
    assert_eq!(seen.header("anthropic-version"), None);
    let parameters = &seen.body["tools"][0]["functionDeclarations"][0]["parameters"];
    assert_eq!(
        parameters,
        &json!({"type": "OBJECT", "properties": {"city": {"type": "STRING"}}})
    );
    assert_eq!(message["type"], "message");
    assert_eq!(message["model"], "claude-client");
    assert_eq!(message["stop_reason"], "tool_use");
    assert_eq!(
        message["content"][0],
        json!({"type": "text", "text": "Sunny."})
    );
    assert_eq!(message["content"][1]["type"], "tool_use");
    assert_eq!(message["content"][1]["input"], json!({"city": "Paris"}));
}

#[tokio::test]
async fn the_gateways_own_key_replaces_the_clients_and_no_key_reaches_the_log() {
    let (base, seen) = upstream(
        http(
            "429 Too Many Requests",
            "application/json",
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"Slow down."}}"#,
        ),
        1,
    );
    let mut gateway = GatewayProcess::start_with_env(
        &base,
        &[
            "--upstream-format",
            "anthropic",
            "--upstream-key-env",
            "ARGSTREAM_TEST_KEY",
        ],
        &[("ARGSTREAM_TEST_KEY", "sk-gateway-secret")],
        "trace",
        Stdio::piped(),
    );
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    let answer = client()
        .post(format!(
            "http://{}/v1beta/models/gem:streamGenerateContent?alt=sse&key=g-client-secret",
            gateway.address
        ))
        .header("content-type", "application/json")
        .body(gemini.to_string())
        .send()
        .await
        .unwrap();
    // An upstream's error reaches the client in the client's own shape.
    assert_eq!(answer.status(), 429);
    let error: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert_eq!(error["error"]["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(error["error"]["message"], "Slow down.");
    let seen = seen.recv_timeout(PATIENCE).unwrap();
    assert_eq!(seen.request_line, "POST /v1/messages HTTP/1.1");
    assert_eq!(seen.header("x-api-key"), Some("sk-gateway-secret"));
    assert_eq!(seen.body["model"], "gem");
    let _ = gateway.child.kill();
    let mut log = String::new();
    gateway
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("client_format=gemini upstream_format=anthropic"),
        "{log}"
    );
    for secret in ["sk-gateway-secret", "g-client-secret"] {
        assert!(!log.contains(secret), "the log holds a key: {log}");
    }
}

#[tokio::test]
async fn a_request_that_cannot_be_translated_gets_a_400_in_the_clients_shape() {
    let (base, seen) = upstream(String::new(), 1);
    let gateway = GatewayProcess::start_with(
        &base,
        &["--upstream-format", "gemini", "--strict-translation"],
        "off",
        Stdio::null(),
    );
    let cases = [
        // No model to name in the path.
        (
            json!({"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}),
            "missing_model",
        ),
        // A field Gemini cannot carry, refused in strict mode.
        (
            json!({"model": "m", "max_tokens": 5, "metadata": {"user_id": "u"}, "messages": [{"role": "user", "content": "hi"}]}),
            "untranslatable",
        ),
    ];
    for (request, kind) in cases {
        let answer = client()
            .post(format!("http://{}/v1/messages", gateway.address))
            .header("content-type", "application/json")
            .body(request.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
        let error: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
        assert_eq!(error["type"], "error");
        assert_eq!(error["error"]["type"], "invalid_request_error");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(kind), "{message}");
    }
    assert!(
        seen.recv_timeout(Duration::from_millis(200)).is_err(),
        "nothing reaches the upstream"
    );
}

#[test]
fn bad_translation_flags_stop_the_gateway_with_a_reason() {
    for args in [
        &["--upstream-format", "bedrock"][..],
        &["--model-map", "nothing"],
        &["--upstream-key-env", "ARGSTREAM_TEST_UNSET_VARIABLE"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_argstream-gateway"))
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(args[0]), "{args:?}: {said}");
    }
}

#[tokio::test]
async fn the_gateways_own_key_replaces_the_clients_without_translation_too() {
    let answer = http("200 OK", "application/json", r#"{"candidates":[]}"#);
    let (base, seen) = upstream(answer, 2);
    let gateway = GatewayProcess::start_with_env(
        &base,
        &["--upstream-key-env", "ARGSTREAM_TEST_KEY"],
        &[("ARGSTREAM_TEST_KEY", "own-key")],
        "off",
        Stdio::null(),
    );
    let chat = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    client()
        .post(format!("http://{}/v1/chat/completions", gateway.address))
        .bearer_auth("client-key")
        .header("x-api-key", "client-key")
        .header("content-type", "application/json")
        .body(chat.to_string())
        .send()
        .await
        .unwrap();
    let seen_chat = seen.recv_timeout(PATIENCE).unwrap();
    assert_eq!(seen_chat.header("authorization"), Some("Bearer own-key"));
    assert_eq!(seen_chat.header("x-api-key"), None);
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    client()
        .post(format!(
            "http://{}/v1beta/models/g:generateContent?key=client-key",
            gateway.address
        ))
        .header("content-type", "application/json")
        .body(gemini.to_string())
        .send()
        .await
        .unwrap();
    let seen_gemini = seen.recv_timeout(PATIENCE).unwrap();
    assert_eq!(
        seen_gemini.request_line,
        "POST /v1beta/models/g:generateContent HTTP/1.1"
    );
    assert_eq!(seen_gemini.header("x-goog-api-key"), Some("own-key"));
}
