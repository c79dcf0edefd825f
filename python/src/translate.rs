//! `argstream.translate_request`: a client's request body in one format
//! as the upstream's request in another (the crate argstream-translate).

use argstream::Format;
use argstream_translate::{DEFAULT_MAX_TOKENS, Options};

// The signature's default is written out, for Python's introspection and
// the stubs; it is the crate's.
const _: () = assert!(DEFAULT_MAX_TOKENS == 8192);
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::{IntoPyObjectExt, intern};

use crate::input_bytes;

create_exception!(
    argstream,
    TranslationError,
    PyValueError,
    "A request that cannot be translated.\n\n\
     `kind` names what went wrong (\"not_json\", \"shape\", \"missing_model\", \
     \"unsupported_format\", \"untranslatable\"), `path` the field \
     (\"messages[2].content\", \"$\" for the whole body) and `offset` the byte \
     offset for a body that is not JSON (else None)."
);

/// A request translated into the upstream's format.
#[pyclass(name = "Translated", module = "argstream", frozen, get_all)]
pub struct PyTranslated {
    /// The upstream request's JSON body.
    body: Py<PyBytes>,
    /// Its path under the upstream's base URL, query included.
    path: String,
    /// The model asked for.
    model: String,
    /// Whether the answer comes as a stream.
    stream: bool,
    /// What could not be carried: (path, why) pairs.
    warnings: Vec<(String, String)>,
}

#[pymethods]
impl PyTranslated {
    fn __repr__(&self) -> String {
        format!(
            "Translated(path={:?}, model={:?}, stream={}, warnings={})",
            self.path,
            self.model,
            if self.stream { "True" } else { "False" },
            self.warnings.len()
        )
    }
}

fn format_of(name: &str, argument: &str) -> PyResult<Format> {
    name.parse::<Format>()
        .map_err(|error| PyValueError::new_err(format!("{argument}: {error}")))
}

/// Translates a request body from `from_format` into `to_format` (each one
/// of "openai-chat", "openai-responses", "anthropic", "gemini").
#[pyfunction]
#[pyo3(signature = (
    body, from_format, to_format, *, model=None, client_model=None, stream=false,
    default_max_tokens=8192, max_tokens_cap=None, eager_input_streaming=true,
    vertex_stream_arguments=false, strict=false
))]
#[allow(clippy::too_many_arguments)]
pub fn translate_request(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    from_format: &str,
    to_format: &str,
    model: Option<String>,
    client_model: Option<String>,
    stream: bool,
    default_max_tokens: u64,
    max_tokens_cap: Option<u64>,
    eager_input_streaming: bool,
    vertex_stream_arguments: bool,
    strict: bool,
) -> PyResult<PyTranslated> {
    let from = format_of(from_format, "from_format")?;
    let to = format_of(to_format, "to_format")?;
    let body = input_bytes(body)?;
    let options = Options {
        model,
        client_model,
        client_stream: stream,
        default_max_tokens,
        max_tokens_cap,
        eager_input_streaming,
        vertex_stream_arguments,
        strict,
    };
    match argstream_translate::translate_request(&body, from, to, &options) {
        Ok(out) => Ok(PyTranslated {
            body: PyBytes::new(py, &out.body).unbind(),
            path: out.path,
            model: out.model,
            stream: out.stream,
            warnings: out
                .warnings
                .into_iter()
                .map(|w| (w.path, w.message))
                .collect(),
        }),
        Err(error) => {
            let err = TranslationError::new_err(error.to_string());
            let value = err.value(py);
            let _ = value.setattr(intern!(py, "kind"), error.kind().name());
            let _ = value.setattr(intern!(py, "path"), error.path());
            let _ = value.setattr(intern!(py, "offset"), error.offset().into_py_any(py)?);
            Err(err)
        }
    }
}
