//! argstream's side of one workload, repeated, and nothing else: the binary
//! to run under `valgrind --tool=callgrind`, whose instruction counts stay
//! stable on a shared machine where timings do not.
//!
//! ```sh
//! cargo build --release -p argstream-compare --example profile
//! valgrind --tool=callgrind target/release/examples/profile w3-medium 2000
//! ```
//!
//! Workloads: `w1-1000`, `w1-5000`, `w2-4k`, `w2-16k` (with `-events`:
//! through `next_event` rather than `push_text`), `w3-big`,
//! `w3-medium`, `w3-string`, `w4` (the chat corpus in one read a stream,
//! relay reset), `w4-anthropic`, `w4-responses`, the same with a new relay
//! a stream in 4096-byte reads (`w4-fresh`, `w4-fresh-anthropic`,
//! `w4-fresh-responses`), and the yardsticks: serde_json's side of W3
//! (`serde-big`, `serde-medium`) and W4's sse-stream + serde_json path
//! (`naive-w4`, `naive-w4-fresh`, with the same suffixes); and for the
//! same-format bound, the streams without calls relayed in their own
//! format (`same-w4`, `same-w4-anthropic`) beside the SSE decode alone
//! (`sse-w4`, `sse-w4-anthropic`); and every pair of a corpus and an
//! output, calls forwarded (`pair-chat-anthropic`, `pair-responses-gemini`,
//! ...: a corpus of `chat`, `anthropic`, `responses` or `gemini`, an
//! output's name).
//! The repetitions default to 100.

use std::hint::black_box;

use argstream::{KeyScanner, Relay};
use argstream_compare::workloads::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map_or("w3-medium", String::as_str);
    let reps: usize = args.get(1).map_or(100, |n| n.parse().expect("a count"));
    // The upstream events relayed, for a count of instructions an event.
    let mut events = 0;
    let mut counted = |(written, n): (usize, u64)| {
        events += n;
        written
    };
    let total: usize = match name {
        "w1-1000" | "w1-5000" => {
            let doc = response_large();
            let n = if name == "w1-1000" { 1_000 } else { 5_000 };
            let pieces = byte_pieces(&doc, &equal_cuts(&doc, n, false));
            let mut tracker = ArgstreamTracker::new(W1_KEY);
            (0..reps).map(|_| tracker.run(black_box(&pieces))).sum()
        }
        "w2-4k" | "w2-16k" | "w2-4k-events" | "w2-16k-events" => {
            let doc = voice_arguments(if name.starts_with("w2-4k") {
                4 << 10
            } else {
                16 << 10
            });
            let pieces = byte_pieces(&doc, &fixed_cuts(&doc, 4, false));
            let mut tracker = ArgstreamTracker::new(W2_KEY);
            if name.ends_with("-events") {
                (0..reps)
                    .map(|_| tracker.run_events(black_box(&pieces)))
                    .sum()
            } else {
                (0..reps).map(|_| tracker.run(black_box(&pieces))).sum()
            }
        }
        "w3-big" | "w3-medium" | "w3-string" => {
            let doc = match name {
                "w3-big" => read_testdata("bench/big.json"),
                "w3-medium" => read_testdata("bench/medium_response.json"),
                _ => voice_arguments(16 << 20),
            };
            let mut scanner = KeyScanner::new(&[W2_KEY]);
            (0..reps)
                .map(|_| argstream_validate(&mut scanner, black_box(&doc)))
                .sum()
        }
        "serde-big" | "serde-medium" => {
            let doc = read_testdata(if name == "serde-big" {
                "bench/big.json"
            } else {
                "bench/medium_response.json"
            });
            (0..reps)
                .map(|_| usize::from(serde_ignored(black_box(&doc))))
                .sum()
        }
        "w4" | "w4-anthropic" | "w4-responses" => {
            let corpus = Corpus::load_format(w4_format(name));
            let mut relay = Relay::new(&corpus.keys);
            (0..reps)
                .map(|_| counted(relay_corpus(&mut relay, black_box(&corpus))))
                .sum()
        }
        "w4-fresh" | "w4-fresh-anthropic" | "w4-fresh-responses" => {
            let corpus = Corpus::load_format(w4_format(name));
            (0..reps)
                .map(|_| counted(relay_corpus_fresh(black_box(&corpus), 4096)))
                .sum()
        }
        "naive-w4" | "naive-w4-anthropic" | "naive-w4-responses" => {
            let corpus = Corpus::load_format(w4_format(name));
            (0..reps)
                .map(|_| sse_stream_corpus(black_box(&corpus), None).0)
                .sum()
        }
        "naive-w4-fresh" | "naive-w4-fresh-anthropic" | "naive-w4-fresh-responses" => {
            let corpus = Corpus::load_format(w4_format(name));
            (0..reps)
                .map(|_| sse_stream_corpus(black_box(&corpus), Some(4096)).0)
                .sum()
        }
        "same-w4" | "same-w4-anthropic" => {
            let corpus = Corpus::load_format(w4_format(name)).without_calls();
            let mut relay = Relay::new(&corpus.keys).with_output(corpus.own_output());
            (0..reps)
                .map(|_| relay_corpus(&mut relay, black_box(&corpus)).0)
                .sum()
        }
        "sse-w4" | "sse-w4-anthropic" => {
            let corpus = Corpus::load_format(w4_format(name)).without_calls();
            let mut decoder = argstream::SseDecoder::new();
            (0..reps)
                .map(|_| sse_decode_corpus(&mut decoder, black_box(&corpus)).0)
                .sum()
        }
        pair if pair.starts_with("pair-") => {
            let (corpus, output) = pair_workload(pair);
            let corpus = Corpus::load_format(corpus);
            let mut relay = Relay::new(&corpus.keys)
                .with_output(output)
                .with_tool_calls(argstream::ToolCallMode::Forward);
            (0..reps)
                .map(|_| counted(relay_corpus(&mut relay, black_box(&corpus))))
                .sum()
        }
        other => panic!("unknown workload {other}"),
    };
    println!("{name} x{reps}: {total}, {events} upstream events");
}

/// The corpus and the output of a `pair-<corpus>-<output>` workload: a
/// corpus of `chat`, `anthropic`, `responses` or `gemini`, an output
/// format's name.
fn pair_workload(name: &str) -> (Upstream, argstream::OutputFormat) {
    let rest = &name["pair-".len()..];
    let (corpus, output) = rest.split_once('-').expect("pair-<corpus>-<output>");
    let corpus = match corpus {
        "chat" => Upstream::Chat,
        "anthropic" => Upstream::Anthropic,
        "responses" => Upstream::Responses,
        "gemini" => Upstream::Gemini,
        other => panic!("unknown corpus {other}"),
    };
    (corpus, output.parse().expect("an output format"))
}

/// The corpus a `w4` workload relays.
fn w4_format(name: &str) -> Upstream {
    if name.ends_with("anthropic") {
        Upstream::Anthropic
    } else if name.ends_with("responses") {
        Upstream::Responses
    } else {
        Upstream::Chat
    }
}
