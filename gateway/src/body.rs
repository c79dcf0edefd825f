//! A request body read whole into one buffer, within its limits.
//!
//! hyper hands the body over in the pieces it parsed, each a slice of its
//! own read buffer: a piece of one byte keeps that whole buffer alive, and
//! a new one is made for the next read. Collecting the pieces, as
//! `axum::body::to_bytes` does, made a body sent a byte at a time hold some
//! KiB for each of its bytes. Here each piece is copied into one buffer and
//! dropped at once, so that hyper reuses its read buffer, and a body holds
//! about its own size.

use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt as _;

/// The most a buffer starts with before any byte came: a declared length
/// past it is taken as a bound, not allocated up front, so that a client
/// that declares a large body and sends little costs what it sent.
const FIRST_CAPACITY: usize = 64 << 10;

/// The time a body has before its rate counts: a short body is never cut
/// off for coming in a few slow pieces.
pub const RATE_GRACE: Duration = Duration::from_secs(1);

/// What a body may be.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// The most bytes taken.
    pub max_bytes: usize,
    /// The least bytes a second it must average once [`RATE_GRACE`] has
    /// passed; 0 for no rate.
    pub min_bytes_per_sec: u64,
    /// When it must be whole.
    pub deadline: Instant,
}

/// Why a body was not read whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// It declared, or brought, more than the limit.
    TooLarge,
    /// It was not whole by the deadline.
    TimedOut,
    /// It came more slowly than the least rate.
    TooSlow,
    /// The connection failed, or the body's framing was broken.
    Unreadable,
}

/// Reads `body`, of `declared` bytes when the request said so, into one
/// buffer, piece by piece, within `limits`.
///
/// # Errors
/// [`BodyError`] as soon as a limit is passed; the pieces read so far are
/// dropped with the buffer.
pub async fn read(
    body: Body,
    declared: Option<u64>,
    limits: BodyLimits,
) -> Result<Bytes, BodyError> {
    let bound = match declared {
        Some(length) => match usize::try_from(length) {
            Ok(length) if length <= limits.max_bytes => length,
            _ => return Err(BodyError::TooLarge),
        },
        None => limits.max_bytes,
    };
    let started = Instant::now();
    let mut buffer = Vec::with_capacity(bound.min(FIRST_CAPACITY));
    let mut pieces = body.into_data_stream();
    loop {
        let (wait_until, fault) = match due(started, buffer.len(), limits.min_bytes_per_sec) {
            Some(due) if due < limits.deadline => (due, BodyError::TooSlow),
            _ => (limits.deadline, BodyError::TimedOut),
        };
        let piece = match tokio::time::timeout_at(wait_until.into(), pieces.next()).await {
            Err(_) => return Err(fault),
            Ok(None) => return Ok(Bytes::from(buffer)),
            Ok(Some(Err(_))) => return Err(BodyError::Unreadable),
            Ok(Some(Ok(piece))) => piece,
        };
        if piece.len() > bound - buffer.len() {
            return Err(BodyError::TooLarge);
        }
        if piece.len() > buffer.capacity() - buffer.len() {
            // Doubling, within the bound: a body holds at most twice its
            // size, and is copied a few times, not once a piece.
            let wanted = (buffer.len() + piece.len()).max(buffer.capacity() * 2);
            buffer.reserve_exact(wanted.min(bound) - buffer.len());
        }
        buffer.extend_from_slice(&piece);
        // `piece` goes here, and with it the last hold on hyper's buffer.
    }
}

/// When a body that has brought `received` bytes since `started` falls
/// below `per_sec` on average (after the grace): the latest its next piece
/// may come. `None` for no rate, or one so far off that only the
/// deadline counts.
fn due(started: Instant, received: usize, per_sec: u64) -> Option<Instant> {
    if per_sec == 0 {
        return None;
    }
    let seconds = received as f64 / per_sec as f64;
    // Far past any deadline once it is this large: no due time to keep.
    let allowed = Duration::try_from_secs_f64(seconds).ok()?;
    started.checked_add(RATE_GRACE + allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_bytes: usize, min_bytes_per_sec: u64) -> BodyLimits {
        BodyLimits {
            max_bytes,
            min_bytes_per_sec,
            deadline: Instant::now() + Duration::from_secs(10),
        }
    }

    /// A body of `pieces`, each its own frame.
    fn body_of(pieces: &[&'static [u8]]) -> Body {
        let pieces: Vec<Result<Bytes, std::io::Error>> = pieces
            .iter()
            .map(|piece| Ok(Bytes::from_static(piece)))
            .collect();
        Body::from_stream(futures_util::stream::iter(pieces))
    }

    #[tokio::test]
    async fn pieces_are_joined_in_order() {
        let pieces: [&[u8]; 4] = [b"{\"a\"", b":", b"", b"1}"];
        let got = read(body_of(&pieces), Some(7), limits(100, 1)).await;
        assert_eq!(got.unwrap(), &b"{\"a\":1}"[..]);
        let got = read(body_of(&pieces), None, limits(7, 0)).await;
        assert_eq!(got.unwrap(), &b"{\"a\":1}"[..]);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_declared_or_not() {
        assert_eq!(
            read(body_of(&[b"12345678"]), None, limits(7, 0)).await,
            Err(BodyError::TooLarge)
        );
        // Declared too large: refused before any byte is read.
        assert_eq!(
            read(body_of(&[]), Some(8), limits(7, 0)).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(
            read(body_of(&[]), Some(u64::MAX), limits(7, 0)).await,
            Err(BodyError::TooLarge)
        );
    }

    #[test]
    fn the_due_time_grows_with_what_came() {
        let started = Instant::now();
        assert_eq!(due(started, 5, 0), None);
        assert_eq!(due(started, 0, 100), Some(started + RATE_GRACE));
        assert_eq!(
            due(started, 250, 100),
            Some(started + RATE_GRACE + Duration::from_millis(2500))
        );
        // So far off that only the deadline counts.
        assert!(due(started, usize::MAX, 1).is_none_or(|due| due > started));
    }
}
