//! An upstream body that fails when upstream stays silent too long.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use tokio::time::{Instant, Sleep};

/// An upstream body's error: the transport's, or silence past the timeout.
#[derive(Debug)]
pub enum UpstreamError {
    /// The connection failed or the body was cut off.
    Transport(reqwest::Error),
    /// No read arrived within the idle timeout.
    Idle(Duration),
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::Transport(error) => write!(f, "upstream connection failed: {error}"),
            UpstreamError::Idle(timeout) => {
                write!(f, "upstream sent nothing for {} ms", timeout.as_millis())
            }
        }
    }
}

impl std::error::Error for UpstreamError {}

/// Polls `upstream` and fails with [`UpstreamError::Idle`] when no read has
/// come for `timeout`. The timer is the only thing it adds: it holds no read
/// and spawns nothing, and after its error it ends.
pub struct IdleTimeout<S> {
    upstream: Option<S>,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    /// Starts the clock now.
    pub fn new(upstream: S, timeout: Duration) -> IdleTimeout<S> {
        IdleTimeout {
            upstream: Some(upstream),
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
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
                this.deadline.as_mut().reset(Instant::now() + this.timeout);
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
