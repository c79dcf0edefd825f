//! SHIM until issue 8's Relay lands on main (see notes/relay-api.md):
//! `ToolCallMode`, `Relay::with_tool_calls`, `Relay::write_error` and
//! `Relay::format` written against the agreed contract. Once main has them,
//! this file goes and its callers use `argstream::{Relay, ToolCallMode}`.

use std::str::FromStr;

use argstream::Relay;
use bytes::{Bytes, BytesMut};

/// Whether tool calls reach the client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ToolCallMode {
    /// Tool calls are hidden; only their target keys' text is streamed.
    #[default]
    Hide,
    /// Tool calls are forwarded as `tool_calls` deltas as well.
    Forward,
}

impl FromStr for ToolCallMode {
    type Err = ();

    fn from_str(text: &str) -> Result<ToolCallMode, ()> {
        match text {
            "hide" => Ok(ToolCallMode::Hide),
            "forward" => Ok(ToolCallMode::Forward),
            _ => Err(()),
        }
    }
}

/// SHIM for `relay.with_tool_calls(mode)`: the relay on main only hides.
pub fn with_tool_calls(relay: Relay, _mode: ToolCallMode) -> Relay {
    relay
}

/// SHIM for `relay.format()`: the relay on main reads chat streams only.
pub fn format(_relay: &Relay) -> Option<&'static str> {
    None
}

/// SHIM for `relay.write_error(..)` then `relay.output()`: the relay's
/// pending frames, then one OpenAI-shaped error event.
pub fn write_error(relay: &mut Relay, error_type: &str, message: &str) -> Bytes {
    let payload = serde_json::json!({
        "error": {"message": message, "type": error_type, "code": null}
    });
    let mut out = BytesMut::from(&relay.output()[..]);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(payload.to_string().as_bytes());
    out.extend_from_slice(b"\n\n");
    out.freeze()
}
