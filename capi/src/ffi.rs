//! The C types every function shares, and the reading of the caller's
//! pointers: the only place where a pointer from C becomes a Rust reference.

use std::ffi::c_char;
use std::{ptr, slice, str};

/// What a call did. Every function returns one.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum argstream_status {
    /// Done.
    Ok = 0,
    /// The input is bad (a malformed event, a cut-off document, a limit
    /// passed): the argstream_error out-parameter holds its kind and byte
    /// offset. The handle stays failed and answers the same error until
    /// reset.
    InputError = 1,
    /// A pointer argument is NULL where it may not be, a length is larger
    /// than PTRDIFF_MAX, text is not UTF-8, or an option is unknown.
    InvalidArgument = 2,
    /// The handle is NULL, of the other type, or freed (as far as can be
    /// detected).
    InvalidHandle = 3,
    /// Another thread is in a call on this handle.
    Busy = 4,
    /// A bug in argstream: a panic was caught at the boundary. The handle
    /// accepts only its _free function from then on.
    Panic = 5,
}

/// UTF-8 text: a pointer and a length in bytes, not NUL-terminated. `ptr`
/// may be NULL when `len` is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct argstream_str {
    /// The first byte.
    pub ptr: *const c_char,
    /// The number of bytes.
    pub len: usize,
}

/// Bytes: a pointer and a length. `ptr` is never NULL in what the library
/// writes; it may be NULL in what it reads when `len` is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct argstream_bytes {
    /// The first byte.
    pub ptr: *const u8,
    /// The number of bytes.
    pub len: usize,
}

/// An input error: what went wrong and where.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct argstream_error {
    /// The kind in snake_case, as the Python binding names it:
    /// "malformed_chunk", "truncated", "invalid_escape", ... Static text.
    pub kind: argstream_str,
    /// A short English description of the kind. Static text.
    pub message: argstream_str,
    /// The byte offset of the first bad byte, counted from the first byte
    /// given to the handle since it was created or reset (for "truncated",
    /// the length of the input).
    pub offset: u64,
}

impl argstream_str {
    /// Static or handle-owned text, for the caller to read.
    pub(crate) fn from_str(text: &str) -> argstream_str {
        argstream_str {
            ptr: text.as_ptr().cast(),
            len: text.len(),
        }
    }

    /// The empty text.
    pub(crate) const EMPTY: argstream_str = argstream_str {
        ptr: ptr::null(),
        len: 0,
    };
}

impl argstream_bytes {
    /// Handle-owned bytes, for the caller to read.
    pub(crate) fn from_slice(bytes: &[u8]) -> argstream_bytes {
        argstream_bytes {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }
}

impl argstream_error {
    pub(crate) fn from_error(error: argstream::Error) -> argstream_error {
        argstream_error {
            kind: argstream_str::from_str(error.kind().name()),
            message: argstream_str::from_str(error.kind().description()),
            offset: error.offset(),
        }
    }
}

/// Why an argument was refused, for the caller's message buffer.
pub(crate) type Refusal = String;

/// The caller's bytes: `len` bytes at `data`, or none when `len` is 0.
///
/// # Safety
/// Unless `data` is NULL or `len` is 0, `data` must point to `len` readable
/// bytes that nothing writes to during the call.
pub(crate) unsafe fn bytes_in<'a>(data: *const u8, len: usize) -> Result<&'a [u8], Refusal> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(format!("data is NULL but its length is {len}"));
    }
    if len > isize::MAX as usize {
        return Err(format!("length {len} is larger than PTRDIFF_MAX"));
    }
    // SAFETY: `data` is not NULL and `len` is at most isize::MAX; the caller
    // guarantees `len` readable bytes there, unchanged during the call, and
    // the slice does not outlive the call (the callers copy what they keep).
    Ok(unsafe { slice::from_raw_parts(data, len) })
}

/// The caller's text, checked to be UTF-8. `what` names it in the refusal.
///
/// # Safety
/// As for [`bytes_in`], for `text.ptr` and `text.len`.
pub(crate) unsafe fn str_in<'a>(text: argstream_str, what: &str) -> Result<&'a str, Refusal> {
    // SAFETY: the caller's guarantee for `text`, passed on.
    let bytes =
        unsafe { bytes_in(text.ptr.cast(), text.len) }.map_err(|e| format!("{what}: {e}"))?;
    str::from_utf8(bytes).map_err(|e| format!("{what} is not UTF-8: {e}"))
}

/// The caller's list of keys: `len` texts at `keys`.
///
/// # Safety
/// Unless `keys` is NULL or `len` is 0, `keys` must point to `len`
/// initialised `argstream_str`, each valid as for [`str_in`].
pub(crate) unsafe fn keys_in<'a>(
    keys: *const argstream_str,
    len: usize,
) -> Result<Vec<&'a str>, Refusal> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if keys.is_null() {
        return Err(format!("keys is NULL but keys_len is {len}"));
    }
    if len > isize::MAX as usize / size_of::<argstream_str>() {
        return Err(format!("keys_len {len} is too large"));
    }
    if !keys.is_aligned() {
        return Err("keys is not aligned for argstream_str".to_owned());
    }
    // SAFETY: `keys` is not NULL, aligned, and `len` elements fit in
    // isize::MAX bytes; the caller guarantees they are initialised and
    // unchanged during the call, and the slice does not outlive it.
    let texts = unsafe { slice::from_raw_parts(keys, len) };
    texts
        .iter()
        .enumerate()
        // SAFETY: the caller's guarantee for each key, passed on.
        .map(|(i, &key)| unsafe { str_in(key, &format!("keys[{i}]")) })
        .collect()
}

/// Writes `value` to the caller's out-parameter; `false` when it is NULL
/// or misaligned, and then writes nothing.
///
/// # Safety
/// Unless NULL, `out` must be valid for a write of one `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) -> bool {
    if out.is_null() || !out.is_aligned() {
        return false;
    }
    // SAFETY: `out` is not NULL, aligned, and the caller guarantees it is
    // valid for a write of one `T`. `T` here is a plain C struct or a
    // pointer, with nothing to drop in what it overwrites.
    unsafe { out.write(value) };
    true
}

/// Writes `text` into the caller's buffer of `capacity` bytes, cut at a
/// character boundary to fit, and NUL-terminated. Nothing when `buffer` is
/// NULL or `capacity` is 0.
///
/// # Safety
/// Unless `buffer` is NULL or `capacity` is 0, `buffer` must be valid for
/// writes of `capacity` bytes.
pub(crate) unsafe fn write_message(buffer: *mut c_char, capacity: usize, text: &str) {
    if buffer.is_null() || capacity == 0 {
        return;
    }
    let mut end = text.len().min(capacity - 1);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // SAFETY: `buffer` is not NULL and the caller guarantees `capacity`
    // writable bytes; `end + 1 <= capacity` bytes are written, and `text`
    // (Rust memory) cannot overlap the caller's buffer while borrowed here.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr(), buffer.cast::<u8>(), end);
        buffer.add(end).write(0);
    }
}
