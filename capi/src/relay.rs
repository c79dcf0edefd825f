//! `argstream_relay`: the core's [`Relay`] behind a handle. Upstream bytes
//! in, the client's SSE frames out, borrowed until the next call.

use std::ffi::c_char;

use argstream::relay::DEFAULT_KEY;
use argstream::{Format, Output, Relay, ToolCallMode};
use bytes::Bytes;

use crate::ffi::{
    Refusal, argstream_bytes, argstream_error, argstream_status, argstream_str, bytes_in, keys_in,
    str_in, write_out,
};
use crate::handle::{self, Handle, Opaque};

/// Flag of argstream_relay_options: forward the tool calls to the client
/// (as tool-call deltas, with a tool-calls finish) instead of hiding them.
pub const ARGSTREAM_FORWARD_TOOL_CALLS: u32 = 1 << 0;
/// Flag of argstream_relay_options: leave the target values' text out of
/// the client's stream (the summary keeps them): a pure translation.
pub const ARGSTREAM_NO_VALUES: u32 = 1 << 1;
/// Flag of argstream_relay_options: leave out the finish, the usage and
/// the stream's end (`data: [DONE]`), to chain several upstream responses
/// into one client stream. Errors still go out.
pub const ARGSTREAM_NO_FINISH: u32 = 1 << 2;

const KNOWN_FLAGS: u32 = ARGSTREAM_FORWARD_TOOL_CALLS | ARGSTREAM_NO_VALUES | ARGSTREAM_NO_FINISH;

/// How a relay is made. All zero (or a NULL options pointer) is the
/// default: key "pre_exec_msg", upstream format detected, OpenAI chat
/// chunks out, tool calls hidden, values streamed, the default limits.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct argstream_relay_options {
    /// The keys whose string values go out as content: `keys_len` texts,
    /// borrowed for the call. No keys: "pre_exec_msg".
    pub keys: *const argstream_str,
    /// How many keys.
    pub keys_len: usize,
    /// The upstream format: "openai-chat", "openai-responses", "anthropic",
    /// "gemini", "bedrock", or empty or "auto" to detect it from the first
    /// events.
    pub from: argstream_str,
    /// The client's format: "openai-chat" (empty: the default),
    /// "openai-responses", "anthropic", "gemini", or "same" (the upstream's
    /// own).
    pub to: argstream_str,
    /// ARGSTREAM_FORWARD_TOOL_CALLS, ARGSTREAM_NO_VALUES and
    /// ARGSTREAM_NO_FINISH, or'ed together; other bits are refused.
    pub flags: u32,
    /// The `created` time (Unix seconds) written for a format that carries
    /// none (Anthropic). 0 keeps the output a function of the input alone.
    pub created: u64,
    /// The largest upstream event accepted, in bytes; 0: 16 MiB.
    pub max_event_size: usize,
    /// The largest arguments of one tool call, in bytes; 0: 16 MiB.
    pub max_arguments: usize,
    /// The most tool calls in one response; 0: 1024.
    pub max_calls: usize,
    /// The largest arguments of all calls in one stream together, in
    /// bytes; 0: 256 MiB.
    pub max_stream_arguments: usize,
    /// The deepest nesting of an upstream event's JSON and of a call's
    /// arguments; 0: 128.
    pub max_depth: usize,
    /// The most chat choices in one response; 0: 128.
    pub max_choices: usize,
    /// The largest answer text the summary collects, in bytes; 0: 16 MiB.
    pub max_content: usize,
    /// The largest answer the output format keeps to write it whole at the
    /// end (Responses), in bytes; 0: 256 MiB.
    pub max_kept: usize,
}

/// A relay: one upstream response stream at a time. Opaque; made by
/// argstream_relay_new, freed by argstream_relay_free.
pub struct argstream_relay {
    handle: Handle<Relaying>,
}

/// What the relay's handle holds: the relay, and what the last call lent
/// the caller.
pub(crate) struct Relaying {
    relay: Relay,
    output: Bytes,
    summary: String,
}

// The tag is read at offset 0 before the type is known (see `handle`).
const _: () = assert!(std::mem::offset_of!(argstream_relay, handle) == 0);

impl Opaque for argstream_relay {
    type State = Relaying;
    const LIVE: u64 = u64::from_be_bytes(*b"argsRLAY");

    fn wrap(handle: Handle<Relaying>) -> argstream_relay {
        argstream_relay { handle }
    }

    fn handle(&self) -> &Handle<Relaying> {
        &self.handle
    }
}

/// What argstream_relay_get_state reports.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct argstream_relay_state {
    /// The upstream format, given or detected ("openai-chat",
    /// "openai-responses", "anthropic", "gemini", "bedrock"); empty until
    /// known. Static text.
    pub format: argstream_str,
    /// How many upstream events have been read, a refused one included.
    pub events: u64,
    /// Whether the client's stream has ended (its end or an error event
    /// was written): nothing more will go out until reset.
    pub ended: bool,
}

/// Makes a relay.
///
/// `options` may be NULL for the defaults; it and everything it points to
/// are borrowed for the call. On ARGSTREAM_STATUS_OK, `*relay` is a new
/// handle, the caller's to free with argstream_relay_free. On
/// ARGSTREAM_STATUS_INVALID_ARGUMENT (a NULL `relay`, an unknown format or
/// flag, a key that is not UTF-8), `*relay` is left alone and, unless
/// `message` is NULL, a NUL-terminated reason of at most
/// `message_capacity` bytes (cut to fit) is written to `message`.
///
/// # Safety
/// `options` is NULL or points to an initialised argstream_relay_options
/// whose `keys` (unless `keys_len` is 0) points to `keys_len` initialised
/// argstream_str, and whose texts each point to `len` readable bytes (or
/// are NULL with `len` 0). `relay` is NULL or valid for a write of a
/// pointer. `message` is NULL or valid for writes of `message_capacity`
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_relay_new(
    options: *const argstream_relay_options,
    relay: *mut *mut argstream_relay,
    message: *mut c_char,
    message_capacity: usize,
) -> argstream_status {
    handle::guarded(|| {
        let made = if options.is_null() {
            Ok(Relay::new(&[DEFAULT_KEY]))
        } else if !options.is_aligned() {
            Err("options is not aligned for argstream_relay_options".to_owned())
        } else {
            // SAFETY: not NULL, aligned, and the caller guarantees an
            // initialised argstream_relay_options, borrowed for this call.
            let options = unsafe { &*options };
            // SAFETY: the caller's guarantee for what `options` points to.
            unsafe { relay_of(options) }
        };
        let made = made.map(|made| Relaying {
            relay: made,
            output: Bytes::new(),
            summary: String::new(),
        });
        // SAFETY: the caller's guarantee for `relay` and `message`.
        unsafe { handle::hand_out(relay, made, message, message_capacity) }
    })
}

/// The relay that `options` describe.
///
/// # Safety
/// As for argstream_relay_new's `options`.
unsafe fn relay_of(options: &argstream_relay_options) -> Result<Relay, Refusal> {
    // SAFETY: the caller's guarantee for the keys and texts of `options`.
    let (keys, from, to) = unsafe {
        (
            keys_in(options.keys, options.keys_len)?,
            str_in(options.from, "from")?,
            str_in(options.to, "to")?,
        )
    };
    if options.flags & !KNOWN_FLAGS != 0 {
        return Err(format!("unknown flags {:#x}", options.flags & !KNOWN_FLAGS));
    }
    let format = match from {
        "" | "auto" => None,
        name => Some(name.parse::<Format>().map_err(|e| format!("from: {e}"))?),
    };
    let output = match to {
        "" => Output::default(),
        name => name.parse::<Output>().map_err(|e| format!("to: {e}"))?,
    };
    let mode = if options.flags & ARGSTREAM_FORWARD_TOOL_CALLS != 0 {
        ToolCallMode::Forward
    } else {
        ToolCallMode::Hide
    };
    let mut relay = if keys.is_empty() {
        Relay::new(&[DEFAULT_KEY])
    } else {
        Relay::new(&keys)
    }
    .with_format(format)
    .with_output(output)
    .with_values(options.flags & ARGSTREAM_NO_VALUES == 0)
    .with_tool_calls(mode)
    .with_finish(options.flags & ARGSTREAM_NO_FINISH == 0);
    relay.set_created(options.created);
    // Each limit, 0 for the core's default.
    let limits: [(usize, SetLimit); 8] = [
        (options.max_event_size, Relay::with_max_event_size),
        (options.max_arguments, Relay::with_max_arguments),
        (options.max_calls, Relay::with_max_calls),
        (
            options.max_stream_arguments,
            Relay::with_max_stream_arguments,
        ),
        (options.max_depth, Relay::with_max_depth),
        (options.max_choices, Relay::with_max_choices),
        (options.max_content, Relay::with_max_content),
        (options.max_kept, Relay::with_max_kept),
    ];
    for (max, set) in limits {
        if max != 0 {
            relay = set(relay, max);
        }
    }
    Ok(relay)
}

/// Relays one upstream read: the `len` bytes at `data`, cut anywhere.
///
/// One call per read, whatever its size. The bytes are copied; `data` is
/// borrowed for the call. `*output` gets the client's SSE frames that the
/// read completed (often none: `len` 0), borrowed until the next call on
/// `relay`.
///
/// On ARGSTREAM_STATUS_INPUT_ERROR (an event that is not its format's
/// JSON: "malformed_chunk"; one past the size limit: "event_too_large";
/// more calls than the limit: "too_many_calls"), `*error` (unless NULL)
/// holds the kind and the upstream byte offset, and `*output` the frames
/// of the events before the bad one: send them, then end the client's
/// stream with argstream_relay_write_error. The relay stays failed until
/// reset. Bad arguments inside one tool call are not an error here: they
/// are in the summary.
///
/// # Safety
/// `relay` is NULL or a handle from argstream_relay_new not yet freed.
/// `data` points to `len` readable bytes, or `len` is 0. `output` is valid
/// for a write of an argstream_bytes; `error` is NULL or valid for a write
/// of an argstream_error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_relay_feed(
    relay: *mut argstream_relay,
    data: *const u8,
    len: usize,
    output: *mut argstream_bytes,
    error: *mut argstream_error,
) -> argstream_status {
    let call = |state: &mut Relaying| {
        // SAFETY: the caller's guarantee for `data` and `len`.
        let Ok(read) = (unsafe { bytes_in(data, len) }) else {
            return argstream_status::InvalidArgument;
        };
        if output.is_null() {
            return argstream_status::InvalidArgument;
        }
        let fed = state.relay.feed(Bytes::copy_from_slice(read));
        // SAFETY: the caller's guarantee for `output` and `error`.
        unsafe { state.lend_output(fed, output, error) }
    };
    // SAFETY: the caller's guarantee for `relay`.
    unsafe { handle::with_state(relay, call) }
}

/// Marks the end of the upstream body. `*output` gets the last frames: the
/// finish, the usage and the stream's end when upstream finished, or an
/// error event when it was cut off (a cut-off stream is recorded in the
/// summary, not returned as an error). Borrowed until the next call on
/// `relay`. Errors as for argstream_relay_feed.
///
/// # Safety
/// As for argstream_relay_feed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_relay_finish(
    relay: *mut argstream_relay,
    output: *mut argstream_bytes,
    error: *mut argstream_error,
) -> argstream_status {
    let call = |state: &mut Relaying| {
        if output.is_null() {
            return argstream_status::InvalidArgument;
        }
        let finished = state.relay.finish();
        // SAFETY: the caller's guarantee for `output` and `error`.
        unsafe { state.lend_output(finished, output, error) }
    };
    // SAFETY: the caller's guarantee for `relay`.
    unsafe { handle::with_state(relay, call) }
}

/// Ends the client's stream with one error event of type `error_type` and
/// text `message` (unless it has already ended), for a gateway's own
/// faults: the upstream broke, went silent, or sent what the relay refused.
/// `*output` gets the frames not yet taken, that event included, borrowed
/// until the next call on `relay`. `message` goes to the client: keep
/// payloads and secrets out of it.
///
/// # Safety
/// `relay` as for argstream_relay_feed; `error_type` and `message` each
/// point to `len` readable bytes (or `len` is 0); `output` is valid for a
/// write of an argstream_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_relay_write_error(
    relay: *mut argstream_relay,
    error_type: argstream_str,
    message: argstream_str,
    output: *mut argstream_bytes,
) -> argstream_status {
    let call = |state: &mut Relaying| {
        // SAFETY: the caller's guarantee for the two texts.
        let texts = unsafe { (str_in(error_type, "error_type"), str_in(message, "message")) };
        let (Ok(error_type), Ok(message), false) = (texts.0, texts.1, output.is_null()) else {
            return argstream_status::InvalidArgument;
        };
        state.relay.write_error(error_type, message);
        // SAFETY: the caller's guarantee for `output`.
        unsafe { state.lend_output(Ok(()), output, std::ptr::null_mut()) }
    };
    // SAFETY: the caller's guarantee for `relay`.
    unsafe { handle::with_state(relay, call) }
}

/// What the relay collected so far, as one line of JSON text:
/// `{"content":…,"finish_reason":…,"tool_calls":[{"index":…,"id":…,"name":…,"arguments":…,"error":…}],"usage":…,"error":…}`
/// (the `--summary` line of the relay example). `*json` is borrowed until
/// the next call on `relay`.
///
/// # Safety
/// `relay` as for argstream_relay_feed; `json` is valid for a write of an
/// argstream_str.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_relay_summary(
    relay: *mut argstream_relay,
    json: *mut argstream_str,
) -> argstream_status {
    let call = |state: &mut Relaying| {
        state.summary = state.relay.summary().to_json();
        // SAFETY: the caller's guarantee for `json`.
        match unsafe { write_out(json, argstream_str::from_str(&state.summary)) } {
            true => argstream_status::Ok,
            false => argstream_status::InvalidArgument,
        }
    };
    // SAFETY: the caller's guarantee for `relay`.
    unsafe { handle::with_state(relay, call) }
}

/// The relay's format, progress and whether the client's stream has ended.
///
/// # Safety
/// `relay` as for argstream_relay_feed; `state` is valid for a write of an
/// argstream_relay_state.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_relay_get_state(
    relay: *mut argstream_relay,
    state: *mut argstream_relay_state,
) -> argstream_status {
    let call = |relaying: &mut Relaying| {
        let relay = &relaying.relay;
        let now = argstream_relay_state {
            format: relay.format().map_or(argstream_str::EMPTY, |format| {
                argstream_str::from_str(format.name())
            }),
            events: relay.events(),
            ended: relay.is_ended(),
        };
        // SAFETY: the caller's guarantee for `state`.
        match unsafe { write_out(state, now) } {
            true => argstream_status::Ok,
            false => argstream_status::InvalidArgument,
        }
    };
    // SAFETY: the caller's guarantee for `relay`.
    unsafe { handle::with_state(relay, call) }
}

/// Forgets the stream, keeping the options and the allocations, to relay
/// a new one (a failed relay included).
///
/// # Safety
/// `relay` as for argstream_relay_feed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_relay_reset(relay: *mut argstream_relay) -> argstream_status {
    let call = |state: &mut Relaying| {
        state.relay.reset();
        state.output = Bytes::new();
        argstream_status::Ok
    };
    // SAFETY: the caller's guarantee for `relay`.
    unsafe { handle::with_state(relay, call) }
}

/// Frees the relay and everything it lent. NULL is a no-op. A busy, freed
/// or foreign handle is refused (ARGSTREAM_STATUS_BUSY,
/// ARGSTREAM_STATUS_INVALID_HANDLE) and left alone.
///
/// # Safety
/// `relay` is NULL or a handle from argstream_relay_new; after
/// ARGSTREAM_STATUS_OK it must not be used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_relay_free(relay: *mut argstream_relay) -> argstream_status {
    // SAFETY: the caller's guarantee for `relay`.
    unsafe { handle::free(relay) }
}

impl Relaying {
    /// Takes the relay's output into the handle, lends it through `output`,
    /// and reports `result`.
    ///
    /// # Safety
    /// `output` is valid for a write of an argstream_bytes; `error` is NULL
    /// or valid for a write of an argstream_error.
    unsafe fn lend_output(
        &mut self,
        result: Result<(), argstream::Error>,
        output: *mut argstream_bytes,
        error: *mut argstream_error,
    ) -> argstream_status {
        self.output = self.relay.output();
        // SAFETY: the caller's guarantee for `output`.
        if !unsafe { write_out(output, argstream_bytes::from_slice(&self.output)) } {
            return argstream_status::InvalidArgument;
        }
        match result {
            Ok(()) => argstream_status::Ok,
            Err(e) => {
                // SAFETY: the caller's guarantee for `error` (NULL is skipped).
                unsafe { write_out(error, argstream_error::from_error(e)) };
                argstream_status::InputError
            }
        }
    }
}

/// A relay builder that sets one limit.
type SetLimit = fn(Relay, usize) -> Relay;
