//! A global allocator that counts allocations and reallocations, for the
//! binaries that check steady-state loops allocate nothing (tests/alloc,
//! the report in `compare/`). Included with `#[path]` into each such
//! binary, not through `common`, so only they install it. Only threads that
//! call [`watch_this_thread`] are counted, so the test harness's own threads
//! (output capture, the main thread) cannot disturb a count; and each
//! watched thread also has a count of its own ([`this_thread`]), so tests
//! that count in parallel, each on its thread, do not see each other's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Allocations and reallocations so far, on the watched threads.
pub static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static WATCHED: Cell<bool> = const { Cell::new(false) };
    static THIS_THREAD: Cell<usize> = const { Cell::new(0) };
}

/// Counts this thread's allocations from now on.
pub fn watch_this_thread() {
    WATCHED.with(|watched| watched.set(true));
}

/// Allocations and reallocations so far on this thread, if it is watched.
#[allow(dead_code)]
pub fn this_thread() -> usize {
    THIS_THREAD.with(Cell::get)
}

fn count() {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    if WATCHED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        let _ = THIS_THREAD.try_with(|count| count.set(count.get() + 1));
    }
}

struct Counting;

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counter has no effect on the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees about `layout`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;
