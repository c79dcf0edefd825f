//! The neutral request, one writer a format, into the upstream's body.
use argstream::Format;
use serde_json::{Map, Value};

use crate::error::Notes;
use crate::ir::Request;
use crate::{Error, Options};

pub(crate) fn same(
    _root: Map<String, Value>,
    _format: Format,
    _options: &Options,
) -> Result<(Value, String, bool), Error> {
    Err(Error::shape("$", "placeholder"))
}

pub(crate) fn request(
    _request: Request,
    _to: Format,
    _options: &Options,
    _notes: &mut Notes,
) -> Result<(Value, String, bool), Error> {
    Err(Error::shape("$", "placeholder"))
}
