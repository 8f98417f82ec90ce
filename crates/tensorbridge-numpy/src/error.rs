//! Building core's [`Error`] for files: every message starts with the file
//! (or stream, or archive member) it is about.

use tensorbridge_core::Error;

/// [`Error::Format`] about `src`.
pub(crate) fn format_err(src: &str, what: impl std::fmt::Display) -> Error {
    Error::Format {
        what: format!("{src}: {what}"),
    }
}

/// [`Error::Io`] with what was being done.
pub(crate) fn io_err(context: String, source: std::io::Error) -> Error {
    Error::Io { context, source }
}
