//! The key scanner alone: escape-free string text in one piece beside the
//! physical reference (`memchr2` over the same bytes, which is the least any
//! JSON string reader must do), and the same argument in 4-byte fragments.
//!
//! `cargo bench` at the root (with `peers.rs`), or `cargo bench -p
//! argstream-compare --bench scan`

use std::hint::black_box;
use std::time::Duration;

use argstream::{Event, KeyScanner};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// `{"pre_exec_msg":"<text>"}` with `len` bytes of escape-free prose; with
/// `mixed`, a quarter of the words carry accents, CJK or emoji.
fn argument(len: usize, mixed: bool) -> Vec<u8> {
    let words: &[&str] = if mixed {
        &[
            "Let", "me", "check", "café", "that", "for", "中文", "you", "😀", "now.",
        ]
    } else {
        &[
            "Let", "me", "check", "the", "weather", "for", "you", "right", "away", "now.",
        ]
    };
    let mut doc = br#"{"pre_exec_msg":""#.to_vec();
    let mut i = 0;
    while doc.len() < len {
        doc.extend_from_slice(words[i % words.len()].as_bytes());
        doc.push(b' ');
        i += 7;
    }
    doc.extend_from_slice(br#""}"#);
    doc
}

/// Scans `doc` fed in pieces of `piece` bytes; returns the text bytes seen.
fn scan(doc: &[u8], piece: usize) -> usize {
    let mut scanner = KeyScanner::new(&["pre_exec_msg"]);
    let mut text = 0;
    let mut fed = 0;
    while fed < doc.len() {
        fed = (fed + piece).min(doc.len());
        while let Some(event) = scanner.next_event(&doc[..fed]).expect("valid") {
            if let Event::Text(span) = event {
                text += span.len();
            }
        }
    }
    scanner.finish().expect("complete");
    text
}

fn one_piece(c: &mut Criterion) {
    let mut group = c.benchmark_group("one_piece_16MiB_string");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    for (name, mixed) in [("ascii", false), ("mixed_utf8", true)] {
        let doc = argument(16 << 20, mixed);
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(format!("argstream/{name}"), |b| {
            b.iter(|| scan(black_box(&doc), doc.len()))
        });
        group.bench_function(format!("memchr2/{name}"), |b| {
            b.iter(|| memchr::memchr2_iter(b'"', b'\\', black_box(&doc)).count())
        });
    }
    group.finish();
}

fn fragments(c: &mut Criterion) {
    let mut group = c.benchmark_group("fragments_4B");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for len in [64 << 10, 1 << 20] {
        let doc = argument(len, true);
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(format!("argstream/{}KiB", len >> 10), |b| {
            b.iter(|| scan(black_box(&doc), 4))
        });
    }
    group.finish();
}

criterion_group!(benches, one_piece, fragments);
criterion_main!(benches);
