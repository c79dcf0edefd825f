//! The routes: each request forwarded to the upstream, each event-stream
//! answer relayed frame by frame, in the route's format (or `--to`'s).
//!
//! The response body owns the upstream body: the client's connection polls
//! it, one upstream read per poll, so a slow client slows the upstream read
//! and a client that goes away drops the upstream request with its body.
//! Nothing is spawned per request and nothing sits in a channel.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use argstream::{Format, Output, Relay, RelayStream, RelayStreamError, Summary};
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use tokio::time::Sleep;

use crate::body::{self, BodyError, BodyLimits};
use crate::config::Config;
use crate::headers;
use crate::heartbeat;
use crate::idle::{IdleTimeout, UpstreamError};
use crate::listener::RequestClock;
use crate::route::{FIXED_ROUTES, GEMINI_PREFIXES, GeminiPathError, Route};
use crate::translate;

/// Relays kept between streams: [`Relay::reset`] keeps a relay's buffers,
/// so a busy gateway relays stream after stream without allocating them
/// anew. As many are kept as streams were open at once, up to this many.
const MAX_SPARE_RELAYS: usize = 1024;

/// A relay whose buffers grew past this (one large event or call) goes back
/// to the allocator rather than to the spares: one large answer must not
/// pin its memory.
const MAX_SPARE_RELAY_BYTES: usize = 1 << 20;

/// The most the spares hold in all, so that a burst of streams that each
/// grew their relay to just under [`MAX_SPARE_RELAY_BYTES`] does not pin a
/// gigabyte either. A relay after an ordinary stream keeps a few KiB.
const MAX_SPARE_BYTES: usize = 32 << 20;

/// What every request shares.
struct Gateway {
    config: Config,
    upstream: String,
    client: reqwest::Client,
    spare_relays: Mutex<Spares>,
}

/// The relays kept for the next streams, each with the bytes it holds, and
/// their sum.
#[derive(Default)]
struct Spares {
    relays: Vec<(Relay, usize)>,
    bytes: usize,
}

impl Gateway {
    /// A relay as configured, answering in `output`: a spare one, or a new
    /// one.
    fn relay(&self, output: Output) -> Relay {
        let spare = self
            .spare_relays
            .lock()
            .ok()
            .and_then(|mut spares| spares.take(output));
        spare.unwrap_or_else(|| {
            // The log reads the calls, never the content: nothing collects it.
            let relay = Relay::new(&self.config.keys)
                .with_format(translate::named(self.config.upstream_format))
                .with_output(output)
                .with_values(self.config.values)
                .with_tool_calls(self.config.tool_calls)
                .with_max_content(0);
            match self.config.max_event_bytes {
                Some(max) => relay.with_max_event_size(max),
                None => relay,
            }
        })
    }

    fn give_back(&self, mut relay: Relay) {
        relay.reset();
        let bytes = relay.retained_bytes();
        if let Ok(mut spares) = self.spare_relays.lock() {
            spares.keep(relay, bytes);
        }
    }
}

impl Spares {
    /// The spare that last answered in `output`, or else the last one made
    /// to answer in it: spares of one format never crowd out another's.
    fn take(&mut self, output: Output) -> Option<Relay> {
        let at = self
            .relays
            .iter()
            .rposition(|(relay, _)| relay.output_format() == output)
            .or(self.relays.len().checked_sub(1))?;
        let (relay, bytes) = self.relays.swap_remove(at);
        self.bytes -= bytes;
        Some(relay.with_output(output))
    }

    /// Keeps a reset relay that holds `bytes`, unless it is too large or
    /// there are enough; else it is dropped, its memory freed.
    fn keep(&mut self, relay: Relay, bytes: usize) {
        if bytes <= MAX_SPARE_RELAY_BYTES
            && self.relays.len() < MAX_SPARE_RELAYS
            && self.bytes + bytes <= MAX_SPARE_BYTES
        {
            self.relays.push((relay, bytes));
            self.bytes += bytes;
        }
    }
}

/// The gateway's routes, forwarding to `upstream` (a base URL).
pub fn router(config: Config, upstream: String) -> Router {
    let client = reqwest::Client::builder()
        .no_proxy()
        // A redirect goes back to the client like any other answer: followed
        // here, it would take the request and its keys to wherever upstream
        // pointed.
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .connect_timeout(config.idle_timeout)
        .build()
        .expect("the TLS backend initialises");
    let gateway = Arc::new(Gateway {
        config,
        upstream,
        client,
        spare_relays: Mutex::new(Spares::default()),
    });
    let mut router = Router::new().route("/healthz", get(|| async { "ok\n" }));
    for prefix in GEMINI_PREFIXES {
        router = router.route(&format!("{prefix}{{target}}"), post(gemini));
    }
    for (path, route) in FIXED_ROUTES {
        router = router.route(path, post(fixed).layer(Extension(route)));
    }
    router.with_state(gateway)
}

/// The OpenAI and Anthropic routes, each told its [`Route`] by its layer.
async fn fixed(
    State(gateway): State<Arc<Gateway>>,
    Extension(route): Extension<Route>,
    clock: Option<Extension<Arc<RequestClock>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    forward(gateway, route, clock, uri, headers, body).await
}

/// The Gemini routes: the method and the model read from the path as the
/// client sent it, before anything is forwarded.
async fn gemini(
    State(gateway): State<Arc<Gateway>>,
    clock: Option<Extension<Arc<RequestClock>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match Route::gemini(uri.path()) {
        Ok(route) => forward(gateway, route, clock, uri, headers, body).await,
        // Like any other path the gateway does not serve.
        Err(GeminiPathError::UnknownMethod) => StatusCode::NOT_FOUND.into_response(),
        Err(GeminiPathError::InvalidModel) => RequestLog::new(uri.path()).error_response(
            StatusCode::BAD_REQUEST,
            "invalid_model",
            "the model name may have only letters, digits, '.', '_' and '-', and no '..'",
        ),
    }
}

async fn forward(
    gateway: Arc<Gateway>,
    route: Route,
    clock: Option<Extension<Arc<RequestClock>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // The path, never the query: Gemini's key may be in it.
    let mut log = RequestLog::new(uri.path());
    let output = route.output(gateway.config.to);
    let client_timeout = gateway.config.client_timeout;
    // Served by the listener, the request counts from its first byte;
    // served some other way, from now.
    let deadline = clock
        .as_ref()
        .map_or_else(|| Instant::now() + client_timeout, |clock| clock.deadline());
    let limits = BodyLimits {
        max_bytes: gateway.config.max_body_bytes,
        min_bytes_per_sec: gateway.config.min_body_rate,
        deadline,
    };
    let body = match body::read(body, declared_length(&headers), limits).await {
        Ok(body) => body,
        Err(error) => return body_error_response(log, error, &gateway.config),
    };
    let mut asks_for_stream = match route.asks_for_stream(&body) {
        Ok(asks) => asks,
        Err(error) => {
            let message = error.to_string();
            return log.error_response(StatusCode::BAD_REQUEST, "invalid_request", &message);
        }
    };
    // Translated when the operator named an upstream format, or asked for
    // another model; else forwarded as it came, to the same path.
    let config = &gateway.config;
    let translation = translate::named(config.upstream_format).or_else(|| {
        (config.upstream_model.is_some() || !config.model_map.is_empty())
            .then(|| translate::client_format(route))
    });
    log.client = Some(translate::client_format(route));
    log.upstream = translation;
    let mut client_model = None;
    let request = match translation {
        None => {
            let query = match &config.upstream_key {
                Some(_) => translate::without_key(uri.query()),
                None => uri.query().map(str::to_owned),
            };
            let url = route.upstream_url(&gateway.upstream, uri.path(), query.as_deref());
            let mut request = gateway.client.post(url).body(body);
            match &config.upstream_key {
                // The gateway's own key, in the route's header: the client's
                // is not forwarded, in whichever header it came.
                Some(key) => {
                    let format = translate::client_format(route);
                    for (name, value) in
                        translate::with_key(&headers, format, format, Some(key.expose()))
                    {
                        request = request.header(name, value);
                    }
                }
                None => {
                    for (name, value) in headers::forwarded(&headers) {
                        request = request.header(name, value);
                    }
                }
            }
            request
        }
        Some(to) => {
            let incoming = translate::Incoming {
                route,
                path: uri.path(),
                query: uri.query(),
                headers: &headers,
                body: &body,
            };
            let prepared = translate::prepare(config, &gateway.upstream, to, &incoming);
            let prepared = match prepared {
                Ok(prepared) => prepared,
                Err(error) => {
                    return log.error_response(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        &error.to_string(),
                    );
                }
            };
            log.warnings = prepared.warnings.len();
            for warning in &prepared.warnings {
                // Paths in the client's body and reasons: names of fields,
                // never their values.
                tracing::debug!(path = %warning.path, reason = %warning.message, "translation warning");
            }
            asks_for_stream = prepared.stream;
            client_model = prepared.client_model;
            let mut request = gateway.client.post(prepared.url).body(prepared.body);
            for (name, value) in prepared.headers {
                request = request.header(name, value);
            }
            request
        }
    };
    let idle_timeout = gateway.config.idle_timeout;
    let upstream = match tokio::time::timeout(idle_timeout, request.send()).await {
        Ok(Ok(upstream)) => upstream,
        Ok(Err(error)) => {
            let message = format!("upstream unreachable: {}", without_url(error));
            return log.error_response(StatusCode::BAD_GATEWAY, "upstream_unreachable", &message);
        }
        Err(_) => {
            let message = format!(
                "upstream sent no response in {} ms",
                idle_timeout.as_millis()
            );
            if !asks_for_stream {
                return log.error_response(
                    StatusCode::GATEWAY_TIMEOUT,
                    "upstream_timeout",
                    &message,
                );
            }
            // A client reading a stream is told in the stream, as it would
            // be had upstream gone silent after its headers.
            log.status = StatusCode::OK.as_u16();
            log.error = Some(format!("upstream_timeout: {message}"));
            let mut relay = gateway.relay(output);
            relay.write_error("upstream_timeout", &message);
            let frames = relay.output();
            gateway.give_back(relay);
            log.bytes = frames.len() as u64;
            log.frames = 1;
            return event_stream(Body::from(frames));
        }
    };

    let status = upstream.status();
    if status.is_informational() {
        // hyper consumes 100 and 103 itself; what is left (101) would hand
        // the client's connection to the upstream.
        let message = format!("upstream answered {status}, which is not an answer to pass on");
        return log.error_response(
            StatusCode::BAD_GATEWAY,
            "invalid_upstream_response",
            &message,
        );
    }
    if let Some(coding) = headers::unsolicited_coding(upstream.headers()) {
        // The gateway asked for no encoding: it could neither relay the
        // body nor tell whether the client may read it.
        let message =
            format!("upstream answered in content-encoding {coding}, which was not asked for");
        return log.error_response(
            StatusCode::BAD_GATEWAY,
            "invalid_upstream_response",
            &message,
        );
    }
    let is_event_stream = headers::has_media_type(upstream.headers(), "text/event-stream");
    log.status = status.as_u16();
    if let Some(from) = translation
        && (!status.is_success() || !is_event_stream)
    {
        let to = translate::answer_format(output, from);
        return whole_answer(upstream, from, to, client_model, idle_timeout, log).await;
    }
    let passes_through =
        !status.is_success() || !is_event_stream || !route.relays() || gateway.config.passthrough;
    let passed_back = passes_through.then(|| {
        let mut response = Response::builder().status(status);
        for (name, value) in headers::passed_back(upstream.headers()) {
            response = response.header(name, value);
        }
        response
    });
    let heartbeats = Arc::new(AtomicU64::new(0));
    let mut reads = IdleTimeout::new(upstream.bytes_stream(), idle_timeout);
    if is_event_stream {
        reads = reads.event_stream(Arc::clone(&heartbeats));
    }
    if let Some(response) = passed_back {
        let max_stream = gateway.config.max_stream;
        let body = Passthrough {
            upstream: reads,
            ends_at: Box::pin(tokio::time::sleep_until((log.started + max_stream).into())),
            max_stream,
            log,
        };
        return response
            .body(Body::from_stream(body))
            .expect("headers copied from a valid response");
    }

    let mut relay = gateway.relay(output);
    // The `created` of chunks whose upstream format has none (Anthropic):
    // the time the request came.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    relay.set_created(now.as_secs());
    let body = Relayed::new(reads, relay, gateway, log, heartbeats);
    event_stream(Body::from_stream(body))
}

/// The most of a whole answer, or an error's body, read to be translated:
/// past it the client gets a 502, and the gateway holds no more.
const MAX_WHOLE_ANSWER_BYTES: usize = 16 << 20;

/// A whole answer, or an upstream's error, in the upstream's format `from`,
/// read (bounded in size, and in silence between reads) and written in the
/// client's `to`, with the upstream's status.
async fn whole_answer(
    upstream: reqwest::Response,
    from: Format,
    to: Format,
    client_model: Option<String>,
    idle_timeout: std::time::Duration,
    mut log: RequestLog,
) -> Response {
    use futures_util::StreamExt as _;
    let status = upstream.status();
    let mut reads = IdleTimeout::new(upstream.bytes_stream(), idle_timeout);
    let mut body = Vec::new();
    while let Some(read) = reads.next().await {
        match read {
            Ok(bytes) if body.len() + bytes.len() <= MAX_WHOLE_ANSWER_BYTES => {
                body.extend_from_slice(&bytes)
            }
            Ok(_) => {
                let message =
                    format!("the upstream's answer is over {MAX_WHOLE_ANSWER_BYTES} bytes");
                return log.error_response(StatusCode::BAD_GATEWAY, "upstream_too_large", &message);
            }
            Err(error) => {
                let message = format!("the upstream's answer was cut off: {error}");
                return log.error_response(StatusCode::BAD_GATEWAY, "upstream_truncated", &message);
            }
        }
    }
    log.bytes = body.len() as u64;
    let translated = if status.is_success() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let options = argstream_translate::ResponseOptions {
            model: client_model,
            created: now.as_secs(),
        };
        match argstream_translate::translate_response(&body, from, to, &options) {
            Ok(translated) => translated,
            Err(error) => {
                let message = format!("the upstream's answer could not be translated: {error}");
                return log.error_response(
                    StatusCode::BAD_GATEWAY,
                    "invalid_upstream_response",
                    &message,
                );
            }
        }
    } else {
        log.error = Some(format!("upstream answered {status}"));
        argstream_translate::translate_error(status.as_u16(), &body, from, to)
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        translated,
    )
        .into_response()
}

/// The body's length as the request declared it.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

/// The answer to a request whose body was not read whole.
fn body_error_response(log: RequestLog, error: BodyError, config: &Config) -> Response {
    let (status, error_type, message) = match error {
        BodyError::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("request body over {} bytes", config.max_body_bytes),
        ),
        BodyError::Unreadable => (
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "request body unreadable".to_owned(),
        ),
        BodyError::TimedOut => (
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "request body not received within {} ms",
                config.client_timeout.as_millis()
            ),
        ),
        BodyError::TooSlow => (
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "request body slower than {} bytes a second",
                config.min_body_rate
            ),
        ),
    };
    let mut response = log.error_response(status, error_type, &message);
    // The rest of the body may still come: it is not a next request.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A `text/event-stream` response of `body`.
fn event_stream(body: Body) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// reqwest's message names the URL; the client knows the route already,
/// the upstream's address is the operator's business, and a Gemini URL's
/// query may hold the client's key. What it wraps names the cause (a
/// refused connection, a certificate the TLS layer did not trust): each
/// error of the chain is said, outermost first, without the URL.
fn without_url(error: reqwest::Error) -> String {
    let kind = if error.is_connect() {
        "connection failed"
    } else if error.is_timeout() {
        "timed out"
    } else {
        "request failed"
    };
    let mut message = kind.to_owned();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        // A wrapper often repeats its cause's words: said once.
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Up to this many bytes, the frames of one upstream read are joined into
/// one body frame. Each body frame is an HTTP/1.1 chunk, which costs hyper
/// about 800 instructions (its size in hex, the write queue, the vectored
/// write's slices; measured with `gateway/callgrind.sh`), where copying
/// 4 KiB costs about 400 (glibc's vector copy, under callgrind too). An
/// event forwarded by reference comes in three pieces (the frame's head,
/// the event, the frame's end): two chunks more than the copy.
const JOIN_BELOW: usize = 4 << 10;

/// An event-stream response: upstream reads relayed, then at a fault one
/// error event, then the end.
///
/// The frames of one upstream read go out as one body frame when they come
/// to [`JOIN_BELOW`] bytes or less, copied once, and else as the pieces
/// [`RelayStream`] yields, each its own body frame: then an event the relay
/// forwards unchanged goes to hyper as the slice of the upstream read that
/// holds it, never copied, and hyper writes the pieces of the read with one
/// vectored write (it polls the body until it is pending).
struct Relayed<S> {
    /// `None` once the response has ended.
    frames: Option<RelayStream<IdleTimeout<S>>>,
    /// Where the pieces of a small read are joined, reused.
    joined: BytesMut,
    gateway: Arc<Gateway>,
    log: RequestLog,
    /// The relay's count of frames written when the stream began.
    frames_before: u64,
    heartbeat: ClientHeartbeat,
    /// The upstream's heartbeats so far, and as many as the client had
    /// when it was last sent something.
    heartbeats: Arc<AtomicU64>,
    heartbeats_answered: u64,
    /// When the stream must end, `--max-stream-ms` after its request.
    ends_at: Pin<Box<Sleep>>,
    max_stream: Duration,
}

/// The heartbeat a client's format allows, sent while the upstream sends
/// heartbeats and nothing else reaches the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientHeartbeat {
    /// A comment line, which chat and Responses readers skip.
    Comment,
    /// Anthropic's `ping` event, which its SDKs read only after
    /// `message_start`: sent once a frame has gone out.
    Ping,
    /// None: google-genai breaks on a comment line.
    Never,
}

impl ClientHeartbeat {
    fn of(output: Output) -> ClientHeartbeat {
        match output {
            Output::OpenAiChat | Output::OpenAiResponses | Output::Same => ClientHeartbeat::Comment,
            Output::Anthropic => ClientHeartbeat::Ping,
            Output::Gemini => ClientHeartbeat::Never,
        }
    }

    /// Its bytes, if it goes out to a client that has had `frames` frames.
    fn bytes(self, frames: u64) -> Option<Bytes> {
        match self {
            ClientHeartbeat::Comment => Some(Bytes::from_static(heartbeat::COMMENT)),
            ClientHeartbeat::Ping if frames > 0 => {
                Some(Bytes::from_static(heartbeat::ANTHROPIC_PING))
            }
            ClientHeartbeat::Ping | ClientHeartbeat::Never => None,
        }
    }
}

impl<S> Stream for Relayed<S>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(relayed) = this.frames.as_mut() else {
            return Poll::Ready(None);
        };
        if this.ends_at.as_mut().poll(cx).is_ready() {
            let error = UpstreamError::TooLong(this.max_stream);
            return this.fail("stream_timeout", &error.to_string());
        }
        let frames = match Pin::new(&mut *relayed).poll_next(cx) {
            Poll::Pending => {
                return match this.heartbeat_due() {
                    Some(heartbeat) => Poll::Ready(Some(Ok(heartbeat))),
                    None => Poll::Pending,
                };
            }
            Poll::Ready(Some(Ok(piece))) => match relayed.ready_bytes() {
                0 => piece,
                rest if piece.len() + rest <= JOIN_BELOW => {
                    this.joined.reserve(piece.len() + rest);
                    this.joined.extend_from_slice(&piece);
                    for piece in relayed.take_ready() {
                        this.joined.extend_from_slice(&piece);
                    }
                    this.joined.split().freeze()
                }
                _ => piece,
            },
            Poll::Ready(None) => {
                this.end();
                return Poll::Ready(None);
            }
            Poll::Ready(Some(Err(error))) => {
                let error_type = match &error {
                    RelayStreamError::Transport(UpstreamError::Idle(_)) => "upstream_timeout",
                    RelayStreamError::Transport(UpstreamError::TooLong(_)) => "stream_timeout",
                    RelayStreamError::Transport(UpstreamError::Transport(_)) => "upstream_error",
                    RelayStreamError::Relay(_) => "invalid_upstream_event",
                };
                return this.fail(error_type, &error.to_string());
            }
        };
        // The client has news: the heartbeats so far are answered.
        this.heartbeats_answered = this.heartbeats.load(Ordering::Relaxed);
        this.log.bytes += frames.len() as u64;
        Poll::Ready(Some(Ok(frames)))
    }
}

impl<S> Relayed<S> {
    /// Relays `reads` through `relay` for a client of the relay's format;
    /// `heartbeats` counts the upstream's.
    fn new(
        reads: IdleTimeout<S>,
        relay: Relay,
        gateway: Arc<Gateway>,
        log: RequestLog,
        heartbeats: Arc<AtomicU64>,
    ) -> Relayed<S> {
        let max_stream = gateway.config.max_stream;
        Relayed {
            frames_before: relay.frames(),
            heartbeat: ClientHeartbeat::of(relay.output_format()),
            frames: Some(RelayStream::new(reads, relay)),
            joined: BytesMut::new(),
            heartbeats,
            heartbeats_answered: 0,
            ends_at: Box::pin(tokio::time::sleep_until((log.started + max_stream).into())),
            max_stream,
            gateway,
            log,
        }
    }

    /// Logs what the relay saw, drops the upstream, and keeps the relay
    /// for another stream.
    /// Ends the client's stream with the route's error event, and the
    /// response after it.
    fn fail(&mut self, error_type: &str, message: &str) -> Poll<Option<Result<Bytes, Infallible>>> {
        let Some(relayed) = self.frames.as_mut() else {
            return Poll::Ready(None);
        };
        self.log.error = Some(format!("{error_type}: {message}"));
        let relay = relayed.relay_mut();
        relay.write_error(error_type, message);
        let frames = relay.output();
        self.end();
        if frames.is_empty() {
            // The client's stream had ended already.
            return Poll::Ready(None);
        }
        self.log.bytes += frames.len() as u64;
        Poll::Ready(Some(Ok(frames)))
    }

    /// A heartbeat for the client, when the upstream has sent some since
    /// the client last had anything and the client's format allows one.
    fn heartbeat_due(&mut self) -> Option<Bytes> {
        let seen = self.heartbeats.load(Ordering::Relaxed);
        if seen == self.heartbeats_answered {
            return None;
        }
        self.heartbeats_answered = seen;
        let relay = self.frames.as_ref()?.relay();
        let heartbeat = self
            .heartbeat
            .bytes(relay.frames().saturating_sub(self.frames_before))?;
        self.log.heartbeats += 1;
        self.log.bytes += heartbeat.len() as u64;
        Some(heartbeat)
    }

    fn end(&mut self) {
        let Some(frames) = self.frames.take() else {
            return;
        };
        let relay = frames.into_relay();
        self.log.format = relay.format();
        self.log.events = relay.events();
        self.log.frames = relay.frames().saturating_sub(self.frames_before);
        if self.log.error.is_none() {
            self.log.error = end_without_fault(relay.summary());
        }
        self.log.calls = relay
            .summary()
            .tool_calls
            .iter()
            .map(|call| match &call.error {
                None => format!("{}:ok", call.name),
                Some(error) => format!("{}:{error}", call.name),
            })
            .collect::<Vec<_>>()
            .join(",");
        self.gateway.give_back(relay);
    }
}

impl<S> Drop for Relayed<S> {
    fn drop(&mut self) {
        // Still relaying: the client went away first.
        self.log.client_gone = self.frames.is_some();
        if self.log.client_gone {
            self.log.error =
                Some("client_gone: the client left before the stream ended".to_owned());
        }
        self.end();
    }
}

/// The log's `error` for a stream that ended with no fault of the
/// gateway's: none when it ended whole, else how the upstream left it.
fn end_without_fault(summary: &Summary) -> Option<String> {
    let error = summary.upstream_error.as_deref()?;
    // The relay's own error for a body that ended before the format's end.
    if error.contains(r#""code":"stream_truncated""#) {
        return Some(
            "stream_truncated: upstream stream ended before the response finished".to_owned(),
        );
    }
    // The upstream's words stay out of the log, as bodies do.
    Some("upstream_error_event: upstream reported an error in its stream".to_owned())
}

/// A response passed through unchanged: not an event stream, not a 2xx,
/// or the relay turned off.
struct Passthrough<S> {
    upstream: IdleTimeout<S>,
    /// When it must end, `--max-stream-ms` after its request.
    ends_at: Pin<Box<Sleep>>,
    max_stream: Duration,
    log: RequestLog,
}

impl<S> Stream for Passthrough<S>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes, UpstreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.log.error.is_some() {
            return Poll::Ready(None);
        }
        let read = match this.ends_at.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(UpstreamError::TooLong(this.max_stream)))),
            Poll::Pending => Pin::new(&mut this.upstream).poll_next(cx),
        };
        match &read {
            Poll::Ready(Some(Ok(bytes))) => {
                this.log.bytes += bytes.len() as u64;
                this.log.frames += 1;
            }
            // The body is cut off: hyper ends the response short, which the
            // client sees as an error, as it would from the upstream.
            Poll::Ready(Some(Err(error))) => {
                let error_type = match error {
                    UpstreamError::Idle(_) => "upstream_timeout",
                    UpstreamError::TooLong(_) => "stream_timeout",
                    UpstreamError::Transport(_) => "upstream_error",
                };
                this.log.error = Some(format!("{error_type}: {error}"));
            }
            Poll::Ready(None) | Poll::Pending => {}
        }
        read
    }
}

/// The gateway's own error, in OpenAI's shape:
/// `{"error":{"message":…,"type":…,"code":null}}`.
pub(crate) fn error_body(error_type: &str, message: &str) -> String {
    serde_json::json!({"error": {"message": message, "type": error_type, "code": null}}).to_string()
}

/// The one log line of a request, written when the request is done with:
/// at the end of its response body, or when the client goes away.
struct RequestLog {
    route: String,
    started: Instant,
    status: u16,
    format: Option<Format>,
    events: u64,
    frames: u64,
    /// Heartbeats sent to the client.
    heartbeats: u64,
    bytes: u64,
    calls: String,
    error: Option<String>,
    client_gone: bool,
    /// The client's format, and the upstream's when the request was
    /// translated.
    client: Option<Format>,
    upstream: Option<Format>,
    /// How many fields of the request the translation could not carry.
    warnings: usize,
}

impl RequestLog {
    fn new(route: &str) -> RequestLog {
        RequestLog {
            route: route.to_owned(),
            started: Instant::now(),
            status: 0,
            format: None,
            events: 0,
            frames: 0,
            heartbeats: 0,
            bytes: 0,
            calls: String::new(),
            error: None,
            client_gone: false,
            client: None,
            upstream: None,
            warnings: 0,
        }
    }

    fn error_response(mut self, status: StatusCode, error_type: &str, message: &str) -> Response {
        self.status = status.as_u16();
        self.error = Some(format!("{error_type}: {message}"));
        let mut body = error_body(error_type, message).into_bytes();
        // A translating gateway's clients are of every format: each reads
        // the error in its own shape.
        if let (Some(client), Some(_)) = (self.client, self.upstream) {
            body = argstream_translate::translate_error(
                status.as_u16(),
                &body,
                Format::OpenAiChat,
                client,
            );
        }
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        tracing::info!(
            route = %self.route,
            status = self.status,
            format = %self.format.map_or_else(|| "-".to_owned(), |format| format.to_string()),
            client_format = %self.client.map_or_else(|| "-".to_owned(), |format| format.to_string()),
            upstream_format = %self.upstream.map_or_else(|| "-".to_owned(), |format| format.to_string()),
            warnings = self.warnings,
            events = self.events,
            frames = self.frames,
            heartbeats = self.heartbeats,
            bytes = self.bytes,
            duration_us = self.started.elapsed().as_micros() as u64,
            calls = %self.calls,
            error = self.error.as_deref().unwrap_or("-"),
            client_gone = self.client_gone,
            "request"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reset relay, and what it holds, after a stream with one text event
    /// of `text_bytes`.
    fn relay_after(text_bytes: usize) -> (Relay, usize) {
        let text = "x".repeat(text_bytes);
        let event = format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n"
        );
        let mut relay = Relay::default().with_max_content(0);
        for read in event.as_bytes().chunks(1500) {
            relay.feed(Bytes::copy_from_slice(read)).unwrap();
            relay.output();
        }
        relay.reset();
        let bytes = relay.retained_bytes();
        (relay, bytes)
    }

    #[test]
    fn spares_keep_small_relays_and_drop_large_ones() {
        let mut spares = Spares::default();
        let (small, small_bytes) = relay_after(100);
        assert!(small_bytes < 16 << 10, "{small_bytes}");
        spares.keep(small, small_bytes);
        let (large, large_bytes) = relay_after(2 << 20);
        assert!(large_bytes > MAX_SPARE_RELAY_BYTES, "{large_bytes}");
        spares.keep(large, large_bytes);
        assert_eq!(spares.relays.len(), 1);
        assert_eq!(spares.bytes, small_bytes);
        assert!(spares.take(Output::OpenAiChat).is_some());
        assert_eq!(spares.bytes, 0);
        assert!(spares.take(Output::OpenAiChat).is_none());
    }

    #[test]
    fn spares_give_a_relay_of_the_format_asked_for() {
        let mut spares = Spares::default();
        for output in [
            Output::Anthropic,
            Output::OpenAiChat,
            Output::OpenAiResponses,
        ] {
            let relay = Relay::default().with_output(output);
            let bytes = relay.retained_bytes();
            spares.keep(relay, bytes);
        }
        let chat = spares.take(Output::OpenAiChat).unwrap();
        assert_eq!(chat.output_format(), Output::OpenAiChat);
        assert_eq!(spares.relays.len(), 2);
        // None of chat is left: another spare is made to answer in chat.
        let chat = spares.take(Output::OpenAiChat).unwrap();
        assert_eq!(chat.output_format(), Output::OpenAiChat);
        assert_eq!(spares.relays.len(), 1);
    }

    /// A gateway with the default configuration and no relay spare yet.
    fn test_gateway() -> Arc<Gateway> {
        Arc::new(Gateway {
            config: Config::default(),
            upstream: String::new(),
            client: reqwest::Client::new(),
            spare_relays: Mutex::new(Spares::default()),
        })
    }

    /// Every body frame the gateway sends for an upstream body of `reads`,
    /// relayed to chat by a relay from `gateway`'s spares, which it gives
    /// back at the end.
    async fn relayed(gateway: &Arc<Gateway>, reads: &[&Bytes]) -> Vec<Bytes> {
        let upstream = IdleTimeout::new(
            futures_util::stream::iter(reads.iter().map(|&read| Ok(read.clone()))),
            std::time::Duration::from_secs(10),
        );
        let mut body = Relayed::new(
            upstream,
            gateway.relay(Output::OpenAiChat),
            Arc::clone(gateway),
            RequestLog::new("/v1/chat/completions"),
            Arc::default(),
        );
        let mut frames = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx)).await {
            frames.push(frame.unwrap());
        }
        frames
    }

    /// A chat chunk with `content`, and `finish` (JSON) as its finish.
    fn chunk(content: &str, finish: &str) -> Bytes {
        Bytes::from(format!(
            "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"{content}\"}},\"finish_reason\":{finish}}}]}}\n\n"
        ))
    }

    #[tokio::test]
    async fn a_small_read_goes_out_as_one_body_frame() {
        let gateway = test_gateway();
        let reads = [chunk("Hi", "null"), chunk("", "\"stop\"")];
        let frames = relayed(&gateway, &[&reads[0], &reads[1]]).await;
        let mut relay = Relay::new(&[] as &[&str]).with_max_content(0);
        let mut expected = Vec::new();
        for read in &reads {
            relay.feed(read.clone()).unwrap();
            expected.push(relay.output());
        }
        relay.finish().unwrap();
        expected.push(relay.output());
        // A read that completes no frame sends none.
        expected.retain(|frames| !frames.is_empty());
        assert_eq!(frames, expected, "one body frame a read, as output gives");
    }

    #[tokio::test]
    async fn a_large_chunk_leaves_as_a_slice_of_its_read_and_survives_the_relays_reuse() {
        let gateway = test_gateway();
        let read = chunk(&"x".repeat(JOIN_BELOW), "null");
        let first = relayed(&gateway, &[&read]).await;
        let json = &read["data: ".len()..read.len() - 2];
        assert!(
            first
                .iter()
                .any(|frame| frame.as_ptr() == json.as_ptr() && frame[..] == *json),
            "the chunk went out as the read's own bytes"
        );
        let sent: Vec<Vec<u8>> = first.iter().map(|frame| frame.to_vec()).collect();
        assert_eq!(gateway.spare_relays.lock().unwrap().relays.len(), 1);

        // The same relay, from the spares, writes the next stream while the
        // client still holds the first one's frames (hyper's write queue
        // does, until they are written): they keep their bytes.
        let second = relayed(&gateway, &[&chunk("Bye", "\"stop\"")]).await;
        assert_eq!(gateway.spare_relays.lock().unwrap().relays.len(), 1);
        assert!(second.concat().ends_with(b"data: [DONE]\n\n"));
        let kept: Vec<Vec<u8>> = first.iter().map(|frame| frame.to_vec()).collect();
        assert_eq!(kept, sent);
    }

    #[test]
    fn spares_hold_at_most_their_budget() {
        let mut spares = Spares::default();
        let (_, bytes) = relay_after(128 << 10);
        assert!(bytes <= MAX_SPARE_RELAY_BYTES, "{bytes}");
        let fit = MAX_SPARE_BYTES / bytes;
        for _ in 0..fit + 3 {
            let (relay, bytes) = relay_after(128 << 10);
            spares.keep(relay, bytes);
        }
        assert_eq!(spares.relays.len(), fit);
        assert!(spares.bytes <= MAX_SPARE_BYTES);
    }
}
