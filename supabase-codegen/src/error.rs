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

/// The connection string with every password replaced by `***`: a URL's user info and
/// `?password=`, or a `key=value` string's `password` (libpq's syntax: spaces around `=`,
/// single-quoted values with backslash escapes). A URL that does not parse keeps its scheme and
/// host but none of its user info or query; a `key=value` string that does not parse is
/// replaced whole.
pub fn redact_db_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        return match url::Url::parse(url) {
            Ok(parsed) => redact_parsed_url(parsed),
            // A password with an unescaped `/`, `#` or `?` does not parse: the user info is
            // everything before the last `@`.
            Err(_) => {
                let (user_info, host) = match rest.rsplit_once('@') {
                    Some((_, host)) => ("***@", host),
                    None => ("", rest),
                };
                let host = host.split(['/', '?']).next().unwrap_or_default();
                format!("{scheme}://{user_info}{host}/…")
            }
        };
    }
    redact_key_values(url).unwrap_or_else(|| "[a connection string that does not parse]".into())
}

fn redact_parsed_url(mut parsed: url::Url) -> String {
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
    parsed.to_string()
}

/// `key = value` pairs as libpq reads them, each written back as `key=value`, `password`'s as
/// `***`; `None` when the string does not parse.
fn redact_key_values(text: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let key_end = rest.find(|c: char| c == '=' || c.is_whitespace())?;
        let key = &rest[..key_end];
        rest = rest[key_end..].trim_start().strip_prefix('=')?.trim_start();
        let value_end = match rest.strip_prefix('\'') {
            // A quoted value ends at the first quote not escaped by a backslash.
            Some(quoted) => {
                let mut escaped = false;
                1 + quoted
                    .char_indices()
                    .find(|&(_, c)| {
                        let end = c == '\'' && !escaped;
                        escaped = c == '\\' && !escaped;
                        end
                    })?
                    .0
                    + 1
            }
            None => rest.find(char::is_whitespace).unwrap_or(rest.len()),
        };
        let value = &rest[..value_end];
        out.push(format!(
            "{key}={}",
            if key == "password" { "***" } else { value }
        ));
        rest = rest[value_end..].trim_start();
    }
    Some(out.join(" "))
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

    #[test]
    fn passwords_are_redacted_where_the_string_does_not_parse_as_a_url() {
        // An unescaped `/` in the password: not a valid URL.
        for url in [
            "postgres://postgres:ab/cd@db.example.com:5432/postgres",
            "postgres://me:a#b?c@host/db",
            "postgresql://me:p@ss:w/rd@host",
        ] {
            let r = redact_db_url(url);
            assert!(
                !r.contains("cd") && !r.contains("b?c") && !r.contains("rd"),
                "{r}"
            );
            assert!(r.starts_with("postgres"), "{r}");
        }
        assert_eq!(
            redact_db_url("postgres://postgres:ab/cd@db.example.com:5432/postgres"),
            "postgres://***@db.example.com:5432/…"
        );
    }

    #[test]
    fn key_value_passwords_are_redacted_with_libpq_spacing_and_quoting() {
        assert_eq!(
            redact_db_url("host=h password = s3cret user=me"),
            "host=h password=*** user=me"
        );
        assert_eq!(
            redact_db_url(r"password='a b\' c' dbname = 'my db'"),
            "password=*** dbname='my db'"
        );
        // An unterminated quote: nothing of it is shown.
        let r = redact_db_url("host=h password='s3cret");
        assert!(!r.contains("s3cret"), "{r}");
        assert_eq!(
            redact_db_url("host=h password"),
            "[a connection string that does not parse]"
        );
    }
}
