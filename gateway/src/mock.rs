//! A mock upstream that replays recorded event streams, for the gateway's
//! out-of-the-box run, its tests and its load tool.
//!
//! Each route answers in its own upstream's format: the recordings it was
//! given, and for `"stream": false` (or on a route with no recordings, such
//! as Gemini's `:generateContent`) its whole JSON answer ([`CHAT_ANSWER`],
//! [`MESSAGES_ANSWER`], [`RESPONSES_ANSWER`], [`GEMINI_ANSWER`]). A route's
//! path may hold one `{model}`, which matches any name without a `/`.
//!
//! A request picks its replay with fields of its JSON body, which the
//! gateway forwards unchanged:
//! - `"replay": N`: the N-th recording of the route (modulo their count);
//! - `"delay_us": D`: the pause before each event after the first;
//! - `"hold_ms": H`: a pause after the first event (an idle stream);
//! - `"stamp": true`: each event's first `"created":` number is replaced
//!   with its send time, in microseconds since [`MockUpstream::epoch`];
//! - `"stream": false`: the route's JSON answer instead of an event stream;
//! - `"answer_bytes": N`: instead of a recording, a generated chat stream of
//!   at least N bytes of content chunks, each with `"event_bytes": M` bytes
//!   of text (default 4096), then a stop and `[DONE]`: a large answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use tokio::net::TcpListener;

/// The stamp field: a number every chat chunk has, that the relay copies
/// into the chunks it writes and forwards untouched in the chunks it passes.
const STAMP_FIELD: &[u8] = b"\"created\":";

/// A chat completion, the answer of a chat route to `"stream": false`.
pub const CHAT_ANSWER: &str = r#"{"id":"mock-1","object":"chat.completion","created":0,"model":"mock","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}}"#;

/// An Anthropic message, for `/v1/messages` without a stream.
pub const MESSAGES_ANSWER: &str = r#"{"id":"msg_mock_1","type":"message","role":"assistant","model":"mock","content":[{"type":"text","text":"Hello from the mock."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":5}}"#;

/// An OpenAI response, for `/v1/responses` without a stream.
pub const RESPONSES_ANSWER: &str = r#"{"id":"resp_mock_1","object":"response","created_at":0,"status":"completed","model":"mock","output":[{"type":"message","id":"msg_mock_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello from the mock.","annotations":[]}]}],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":{"input_tokens":5,"output_tokens":5,"total_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":0}}}"#;

/// A Gemini `GenerateContentResponse`, for `:generateContent`.
pub const GEMINI_ANSWER: &str = r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hello from the mock."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":5,"totalTokenCount":10},"modelVersion":"mock","responseId":"mock-1"}"#;

/// One upstream event, with its blank line, cut around its stamp.
#[derive(Clone, Debug)]
struct Event {
    /// The event up to and including `"created":`, or the whole event.
    head: Bytes,
    /// After the `created` number; `None` when the event has no stamp field.
    tail: Option<Bytes>,
    /// The recorded `created` number, sent when not stamping.
    created: Bytes,
}

/// One recorded event stream, cut into events.
#[derive(Clone, Debug)]
pub struct Recording {
    events: Vec<Event>,
}

impl Recording {
    /// Cuts a recorded `text/event-stream` body into its events (each ends
    /// at a blank line; a last event without one is kept as it is).
    pub fn new(body: &[u8]) -> Recording {
        let events = split_events(body)
            .into_iter()
            .map(|event| cut_at_stamp(Bytes::copy_from_slice(event)))
            .collect();
        Recording { events }
    }

    /// How many events it has.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether it has no event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The body as the mock sends it with every stamp set to `stamp`.
    pub fn body_stamped(&self, stamp: u64) -> Vec<u8> {
        self.events
            .iter()
            .flat_map(|event| event.stamped(stamp).to_vec())
            .collect()
    }
}

impl Event {
    fn stamped(&self, stamp: u64) -> Bytes {
        let Some(tail) = &self.tail else {
            return self.head.clone();
        };
        let mut event = BytesMut::with_capacity(self.head.len() + 20 + tail.len());
        event.extend_from_slice(&self.head);
        event.extend_from_slice(stamp.to_string().as_bytes());
        event.extend_from_slice(tail);
        event.freeze()
    }

    fn recorded(&self) -> Bytes {
        let Some(tail) = &self.tail else {
            return self.head.clone();
        };
        [&self.head[..], &self.created[..], &tail[..]]
            .concat()
            .into()
    }
}

/// Event boundaries: a line break followed by an empty line, for each of
/// the three line endings SSE allows.
fn split_events(body: &[u8]) -> Vec<&[u8]> {
    let mut events = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < body.len() {
        let end = [&b"\r\n\r\n"[..], b"\n\n", b"\r\r"]
            .iter()
            .find(|boundary| body[at..].starts_with(boundary))
            .map(|boundary| at + boundary.len());
        match end {
            Some(end) => {
                events.push(&body[start..end]);
                start = end;
                at = end;
            }
            None => at += 1,
        }
    }
    if start < body.len() {
        events.push(&body[start..]);
    }
    events
}

fn cut_at_stamp(event: Bytes) -> Event {
    let Some(field) = memchr::memmem::find(&event, STAMP_FIELD) else {
        return Event {
            head: event,
            tail: None,
            created: Bytes::new(),
        };
    };
    let digits_start = field + STAMP_FIELD.len();
    let digits_end = digits_start
        + event[digits_start..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
    if digits_end == digits_start {
        return Event {
            head: event,
            tail: None,
            created: Bytes::new(),
        };
    }
    Event {
        head: event.slice(..digits_start),
        tail: Some(event.slice(digits_end..)),
        created: event.slice(digits_start..digits_end),
    }
}

/// One route of the mock: what it replays and what it answers whole.
#[derive(Clone, Debug)]
struct MockRoute {
    path: String,
    recordings: Arc<[Recording]>,
    answer: Bytes,
}

impl MockRoute {
    /// Whether `path` is this route's: equal, or with its `{model}` standing
    /// for a name without `/`.
    fn matches(&self, path: &str) -> bool {
        let Some((before, after)) = self.path.split_once("{model}") else {
            return self.path == path;
        };
        path.len() > before.len() + after.len()
            && path.starts_with(before)
            && path.ends_with(after)
            && !path[before.len()..path.len() - after.len()].contains('/')
    }
}

/// The recordings each route replays.
#[derive(Clone, Debug, Default)]
pub struct MockUpstream {
    routes: Vec<MockRoute>,
    delay: Duration,
    epoch: Option<Instant>,
}

impl MockUpstream {
    /// A mock with no routes, no delay, and its stamp clock starting now.
    pub fn new() -> MockUpstream {
        MockUpstream {
            epoch: Some(Instant::now()),
            ..MockUpstream::default()
        }
    }

    /// Replays `recordings` on POST `path`, answering [`CHAT_ANSWER`] to
    /// `"stream": false` until [`answer`](MockUpstream::answer) says
    /// otherwise.
    pub fn route(mut self, path: &str, recordings: Vec<Recording>) -> MockUpstream {
        self.routes.push(MockRoute {
            path: path.to_owned(),
            recordings: recordings.into(),
            answer: Bytes::from_static(CHAT_ANSWER.as_bytes()),
        });
        self
    }

    /// Answers `json` on POST `path` without a stream: to `"stream": false`
    /// on a route with recordings, to every request on a new route.
    pub fn answer(mut self, path: &str, json: &'static str) -> MockUpstream {
        let answer = Bytes::from_static(json.as_bytes());
        match self.routes.iter_mut().find(|route| route.path == path) {
            Some(route) => route.answer = answer,
            None => self.routes.push(MockRoute {
                path: path.to_owned(),
                recordings: Arc::from([]),
                answer,
            }),
        }
        self
    }

    /// The pause before each event after the first, unless the request
    /// names its own.
    pub fn with_delay(mut self, delay: Duration) -> MockUpstream {
        self.delay = delay;
        self
    }

    /// Stamps count microseconds from `epoch`.
    pub fn with_epoch(mut self, epoch: Instant) -> MockUpstream {
        self.epoch = Some(epoch);
        self
    }

    /// The instant stamps count from.
    pub fn epoch(&self) -> Instant {
        self.epoch.unwrap_or_else(Instant::now)
    }

    /// Serves on `listener` until the runtime stops.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        let router = Router::new().fallback(replay).with_state(Arc::new(self));
        axum::serve(crate::without_nagle(listener), router).await
    }

    /// Binds an ephemeral loopback port, serves there on a spawned task,
    /// and gives the address.
    pub async fn spawn(self) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        tokio::spawn(self.serve(listener));
        Ok(address)
    }
}

/// What a request asks of the mock.
struct Ask {
    replay: usize,
    delay: Duration,
    hold: Duration,
    stamp: bool,
    stream: bool,
    answer_bytes: u64,
    event_bytes: usize,
}

impl Ask {
    fn read(body: &[u8], default_delay: Duration) -> Ask {
        let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let number = |key: &str| body.get(key).and_then(serde_json::Value::as_u64);
        Ask {
            replay: number("replay").unwrap_or(0) as usize,
            delay: number("delay_us").map_or(default_delay, Duration::from_micros),
            // An idle stream is held for at most a minute.
            hold: Duration::from_millis(number("hold_ms").unwrap_or(0).min(60_000)),
            stamp: body
                .get("stamp")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            stream: body
                .get("stream")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true),
            answer_bytes: number("answer_bytes").unwrap_or(0),
            // One event of the generated answer is at most 64 MiB.
            event_bytes: number("event_bytes").map_or(4096, |bytes| bytes.clamp(1, 64 << 20))
                as usize,
        }
    }
}

async fn replay(State(mock): State<Arc<MockUpstream>>, uri: Uri, body: Bytes) -> Response {
    let Some(route) = mock.routes.iter().find(|route| route.matches(uri.path())) else {
        return (StatusCode::NOT_FOUND, "no such route\n").into_response();
    };
    let recordings = &route.recordings;
    let ask = Ask::read(&body, mock.delay);
    if !ask.stream || recordings.is_empty() {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            route.answer.clone(),
        )
            .into_response();
    }
    if ask.answer_bytes > 0 {
        return event_stream(Body::from_stream(large_answer(
            ask.answer_bytes,
            ask.event_bytes,
        )));
    }
    let recording = recordings[ask.replay % recordings.len()].clone();
    let epoch = mock.epoch();
    let events = futures_util::stream::unfold(0usize, move |next| {
        let recording = recording.clone();
        async move {
            let event = recording.events.get(next)?;
            let pause = if next == 1 {
                ask.hold + ask.delay
            } else {
                ask.delay
            };
            if next > 0 && !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let bytes = if ask.stamp {
                event.stamped(epoch.elapsed().as_micros() as u64)
            } else {
                event.recorded()
            };
            Some((Ok::<_, std::convert::Infallible>(bytes), next + 1))
        }
    });
    event_stream(Body::from_stream(events))
}

fn event_stream(body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// A chat stream of content chunks carrying `event_bytes` of text each, the
/// same chunk sent again (a cheap clone) until `answer_bytes` have gone,
/// then a stop and `[DONE]`.
fn large_answer(
    answer_bytes: u64,
    event_bytes: usize,
) -> impl futures_core::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    const HEAD: &str = r#"data: {"id":"large","object":"chat.completion.chunk","created":0,"model":"mock","choices":[{"index":0,"delta":{"content":""#;
    const TAIL: &str = "\"}}]}\n\n";
    const END: &str = "data: {\"id\":\"large\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"mock\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    let text = "All work and no play. ".repeat(event_bytes.div_ceil(22));
    let event = Bytes::from(format!("{HEAD}{}{TAIL}", &text[..event_bytes]));
    let events = answer_bytes.div_ceil(event.len() as u64);
    let chunks = (0..events)
        .map(move |_| event.clone())
        .chain(std::iter::once(Bytes::from_static(END.as_bytes())));
    futures_util::stream::iter(chunks.map(Ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_in_a_route_matches_one_name() {
        let route = MockRoute {
            path: "/v1beta/models/{model}:generateContent".to_owned(),
            recordings: Arc::from([]),
            answer: Bytes::new(),
        };
        assert!(route.matches("/v1beta/models/gemini-2.5-flash:generateContent"));
        assert!(!route.matches("/v1beta/models/:generateContent"));
        assert!(!route.matches("/v1beta/models/a/b:generateContent"));
        assert!(!route.matches("/v1beta/models/m:streamGenerateContent"));
    }

    #[test]
    fn cuts_events_at_blank_lines_of_each_line_ending() {
        let body = b": hi\n\ndata: a\r\n\r\ndata: b\r\rdata: c";
        let recording = Recording::new(body);
        assert_eq!(recording.len(), 4);
        assert_eq!(recording.body_stamped(0), body);
    }

    #[test]
    fn stamps_the_created_number_and_keeps_the_rest() {
        let recording = Recording::new(
            b"data: {\"id\":\"x\",\"created\":1764140000,\"model\":\"m\"}\n\ndata: [DONE]\n\n",
        );
        assert_eq!(
            recording.body_stamped(42),
            b"data: {\"id\":\"x\",\"created\":42,\"model\":\"m\"}\n\ndata: [DONE]\n\n"
        );
        assert_eq!(
            recording.events[0].recorded(),
            &b"data: {\"id\":\"x\",\"created\":1764140000,\"model\":\"m\"}\n\n"[..]
        );
    }
}
