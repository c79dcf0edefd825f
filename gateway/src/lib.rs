//! argstream's reference gateway: an HTTP proxy for chat-completions,
//! Responses, Messages and Gemini requests whose event-stream answers reach
//! the client in the route's own format (or one `--to` names), relayed
//! frame by frame by [`argstream::RelayStream`].
//!
//! The binary reads top to bottom in [`run`]: the configuration, the
//! upstream (given, or the embedded [`mock`]), the listener, then serve.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::Write as _;
use std::time::Duration;

use tokio::net::TcpListener;

pub mod body;
pub mod config;
pub mod headers;
pub mod idle;
pub mod listener;
pub mod mock;
pub mod proxy;
pub mod route;
pub mod translate;

pub use config::{Config, ConfigError, To};
pub use mock::{MockUpstream, Recording};

/// The example streams the embedded mock replays: one for each route, in
/// the route's upstream format.
const BUNDLED_CHAT: &[u8] = include_bytes!("../../examples/data/voice_agent.sse");
const BUNDLED_MESSAGES: &[u8] = include_bytes!("../../examples/data/voice_agent_anthropic.sse");
const BUNDLED_RESPONSES: &[u8] = include_bytes!("../../examples/data/voice_agent_responses.sse");
const BUNDLED_GEMINI: &[u8] = include_bytes!("../../examples/data/voice_agent_gemini.sse");

/// The pause between the embedded mock's events: slow enough to watch the
/// text arrive with `curl -N`, quick enough to finish in about a second.
const BUNDLED_DELAY: Duration = Duration::from_millis(15);

/// The mock that serves when no `--upstream` is given.
pub fn bundled_mock() -> MockUpstream {
    MockUpstream::new()
        .with_delay(BUNDLED_DELAY)
        .route("/v1/chat/completions", vec![Recording::new(BUNDLED_CHAT)])
        .route("/v1/messages", vec![Recording::new(BUNDLED_MESSAGES)])
        .answer("/v1/messages", mock::MESSAGES_ANSWER)
        .route("/v1/responses", vec![Recording::new(BUNDLED_RESPONSES)])
        .answer("/v1/responses", mock::RESPONSES_ANSWER)
        .route(
            "/v1beta/models/{model}:streamGenerateContent",
            vec![Recording::new(BUNDLED_GEMINI)],
        )
        .answer(
            "/v1beta/models/{model}:generateContent",
            mock::GEMINI_ANSWER,
        )
        .route(
            "/v1/models/{model}:streamGenerateContent",
            vec![Recording::new(BUNDLED_GEMINI)],
        )
        .answer("/v1/models/{model}:generateContent", mock::GEMINI_ANSWER)
}

/// Runs the gateway: starts the embedded mock when there is no upstream,
/// binds, prints `listening on ADDR` on stdout, and serves until the
/// process ends.
///
/// # Errors
/// Binding or serving fails.
pub async fn run(config: Config) -> std::io::Result<()> {
    let upstream = match &config.upstream {
        Some(upstream) => upstream.clone(),
        None => {
            let address = bundled_mock().spawn().await?;
            tracing::info!(%address, "no --upstream: the embedded mock upstream replays the bundled examples");
            format!("http://{address}")
        }
    };
    let listener = TcpListener::bind(&config.listen).await?;
    let address = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {address}")?;
    stdout.flush()?;
    drop(stdout);
    serve(listener, config, upstream).await
}

/// Serves the gateway's routes on `listener`, forwarding to `upstream` (a
/// base URL), within the configuration's client limits, until the process
/// ends.
///
/// # Errors
/// None so far: a failed accept is logged and the listener goes on.
pub async fn serve(listener: TcpListener, config: Config, upstream: String) -> std::io::Result<()> {
    let limits = listener::ClientLimits {
        timeout: config.client_timeout,
        max_connections: config.max_connections,
    };
    listener::serve(listener, proxy::router(config, upstream), limits).await
}

/// Frames are small and each must leave at once: Nagle's algorithm would
/// hold a frame back until the client acknowledged the one before (tens of
/// milliseconds with delayed ACKs).
pub fn without_nagle(
    listener: TcpListener,
) -> impl axum::serve::Listener<Addr = std::net::SocketAddr> {
    use axum::serve::ListenerExt as _;
    listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY");
        }
    })
}
