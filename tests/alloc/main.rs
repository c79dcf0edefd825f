//! The relay allocates nothing per event once warm, counted by a global
//! allocator that this binary alone installs. Each test counts the
//! allocations of its own thread, so the tests may run side by side.

#[path = "../common/counting_alloc.rs"]
mod counting_alloc;

mod format_pairs;
mod frames;
mod steady_state;
