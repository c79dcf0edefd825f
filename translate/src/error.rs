//! What goes wrong in a translation, and what is carried only in part.

use std::fmt;

/// The kinds of [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The body is not JSON; the error has its byte offset.
    NotJson,
    /// The body is JSON but not its format's shape (a member of the wrong
    /// type, a required member missing, a role or block type unknown).
    Shape,
    /// Neither the options nor the body name a model.
    MissingModel,
    /// A format requests are not translated from or to (Bedrock).
    UnsupportedFormat,
    /// Strict mode: a field could not be carried (the warning's path and
    /// reason).
    Untranslatable,
}

impl ErrorKind {
    /// The kind's name in error bodies and logs: `not_json`, `shape`,
    /// `missing_model`, `unsupported_format`, `untranslatable`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotJson => "not_json",
            ErrorKind::Shape => "shape",
            ErrorKind::MissingModel => "missing_model",
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::Untranslatable => "untranslatable",
        }
    }
}

/// A request or answer that cannot be translated: its kind, the path of the
/// field concerned (`messages[2].content[0]`, `$` for the whole body), the
/// byte offset for a body that is not JSON, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    path: String,
    offset: Option<usize>,
    message: String,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error {
            kind,
            path: path.into(),
            offset: None,
            message: message.into(),
        }
    }

    pub(crate) fn shape(path: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Shape, path, message)
    }

    pub(crate) fn not_json(offset: usize, message: impl Into<String>) -> Error {
        Error {
            offset: Some(offset),
            ..Error::new(ErrorKind::NotJson, "$", message)
        }
    }

    pub(crate) fn untranslatable(warning: &Warning) -> Error {
        Error::new(ErrorKind::Untranslatable, &warning.path, &warning.message)
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The path of the field concerned, `$` for the whole body.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// For [`ErrorKind::NotJson`], the byte offset in the body where it
    /// stops being JSON.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// Why, in a sentence.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.kind.name(), self.path)?;
        if let Some(offset) = self.offset {
            write!(f, " (byte {offset})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Error {}

/// A field of the client's request that the upstream's format cannot carry,
/// or carries only in part: its path in the client's body and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The field's path in the client's body (`tools[3]`,
    /// `system[0].cache_control`).
    pub path: String,
    /// What happened to it and why.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The warnings of one translation.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    pub(crate) warnings: Vec<Warning>,
}

impl Notes {
    pub(crate) fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning {
            path: path.into(),
            message: message.into(),
        });
    }
}
