//! `argstream.Relay`: the crate's [`Relay`] with `bytes` in and out and the
//! summary as a dict.

use argstream::{Format, Output, Relay, ToolCallMode};
use bytes::Bytes;
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::DETACH_AT;
use crate::error::{borrow, borrow_mut, to_py};

const WHAT: &str = "Relay";

/// Relays a model's streamed response to a client in the client's format
/// (OpenAI chat-completion chunks by default), with the chosen string
/// arguments of every tool call streamed as answer text while they arrive.
///
/// from_ names the upstream format ("openai-chat", "openai-responses",
/// "anthropic", "gemini", "bedrock") or "auto" to detect it; to names the
/// client's format ("openai-chat", "openai-responses", "anthropic",
/// "gemini", or "same" for the upstream's own); tool_calls is "hide" (the
/// client sees only text) or "forward" (the calls go out as the format's
/// calls); values=False leaves the target values out of the text (a pure
/// translation).
/// finish=False leaves out the format's end (chat: the finish chunk, the
/// usage chunk and [DONE]) for chaining responses into one client stream;
/// created is the
/// `created` time written for formats without one; max_event_size (16 MiB),
/// max_arguments (16 MiB per call), max_calls (1024), max_content (16 MiB
/// of answer text kept for the summary; 0 keeps none), max_stream_arguments
/// (256 MiB for all calls together), max_depth (128), max_choices (128) and
/// max_kept (256 MiB of the answer the Responses output keeps for its end)
/// are the limits, None for the default.
/// The client's stream ends with the format's end (chat: one finish chunk,
/// a usage chunk if upstream sent usage, and data: [DONE]; Anthropic:
/// message_delta and message_stop; Responses: response.completed; Gemini:
/// an event with the finishReason); or, for
/// an upstream error or a cut-off upstream, with the format's error event
/// and no success end.
///
/// Threads: one relay per response stream; a call from a second thread
/// while one runs raises RuntimeError.
///
///     relay = Relay("pre_exec_msg")
///     async for read in upstream_body:
///         await send(relay.feed(read))
///     await send(relay.finish())
///     log(relay.summary())
#[pyclass(module = "argstream", name = "Relay")]
pub struct PyRelay {
    relay: Relay,
}

#[pymethods]
impl PyRelay {
    #[new]
    #[pyo3(signature = (
        keys,
        *,
        from_ = "auto",
        to = "openai-chat",
        tool_calls = "hide",
        values = true,
        finish = true,
        created = 0,
        max_event_size = None,
        max_arguments = None,
        max_calls = None,
        max_content = None,
        max_stream_arguments = None,
        max_depth = None,
        max_choices = None,
        max_kept = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keywords, one per option
    fn new(
        keys: &Bound<'_, PyAny>,
        from_: &str,
        to: &str,
        tool_calls: &str,
        values: bool,
        finish: bool,
        created: u64,
        max_event_size: Option<usize>,
        max_arguments: Option<usize>,
        max_calls: Option<usize>,
        max_content: Option<usize>,
        max_stream_arguments: Option<usize>,
        max_depth: Option<usize>,
        max_choices: Option<usize>,
        max_kept: Option<usize>,
    ) -> PyResult<PyRelay> {
        let format = match from_ {
            "auto" => None,
            name => Some(name.parse::<Format>().map_err(|_| {
                PyValueError::new_err(format!(
                    "from_ must be \"auto\" or one of {}, not {name:?}",
                    quoted(Format::names())
                ))
            })?),
        };
        let output = to.parse::<Output>().map_err(|_| {
            PyValueError::new_err(format!(
                "to must be one of {}, not {to:?}",
                quoted(Output::names())
            ))
        })?;
        let mode = tool_calls.parse::<ToolCallMode>().map_err(|_| {
            PyValueError::new_err(format!(
                "tool_calls must be \"hide\" or \"forward\", not {tool_calls:?}"
            ))
        })?;
        let mut relay = Relay::new(&crate::keys_of(keys)?)
            .with_format(format)
            .with_output(output)
            .with_values(values)
            .with_tool_calls(mode)
            .with_finish(finish);
        relay.set_created(created);
        // Each limit, None for the core's default.
        let limits: [(Option<usize>, SetLimit); 8] = [
            (max_event_size, Relay::with_max_event_size),
            (max_arguments, Relay::with_max_arguments),
            (max_calls, Relay::with_max_calls),
            (max_content, Relay::with_max_content),
            (max_stream_arguments, Relay::with_max_stream_arguments),
            (max_depth, Relay::with_max_depth),
            (max_choices, Relay::with_max_choices),
            (max_kept, Relay::with_max_kept),
        ];
        for (max, set) in limits {
            if let Some(max) = max {
                relay = set(relay, max);
            }
        }
        Ok(PyRelay { relay })
    }

    /// Reads the next piece of the upstream body (bytes, or str as UTF-8)
    /// and returns the downstream SSE bytes it completes (often b"").
    ///
    /// Raises ArgstreamError for an upstream event its format does not
    /// define ("malformed_chunk"), one too large ("event_too_large") or too
    /// many calls ("too_many_calls"), with the upstream byte offset of the
    /// byte that made it bad; the relay then stays failed, and write_error
    /// ends the client's stream. Bad arguments in one call are not raised: they are
    /// in summary().
    fn feed<'py>(
        slf: &Bound<'py, Self>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let py = slf.py();
        let data = crate::input_bytes(data)?;
        let mut this = borrow_mut(slf, WHAT)?;
        let relay = &mut this.relay;
        let read = Bytes::copy_from_slice(&data);
        let fed = if data.len() >= DETACH_AT {
            py.detach(|| relay.feed(read))
        } else {
            relay.feed(read)
        };
        fed.map_err(|error| to_py(py, error))?;
        Ok(PyBytes::new(py, &relay.output()))
    }

    /// Marks the end of the upstream body and returns the last downstream
    /// bytes: data: [DONE], or the error event of a cut-off upstream.
    fn finish<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyBytes>> {
        let py = slf.py();
        let mut this = borrow_mut(slf, WHAT)?;
        this.relay.finish().map_err(|error| to_py(py, error))?;
        Ok(PyBytes::new(py, &this.relay.output()))
    }

    /// What was collected so far, as a dict with the fields of the Rust
    /// Summary::to_json() line: content, finish_reason, tool_calls (index,
    /// id, name, arguments, error), usage, error, content_truncated.
    fn summary<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let py = slf.py();
        let line = borrow(slf, WHAT)?.relay.summary().to_json();
        let json = py.import(intern!(py, "json"))?;
        Ok(json
            .call_method1(intern!(py, "loads"), (line,))?
            .cast_into::<PyDict>()?)
    }

    /// Ends the client's stream with one error event (unless it has already
    /// ended) and returns the downstream bytes not yet taken, that event
    /// included.
    fn write_error<'py>(
        slf: &Bound<'py, Self>,
        error_type: &str,
        message: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let py = slf.py();
        let mut this = borrow_mut(slf, WHAT)?;
        this.relay.write_error(error_type, message);
        Ok(PyBytes::new(py, &this.relay.output()))
    }

    /// Forgets the stream, keeping keys and options, to relay a new one.
    fn reset(slf: &Bound<'_, Self>) -> PyResult<()> {
        borrow_mut(slf, WHAT)?.relay.reset();
        Ok(())
    }

    /// The upstream format, given or detected: "openai-chat",
    /// "openai-responses", "anthropic", "gemini", "bedrock", or None until
    /// known.
    #[getter]
    fn format(slf: &Bound<'_, Self>) -> PyResult<Option<&'static str>> {
        Ok(borrow(slf, WHAT)?.relay.format().map(Format::name))
    }

    /// Whether the client's stream has ended ([DONE] or an error event).
    #[getter]
    fn ended(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(borrow(slf, WHAT)?.relay.is_ended())
    }

    /// How many upstream events have been read.
    #[getter]
    fn events(slf: &Bound<'_, Self>) -> PyResult<u64> {
        Ok(borrow(slf, WHAT)?.relay.events())
    }
}

/// `"a", "b", "c"`: the names a value may take, read from the crate's
/// tables, so that a format added there is named here too.
fn quoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("{name:?}")).collect();
    quoted.join(", ")
}

/// A relay builder that sets one limit.
type SetLimit = fn(Relay, usize) -> Relay;
