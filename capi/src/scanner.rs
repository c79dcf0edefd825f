//! `argstream_scanner`: the core's [`KeyScanner`] behind a handle, over a
//! document the handle keeps. Argument fragments in, decoded text out.

use std::ffi::c_char;

use argstream::{Error, KeyScanner};

use crate::ffi::{
    Refusal, argstream_error, argstream_status, argstream_str, bytes_in, keys_in, write_out,
};
use crate::handle::{self, Handle, Opaque};

/// How a scanner is made. All zero (or a NULL options pointer): no keys,
/// the default nesting limit.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct argstream_scanner_options {
    /// The keys (top-level keys of the arguments object) whose string
    /// values are decoded: `keys_len` texts, borrowed for the call.
    pub keys: *const argstream_str,
    /// How many keys.
    pub keys_len: usize,
    /// The array or object that would make this many containers open at
    /// once is refused ("too_deep"); 0: 128, as serde_json.
    pub max_depth: usize,
}

/// A key scanner: one tool call's arguments at a time. Opaque; made by
/// argstream_scanner_new, freed by argstream_scanner_free.
pub struct argstream_scanner {
    handle: Handle<Scanning>,
}

/// What the scanner's handle holds.
pub(crate) struct Scanning {
    scanner: KeyScanner,
    /// The arguments so far: the scanner reads its new end at each call.
    document: Vec<u8>,
    /// The new text, lent to the caller until the next call.
    text: String,
    /// Set once the scanner failed, so that later fragments are refused
    /// without being stored.
    error: Option<Error>,
}

// The tag is read at offset 0 before the type is known (see `handle`).
const _: () = assert!(std::mem::offset_of!(argstream_scanner, handle) == 0);

impl Opaque for argstream_scanner {
    type State = Scanning;
    const LIVE: u64 = u64::from_be_bytes(*b"argsSCAN");

    fn wrap(handle: Handle<Scanning>) -> argstream_scanner {
        argstream_scanner { handle }
    }

    fn handle(&self) -> &Handle<Scanning> {
        &self.handle
    }
}

/// Makes a key scanner.
///
/// `options` may be NULL for the defaults; it and everything it points to
/// are borrowed for the call. On ARGSTREAM_STATUS_OK, `*scanner` is a new
/// handle, the caller's to free with argstream_scanner_free. On
/// ARGSTREAM_STATUS_INVALID_ARGUMENT, `*scanner` is left alone and a
/// NUL-terminated reason is written to `message` as argstream_relay_new
/// does.
///
/// # Safety
/// As for argstream_relay_new, with argstream_scanner_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_scanner_new(
    options: *const argstream_scanner_options,
    scanner: *mut *mut argstream_scanner,
    message: *mut c_char,
    message_capacity: usize,
) -> argstream_status {
    handle::guarded(|| {
        let made = if options.is_null() {
            Ok(KeyScanner::new::<&str>(&[]))
        } else if !options.is_aligned() {
            Err("options is not aligned for argstream_scanner_options".to_owned())
        } else {
            // SAFETY: not NULL, aligned, and the caller guarantees an
            // initialised argstream_scanner_options, borrowed for this call.
            let options = unsafe { &*options };
            // SAFETY: the caller's guarantee for what `options` points to.
            unsafe { scanner_of(options) }
        };
        let made = made.map(|made| Scanning {
            scanner: made,
            document: Vec::new(),
            text: String::new(),
            error: None,
        });
        // SAFETY: the caller's guarantee for `scanner` and `message`.
        unsafe { handle::hand_out(scanner, made, message, message_capacity) }
    })
}

/// The scanner that `options` describe.
///
/// # Safety
/// As for argstream_scanner_new's `options`.
unsafe fn scanner_of(options: &argstream_scanner_options) -> Result<KeyScanner, Refusal> {
    // SAFETY: the caller's guarantee for the keys of `options`.
    let keys = unsafe { keys_in(options.keys, options.keys_len)? };
    let scanner = KeyScanner::new(&keys);
    Ok(match options.max_depth {
        0 => scanner,
        limit => scanner.with_max_depth(limit),
    })
}

/// Reads the next fragment of the arguments (the `len` bytes at `data`,
/// cut anywhere: inside a character, an escape, a surrogate pair) and sets
/// `*text` to the decoded text of the target values that it completes,
/// all values together, in document order (often empty). The bytes are
/// copied; `*text` is borrowed until the next call on `scanner`.
///
/// On ARGSTREAM_STATUS_INPUT_ERROR (the fragment makes the document
/// invalid), `*error` (unless NULL) holds the kind and the offset in the
/// document, and `*text` is empty. The scanner stays failed until reset.
///
/// # Safety
/// `scanner` is NULL or a handle from argstream_scanner_new not yet freed.
/// `data` points to `len` readable bytes, or `len` is 0. `text` is valid
/// for a write of an argstream_str; `error` is NULL or valid for a write of
/// an argstream_error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_scanner_feed(
    scanner: *mut argstream_scanner,
    data: *const u8,
    len: usize,
    text: *mut argstream_str,
    error: *mut argstream_error,
) -> argstream_status {
    let call = |state: &mut Scanning| {
        // SAFETY: the caller's guarantee for `data` and `len`.
        let Ok(fragment) = (unsafe { bytes_in(data, len) }) else {
            return argstream_status::InvalidArgument;
        };
        if text.is_null() {
            return argstream_status::InvalidArgument;
        }
        let pulled = state.pull(fragment);
        // SAFETY: the caller's guarantee for `text`.
        unsafe { write_out(text, argstream_str::from_str(&state.text)) };
        // SAFETY: the caller's guarantee for `error`.
        unsafe { report(pulled, error) }
    };
    // SAFETY: the caller's guarantee for `scanner`.
    unsafe { handle::with_state(scanner, call) }
}

/// Marks the end of the arguments. ARGSTREAM_STATUS_INPUT_ERROR with kind
/// "truncated" when the document is not complete (a cut-off call), or the
/// scanner's earlier error; `*error` as for argstream_scanner_feed.
///
/// # Safety
/// `scanner` as for argstream_scanner_feed; `error` is NULL or valid for a
/// write of an argstream_error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_scanner_finish(
    scanner: *mut argstream_scanner,
    error: *mut argstream_error,
) -> argstream_status {
    let call = |state: &mut Scanning| {
        state.text.clear();
        let finished = state.scanner.finish();
        if let Err(e) = finished {
            state.fail(e);
        }
        // SAFETY: the caller's guarantee for `error`.
        unsafe { report(finished, error) }
    };
    // SAFETY: the caller's guarantee for `scanner`.
    unsafe { handle::with_state(scanner, call) }
}

/// Forgets the document, keeping the keys and the allocations, to scan a
/// new one (a failed scanner included).
///
/// # Safety
/// `scanner` as for argstream_scanner_feed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_scanner_reset(
    scanner: *mut argstream_scanner,
) -> argstream_status {
    let call = |state: &mut Scanning| {
        state.scanner.reset();
        state.document.clear();
        state.text.clear();
        state.error = None;
        argstream_status::Ok
    };
    // SAFETY: the caller's guarantee for `scanner`.
    unsafe { handle::with_state(scanner, call) }
}

/// Frees the scanner and everything it lent, as argstream_relay_free does.
///
/// # Safety
/// `scanner` is NULL or a handle from argstream_scanner_new; after
/// ARGSTREAM_STATUS_OK it must not be used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn argstream_scanner_free(
    scanner: *mut argstream_scanner,
) -> argstream_status {
    // SAFETY: the caller's guarantee for `scanner`.
    unsafe { handle::free(scanner) }
}

impl Scanning {
    /// Appends `fragment` and decodes the new text into `self.text`.
    fn pull(&mut self, fragment: &[u8]) -> Result<(), Error> {
        self.text.clear();
        if let Some(error) = self.error {
            return Err(error);
        }
        self.document.extend_from_slice(fragment);
        // With several keys all text goes to one string, so `push_text`'s
        // other events (a value's start and end) need no handling.
        loop {
            match self.scanner.push_text(&self.document, &mut self.text) {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(error) => {
                    self.text.clear();
                    self.fail(error);
                    return Err(error);
                }
            }
        }
    }

    fn fail(&mut self, error: Error) {
        self.error = Some(error);
        // The scanner never reads the document again: free it.
        self.document = Vec::new();
    }
}

/// The status of `result`, with its error written to `error` (unless NULL).
///
/// # Safety
/// `error` is NULL or valid for a write of an argstream_error.
unsafe fn report(result: Result<(), Error>, error: *mut argstream_error) -> argstream_status {
    match result {
        Ok(()) => argstream_status::Ok,
        Err(e) => {
            // SAFETY: the caller's guarantee for `error` (NULL is skipped).
            unsafe { write_out(error, argstream_error::from_error(e)) };
            argstream_status::InputError
        }
    }
}
