//! An upstream body that fails when upstream stays silent too long: when
//! no read came, or, for an event stream, when none carried the answer
//! (heartbeats alone do not keep it open).

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use tokio::time::{Instant, Sleep};

use crate::heartbeat::SseLines;

/// An upstream body's error: the transport's, or silence past the timeout.
#[derive(Debug)]
pub enum UpstreamError {
    /// The connection failed or the body was cut off.
    Transport(reqwest::Error),
    /// No read arrived within the idle timeout (for an event stream: none
    /// that carried the answer).
    Idle(Duration),
    /// The stream went on past `--max-stream-ms`.
    TooLong(Duration),
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::Transport(error) => write!(f, "upstream connection failed: {error}"),
            UpstreamError::Idle(timeout) => {
                write!(f, "upstream sent no data for {} ms", timeout.as_millis())
            }
            UpstreamError::TooLong(limit) => {
                write!(f, "stream went on past {} ms", limit.as_millis())
            }
        }
    }
}

impl std::error::Error for UpstreamError {}

/// Polls `upstream` and fails with [`UpstreamError::Idle`] when no read has
/// come for `timeout` (for an event stream: no read that carried the
/// answer). The timer is the only thing it adds: it holds no read and spawns
/// nothing, and after its error it ends.
pub struct IdleTimeout<S> {
    upstream: Option<S>,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    /// For an event stream: its lines, and the count of its heartbeats.
    heartbeats: Option<(SseLines, Arc<AtomicU64>)>,
}

impl<S> IdleTimeout<S> {
    /// Starts the clock now.
    pub fn new(upstream: S, timeout: Duration) -> IdleTimeout<S> {
        IdleTimeout {
            upstream: Some(upstream),
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            heartbeats: None,
        }
    }

    /// Reads the upstream as an event stream: a read of heartbeats alone
    /// does not restart the clock, and each heartbeat is added to `seen`.
    pub fn event_stream(mut self, seen: Arc<AtomicU64>) -> IdleTimeout<S> {
        self.heartbeats = Some((SseLines::default(), seen));
        self
    }
}

impl<S> Stream for IdleTimeout<S>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes, UpstreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(upstream) = this.upstream.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(upstream).poll_next(cx) {
            Poll::Ready(Some(read)) => {
                let answer = match (&read, &mut this.heartbeats) {
                    (Ok(bytes), Some((lines, seen))) => {
                        let kind = lines.scan(bytes);
                        if kind.heartbeats > 0 {
                            seen.fetch_add(u64::from(kind.heartbeats), Ordering::Relaxed);
                        }
                        kind.carried_answer
                    }
                    _ => true,
                };
                if answer {
                    this.deadline.as_mut().reset(Instant::now() + this.timeout);
                } else if this.deadline.is_elapsed() {
                    // Heartbeats that never leave a pause.
                    this.upstream = None;
                    return Poll::Ready(Some(Err(UpstreamError::Idle(this.timeout))));
                }
                // Without the URL: a Gemini URL's query may hold the key,
                // and this error goes to the log and to the client.
                Poll::Ready(Some(
                    read.map_err(|error| UpstreamError::Transport(error.without_url())),
                ))
            }
            Poll::Ready(None) => {
                this.upstream = None;
                Poll::Ready(None)
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.upstream = None;
                    Poll::Ready(Some(Err(UpstreamError::Idle(this.timeout))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
