//! `RelayStream`: the relay driven by a hand-made upstream stream, checked
//! for what it yields after each read (the pieces of `output_frames`, which
//! join to what `output` gives), what it polls, and what it drops.
#![cfg(feature = "stream")]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use argstream::{ErrorKind, Relay, RelayStream, RelayStreamError};
use bytes::Bytes;
use futures::StreamExt as _;
use futures::stream::{FusedStream as _, Stream};
use futures::task::noop_waker_ref;

/// What the hand-made upstream saw: how often it was polled, whether it was
/// dropped.
#[derive(Default)]
struct Log {
    polls: usize,
    dropped: bool,
}

/// An upstream that answers each poll with its next step: a read, an error,
/// `Pending` (a read not yet arrived), or the end when the steps run out.
struct Upstream {
    steps: VecDeque<Step>,
    log: Rc<RefCell<Log>>,
}

enum Step {
    Read(&'static [u8]),
    Fail(&'static str),
    Pending,
}

impl Upstream {
    fn new(steps: Vec<Step>) -> (Upstream, Rc<RefCell<Log>>) {
        let log = Rc::new(RefCell::new(Log::default()));
        let upstream = Upstream {
            steps: steps.into(),
            log: Rc::clone(&log),
        };
        (upstream, log)
    }
}

impl Stream for Upstream {
    type Item = Result<Bytes, &'static str>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.log.borrow_mut().polls += 1;
        match self.steps.pop_front() {
            None => Poll::Ready(None),
            Some(Step::Read(bytes)) => Poll::Ready(Some(Ok(Bytes::from_static(bytes)))),
            Some(Step::Fail(message)) => Poll::Ready(Some(Err(message))),
            Some(Step::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.log.borrow_mut().dropped = true;
    }
}

type Item = Option<Result<Bytes, RelayStreamError<&'static str>>>;

fn poll_once(stream: &mut RelayStream<Upstream>) -> Poll<Item> {
    let mut cx = Context::from_waker(noop_waker_ref());
    stream.poll_next_unpin(&mut cx)
}

/// Polls until the pieces of one read are out (the size hint's lower bound
/// counts those left) and joins them; anything else than a piece first is
/// passed on.
fn poll_read(stream: &mut RelayStream<Upstream>) -> Poll<Option<Result<Vec<u8>, String>>> {
    let mut joined = Vec::new();
    loop {
        match poll_once(stream) {
            Poll::Ready(Some(Ok(piece))) => {
                assert!(!piece.is_empty(), "no empty piece is yielded");
                joined.extend_from_slice(&piece);
                if stream.size_hint().0 == 0 {
                    return Poll::Ready(Some(Ok(joined)));
                }
            }
            other => {
                assert!(joined.is_empty(), "the pieces of a read are ready together");
                return match other {
                    Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.to_string()))),
                    Poll::Ready(_) => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                };
            }
        }
    }
}

const HELLO: &[u8] = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n";
const WORLD: &[u8] = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"}}]}\n\n";
const STOP: &[u8] = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
const DONE: &[u8] = b"data: [DONE]\n\n";

/// What a plain `Relay` gives after each read: the frames that read
/// completed.
fn relayed_per_read(reads: &[&[u8]]) -> Vec<Bytes> {
    let mut relay = Relay::default();
    let outputs: Vec<Bytes> = reads
        .iter()
        .map(|read| {
            relay.feed(Bytes::copy_from_slice(read)).unwrap();
            relay.output()
        })
        .collect();
    assert!(
        outputs.iter().all(|frames| !frames.is_empty()),
        "each read completes a frame"
    );
    outputs
}

/// The bytes a plain `Relay` gives for the reads in one piece: what the
/// adapter must give too, however the reads arrive.
fn relayed_whole(reads: &[&[u8]]) -> Vec<u8> {
    let mut relay = Relay::default();
    let mut out = Vec::new();
    for read in reads {
        relay.feed(Bytes::copy_from_slice(read)).unwrap();
        out.extend_from_slice(&relay.output());
    }
    relay.finish().unwrap();
    out.extend_from_slice(&relay.output());
    out
}

#[test]
fn yields_the_frames_of_a_read_before_polling_the_next() {
    let (upstream, log) = Upstream::new(vec![Step::Read(HELLO), Step::Read(WORLD)]);
    let mut stream = RelayStream::new(upstream, Relay::default());

    let Poll::Ready(Some(Ok(first))) = poll_read(&mut stream) else {
        panic!("the first read completes a frame");
    };
    let expected = relayed_per_read(&[HELLO, WORLD]);
    assert_eq!(first, expected[0]);
    assert_eq!(log.borrow().polls, 1, "only one read was polled");

    let Poll::Ready(Some(Ok(second))) = poll_read(&mut stream) else {
        panic!("the second read completes a frame");
    };
    assert_eq!(second, expected[1]);
    assert_eq!(log.borrow().polls, 2);
}

#[test]
fn a_read_that_completes_no_frame_polls_the_next_read_at_once() {
    let (head, tail) = HELLO.split_at(20);
    let (upstream, log) = Upstream::new(vec![Step::Read(head), Step::Read(tail)]);
    let mut stream = RelayStream::new(upstream, Relay::default());

    let Poll::Ready(Some(Ok(frame))) = poll_read(&mut stream) else {
        panic!("the two halves make one frame");
    };
    assert_eq!(frame, relayed_per_read(&[HELLO])[0]);
    assert_eq!(log.borrow().polls, 2);
}

#[test]
fn pending_upstream_is_pending_downstream_and_keeps_the_partial_event() {
    let (head, tail) = HELLO.split_at(30);
    let (upstream, _log) = Upstream::new(vec![Step::Read(head), Step::Pending, Step::Read(tail)]);
    let mut stream = RelayStream::new(upstream, Relay::default());

    assert!(poll_once(&mut stream).is_pending());
    let Poll::Ready(Some(Ok(frame))) = poll_read(&mut stream) else {
        panic!("the rest of the event arrives");
    };
    assert_eq!(frame, relayed_per_read(&[HELLO])[0]);
}

#[test]
fn at_the_end_finishes_the_relay_and_yields_its_last_frames() {
    let reads: [&[u8]; 3] = [HELLO, WORLD, STOP];
    // No `[DONE]` upstream: the relay writes it at finish.
    let (upstream, log) = Upstream::new(reads.iter().map(|read| Step::Read(read)).collect());
    let relayed = futures::executor::block_on(
        RelayStream::new(upstream, Relay::default()).collect::<Vec<_>>(),
    );
    let bytes: Vec<u8> = relayed
        .into_iter()
        .flat_map(|item| item.unwrap().to_vec())
        .collect();
    assert_eq!(bytes, relayed_whole(&reads));
    assert!(bytes.ends_with(DONE));
    assert!(log.borrow().dropped, "the upstream is dropped at its end");
}

#[test]
fn gives_what_the_relay_gives_for_every_split_of_the_stream() {
    let whole: Vec<u8> = [HELLO, WORLD, STOP, DONE].concat();
    let expected = relayed_whole(&[&whole]);
    let whole: &'static [u8] = Box::leak(whole.into_boxed_slice());
    for cut in 0..=whole.len() {
        let (head, tail) = whole.split_at(cut);
        let (upstream, _log) =
            Upstream::new(vec![Step::Read(head), Step::Pending, Step::Read(tail)]);
        let stream = RelayStream::new(upstream, Relay::default());
        let items = futures::executor::block_on(stream.collect::<Vec<_>>());
        assert!(
            items
                .iter()
                .all(|item| item.as_ref().is_ok_and(|frames| !frames.is_empty()))
        );
        let bytes: Vec<u8> = items
            .into_iter()
            .flat_map(|item| item.unwrap().to_vec())
            .collect();
        assert_eq!(bytes, expected, "cut at {cut}");
    }
}

#[test]
fn a_transport_error_is_yielded_apart_then_the_stream_ends() {
    let (upstream, log) = Upstream::new(vec![
        Step::Read(HELLO),
        Step::Fail("connection reset"),
        Step::Read(WORLD),
    ]);
    let mut stream = RelayStream::new(upstream, Relay::default());

    assert!(matches!(poll_read(&mut stream), Poll::Ready(Some(Ok(_)))));
    let Poll::Ready(Some(Err(RelayStreamError::Transport(message)))) = poll_once(&mut stream)
    else {
        panic!("the upstream's error, as the transport's");
    };
    assert_eq!(message, "connection reset");
    assert!(
        log.borrow().dropped,
        "the failed upstream is dropped at once"
    );
    assert!(matches!(poll_once(&mut stream), Poll::Ready(None)));
    assert!(matches!(poll_once(&mut stream), Poll::Ready(None)), "fused");
    assert_eq!(log.borrow().polls, 2, "nothing is read after the error");
}

#[test]
fn a_malformed_event_yields_the_frames_before_it_then_the_relay_error() {
    let bad: &'static [u8] = b"data: {\"choices\":[}\n\n";
    let read: &'static [u8] = Box::leak([HELLO, bad].concat().into_boxed_slice());
    let (upstream, log) = Upstream::new(vec![Step::Read(read), Step::Read(WORLD)]);
    let mut stream = RelayStream::new(upstream, Relay::default());

    let mut frame = Vec::new();
    let error = loop {
        match poll_once(&mut stream) {
            Poll::Ready(Some(Ok(piece))) => frame.extend_from_slice(&piece),
            Poll::Ready(Some(Err(RelayStreamError::Relay(error)))) => break error,
            other => panic!("the good event's frames, then the relay's error: {other:?}"),
        }
        assert!(
            log.borrow().dropped,
            "the upstream is dropped at the relay's error"
        );
    };
    assert_eq!(frame, relayed_per_read(&[HELLO])[0]);
    assert_eq!(error.kind(), ErrorKind::MalformedChunk);
    let bad_event = HELLO.len() as u64..read.len() as u64;
    assert!(
        bad_event.contains(&error.offset()),
        "{error} is in the bad event"
    );
    assert!(matches!(poll_once(&mut stream), Poll::Ready(None)));
    assert_eq!(log.borrow().polls, 1);
}

#[test]
fn dropping_the_stream_drops_the_upstream() {
    let (upstream, log) = Upstream::new(vec![Step::Read(HELLO), Step::Pending]);
    let mut stream = RelayStream::new(upstream, Relay::default());
    assert!(poll_read(&mut stream).is_ready());
    assert!(poll_once(&mut stream).is_pending());
    assert!(!log.borrow().dropped);
    drop(stream);
    assert!(log.borrow().dropped);
}

#[test]
fn the_relay_is_reachable_for_its_summary_after_the_end() {
    let reads: [&[u8]; 4] = [HELLO, WORLD, STOP, DONE];
    let (upstream, _log) = Upstream::new(reads.iter().map(|read| Step::Read(read)).collect());
    let mut stream = RelayStream::new(upstream, Relay::default());
    futures::executor::block_on(async {
        while let Some(item) = stream.next().await {
            item.unwrap();
        }
    });
    let summary = stream.relay().summary();
    assert_eq!(summary.content, "Hello world");
    assert_eq!(summary.finish_reason.as_deref(), Some("stop"));
    assert_eq!(stream.into_relay().events(), 4);
}

#[test]
fn an_unchanged_chunk_is_yielded_as_a_slice_of_its_read() {
    let (upstream, _log) = Upstream::new(vec![Step::Read(HELLO), Step::Read(WORLD)]);
    let mut stream = RelayStream::new(upstream, Relay::default());
    for read in [HELLO, WORLD] {
        let mut pieces = Vec::new();
        loop {
            let Poll::Ready(Some(Ok(piece))) = poll_once(&mut stream) else {
                panic!("each read completes a frame");
            };
            pieces.push(piece);
            if stream.size_hint().0 == 0 {
                break;
            }
        }
        let json = &read[b"data: ".len()..read.len() - 2];
        assert!(
            pieces
                .iter()
                .any(|piece| piece.as_ptr() == json.as_ptr() && piece[..] == *json),
            "the chunk's JSON is the read's own bytes: {pieces:?}"
        );
    }
}

#[test]
fn the_size_hint_counts_the_pieces_ready_and_the_end() {
    let (upstream, _log) = Upstream::new(vec![Step::Read(HELLO)]);
    let mut stream = RelayStream::new(upstream, Relay::default());
    assert_eq!(stream.size_hint(), (0, None));
    assert!(poll_once(&mut stream).is_ready());
    let (ready, more) = stream.size_hint();
    assert!(ready > 0 && more.is_none(), "{ready} {more:?}");
    assert!(matches!(poll_read(&mut stream), Poll::Ready(Some(Ok(_)))));
    // The upstream's end: finish's frames are the last.
    assert!(matches!(poll_read(&mut stream), Poll::Ready(Some(Ok(_)))));
    assert_eq!(stream.size_hint(), (0, Some(0)));
    assert!(stream.is_terminated());
    assert!(matches!(poll_once(&mut stream), Poll::Ready(None)));
}
