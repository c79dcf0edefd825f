//! The WHATWG reference decoder, shared with the main crate's `tests/sse/main.rs`
//! (the file lives in its `tests/common/`), and a driver that runs
//! [`SseDecoder`] over a stream cut by a fragmentation plan.

use argstream::{Error, SseDecoder};
use bytes::Bytes;

use crate::plan::pieces;

#[path = "../../tests/common/sse_reference.rs"]
mod whatwg;

pub use whatwg::{Event, Outcome, reference};

/// What [`SseDecoder`] gave for a stream: the events it dispatched, and
/// either the final state or the error it stopped at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The events dispatched before the end or the error.
    pub events: Vec<Event>,
    /// The final state, or the error.
    pub end: Result<(Vec<u8>, Option<u64>, bool), Error>,
}

impl Decoded {
    /// As an [`Outcome`], when the decoder did not fail.
    pub fn outcome(&self) -> Result<Outcome, Error> {
        let (last_event_id, retry, partial) = self.end.clone()?;
        Ok(Outcome {
            events: self.events.clone(),
            last_event_id,
            retry,
            partial,
        })
    }
}

/// Runs `decoder` over `stream` fed in the pieces `plan` gives (as slices of
/// one `Bytes`, as a body's reads arrive), draining after each, then
/// finishes and drains.
pub fn decode(mut decoder: SseDecoder, stream: &[u8], plan: &[u8]) -> Decoded {
    let body = Bytes::copy_from_slice(stream);
    let mut events = Vec::new();
    let drain = |decoder: &mut SseDecoder, events: &mut Vec<Event>| -> Result<(), Error> {
        while let Some(event) = decoder.next_event()? {
            events.push(Event::from(event));
        }
        Ok(())
    };
    for piece in pieces(stream.len(), plan) {
        decoder.feed(body.slice(piece));
        if let Err(error) = drain(&mut decoder, &mut events) {
            return Decoded {
                events,
                end: Err(error),
            };
        }
    }
    decoder.finish();
    let end = drain(&mut decoder, &mut events).map(|()| {
        (
            decoder.last_event_id().to_vec(),
            decoder.retry(),
            decoder.has_partial_event(),
        )
    });
    Decoded { events, end }
}
