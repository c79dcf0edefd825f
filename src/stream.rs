//! The relay driven by an async byte stream (feature `stream`).
//!
//! [`RelayStream`] adapts any `Stream<Item = Result<Bytes, E>>` of upstream
//! reads (reqwest's `bytes_stream()`, a hyper body's data frames) into a
//! stream of downstream bytes, the way tokio-util's `FramedRead` drives a
//! decoder: each `poll_next` polls the upstream for one read, feeds it to the
//! [`Relay`], and yields the frames it completed, as the relay's
//! [`output_frames`](Relay::output_frames) hands them out: an event the
//! relay forwards unchanged is a slice of the read that held it, never
//! copied. There is no task, no channel and no buffer beyond the one read
//! being relayed, so backpressure is the caller's poll, and dropping the
//! stream drops the upstream.
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
//!     while let Some(piece) = relayed.next().await {
//!         downstream.extend_from_slice(&piece.expect("a well-formed stream"));
//!     }
//! });
//! assert!(downstream.ends_with(b"data: [DONE]\n\n"));
//! assert_eq!(relayed.relay().summary().content, "Hi");
//! ```

use std::collections::VecDeque;

use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};

use bytes::Bytes;
use futures_core::{FusedStream, Stream};

use crate::error::Error;
use crate::relay::Relay;

/// A [`Relay`] driven by a stream of upstream reads: a stream of downstream
/// bytes, in the pieces [`Relay::output_frames`] hands out.
///
/// Each upstream read is fed to the relay as it arrives; the frames it
/// completes are yielded, piece by piece, before the next read is polled.
/// A piece is one or more whole SSE frames, or, around an event the relay
/// forwards unchanged, part of one: the frame's head, the event's JSON (a
/// slice of the upstream read, not a copy) and the frame's end, in three
/// items. The pieces of one read, joined, are whole frames, the very bytes
/// [`Relay::output`] would give for it; while some are left,
/// [`ready_bytes`](RelayStream::ready_bytes) and
/// [`size_hint`](Stream::size_hint)'s lower bound count them, so a caller
/// that wants one write a read knows when the read is out. A read that
/// completes no frame (half an event) yields nothing: the next read is
/// polled at once. Nothing is held back and nothing is read ahead.
///
/// The inner relay stays reachable through [`relay`](RelayStream::relay) and
/// [`relay_mut`](RelayStream::relay_mut), for its summary after the end, or
/// to write an error event of the caller's own (an idle timeout, say) after a
/// transport error.
///
/// # Cost
/// One `poll_next` is at most one upstream poll and one [`Relay::feed`].
/// The adapter copies nothing, and allocates nothing once its list of the
/// read's pieces has grown to what one read makes. An event forwarded
/// unchanged is not copied, but costs two more items than the one copy
/// [`Relay::output`] makes of it. A consumer that writes each item as an
/// HTTP/1.1 body chunk (hyper) pays for a chunk each, which costs more than
/// copying a few KiB: the reference gateway joins the pieces of a read that
/// come to 4 KiB or less (see [`ready_bytes`](RelayStream::ready_bytes)),
/// and sends larger ones as they are.
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
/// [`relay_mut`](RelayStream::relay_mut) and sends its
/// [`Relay::output_frames`] (or its [`Relay::output`]).
///
/// # Panics
/// None.
pub struct RelayStream<S> {
    /// `None` once the upstream has ended or failed, so it is dropped as soon
    /// as it is no longer read.
    upstream: Option<S>,
    relay: Relay,
    /// The pieces of the last read's frames not yet yielded, in order;
    /// reused from read to read.
    frames: VecDeque<Bytes>,
    /// Their bytes.
    ready: usize,
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
    /// Relays the reads of `upstream` through `relay`. Frames the relay
    /// holds already (an error written before) are yielded first.
    pub fn new(upstream: S, mut relay: Relay) -> RelayStream<S> {
        // Taken as frames from the start, so that the first read's
        // unchanged events go out by reference too.
        let frames: VecDeque<Bytes> = relay.output_frames().collect();
        RelayStream {
            upstream: Some(upstream),
            relay,
            ready: frames.iter().map(Bytes::len).sum(),
            frames,
            relay_error: None,
        }
    }

    /// The relay: its [`summary`](Relay::summary) is complete once the
    /// stream has ended.
    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// The relay, to write an error event after a transport error
    /// ([`Relay::write_error`]) and take its
    /// [`output_frames`](Relay::output_frames).
    pub fn relay_mut(&mut self) -> &mut Relay {
        &mut self.relay
    }

    /// How many bytes of the last read's frames are left to be yielded:
    /// the next items, which come without another upstream read. A caller
    /// for whom an item costs more than a copy (an HTTP/1.1 chunk each)
    /// joins them while they are few, with
    /// [`take_ready`](RelayStream::take_ready).
    pub fn ready_bytes(&self) -> usize {
        self.ready
    }

    /// Takes, in order, the pieces left of the last read's frames, which
    /// would otherwise be the next items; the items after them are the
    /// next read's (or the error, or the end).
    pub fn take_ready(&mut self) -> impl Iterator<Item = Bytes> + '_ {
        self.ready = 0;
        self.frames.drain(..)
    }

    /// The relay, with the upstream dropped (and any piece not yet
    /// yielded).
    pub fn into_relay(self) -> Relay {
        self.relay
    }

    /// Queues the frames the relay wrote for the read; on its error, drops
    /// the upstream and holds the error for after them.
    fn take_output(&mut self, fed: Result<(), Error>) {
        if let Err(error) = fed {
            self.upstream = None;
            self.relay_error = Some(error);
        }
        for piece in self.relay.output_frames() {
            if !piece.is_empty() {
                self.ready += piece.len();
                self.frames.push_back(piece);
            }
        }
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
            if let Some(piece) = this.frames.pop_front() {
                this.ready -= piece.len();
                return Poll::Ready(Some(Ok(piece)));
            }
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
                    this.relay.finish()
                }
            };
            this.take_output(fed);
        }
    }

    /// The lower bound counts the pieces (and the error) ready to be
    /// yielded without another upstream read.
    fn size_hint(&self) -> (usize, Option<usize>) {
        let ready = self.frames.len() + usize::from(self.relay_error.is_some());
        match &self.upstream {
            Some(_) => (ready, None),
            // Past the upstream's end, finish's frames are all queued.
            None => (ready, Some(ready)),
        }
    }
}

impl<S, E> FusedStream for RelayStream<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    fn is_terminated(&self) -> bool {
        self.upstream.is_none() && self.frames.is_empty() && self.relay_error.is_none()
    }
}

impl<S> fmt::Debug for RelayStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayStream")
            .field("upstream_open", &self.upstream.is_some())
            .field("relay", &self.relay)
            .field("frames_ready", &self.frames.len())
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
