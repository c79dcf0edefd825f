//! The handles' safety net: a tag that tells a live handle from a NULL, a
//! freed or a foreign one and lets one call in at a time, and the
//! `catch_unwind` that every entry point goes through.
//!
//! A handle's first word is its tag: `LIVE` between calls, `LIVE + 1`
//! (busy) during a call, `LIVE + 2` (poisoned) after a panic, and 0 once
//! freed. A call swaps `LIVE` for busy atomically on entry and puts it back
//! on return, so a second thread on the same handle sees busy and is turned
//! away, and the call has the state to itself. A relay's and a scanner's
//! `LIVE` differ, so one passed for the other is refused. A freed handle is
//! refused as long as its memory still holds the cleared tag (or whatever
//! the allocator wrote there); once the memory is reused, nothing can tell,
//! and using it is the caller's bug.

use std::cell::UnsafeCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

use std::ffi::c_char;

use crate::ffi::{Refusal, argstream_status, write_message, write_out};

/// A handle's state behind its tag. `repr(C)`, so that the tag is the
/// first word of every handle type and can be read before the type is
/// known to be right (each type asserts that its handle starts it).
#[repr(C)]
pub(crate) struct Handle<T> {
    tag: AtomicU64,
    state: UnsafeCell<T>,
}

/// A handle type of the ABI (`argstream_relay`, `argstream_scanner`): a
/// struct around one [`Handle`] at offset 0, opaque to C.
pub(crate) trait Opaque: Sized {
    /// What the handle holds.
    type State: Send;
    /// Eight ASCII bytes naming the type; busy and poisoned are this plus
    /// 1 and 2.
    const LIVE: u64;
    /// The struct around `handle`.
    fn wrap(handle: Handle<Self::State>) -> Self;
    /// The handle inside.
    fn handle(&self) -> &Handle<Self::State>;
}

const FREED: u64 = 0;

/// A live handle on the heap, owned by the caller until [`free`].
pub(crate) fn into_raw<H: Opaque>(state: H::State) -> *mut H {
    Box::into_raw(Box::new(H::wrap(Handle {
        tag: AtomicU64::new(H::LIVE),
        state: UnsafeCell::new(state),
    })))
}

/// Ends a _new function: writes a new handle holding `made` to `out`, or
/// the refusal (or that `out` is NULL) to the caller's message buffer.
///
/// # Safety
/// `out` is NULL or valid for a write of a pointer; `message` is NULL or
/// valid for writes of `capacity` bytes.
pub(crate) unsafe fn hand_out<H: Opaque>(
    out: *mut *mut H,
    made: Result<H::State, Refusal>,
    message: *mut c_char,
    capacity: usize,
) -> argstream_status {
    let refused = match made {
        Ok(state) => {
            let new = into_raw::<H>(state);
            // SAFETY: the caller's guarantee for `out`.
            if unsafe { write_out(out, new) } {
                return argstream_status::Ok;
            }
            // SAFETY: `new` was made just now and never handed out.
            unsafe { free(new) };
            "the out-parameter for the handle is NULL".to_owned()
        }
        Err(refused) => refused,
    };
    // SAFETY: the caller's guarantee for `message`.
    unsafe { write_message(message, capacity, &refused) };
    argstream_status::InvalidArgument
}

/// Runs `body`, turning a panic into [`argstream_status::Panic`]: no
/// unwinding ever crosses into C.
pub(crate) fn guarded(body: impl FnOnce() -> argstream_status) -> argstream_status {
    panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or(argstream_status::Panic)
}

/// Runs `body` on the state of `handle`, with the handle marked busy for
/// the call; refuses a NULL, misaligned, freed, foreign, busy or poisoned
/// handle. A panic in `body` poisons the handle.
///
/// # Safety
/// `handle` is NULL or was returned by [`into_raw`] for this `H` (that is
/// what the tag checks, as far as it can) and not freed.
pub(crate) unsafe fn with_state<H: Opaque>(
    handle: *const H,
    body: impl FnOnce(&mut H::State) -> argstream_status,
) -> argstream_status {
    guarded(|| {
        if handle.is_null() || !handle.is_aligned() {
            return argstream_status::InvalidHandle;
        }
        // SAFETY: not NULL and aligned, and the caller guarantees a handle
        // made by `into_raw`, of this type or the other: both start with
        // their tag.
        let tag = unsafe { tag_of(handle) };
        if let Err(status) = enter(tag, H::LIVE) {
            return status;
        }
        let exit = Exit(tag, H::LIVE);
        // SAFETY: the tag is this type's, so `handle` is an `H` made by
        // `into_raw` and not freed.
        let handle = unsafe { &*handle }.handle();
        // SAFETY: the tag went from LIVE to busy in this call, and every
        // other entry (calls and `free`) refuses a busy handle, so this is
        // the only reference to the state until `exit` puts LIVE back.
        let state = unsafe { &mut *handle.state.get() };
        let status = body(state);
        drop(exit);
        status
    })
}

/// Frees `handle`: NULL is a no-op, as for C's free(); a busy, freed or
/// foreign handle is refused and left alone.
///
/// # Safety
/// As for [`with_state`]; after `Ok` the handle must not be used again.
pub(crate) unsafe fn free<H: Opaque>(handle: *mut H) -> argstream_status {
    guarded(|| {
        if handle.is_null() {
            return argstream_status::Ok;
        }
        if !handle.is_aligned() {
            return argstream_status::InvalidHandle;
        }
        // SAFETY: as in `with_state`.
        let tag = unsafe { tag_of(handle) };
        for from in [H::LIVE, H::LIVE + 2] {
            match tag.compare_exchange(from, FREED, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => {
                    // SAFETY: made by `Box::into_raw` in `into_raw` (the tag
                    // was live or poisoned, never freed before: a second
                    // free sees FREED), and no call is in it (not busy).
                    drop(unsafe { Box::from_raw(handle) });
                    return argstream_status::Ok;
                }
                Err(seen) if seen == H::LIVE + 1 => return argstream_status::Busy,
                Err(_) => {}
            }
        }
        argstream_status::InvalidHandle
    })
}

/// The tag of a handle of either type, read without knowing which.
///
/// # Safety
/// `handle` is not NULL, aligned, and points to a handle made by
/// [`into_raw`] (of any type) and not freed.
unsafe fn tag_of<'a, H: Opaque>(handle: *const H) -> &'a AtomicU64 {
    // SAFETY: every handle type starts with its `Handle` (asserted where
    // the type is defined), which starts with the tag (`repr(C)`), so the
    // first word of any live handle is an initialised AtomicU64; the
    // reference is used only within the call.
    unsafe { &*handle.cast::<AtomicU64>() }
}

/// Marks a live handle busy, or says why it cannot be entered.
fn enter(tag: &AtomicU64, live: u64) -> Result<(), argstream_status> {
    match tag.compare_exchange(live, live + 1, Ordering::Acquire, Ordering::Relaxed) {
        Ok(_) => Ok(()),
        Err(seen) if seen == live + 1 => Err(argstream_status::Busy),
        Err(seen) if seen == live + 2 => Err(argstream_status::Panic),
        Err(_) => Err(argstream_status::InvalidHandle),
    }
}

/// Marks the handle live again when the call returns, or poisoned when it
/// unwinds: a panic may have left the state half-changed.
struct Exit<'a>(&'a AtomicU64, u64);

impl Drop for Exit<'_> {
    fn drop(&mut self) {
        let tag = if std::thread::panicking() {
            self.1 + 2
        } else {
            self.1
        };
        self.0.store(tag, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter {
        handle: Handle<u32>,
    }

    impl Opaque for Counter {
        type State = u32;
        const LIVE: u64 = u64::from_be_bytes(*b"testCNTR");

        fn wrap(handle: Handle<u32>) -> Counter {
            Counter { handle }
        }

        fn handle(&self) -> &Handle<u32> {
            &self.handle
        }
    }

    fn bump(counter: *mut Counter) -> argstream_status {
        // SAFETY: the tests pass live counters or NULL.
        unsafe {
            with_state(counter, |n| {
                *n += 1;
                argstream_status::Ok
            })
        }
    }

    #[test]
    fn a_call_from_inside_a_call_is_busy() {
        let counter = into_raw::<Counter>(0);
        // SAFETY: a live counter, entered again from inside its own call:
        // the inner call must be refused before it touches the state.
        let inner = unsafe { with_state(counter, |_| bump(counter)) };
        assert_eq!(inner, argstream_status::Busy);
        // SAFETY: as above; `free` while busy is refused too.
        let freed_inside = unsafe { with_state(counter, |_| free(counter)) };
        assert_eq!(freed_inside, argstream_status::Busy);
        assert_eq!(bump(counter), argstream_status::Ok);
        // SAFETY: live, not busy, not used after.
        assert_eq!(unsafe { free(counter) }, argstream_status::Ok);
    }

    #[test]
    fn a_panic_poisons_the_handle_and_free_still_frees_it() {
        let counter = into_raw::<Counter>(0);
        // SAFETY: a live counter.
        let panicked = unsafe { with_state(counter, |_| panic!("a bug")) };
        assert_eq!(panicked, argstream_status::Panic);
        assert_eq!(bump(counter), argstream_status::Panic);
        // SAFETY: poisoned but not freed; not used after.
        assert_eq!(unsafe { free(counter) }, argstream_status::Ok);
    }

    #[test]
    fn null_is_an_invalid_handle_and_freeing_it_is_a_no_op() {
        assert_eq!(bump(std::ptr::null_mut()), argstream_status::InvalidHandle);
        // SAFETY: NULL.
        assert_eq!(
            unsafe { free::<Counter>(std::ptr::null_mut()) },
            argstream_status::Ok
        );
    }
}
