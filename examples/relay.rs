//! Relays an upstream event stream (OpenAI chat completions, OpenAI
//! Responses, Anthropic Messages, Google Gemini, or Amazon Bedrock's binary
//! event-stream) to a client in the format it asks for (OpenAI
//! chat-completion chunks by default, Anthropic Messages, OpenAI Responses,
//! Google Gemini, or the upstream's own), turning the target argument of every tool call
//! into answer text as it arrives.
//!
//! ```text
//! cargo run --release --example relay -- [--from auto|openai-chat|openai-responses|anthropic|gemini|bedrock]
//!     [--to openai-chat|openai-responses|anthropic|gemini|same] [--key KEY]... [--tool-calls hide|forward]
//!     [--no-values] [--no-finish] [--chunk-bytes N] [--summary] [FILE]
//! ```
//!
//! Reads the upstream body from FILE (or stdin) in pieces of N bytes
//! (default 8192) and writes the downstream SSE to stdout: it ends with the
//! output format's end (chat: the finish chunk, a usage chunk when upstream
//! gave usage, and `data: [DONE]`; none of it with `--no-finish`), or with
//! the format's error event when upstream reported an error or was cut off.
//! `--no-values` leaves the target values out of the answer text. With `--summary` it prints one JSON line
//! on stderr at the end. Exits 0 on a stream relayed in full (an upstream
//! error included), 1 with a one-line error when the relay refused an event.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use argstream::relay::DEFAULT_KEY;
use argstream::{Format, OutputFormat, Relay, ToolCallMode};
use bytes::Bytes;

const USAGE: &str = "usage: relay [--from auto|openai-chat|openai-responses|anthropic|gemini|bedrock] \
[--to openai-chat|openai-responses|anthropic|gemini|same] [--key KEY]... [--tool-calls hide|forward] \
[--no-values] [--no-finish] [--chunk-bytes N] [--summary] [FILE]";

struct Options {
    keys: Vec<String>,
    from: Option<Format>,
    to: OutputFormat,
    values: bool,
    tool_calls: ToolCallMode,
    finish: bool,
    chunk_bytes: usize,
    summary: bool,
    file: Option<String>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        keys: Vec::new(),
        from: None,
        to: OutputFormat::OpenAiChat,
        values: true,
        tool_calls: ToolCallMode::Hide,
        finish: true,
        chunk_bytes: 8192,
        summary: false,
        file: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => options.keys.push(args.next().ok_or("--key needs a value")?),
            "--chunk-bytes" => {
                let value = args.next().ok_or("--chunk-bytes needs a value")?;
                options.chunk_bytes = value.parse().ok().filter(|&n| n > 0).ok_or(format!(
                    "--chunk-bytes takes a positive whole number, not {value:?}"
                ))?;
            }
            "--from" => {
                let value = args.next().ok_or("--from needs a value")?;
                options.from = match value.as_str() {
                    "auto" => None,
                    name => Some(name.parse().map_err(|e| format!("--from: {e}"))?),
                };
            }
            "--to" => {
                let value = args.next().ok_or("--to needs a value")?;
                options.to = value.parse().map_err(|e| format!("--to: {e}"))?;
            }
            "--no-values" => options.values = false,
            "--tool-calls" => {
                let value = args.next().ok_or("--tool-calls needs a value")?;
                options.tool_calls = value.parse().map_err(|e| format!("--tool-calls: {e}"))?;
            }
            "--no-finish" => options.finish = false,
            "--summary" => options.summary = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            _ if options.file.is_none() && !arg.starts_with("--") => options.file = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}\n{USAGE}")),
        }
    }
    if options.keys.is_empty() {
        options.keys.push(DEFAULT_KEY.to_owned());
    }
    Ok(options)
}

/// Relays the whole upstream body, writing downstream bytes as they come.
fn relay(options: &Options, relay: &mut Relay, out: &mut impl Write) -> Result<(), String> {
    let mut source: Box<dyn Read> = match &options.file {
        Some(path) => Box::new(std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?),
        None => Box::new(io::stdin().lock()),
    };
    let mut read = vec![0; 64 * 1024];
    let failed = |relay: &Relay, error: argstream::Error| {
        format!("{error} (upstream event {})", relay.events())
    };
    loop {
        let n = source
            .read(&mut read)
            .map_err(|e| format!("read error: {e}"))?;
        if n == 0 {
            break;
        }
        for piece in read[..n].chunks(options.chunk_bytes) {
            let fed = relay.feed(Bytes::copy_from_slice(piece));
            // Frames relayed before a bad event are written even then.
            write(out, relay.output())?;
            fed.map_err(|error| failed(relay, error))?;
        }
        out.flush().map_err(|e| format!("write error: {e}"))?;
    }
    let finished = relay.finish();
    write(out, relay.output())?;
    finished.map_err(|error| failed(relay, error))
}

fn write(out: &mut impl Write, bytes: Bytes) -> Result<(), String> {
    out.write_all(&bytes)
        .map_err(|e| format!("write error: {e}"))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut relayer = Relay::new(&options.keys)
        .with_format(options.from)
        .with_output(options.to)
        .with_values(options.values)
        .with_tool_calls(options.tool_calls)
        .with_finish(options.finish);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = relay(&options, &mut relayer, &mut out);
    let flushed = out.flush().map_err(|e| format!("write error: {e}"));
    if options.summary {
        eprintln!("{}", relayer.summary().to_json());
    }
    match result.and(flushed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
