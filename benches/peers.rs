//! argstream beside its peers on the same inputs, one group per workload
//! (see `src/workloads.rs` for the inputs and what each side runs):
//!
//! - `w1_jsonmodem_bench`: jsonmodem's published benchmark, `response_large.json`
//!   in 100, 1,000 and 5,000 fragments, tracking `"analysis"`;
//! - `w2_voice_4B`: a voice agent's `pre_exec_msg` in 4-byte fragments;
//! - `w3_one_piece`: whole documents checked in one piece;
//! - `w4_relay`: the recorded OpenAI-compatible streams relayed.
//!
//! `cargo bench [-- w2]` at the root (with `scan.rs`), or `cargo bench -p
//! argstream-compare --bench peers [-- w2]`. The re-parsing peers are quadratic, so
//! the groups use flat sampling: ten runs each, however slow.

use std::hint::black_box;
use std::time::Duration;

use argstream::{KeyScanner, Relay};
use argstream_compare::workloads::*;
use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

/// A group with short, flat sampling: the machine is shared.
fn quick<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sampling_mode(SamplingMode::Flat);
    group
}

fn w1(c: &mut Criterion) {
    let doc = response_large();
    let mut group = quick(c, "w1_jsonmodem_bench");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    let mut tracker = ArgstreamTracker::new(W1_KEY);
    for n in [100, 1_000, 5_000] {
        let bytes = byte_pieces(&doc, &equal_cuts(&doc, n, false));
        let text = str_pieces(&doc, &equal_cuts(&doc, n, true));
        group.bench_function(format!("argstream/{n}"), |b| {
            b.iter(|| tracker.run(black_box(&bytes)))
        });
        group.bench_function(format!("jsonmodem/{n}"), |b| {
            b.iter(|| jsonmodem_track(black_box(&text), W1_KEY))
        });
        group.bench_function(format!("jiter_reparse/{n}"), |b| {
            b.iter(|| jiter_reparse(black_box(&text), W1_KEY))
        });
    }
    group.finish();
}

fn w2(c: &mut Criterion) {
    let mut group = quick(c, "w2_voice_4B");
    let mut tracker = ArgstreamTracker::new(W2_KEY);
    for kib in [4, 16, 64, 1024] {
        let doc = voice_arguments(kib << 10);
        group.throughput(Throughput::Bytes(doc.len() as u64));
        let bytes = byte_pieces(&doc, &fixed_cuts(&doc, 4, false));
        let text = str_pieces(&doc, &fixed_cuts(&doc, 4, true));
        group.bench_function(format!("argstream/{kib}KiB"), |b| {
            b.iter(|| tracker.run(black_box(&bytes)))
        });
        if kib > 64 {
            continue;
        }
        group.bench_function(format!("jsonmodem/{kib}KiB"), |b| {
            b.iter(|| jsonmodem_track(black_box(&text), W2_KEY))
        });
        group.bench_function(format!("jiter_reparse/{kib}KiB"), |b| {
            b.iter(|| jiter_reparse(black_box(&text), W2_KEY))
        });
        group.bench_function(format!("serde_json_naive/{kib}KiB"), |b| {
            b.iter(|| serde_naive(black_box(&text)))
        });
    }
    group.finish();
}

fn w3(c: &mut Criterion) {
    let mut group = quick(c, "w3_one_piece");
    let inputs = [
        ("big.json", read_testdata("bench/big.json")),
        (
            "medium_response.json",
            read_testdata("bench/medium_response.json"),
        ),
        ("string_16MiB", voice_arguments(16 << 20)),
    ];
    let mut scanner = KeyScanner::new(&[W2_KEY]);
    let mut buffers = simd_json::Buffers::default();
    for (name, doc) in &inputs {
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(format!("argstream/{name}"), |b| {
            b.iter(|| argstream_validate(&mut scanner, black_box(doc)))
        });
        group.bench_function(format!("serde_json_ignored_any/{name}"), |b| {
            b.iter(|| serde_ignored(black_box(doc)))
        });
        group.bench_function(format!("simd_json_tape/{name}"), |b| {
            b.iter_batched_ref(
                || doc.clone(),
                |copy| simd_json_tape(copy, &mut buffers),
                BatchSize::LargeInput,
            )
        });
        group.bench_function(format!("jiter_value/{name}"), |b| {
            b.iter(|| jiter_value(black_box(doc)))
        });
        group.bench_function(format!("memchr2/{name}"), |b| {
            b.iter(|| memchr2_count(black_box(doc)))
        });
    }
    group.finish();
}

fn w4(c: &mut Criterion) {
    let corpus = Corpus::load();
    let mut group = quick(c, "w4_relay");
    group.throughput(Throughput::Bytes(corpus.total_bytes() as u64));
    let mut relay = Relay::new(&corpus.keys);
    group.bench_function("argstream_relay", |b| {
        b.iter(|| relay_corpus(&mut relay, black_box(&corpus)))
    });
    group.bench_function("eventsource_stream+serde_json", |b| {
        b.iter(|| eventsource_corpus(black_box(&corpus), None))
    });
    group.bench_function("sse_stream+serde_json", |b| {
        b.iter(|| sse_stream_corpus(black_box(&corpus), None))
    });
    group.bench_function("argstream_relay_fresh_4096", |b| {
        b.iter(|| relay_corpus_fresh(black_box(&corpus), 4096))
    });
    group.bench_function("sse_stream+serde_json_4096", |b| {
        b.iter(|| sse_stream_corpus(black_box(&corpus), Some(4096)))
    });
    group.finish();
}

criterion_group!(benches, w1, w2, w3, w4);
criterion_main!(benches);
