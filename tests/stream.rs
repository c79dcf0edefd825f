//! `RelayStream`: the relay driven by a hand-made upstream stream, checked
//! for what it yields after each read, what it polls, and what it drops.
#![cfg(feature = "stream")]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use argstream::{ErrorKind, Relay, RelayStream, RelayStreamError};
use bytes::Bytes;
use futures::StreamExt as _;
use futures::stream::Stream;
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

    let Poll::Ready(Some(Ok(first))) = poll_once(&mut stream) else {
        panic!("the first read completes a frame");
    };
    let expected = relayed_per_read(&[HELLO, WORLD]);
    assert_eq!(first, expected[0]);
    assert_eq!(log.borrow().polls, 1, "only one read was polled");

    let Poll::Ready(Some(Ok(second))) = poll_once(&mut stream) else {
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

    let Poll::Ready(Some(Ok(frame))) = poll_once(&mut stream) else {
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
    let Poll::Ready(Some(Ok(frame))) = poll_once(&mut stream) else {
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

    assert!(matches!(poll_once(&mut stream), Poll::Ready(Some(Ok(_)))));
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

    let Poll::Ready(Some(Ok(frame))) = poll_once(&mut stream) else {
        panic!("the good event before the bad one is relayed");
    };
    assert_eq!(frame, relayed_per_read(&[HELLO])[0]);
    assert!(
        log.borrow().dropped,
        "the upstream is dropped at the relay's error"
    );
    let Poll::Ready(Some(Err(RelayStreamError::Relay(error)))) = poll_once(&mut stream) else {
        panic!("then the relay's own error");
    };
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
    assert!(poll_once(&mut stream).is_ready());
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
