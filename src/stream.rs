//! The relay driven by an async byte stream (feature `stream`).
//!
//! [`RelayStream`] adapts any `Stream<Item = Result<Bytes, E>>` of upstream
//! reads (reqwest's `bytes_stream()`, a hyper body's data frames) into a
//! stream of downstream bytes, the way tokio-util's `FramedRead` drives a
//! decoder: each `poll_next` polls the upstream for one read, feeds it to the
//! [`Relay`], and yields the frames it completed. There is no task, no
//! channel and no buffer beyond the one read being relayed, so backpressure
//! is the caller's poll, and dropping the stream drops the upstream.
//!
//! ```
//! use argstream::Relay;
//! use argstream::stream::RelayStream;
//! use bytes::Bytes;
//! use futures::StreamExt as _;
//!
//! let reads: Vec<Result<Bytes, std::io::Error>> = vec![
//!     Ok(Bytes::from_static(b"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,")),
//!     Ok(Bytes::from_static(b"\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n")),
//!     Ok(Bytes::from_static(b"data: [DONE]\n\n")),
//! ];
//! let mut relayed = RelayStream::new(futures::stream::iter(reads), Relay::default());
//! let mut downstream = Vec::new();
//! futures::executor::block_on(async {
//!     while let Some(frames) = relayed.next().await {
//!         downstream.extend_from_slice(&frames.expect("a well-formed stream"));
//!     }
//! });
//! assert!(downstream.ends_with(b"data: [DONE]\n\n"));
//! assert_eq!(relayed.relay().summary().content, "Hi");
//! ```

use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};

use bytes::Bytes;
use futures_core::{FusedStream, Stream};

use crate::error::Error;
use crate::relay::Relay;

/// A [`Relay`] driven by a stream of upstream reads: a stream of downstream
/// bytes, each item one or more whole SSE frames.
///
/// Each upstream read is fed to the relay as it arrives; the frames it
/// completes are yielded before the next read is polled. A read that
/// completes no frame (half an event) is not yielded: the next read is polled
/// at once. Nothing is held back and nothing is read ahead.
///
/// The inner relay stays reachable through [`relay`](RelayStream::relay) and
/// [`relay_mut`](RelayStream::relay_mut), for its summary after the end, or
/// to write an error event of the caller's own (an idle timeout, say) after a
/// transport error.
///
/// # Cost
/// One `poll_next` is one upstream poll and one [`Relay::feed`]; the adapter
/// adds no allocation and no copy to the relay's own.
///
/// # Termination
/// When the upstream ends, the adapter calls [`Relay::finish`], yields the
/// last frames (a `[DONE]`, or the relay's error event for a stream cut off
/// before its end), drops the upstream and then ends. After any error it
/// ends too: it is a [`FusedStream`] and polls nothing after its end.
/// Dropping it at any point drops the upstream with it.
///
/// # Errors
/// [`RelayStreamError::Transport`] is the upstream's own error, yielded as
/// it comes; the frames relayed before it were yielded already.
/// [`RelayStreamError::Relay`] is the relay's error (a malformed event, an
/// event too large) with its upstream byte offset; the frames for the events
/// before the bad one are yielded first, then the error. Either way the
/// upstream is dropped at once and the stream ends after the error. Neither
/// writes anything downstream by itself: a gateway that wants the client
/// told calls [`Relay::write_error`] through
/// [`relay_mut`](RelayStream::relay_mut) and sends its [`Relay::output`].
///
/// # Panics
/// None.
pub struct RelayStream<S> {
    /// `None` once the upstream has ended or failed, so it is dropped as soon
    /// as it is no longer read.
    upstream: Option<S>,
    relay: Relay,
    /// The relay's error, held while the frames before it are yielded.
    relay_error: Option<Error>,
}

/// The error of a [`RelayStream`]: the upstream's, or the relay's own.
#[derive(Debug)]
pub enum RelayStreamError<E> {
    /// The upstream stream failed (a connection reset, a body cut off by the
    /// transport, a timeout of the caller's).
    Transport(E),
    /// The relay could not read the upstream stream (a malformed event, an
    /// event too large), at the byte offset the [`Error`] names.
    Relay(Error),
}

impl<S> RelayStream<S> {
    /// Relays the reads of `upstream` through `relay`.
    pub fn new(upstream: S, relay: Relay) -> RelayStream<S> {
        RelayStream {
            upstream: Some(upstream),
            relay,
            relay_error: None,
        }
    }

    /// The relay: its [`summary`](Relay::summary) is complete once the
    /// stream has ended.
    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// The relay, to write an error event after a transport error
    /// ([`Relay::write_error`]) and take its [`output`](Relay::output).
    pub fn relay_mut(&mut self) -> &mut Relay {
        &mut self.relay
    }

    /// The relay, with the upstream dropped.
    pub fn into_relay(self) -> Relay {
        self.relay
    }

    /// The relay's frames, or its error once they are out. `None` when the
    /// read completed no frame.
    fn take_output<E>(
        &mut self,
        fed: Result<(), Error>,
    ) -> Option<Result<Bytes, RelayStreamError<E>>> {
        if let Err(error) = fed {
            self.upstream = None;
            self.relay_error = Some(error);
        }
        let frames = self.relay.output();
        if !frames.is_empty() {
            return Some(Ok(frames));
        }
        self.relay_error
            .take()
            .map(|error| Err(RelayStreamError::Relay(error)))
    }
}

impl<S, E> Stream for RelayStream<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, RelayStreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(error) = this.relay_error.take() {
                return Poll::Ready(Some(Err(RelayStreamError::Relay(error))));
            }
            let Some(upstream) = this.upstream.as_mut() else {
                return Poll::Ready(None);
            };
            let fed = match Pin::new(upstream).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(read))) => this.relay.feed(read),
                Poll::Ready(Some(Err(error))) => {
                    this.upstream = None;
                    return Poll::Ready(Some(Err(RelayStreamError::Transport(error))));
                }
                Poll::Ready(None) => {
                    this.upstream = None;
                    let finished = this.relay.finish();
                    return Poll::Ready(this.take_output(finished));
                }
            };
            if let Some(item) = this.take_output(fed) {
                return Poll::Ready(Some(item));
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.upstream {
            Some(_) => (0, None),
            None => (usize::from(self.relay_error.is_some()), Some(1)),
        }
    }
}

impl<S, E> FusedStream for RelayStream<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    fn is_terminated(&self) -> bool {
        self.upstream.is_none() && self.relay_error.is_none()
    }
}

impl<S> fmt::Debug for RelayStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayStream")
            .field("upstream_open", &self.upstream.is_some())
            .field("relay", &self.relay)
            .field("relay_error", &self.relay_error)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for RelayStreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayStreamError::Transport(error) => write!(f, "upstream transport error: {error}"),
            RelayStreamError::Relay(error) => write!(f, "relay error: {error}"),
        }
    }
}

impl<E> std::error::Error for RelayStreamError<E>
where
    E: std::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RelayStreamError::Transport(error) => Some(error),
            RelayStreamError::Relay(error) => Some(error),
        }
    }
}
