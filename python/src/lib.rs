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

use pyo3::prelude::*;

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
    Ok(())
}

/// The target keys of a constructor: one key as a `str`, or a list of them.
/// (A `str` is a sequence too, so it is told apart first.)
fn keys_of(keys: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(key) = keys.cast::<pyo3::types::PyString>() {
        return Ok(vec![key.to_str()?.to_owned()]);
    }
    keys.extract()
        .map_err(|_| pyo3::exceptions::PyTypeError::new_err("keys must be a str or a list of str"))
}
