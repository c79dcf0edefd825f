//! The listener: client connections accepted under a cap, each served by
//! hyper's HTTP/1.1 with the client timeouts.
//!
//! - **Headers and idle connections.** A client has the timeout to send its
//!   request headers, counted from when the connection opened or its last
//!   response ended (hyper's header timer), so an idle keep-alive connection
//!   is closed after that long too. One that sent part of a request by then
//!   gets a 408 first; one that sent nothing is closed without a word, as
//!   HTTP allows for an idle connection, so that a client reusing it at that
//!   moment retries rather than reads a stray 408.
//! - **Bodies.** The whole request, body included, must arrive within the
//!   timeout of its first byte: [`RequestClock`] tells the route when that
//!   was, and the route answers 408 past it.
//! - **Answers.** A client that leaves its answer unread for the timeout
//!   (the connection's send buffer full all that while) is cut off: the
//!   write fails, and with the connection the response body and the
//!   upstream request go.
//! - **The cap.** Past `max_connections` open connections, the next one is
//!   not accepted until one closes: it waits in the kernel's backlog.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tower::ServiceExt as _;

/// What a client is allowed.
#[derive(Clone, Copy, Debug)]
pub struct ClientLimits {
    /// The longest a request may take to arrive, and a connection stay idle.
    pub timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

/// Accepts connections on `listener` and serves `router` on each, within
/// `limits`, until the process ends.
pub async fn serve(listener: TcpListener, router: Router, limits: ClientLimits) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            unreachable!("the semaphore is never closed");
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                wait_after_accept_error(error).await;
                continue;
            }
        };
        // Frames are small and each must leave at once: Nagle's algorithm
        // would hold one back until the client acknowledged the one before.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY");
        }
        let router = router.clone();
        tokio::spawn(async move {
            serve_connection(stream, router, limits.timeout).await;
            drop(permit);
        });
    }
}

/// A connection that failed before it was accepted is that client's
/// problem; anything else (out of file descriptors) is the process's, and
/// accepting again at once would spin.
async fn wait_after_accept_error(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn serve_connection(stream: TcpStream, router: Router, timeout: Duration) {
    let clock = Arc::new(RequestClock::new(timeout));
    let io = TokioIo::new(ClientIo {
        stream,
        clock: Arc::clone(&clock),
        write_stall: None,
        stalled: false,
    });
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(Arc::clone(&clock));
        Box::pin(router.clone().oneshot(request))
    });
    let mut connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .serve_connection(io, service);
    // Without hyper's shutdown, so that the connection is still there to
    // write a 408 on after a header timeout.
    let served = poll_fn(|cx| connection.poll_without_shutdown(cx)).await;
    let parts = connection.into_parts();
    let mut stream = parts.io.into_inner().stream;
    if let Err(error) = served
        && error.is_timeout()
        && !parts.read_buf.is_empty()
    {
        // No route saw the request: this is its log line.
        tracing::info!(
            status = 408,
            error = "request headers not received in time",
            "request"
        );
        let answer = request_timeout_answer(timeout);
        let _ = tokio::time::timeout(timeout, stream.write_all(&answer)).await;
    }
    let _ = tokio::time::timeout(timeout, stream.shutdown()).await;
}

/// A 408 with the gateway's JSON error, closing the connection.
fn request_timeout_answer(timeout: Duration) -> Vec<u8> {
    let body = crate::proxy::error_body(
        "request_timeout",
        &format!(
            "request headers not received within {} ms",
            timeout.as_millis()
        ),
    );
    format!(
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// When the request being read on a connection began: the instant its first
/// byte arrived. The listener puts it in each request's extensions.
#[derive(Debug)]
pub struct RequestClock {
    opened: Instant,
    timeout: Duration,
    /// Nanoseconds from `opened` to the request's first byte, or
    /// [`NOT_STARTED`] before it.
    started: AtomicU64,
}

const NOT_STARTED: u64 = u64::MAX;

impl RequestClock {
    fn new(timeout: Duration) -> RequestClock {
        RequestClock {
            opened: Instant::now(),
            timeout,
            started: AtomicU64::new(NOT_STARTED),
        }
    }

    /// When the request must be whole: its first byte's arrival plus the
    /// timeout.
    pub fn deadline(&self) -> Instant {
        let started = match self.started.load(Ordering::Relaxed) {
            NOT_STARTED => Instant::now(),
            nanos => self.opened + Duration::from_nanos(nanos),
        };
        started + self.timeout
    }

    /// An answer is going out: the next byte to arrive begins the next
    /// request.
    fn answer_sent(&self) {
        self.started.store(NOT_STARTED, Ordering::Relaxed);
    }

    fn bytes_arrived(&self) {
        if self.started.load(Ordering::Relaxed) == NOT_STARTED {
            let nanos = self.opened.elapsed().as_nanos();
            let nanos = u64::try_from(nanos).unwrap_or(NOT_STARTED - 1);
            self.started.store(nanos, Ordering::Relaxed);
        }
    }
}

/// The client's connection, noting on the clock when a request's bytes
/// begin to arrive: the first read after the connection opened or after an
/// answer was written. (A pipelined request read with the one before counts
/// from when its route starts.)
struct ClientIo {
    stream: TcpStream,
    clock: Arc<RequestClock>,
    /// The timer of a write waiting for the client to read, made at the
    /// first such wait and reused.
    write_stall: Option<Pin<Box<Sleep>>>,
    /// Whether the last write waited: the timer runs from its first wait.
    stalled: bool,
}

impl ClientIo {
    /// Fails a write that has waited for the client past the timeout.
    fn bounded(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        if written.is_ready() {
            self.stalled = false;
            return written;
        }
        let timeout = self.clock.timeout;
        let stall = self
            .write_stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if !std::mem::replace(&mut self.stalled, true) {
            stall.as_mut().reset(tokio::time::Instant::now() + timeout);
        }
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {} ms", timeout.as_millis()),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for ClientIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.clock.bytes_arrived();
        }
        read
    }
}

impl AsyncWrite for ClientIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.clock.answer_sent();
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.bounded(cx, written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.clock.answer_sent();
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.bounded(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
