//! argstream beside its peers, all four workloads in one process: prints a
//! markdown table and writes the same rows as JSON to `target/compare.json`
//! (under `CARGO_TARGET_DIR` when it is set).
//!
//! ```sh
//! cargo run --release -p argstream-compare -- [--quick] [--only w1,w2,w3,w4]
//! cargo run --release -p argstream-compare -- --chart docs/scaling.svg
//! ```
//!
//! Each time is the median of repeated runs; a run that takes longer than the
//! budget is measured fewer times (once at the least), never extrapolated.
//! Allocations are counted by a counting global allocator over one run of
//! argstream's feeding loop after warm-up, and divided by the fragments (W1,
//! W2) or upstream events (W4). With `--chart PATH` it measures only the
//! scaling chart (total time against argument length at 4-byte fragments)
//! and writes it as SVG.

#[path = "../../tests/common/counting_alloc.rs"]
mod counting_alloc;

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use argstream::{KeyScanner, Relay};
use argstream_compare::workloads::*;
use counting_alloc::ALLOCATIONS;
use serde::Serialize;

/// The allocations (and reallocations) `f` makes.
fn allocations<R>(f: impl FnOnce() -> R) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    black_box(f());
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// How long to measure one side of one row.
#[derive(Clone, Copy)]
struct Budget {
    /// Total time to spend on the repetitions.
    total: Duration,
    /// The most repetitions taken.
    max_reps: usize,
}

/// A median time per call, and how many timed samples it is the median of.
#[derive(Clone, Copy)]
struct Timing {
    ns: f64,
    reps: usize,
}

/// Times `routine` on fresh values from `setup`, made outside the timing.
/// Calls shorter than 200 µs are timed in batches. A first call warms up and
/// sizes the batch; when that call alone exceeds the budget it is the only
/// sample.
fn measure<T, R>(
    budget: Budget,
    mut setup: impl FnMut() -> T,
    mut routine: impl FnMut(&mut T) -> R,
) -> Timing {
    let mut input = setup();
    let start = Instant::now();
    black_box(routine(&mut input));
    let first = start.elapsed();
    if first >= budget.total {
        return Timing {
            ns: first.as_nanos() as f64,
            reps: 1,
        };
    }
    let batch = (Duration::from_micros(200).as_nanos() / first.as_nanos().max(1)).max(1) as usize;
    let per_sample = first * batch as u32;
    let reps = (budget.total.as_nanos() / per_sample.as_nanos().max(1)) as usize;
    let reps = reps.clamp(1, budget.max_reps);
    let mut samples: Vec<f64> = (0..reps)
        .map(|_| {
            let mut inputs: Vec<T> = (0..batch).map(|_| setup()).collect();
            let start = Instant::now();
            for input in &mut inputs {
                black_box(routine(input));
            }
            start.elapsed().as_nanos() as f64 / batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    Timing {
        ns: samples[samples.len() / 2],
        reps,
    }
}

/// [`measure`] without a setup.
fn time<R>(budget: Budget, mut f: impl FnMut() -> R) -> Timing {
    measure(budget, || (), |_| f())
}

/// The row beside W1 and W2 that times argstream's own `next_event` loop,
/// where the argstream column times `push_text`.
const NEXT_EVENT: &str = "argstream next_event + decode";

/// One line of the table and one object of `compare.json`.
#[derive(Serialize)]
struct Row {
    workload: String,
    input_bytes: usize,
    argstream_ns: f64,
    argstream_reps: usize,
    peer: String,
    peer_ns: Option<f64>,
    peer_reps: Option<usize>,
    /// Peer time over argstream time; for the memchr2 reference, how many
    /// times faster memchr2 is than argstream.
    speedup: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocs_per_fragment: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocs_per_event: Option<f64>,
    /// Every allocation of a new relay's life, per stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    allocs_per_stream: Option<f64>,
}

/// What one workload's argstream side measured, for the rows beside its peers.
struct Ours {
    workload: String,
    input_bytes: usize,
    timing: Timing,
    allocs_per_fragment: Option<f64>,
    allocs_per_event: Option<f64>,
    allocs_per_stream: Option<f64>,
}

impl Ours {
    fn row(&self, peer: &str, theirs: Option<Timing>) -> Row {
        Row {
            workload: self.workload.clone(),
            input_bytes: self.input_bytes,
            argstream_ns: self.timing.ns,
            argstream_reps: self.timing.reps,
            peer: peer.to_owned(),
            peer_ns: theirs.map(|t| t.ns),
            peer_reps: theirs.map(|t| t.reps),
            speedup: theirs.map(|t| t.ns / self.timing.ns),
            allocs_per_fragment: self.allocs_per_fragment,
            allocs_per_event: self.allocs_per_event,
            allocs_per_stream: self.allocs_per_stream,
        }
    }
}

struct Run {
    budget: Budget,
    rows: Vec<Row>,
}

impl Run {
    /// Prints a row as it is measured (the table is printed again at the end).
    fn push(&mut self, row: Row) {
        eprintln!("{}", table_line(&row));
        self.rows.push(row);
    }

    fn w1(&mut self) {
        let doc = response_large();
        let mut tracker = ArgstreamTracker::new(W1_KEY);
        for n in [100, 1_000, 5_000] {
            let bytes = byte_pieces(&doc, &equal_cuts(&doc, n, false));
            let text = str_pieces(&doc, &equal_cuts(&doc, n, true));
            let expected = tracker.run(&bytes);
            assert_eq!(tracker.run_events(&bytes), expected, "next_event");
            assert_eq!(jsonmodem_track(&text, W1_KEY), expected, "jsonmodem");
            assert_eq!(jiter_reparse(&text, W1_KEY), expected, "jiter");
            let timing = time(self.budget, || tracker.run(black_box(&bytes)));
            let allocs = allocations(|| tracker.run(&bytes));
            let ours = Ours {
                workload: format!("W1 response_large.json, {n} fragments"),
                input_bytes: doc.len(),
                timing,
                allocs_per_fragment: Some(allocs as f64 / bytes.len() as f64),
                allocs_per_event: None,
                allocs_per_stream: None,
            };
            let events = time(self.budget, || tracker.run_events(black_box(&bytes)));
            self.push(ours.row(NEXT_EVENT, Some(events)));
            let modem = time(self.budget, || jsonmodem_track(black_box(&text), W1_KEY));
            self.push(ours.row("jsonmodem", Some(modem)));
            let jiter = time(self.budget, || jiter_reparse(black_box(&text), W1_KEY));
            self.push(ours.row("jiter re-parse", Some(jiter)));
        }
    }

    fn w2(&mut self) {
        let mut tracker = ArgstreamTracker::new(W2_KEY);
        for kib in [4, 16, 64, 1024] {
            let doc = voice_arguments(kib << 10);
            let bytes = byte_pieces(&doc, &fixed_cuts(&doc, 4, false));
            let text = str_pieces(&doc, &fixed_cuts(&doc, 4, true));
            let expected = tracker.run(&bytes);
            assert_eq!(tracker.run_events(&bytes), expected, "next_event");
            let timing = time(self.budget, || tracker.run(black_box(&bytes)));
            let allocs = allocations(|| tracker.run(&bytes));
            let ours = Ours {
                workload: format!("W2 pre_exec_msg {kib} KiB, 4 B fragments"),
                input_bytes: doc.len(),
                timing,
                allocs_per_fragment: Some(allocs as f64 / bytes.len() as f64),
                allocs_per_event: None,
                allocs_per_stream: None,
            };
            let events = time(self.budget, || tracker.run_events(black_box(&bytes)));
            self.push(ours.row(NEXT_EVENT, Some(events)));
            if kib > 64 {
                continue;
            }
            assert_eq!(jsonmodem_track(&text, W2_KEY), expected, "jsonmodem");
            let modem = time(self.budget, || jsonmodem_track(black_box(&text), W2_KEY));
            self.push(ours.row("jsonmodem", Some(modem)));
            let jiter = time(self.budget, || jiter_reparse(black_box(&text), W2_KEY));
            assert_eq!(jiter_reparse(&text, W2_KEY), expected, "jiter");
            self.push(ours.row("jiter re-parse", Some(jiter)));
            let naive = time(self.budget, || serde_naive(black_box(&text)));
            assert_eq!(serde_naive(&text), expected, "serde_json naive");
            self.push(ours.row("serde_json close-and-re-parse", Some(naive)));
        }
    }

    fn w3(&mut self) {
        let inputs = [
            ("big.json", read_testdata("bench/big.json")),
            (
                "medium_response.json",
                read_testdata("bench/medium_response.json"),
            ),
            ("16 MiB string-heavy argument", voice_arguments(16 << 20)),
        ];
        let mut scanner = KeyScanner::new(&[W2_KEY]);
        let mut buffers = simd_json::Buffers::default();
        for (name, doc) in &inputs {
            let timing = time(self.budget, || {
                argstream_validate(&mut scanner, black_box(doc))
            });
            let ours = Ours {
                workload: format!("W3 {name}, one piece"),
                input_bytes: doc.len(),
                timing,
                allocs_per_fragment: None,
                allocs_per_event: None,
                allocs_per_stream: None,
            };
            let serde = time(self.budget, || serde_ignored(black_box(doc)));
            self.push(ours.row("serde_json IgnoredAny", Some(serde)));
            let simd = measure(
                self.budget,
                || doc.clone(),
                |copy| simd_json_tape(copy, &mut buffers),
            );
            self.push(ours.row("simd-json tape (copy untimed)", Some(simd)));
            let jiter = time(self.budget, || jiter_value(black_box(doc)));
            self.push(ours.row("jiter JsonValue", Some(jiter)));
            let memchr = time(self.budget, || memchr2_count(black_box(doc)));
            self.push(ours.row("memchr2 reference", Some(memchr)));
        }
    }

    /// The relay over the recorded streams of every format: each stream as
    /// one read into a relay that is reset and reused, and as a gateway
    /// runs it, a new relay per stream fed in 4096-byte reads. Then what
    /// setting up a relay for a new stream costs.
    fn w4(&mut self) {
        let corpora =
            [Upstream::Chat, Upstream::Anthropic, Upstream::Responses].map(Corpus::load_format);
        for corpus in &corpora {
            self.relay_rows(corpus);
        }
        let keys = &corpora[0].keys;
        let timing = time(self.budget, || drop(black_box(Relay::new(black_box(keys)))));
        let allocs = allocations(|| Relay::new(keys));
        self.push(Row {
            workload: format!(
                "W4 Relay::new({} keys) and drop, per new stream",
                keys.len()
            ),
            input_bytes: 0,
            argstream_ns: timing.ns,
            argstream_reps: timing.reps,
            peer: "(setup alone)".to_owned(),
            peer_ns: None,
            peer_reps: None,
            speedup: None,
            allocs_per_fragment: None,
            allocs_per_event: None,
            allocs_per_stream: Some(allocs as f64),
        });
    }

    fn relay_rows(&mut self, corpus: &Corpus) {
        let name = match corpus.format {
            Upstream::Chat => "chat completions",
            Upstream::Anthropic => "Anthropic",
            Upstream::Responses => "Responses",
            Upstream::Gemini => "Gemini",
        };
        let streams = corpus.streams.len();
        let mut relay = Relay::new(&corpus.keys);
        let (written, events) = relay_corpus(&mut relay, corpus);
        let fresh = relay_corpus_fresh(corpus, READ);
        assert_eq!(fresh, (written, events), "{name}: 4096-byte reads");

        let timing = time(self.budget, || relay_corpus(&mut relay, black_box(corpus)));
        let allocs = allocations(|| relay_corpus(&mut relay, corpus));
        let ours = Ours {
            workload: format!(
                "W4 relay {streams} {name} streams, {events} events, one read, relay reset"
            ),
            input_bytes: corpus.total_bytes(),
            timing,
            allocs_per_fragment: None,
            allocs_per_event: Some(allocs as f64 / events as f64),
            allocs_per_stream: None,
        };
        let openai = time(self.budget, || eventsource_corpus(black_box(corpus), None));
        self.push(ours.row("eventsource-stream + serde_json", Some(openai)));
        let tensorzero = time(self.budget, || sse_stream_corpus(black_box(corpus), None));
        self.push(ours.row("sse-stream + serde_json", Some(tensorzero)));

        let timing = time(self.budget, || relay_corpus_fresh(black_box(corpus), READ));
        let allocs = allocations(|| relay_corpus_fresh(corpus, READ));
        let ours = Ours {
            workload: format!(
                "W4 relay {streams} {name} streams, {READ}-byte reads, new relay per stream"
            ),
            input_bytes: corpus.total_bytes(),
            timing,
            allocs_per_fragment: None,
            allocs_per_event: None,
            allocs_per_stream: Some(allocs as f64 / streams as f64),
        };
        let openai = time(self.budget, || {
            eventsource_corpus(black_box(corpus), Some(READ))
        });
        self.push(ours.row("eventsource-stream + serde_json", Some(openai)));
        let tensorzero = time(self.budget, || {
            sse_stream_corpus(black_box(corpus), Some(READ))
        });
        self.push(ours.row("sse-stream + serde_json", Some(tensorzero)));
        self.same_format_row(corpus, name);
    }

    /// The issue's bound for a relay that answers in the upstream's own
    /// format with no call to rewrite: at most twice the SSE decode of the
    /// same bytes alone, which is the "peer" here (a speedup of 0.5x or
    /// more meets it).
    fn same_format_row(&mut self, corpus: &Corpus, name: &str) {
        if corpus.format == Upstream::Responses {
            // Responses events are written anew, sequence numbers and all:
            // no event of them goes out as it came.
            return;
        }
        let plain = corpus.without_calls();
        let streams = plain.streams.len();
        let mut relay = Relay::new(&plain.keys).with_output(plain.own_output());
        let (_, events) = relay_corpus(&mut relay, &plain);
        // The decoder alone counts the SSE events with data; the relay,
        // the upstream messages it read.
        let mut decoder = argstream::SseDecoder::new();
        let timing = time(self.budget, || relay_corpus(&mut relay, black_box(&plain)));
        let allocs = allocations(|| relay_corpus(&mut relay, &plain));
        let ours = Ours {
            workload: format!(
                "W4 same-format relay, {streams} {name} streams without calls, {events} events, one read, relay reset"
            ),
            input_bytes: plain.total_bytes(),
            timing,
            allocs_per_fragment: None,
            allocs_per_event: Some(allocs as f64 / events as f64),
            allocs_per_stream: None,
        };
        let decode = time(self.budget, || {
            sse_decode_corpus(&mut decoder, black_box(&plain))
        });
        self.push(ours.row("argstream SSE decode alone (bound: 0.5x)", Some(decode)));
    }
}

/// The read size of the relay rows that run as a gateway does.
const READ: usize = 4096;

fn duration(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{ns:.0} ns"),
        ns if ns < 1e6 => format!("{:.1} µs", ns / 1e3),
        ns if ns < 1e9 => format!("{:.2} ms", ns / 1e6),
        ns => format!("{:.2} s", ns / 1e9),
    }
}

const TABLE_HEAD: &str = "| workload | argstream | argstream MiB/s | peer | peer time | speedup | argstream allocs |\n| --- | ---: | ---: | --- | ---: | ---: | ---: |";

fn table_line(row: &Row) -> String {
    let mib_s = row.input_bytes as f64 / (row.argstream_ns / 1e9) / f64::from(1 << 20);
    let mib_s = if row.input_bytes > 0 {
        format!("{mib_s:.0}")
    } else {
        String::new()
    };
    let allocs = match (
        row.allocs_per_fragment,
        row.allocs_per_event,
        row.allocs_per_stream,
    ) {
        (Some(n), _, _) => format!("{n:.3} / fragment"),
        (_, Some(n), _) => format!("{n:.3} / event"),
        (_, _, Some(n)) => format!("{n:.1} / stream"),
        _ => String::new(),
    };
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |",
        row.workload,
        duration(row.argstream_ns),
        mib_s,
        row.peer,
        row.peer_ns.map(duration).unwrap_or_default(),
        row.speedup
            .map(|s| if s < 10.0 {
                format!("{s:.2}x")
            } else {
                format!("{s:.0}x")
            })
            .unwrap_or_default(),
        allocs,
    )
}

/// The CPU model and core count, for the table's caption.
fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}

/// `CARGO_TARGET_DIR` when set, else the workspace's `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

// ------------------------------------------------------------------ chart

/// One line of the chart: (argument bytes, total ns) points.
struct Series {
    name: &'static str,
    colour: &'static str,
    points: Vec<(f64, f64)>,
}

/// Total time to stream `pre_exec_msg` in 4-byte fragments against its
/// length: argstream from 1 KiB to 1 MiB, jsonmodem to 256 KiB, jiter
/// re-parse (quadratic) to 64 KiB.
fn chart_series(budget: Budget) -> Vec<Series> {
    let mut tracker = ArgstreamTracker::new(W2_KEY);
    let mut series = [
        ("argstream", "#1f77b4"),
        ("jsonmodem", "#ff7f0e"),
        ("jiter re-parse", "#2ca02c"),
    ]
    .map(|(name, colour)| Series {
        name,
        colour,
        points: Vec::new(),
    });
    for shift in 10..=20 {
        let doc = voice_arguments(1 << shift);
        let bytes = byte_pieces(&doc, &fixed_cuts(&doc, 4, false));
        let text = str_pieces(&doc, &fixed_cuts(&doc, 4, true));
        let len = doc.len() as f64;
        let ours = time(budget, || tracker.run(black_box(&bytes)));
        series[0].points.push((len, ours.ns));
        if shift <= 18 {
            let modem = time(budget, || jsonmodem_track(black_box(&text), W2_KEY));
            series[1].points.push((len, modem.ns));
        }
        if shift <= 16 {
            let jiter = time(budget, || jiter_reparse(black_box(&text), W2_KEY));
            series[2].points.push((len, jiter.ns));
        }
        eprintln!(
            "{:>8} B: {}",
            doc.len(),
            series
                .iter()
                .filter_map(|s| {
                    let &(at, ns) = s.points.last()?;
                    (at == len).then(|| format!("{} {}", s.name, duration(ns)))
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    series.into()
}

/// A hand-made log-log SVG of `series`.
fn svg(series: &[Series], caption: &str) -> String {
    let (width, height) = (760.0, 480.0);
    let (left, right, top, bottom) = (80.0, 20.0, 50.0, 80.0);
    let points = || series.iter().flat_map(|s| s.points.iter().copied());
    let (x_lo, x_hi) = (10.0_f64, 20.0_f64); // log2 bytes: 1 KiB .. 1 MiB
    let y_lo = points()
        .map(|(_, ns)| ns.log10().floor())
        .fold(f64::MAX, f64::min);
    let y_hi = points()
        .map(|(_, ns)| ns.log10().ceil())
        .fold(f64::MIN, f64::max);
    let x = |bytes: f64| left + (bytes.log2() - x_lo) / (x_hi - x_lo) * (width - left - right);
    let y = |ns: f64| top + (y_hi - ns.log10()) / (y_hi - y_lo) * (height - top - bottom);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="white"/><text x="{left}" y="24" font-size="15">One string argument streamed in 4-byte fragments: total time (log-log)</text>"#
    );
    for shift in (10..=20).step_by(2) {
        let px = x(f64::from(1 << shift));
        let label = if shift < 20 {
            format!("{} KiB", 1 << (shift - 10))
        } else {
            "1 MiB".to_owned()
        };
        let _ = writeln!(
            out,
            r##"<line x1="{px:.1}" y1="{top}" x2="{px:.1}" y2="{:.1}" stroke="#ddd"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{label}</text>"##,
            height - bottom,
            height - bottom + 18.0
        );
    }
    let mut decade = y_lo;
    while decade <= y_hi {
        let py = y(10f64.powf(decade));
        let label = duration(10f64.powf(decade))
            .replace(".00", "")
            .replace(".0", "");
        let _ = writeln!(
            out,
            r##"<line x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"##,
            width - right,
            left - 6.0,
            py + 4.0
        );
        decade += 1.0;
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">arguments length (bytes of JSON)</text><text x="{:.1}" y="{:.1}" text-anchor="middle">{caption}</text>"#,
        (left + width - right) / 2.0,
        height - bottom + 38.0,
        width / 2.0,
        height - 12.0
    );
    for (i, s) in series.iter().enumerate() {
        let path: Vec<String> = s
            .points
            .iter()
            .map(|&(bytes, ns)| format!("{:.1},{:.1}", x(bytes), y(ns)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            path.join(" "),
            s.colour
        );
        for point in &path {
            let (px, py) = point.split_once(',').unwrap_or_default();
            let _ = writeln!(
                out,
                r#"<circle cx="{px}" cy="{py}" r="3" fill="{}"/>"#,
                s.colour
            );
        }
        let ly = top + 16.0 + 18.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            left + 12.0,
            left + 36.0,
            s.colour,
            left + 42.0,
            ly + 4.0,
            s.name
        );
    }
    out.push_str("</svg>\n");
    out
}

fn main() {
    counting_alloc::watch_this_thread();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let budget = if quick {
        Budget {
            total: Duration::from_millis(150),
            max_reps: 15,
        }
    } else {
        Budget {
            total: Duration::from_secs(1),
            max_reps: 51,
        }
    };
    let machine = machine();
    if let Some(at) = args.iter().position(|a| a == "--chart") {
        let path = args.get(at + 1).expect("--chart takes an output path");
        let series = chart_series(budget);
        let caption = format!(
            "{machine} (shared); cargo run --release -p argstream-compare -- --chart {path}"
        );
        std::fs::write(path, svg(&series, &caption)).expect("chart written");
        println!("Chart written to {path}");
        return;
    }
    let started = Instant::now();
    let mut run = Run {
        budget,
        rows: Vec::new(),
    };
    // `--only w1,w3` measures some workloads; the default is all four.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|at| args.get(at + 1));
    let wanted = |name: &str| only.is_none_or(|list| list.split(',').any(|w| w == name));
    if wanted("w1") {
        run.w1();
    }
    if wanted("w2") {
        run.w2();
    }
    if wanted("w3") {
        run.w3();
    }
    if wanted("w4") {
        run.w4();
    }
    let command = if quick {
        "cargo run --release -p argstream-compare -- --quick"
    } else {
        "cargo run --release -p argstream-compare"
    };
    println!(
        "Machine: {machine}. Command: `{command}` ({:.0} s).\n",
        started.elapsed().as_secs_f64()
    );
    println!("{TABLE_HEAD}");
    for row in &run.rows {
        println!("{}", table_line(row));
    }
    let dir = target_dir();
    let path = dir.join("compare.json");
    std::fs::create_dir_all(&dir).expect("target directory");
    let json = serde_json::to_string_pretty(&run.rows).expect("serialises");
    std::fs::write(&path, json + "\n").expect("compare.json written");
    println!("\nRows written to {}", path.display());
}
