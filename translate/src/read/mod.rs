//! Client request bodies, one reader a format, into the neutral request.
use argstream::Format;
use serde_json::{Map, Value};

use crate::error::Notes;
use crate::ir::Request;
use crate::{Error, Options};

pub(crate) fn request(
    _root: &Map<String, Value>,
    _from: Format,
    _options: &Options,
    _notes: &mut Notes,
) -> Result<Request, Error> {
    Err(Error::shape("$", "placeholder"))
}
