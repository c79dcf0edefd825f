//! Reading members of a parsed body, each miss an error with its path.

use serde_json::{Map, Value};

use crate::Error;

/// Parses a whole body.
pub(crate) fn parse(body: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(body).map_err(|error| {
        Error::not_json(
            offset_of(body, error.line(), error.column()),
            error.to_string(),
        )
    })
}

/// The byte offset of serde_json's 1-based line and column (the column
/// counts bytes; 0 means before the line's first byte).
fn offset_of(body: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match memchr_newline(&body[start..]) {
            Some(at) => start += at + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(body.len())
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// A path to a member: `parent.name`, or `name` at the root.
pub(crate) fn at(parent: &str, name: &str) -> String {
    if parent.is_empty() || parent == "$" {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// A path to an element: `parent[index]`.
pub(crate) fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The member `name` of `object` as a string, `None` when absent or null.
pub(crate) fn str<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<&'a str>, Error> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::shape(at(path, name), "expected a string")),
    }
}

/// The member `name` as a required string.
pub(crate) fn need_str<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, Error> {
    str(object, name, path)?
        .ok_or_else(|| Error::shape(at(path, name), "a required string is missing"))
}

/// The member `name` as an object, `None` when absent or null.
pub(crate) fn object<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, Error> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(Error::shape(at(path, name), "expected an object")),
    }
}

/// The member `name` as an array, `None` when absent or null.
pub(crate) fn array<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<&'a [Value]>, Error> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(Error::shape(at(path, name), "expected an array")),
    }
}

/// The member `name` as a boolean, `None` when absent or null.
pub(crate) fn bool(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<bool>, Error> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(Error::shape(at(path, name), "expected true or false")),
    }
}

/// The member `name` as a non-negative integer, `None` when absent or null.
pub(crate) fn uint(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<u64>, Error> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e19)
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| Error::shape(at(path, name), "expected a non-negative integer")),
        Some(_) => Err(Error::shape(at(path, name), "expected a number")),
    }
}

/// The member `name` as a number, `None` when absent or null.
pub(crate) fn number(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<f64>, Error> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(Error::shape(at(path, name), "expected a number")),
    }
}

/// `value` as an object, or a shape error at `path`.
pub(crate) fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Error> {
    value
        .as_object()
        .ok_or_else(|| Error::shape(path, "expected an object"))
}

/// A member under either of its names: Gemini's REST API takes both
/// `camelCase` and `snake_case`.
pub(crate) fn either<'a>(
    object: &'a Map<String, Value>,
    camel: &'a str,
    snake: &'a str,
) -> &'a str {
    if object.contains_key(camel) || !object.contains_key(snake) {
        camel
    } else {
        snake
    }
}
