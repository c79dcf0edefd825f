//! `argstream.ArgstreamError` and the mapping of the crate's errors to it.

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::False;
use pyo3::{PyClass, intern};

create_exception!(
    argstream,
    ArgstreamError,
    PyValueError,
    "Input that argstream cannot accept: a malformed JSON document or event \
     stream, or one cut off before its end.\n\n\
     `kind` names what went wrong (\"invalid_escape\", \"truncated\", ...) and \
     `offset` is the byte offset (in the UTF-8 input) of the first bad byte."
);

/// The crate's error as an `ArgstreamError` carrying `kind` and `offset`.
pub fn to_py(py: Python<'_>, error: argstream::Error) -> PyErr {
    let err = ArgstreamError::new_err(error.to_string());
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail short of
    // memory exhaustion; the message still names kind and offset if it does.
    let _ = value.setattr(intern!(py, "kind"), error.kind().name());
    let _ = value.setattr(intern!(py, "offset"), error.offset());
    err
}

/// Borrows a scanner or relay for one call. The interpreter lock alone does
/// not serialise calls: a long fragment is scanned with it released, and a
/// second thread calling in meanwhile gets this error instead of a second
/// borrow, so the object is never used by two threads at once.
pub fn borrow_mut<'py, T: PyClass<Frozen = False>>(
    object: &Bound<'py, T>,
    what: &str,
) -> PyResult<PyRefMut<'py, T>> {
    object.try_borrow_mut().map_err(|_| in_use(what))
}

/// As [`borrow_mut`], for the read-only properties.
pub fn borrow<'py, T: PyClass<Frozen = False>>(
    object: &Bound<'py, T>,
    what: &str,
) -> PyResult<PyRef<'py, T>> {
    object.try_borrow().map_err(|_| in_use(what))
}

fn in_use(what: &str) -> PyErr {
    PyRuntimeError::new_err(format!(
        "this {what} is in use by another thread; use one {what} per stream, \
         from one thread at a time"
    ))
}
