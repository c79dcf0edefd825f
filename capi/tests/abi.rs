//! The C functions called as C calls them, against the core called
//! directly: the same bytes out, the same errors, and every refusal the
//! header promises. Runs under miri (`cargo +nightly miri test -p
//! argstream-capi`); the tests over the bundled files are left to native
//! runs, where they take milliseconds instead of minutes.

use std::ffi::{CStr, c_char};
use std::path::PathBuf;
use std::ptr;

use argstream::{Output, Relay, ToolCallMode};
use argstream_capi::*;
use bytes::Bytes;

fn text(s: &str) -> argstream_str {
    argstream_str {
        ptr: s.as_ptr().cast(),
        len: s.len(),
    }
}

fn none() -> argstream_str {
    argstream_str {
        ptr: ptr::null(),
        len: 0,
    }
}

fn default_options() -> argstream_relay_options {
    argstream_relay_options {
        keys: ptr::null(),
        keys_len: 0,
        from: none(),
        to: none(),
        flags: 0,
        created: 0,
        max_event_size: 0,
        max_arguments: 0,
        max_calls: 0,
        max_stream_arguments: 0,
        max_depth: 0,
        max_choices: 0,
        max_content: 0,
        max_kept: 0,
    }
}

/// Reads text the library lent.
fn lent(text: argstream_str) -> String {
    if text.len == 0 {
        return String::new();
    }
    // SAFETY: the library lends `len` bytes of UTF-8 at `ptr`, valid until
    // the next call on the handle; copied before any.
    let bytes = unsafe { std::slice::from_raw_parts(text.ptr.cast::<u8>(), text.len) };
    String::from_utf8(bytes.to_vec()).expect("lent text is UTF-8")
}

fn lent_bytes(bytes: argstream_bytes) -> Vec<u8> {
    assert!(!bytes.ptr.is_null(), "output pointers are never NULL");
    // SAFETY: as in `lent`.
    unsafe { std::slice::from_raw_parts(bytes.ptr, bytes.len) }.to_vec()
}

fn new_relay(options: &argstream_relay_options) -> Result<*mut argstream_relay, String> {
    let mut relay = ptr::null_mut();
    let mut message = [0 as c_char; 256];
    // SAFETY: valid options, out-pointer and message buffer.
    let status =
        unsafe { argstream_relay_new(options, &mut relay, message.as_mut_ptr(), message.len()) };
    match status {
        argstream_status::Ok => Ok(relay),
        // SAFETY: the library wrote a NUL-terminated message.
        _ => Err(unsafe { CStr::from_ptr(message.as_ptr()) }
            .to_string_lossy()
            .into_owned()),
    }
}

/// What one call gave: status, bytes out, error kind and offset.
#[derive(Debug, PartialEq, Eq)]
struct Called {
    status: argstream_status,
    output: Vec<u8>,
    error: Option<(String, u64)>,
}

fn called(status: argstream_status, output: argstream_bytes, error: argstream_error) -> Called {
    Called {
        status,
        output: if status == argstream_status::InputError || status == argstream_status::Ok {
            lent_bytes(output)
        } else {
            Vec::new()
        },
        error: (status == argstream_status::InputError).then(|| (lent(error.kind), error.offset)),
    }
}

fn blank_output() -> (argstream_bytes, argstream_error) {
    (
        argstream_bytes {
            ptr: ptr::null(),
            len: 0,
        },
        argstream_error {
            kind: none(),
            message: none(),
            offset: 0,
        },
    )
}

fn feed(relay: *mut argstream_relay, data: &[u8]) -> Called {
    let (mut output, mut error) = blank_output();
    // SAFETY: `relay` is live in these tests (or deliberately NULL or
    // foreign), `data` is a live slice, the out-pointers are locals.
    let status =
        unsafe { argstream_relay_feed(relay, data.as_ptr(), data.len(), &mut output, &mut error) };
    called(status, output, error)
}

fn finish(relay: *mut argstream_relay) -> Called {
    let (mut output, mut error) = blank_output();
    // SAFETY: as in `feed`.
    let status = unsafe { argstream_relay_finish(relay, &mut output, &mut error) };
    called(status, output, error)
}

fn summary(relay: *mut argstream_relay) -> String {
    let mut json = none();
    // SAFETY: as in `feed`.
    assert_eq!(
        unsafe { argstream_relay_summary(relay, &mut json) },
        argstream_status::Ok
    );
    lent(json)
}

fn free(relay: *mut argstream_relay) {
    // SAFETY: live, and not used after.
    assert_eq!(unsafe { argstream_relay_free(relay) }, argstream_status::Ok);
}

/// Relays `upstream` through the ABI in reads of `piece` bytes: the bytes
/// out, the summary, and the first error.
fn relay_abi(
    options: &argstream_relay_options,
    upstream: &[u8],
    piece: usize,
) -> (Vec<u8>, String, Option<(String, u64)>) {
    let relay = new_relay(options).expect("valid options");
    let mut out = Vec::new();
    let mut failed = None;
    for read in upstream.chunks(piece.max(1)) {
        let fed = feed(relay, read);
        out.extend_from_slice(&fed.output);
        if fed.error.is_some() {
            failed = fed.error;
            break;
        }
    }
    if failed.is_none() {
        let finished = finish(relay);
        out.extend_from_slice(&finished.output);
        failed = finished.error;
    }
    let json = summary(relay);
    free(relay);
    (out, json, failed)
}

/// The same through the core, in one read.
fn relay_core(mut relay: Relay, upstream: &[u8]) -> (Vec<u8>, String, Option<(String, u64)>) {
    let mut out = Vec::new();
    let mut result = relay.feed(Bytes::copy_from_slice(upstream));
    out.extend_from_slice(&relay.output());
    if result.is_ok() {
        result = relay.finish();
        out.extend_from_slice(&relay.output());
    }
    let failed = result
        .err()
        .map(|e| (e.kind().name().to_owned(), e.offset()));
    (out, relay.summary().to_json(), failed)
}

const SMALL_CHAT: &[u8] = b"data: {\"id\":\"c1\",\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n\
data: {\"id\":\"c1\",\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"pre_exec_msg\\\":\\\"caf\\\\u00\"}}]}}]}\n\n\
data: {\"id\":\"c1\",\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"e9 \\\\ud83d\\\\ude00\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n\
data: [DONE]\n\n";

#[test]
fn a_small_stream_relays_as_the_core_relays_it_at_every_read_size() {
    let sizes: &[usize] = if cfg!(miri) {
        &[1, 97]
    } else {
        &[1, 2, 3, 7, 64, 4096]
    };
    for forward in [false, true] {
        let mut options = default_options();
        let mut core = Relay::new(&["pre_exec_msg"]);
        if forward {
            options.flags = ARGSTREAM_FORWARD_TOOL_CALLS;
            core = core.with_tool_calls(ToolCallMode::Forward);
        }
        let expected = relay_core(core, SMALL_CHAT);
        assert!(
            String::from_utf8_lossy(&expected.0).contains(r#""content":"\u00e9 \ud83d\ude00""#)
        );
        for &size in sizes {
            assert_eq!(
                relay_abi(&options, SMALL_CHAT, size),
                expected,
                "forward {forward}, reads of {size}"
            );
        }
    }
}

fn bundled_examples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/data")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sse"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "the bundled examples are in {}",
        dir.display()
    );
    files
}

#[test]
#[cfg_attr(
    miri,
    ignore = "minutes under miri; the small stream covers the same code"
)]
fn every_bundled_example_relays_as_the_core_relays_it() {
    let keys = [text("pre_exec_msg")];
    for path in bundled_examples() {
        let upstream = std::fs::read(&path).expect("read example");
        for to in ["", "openai-responses", "anthropic", "same"] {
            for flags in [
                0,
                ARGSTREAM_FORWARD_TOOL_CALLS,
                ARGSTREAM_FORWARD_TOOL_CALLS | ARGSTREAM_NO_VALUES,
            ] {
                let options = argstream_relay_options {
                    keys: keys.as_ptr(),
                    keys_len: keys.len(),
                    to: text(to),
                    flags,
                    ..default_options()
                };
                let mode = match flags & ARGSTREAM_FORWARD_TOOL_CALLS {
                    0 => ToolCallMode::Hide,
                    _ => ToolCallMode::Forward,
                };
                let core = Relay::new(&["pre_exec_msg"])
                    .with_output(if to.is_empty() {
                        Output::default()
                    } else {
                        to.parse().expect("an output")
                    })
                    .with_values(flags & ARGSTREAM_NO_VALUES == 0)
                    .with_tool_calls(mode);
                let expected = relay_core(core, &upstream);
                for size in [1, 7, 4096, upstream.len()] {
                    assert_eq!(
                        relay_abi(&options, &upstream, size),
                        expected,
                        "{} to {to:?} flags {flags}, reads of {size}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn options_reach_the_core() {
    let keys = [text("city"), text("pre_exec_msg")];
    let mut options = default_options();
    options.keys = keys.as_ptr();
    options.keys_len = keys.len();
    options.from = text("openai-chat");
    options.flags = ARGSTREAM_NO_FINISH;
    options.created = 42;
    options.max_calls = 3;
    let mut core = Relay::new(&["city", "pre_exec_msg"])
        .with_format(Some(argstream::Format::OpenAiChat))
        .with_finish(false)
        .with_max_calls(3);
    core.set_created(42);
    let expected = relay_core(core, SMALL_CHAT);
    assert!(!String::from_utf8_lossy(&expected.0).contains("[DONE]"));
    assert_eq!(relay_abi(&options, SMALL_CHAT, 5), expected);
}

#[test]
fn limits_are_errors_with_their_kind() {
    let mut options = default_options();
    options.max_event_size = 16;
    let (_, _, failed) = relay_abi(&options, SMALL_CHAT, 7);
    assert_eq!(
        failed.map(|(kind, _)| kind).as_deref(),
        Some("event_too_large")
    );
}

/// Every limit the core's relay has, the C options set, each as the core
/// applies it.
#[test]
fn every_limit_reaches_the_core() {
    let mut options = default_options();
    options.max_stream_arguments = 9;
    options.max_depth = 3;
    options.max_choices = 1;
    options.max_content = 4;
    options.max_kept = 1 << 20;
    let core = Relay::new(&["pre_exec_msg"])
        .with_max_stream_arguments(9)
        .with_max_depth(3)
        .with_max_choices(1)
        .with_max_content(4)
        .with_max_kept(1 << 20);
    let expected = relay_core(core, SMALL_CHAT);
    assert_eq!(relay_abi(&options, SMALL_CHAT, 5), expected);
    let second_choice = concat!(
        "data: {\"object\":\"chat.completion.chunk\",\"choices\":",
        "[{\"index\":1,\"delta\":{\"content\":\"x\"}}]}\n\n",
    );
    options.max_depth = 0;
    let (_, _, failed) = relay_abi(&options, second_choice.as_bytes(), 64);
    assert_eq!(
        failed.map(|(kind, _)| kind).as_deref(),
        Some("too_many_choices")
    );
}

#[test]
fn a_malformed_event_is_an_input_error_with_kind_offset_and_the_frames_before_it() {
    let good = b"data: {\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n";
    let bad = b"data: {\"choices\":[}\n\n";
    let stream = [&good[..], &bad[..]].concat();
    let relay = new_relay(&default_options()).expect("defaults");
    let fed = feed(relay, &stream);
    assert_eq!(fed.status, argstream_status::InputError);
    let expected = relay_core(Relay::new(&["pre_exec_msg"]), &stream);
    assert_eq!(fed.error, expected.2);
    assert_eq!(
        fed.error,
        Some(("malformed_chunk".to_owned(), (good.len() + 18) as u64))
    );
    assert_eq!(fed.output, expected.0, "the frames before the bad event");
    assert!(!fed.output.is_empty());

    // Failed until reset: the same error, nothing out.
    let again = feed(relay, good);
    assert_eq!((again.error, again.output.len()), (fed.error.clone(), 0));

    // The gateway ends the client's stream with its own error event.
    let (mut output, _) = blank_output();
    // SAFETY: a live relay, texts of live strings, a local out-pointer.
    let status = unsafe {
        argstream_relay_write_error(
            relay,
            text("upstream_error"),
            text("bad upstream"),
            &mut output,
        )
    };
    assert_eq!(status, argstream_status::Ok);
    let event = String::from_utf8(lent_bytes(output)).expect("UTF-8");
    assert!(
        event.starts_with("data: {\"error\":") && event.contains("bad upstream"),
        "{event}"
    );

    let mut state = argstream_relay_state {
        format: none(),
        events: 0,
        ended: false,
    };
    // SAFETY: a live relay and a local out-pointer.
    assert_eq!(
        unsafe { argstream_relay_get_state(relay, &mut state) },
        argstream_status::Ok
    );
    assert_eq!(
        (lent(state.format).as_str(), state.events, state.ended),
        ("openai-chat", 2, true)
    );

    // SAFETY: a live relay.
    assert_eq!(
        unsafe { argstream_relay_reset(relay) },
        argstream_status::Ok
    );
    let fresh = feed(relay, good);
    assert_eq!((fresh.status, fresh.error), (argstream_status::Ok, None));
    free(relay);
}

#[test]
fn bad_arguments_are_refused_with_a_message_and_no_handle() {
    let bad_key: [u8; 2] = [0xff, b'k'];
    let keys = [argstream_str {
        ptr: bad_key.as_ptr().cast(),
        len: bad_key.len(),
    }];
    let cases: [(&str, argstream_relay_options); 6] = [
        (
            "from: unknown format",
            argstream_relay_options {
                from: text("gopher"),
                ..default_options()
            },
        ),
        (
            "unknown flags 0x8",
            argstream_relay_options {
                flags: 1 << 3,
                ..default_options()
            },
        ),
        (
            "keys[0] is not UTF-8",
            argstream_relay_options {
                keys: keys.as_ptr(),
                keys_len: 1,
                ..default_options()
            },
        ),
        (
            "keys is NULL",
            argstream_relay_options {
                keys_len: 2,
                ..default_options()
            },
        ),
        (
            "from: data is NULL",
            argstream_relay_options {
                from: argstream_str {
                    ptr: ptr::null(),
                    len: 3,
                },
                ..default_options()
            },
        ),
        (
            "to: unknown output format",
            argstream_relay_options {
                to: text("gopher"),
                ..default_options()
            },
        ),
    ];
    for (expected, options) in cases {
        let message = new_relay(&options).expect_err(expected);
        assert!(
            message.contains(expected),
            "{message:?} should say {expected:?}"
        );
    }

    // The message is cut to the buffer, at a character, and NUL-terminated.
    let mut relay = ptr::null_mut();
    let mut message = [0x55 as c_char; 8];
    let options = argstream_relay_options {
        from: text("gopher"),
        ..default_options()
    };
    // SAFETY: valid options and out-pointers; the buffer is 8 bytes.
    let status = unsafe { argstream_relay_new(&options, &mut relay, message.as_mut_ptr(), 8) };
    assert_eq!(status, argstream_status::InvalidArgument);
    assert!(relay.is_null());
    // SAFETY: NUL-terminated within the buffer.
    assert_eq!(
        unsafe { CStr::from_ptr(message.as_ptr()) }.to_bytes(),
        b"from: u"
    );

    // A NULL out-pointer for the handle, with a NULL message buffer.
    // SAFETY: NULL is allowed for both.
    let status = unsafe { argstream_relay_new(ptr::null(), ptr::null_mut(), ptr::null_mut(), 0) };
    assert_eq!(status, argstream_status::InvalidArgument);

    // Calls on a live relay: NULL data with a length, NULL out-pointers.
    let relay = new_relay(&default_options()).expect("defaults");
    let (mut output, mut error) = blank_output();
    // SAFETY: a live relay; the NULL pointers are what is tested.
    unsafe {
        assert_eq!(
            argstream_relay_feed(relay, ptr::null(), 4, &mut output, &mut error),
            argstream_status::InvalidArgument
        );
        assert_eq!(
            argstream_relay_feed(relay, b"x".as_ptr(), 1, ptr::null_mut(), &mut error),
            argstream_status::InvalidArgument
        );
        assert_eq!(
            argstream_relay_feed(relay, ptr::null(), 0, &mut output, ptr::null_mut()),
            argstream_status::Ok
        );
        assert_eq!(
            argstream_relay_finish(relay, ptr::null_mut(), ptr::null_mut()),
            argstream_status::InvalidArgument
        );
        assert_eq!(
            argstream_relay_summary(relay, ptr::null_mut()),
            argstream_status::InvalidArgument
        );
        assert_eq!(
            argstream_relay_get_state(relay, ptr::null_mut()),
            argstream_status::InvalidArgument
        );
        assert_eq!(
            argstream_relay_write_error(relay, text("t"), text("m"), ptr::null_mut()),
            argstream_status::InvalidArgument
        );
    }
    // Refused calls changed nothing: the relay still relays.
    let fed = feed(relay, SMALL_CHAT);
    assert_eq!((fed.status, fed.error), (argstream_status::Ok, None));
    free(relay);
}

#[test]
fn null_and_foreign_handles_are_refused() {
    let null: *mut argstream_relay = ptr::null_mut();
    assert_eq!(
        feed(null, b"data: x\n\n").status,
        argstream_status::InvalidHandle
    );
    assert_eq!(finish(null).status, argstream_status::InvalidHandle);
    // SAFETY: NULL handles, which the functions must refuse.
    unsafe {
        assert_eq!(argstream_relay_reset(null), argstream_status::InvalidHandle);
        assert_eq!(argstream_relay_free(null), argstream_status::Ok);
        assert_eq!(
            argstream_scanner_reset(ptr::null_mut()),
            argstream_status::InvalidHandle
        );
        assert_eq!(
            argstream_scanner_free(ptr::null_mut()),
            argstream_status::Ok
        );
    }

    // A scanner passed where a relay goes, and the other way round.
    let mut scanner = ptr::null_mut();
    // SAFETY: NULL options (defaults) and a local out-pointer.
    let made = unsafe { argstream_scanner_new(ptr::null(), &mut scanner, ptr::null_mut(), 0) };
    assert_eq!(made, argstream_status::Ok);
    let relay = new_relay(&default_options()).expect("defaults");
    let scanner_as_relay = scanner.cast::<argstream_relay>();
    assert_eq!(
        feed(scanner_as_relay, b"data: x\n\n").status,
        argstream_status::InvalidHandle
    );
    // SAFETY: live handles of the other type, which must be refused and
    // left alone.
    unsafe {
        assert_eq!(
            argstream_relay_free(scanner_as_relay),
            argstream_status::InvalidHandle
        );
        assert_eq!(
            argstream_scanner_reset(relay.cast()),
            argstream_status::InvalidHandle
        );
        assert_eq!(
            argstream_scanner_free(relay.cast()),
            argstream_status::InvalidHandle
        );
        assert_eq!(argstream_scanner_free(scanner), argstream_status::Ok);
    }
    free(relay);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "reads freed memory on purpose, which miri rightly reports"
)]
fn a_freed_handle_is_refused_while_its_memory_is_not_reused() {
    // Best effort, as the header says: the freed handle's tag is cleared
    // before its memory goes back to the allocator, and nothing allocates
    // on this thread in between.
    let relay = new_relay(&default_options()).expect("defaults");
    free(relay);
    let (mut output, mut error) = blank_output();
    // SAFETY: not safe in general (a use after free); this checks the
    // detection the header describes, with no allocation since the free.
    let status = unsafe { argstream_relay_finish(relay, &mut output, &mut error) };
    assert_eq!(status, argstream_status::InvalidHandle);
    // SAFETY: as above: a double free is refused, not performed.
    assert_eq!(
        unsafe { argstream_relay_free(relay) },
        argstream_status::InvalidHandle
    );
}

fn new_scanner(keys: &[&str]) -> *mut argstream_scanner {
    let keys: Vec<argstream_str> = keys.iter().map(|key| text(key)).collect();
    let options = argstream_scanner_options {
        keys: keys.as_ptr(),
        keys_len: keys.len(),
        max_depth: 0,
    };
    let mut scanner = ptr::null_mut();
    // SAFETY: valid options and out-pointer.
    let status = unsafe { argstream_scanner_new(&options, &mut scanner, ptr::null_mut(), 0) };
    assert_eq!(status, argstream_status::Ok);
    scanner
}

fn scan_feed(scanner: *mut argstream_scanner, fragment: &[u8]) -> Result<String, (String, u64)> {
    let mut text = none();
    let (_, mut error) = blank_output();
    // SAFETY: a live scanner, a live slice, local out-pointers.
    let status = unsafe {
        argstream_scanner_feed(
            scanner,
            fragment.as_ptr(),
            fragment.len(),
            &mut text,
            &mut error,
        )
    };
    match status {
        argstream_status::Ok => Ok(lent(text)),
        argstream_status::InputError => {
            assert_eq!(text.len, 0, "no text with an error");
            Err((lent(error.kind), error.offset))
        }
        other => panic!("unexpected status {other:?}"),
    }
}

fn scan_finish(scanner: *mut argstream_scanner) -> Result<(), (String, u64)> {
    let (_, mut error) = blank_output();
    // SAFETY: a live scanner and a local out-pointer.
    match unsafe { argstream_scanner_finish(scanner, &mut error) } {
        argstream_status::Ok => Ok(()),
        argstream_status::InputError => Err((lent(error.kind), error.offset)),
        other => panic!("unexpected status {other:?}"),
    }
}

#[test]
fn the_scanner_gives_the_decoded_value_under_every_split() {
    let doc = include_bytes!("../../examples/data/voice_agent_args.json");
    let value: serde_json::Value = serde_json::from_slice(doc).expect("valid JSON");
    let expected = value["pre_exec_msg"].as_str().expect("a string");
    let scanner = new_scanner(&["pre_exec_msg"]);
    let step = if cfg!(miri) { 37 } else { 1 };
    for at in (0..=doc.len()).step_by(step) {
        let mut spoken = scan_feed(scanner, &doc[..at]).expect("valid");
        spoken += &scan_feed(scanner, &doc[at..]).expect("valid");
        assert_eq!(scan_finish(scanner), Ok(()));
        assert_eq!(spoken, expected, "split at {at}");
        // SAFETY: a live scanner.
        assert_eq!(
            unsafe { argstream_scanner_reset(scanner) },
            argstream_status::Ok
        );
    }
    let mut spoken = String::new();
    for byte in doc.chunks(1) {
        spoken += &scan_feed(scanner, byte).expect("valid");
    }
    assert_eq!(spoken, expected, "one byte at a time");
    // SAFETY: live, not used after.
    assert_eq!(
        unsafe { argstream_scanner_free(scanner) },
        argstream_status::Ok
    );
}

#[test]
fn scanner_errors_have_their_kind_and_offset_and_stay() {
    let scanner = new_scanner(&["pre_exec_msg"]);
    assert_eq!(
        scan_feed(scanner, br#"{"pre_exec_msg":"ok "#),
        Ok("ok ".to_owned())
    );
    assert_eq!(
        scan_feed(scanner, br#"\q"}"#),
        Err(("invalid_escape".to_owned(), 21))
    );
    assert_eq!(
        scan_feed(scanner, b"more"),
        Err(("invalid_escape".to_owned(), 21))
    );
    assert_eq!(scan_finish(scanner), Err(("invalid_escape".to_owned(), 21)));
    // SAFETY: a live scanner.
    assert_eq!(
        unsafe { argstream_scanner_reset(scanner) },
        argstream_status::Ok
    );
    assert_eq!(
        scan_feed(scanner, br#"{"pre_exec_msg":"cut"#),
        Ok("cut".to_owned())
    );
    assert_eq!(scan_finish(scanner), Err(("truncated".to_owned(), 20)));
    // SAFETY: live, not used after.
    assert_eq!(
        unsafe { argstream_scanner_free(scanner) },
        argstream_status::Ok
    );
}

#[test]
fn the_scanners_max_depth_applies() {
    let keys = [text("k")];
    let options = argstream_scanner_options {
        keys: keys.as_ptr(),
        keys_len: 1,
        max_depth: 2,
    };
    let mut scanner = ptr::null_mut();
    // SAFETY: valid options and out-pointer.
    let status = unsafe { argstream_scanner_new(&options, &mut scanner, ptr::null_mut(), 0) };
    assert_eq!(status, argstream_status::Ok);
    assert_eq!(
        scan_feed(scanner, b"{\"a\":[[1]]}"),
        Err(("too_deep".to_owned(), 5))
    );
    // SAFETY: live, not used after.
    assert_eq!(
        unsafe { argstream_scanner_free(scanner) },
        argstream_status::Ok
    );
}
