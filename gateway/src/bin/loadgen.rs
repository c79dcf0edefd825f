//! `loadgen`: what the relay adds to a gateway, measured against a plain
//! byte passthrough in the same run.
//!
//! It starts a mock upstream in-process, replaying the recorded chat streams
//! of `$ARGSTREAM_TESTDATA/streams/openai-compatible` with a pause between
//! events, and two gateways as child processes (this binary again, with
//! `--as-gateway`): one relaying, one with `--passthrough`. The mock stamps
//! each event: it writes the event's send time, in microseconds from the
//! run's start, over the event's `"created":` number. The relay forwards a
//! content chunk's bytes untouched and copies `created` into each chunk it
//! writes, so every frame reaching the client carries the send time of the
//! upstream event it came from, through either gateway. Before comparing a
//! body with the offline relay's, every `"created":N` is set to 0.
//!
//! Everything runs on loopback; every loop stops at a count or a deadline.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use argstream::{Output, Relay};
use argstream_gateway::{Config, MockUpstream, Recording};
use bytes::Bytes;
use tokio::sync::Mutex;

/// The recorded streams of each format, the route they are replayed on, and
/// the format the route answers in. Only chat chunks carry a `created`
/// number to stamp: the latency runs use those; every format is checked for
/// exactness.
const FORMATS: [(&str, &str, Output); 3] = [
    (
        "/v1/chat/completions",
        "streams/openai-compatible",
        Output::OpenAiChat,
    ),
    ("/v1/messages", "streams/anthropic", Output::Anthropic),
    (
        "/v1/responses",
        "streams/openai-responses",
        Output::OpenAiResponses,
    ),
];
const CHAT: &str = FORMATS[0].0;
const STAMP_FIELD: &[u8] = b"\"created\":";

/// How long and how hard to push.
#[derive(Clone, Debug)]
struct Plan {
    quick: bool,
    /// The pause between a stream's events in the latency runs.
    delay: Duration,
    /// How long each latency and saturation run lasts.
    run_time: Duration,
    /// Requests in the time-to-first-byte run, for each target.
    ttfb_requests: usize,
    /// Streams held open for the memory measure.
    idle_streams: usize,
    /// The concurrency of the saturation run.
    saturation_concurrency: usize,
    /// How many times every recording of every format is relayed and
    /// checked, at the end.
    passes: usize,
}

impl Plan {
    fn from_args(args: &[String]) -> Result<Plan, String> {
        let quick = args.iter().any(|arg| arg == "--quick");
        let mut plan = Plan {
            quick,
            delay: Duration::from_millis(20),
            run_time: Duration::from_secs(if quick { 2 } else { 10 }),
            ttfb_requests: if quick { 200 } else { 2_000 },
            idle_streams: 1_000,
            saturation_concurrency: 64,
            passes: if quick { 1 } else { 10 },
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut number = || -> Result<u64, String> {
                let value = args.next().ok_or(format!("{arg} needs a value"))?;
                value
                    .parse()
                    .map_err(|_| format!("{arg}: cannot read {value:?}"))
            };
            match arg.as_str() {
                "--quick" => {}
                "--delay-ms" => plan.delay = Duration::from_millis(number()?),
                "--run-secs" => plan.run_time = Duration::from_secs(number()?.clamp(1, 600)),
                "--ttfb-requests" => plan.ttfb_requests = number()?.clamp(1, 100_000) as usize,
                "--passes" => plan.passes = number()?.clamp(1, 1_000) as usize,
                "--idle-streams" => plan.idle_streams = number()?.clamp(1, 5_000) as usize,
                _ => return Err(format!("unknown argument {arg:?}")),
            }
        }
        Ok(plan)
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--as-gateway") {
        return serve_as_gateway(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("--serve-mock") {
        return serve_mock();
    }
    let plan = match Plan::from_args(&args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!(
                "loadgen: {message}\nusage: loadgen [--quick] [--delay-ms N] [--run-secs N] [--ttfb-requests N] [--idle-streams N] [--passes N]"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    match runtime.block_on(run(plan)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("loadgen: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The child: a gateway like the binary, its log lines formatted as usual
/// and thrown away, so their cost is counted.
fn serve_as_gateway(args: &[String]) -> std::process::ExitCode {
    let config =
        Config::from_args(args.iter().cloned()).expect("loadgen passes a valid command line");
    // The parent holds our stdin: when it ends, however it ends, so do we.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_ansi(false)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    match runtime.block_on(argstream_gateway::run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

/// Only the mock upstream, for a gateway measured on its own (under
/// callgrind, say: `gateway/callgrind.sh`). Prints `mock on ADDR`, serves
/// until stdin closes or for at most 30 minutes.
fn serve_mock() -> std::process::ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    let served = runtime.block_on(async {
        let mut mock = MockUpstream::new();
        for (route, folder, output) in FORMATS {
            mock = mock.route(route, load_cases(folder, output)?.0);
        }
        let address = mock.spawn().await.map_err(|error| error.to_string())?;
        println!("mock on {address}");
        let stdin_closed = tokio::task::spawn_blocking(|| {
            std::io::copy(&mut std::io::stdin(), &mut std::io::sink())
        });
        let _ = tokio::time::timeout(Duration::from_secs(30 * 60), stdin_closed).await;
        Ok::<(), String>(())
    });
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("loadgen: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// One recorded stream and what each gateway must deliver for it, stamps
/// set to 0.
struct Case {
    name: String,
    events: u64,
    relayed: Vec<u8>,
    passed: Vec<u8>,
}

fn testdata() -> PathBuf {
    match std::env::var_os("ARGSTREAM_TESTDATA") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    }
}

/// The recordings of `folder`, each with what the gateway answers for it in
/// `output`.
fn load_cases(folder: &str, output: Output) -> Result<(Vec<Recording>, Vec<Case>), String> {
    let folder = testdata().join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|error| format!("{}: {error} (set ARGSTREAM_TESTDATA)", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "sse"))
        .collect();
    paths.sort();
    let mut recordings = Vec::new();
    let mut cases = Vec::new();
    for path in paths {
        let body = std::fs::read(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        let recording = Recording::new(&body);
        let upstream = recording.body_stamped(0);
        let mut relay = Relay::default().with_output(output);
        // A recording the relay rejects would end in an error event whose
        // text names an offset: exact too, but not a stream to time.
        if relay.feed(Bytes::from(upstream.clone())).is_err() || relay.finish().is_err() {
            continue;
        }
        cases.push(Case {
            name: path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            events: recording.len() as u64,
            relayed: unstamp(&relay.output()),
            passed: unstamp(&upstream),
        });
        recordings.push(recording);
    }
    if cases.is_empty() {
        return Err(format!("no recorded stream in {}", folder.display()));
    }
    Ok((recordings, cases))
}

/// A gateway child process, killed when dropped.
struct GatewayProcess {
    child: Child,
    url: String,
}

impl GatewayProcess {
    fn start(upstream: &str, passthrough: bool) -> Result<GatewayProcess, String> {
        let exe = std::env::current_exe().map_err(|error| error.to_string())?;
        let mut command = Command::new(exe);
        command.args([
            "--as-gateway",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            upstream,
        ]);
        if passthrough {
            command.arg("--passthrough");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| format!("cannot start a gateway: {error}"))?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|error| error.to_string())?;
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("the gateway said {line:?}"))?;
        Ok(GatewayProcess {
            url: format!("http://{address}"),
            child,
        })
    }

    /// CPU time of all the process's threads, from the scheduler's own
    /// nanosecond count.
    fn cpu_time(&self) -> Duration {
        let tasks = format!("/proc/{}/task", self.child.id());
        let nanos: u64 = std::fs::read_dir(tasks)
            .into_iter()
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
            .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
            .sum();
        Duration::from_nanos(nanos)
    }

    /// Resident memory, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sets every `"created":N` to `"created":0`.
fn unstamp(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = memchr::memmem::find(rest, STAMP_FIELD) {
        let digits = at + STAMP_FIELD.len();
        out.extend_from_slice(&rest[..digits]);
        let end = digits
            + rest[digits..]
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .count();
        if end > digits {
            out.push(b'0');
        }
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

/// The stamp of one frame, if it has one.
fn stamp_of(frame: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(frame, STAMP_FIELD)? + STAMP_FIELD.len();
    let digits = frame[at..]
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    std::str::from_utf8(&frame[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

/// A finish chunk (a `finish_reason` string) or a usage chunk (no choices).
fn is_end_frame(frame: &[u8]) -> bool {
    memchr::memmem::find(frame, b"\"finish_reason\":\"").is_some()
        || memchr::memmem::find(frame, b"\"choices\":[]").is_some()
}

/// What a set of streams measured.
#[derive(Default)]
struct Tally {
    streams: u64,
    /// Upstream events of the streams done.
    events: u64,
    frames: u64,
    wrong: u64,
    failed: u64,
    /// Streams still going at the run's end, dropped.
    cut: u64,
    /// Per frame: arrival minus send stamp, in microseconds.
    frame_latency_us: Vec<u32>,
    /// The same for the finish and usage chunks, which the relay writes
    /// only at the upstream's end (so that there is exactly one of each,
    /// after everything else): they wait for the upstream's last event.
    end_frame_latency_us: Vec<u32>,
    /// Per stream: request to first body byte, in microseconds.
    ttfb_us: Vec<u32>,
    wrong_names: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.streams += other.streams;
        self.events += other.events;
        self.frames += other.frames;
        self.wrong += other.wrong;
        self.failed += other.failed;
        self.cut += other.cut;
        self.frame_latency_us.extend(other.frame_latency_us);
        self.end_frame_latency_us.extend(other.end_frame_latency_us);
        self.ttfb_us.extend(other.ttfb_us);
        if self.wrong_names.len() < 5 {
            self.wrong_names.extend(other.wrong_names);
        }
    }
}

/// Which body a target must deliver.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Relayed,
    Passed,
}

/// Where requests go.
#[derive(Clone, Copy)]
struct Target<'a> {
    url: &'a str,
    route: &'static str,
    expect: Expect,
}

/// How a run loads a target.
#[derive(Clone, Copy)]
struct Load {
    concurrency: usize,
    /// The pause the mock makes between a stream's events.
    delay: Duration,
    run_time: Duration,
    /// At most this many streams are started.
    max_streams: usize,
}

/// What every run shares: the client, the stamps' clock, the expected
/// bodies.
#[derive(Clone)]
struct Bench {
    client: reqwest::Client,
    epoch: Instant,
    cases: Arc<HashMap<&'static str, Vec<Case>>>,
}

impl Bench {
    /// Streams one request and checks it; a frame whose stamp is readable
    /// gives one latency sample. A stream still going at `deadline` is
    /// dropped and counted as cut.
    async fn one_stream(
        &self,
        target: Target<'_>,
        index: usize,
        delay: Duration,
        deadline: Instant,
        tally: &mut Tally,
    ) {
        let cases = &self.cases[target.route];
        let case = &cases[index % cases.len()];
        let body = format!(
            r#"{{"model":"mock","stream":true,"replay":{index},"delay_us":{},"stamp":true}}"#,
            delay.as_micros()
        );
        let started = Instant::now();
        let request = self
            .client
            .post(format!("{}{}", target.url, target.route))
            .body(body)
            .send();
        let mut response = match tokio::time::timeout(
            deadline.saturating_duration_since(started),
            request,
        )
        .await
        {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => {
                tally.failed += 1;
                return;
            }
            Err(_) => {
                tally.cut += 1;
                return;
            }
        };
        let mut received = Vec::new();
        let mut scanned = 0;
        loop {
            let patience = deadline.saturating_duration_since(Instant::now());
            let chunk = match tokio::time::timeout(patience, response.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) => break,
                Ok(Err(_)) => {
                    tally.failed += 1;
                    return;
                }
                Err(_) => {
                    tally.cut += 1;
                    return;
                }
            };
            let now = self.epoch.elapsed().as_micros() as u64;
            if received.is_empty() {
                tally.ttfb_us.push(started.elapsed().as_micros() as u32);
            }
            received.extend_from_slice(&chunk);
            while let Some(end) = memchr::memmem::find(&received[scanned..], b"\n\n") {
                let frame = &received[scanned..scanned + end];
                if let Some(stamp) = stamp_of(frame) {
                    let latency = now.saturating_sub(stamp).min(u64::from(u32::MAX)) as u32;
                    if is_end_frame(frame) {
                        tally.end_frame_latency_us.push(latency);
                    } else {
                        tally.frame_latency_us.push(latency);
                    }
                }
                tally.frames += 1;
                scanned += end + 2;
            }
        }
        tally.streams += 1;
        tally.events += case.events;
        let wanted = match target.expect {
            Expect::Relayed => &case.relayed,
            Expect::Passed => &case.passed,
        };
        if unstamp(&received) != *wanted {
            tally.wrong += 1;
            if tally.wrong_names.len() < 5 {
                tally.wrong_names.push(case.name.clone());
            }
        }
    }

    /// `load.concurrency` workers, each streaming one request after another
    /// until the run time has passed or `load.max_streams` have started.
    async fn drive(&self, target: Target<'_>, load: Load) -> Tally {
        let next = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + load.run_time;
        let mut workers = Vec::new();
        for _ in 0..load.concurrency {
            let (bench, url, next) = (self.clone(), target.url.to_owned(), next.clone());
            let (route, expect) = (target.route, target.expect);
            workers.push(tokio::spawn(async move {
                let target = Target {
                    url: &url,
                    route,
                    expect,
                };
                let mut tally = Tally::default();
                while Instant::now() < deadline {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= load.max_streams {
                        break;
                    }
                    bench
                        .one_stream(target, index, load.delay, deadline, &mut tally)
                        .await;
                }
                tally
            }));
        }
        let mut tally = Tally::default();
        for worker in workers {
            if let Ok(worker) = worker.await {
                tally.merge(worker);
            }
        }
        tally
    }
}

/// Percentiles of one set of samples, in microseconds.
#[derive(Clone, Copy, Debug)]
struct Percentiles {
    p50: f64,
    p99: f64,
    p999: f64,
}

impl Percentiles {
    fn of(samples: &mut [u32]) -> Percentiles {
        samples.sort_unstable();
        let at = |p: f64| {
            if samples.is_empty() {
                return f64::NAN;
            }
            let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            f64::from(samples[rank - 1])
        };
        Percentiles {
            p50: at(0.5),
            p99: at(0.99),
            p999: at(0.999),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({"p50": self.p50, "p99": self.p99, "p999": self.p999})
    }
}

/// Frame latency through both gateways at one concurrency.
struct LatencyRow {
    concurrency: usize,
    passthrough: Percentiles,
    relay: Percentiles,
    /// Latency samples (stamped frames) behind each.
    samples: (usize, usize),
    /// The same over every frame, finish and usage chunks included.
    passthrough_all: Percentiles,
    relay_all: Percentiles,
}

/// One gateway at saturation.
struct Saturation {
    frames_per_s: f64,
    streams_per_s: f64,
    cpu_ns_per_event: f64,
}

/// Opens `count` streams that the mock holds after their first event,
/// waits until each has its first bytes, and gives the gateway's RSS
/// growth per stream in KiB; then lets them all go.
async fn idle_rss(
    client: &reqwest::Client,
    gateway: &GatewayProcess,
    count: usize,
) -> Result<f64, String> {
    let before = gateway.rss_kib();
    let opened = Arc::new(Mutex::new(Vec::new()));
    let mut openers = Vec::new();
    for index in 0..count {
        let (client, url, opened) = (client.clone(), gateway.url.clone(), opened.clone());
        openers.push(tokio::spawn(async move {
            let body = format!(r#"{{"stream":true,"replay":{index},"hold_ms":30000}}"#);
            let request = client.post(format!("{url}{CHAT}")).body(body).send();
            let Ok(Ok(mut response)) = tokio::time::timeout(Duration::from_secs(20), request).await
            else {
                return;
            };
            // The first event is a frame for most streams; wait for it but
            // not past a few seconds (some first events are hidden).
            let _ = tokio::time::timeout(Duration::from_secs(3), response.chunk()).await;
            opened.lock().await.push(response);
        }));
    }
    for opener in openers {
        let _ = opener.await;
    }
    let open = opened.lock().await.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = gateway.rss_kib();
    opened.lock().await.clear();
    if open < count {
        return Err(format!("only {open} of {count} idle streams opened"));
    }
    Ok((after.saturating_sub(before)) as f64 / count as f64)
}

/// Rounds each A/B comparison is split into, alternating the gateways so
/// that a change in the machine's other load falls on both alike.
fn rounds(plan: &Plan) -> u32 {
    if plan.quick { 2 } else { 4 }
}

async fn run(plan: Plan) -> Result<(), String> {
    let epoch = Instant::now();
    let mut mock = MockUpstream::new().with_epoch(epoch);
    let mut cases = HashMap::new();
    for (route, folder, output) in FORMATS {
        let (recordings, route_cases) = load_cases(folder, output)?;
        eprintln!(
            "loadgen: {route}: {} recorded streams, {} events",
            recordings.len(),
            recordings.iter().map(Recording::len).sum::<usize>(),
        );
        mock = mock.route(route, recordings);
        cases.insert(route, route_cases);
    }
    eprintln!(
        "loadgen: pause between events {} ms in the latency runs",
        plan.delay.as_millis()
    );
    let mock_url = format!(
        "http://{}",
        mock.spawn().await.map_err(|error| error.to_string())?
    );
    let relaying = GatewayProcess::start(&mock_url, false)?;
    let passing = GatewayProcess::start(&mock_url, true)?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .build()
        .map_err(|error| error.to_string())?;
    let bench = Bench {
        client: client.clone(),
        epoch,
        cases: Arc::new(cases),
    };
    let mock = Target {
        url: &mock_url,
        route: CHAT,
        expect: Expect::Passed,
    };
    let passthrough = Target {
        url: &passing.url,
        route: CHAT,
        expect: Expect::Passed,
    };
    let relay = Target {
        url: &relaying.url,
        route: CHAT,
        expect: Expect::Relayed,
    };
    let mut checked = Tally::default();

    // Warm each target's connections and allocator first.
    let warm_up = Load {
        concurrency: 8,
        delay: Duration::ZERO,
        run_time: Duration::from_secs(1),
        max_streams: 400,
    };
    for target in [mock, passthrough, relay] {
        checked.merge(bench.drive(target, warm_up).await);
    }

    eprintln!(
        "loadgen: time to first byte, concurrency 1, {} requests each",
        plan.ttfb_requests
    );
    let mut ttfb = [Tally::default(), Tally::default(), Tally::default()];
    for index in 0..plan.ttfb_requests {
        for (target, tally) in [mock, passthrough, relay].into_iter().zip(&mut ttfb) {
            let deadline = Instant::now() + Duration::from_secs(30);
            bench
                .one_stream(target, index, Duration::ZERO, deadline, tally)
                .await;
        }
    }
    let [ttfb_mock, ttfb_pass, ttfb_relay] = ttfb.map(|mut tally| {
        let percentiles = Percentiles::of(&mut tally.ttfb_us);
        checked.merge(tally);
        percentiles
    });

    let mut latency = Vec::new();
    for concurrency in [1, 64, 512] {
        eprintln!("loadgen: frame latency, concurrency {concurrency}");
        let load = Load {
            concurrency,
            delay: plan.delay,
            run_time: plan.run_time / rounds(&plan),
            max_streams: usize::MAX,
        };
        let (mut pass, mut relayed) = (Tally::default(), Tally::default());
        for _ in 0..rounds(&plan) {
            pass.merge(bench.drive(passthrough, load).await);
            relayed.merge(bench.drive(relay, load).await);
        }
        eprintln!(
            "loadgen:   {} + {} streams done, {} + {} cut at the deadline",
            pass.streams, relayed.streams, pass.cut, relayed.cut
        );
        let all = |tally: &Tally| {
            let mut all = tally.frame_latency_us.clone();
            all.extend_from_slice(&tally.end_frame_latency_us);
            Percentiles::of(&mut all)
        };
        latency.push(LatencyRow {
            concurrency,
            passthrough_all: all(&pass),
            relay_all: all(&relayed),
            passthrough: Percentiles::of(&mut pass.frame_latency_us),
            relay: Percentiles::of(&mut relayed.frame_latency_us),
            samples: (pass.frame_latency_us.len(), relayed.frame_latency_us.len()),
        });
        checked.merge(pass);
        checked.merge(relayed);
    }

    eprintln!(
        "loadgen: saturation, concurrency {}",
        plan.saturation_concurrency
    );
    let load = Load {
        concurrency: plan.saturation_concurrency,
        delay: Duration::ZERO,
        run_time: plan.run_time / rounds(&plan),
        max_streams: usize::MAX,
    };
    let mut totals = [
        (Tally::default(), 0.0, Duration::ZERO),
        (Tally::default(), 0.0, Duration::ZERO),
    ];
    for _ in 0..rounds(&plan) {
        for ((gateway, target), total) in [(&passing, passthrough), (&relaying, relay)]
            .into_iter()
            .zip(&mut totals)
        {
            let cpu_before = gateway.cpu_time();
            let started = Instant::now();
            total.0.merge(bench.drive(target, load).await);
            total.1 += started.elapsed().as_secs_f64();
            total.2 += gateway.cpu_time().saturating_sub(cpu_before);
        }
    }
    // Upstream events are the same work for both gateways, so they are the
    // unit of CPU per frame; downstream frames differ (the relay hides some).
    let [pass_saturation, relay_saturation] = totals.map(|(tally, seconds, cpu)| {
        let saturation = Saturation {
            frames_per_s: tally.frames as f64 / seconds,
            streams_per_s: tally.streams as f64 / seconds,
            cpu_ns_per_event: cpu.as_nanos() as f64 / tally.events.max(1) as f64,
        };
        checked.merge(tally);
        saturation
    });

    eprintln!(
        "loadgen: every format's recordings through the relay, {} passes",
        plan.passes
    );
    for (route, _, _) in FORMATS {
        let load = Load {
            concurrency: plan.saturation_concurrency,
            delay: Duration::ZERO,
            // Bounded by count; the time limit only stops a stuck run.
            run_time: Duration::from_secs(20 * 60),
            max_streams: bench.cases[route].len() * plan.passes,
        };
        let tally = bench.drive(Target { route, ..relay }, load).await;
        eprintln!(
            "loadgen:   {route}: {} streams, {} wrong, {} failed, {} cut",
            tally.streams, tally.wrong, tally.failed, tally.cut
        );
        checked.merge(tally);
    }

    eprintln!("loadgen: {} idle streams held open", plan.idle_streams);
    let rss_pass = idle_rss(&client, &passing, plan.idle_streams).await?;
    let rss_relay = idle_rss(&client, &relaying, plan.idle_streams).await?;

    println!(
        "{}",
        table(
            &plan,
            [ttfb_mock, ttfb_pass, ttfb_relay],
            &latency,
            [&pass_saturation, &relay_saturation],
            (rss_pass, rss_relay),
            &checked
        )
    );
    if !checked.wrong_names.is_empty() {
        eprintln!(
            "loadgen: wrong streams, first few: {:?}",
            checked.wrong_names
        );
    }

    let report = serde_json::json!({
        "quick": plan.quick,
        "delay_ms": plan.delay.as_millis() as u64,
        "run_secs": plan.run_time.as_secs(),
        "recorded_streams": FORMATS.map(|(route, _, _)| (route, bench.cases[route].len())).into_iter().collect::<HashMap<_, _>>(),
        "ttfb_us": {
            "concurrency": 1,
            "requests": plan.ttfb_requests,
            "mock": ttfb_mock.json(),
            "passthrough": ttfb_pass.json(),
            "relay": ttfb_relay.json(),
            "added_vs_mock": {"p50": ttfb_relay.p50 - ttfb_mock.p50, "p99": ttfb_relay.p99 - ttfb_mock.p99},
        },
        "frame_latency_us": latency.iter().map(|row| serde_json::json!({
            "concurrency": row.concurrency,
            "passthrough": row.passthrough.json(),
            "relay": row.relay.json(),
            "added": {"p50": row.relay.p50 - row.passthrough.p50, "p99": row.relay.p99 - row.passthrough.p99, "p999": row.relay.p999 - row.passthrough.p999},
            "samples": {"passthrough": row.samples.0, "relay": row.samples.1},
            "with_finish_and_usage_chunks": {"passthrough": row.passthrough_all.json(), "relay": row.relay_all.json()},
        })).collect::<Vec<_>>(),
        "saturation": {
            "concurrency": plan.saturation_concurrency,
            "passthrough": {"frames_per_s": pass_saturation.frames_per_s, "streams_per_s": pass_saturation.streams_per_s, "cpu_ns_per_upstream_event": pass_saturation.cpu_ns_per_event},
            "relay": {"frames_per_s": relay_saturation.frames_per_s, "streams_per_s": relay_saturation.streams_per_s, "cpu_ns_per_upstream_event": relay_saturation.cpu_ns_per_event},
        },
        "rss_kib_per_idle_stream": {"open": plan.idle_streams, "passthrough": rss_pass, "relay": rss_relay},
        "checked": {"streams": checked.streams, "frames": checked.frames, "wrong": checked.wrong, "failed": checked.failed, "cut_at_deadline": checked.cut},
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let json_path = root.join("target/gateway.json");
    let _ = std::fs::create_dir_all(root.join("target"));
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    )
    .map_err(|error| format!("{}: {error}", json_path.display()))?;
    let svg_path = root.join("docs/gateway.svg");
    std::fs::write(&svg_path, chart(&latency))
        .map_err(|error| format!("{}: {error}", svg_path.display()))?;
    eprintln!(
        "loadgen: wrote {} and {}",
        json_path.display(),
        svg_path.display()
    );
    if checked.wrong > 0 || checked.failed > 0 {
        return Err(format!(
            "{} streams wrong, {} failed",
            checked.wrong, checked.failed
        ));
    }
    Ok(())
}

/// The markdown table of one run.
fn table(
    plan: &Plan,
    [mock, pass, relay]: [Percentiles; 3],
    latency: &[LatencyRow],
    [pass_saturation, relay_saturation]: [&Saturation; 2],
    (rss_pass, rss_relay): (f64, f64),
    checked: &Tally,
) -> String {
    let mut table = String::new();
    let mut row = |cells: [String; 6]| {
        let _ = writeln!(table, "| {} |", cells.join(" | "));
    };
    let blank = String::new;
    row([
        "measure",
        "mock direct",
        "passthrough",
        "relay",
        "added by the relay",
        "target",
    ]
    .map(String::from));
    row(["---", "---:", "---:", "---:", "---:", "---"].map(String::from));
    row([
        "time to first byte p50, c=1 (µs)".into(),
        format!("{:.0}", mock.p50),
        format!("{:.0}", pass.p50),
        format!("{:.0}", relay.p50),
        format!("{:.0} vs mock", relay.p50 - mock.p50),
        blank(),
    ]);
    row([
        "time to first byte p99, c=1 (µs)".into(),
        format!("{:.0}", mock.p99),
        format!("{:.0}", pass.p99),
        format!("{:.0}", relay.p99),
        format!("{:.0} vs mock", relay.p99 - mock.p99),
        "≤ 300 added".into(),
    ]);
    for line in latency {
        let target = match line.concurrency {
            64 => "≤ 100 added",
            512 => "≤ 1000 added",
            _ => "",
        };
        for (label, pass, relay, target) in [
            ("p50", line.passthrough.p50, line.relay.p50, ""),
            ("p99", line.passthrough.p99, line.relay.p99, target),
            (
                "p99 with finish/usage chunks",
                line.passthrough_all.p99,
                line.relay_all.p99,
                "",
            ),
        ] {
            row([
                format!("frame latency {label}, c={} (µs)", line.concurrency),
                blank(),
                format!("{pass:.0}"),
                format!("{relay:.0}"),
                format!("{:.0}", relay - pass),
                target.into(),
            ]);
        }
    }
    row([
        format!("frames/s at saturation, c={}", plan.saturation_concurrency),
        blank(),
        format!("{:.0}", pass_saturation.frames_per_s),
        format!("{:.0}", relay_saturation.frames_per_s),
        blank(),
        blank(),
    ]);
    row([
        "streams/s at saturation".into(),
        blank(),
        format!("{:.0}", pass_saturation.streams_per_s),
        format!("{:.0}", relay_saturation.streams_per_s),
        blank(),
        blank(),
    ]);
    row([
        "gateway CPU per upstream event (ns)".into(),
        blank(),
        format!("{:.0}", pass_saturation.cpu_ns_per_event),
        format!("{:.0}", relay_saturation.cpu_ns_per_event),
        format!(
            "{:+.0}%",
            (relay_saturation.cpu_ns_per_event / pass_saturation.cpu_ns_per_event - 1.0) * 100.0
        ),
        "≤ +10%".into(),
    ]);
    row([
        format!("RSS per idle open stream, {} open (KiB)", plan.idle_streams),
        blank(),
        format!("{rss_pass:.1}"),
        format!("{rss_relay:.1}"),
        format!("{:.1}", rss_relay - rss_pass),
        "≤ 64".into(),
    ]);
    row([
        "streams checked exact / wrong / failed".into(),
        blank(),
        blank(),
        format!(
            "{} / {} / {}",
            checked.streams - checked.wrong,
            checked.wrong,
            checked.failed
        ),
        blank(),
        "0 wrong".into(),
    ]);
    table
}

/// A bar chart of the frame latency p50 and p99 through each gateway at
/// each concurrency, on a log scale, as a small self-contained SVG.
fn chart(rows: &[LatencyRow]) -> String {
    let (width, height, left, bottom, top) = (640.0, 300.0, 70.0, 250.0, 40.0);
    let max = rows
        .iter()
        .flat_map(|row| [row.passthrough.p99, row.relay.p99])
        .filter(|value| value.is_finite())
        .fold(10.0f64, f64::max);
    let decades = max.log10().ceil().max(1.0);
    let y = |value: f64| bottom - (value.max(1.0).log10() / decades) * (bottom - top);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{left}" y="20" font-size="14">Frame latency through the gateway, µs (log scale): upstream send to client arrival</text>
"##
    );
    for decade in 0..=decades as i32 {
        let value = 10f64.powi(decade);
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{value}</text>"##,
            width - 10.0,
            left - 6.0,
            y(value) + 4.0,
            y = y(value)
        );
    }
    let group = (width - left - 20.0) / rows.len().max(1) as f64;
    let bar = group / 6.0;
    let series = [
        ("passthrough", "#9db4d6", "#4a6fa5"),
        ("relay", "#f4b183", "#c55a11"),
    ];
    for (g, row) in rows.iter().enumerate() {
        let x0 = left + g as f64 * group + bar;
        for (i, (percentiles, (name, light, dark))) in
            [row.passthrough, row.relay].iter().zip(series).enumerate()
        {
            for (j, (label, value, colour)) in [
                ("p50", percentiles.p50, light),
                ("p99", percentiles.p99, dark),
            ]
            .into_iter()
            .enumerate()
            {
                let x = x0 + (i * 2 + j) as f64 * bar;
                let top_y = y(value);
                let _ = writeln!(
                    svg,
                    r##"<rect x="{x:.1}" y="{top_y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{name} {label} {value:.0} µs</title></rect>"##,
                    bar - 2.0,
                    bottom - top_y,
                );
            }
        }
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{}" text-anchor="middle">concurrency {}</text>"##,
            x0 + 2.0 * bar,
            bottom + 18.0,
            row.concurrency
        );
    }
    for (k, (name, light, dark)) in series.into_iter().enumerate() {
        let x = left + k as f64 * 180.0;
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="{}" width="10" height="10" fill="{light}"/><rect x="{}" y="{}" width="10" height="10" fill="{dark}"/><text x="{}" y="{}">{name} p50 / p99</text>"##,
            bottom + 30.0,
            x + 12.0,
            bottom + 30.0,
            x + 28.0,
            bottom + 39.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}
