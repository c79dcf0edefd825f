//! The gateway in-process on loopback, against upstreams that misbehave on
//! cue: one test for each fault path and each pass-through rule.

use std::net::SocketAddr;
use std::time::Duration;

use argstream::{Format, Output, Relay, ToolCallMode};
use argstream_gateway::{Config, bundled_mock};
use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

mod common;

use common::GatewayProcess;

const HELLO: &[u8] = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n";
const STOP: &[u8] = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
const DONE: &[u8] = b"data: [DONE]\n\n";
const EVENT_STREAM_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

/// Each test's bound on waiting for anything.
const PATIENCE: Duration = Duration::from_secs(10);

/// The request the upstream received.
struct Seen {
    head: String,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Vec<&str> {
        self.head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
            .collect()
    }
}

/// What a scripted upstream does after reading the request.
enum Step {
    /// Raw bytes: a status line and headers, or a whole response.
    Raw(&'static str),
    /// One chunk of a chunked body.
    Chunk(Vec<u8>),
    /// The end of a chunked body.
    End,
    Sleep(Duration),
    /// Waits (at most `PATIENCE`) for the gateway to close the connection,
    /// and says when it did.
    AwaitClose(oneshot::Sender<()>),
    /// Sends chunks of events as fast as the gateway takes them, until it
    /// closes the connection (said on the sender), for at most 1 GiB or
    /// `PATIENCE`.
    Flood(oneshot::Sender<()>),
}

/// An upstream on loopback that answers one request with `steps` and then
/// closes the connection. Gives its base URL and the request it saw.
async fn scripted_upstream(steps: Vec<Step>) -> (String, oneshot::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (seen_tx, seen_rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let seen = read_request(&mut socket).await;
        let _ = seen_tx.send(seen);
        for step in steps {
            let written = match step {
                Step::Raw(text) => socket.write_all(text.as_bytes()).await,
                Step::Chunk(bytes) => {
                    let mut chunk = format!("{:x}\r\n", bytes.len()).into_bytes();
                    chunk.extend_from_slice(&bytes);
                    chunk.extend_from_slice(b"\r\n");
                    socket.write_all(&chunk).await
                }
                Step::End => socket.write_all(b"0\r\n\r\n").await,
                Step::Sleep(pause) => {
                    tokio::time::sleep(pause).await;
                    Ok(())
                }
                Step::Flood(closed) => {
                    let chunk = HELLO.repeat(512);
                    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                    framed.extend_from_slice(&chunk);
                    framed.extend_from_slice(b"\r\n");
                    let flood = async {
                        for _ in 0..(1usize << 30) / framed.len() {
                            if socket.write_all(&framed).await.is_err() {
                                let _ = closed.send(());
                                return;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(PATIENCE, flood).await;
                    Ok(())
                }
                Step::AwaitClose(closed) => {
                    let mut scratch = [0u8; 64];
                    let read = tokio::time::timeout(PATIENCE, socket.read(&mut scratch)).await;
                    if matches!(read, Ok(Ok(0)) | Ok(Err(_))) {
                        let _ = closed.send(());
                    }
                    Ok(())
                }
            };
            if written.is_err() {
                return;
            }
        }
    });
    (format!("http://{address}"), seen_rx)
}

async fn read_request(socket: &mut TcpStream) -> Seen {
    read_request_or_close(socket)
        .await
        .expect("the gateway sends a request")
}

/// The next request on `socket`, or `None` when the gateway closes the
/// connection before one.
async fn read_request_or_close(socket: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut scratch = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break at + 4;
        }
        let read = socket.read(&mut scratch).await.unwrap_or(0);
        if read == 0 {
            assert!(buffer.is_empty(), "the gateway closed inside its request");
            return None;
        }
        buffer.extend_from_slice(&scratch[..read]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
    let seen = Seen {
        head,
        body: Vec::new(),
    };
    let length: usize = seen
        .header("content-length")
        .first()
        .map_or(0, |value| value.parse().unwrap());
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let read = socket.read(&mut scratch).await.unwrap();
        assert!(read > 0);
        body.extend_from_slice(&scratch[..read]);
    }
    Some(Seen { body, ..seen })
}

/// An upstream that answers one whole event stream: a text, the stop and
/// `[DONE]`.
async fn whole_stream_upstream() -> (String, oneshot::Receiver<Seen>) {
    scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk([HELLO, STOP, DONE].concat()),
        Step::End,
    ])
    .await
}

/// Waits a little for a request at a scripted upstream: none must come.
async fn assert_nothing_reached_the_upstream(seen: oneshot::Receiver<Seen>) {
    assert!(
        tokio::time::timeout(Duration::from_millis(200), seen)
            .await
            .is_err(),
        "a request reached the upstream"
    );
}

/// The gateway on an ephemeral loopback port, in-process.
async fn gateway(upstream: &str, args: &[&str]) -> SocketAddr {
    let mut all = vec!["--upstream", upstream];
    all.extend_from_slice(args);
    let config = Config::from_args(all).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = config.upstream.clone().unwrap();
    tokio::spawn(argstream_gateway::serve(listener, config, upstream));
    address
}

/// The client: it follows no redirect, so the tests see what the gateway
/// answered.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(address: SocketAddr, path: &str, body: &'static str) -> reqwest::Response {
    send(client().post(format!("http://{address}{path}")).body(body)).await
}

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    tokio::time::timeout(PATIENCE, request.send())
        .await
        .unwrap()
        .unwrap()
}

async fn body_of(response: reqwest::Response) -> String {
    tokio::time::timeout(PATIENCE, response.text())
        .await
        .unwrap()
        .unwrap()
}

/// The heartbeat frames the gateway sends a chat or Responses client, and
/// an Anthropic one.
const COMMENT_HEARTBEAT: &str = ": keep-alive\n\n";
const PING_HEARTBEAT: &str = "event: ping\ndata: {\"type\": \"ping\"}\n\n";

/// A client's body without the heartbeats the gateway sent while upstream
/// sent its own: they may come between any two frames.
fn without_heartbeats(body: &str) -> String {
    body.replace(COMMENT_HEARTBEAT, "")
        .replace(PING_HEARTBEAT, "")
}

/// Checks a relayed body that ended at a fault: what came before, then one
/// error event of `error_type`, then the end, with no `[DONE]`.
fn assert_ends_with_error(body: &str, relayed: &[u8], error_type: &str) {
    let relayed = std::str::from_utf8(relayed).unwrap();
    let rest = body
        .strip_prefix(relayed)
        .unwrap_or_else(|| panic!("{body:?} starts with what was relayed"));
    let payload = rest
        .strip_prefix("data: ")
        .and_then(|rest| rest.strip_suffix("\n\n"))
        .unwrap_or_else(|| panic!("one error event after what was relayed: {rest:?}"));
    let event: serde_json::Value = serde_json::from_str(payload).unwrap();
    assert_eq!(event["error"]["type"], error_type, "{payload}");
    assert!(
        event["error"]["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty())
    );
    assert!(!body.contains("[DONE]"));
}

/// What the relay has written for `upstream` before its end.
fn relayed_so_far(upstream: &[u8]) -> Vec<u8> {
    let mut relay = Relay::default();
    relay.feed(Bytes::copy_from_slice(upstream)).unwrap();
    relay.output().to_vec()
}

/// Reads the response's body until it has `length` bytes (or it ends),
/// without waiting for more; gives the body to read on.
async fn first_bytes(
    response: reqwest::Response,
    length: usize,
) -> (
    impl futures_util::Stream<Item = reqwest::Result<Bytes>>,
    Vec<u8>,
) {
    let mut body = Box::pin(response.bytes_stream());
    let mut received = Vec::new();
    while received.len() < length {
        match tokio::time::timeout(PATIENCE / 2, body.next()).await {
            Ok(Some(Ok(read))) => received.extend_from_slice(&read),
            _ => break,
        }
    }
    (body, received)
}

fn unix_now() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.unwrap().as_secs()
}

fn relayed_offline(upstream: &[u8], relay: Relay) -> Vec<u8> {
    let mut relay = relay;
    relay.feed(Bytes::copy_from_slice(upstream)).unwrap();
    relay.finish().unwrap();
    relay.output().to_vec()
}

/// The Gemini route of the tests, with its query.
const GEMINI_STREAM: &str = "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse";

/// Each route (as the tests ask for it), the example stream of its format
/// as the embedded mock has it, that format, and the route's own output.
const EXAMPLES: [(&str, &[u8], Format, Output); 4] = [
    (
        "/v1/chat/completions",
        include_bytes!("../../examples/data/voice_agent.sse"),
        Format::OpenAiChat,
        Output::OpenAiChat,
    ),
    (
        "/v1/responses",
        include_bytes!("../../examples/data/voice_agent_responses.sse"),
        Format::OpenAiResponses,
        Output::OpenAiResponses,
    ),
    (
        "/v1/messages",
        include_bytes!("../../examples/data/voice_agent_anthropic.sse"),
        Format::Anthropic,
        Output::Anthropic,
    ),
    (
        GEMINI_STREAM,
        include_bytes!("../../examples/data/voice_agent_gemini.sse"),
        Format::Gemini,
        Output::Gemini,
    ),
];

/// The upstream format that reads `output`: the one of its name.
fn format_of(output: Output) -> Format {
    output.name().parse().expect("each output is a format")
}

/// A client's body read back with the crate's own decoders.
struct ReadBack {
    format: Option<Format>,
    /// Whether it reached its format's end, with no error.
    ended: bool,
    /// Its answer text.
    content: String,
}

fn read_back(body: &[u8]) -> ReadBack {
    let mut relay = Relay::default();
    relay.feed(Bytes::copy_from_slice(body)).unwrap();
    relay.finish().unwrap();
    let summary = relay.summary();
    ReadBack {
        format: relay.format(),
        ended: summary.finish_reason.is_some() && summary.upstream_error.is_none(),
        content: summary.content.clone(),
    }
}

/// Posts a stream request to every route on the bundled mock through a
/// gateway started with `args`; each body must be what `relay` (given the
/// route's own output) writes for the route's example.
async fn relays_each_route_as_the_relay_does(args: &[&str], relay: impl Fn(Output) -> Relay) {
    let upstream = bundled_mock()
        .with_delay(Duration::ZERO)
        .spawn()
        .await
        .unwrap();
    let gateway = gateway(&format!("http://{upstream}"), args).await;
    for (route, example, format, own) in EXAMPLES {
        // A format without a `created` time (Anthropic) gets the request's.
        let now = unix_now();
        let response = post(gateway, route, r#"{"stream":true}"#).await;
        if now != unix_now() {
            continue; // a second turned over: the time is not known
        }
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut relay = relay(own);
        relay.set_created(now);
        let output = relay.output_format();
        let expected = relayed_offline(example, relay);
        let body = without_heartbeats(&body_of(response).await);
        assert_eq!(body.as_bytes(), expected, "{route}");
        let read = read_back(body.as_bytes());
        assert_eq!(read.format, Some(format_of(output)), "{route}");
        assert!(read.ended, "{route}");
        let mut detected = Relay::default();
        detected.feed(Bytes::from_static(example)).unwrap();
        assert_eq!(detected.format(), Some(format), "{route}");
    }
}

#[tokio::test]
async fn each_route_answers_in_its_own_format() {
    relays_each_route_as_the_relay_does(&[], |own| Relay::default().with_output(own)).await;
}

#[tokio::test]
async fn each_route_answers_in_its_own_format_with_tool_calls_forwarded() {
    for (route, example, _, own) in EXAMPLES {
        let relay = || Relay::default().with_output(own);
        let forwarded = relayed_offline(example, relay().with_tool_calls(ToolCallMode::Forward));
        let hidden = relayed_offline(example, relay());
        assert_ne!(forwarded, hidden, "{route}: the example has a tool call");
    }
    relays_each_route_as_the_relay_does(&["--tool-calls", "forward"], |own| {
        Relay::default()
            .with_output(own)
            .with_tool_calls(ToolCallMode::Forward)
    })
    .await;
}

#[tokio::test]
async fn to_openai_chat_answers_every_route_in_chat_chunks_as_before() {
    relays_each_route_as_the_relay_does(&["--to", "openai-chat"], |_| Relay::default()).await;
}

#[tokio::test]
async fn to_names_the_one_format_of_every_route() {
    for output in [Output::Anthropic, Output::OpenAiResponses] {
        relays_each_route_as_the_relay_does(&["--to", output.name()], |_| {
            Relay::default().with_output(output)
        })
        .await;
    }
}

#[tokio::test]
async fn no_values_leaves_the_values_out_of_the_answer() {
    // The start of the value each example's call streams as answer text.
    const VALUE_TEXT: &str = "Let me check";
    for (route, example, _, own) in EXAMPLES {
        let with = relayed_offline(example, Relay::default().with_output(own));
        let without = relayed_offline(
            example,
            Relay::default().with_output(own).with_values(false),
        );
        assert!(read_back(&with).content.contains(VALUE_TEXT), "{route}");
        assert!(!read_back(&without).content.contains(VALUE_TEXT), "{route}");
    }
    relays_each_route_as_the_relay_does(&["--no-values"], |own| {
        Relay::default().with_output(own).with_values(false)
    })
    .await;
}

#[tokio::test]
async fn sends_each_frame_as_soon_as_upstream_completes_it() {
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk(HELLO[..10].to_vec()),
        Step::Chunk(HELLO[10..].to_vec()),
        Step::Sleep(PATIENCE),
    ])
    .await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post(gateway, "/v1/chat/completions", "{}").await;
    let (_body, first) = first_bytes(response, relayed_so_far(HELLO).len()).await;
    assert_eq!(
        first,
        relayed_so_far(HELLO),
        "the frames arrive while upstream is still open"
    );
}

#[tokio::test]
async fn upstream_break_off_ends_with_an_error_event() {
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk(HELLO.to_vec()),
        // A chunk announced and cut: the connection closes in its middle.
        Step::Raw("40\r\ndata: {\"id\""),
    ])
    .await;
    let gateway = gateway(&upstream, &[]).await;
    let body = body_of(post(gateway, "/v1/chat/completions", "{}").await).await;
    assert_ends_with_error(&body, &relayed_so_far(HELLO), "upstream_error");
}

#[tokio::test]
async fn malformed_upstream_event_ends_with_an_error_event() {
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk(HELLO.to_vec()),
        Step::Chunk(b"data: {\"choices\":[}\n\n".to_vec()),
        Step::Chunk(STOP.to_vec()),
        Step::Chunk(DONE.to_vec()),
        Step::End,
    ])
    .await;
    let gateway = gateway(&upstream, &[]).await;
    let body = body_of(post(gateway, "/v1/chat/completions", "{}").await).await;
    assert_ends_with_error(&body, &relayed_so_far(HELLO), "invalid_upstream_event");
}

#[tokio::test]
async fn oversized_upstream_event_ends_with_an_error_event() {
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk(HELLO.to_vec()),
        Step::Chunk([&b"data: "[..], &[b'x'; 4096], b"\n\n"].concat()),
        Step::End,
    ])
    .await;
    let gateway = gateway(&upstream, &["--max-event-bytes", "1024"]).await;
    let body = body_of(post(gateway, "/v1/chat/completions", "{}").await).await;
    assert_ends_with_error(&body, &relayed_so_far(HELLO), "invalid_upstream_event");
}

#[tokio::test]
async fn upstream_silent_past_the_idle_timeout_ends_with_an_error_event() {
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk(HELLO.to_vec()),
        Step::Sleep(PATIENCE),
    ])
    .await;
    let gateway = gateway(&upstream, &["--idle-timeout-ms", "200"]).await;
    let body = body_of(post(gateway, "/v1/chat/completions", "{}").await).await;
    assert_ends_with_error(&body, &relayed_so_far(HELLO), "upstream_timeout");
}

/// Each route as the fault tests ask for it, with the format of its
/// answer.
const FAULT_ROUTES: [(&str, Output); 4] = [
    ("/v1/chat/completions", Output::OpenAiChat),
    ("/v1/messages", Output::Anthropic),
    ("/v1/responses", Output::OpenAiResponses),
    (GEMINI_STREAM, Output::Gemini),
];

/// The events of an SSE body: each one's `event:` name (if any) and data.
fn events_of(body: &str) -> Vec<(Option<&str>, &str)> {
    body.split("\n\n")
        .filter(|event| !event.is_empty())
        .map(|event| {
            let mut name = None;
            let mut data = "";
            for line in event.lines() {
                if let Some(value) = line.strip_prefix("event: ") {
                    name = Some(value);
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data = value;
                }
            }
            (name, data)
        })
        .collect()
}

/// Checks a body in `output` that ended at a fault: what the relay wrote
/// for `upstream` first, then the format's error as the last event (chat
/// `{"error":{…}}`, Anthropic `event: error`, Responses `response.failed`)
/// with `error_type` where the format carries it, and no success end.
fn assert_ends_with_error_in(output: Output, body: &str, upstream: &[u8], error_type: &str) {
    let mut relay = Relay::default().with_output(output);
    relay.feed(Bytes::copy_from_slice(upstream)).unwrap();
    let relayed = relay.output();
    if output == Output::OpenAiChat {
        return assert_ends_with_error(body, &relayed, error_type);
    }
    let relayed = std::str::from_utf8(&relayed).unwrap();
    assert!(
        body.starts_with(relayed),
        "{body:?} starts with {relayed:?}"
    );
    if output == Output::Gemini {
        // Data-only events, `\r\n\r\n` apart; the last is
        // `{"error":{"code":…,"message":…,"status":…}}`.
        let last = body
            .split("\r\n\r\n")
            .filter(|event| !event.is_empty())
            .last()
            .expect("an error event");
        let data = last.strip_prefix("data: ").expect("a data line");
        let event: serde_json::Value = serde_json::from_str(data).unwrap();
        let error = &event["error"];
        assert!(error["code"].is_u64(), "{data}");
        assert!(error["status"].is_string(), "{data}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{data}"
        );
        assert!(!body.contains("finishReason"), "{body}");
        return;
    }
    let events = events_of(body);
    let (name, data) = *events.last().expect("an error event");
    let event: serde_json::Value = serde_json::from_str(data).unwrap();
    let message = match output {
        Output::Anthropic => {
            assert_eq!(name, Some("error"), "{body}");
            assert_eq!(event["type"], "error");
            assert_eq!(event["error"]["type"], error_type, "{data}");
            &event["error"]["message"]
        }
        Output::OpenAiResponses => {
            assert_eq!(name, Some("response.failed"), "{body}");
            assert_eq!(event["type"], "response.failed");
            assert_eq!(event["response"]["status"], "failed");
            &event["response"]["error"]["message"]
        }
        _ => unreachable!("the gateway writes chat, Anthropic or Responses"),
    };
    assert!(
        message.as_str().is_some_and(|message| !message.is_empty()),
        "{data}"
    );
    let success_ends = ["message_stop", "response.completed", "response.incomplete"];
    assert!(
        !events
            .iter()
            .any(|(name, _)| name.is_some_and(|name| success_ends.contains(&name))),
        "{body}"
    );
    assert!(!body.contains("[DONE]"));
}

/// Runs a fault on every route: a scripted upstream of `steps()` and a
/// gateway with `args`; each body must end with the route's error of
/// `error_type` after what the relay wrote for `relayed`.
async fn fault_on_every_route(
    steps: impl Fn() -> Vec<Step>,
    args: &[&str],
    body: &'static str,
    relayed: &[u8],
    error_type: &str,
) {
    for (route, output) in FAULT_ROUTES {
        let (upstream, _seen) = scripted_upstream(steps()).await;
        let gateway = gateway(&upstream, args).await;
        let response = post(gateway, route, body).await;
        assert_eq!(response.status(), 200, "{route}");
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let body = without_heartbeats(&body_of(response).await);
        assert_ends_with_error_in(output, &body, relayed, error_type);
    }
}

/// An event-stream answer: its head, [`HELLO`], then `rest`.
fn hello_then(rest: Vec<Step>) -> Vec<Step> {
    let hello = [Step::Raw(EVENT_STREAM_HEAD), Step::Chunk(HELLO.to_vec())];
    hello.into_iter().chain(rest).collect()
}

#[tokio::test]
async fn upstream_break_off_ends_each_route_with_its_formats_error() {
    let steps = || hello_then(vec![Step::Raw("40\r\ndata: {\"id\"")]);
    fault_on_every_route(steps, &[], "{}", HELLO, "upstream_error").await;
}

#[tokio::test]
async fn malformed_upstream_event_ends_each_route_with_its_formats_error() {
    let steps = || {
        hello_then(vec![
            Step::Chunk(b"data: {\"choices\":[}\n\n".to_vec()),
            Step::Chunk([STOP, DONE].concat()),
            Step::End,
        ])
    };
    fault_on_every_route(steps, &[], "{}", HELLO, "invalid_upstream_event").await;
}

#[tokio::test]
async fn upstream_silent_ends_each_route_with_its_formats_error() {
    let steps = || hello_then(vec![Step::Sleep(PATIENCE)]);
    let args = ["--idle-timeout-ms", "200"];
    fault_on_every_route(steps, &args, "{}", HELLO, "upstream_timeout").await;
}

#[tokio::test]
async fn upstream_silent_before_its_headers_ends_each_stream_route_with_its_formats_error() {
    let steps = || vec![Step::Sleep(PATIENCE)];
    let args = ["--idle-timeout-ms", "200"];
    // Gemini asks for a stream in its method, the others in the body.
    fault_on_every_route(steps, &args, r#"{"stream":true}"#, b"", "upstream_timeout").await;
}

#[tokio::test]
async fn upstream_cut_off_before_its_end_ends_each_route_without_a_success_end() {
    for (route, output) in FAULT_ROUTES {
        let (upstream, _seen) = scripted_upstream(hello_then(vec![Step::End])).await;
        let gateway = gateway(&upstream, &[]).await;
        let body = body_of(post(gateway, route, "{}").await).await;
        let read = read_back(body.as_bytes());
        assert_eq!(read.format, Some(format_of(output)), "{route}: {body}");
        assert!(!read.ended, "{route}: {body}");
        assert!(
            !body.contains("[DONE]") && !body.contains("message_stop"),
            "{body}"
        );
        assert!(!body.contains("response.completed"), "{body}");
    }
}

#[tokio::test]
async fn upstream_silent_before_its_headers_gives_504() {
    let (upstream, _seen) = scripted_upstream(vec![Step::Sleep(PATIENCE)]).await;
    let gateway = gateway(&upstream, &["--idle-timeout-ms", "200"]).await;
    let response = post(gateway, "/v1/chat/completions", r#"{"stream":false}"#).await;
    assert_eq!(response.status(), 504);
    let error: serde_json::Value = serde_json::from_str(&body_of(response).await).unwrap();
    assert_eq!(error["error"]["type"], "upstream_timeout");
}

#[tokio::test]
async fn upstream_silent_before_its_headers_ends_a_stream_request_with_an_error_event() {
    let (upstream, _seen) = scripted_upstream(vec![Step::Sleep(PATIENCE)]).await;
    let gateway = gateway(&upstream, &["--idle-timeout-ms", "200"]).await;
    let response = post(
        gateway,
        "/v1/chat/completions",
        r#"{"model":"m","stream":true}"#,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_ends_with_error(&body_of(response).await, b"", "upstream_timeout");
}

#[tokio::test]
async fn unreachable_upstream_gives_502_with_a_json_error() {
    // A port that was just free: nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let gateway = gateway(&format!("http://{closed}"), &[]).await;
    // The gateway's own errors are in one shape on every route, stream or
    // not.
    for (route, _) in FAULT_ROUTES {
        for body in ["{}", r#"{"stream":true}"#] {
            let response = post(gateway, route, body).await;
            assert_eq!(response.status(), 502, "{route}");
            assert_eq!(response.headers()["content-type"], "application/json");
            let error: serde_json::Value = serde_json::from_str(&body_of(response).await).unwrap();
            assert_eq!(error["error"]["type"], "upstream_unreachable", "{route}");
            assert!(error["error"]["code"].is_null(), "{route}");
            assert!(
                error["error"]["message"]
                    .as_str()
                    .is_some_and(|message| !message.contains(&closed.to_string()))
            );
        }
    }
}

#[tokio::test]
async fn client_disconnect_drops_the_upstream_request() {
    let (closed_tx, closed_rx) = oneshot::channel();
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk(HELLO.to_vec()),
        Step::AwaitClose(closed_tx),
    ])
    .await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post(gateway, "/v1/chat/completions", "{}").await;
    let (body, first) = first_bytes(response, relayed_so_far(HELLO).len()).await;
    assert_eq!(first, relayed_so_far(HELLO));
    drop(body);
    // Upstream is silent: only the client's going away can close it.
    tokio::time::timeout(PATIENCE, closed_rx)
        .await
        .expect("the upstream connection closes when the client goes")
        .expect("the upstream saw its connection close");
}

#[tokio::test]
async fn request_body_over_the_limit_gives_413() {
    let (upstream, seen) = scripted_upstream(vec![Step::Raw(EVENT_STREAM_HEAD), Step::End]).await;
    let gateway = gateway(&upstream, &["--max-body-bytes", "1024"]).await;
    let response = client()
        .post(format!("http://{gateway}/v1/chat/completions"))
        .body(vec![b' '; 2048])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let error: serde_json::Value = serde_json::from_str(&body_of(response).await).unwrap();
    assert_eq!(error["error"]["type"], "request_too_large");
    assert_nothing_reached_the_upstream(seen).await;
}

#[tokio::test]
async fn non_stream_answer_passes_through_unchanged() {
    let answer = r#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#;
    let response: &'static str = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        )
        .into_boxed_str(),
    );
    let (upstream, _seen) = scripted_upstream(vec![Step::Raw(response)]).await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post(gateway, "/v1/chat/completions", r#"{"stream":false}"#).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(body_of(response).await, answer);
}

#[tokio::test]
async fn non_2xx_answer_passes_through_with_its_status_and_body() {
    // An event-stream content type on an error status is passed through
    // too: only a 2xx is relayed.
    let answer = "data: {\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}\n\n";
    let response: &'static str = Box::leak(
        format!(
            "HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/event-stream\r\nretry-after: 7\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        )
        .into_boxed_str(),
    );
    let (upstream, _seen) = scripted_upstream(vec![Step::Raw(response)]).await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post(gateway, "/v1/messages", "{}").await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(body_of(response).await, answer);
}

#[tokio::test]
async fn forwards_the_body_and_the_auth_headers_to_the_same_path() {
    let (upstream, seen) = whole_stream_upstream().await;
    let gateway = gateway(&format!("{upstream}/base/"), &[]).await;
    let body = r#"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let forwarded = [
        ("authorization", "Bearer sk-test"),
        ("x-api-key", "key-test"),
        ("anthropic-version", "2023-06-01"),
        ("anthropic-beta", "tools-2024-04-04"),
        ("openai-organization", "org-test"),
        ("content-type", "application/json"),
    ];
    let mut request = client()
        .post(format!("http://{gateway}/v1/responses"))
        .header("cookie", "session=secret")
        .header("x-other", "not forwarded")
        .body(body);
    for (name, value) in forwarded {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(
        body_of(response).await.as_bytes(),
        relayed_offline(
            &[HELLO, STOP, DONE].concat(),
            Relay::default().with_output(Output::OpenAiResponses)
        )
    );
    let seen = seen.await.unwrap();
    assert!(
        seen.head
            .starts_with("POST /base/v1/responses HTTP/1.1\r\n"),
        "{}",
        seen.head
    );
    for (name, value) in forwarded {
        assert_eq!(seen.header(name), [value], "{name}");
    }
    assert!(seen.header("cookie").is_empty());
    assert!(seen.header("x-other").is_empty());
    assert_eq!(seen.body, body.as_bytes());
}

#[tokio::test]
async fn healthz_answers_200() {
    let gateway = gateway("http://127.0.0.1:9", &[]).await;
    let response = client()
        .get(format!("http://{gateway}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn other_paths_are_not_forwarded() {
    let (upstream, seen) = scripted_upstream(vec![Step::End]).await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post(gateway, "/v1/embeddings", "{}").await;
    assert_eq!(response.status(), 404);
    assert_nothing_reached_the_upstream(seen).await;
}

/// A listener on a second loopback address (127.0.0.2, or 127.0.0.1 where
/// that cannot be bound) that must never be reached: it says when it is.
async fn canary() -> (SocketAddr, oneshot::Receiver<()>) {
    let listener = match TcpListener::bind("127.0.0.2:0").await {
        Ok(listener) => listener,
        Err(_) => TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let address = listener.local_addr().unwrap();
    let (reached_tx, reached_rx) = oneshot::channel();
    tokio::spawn(async move {
        if listener.accept().await.is_ok() {
            let _ = reached_tx.send(());
        }
    });
    (address, reached_rx)
}

/// Whether `signal` fires within a short wait (or its sender is dropped:
/// not fired).
async fn fires_soon(signal: oneshot::Receiver<()>) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_millis(300), signal).await,
        Ok(Ok(()))
    )
}

/// An upstream on loopback that serves any number of connections and
/// requests: `answer` for the first request, `later` for any other, and
/// each request's head sent on the channel.
async fn recording_upstream(
    answer: String,
    later: &'static str,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (heads_tx, heads_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut first = Some(answer);
        while let Ok((mut socket, _)) = listener.accept().await {
            while let Some(seen) = read_request_or_close(&mut socket).await {
                let _ = heads_tx.send(seen.head);
                let answer = first.take().unwrap_or_else(|| later.to_owned());
                if socket.write_all(answer.as_bytes()).await.is_err() {
                    break;
                }
            }
        }
    });
    (format!("http://{address}"), heads_rx)
}

/// After a short wait, the recording upstream has seen one request, for the
/// route the client asked for.
async fn assert_only_the_route_was_asked_for(
    heads: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut asked = Vec::new();
    while let Ok(head) = heads.try_recv() {
        asked.push(head.lines().next().unwrap_or_default().to_owned());
    }
    assert_eq!(asked, ["POST /v1/chat/completions HTTP/1.1"]);
}

/// A raw HTTP/1.1 answer with a `content-length` body.
fn answer(head: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {head}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

async fn post_with_keys(address: SocketAddr, body: &'static str) -> reqwest::Response {
    let request = client()
        .post(format!("http://{address}/v1/chat/completions"))
        .header("authorization", "Bearer sk-secret")
        .header("x-api-key", "key-secret")
        .header("anthropic-version", "2023-06-01")
        .body(body);
    send(request).await
}

#[tokio::test]
async fn redirect_to_another_host_goes_to_the_client_and_is_not_followed() {
    let (canary, reached) = canary().await;
    let body = "moved";
    let redirect = answer(
        &format!("307 Temporary Redirect\r\nlocation: http://{canary}/stolen"),
        body,
    );
    let (upstream, mut heads) = recording_upstream(redirect, "HTTP/1.1 500 No\r\n\r\n").await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post_with_keys(gateway, r#"{"stream":true}"#).await;
    assert_eq!(response.status(), 307);
    assert_eq!(
        response.headers()["location"],
        format!("http://{canary}/stolen").as_str()
    );
    assert_eq!(body_of(response).await, body);
    assert!(!fires_soon(reached).await, "the canary was reached");
    assert_only_the_route_was_asked_for(&mut heads).await;
}

#[tokio::test]
async fn redirect_to_another_path_goes_to_the_client_and_is_not_followed() {
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "308 Permanent Redirect",
    ] {
        let redirect = answer(&format!("{status}\r\nlocation: /admin"), "");
        let secret = "HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecret";
        let (upstream, mut heads) = recording_upstream(redirect, secret).await;
        let gateway = gateway(&upstream, &[]).await;
        let response = post_with_keys(gateway, "{}").await;
        assert_eq!(response.status().as_str(), &status[..3]);
        assert_eq!(response.headers()["location"], "/admin");
        assert_eq!(body_of(response).await, "");
        assert_only_the_route_was_asked_for(&mut heads).await;
    }
}

#[tokio::test]
async fn upstream_101_gives_502_with_a_json_error() {
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(
            "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n",
        ),
        Step::Raw("raw bytes of another protocol"),
        Step::Sleep(PATIENCE),
    ])
    .await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post(gateway, "/v1/chat/completions", r#"{"stream":true}"#).await;
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "application/json");
    let error: serde_json::Value = serde_json::from_str(&body_of(response).await).unwrap();
    assert_eq!(error["error"]["type"], "invalid_upstream_response");
}

#[tokio::test]
async fn upstream_interim_103_is_skipped_and_the_answer_relayed() {
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw("HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"),
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk([HELLO, STOP, DONE].concat()),
        Step::End,
    ])
    .await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post(gateway, "/v1/chat/completions", r#"{"stream":true}"#).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_of(response).await.as_bytes(),
        relayed_offline(&[HELLO, STOP, DONE].concat(), Relay::default())
    );
}

/// The client timeout of the tests below, in ms: short, so that they end
/// quickly, and long enough for a loaded machine to send a request in.
const CLIENT_TIMEOUT_MS: u64 = 300;

/// Connects to the gateway, sends `bytes` and reads until the gateway
/// closes (at most `PATIENCE`): what came back and how long it took.
async fn send_and_read_to_close(address: SocketAddr, bytes: &[u8]) -> (String, Duration) {
    let mut socket = TcpStream::connect(address).await.unwrap();
    socket.write_all(bytes).await.unwrap();
    let started = std::time::Instant::now();
    let mut received = Vec::new();
    tokio::time::timeout(PATIENCE, socket.read_to_end(&mut received))
        .await
        .expect("the gateway closes the connection")
        .unwrap();
    (String::from_utf8(received).unwrap(), started.elapsed())
}

fn assert_cut_off_within_the_timeout(took: Duration) {
    let timeout = Duration::from_millis(CLIENT_TIMEOUT_MS);
    assert!(
        took >= timeout - Duration::from_millis(20),
        "closed after {took:?}, before the timeout"
    );
    assert!(took < timeout * 4, "closed only after {took:?}");
}

/// The JSON error of a raw HTTP answer.
fn error_of(answer: &str) -> serde_json::Value {
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

/// Sends the start of a request and stalls: the gateway must answer 408
/// within the timeout, with a message that names `missing`, close, and
/// forward nothing.
async fn stalled_request_gets_408(partial: &[u8], missing: &str) {
    let (upstream, seen) = scripted_upstream(vec![Step::Raw(EVENT_STREAM_HEAD), Step::End]).await;
    let timeout = CLIENT_TIMEOUT_MS.to_string();
    let gateway = gateway(&upstream, &["--client-timeout-ms", &timeout]).await;
    let (answer, took) = send_and_read_to_close(gateway, partial).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer:?}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n")
    );
    let error = error_of(&answer);
    assert_eq!(error["error"]["type"], "request_timeout");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains(missing), "{message}");
    assert_cut_off_within_the_timeout(took);
    assert_nothing_reached_the_upstream(seen).await;
}

#[tokio::test]
async fn client_stalled_in_its_headers_gets_408_and_is_closed() {
    stalled_request_gets_408(
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-le",
        "headers",
    )
    .await;
}

#[tokio::test]
async fn client_stalled_in_its_body_gets_408_and_is_closed() {
    stalled_request_gets_408(
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-length: 100\r\n\r\n{\"stream\":",
        "body",
    )
    .await;
}

#[tokio::test]
async fn client_that_sends_nothing_is_closed_without_an_answer() {
    let timeout = CLIENT_TIMEOUT_MS.to_string();
    let gateway = gateway("http://127.0.0.1:9", &["--client-timeout-ms", &timeout]).await;
    let (answer, took) = send_and_read_to_close(gateway, b"").await;
    assert_eq!(answer, "");
    assert_cut_off_within_the_timeout(took);
}

/// Reads one answer to a `GET /healthz` on `socket`.
async fn read_healthz_answer(socket: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut scratch = [0u8; 1024];
    while !received.ends_with(b"ok\n") {
        let read = tokio::time::timeout(PATIENCE, socket.read(&mut scratch))
            .await
            .unwrap()
            .unwrap();
        assert!(read > 0, "closed before its answer: {received:?}");
        received.extend_from_slice(&scratch[..read]);
    }
    String::from_utf8(received).unwrap()
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: gateway\r\n\r\n";

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_the_client_timeout() {
    let timeout = CLIENT_TIMEOUT_MS.to_string();
    let gateway = gateway("http://127.0.0.1:9", &["--client-timeout-ms", &timeout]).await;
    let mut socket = TcpStream::connect(gateway).await.unwrap();
    socket.write_all(HEALTHZ).await.unwrap();
    assert!(
        read_healthz_answer(&mut socket)
            .await
            .starts_with("HTTP/1.1 200 ")
    );
    let idle = std::time::Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(PATIENCE, socket.read_to_end(&mut rest))
        .await
        .expect("the idle connection is closed")
        .unwrap();
    assert_eq!(rest, b"", "closed without an answer");
    assert_cut_off_within_the_timeout(idle.elapsed());
}

#[tokio::test]
async fn a_keep_alive_request_has_the_whole_timeout_from_its_first_byte() {
    // A second request starts 400 ms into the connection's idle time and
    // sends its body 700 ms later: past a second from the first request,
    // inside one from its own start.
    let (upstream, seen) = whole_stream_upstream().await;
    let gateway = gateway(&upstream, &["--client-timeout-ms", "1000"]).await;
    let mut socket = TcpStream::connect(gateway).await.unwrap();
    socket.write_all(HEALTHZ).await.unwrap();
    read_healthz_answer(&mut socket).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let body = r#"{"stream":true}"#;
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    socket.write_all(body.as_bytes()).await.unwrap();
    let seen = tokio::time::timeout(PATIENCE, seen).await.unwrap().unwrap();
    assert_eq!(seen.body, body.as_bytes());
    let mut answer = [0u8; 12];
    socket.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
}

#[tokio::test]
async fn client_that_stops_reading_its_answer_is_cut_off() {
    let (closed_tx, closed_rx) = oneshot::channel();
    let (upstream, _seen) =
        scripted_upstream(vec![Step::Raw(EVENT_STREAM_HEAD), Step::Flood(closed_tx)]).await;
    let timeout = CLIENT_TIMEOUT_MS.to_string();
    let gateway = gateway(&upstream, &["--client-timeout-ms", &timeout]).await;
    let mut socket = TcpStream::connect(gateway).await.unwrap();
    let body = r#"{"stream":true}"#;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    // The client reads nothing: once the socket buffers are full, the
    // gateway's writes wait, and past the timeout it gives the stream up,
    // and the upstream request with it.
    tokio::time::timeout(PATIENCE, closed_rx)
        .await
        .expect("the upstream connection closes")
        .expect("the upstream saw its connection close");
    drop(socket);
}

#[tokio::test]
async fn connections_past_the_cap_wait_to_be_accepted() {
    let gateway = gateway("http://127.0.0.1:9", &["--max-connections", "1"]).await;
    let mut first = TcpStream::connect(gateway).await.unwrap();
    first.write_all(HEALTHZ).await.unwrap();
    read_healthz_answer(&mut first).await;
    // The second connects (the kernel's backlog takes it) but is not served
    // while the first stays open.
    let mut second = TcpStream::connect(gateway).await.unwrap();
    second.write_all(HEALTHZ).await.unwrap();
    let mut scratch = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), second.read(&mut scratch))
            .await
            .is_err(),
        "the second connection was served while the first was open"
    );
    drop(first);
    assert!(
        read_healthz_answer(&mut second)
            .await
            .starts_with("HTTP/1.1 200 ")
    );
}

#[tokio::test]
async fn gemini_route_forwards_its_query_and_key_to_the_same_path() {
    let (upstream, seen) = whole_stream_upstream().await;
    let gateway = gateway(&format!("{upstream}/base/"), &[]).await;
    let path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIza-query";
    let request = client()
        .post(format!("http://{gateway}{path}"))
        .header("x-goog-api-key", "AIza-header")
        .header("content-type", "application/json")
        .body(r#"{"contents":[]}"#);
    let body = body_of(send(request).await).await;
    // A chat upstream's stream, on the Gemini route: in Gemini's events.
    assert_eq!(
        body.as_bytes(),
        relayed_offline(
            &[HELLO, STOP, DONE].concat(),
            Relay::default().with_output(Output::Gemini)
        )
    );
    let seen = seen.await.unwrap();
    assert!(
        seen.head
            .starts_with(&format!("POST /base{path} HTTP/1.1\r\n")),
        "{}",
        seen.head
    );
    assert_eq!(seen.header("x-goog-api-key"), ["AIza-header"]);
    assert_eq!(seen.body, br#"{"contents":[]}"#);
}

#[tokio::test]
async fn gemini_generate_content_passes_through_unrelayed() {
    // Even an event stream: a whole answer's route relays nothing.
    let upstream_body = [HELLO, STOP, DONE].concat();
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk(upstream_body.clone()),
        Step::End,
    ])
    .await;
    let gateway = gateway(&upstream, &[]).await;
    let path = "/v1beta/models/gemini-2.5-flash:generateContent?key=AIza-query";
    let response = post(gateway, path, "{}").await;
    assert_eq!(response.status(), 200);
    assert_eq!(body_of(response).await.as_bytes(), upstream_body);
}

/// Sends one raw POST to `target` (a request target as it goes on the
/// wire) and gives the gateway's answer.
async fn raw_post(address: SocketAddr, target: &str) -> String {
    let request = format!(
        "POST {target} HTTP/1.1\r\nhost: gateway\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{{}}"
    );
    send_and_read_to_close(address, request.as_bytes()).await.0
}

#[tokio::test]
async fn gemini_model_segment_is_validated_before_anything_is_forwarded() {
    for (target, status) in [
        ("/v1beta/models/..:streamGenerateContent", "400"),
        ("/v1beta/models/.:generateContent", "400"),
        (
            "/v1beta/models/..%2F..%2Fadmin:streamGenerateContent",
            "400",
        ),
        ("/v1beta/models/a%2Fb:streamGenerateContent", "400"),
        ("/v1beta/models/a%2fb:streamGenerateContent?alt=sse", "400"),
        ("/v1beta/models/a%5Cb:streamGenerateContent", "400"),
        ("/v1beta/models/a%3Fb:streamGenerateContent", "400"),
        ("/v1beta/models/a%23b:generateContent", "400"),
        ("/v1beta/models/a..b:generateContent", "400"),
        ("/v1beta/models/:streamGenerateContent", "400"),
        ("/v1beta/models/../../admin:streamGenerateContent", "404"),
        ("/v1beta/models/a/b:streamGenerateContent", "404"),
        ("/v1beta/models/gemini-2.5-flash:countTokens", "404"),
        ("/v1beta/models/gemini-2.5-flash", "404"),
    ] {
        let (upstream, seen) = whole_stream_upstream().await;
        let gateway = gateway(&upstream, &[]).await;
        let answer = raw_post(gateway, target).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{target}: {answer:?}"
        );
        if status == "400" {
            assert_eq!(
                error_of(&answer)["error"]["type"],
                "invalid_model",
                "{target}"
            );
        }
        assert_nothing_reached_the_upstream(seen).await;
    }
}

#[tokio::test]
async fn embedded_mock_answers_each_route_whole_in_its_format() {
    let upstream = bundled_mock()
        .with_delay(Duration::ZERO)
        .spawn()
        .await
        .unwrap();
    let gateway = gateway(&format!("http://{upstream}"), &[]).await;
    for (route, field, value) in [
        ("/v1/chat/completions", "object", "chat.completion"),
        ("/v1/messages", "type", "message"),
        ("/v1/responses", "object", "response"),
    ] {
        let response = post(gateway, route, r#"{"stream":false}"#).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let answer: serde_json::Value = serde_json::from_str(&body_of(response).await).unwrap();
        assert_eq!(answer[field], value, "{route}");
    }
    let route = "/v1beta/models/gemini-2.5-flash:generateContent";
    let answer: serde_json::Value =
        serde_json::from_str(&body_of(post(gateway, route, "{}").await).await).unwrap();
    assert_eq!(answer["candidates"][0]["content"]["role"], "model");
}

/// An upstream on loopback that answers every request with the start of an
/// event stream and then breaks it off: each answer logs a fault.
async fn breaking_upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request_or_close(&mut socket).await.is_some() {
                    let hello = format!("{:x}\r\n", HELLO.len());
                    let answer = [
                        EVENT_STREAM_HEAD.as_bytes(),
                        hello.as_bytes(),
                        HELLO,
                        b"\r\n",
                    ];
                    let _ = socket.write_all(&answer.concat()).await;
                    let _ = socket.write_all(b"40\r\ndata: {\"id\"").await;
                }
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn gemini_key_in_the_query_is_never_logged() {
    use std::io::Read as _;
    const KEY: &str = "AIzaSyQUERYKEY-never-logged";
    const HEADER_KEY: &str = "AIzaSyHEADERKEY-never-logged";
    let upstream = breaking_upstream().await;
    let mut process = GatewayProcess::start(&upstream, "trace", std::process::Stdio::piped());
    let gateway: SocketAddr = process.address.parse().unwrap();
    let mut stderr = process.child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let stream = format!("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key={KEY}");
    let whole = format!("/v1beta/models/gemini-2.5-flash:generateContent?key={KEY}");
    let invalid = format!("/v1beta/models/a%2Fb:streamGenerateContent?key={KEY}");
    let mut answers = Vec::new();
    for target in [&stream, &whole, &invalid] {
        let request = client()
            .post(format!("http://{gateway}{target}"))
            .body("{}");
        if let Ok(Ok(response)) = tokio::time::timeout(PATIENCE, request.send()).await {
            answers.push(response.text().await.unwrap_or_default());
        }
    }
    let with_header = client()
        .post(format!(
            "http://{gateway}/v1beta/models/m:streamGenerateContent?alt=sse"
        ))
        .header("x-goog-api-key", HEADER_KEY)
        .body("{}");
    answers.push(body_of(send(with_header).await).await);
    // Each request's line is written when its answer has ended.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(process);
    let log = log.join().unwrap();
    let lines = log.lines().filter(|line| line.contains("request")).count();
    assert!(lines >= 4, "a log line for each request: {log}");
    assert!(
        log.contains("/v1beta/models/gemini-2.5-flash:streamGenerateContent"),
        "{log}"
    );
    assert!(
        log.contains("upstream_error") || log.contains("upstream connection failed"),
        "{log}"
    );
    for key in [KEY, HEADER_KEY] {
        assert!(!log.contains(key), "the key is in the log: {log}");
        for answer in &answers {
            assert!(!answer.contains(key), "the key is in an answer: {answer}");
        }
    }
}

/// An event-stream answer of [`HELLO`], [`STOP`] and `[DONE]` whose head
/// is `head`.
fn whole_stream_with_head(head: &'static str) -> Vec<Step> {
    vec![
        Step::Raw(head),
        Step::Chunk([HELLO, STOP, DONE].concat()),
        Step::End,
    ]
}

#[tokio::test]
async fn event_stream_media_type_is_read_in_any_case_and_with_parameters() {
    for head in [
        "HTTP/1.1 200 OK\r\ncontent-type: Text/Event-Stream\r\ntransfer-encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-type: TEXT/EVENT-STREAM ; charset=UTF-8\r\ntransfer-encoding: chunked\r\n\r\n",
    ] {
        let (upstream, _seen) = scripted_upstream(whole_stream_with_head(head)).await;
        let gateway = gateway(&upstream, &[]).await;
        let response = post(gateway, "/v1/responses", r#"{"stream":true}"#).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(
            body_of(response).await.as_bytes(),
            relayed_offline(
                &[HELLO, STOP, DONE].concat(),
                Relay::default().with_output(Output::OpenAiResponses)
            ),
            "{head}"
        );
    }
    // A media type that only begins like it is not an event stream.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-streamer\r\ntransfer-encoding: chunked\r\n\r\n";
    let (upstream, _seen) = scripted_upstream(whole_stream_with_head(head)).await;
    let gateway = gateway(&upstream, &[]).await;
    let body = body_of(post(gateway, "/v1/responses", r#"{"stream":true}"#).await).await;
    assert_eq!(body.as_bytes(), [HELLO, STOP, DONE].concat());
}

/// The 502 of a gateway whose upstream is `upstream`: its error message.
async fn unreachable_message(upstream: &str) -> String {
    let gateway = gateway(upstream, &[]).await;
    let response = post(gateway, "/v1/chat/completions", r#"{"stream":true}"#).await;
    assert_eq!(response.status(), 502);
    let error: serde_json::Value = serde_json::from_str(&body_of(response).await).unwrap();
    assert_eq!(error["error"]["type"], "upstream_unreachable");
    error["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn upstream_connection_failure_names_its_cause() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = unreachable_message(&format!("http://{closed}")).await;
    assert!(
        refused.to_ascii_lowercase().contains("connection refused"),
        "{refused}"
    );
    // TLS to a server that speaks plain HTTP: the TLS layer's own error.
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let https = format!("https://{}", plain.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = plain.accept().await {
            let answer = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
            let _ = socket.write_all(answer).await;
        }
    });
    let tls = unreachable_message(&https).await;
    assert_ne!(tls, refused);
    assert!(!tls.contains(&https["https://".len()..]), "{tls}");
    assert!(
        tls.contains("corrupt") || tls.to_ascii_lowercase().contains("tls"),
        "{tls}"
    );
    // An upstream whose certificate nobody signed: the TLS layer says so.
    let self_signed = unreachable_message(&self_signed_upstream().await).await;
    assert!(self_signed.contains("certificate"), "{self_signed}");
    assert!(self_signed != tls && self_signed != refused);
}

/// An https upstream on loopback whose certificate (for 127.0.0.1) is
/// self-signed: `tests/data/self_signed_*.der`, a P-256 key made for this
/// test alone with `openssl req -x509 -newkey ec -nodes`. It completes no
/// handshake with a client that checks certificates.
async fn self_signed_upstream() -> String {
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    const CERT: &[u8] = include_bytes!("data/self_signed_cert.der");
    const KEY: &[u8] = include_bytes!("data/self_signed_key.der");
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(CERT.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(KEY.to_vec())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(PATIENCE, acceptor.accept(socket)).await;
            });
        }
    });
    format!("https://{address}")
}

#[tokio::test]
async fn headers_named_in_the_clients_connection_header_are_not_forwarded() {
    let (upstream, seen) = whole_stream_upstream().await;
    let gateway = gateway(&upstream, &[]).await;
    let body = r#"{"stream":true}"#;
    let request = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: gateway\r\nauthorization: Bearer sk-kept\r\n\
         x-api-key: key-hop\r\nanthropic-beta: beta-hop\r\nanthropic-version: 2023-06-01\r\n\
         connection: X-Api-Key, anthropic-beta\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (answer, _) = send_and_read_to_close(gateway, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    let seen = tokio::time::timeout(PATIENCE, seen).await.unwrap().unwrap();
    assert_eq!(seen.header("authorization"), ["Bearer sk-kept"]);
    assert_eq!(seen.header("anthropic-version"), ["2023-06-01"]);
    assert!(seen.header("x-api-key").is_empty(), "{}", seen.head);
    assert!(seen.header("anthropic-beta").is_empty(), "{}", seen.head);
}

#[tokio::test]
async fn hop_by_hop_headers_of_an_upstream_answer_do_not_reach_the_client() {
    let body = r#"{"error":{"message":"slow down"}}"#;
    let answer: &'static str = Box::leak(
        format!(
            "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\
             connection: X-Hop-Secret\r\nx-hop-secret: 1\r\nkeep-alive: timeout=5\r\n\
             proxy-authenticate: Basic\r\nproxy-x: 1\r\ntrailer: x-later\r\nte: trailers\r\n\
             x-kept: 1\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let (upstream, _seen) = scripted_upstream(vec![Step::Raw(answer)]).await;
    let gateway = gateway(&upstream, &[]).await;
    let response = post(gateway, "/v1/messages", "{}").await;
    assert_eq!(response.status(), 429);
    let headers = response.headers().clone();
    assert_eq!(headers["x-kept"], "1");
    for name in [
        "x-hop-secret",
        "keep-alive",
        "proxy-authenticate",
        "proxy-x",
        "trailer",
        "te",
    ] {
        assert!(!headers.contains_key(name), "{name}: {headers:?}");
    }
    assert_eq!(body_of(response).await, body);
}

#[test]
fn upstream_with_a_query_a_fragment_or_user_information_is_refused() {
    for (url, why) in [
        ("http://h/base?x=1", "query"),
        ("http://h/base?", "query"),
        ("http://h/base#frag", "fragment"),
        ("http://h/base#", "fragment"),
        ("http://u:p@h", "user"),
        ("http://u@h/base", "user"),
        ("https://:p@h", "user"),
    ] {
        match Config::from_args(["--upstream", url]) {
            Err(argstream_gateway::ConfigError::Invalid(message)) => {
                assert!(message.contains(why), "{url}: {message}");
                assert!(!message.contains(":p@"), "{url}: {message}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(Config::from_args(["--upstream", "http://h:8080/base/"]).is_ok());
}

#[tokio::test]
async fn a_stream_flag_that_is_not_one_boolean_gets_400() {
    for body in [
        r#"{"stream":"true"}"#,
        r#"{"stream":1}"#,
        r#"{"stream":false,"stream":true}"#,
        r#"{"stream":true,"stream":true}"#,
        r#"[{"stream":true}]"#,
        r#""stream""#,
        r#"{"stream":true"#,
    ] {
        let (upstream, seen) = scripted_upstream(vec![Step::Sleep(PATIENCE)]).await;
        let gateway = gateway(&upstream, &["--idle-timeout-ms", "200"]).await;
        for route in ["/v1/chat/completions", "/v1/messages", "/v1/responses"] {
            let response = post(gateway, route, body).await;
            assert_eq!(response.status(), 400, "{route} {body}");
            let answer = body_of(response).await;
            let error: serde_json::Value = serde_json::from_str(&answer).unwrap();
            assert_eq!(error["error"]["type"], "invalid_request", "{body}");
            // The message names the fault, never the body's values.
            assert!(!answer.contains("true\\\""), "{answer}");
        }
        assert_nothing_reached_the_upstream(seen).await;
    }
    // Another duplicated key is forwarded as it came, and `null` is no
    // stream.
    for (body, status) in [
        (r#"{"model":"a","model":"b","stream":true}"#, 200),
        (r#"{"stream":null}"#, 504),
    ] {
        let (upstream, _seen) = scripted_upstream(vec![Step::Sleep(PATIENCE)]).await;
        let gateway = gateway(&upstream, &["--idle-timeout-ms", "200"]).await;
        let response = post(gateway, "/v1/chat/completions", body).await;
        assert_eq!(response.status(), status, "{body}");
    }
}

#[tokio::test]
async fn a_request_body_slower_than_the_least_rate_gets_408() {
    let (upstream, seen) = scripted_upstream(vec![Step::Raw(EVENT_STREAM_HEAD), Step::End]).await;
    // The client timeout is far off: only the rate can cut this body.
    let args = [
        "--min-body-bytes-per-sec",
        "1000",
        "--client-timeout-ms",
        "20000",
    ];
    let gateway = gateway(&upstream, &args).await;
    let mut socket = TcpStream::connect(gateway).await.unwrap();
    socket.set_nodelay(true).unwrap();
    let head =
        "POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-length: 100000\r\n\r\n";
    socket.write_all(head.as_bytes()).await.unwrap();
    // 10 bytes each 50 ms: 200 bytes a second, for at most PATIENCE.
    let mut answer = Vec::new();
    let mut scratch = [0u8; 1024];
    let trickle = async {
        loop {
            if socket.write_all(b"          ").await.is_err() {
                break;
            }
            match tokio::time::timeout(Duration::from_millis(50), socket.read(&mut scratch)).await {
                Ok(Ok(0) | Err(_)) => break,
                Ok(Ok(read)) => answer.extend_from_slice(&scratch[..read]),
                Err(_) => {}
            }
        }
    };
    tokio::time::timeout(PATIENCE, trickle)
        .await
        .expect("the gateway cuts the body off");
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer:?}");
    let error = error_of(&answer);
    assert_eq!(error["error"]["type"], "request_timeout");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("1000 bytes a second"), "{message}");
    assert_nothing_reached_the_upstream(seen).await;
}

/// Upstream heartbeats, each `pause` apart, for longer than the tests
/// wait.
fn heartbeats_for_ever(heartbeat: &'static [u8], pause: Duration) -> Vec<Step> {
    let count = (PATIENCE.as_millis() / pause.as_millis()) as usize + 20;
    (0..count)
        .flat_map(|_| [Step::Chunk(heartbeat.to_vec()), Step::Sleep(pause)])
        .collect()
}

#[tokio::test]
async fn upstream_heartbeats_alone_do_not_hold_a_stream_past_the_idle_timeout() {
    let pause = Duration::from_millis(50);
    for heartbeat in [
        &b": keep-alive\n\n"[..],
        b"event: ping\ndata: {\"type\": \"ping\"}\n\n",
    ] {
        let steps = || hello_then(heartbeats_for_ever(heartbeat, pause));
        let args = ["--idle-timeout-ms", "300"];
        fault_on_every_route(steps, &args, "{}", HELLO, "upstream_timeout").await;
    }
}

#[tokio::test]
async fn a_stream_past_max_stream_ms_ends_with_the_routes_error() {
    let steps = || {
        hello_then(heartbeats_for_ever(
            b": keep-alive\n\n",
            Duration::from_millis(50),
        ))
    };
    let args = ["--max-stream-ms", "400"];
    fault_on_every_route(steps, &args, "{}", HELLO, "stream_timeout").await;
}

#[tokio::test]
async fn upstream_heartbeats_reach_the_client_as_its_format_allows() {
    // The pauses keep the heartbeat in a read of its own: one that came
    // with an event would need no heartbeat sent.
    let steps = || {
        hello_then(vec![
            Step::Sleep(Duration::from_millis(150)),
            Step::Chunk(b": keep-alive\n\n".to_vec()),
            Step::Sleep(Duration::from_millis(300)),
            Step::Chunk([STOP, DONE].concat()),
            Step::End,
        ])
    };
    for (route, output, heartbeat) in [
        (
            "/v1/chat/completions",
            Output::OpenAiChat,
            Some(COMMENT_HEARTBEAT),
        ),
        (
            "/v1/responses",
            Output::OpenAiResponses,
            Some(COMMENT_HEARTBEAT),
        ),
        ("/v1/messages", Output::Anthropic, Some(PING_HEARTBEAT)),
        (GEMINI_STREAM, Output::Gemini, None),
    ] {
        let (upstream, _seen) = scripted_upstream(steps()).await;
        let gateway = gateway(&upstream, &[]).await;
        let body = body_of(post(gateway, route, "{}").await).await;
        let mut relay = Relay::default().with_output(output);
        relay.feed(Bytes::from_static(HELLO)).unwrap();
        let hello = String::from_utf8(relay.output().to_vec()).unwrap();
        relay.feed(Bytes::from([STOP, DONE].concat())).unwrap();
        relay.finish().unwrap();
        let rest = String::from_utf8(relay.output().to_vec()).unwrap();
        // Between the frames of HELLO and the rest: the heartbeat, or, for
        // Gemini, nothing.
        let expected = format!("{hello}{}{rest}", heartbeat.unwrap_or(""));
        assert_eq!(body, expected, "{route}");
    }
    // An Anthropic upstream's ping reaches a chat client as a comment.
    const ANTHROPIC: &[u8] = include_bytes!("../../examples/data/voice_agent_anthropic.sse");
    let ping = b"event: ping\ndata: {\"type\":\"ping\"}\n\n";
    let at = ANTHROPIC
        .windows(ping.len())
        .position(|w| w == ping)
        .unwrap();
    let (upstream, _seen) = scripted_upstream(vec![
        Step::Raw(EVENT_STREAM_HEAD),
        Step::Chunk(ANTHROPIC[..at].to_vec()),
        Step::Sleep(Duration::from_millis(150)),
        Step::Chunk(ping.to_vec()),
        Step::Sleep(Duration::from_millis(300)),
        Step::Chunk(ANTHROPIC[at + ping.len()..].to_vec()),
        Step::End,
    ])
    .await;
    let gateway = gateway(&upstream, &[]).await;
    let body = body_of(post(gateway, "/v1/chat/completions", "{}").await).await;
    assert_eq!(body.matches(COMMENT_HEARTBEAT).count(), 1, "{body}");
    assert!(body.ends_with("data: [DONE]\n\n"));
}

/// Runs the gateway binary against a scripted upstream of `steps`, sends
/// one request for `route` and reads its answer: the answer, and the
/// gateway's log line for the request.
async fn logged(steps: Vec<Step>, route: &str, body: &'static str) -> (String, String) {
    use std::io::Read as _;
    let (upstream, _seen) = scripted_upstream(steps).await;
    let mut process = GatewayProcess::start(&upstream, "info", std::process::Stdio::piped());
    let mut stderr = process.child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let gateway: SocketAddr = process.address.parse().unwrap();
    let answer = body_of(post(gateway, route, body).await).await;
    // The line is written when the answer has ended.
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(process);
    let log = log.join().unwrap();
    let line = log
        .lines()
        .find(|line| line.contains(" request ") || line.ends_with(" request"))
        .unwrap_or_else(|| panic!("no request line in {log}"))
        .to_owned();
    (answer, line)
}

#[tokio::test]
async fn each_way_a_stream_ends_has_its_own_error_in_the_log() {
    let upstream_error =
        b"data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n";
    for (steps, error) in [
        (
            hello_then(vec![Step::Chunk([STOP, DONE].concat()), Step::End]),
            "error=\"-\"",
        ),
        (hello_then(vec![Step::End]), "error=\"stream_truncated: "),
        (
            hello_then(vec![Step::Chunk(upstream_error.to_vec()), Step::End]),
            "error=\"upstream_error_event: ",
        ),
        (
            hello_then(vec![
                Step::Chunk(b"data: {\"choices\":[}\n\n".to_vec()),
                Step::End,
            ]),
            "error=\"invalid_upstream_event: ",
        ),
        (
            hello_then(vec![Step::Raw("40\r\ndata: {\"id\"")]),
            "error=\"upstream_error: ",
        ),
    ] {
        let (answer, line) = logged(steps, "/v1/chat/completions", "{}").await;
        assert!(line.contains(error), "{error}: {line}\n{answer}");
        assert!(
            !line.contains("overloaded"),
            "upstream's words logged: {line}"
        );
    }
}

#[tokio::test]
async fn gemini_frames_are_counted_in_the_log_as_written() {
    let steps = hello_then(vec![Step::Chunk([STOP, DONE].concat()), Step::End]);
    let (answer, line) = logged(steps, GEMINI_STREAM, "{}").await;
    let frames = answer.matches("\r\n\r\n").count();
    assert!(frames > 1, "{answer}");
    assert!(
        line.contains(&format!(" frames={frames} ")),
        "{frames}: {line}"
    );
}

#[tokio::test]
async fn unsolicited_content_encoding_is_refused_as_an_upstream_error() {
    let gzip_stream = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n";
    let gzip_json = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: 4\r\n\r\n\x1f\x08\x00\x00";
    for (head, body) in [
        (gzip_stream, r#"{"stream":true}"#),
        (gzip_json, r#"{"stream":false}"#),
    ] {
        let steps = vec![
            Step::Raw(head),
            Step::Chunk(b"\x1f\x8b\x08\x00 not an event".to_vec()),
            Step::End,
        ];
        let (upstream, _seen) = scripted_upstream(steps).await;
        let gateway = gateway(&upstream, &[]).await;
        let response = post(gateway, "/v1/messages", body).await;
        assert_eq!(response.status(), 502);
        let error: serde_json::Value = serde_json::from_str(&body_of(response).await).unwrap();
        assert_eq!(error["error"]["type"], "invalid_upstream_response");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains("content-encoding gzip"), "{message}");
    }
    let steps = vec![
        Step::Raw(gzip_stream),
        Step::Chunk(b"\x1f\x8b".to_vec()),
        Step::End,
    ];
    let (_, line) = logged(steps, "/v1/messages", r#"{"stream":true}"#).await;
    assert!(line.contains("status=502"), "{line}");
    assert!(line.contains("content-encoding gzip"), "{line}");
}
