//! The C ABI (the `argstream-capi` crate, where all of argstream's `unsafe`
//! lives) driven through its `extern "C"` functions, as a C caller would,
//! beside the Rust API given the same input and options:
//!
//! - a relay made from arbitrary options (keys, an upstream and an output
//!   format by name, flags, limits, a bad name, flag or key among them),
//!   fed an arbitrary body (arbitrary bytes or a generated stream of any of
//!   the five formats) in arbitrary reads, with an error written somewhere
//!   along, then finished, reset and fed the body again whole: at every
//!   call the status, the bytes lent through `argstream_bytes`, the error's
//!   kind, message and offset, the summary's JSON and the state are what
//!   the Rust relay gives;
//! - a key scanner made from arbitrary keys and depth limit, fed an
//!   arbitrary document (arbitrary bytes or a generated one) in arbitrary
//!   fragments, finished, reset and fed it again whole: at every call the
//!   status, the text lent and the error are what a `KeyScanner` read
//!   through `next_event` gives, and a failed scanner answers its error
//!   until reset, as the header promises.
//!
//! Every handle is freed at the end (and freeing NULL does nothing).

#![no_main]

use std::ffi::c_char;
use std::ptr;

use arbitrary::Arbitrary;
use argstream::relay::DEFAULT_KEY;
use argstream::{Error, Event, Format, KeyScanner, Output, Relay, ToolCallMode};
use argstream_capi::{
    ARGSTREAM_FORWARD_TOOL_CALLS, ARGSTREAM_NO_FINISH, ARGSTREAM_NO_VALUES, argstream_bytes,
    argstream_error, argstream_relay, argstream_relay_options, argstream_relay_state,
    argstream_scanner, argstream_scanner_options, argstream_status, argstream_str,
};
use argstream_fuzz::chat::ChatStream;
use argstream_fuzz::json::Document;
use argstream_fuzz::plan::pieces;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

/// The upstream format's names the case picks from: "" and "auto" detect
/// it, "openai" is an alias, "cohere" is refused.
const FROM: [&str; 9] = [
    "",
    "auto",
    "openai-chat",
    "openai",
    "openai-responses",
    "anthropic",
    "gemini",
    "bedrock",
    "cohere",
];
/// The output format's names: "" is the default, "gemini-x" is refused.
const TO: [&str; 7] = [
    "",
    "openai-chat",
    "openai-responses",
    "anthropic",
    "gemini",
    "same",
    "gemini-x",
];
/// The keys the case picks from, beside arbitrary ones.
const KEYS: [&str; 3] = ["pre_exec_msg", "message", "k"];

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(Vec<u8>),
    Stream(ChatStream),
}

#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8),
    Other(String),
    /// Not UTF-8: the relay or scanner is refused.
    NotUtf8,
}

#[derive(Arbitrary, Debug)]
struct RelayCase {
    keys: Vec<Key>,
    from: u8,
    to: u8,
    /// Bits past the three known flags are refused.
    flags: u8,
    created: u64,
    /// Which of the eight limits are set (a bit each), and to what.
    limits_set: u8,
    limits: [u16; 8],
    body: Body,
    plan: Vec<u8>,
    /// Before which read (modulo their number) an error is written, if any.
    write_error: Option<(u8, String, String)>,
}

#[derive(Arbitrary, Debug)]
enum Doc {
    Raw(Vec<u8>),
    Generated(Document),
}

#[derive(Arbitrary, Debug)]
struct ScanCase {
    keys: Vec<Key>,
    max_depth: u8,
    document: Doc,
    plan: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
enum Case {
    Relay(RelayCase),
    Scan(ScanCase),
}

/// Text for C: a pointer and a length into `text`.
fn c_str(text: &[u8]) -> argstream_str {
    argstream_str {
        ptr: text.as_ptr().cast::<c_char>(),
        len: text.len(),
    }
}

/// The bytes of text the library lent.
///
/// # Safety
/// `text` was written by the library and is still lent.
unsafe fn lent_str(text: argstream_str) -> Vec<u8> {
    if text.len == 0 {
        return Vec::new();
    }
    assert!(!text.ptr.is_null(), "NULL text of length {}", text.len);
    // SAFETY: the library lends `len` bytes at `ptr` until the next call.
    unsafe { std::slice::from_raw_parts(text.ptr.cast::<u8>(), text.len) }.to_vec()
}

/// The bytes the library lent.
///
/// # Safety
/// `bytes` was written by the library and is still lent.
unsafe fn lent_bytes(bytes: argstream_bytes) -> Vec<u8> {
    assert!(!bytes.ptr.is_null(), "the library lent a NULL pointer");
    // SAFETY: the library lends `len` bytes at `ptr` until the next call.
    unsafe { std::slice::from_raw_parts(bytes.ptr, bytes.len) }.to_vec()
}

/// Checks that the bytes the C ABI lent are the Rust relay's `want`.
fn same_bytes(got: &[u8], want: &[u8], what: &str) {
    assert!(
        got == want,
        "{what}: the C ABI lent {:?}, Rust gave {:?}",
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(want)
    );
}

/// What a call reported: its status and, for an input error, the error's
/// kind, message and offset.
type Reported = (argstream_status, Option<(Vec<u8>, Vec<u8>, u64)>);

/// What the Rust API's `result` is through the C ABI.
fn expected(result: Result<(), Error>) -> Reported {
    match result {
        Ok(()) => (argstream_status::Ok, None),
        Err(e) => (
            argstream_status::InputError,
            Some((
                e.kind().name().as_bytes().to_vec(),
                e.kind().description().as_bytes().to_vec(),
                e.offset(),
            )),
        ),
    }
}

/// What a call with an error out-parameter reported.
///
/// # Safety
/// `error` was written by the library if `status` is an input error.
unsafe fn reported(status: argstream_status, error: &argstream_error) -> Reported {
    let error = (status == argstream_status::InputError).then(|| {
        // SAFETY: the kind and message are static text.
        unsafe { (lent_str(error.kind), lent_str(error.message), error.offset) }
    });
    (status, error)
}

fn no_error() -> argstream_error {
    argstream_error {
        kind: argstream_str {
            ptr: ptr::null(),
            len: 0,
        },
        message: argstream_str {
            ptr: ptr::null(),
            len: 0,
        },
        offset: u64::MAX,
    }
}

fn no_bytes() -> argstream_bytes {
    argstream_bytes {
        ptr: ptr::null(),
        len: 0,
    }
}

/// The keys as C texts (over `owned`), and whether one is not UTF-8.
fn keys_of(keys: &[Key], owned: &mut Vec<Vec<u8>>) -> bool {
    let mut bad = false;
    for key in keys.iter().take(4) {
        owned.push(match key {
            Key::Known(at) => KEYS[usize::from(*at) % KEYS.len()].as_bytes().to_vec(),
            Key::Other(text) => text.as_bytes().to_vec(),
            Key::NotUtf8 => {
                bad = true;
                b"k\xff".to_vec()
            }
        });
    }
    bad
}

/// The Rust relay for `case`, as argstream.h describes the options: `None`
/// where argstream_relay_new refuses them.
fn rust_relay(case: &RelayCase, keys: &[&str], bad_key: bool) -> Option<Relay> {
    if bad_key || u32::from(case.flags) & !7 != 0 {
        return None;
    }
    let format = match FROM[usize::from(case.from) % FROM.len()] {
        "" | "auto" => None,
        name => Some(name.parse::<Format>().ok()?),
    };
    let output = match TO[usize::from(case.to) % TO.len()] {
        "" => Output::OpenAiChat,
        name => name.parse::<Output>().ok()?,
    };
    let flags = u32::from(case.flags);
    let keys = if keys.is_empty() {
        &[DEFAULT_KEY][..]
    } else {
        keys
    };
    let mut relay = Relay::new(keys)
        .with_format(format)
        .with_output(output)
        .with_tool_calls(if flags & ARGSTREAM_FORWARD_TOOL_CALLS != 0 {
            ToolCallMode::Forward
        } else {
            ToolCallMode::Hide
        })
        .with_values(flags & ARGSTREAM_NO_VALUES == 0)
        .with_finish(flags & ARGSTREAM_NO_FINISH == 0);
    relay.set_created(case.created);
    let limits = limits(case);
    let setters: [fn(Relay, usize) -> Relay; 8] = [
        Relay::with_max_event_size,
        Relay::with_max_arguments,
        Relay::with_max_calls,
        Relay::with_max_stream_arguments,
        Relay::with_max_depth,
        Relay::with_max_choices,
        Relay::with_max_content,
        Relay::with_max_kept,
    ];
    for (limit, set) in limits.into_iter().zip(setters) {
        if limit != 0 {
            relay = set(relay, limit);
        }
    }
    Some(relay)
}

/// The eight limits of `case`, in argstream_relay_options' order; 0 for
/// the default.
fn limits(case: &RelayCase) -> [usize; 8] {
    let mut limits = [0; 8];
    for (at, limit) in limits.iter_mut().enumerate() {
        if case.limits_set & (1 << at) != 0 {
            *limit = usize::from(case.limits[at]);
        }
    }
    limits
}

/// The summary and state the C relay reports, beside the Rust relay's.
///
/// # Safety
/// `c` is a live relay handle.
unsafe fn same_summary_and_state(c: *mut argstream_relay, rust: &Relay) {
    let mut json = argstream_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live handle and a place for the text.
    let status = unsafe { argstream_capi::argstream_relay_summary(c, &mut json) };
    assert_eq!(status, argstream_status::Ok);
    // SAFETY: lent until the next call.
    let json = unsafe { lent_str(json) };
    assert_eq!(
        String::from_utf8_lossy(&json),
        rust.summary().to_json(),
        "summary"
    );
    let mut state = argstream_relay_state {
        format: argstream_str {
            ptr: ptr::null(),
            len: 0,
        },
        events: u64::MAX,
        ended: false,
    };
    // SAFETY: a live handle and a place for the state.
    let status = unsafe { argstream_capi::argstream_relay_get_state(c, &mut state) };
    assert_eq!(status, argstream_status::Ok);
    // SAFETY: static text.
    let format = unsafe { lent_str(state.format) };
    let want = rust.format().map_or("", |format| format.name());
    assert_eq!(format, want.as_bytes(), "format");
    assert_eq!(
        (state.events, state.ended),
        (rust.events(), rust.is_ended()),
        "events and end"
    );
}

/// Feeds `read` to both relays and checks they agree.
///
/// # Safety
/// `c` is a live relay handle.
unsafe fn feed_both(c: *mut argstream_relay, rust: &mut Relay, read: &[u8]) {
    let mut output = no_bytes();
    let mut error = no_error();
    // SAFETY: `read` is readable for the call; the out-parameters are ours.
    let status = unsafe {
        argstream_capi::argstream_relay_feed(c, read.as_ptr(), read.len(), &mut output, &mut error)
    };
    let want = expected(rust.feed(Bytes::copy_from_slice(read)));
    // SAFETY: written by the call, lent until the next one.
    let (got, bytes) = unsafe { (reported(status, &error), lent_bytes(output)) };
    assert_eq!(got, want, "feed of {} bytes", read.len());
    same_bytes(&bytes, &rust.output(), "output of a feed");
}

/// Relays `case` through the C ABI and through Rust, read by read.
fn relay_case(case: &RelayCase) {
    let mut owned = Vec::new();
    let bad_key = keys_of(&case.keys, &mut owned);
    let c_keys: Vec<argstream_str> = owned.iter().map(|key| c_str(key)).collect();
    let text_keys: Vec<&str> = owned
        .iter()
        .filter_map(|key| std::str::from_utf8(key).ok())
        .collect();
    let from = FROM[usize::from(case.from) % FROM.len()];
    let to = TO[usize::from(case.to) % TO.len()];
    let [
        max_event_size,
        max_arguments,
        max_calls,
        max_stream_arguments,
        max_depth,
        max_choices,
        max_content,
        max_kept,
    ] = limits(case);
    let options = argstream_relay_options {
        keys: if c_keys.is_empty() {
            ptr::null()
        } else {
            c_keys.as_ptr()
        },
        keys_len: c_keys.len(),
        from: c_str(from.as_bytes()),
        to: c_str(to.as_bytes()),
        flags: u32::from(case.flags),
        created: case.created,
        max_event_size,
        max_arguments,
        max_calls,
        max_stream_arguments,
        max_depth,
        max_choices,
        max_content,
        max_kept,
    };
    let mut c: *mut argstream_relay = ptr::null_mut();
    let mut message = [0 as c_char; 64];
    // SAFETY: the options and what they point to live through the call; the
    // out-parameters are ours, the message buffer 64 bytes.
    let status = unsafe {
        argstream_capi::argstream_relay_new(&options, &mut c, message.as_mut_ptr(), message.len())
    };
    let Some(mut rust) = rust_relay(case, &text_keys, bad_key) else {
        assert_eq!(status, argstream_status::InvalidArgument, "refused options");
        assert!(c.is_null(), "a refused relay is no handle");
        // The reason, NUL-terminated within the buffer.
        assert!(message.contains(&0) && message[0] != 0, "a reason");
        return;
    };
    assert_eq!(status, argstream_status::Ok, "options {options:?}");
    assert!(!c.is_null());

    let body = match &case.body {
        Body::Raw(bytes) => bytes.clone(),
        Body::Stream(stream) => stream.to_bytes(),
    };
    let reads = pieces(body.len(), &case.plan);
    let write_at = case
        .write_error
        .as_ref()
        .map(|(at, kind, message)| (usize::from(*at) % (reads.len() + 1), kind, message));
    for (at, read) in reads.iter().enumerate() {
        if let Some((_, kind, message)) = write_at.filter(|w| w.0 == at) {
            // SAFETY: a live handle.
            unsafe { write_error_both(c, &mut rust, kind, message) };
        }
        // SAFETY: a live handle.
        unsafe { feed_both(c, &mut rust, &body[read.clone()]) };
    }
    if let Some((_, kind, message)) = write_at.filter(|w| w.0 == reads.len()) {
        // SAFETY: a live handle.
        unsafe { write_error_both(c, &mut rust, kind, message) };
    }
    let mut output = no_bytes();
    let mut error = no_error();
    // SAFETY: a live handle; the out-parameters are ours.
    let status = unsafe { argstream_capi::argstream_relay_finish(c, &mut output, &mut error) };
    let want = expected(rust.finish());
    // SAFETY: written by the call, lent until the next one.
    let (got, bytes) = unsafe { (reported(status, &error), lent_bytes(output)) };
    assert_eq!(got, want, "finish");
    same_bytes(&bytes, &rust.output(), "output of finish");
    // SAFETY: a live handle.
    unsafe { same_summary_and_state(c, &rust) };

    // Reset, and the body again in one read.
    // SAFETY: a live handle.
    let status = unsafe { argstream_capi::argstream_relay_reset(c) };
    assert_eq!(status, argstream_status::Ok);
    rust.reset();
    // SAFETY: a live handle.
    unsafe {
        same_summary_and_state(c, &rust);
        feed_both(c, &mut rust, &body);
        same_summary_and_state(c, &rust);
    }

    // SAFETY: a live handle, freed once.
    unsafe {
        assert_eq!(
            argstream_capi::argstream_relay_free(c),
            argstream_status::Ok
        );
        assert_eq!(
            argstream_capi::argstream_relay_free(ptr::null_mut()),
            argstream_status::Ok
        );
    }
}

/// Writes an error event through both relays and checks they agree.
///
/// # Safety
/// `c` is a live relay handle.
unsafe fn write_error_both(c: *mut argstream_relay, rust: &mut Relay, kind: &str, message: &str) {
    let mut output = no_bytes();
    // SAFETY: a live handle; the texts live through the call.
    let status = unsafe {
        argstream_capi::argstream_relay_write_error(
            c,
            c_str(kind.as_bytes()),
            c_str(message.as_bytes()),
            &mut output,
        )
    };
    assert_eq!(status, argstream_status::Ok, "write_error");
    rust.write_error(kind, message);
    // SAFETY: lent until the next call.
    let bytes = unsafe { lent_bytes(output) };
    same_bytes(&bytes, &rust.output(), "write_error");
}

/// The key scanner of the header's contract, read through `next_event`:
/// the text each fragment completes, and once failed the same error until
/// reset.
struct Reference {
    scanner: KeyScanner,
    document: Vec<u8>,
    failed: Option<Error>,
}

impl Reference {
    fn feed(&mut self, fragment: &[u8]) -> (Result<(), Error>, String) {
        if let Some(error) = self.failed {
            return (Err(error), String::new());
        }
        self.document.extend_from_slice(fragment);
        let mut text = String::new();
        loop {
            match self.scanner.next_event(&self.document) {
                Ok(Some(Event::Text(span))) => {
                    span.decode_into(&self.document, &mut text)
                        .expect("a span decodes");
                }
                Ok(Some(_)) => {}
                Ok(None) => return (Ok(()), text),
                Err(error) => {
                    self.failed = Some(error);
                    return (Err(error), String::new());
                }
            }
        }
    }

    fn finish(&mut self) -> Result<(), Error> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        let finished = self.scanner.finish();
        self.failed = finished.err();
        finished
    }

    fn reset(&mut self) {
        self.scanner.reset();
        self.document.clear();
        self.failed = None;
    }
}

/// Feeds `fragment` to both scanners and checks they agree.
///
/// # Safety
/// `c` is a live scanner handle.
unsafe fn scan_both(c: *mut argstream_scanner, rust: &mut Reference, fragment: &[u8]) {
    let mut text = argstream_str {
        ptr: ptr::null(),
        len: usize::MAX,
    };
    let mut error = no_error();
    // SAFETY: `fragment` is readable for the call; the out-parameters are ours.
    let status = unsafe {
        argstream_capi::argstream_scanner_feed(
            c,
            fragment.as_ptr(),
            fragment.len(),
            &mut text,
            &mut error,
        )
    };
    let (result, want_text) = rust.feed(fragment);
    // SAFETY: written by the call, lent until the next one.
    let (got, got_text) = unsafe { (reported(status, &error), lent_str(text)) };
    assert_eq!(got, expected(result), "scanner feed");
    assert_eq!(
        String::from_utf8(got_text).expect("the text is UTF-8"),
        want_text,
        "scanner text"
    );
}

/// Scans `case` through the C ABI and through Rust, fragment by fragment.
fn scan_case(case: &ScanCase) {
    let mut owned = Vec::new();
    let bad_key = keys_of(&case.keys, &mut owned);
    let c_keys: Vec<argstream_str> = owned.iter().map(|key| c_str(key)).collect();
    let options = argstream_scanner_options {
        keys: c_keys.as_ptr(),
        keys_len: c_keys.len(),
        max_depth: usize::from(case.max_depth),
    };
    let mut c: *mut argstream_scanner = ptr::null_mut();
    // SAFETY: the options live through the call; no message buffer.
    let status =
        unsafe { argstream_capi::argstream_scanner_new(&options, &mut c, ptr::null_mut(), 0) };
    if bad_key {
        assert_eq!(status, argstream_status::InvalidArgument, "a key not UTF-8");
        assert!(c.is_null());
        return;
    }
    assert_eq!(status, argstream_status::Ok);
    let keys: Vec<&str> = owned
        .iter()
        .map(|key| std::str::from_utf8(key).expect("UTF-8"))
        .collect();
    let scanner = match case.max_depth {
        0 => KeyScanner::new(&keys),
        limit => KeyScanner::new(&keys).with_max_depth(usize::from(limit)),
    };
    let mut rust = Reference {
        scanner,
        document: Vec::new(),
        failed: None,
    };
    let document = match &case.document {
        Doc::Raw(bytes) => bytes.clone(),
        Doc::Generated(document) => document.to_bytes(),
    };
    for pass in 0..2 {
        let reads = if pass == 0 {
            pieces(document.len(), &case.plan)
        } else {
            pieces(document.len(), &[])
        };
        for read in reads {
            // SAFETY: a live handle.
            unsafe { scan_both(c, &mut rust, &document[read]) };
        }
        // A fragment after the document's end, empty.
        // SAFETY: a live handle.
        unsafe { scan_both(c, &mut rust, &[]) };
        let mut error = no_error();
        // SAFETY: a live handle; the out-parameter is ours.
        let status = unsafe { argstream_capi::argstream_scanner_finish(c, &mut error) };
        // SAFETY: written by the call.
        let got = unsafe { reported(status, &error) };
        assert_eq!(got, expected(rust.finish()), "scanner finish");
        // Failed or finished, another fragment answers as the reference.
        // SAFETY: a live handle.
        unsafe { scan_both(c, &mut rust, b" ") };
        // SAFETY: a live handle.
        let status = unsafe { argstream_capi::argstream_scanner_reset(c) };
        assert_eq!(status, argstream_status::Ok);
        rust.reset();
    }
    // SAFETY: a live handle, freed once.
    unsafe {
        assert_eq!(
            argstream_capi::argstream_scanner_free(c),
            argstream_status::Ok
        );
    }
}

fuzz_target!(|case: Case| {
    match &case {
        Case::Relay(case) => relay_case(case),
        Case::Scan(case) => scan_case(case),
    }
});
