//! [`Error`]: every failure of the library and the binary, with its context.

/// What went wrong, with the URL, path or object involved. Database URLs in messages have their
/// password replaced by `***`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL could not be parsed.
    #[error("invalid database URL `{url}`: {message}")]
    DbUrl {
        /// The URL, password redacted.
        url: String,
        /// Why.
        message: String,
    },
    /// Connecting or authenticating to the database failed.
    #[error("cannot connect to `{url}`: {message}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's message (it never contains the password).
        message: String,
    },
    /// A catalog query failed.
    #[error("introspection query `{what}` failed: {message}")]
    Query {
        /// Which query.
        what: &'static str,
        /// The driver's message.
        message: String,
    },
    /// A requested schema does not exist.
    #[error("schema `{schema}` does not exist (existing schemas: {existing})")]
    MissingSchema {
        /// The schema asked for.
        schema: String,
        /// The schemas that do exist, comma-separated.
        existing: String,
    },
    /// Fetching PostgREST's OpenAPI document failed.
    #[error("cannot fetch the OpenAPI document from `{url}`: {message}")]
    Http {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// The OpenAPI document is not what PostgREST serves.
    #[error("the OpenAPI document from `{url}` is not usable: {message}")]
    OpenApi {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// The configuration file is invalid.
    #[error("config `{path}`: {message}")]
    Config {
        /// The file (or `<inline>`).
        path: String,
        /// Why.
        message: String,
    },
    /// A snapshot could not be read or written.
    #[error("snapshot `{path}`: {message}")]
    Snapshot {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("`{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The connection string (a `postgres://` URL or libpq's `key = value` form) with every
/// password replaced by `***`, for error messages.
pub fn redact_db_url(url: &str) -> String {
    crate::source::conninfo::redact(url)
}
