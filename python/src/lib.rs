//! The Python module `argstream`: a thin binding of the argstream crate.
//!
//! It converts types and maps errors, nothing more: `str`/`bytes` in, `str`
//! or `bytes` out, [`argstream::Error`] as `argstream.ArgstreamError`. The
//! scanning and relaying are the crate's. The Python package around this
//! extension module (`python/argstream/`) re-exports it and carries the type
//! stubs.

#![forbid(unsafe_code)]

mod error;
mod relay;
mod scanner;
mod translate;

use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

/// Fragments at least this long are scanned with the interpreter released
/// (`Python::detach`), so other Python threads run meanwhile. Shorter ones
/// keep it: releasing and taking it back costs more than scanning them.
const DETACH_AT: usize = 64 * 1024;

#[pymodule]
#[pyo3(name = "_argstream")]
fn argstream_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ArgstreamError", m.py().get_type::<error::ArgstreamError>())?;
    m.add_class::<scanner::PyKeyScanner>()?;
    m.add_class::<relay::PyRelay>()?;
    m.add(
        "TranslationError",
        m.py().get_type::<translate::TranslationError>(),
    )?;
    m.add_class::<translate::PyTranslated>()?;
    m.add_function(wrap_pyfunction!(translate::translate_request, m)?)?;
    Ok(())
}

/// The bytes of an input: a `str` as UTF-8 and `bytes` borrowed, a
/// `bytearray` copied (it can change under a borrow).
fn input_bytes<'a>(input: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(text) = input.cast::<PyString>() {
        return Ok(Cow::Borrowed(text.to_str()?.as_bytes()));
    }
    if let Ok(bytes) = input.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(bytes.as_bytes()));
    }
    if let Ok(array) = input.cast::<PyByteArray>() {
        return Ok(Cow::Owned(array.to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "expected str, bytes or bytearray, not {}",
        input.get_type().name()?
    )))
}

/// The target keys of a constructor: one key as a `str`, or a list of them.
/// (A `str` is a sequence too, so it is told apart first.)
fn keys_of(keys: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(key) = keys.cast::<PyString>() {
        return Ok(vec![key.to_str()?.to_owned()]);
    }
    keys.extract()
        .map_err(|_| pyo3::exceptions::PyTypeError::new_err("keys must be a str or a list of str"))
}
