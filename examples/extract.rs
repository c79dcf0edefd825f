//! Streams the decoded text of one top-level string argument out of a JSON
//! arguments document, feeding it to the scanner in small pieces the way a
//! model's tool-call fragments arrive.
//!
//! ```text
//! cargo run --release --example extract -- --key KEY [--chunk-bytes N] [FILE]
//! ```
//!
//! Reads FILE (or stdin), writes the text of KEY's value to stdout as it
//! arrives, and exits 0 when the document is complete and valid (also when KEY
//! is absent), 1 with a one-line error naming the byte offset otherwise. A key
//! that appears twice has each value written as it arrives, one after the
//! other, with a note on stderr: what has been written cannot be taken back.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use argstream::{Event, KeyScanner};

struct Options {
    key: String,
    chunk_bytes: usize,
    file: Option<String>,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut key, mut chunk_bytes, mut file) = (None, 8192, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => key = Some(args.next().ok_or("--key needs a value")?),
            "--chunk-bytes" => {
                let value = args.next().ok_or("--chunk-bytes needs a value")?;
                chunk_bytes = value.parse().ok().filter(|&n| n > 0).ok_or(format!(
                    "--chunk-bytes takes a positive whole number, not {value:?}"
                ))?;
            }
            "-h" | "--help" => {
                return Err("usage: extract --key KEY [--chunk-bytes N] [FILE]".to_owned());
            }
            _ if file.is_none() && !arg.starts_with("--") => file = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let key = key.ok_or("usage: extract --key KEY [--chunk-bytes N] [FILE]")?;
    Ok(Options {
        key,
        chunk_bytes,
        file,
    })
}

fn run(options: &Options) -> Result<(), String> {
    let mut source: Box<dyn Read> = match &options.file {
        Some(path) => Box::new(std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?),
        None => Box::new(io::stdin().lock()),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = stream(options, &mut *source, &mut out);
    // Text accepted before an error is still written: it was valid.
    let flushed = out.flush().map_err(|e| format!("write error: {e}"));
    result.and(flushed)
}

fn stream(options: &Options, source: &mut dyn Read, out: &mut impl Write) -> Result<(), String> {
    let mut scanner = KeyScanner::new(&[options.key.as_str()]);
    let mut buf = Vec::new();
    let mut read = vec![0; 64 * 1024];
    let mut scratch = String::new();
    let mut occurrences = 0u32;
    loop {
        let n = source
            .read(&mut read)
            .map_err(|e| format!("read error: {e}"))?;
        if n == 0 {
            break;
        }
        // Each read is fed in pieces of --chunk-bytes, pulling events after
        // every piece, as a gateway does with each tool-call fragment.
        for piece in read[..n].chunks(options.chunk_bytes) {
            buf.extend_from_slice(piece);
            while let Some(event) = scanner.next_event(&buf).map_err(|e| e.to_string())? {
                match event {
                    Event::Text(span) => {
                        let text = span.decode(&buf, &mut scratch).map_err(|e| e.to_string())?;
                        out.write_all(text.as_bytes())
                            .map_err(|e| format!("write error: {e}"))?;
                    }
                    Event::ValueStart { .. } | Event::NonString { .. } => occurrences += 1,
                    Event::ValueEnd { .. } | Event::Complete => {}
                }
            }
        }
        out.flush().map_err(|e| format!("write error: {e}"))?;
    }
    scanner.finish().map_err(|e| e.to_string())?;
    if occurrences > 1 {
        eprintln!(
            "note: key {:?} appears {occurrences} times; every string value was written",
            options.key
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
