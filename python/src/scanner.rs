//! `argstream.KeyScanner`: the crate's [`KeyScanner`] over a buffer the
//! binding keeps, fed `str` or `bytes` fragments.

use argstream::scan::DEFAULT_MAX_DEPTH;
use argstream::{Error, Event, KeyScanner, Span};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::DETACH_AT;
use crate::error::{borrow, borrow_mut, to_py};

const WHAT: &str = "KeyScanner";

const _: () = assert!(DEFAULT_MAX_DEPTH == 128, "update max_depth's default");

/// Streams the string values of chosen keys out of a JSON object that
/// arrives in fragments, as decoded text.
///
/// Give it the keys (one str, or a list), feed it each fragment (str or
/// bytes, cut anywhere), and it returns the new text of those values:
/// escapes resolved, surrogate pairs joined, never cut inside an escape, a
/// pair or a UTF-8 character. Each byte is read once: linear time.
///
/// Keys match at the top level of the root object only, never in nested
/// objects or inside strings. A key given twice in the document gives both
/// values (feed_pieces tells them apart); a non-string value gives no text.
/// The document is checked as strictly as json.loads checks it; the first
/// bad byte raises ArgstreamError, and the scanner stays failed.
///
/// Memory: the document fed so far, nothing else that grows. Nesting deeper
/// than max_depth (keyword, default 128) raises "too_deep".
///
/// Threads: one scanner per stream. A call from a second thread while one
/// runs (fragments of 64 KiB and more are scanned with the interpreter
/// released) raises RuntimeError and leaves the scanner untouched.
///
///     scanner = KeyScanner("pre_exec_msg")
///     for fragment in fragments:
///         speak(scanner.feed(fragment))   # "" when nothing is new
///     scanner.finish()                    # raises if it was cut off
#[pyclass(module = "argstream", name = "KeyScanner")]
pub struct PyKeyScanner {
    scanner: KeyScanner,
    /// The document so far: the scanner's spans are ranges of it.
    document: Vec<u8>,
    /// Decoded text of the current call, reused from call to call.
    text: String,
    /// The key index and occurrence of the value whose text comes next.
    current: Option<(usize, u32)>,
    /// The error the scanner failed with, so a failed scanner refuses
    /// further fragments without storing them.
    error: Option<Error>,
}

/// One piece of text by value: key index, occurrence, decoded text.
type Piece = (usize, u32, String);

impl PyKeyScanner {
    /// Appends a fragment (unless the scanner has failed) and pulls what is
    /// new with `drain`, with the interpreter released for long fragments.
    fn pull<R: Send>(
        &mut self,
        py: Python<'_>,
        fragment: &[u8],
        drain: fn(&mut Self) -> Result<R, Error>,
    ) -> PyResult<R> {
        if let Some(error) = self.error {
            return Err(to_py(py, error));
        }
        self.document.extend_from_slice(fragment);
        let pulled = if fragment.len() >= DETACH_AT {
            py.detach(|| drain(self))
        } else {
            drain(self)
        };
        pulled.map_err(|error| {
            self.error = Some(error);
            // The scanner never reads the document again: free it.
            self.document = Vec::new();
            to_py(py, error)
        })
    }

    /// The new text, all values together. A lone span without an escape
    /// (the common case for short fragments) is returned, to be converted
    /// straight from the document; anything else is decoded into
    /// `self.text`.
    fn drain_text(&mut self) -> Result<Option<Span>, Error> {
        self.text.clear();
        let mut borrowed = None;
        while let Some(event) = self.scanner.next_event(&self.document)? {
            match event {
                Event::ValueStart { key, occurrence } => self.current = Some((key, occurrence)),
                Event::Text(span) => {
                    if self.text.is_empty() && borrowed.is_none() && !span.is_escaped() {
                        borrowed = Some(span);
                        continue;
                    }
                    if let Some(first) = borrowed.take() {
                        first.decode_into(&self.document, &mut self.text)?;
                    }
                    span.decode_into(&self.document, &mut self.text)?;
                }
                _ => {}
            }
        }
        Ok(borrowed)
    }

    /// The new text by value. A value's first piece comes with its opening
    /// quote, even while its text is still empty.
    fn drain_pieces(&mut self) -> Result<Vec<Piece>, Error> {
        let mut pieces: Vec<Piece> = Vec::new();
        while let Some(event) = self.scanner.next_event(&self.document)? {
            match event {
                Event::ValueStart { key, occurrence } => {
                    self.current = Some((key, occurrence));
                    pieces.push((key, occurrence, String::new()));
                }
                Event::Text(span) => {
                    if pieces.is_empty() {
                        // The value began in an earlier fragment.
                        let (key, occurrence) = self.current.unwrap_or_default();
                        pieces.push((key, occurrence, String::new()));
                    }
                    if let Some((_, _, text)) = pieces.last_mut() {
                        span.decode_into(&self.document, text)?;
                    }
                }
                _ => {}
            }
        }
        Ok(pieces)
    }
}

#[pymethods]
impl PyKeyScanner {
    /// KeyScanner(keys)
    ///
    /// A scanner for the string values of `keys` (one key as a str, or a
    /// list of them) at the top level of one JSON object, refusing nesting
    /// deeper than `max_depth` (default 128, as json.loads and serde_json).
    #[new]
    // The default written out, so that Python's signature shows it; the
    // assertion below keeps it the crate's.
    #[pyo3(signature = (keys, *, max_depth = 128))]
    fn new(keys: &Bound<'_, PyAny>, max_depth: usize) -> PyResult<PyKeyScanner> {
        Ok(PyKeyScanner {
            scanner: KeyScanner::new(&crate::keys_of(keys)?).with_max_depth(max_depth),
            document: Vec::new(),
            text: String::new(),
            current: None,
            error: None,
        })
    }

    /// Reads the next fragment and returns the decoded new text of the
    /// target values since the last call, or "".
    ///
    /// bytes may end anywhere (inside a character, an escape, a surrogate
    /// pair): the incomplete part comes with the next fragment. A str is
    /// read as UTF-8. Raises ArgstreamError for a fragment that makes the
    /// document invalid (text before the bad byte in that fragment is not
    /// returned), TypeError for a fragment that is not str, bytes or
    /// bytearray, RuntimeError while another thread uses the scanner.
    fn feed<'py>(
        slf: &Bound<'py, Self>,
        fragment: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyString>> {
        let py = slf.py();
        let mut this = borrow_mut(slf, WHAT)?;
        let this = &mut *this;
        let text = match this.pull(py, &crate::input_bytes(fragment)?, Self::drain_text)? {
            Some(span) => span
                .decode(&this.document, &mut this.text)
                .map_err(|error| to_py(py, error))?,
            None => &this.text,
        };
        Ok(PyString::new(py, text))
    }

    /// Like feed, but returns the new text by value: a list of
    /// (key, occurrence, text) tuples in document order.
    ///
    /// occurrence counts the key's earlier values in the document (0 for the
    /// first). A value's first piece comes with its opening quote, even while
    /// its text is still ""; a value that goes on in later fragments gives
    /// further pieces with the same key and occurrence. Raises as feed does.
    fn feed_pieces<'py>(
        slf: &Bound<'py, Self>,
        fragment: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let mut this = borrow_mut(slf, WHAT)?;
        let this = &mut *this;
        let pieces = this.pull(py, &crate::input_bytes(fragment)?, Self::drain_pieces)?;
        let tuples = pieces.into_iter().map(|(key, occurrence, text)| {
            let name = this.scanner.key(key).unwrap_or_default();
            PyTuple::new(
                py,
                [
                    PyString::new(py, name).into_any(),
                    occurrence.into_pyobject(py)?.into_any(),
                    PyString::new(py, &text).into_any(),
                ],
            )
        });
        PyList::new(py, tuples.collect::<PyResult<Vec<_>>>()?)
    }

    /// Marks the end of the document.
    ///
    /// Raises ArgstreamError with kind "truncated" if the document is
    /// incomplete (a cut-off stream), or the scanner's earlier error.
    fn finish(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let mut this = borrow_mut(slf, WHAT)?;
        let this = &mut *this;
        this.scanner.finish().map_err(|error| {
            this.error = Some(error);
            to_py(py, error)
        })
    }

    /// Forgets the document, keeping the keys, to scan a new one.
    fn reset(slf: &Bound<'_, Self>) -> PyResult<()> {
        let mut this = borrow_mut(slf, WHAT)?;
        this.scanner.reset();
        this.document.clear();
        this.current = None;
        this.error = None;
        Ok(())
    }

    /// Whether the document has been read to its end (its closing brace).
    #[getter]
    fn complete(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(borrow(slf, WHAT)?.scanner.is_complete())
    }

    /// How many bytes of the document have been read (UTF-8 bytes for str
    /// fragments): all bytes fed so far, until the scanner fails.
    #[getter]
    fn offset(slf: &Bound<'_, Self>) -> PyResult<u64> {
        Ok(borrow(slf, WHAT)?.scanner.offset())
    }

    /// The target keys, in the order given.
    #[getter]
    fn keys(slf: &Bound<'_, Self>) -> PyResult<Vec<String>> {
        let this = borrow(slf, WHAT)?;
        Ok((0..)
            .map_while(|i| this.scanner.key(i).map(str::to_owned))
            .collect())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let keys = PyList::new(slf.py(), Self::keys(slf)?)?;
        let this = borrow(slf, WHAT)?;
        Ok(format!(
            "KeyScanner({}, offset={}, complete={})",
            keys.repr()?,
            this.scanner.offset(),
            if this.scanner.is_complete() {
                "True"
            } else {
                "False"
            }
        ))
    }
}
