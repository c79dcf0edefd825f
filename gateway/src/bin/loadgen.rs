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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use argstream::Relay;
use argstream_gateway::{Config, MockUpstream, Recording};
use bytes::Bytes;
use tokio::sync::Mutex;

const ROUTE: &str = "/v1/chat/completions";
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
    let plan = match Plan::from_args(&args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!(
                "loadgen: {message}\nusage: loadgen [--quick] [--delay-ms N] [--run-secs N] [--ttfb-requests N] [--idle-streams N]"
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

fn load_cases() -> Result<(Vec<Recording>, Vec<Case>), String> {
    let folder = testdata().join("streams/openai-compatible");
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
        let mut relay = Relay::default();
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
            relayed: relay.output().to_vec(),
            passed: upstream,
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

/// Streams one request and checks it; a frame whose stamp is readable
/// gives one latency sample.
async fn one_stream(
    client: &reqwest::Client,
    url: &str,
    index: usize,
    delay: Duration,
    epoch: Instant,
    cases: &[Case],
    expect: Expect,
    deadline: Instant,
    tally: &mut Tally,
) {
    let case = &cases[index % cases.len()];
    let body = format!(
        r#"{{"model":"mock","stream":true,"replay":{index},"delay_us":{},"stamp":true}}"#,
        delay.as_micros()
    );
    let started = Instant::now();
    let request = client.post(format!("{url}{ROUTE}")).body(body).send();
    let patience = deadline.saturating_duration_since(started);
    let mut response = match tokio::time::timeout(patience, request).await {
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
    let mut first = true;
    loop {
        let patience = deadline.saturating_duration_since(Instant::now());
        let chunk = match tokio::time::timeout(patience, response.chunk()).await {
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => break,
            Ok(Err(_)) => {
                tally.failed += 1;
                return;
            }
            // The run is over: the stream is dropped unfinished, and not
            // counted.
            Err(_) => {
                tally.cut += 1;
                return;
            }
        };
        let now = epoch.elapsed().as_micros() as u64;
        if first {
            tally.ttfb_us.push(started.elapsed().as_micros() as u32);
            first = false;
        }
        received.extend_from_slice(&chunk);
        while let Some(end) = memchr::memmem::find(&received[scanned..], b"\n\n") {
            let frame = &received[scanned..scanned + end];
            if let Some(stamp) = stamp_of(frame) {
                tally
                    .frame_latency_us
                    .push(now.saturating_sub(stamp).min(u32::MAX as u64) as u32);
            }
            tally.frames += 1;
            scanned += end + 2;
        }
    }
    tally.streams += 1;
    tally.events += case.events;
    let wanted = match expect {
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

/// `concurrency` workers, each streaming one request after another until
/// `run_time` has passed (or `max_streams` in all have been started).
#[allow(clippy::too_many_arguments)]
async fn drive(
    client: &reqwest::Client,
    url: &str,
    concurrency: usize,
    delay: Duration,
    run_time: Duration,
    max_streams: usize,
    epoch: Instant,
    cases: &Arc<Vec<Case>>,
    expect: Expect,
) -> Tally {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + run_time;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next, cases) =
            (client.clone(), url.to_owned(), next.clone(), cases.clone());
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            while Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= max_streams {
                    break;
                }
                one_stream(
                    &client, &url, index, delay, epoch, &cases, expect, deadline, &mut tally,
                )
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

fn percentile(samples: &mut [u32], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    f64::from(samples[rank - 1])
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
            let request = client.post(format!("{url}{ROUTE}")).body(body).send();
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

async fn run(plan: Plan) -> Result<(), String> {
    let (recordings, cases) = load_cases()?;
    let cases = Arc::new(cases);
    eprintln!(
        "loadgen: {} recorded streams, {} events; pause between events {} ms",
        recordings.len(),
        recordings.iter().map(Recording::len).sum::<usize>(),
        plan.delay.as_millis()
    );
    let epoch = Instant::now();
    let mock = MockUpstream::new()
        .with_epoch(epoch)
        .route(ROUTE, recordings);
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

    let targets = [
        ("mock", mock_url.as_str(), Expect::Passed),
        ("passthrough", passing.url.as_str(), Expect::Passed),
        ("relay", relaying.url.as_str(), Expect::Relayed),
    ];
    let mut checked = Tally::default();
    let mut report = serde_json::Map::new();

    // Warm each target's connections and allocator first.
    for (_, url, expect) in targets {
        let tally = drive(
            &client,
            url,
            8,
            Duration::ZERO,
            Duration::from_secs(1),
            400,
            epoch,
            &cases,
            expect,
        )
        .await;
        checked.merge(tally);
    }

    eprintln!("loadgen: time to first byte, concurrency 1");
    let mut ttfb: HashMap<&str, Tally> = HashMap::new();
    for index in 0..plan.ttfb_requests {
        for (name, url, expect) in targets {
            let mut tally = Tally::default();
            let deadline = Instant::now() + Duration::from_secs(30);
            one_stream(
                &client,
                url,
                index,
                Duration::ZERO,
                epoch,
                &cases,
                expect,
                deadline,
                &mut tally,
            )
            .await;
            ttfb.entry(name).or_default().merge(tally);
        }
    }
    let mut ttfb_p = HashMap::new();
    for (name, tally) in &mut ttfb {
        let samples = &mut tally.ttfb_us;
        ttfb_p.insert(*name, (percentile(samples, 0.5), percentile(samples, 0.99)));
    }
    for (_, tally) in ttfb.drain() {
        checked.merge(Tally {
            ttfb_us: Vec::new(),
            ..tally
        });
    }

    let mut latency_rows = Vec::new();
    for concurrency in [1, 64, 512] {
        eprintln!("loadgen: frame latency, concurrency {concurrency}");
        let mut row = Vec::new();
        for (name, url, expect) in &targets[1..] {
            let started = Instant::now();
            let mut tally = drive(
                &client,
                url,
                concurrency,
                plan.delay,
                plan.run_time,
                usize::MAX,
                epoch,
                &cases,
                *expect,
            )
            .await;
            eprintln!(
                "loadgen:   {name}: {} streams done, {} cut at the deadline, in {:.1} s",
                tally.streams,
                tally.cut,
                started.elapsed().as_secs_f64()
            );
            let samples = &mut tally.frame_latency_us;
            let p = (
                percentile(samples, 0.5),
                percentile(samples, 0.99),
                percentile(samples, 0.999),
            );
            row.push((*name, p, tally.streams, samples.len()));
            checked.merge(Tally {
                frame_latency_us: Vec::new(),
                ..tally
            });
        }
        latency_rows.push((concurrency, row));
    }

    eprintln!(
        "loadgen: saturation, concurrency {}",
        plan.saturation_concurrency
    );
    let mut saturation = Vec::new();
    for (gateway, name, expect) in [
        (&passing, "passthrough", Expect::Passed),
        (&relaying, "relay", Expect::Relayed),
    ] {
        let cpu_before = gateway.cpu_time();
        let started = Instant::now();
        let tally = drive(
            &client,
            &gateway.url,
            plan.saturation_concurrency,
            Duration::ZERO,
            plan.run_time,
            usize::MAX,
            epoch,
            &cases,
            expect,
        )
        .await;
        let elapsed = started.elapsed().as_secs_f64();
        let cpu = (gateway.cpu_time() - cpu_before).as_secs_f64();
        // Upstream events are the same work for both gateways: the unit
        // of CPU per frame. Downstream frames differ (the relay hides some).
        let events = tally.events;
        saturation.push((
            name,
            tally.frames as f64 / elapsed,
            tally.streams as f64 / elapsed,
            cpu * 1e9 / events.max(1) as f64,
            events,
        ));
        checked.merge(tally);
    }

    eprintln!("loadgen: {} idle streams held open", plan.idle_streams);
    let rss_pass = idle_rss(&client, &passing, plan.idle_streams).await?;
    let rss_relay = idle_rss(&client, &relaying, plan.idle_streams).await?;

    // The table.
    let mut table = String::new();
    let _ = writeln!(
        table,
        "| measure | mock direct | passthrough | relay | added by the relay | target |"
    );
    let _ = writeln!(table, "| --- | ---: | ---: | ---: | ---: | --- |");
    let (mock_p50, mock_p99) = ttfb_p["mock"];
    let (pass_p50, pass_p99) = ttfb_p["passthrough"];
    let (relay_p50, relay_p99) = ttfb_p["relay"];
    let _ = writeln!(
        table,
        "| time to first byte p50, c=1 (µs) | {mock_p50:.0} | {pass_p50:.0} | {relay_p50:.0} | {:.0} vs mock | |",
        relay_p50 - mock_p50
    );
    let _ = writeln!(
        table,
        "| time to first byte p99, c=1 (µs) | {mock_p99:.0} | {pass_p99:.0} | {relay_p99:.0} | {:.0} vs mock | ≤ 300 |",
        relay_p99 - mock_p99
    );
    let mut latency_json = Vec::new();
    for (concurrency, row) in &latency_rows {
        let (_, pass, pass_streams, pass_frames) = row[0];
        let (_, relay, relay_streams, relay_frames) = row[1];
        let target = match concurrency {
            64 => "≤ 100",
            512 => "≤ 1000",
            _ => "",
        };
        for (label, pass_value, relay_value, target) in [
            ("p50", pass.0, relay.0, ""),
            ("p99", pass.1, relay.1, target),
            ("p99.9", pass.2, relay.2, ""),
        ] {
            let _ = writeln!(
                table,
                "| frame latency {label}, c={concurrency} (µs) | | {pass_value:.0} | {relay_value:.0} | {:.0} | {target} |",
                relay_value - pass_value
            );
        }
        latency_json.push(serde_json::json!({
            "concurrency": concurrency,
            "passthrough_us": {"p50": pass.0, "p99": pass.1, "p999": pass.2, "streams": pass_streams, "frames": pass_frames},
            "relay_us": {"p50": relay.0, "p99": relay.1, "p999": relay.2, "streams": relay_streams, "frames": relay_frames},
            "added_us": {"p50": relay.0 - pass.0, "p99": relay.1 - pass.1, "p999": relay.2 - pass.2},
        }));
    }
    let (_, pass_fps, pass_sps, pass_cpu, _) = saturation[0];
    let (_, relay_fps, relay_sps, relay_cpu, _) = saturation[1];
    let _ = writeln!(
        table,
        "| frames/s at saturation, c={} | | {pass_fps:.0} | {relay_fps:.0} | | |",
        plan.saturation_concurrency
    );
    let _ = writeln!(
        table,
        "| streams/s at saturation | | {pass_sps:.0} | {relay_sps:.0} | | |"
    );
    let _ = writeln!(
        table,
        "| gateway CPU per upstream event (ns) | | {pass_cpu:.0} | {relay_cpu:.0} | {:+.0}% | ≤ +10% |",
        (relay_cpu / pass_cpu - 1.0) * 100.0
    );
    let _ = writeln!(
        table,
        "| RSS per idle open stream, {} open (KiB) | | {rss_pass:.1} | {rss_relay:.1} | {:.1} | ≤ 64 |",
        plan.idle_streams,
        rss_relay - rss_pass
    );
    let _ = writeln!(
        table,
        "| streams checked / wrong / failed | | | {} / {} / {} | | 0 wrong |",
        checked.streams, checked.wrong, checked.failed
    );
    println!("{table}");
    if !checked.wrong_names.is_empty() {
        eprintln!(
            "loadgen: wrong streams, first few: {:?}",
            checked.wrong_names
        );
    }

    report.insert("quick".into(), plan.quick.into());
    report.insert("delay_ms".into(), (plan.delay.as_millis() as u64).into());
    report.insert("run_secs".into(), plan.run_time.as_secs().into());
    report.insert("recorded_streams".into(), cases.len().into());
    report.insert(
        "ttfb_us".into(),
        serde_json::json!({
            "mock": {"p50": mock_p50, "p99": mock_p99},
            "passthrough": {"p50": pass_p50, "p99": pass_p99},
            "relay": {"p50": relay_p50, "p99": relay_p99},
            "added_p99_vs_mock": relay_p99 - mock_p99,
        }),
    );
    report.insert("frame_latency".into(), latency_json.into());
    report.insert(
        "saturation".into(),
        serde_json::json!({
            "concurrency": plan.saturation_concurrency,
            "passthrough": {"frames_per_s": pass_fps, "streams_per_s": pass_sps, "cpu_ns_per_event": pass_cpu},
            "relay": {"frames_per_s": relay_fps, "streams_per_s": relay_sps, "cpu_ns_per_event": relay_cpu},
        }),
    );
    report.insert(
        "rss_kib_per_idle_stream".into(),
        serde_json::json!({"open": plan.idle_streams, "passthrough": rss_pass, "relay": rss_relay}),
    );
    report.insert(
        "checked".into(),
        serde_json::json!({"streams": checked.streams, "frames": checked.frames, "wrong": checked.wrong, "failed": checked.failed}),
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let json_path = root.join("target/gateway.json");
    let _ = std::fs::create_dir_all(root.join("target"));
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    )
    .map_err(|error| format!("{}: {error}", json_path.display()))?;
    let svg_path = root.join("docs/gateway.svg");
    std::fs::write(&svg_path, chart(&latency_rows))
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

/// A bar chart of the frame latency p50 and p99 through each gateway at
/// each concurrency, on a log scale, as a small self-contained SVG.
fn chart(rows: &[(usize, Vec<(&str, (f64, f64, f64), u64, usize)>)]) -> String {
    let (width, height, left, bottom, top) = (640.0, 300.0, 70.0, 250.0, 40.0);
    let max = rows
        .iter()
        .flat_map(|(_, row)| row.iter().map(|(_, p, _, _)| p.1))
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
    for decade in 0..=decades as u32 {
        let value = 10f64.powi(decade as i32);
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
    let colours = [
        ("passthrough", "#9db4d6", "#4a6fa5"),
        ("relay", "#f4b183", "#c55a11"),
    ];
    for (g, (concurrency, row)) in rows.iter().enumerate() {
        let x0 = left + g as f64 * group + bar;
        for (i, (name, p, _, _)) in row.iter().enumerate() {
            let (_, light, dark) = colours
                .iter()
                .find(|(n, _, _)| n == name)
                .copied()
                .unwrap_or(("", "#ccc", "#888"));
            for (j, (value, colour)) in [(p.0, light), (p.1, dark)].into_iter().enumerate() {
                let x = x0 + (i * 2 + j) as f64 * bar;
                let top_y = y(value);
                let _ = writeln!(
                    svg,
                    r##"<rect x="{x:.1}" y="{top_y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{name} {} {value:.0} µs</title></rect>"##,
                    bar - 2.0,
                    bottom - top_y,
                    if j == 0 { "p50" } else { "p99" }
                );
            }
        }
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{}" text-anchor="middle">{concurrency} streams</text>"##,
            x0 + 2.0 * bar,
            bottom + 18.0
        );
    }
    let mut legend_x = left;
    for (name, light, dark) in colours {
        let _ = writeln!(
            svg,
            r##"<rect x="{legend_x}" y="{}" width="10" height="10" fill="{light}"/><rect x="{}" y="{}" width="10" height="10" fill="{dark}"/><text x="{}" y="{}">{name} p50 / p99</text>"##,
            bottom + 30.0,
            legend_x + 12.0,
            bottom + 30.0,
            legend_x + 28.0,
            bottom + 39.0
        );
        legend_x += 180.0;
    }
    svg.push_str("</svg>\n");
    svg
}
