//! SHIM(relay-api): the relay options of `notes/relay-api.md` (issue 8), which
//! are being implemented on main. Until they land, the relay reads the
//! OpenAI chat format only and hides tool calls; asking for anything else
//! is refused with `NotImplementedError`. Delete this file and use
//! `argstream::{Format, ToolCallMode}` and the `Relay` builder methods once
//! "Relay: three upstream formats" is merged.

use std::str::FromStr;

use argstream::chat::Relay;
use pyo3::PyResult;
use pyo3::exceptions::PyNotImplementedError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    OpenAiChat,
    OpenAiResponses,
    Anthropic,
}

impl FromStr for Format {
    type Err = ();
    fn from_str(name: &str) -> Result<Format, ()> {
        match name {
            "openai-chat" => Ok(Format::OpenAiChat),
            "openai-responses" => Ok(Format::OpenAiResponses),
            "anthropic" => Ok(Format::Anthropic),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolCallMode {
    Hide,
    Forward,
}

impl FromStr for ToolCallMode {
    type Err = ();
    fn from_str(name: &str) -> Result<ToolCallMode, ()> {
        match name {
            "hide" => Ok(ToolCallMode::Hide),
            "forward" => Ok(ToolCallMode::Forward),
            _ => Err(()),
        }
    }
}

pub trait RelayOptions: Sized {
    fn with_format(self, format: Option<Format>) -> PyResult<Self>;
    fn with_tool_calls(self, mode: ToolCallMode) -> PyResult<Self>;
}

impl RelayOptions for Relay {
    fn with_format(self, format: Option<Format>) -> PyResult<Relay> {
        match format {
            None | Some(Format::OpenAiChat) => Ok(self),
            Some(other) => Err(PyNotImplementedError::new_err(format!(
                "this build of argstream reads only the openai-chat format, not {other:?}"
            ))),
        }
    }

    fn with_tool_calls(self, mode: ToolCallMode) -> PyResult<Relay> {
        match mode {
            ToolCallMode::Hide => Ok(self),
            ToolCallMode::Forward => Err(PyNotImplementedError::new_err(
                "this build of argstream cannot forward tool calls yet",
            )),
        }
    }
}
