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

/// The URL with its password replaced by `***`; connection strings that are not URLs
/// (`host=... password=...`) get the value of every `password=` replaced.
pub fn redact_db_url(url: &str) -> String {
    if let Ok(mut parsed) = url::Url::parse(url) {
        if parsed.password().is_some() {
            let _ = parsed.set_password(Some("***"));
        }
        // `?password=...` is accepted too.
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if !pairs.is_empty() {
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
        return parsed.to_string();
    }
    url.split_whitespace()
        .map(|part| {
            if part.starts_with("password=") {
                "password=***"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::redact_db_url;

    #[test]
    fn passwords_are_redacted() {
        let r = redact_db_url("postgres://me:s3cret@localhost:5432/db");
        assert!(!r.contains("s3cret"), "{r}");
        assert!(r.contains("me:***@localhost"), "{r}");
        let r = redact_db_url("postgres://me@localhost/db?password=s3cret&sslmode=disable");
        assert!(
            !r.contains("s3cret") && r.contains("sslmode=disable"),
            "{r}"
        );
        let r = redact_db_url("host=localhost password=s3cret user=me");
        assert_eq!(r, "host=localhost password=*** user=me");
    }
}
