//! `cargo bench` at the root: runs the criterion groups beside this file,
//! `peers.rs` and `scan.rs`, through the compare/ member that builds them.
//!
//! The groups measure argstream beside its peers (jiter, jsonmodem,
//! simd-json, serde_json, the SSE crates) and run on criterion, and Cargo
//! has no dependencies for benches alone: were the groups the core's own
//! targets, the peers would be the core's dev-dependencies, and a plain
//! `cargo test` or `cargo run --example relay` would build them all. So
//! the groups stay targets of `argstream-compare`, and this target, which
//! depends on nothing, hands `cargo bench` over to it:
//!
//! ```sh
//! cargo bench                                # every group
//! cargo bench -- w2                          # criterion's filter, as ever
//! cargo bench -- --quick                     # criterion's options too
//! ```
//!
//! It runs the same Cargo with `cargo bench -p argstream-compare --bench
//! peers --bench scan -- <the arguments given>`, in the same target
//! directory: Cargo has released the build directory's lock once the
//! bench binaries are built, before it runs them. Under `cargo test
//! --benches` (no `--bench` argument) it runs nothing, since the
//! comparisons would build every peer for a smoke test.

use std::env;
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<OsString> = env::args_os().skip(1).collect();
    // Cargo passes `--bench` to a benchmark run and leaves it out when it
    // runs the target as a test; the nested `cargo bench` passes its own.
    if !args.iter().any(|arg| arg == "--bench") {
        println!("the comparisons run under `cargo bench`; nothing to test here");
        return ExitCode::SUCCESS;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    if !Path::new(root).join("compare/Cargo.toml").is_file() {
        eprintln!("the comparisons are the repository's compare/ member, which this copy lacks");
        return ExitCode::FAILURE;
    }
    let forwarded = args.iter().filter(|arg| *arg != "--bench");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let status = Command::new(cargo)
        .arg("bench")
        .arg("--manifest-path")
        .arg(Path::new(root).join("Cargo.toml"))
        .args([
            "-p",
            "argstream-compare",
            "--bench",
            "peers",
            "--bench",
            "scan",
        ])
        .arg("--")
        .args(forwarded)
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("cargo bench -p argstream-compare: {status}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("could not run cargo: {error}");
            ExitCode::FAILURE
        }
    }
}
