//! argstream beside its peer crates, on the same inputs, in one process.
//!
//! A workspace member of its own, so the peers (jsonmodem, jiter,
//! eventsource-stream, sse-stream, simd-json as a checker) are built only
//! for the comparisons and never for the library's tests or examples.
//!
//! - `cargo run --release -p argstream-compare -- [--quick] [--only w1,w2,w3,w4] [--chart PATH]`
//!   prints the report (`src/main.rs`);
//! - `cargo bench -p argstream-compare --bench peers` runs the same
//!   workloads as criterion groups, and `--bench scan` the scanner beside
//!   `memchr2`; a plain `cargo bench` at the repository's root runs both
//!   (`benches/comparisons.rs`).
//!
//! [`workloads`] holds the inputs and the code each side runs.

pub mod workloads;
