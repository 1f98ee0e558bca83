//! A string that never shows itself in `Debug` or `Display` output.

use std::fmt;
use std::sync::Arc;

/// A secret value (an API key, an access or refresh token, a password).
///
/// Its `Debug` output is `Secret([redacted])`, so a secret can sit in any struct that derives
/// `Debug` without ever reaching a log line. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call this only where the value is sent or stored.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

/// Whether a header or a JSON key of this name holds a secret: `apikey`, `Authorization`,
/// `Cookie`, `x-signature`, and any name a caller might give one (`x-api-key`,
/// `x-webhook-secret`, `refresh_token`, `password`), case aside. What `Debug` output redacts.
pub(crate) fn is_secret_name(name: &str) -> bool {
    const WORDS: [&str; 9] = [
        "key",
        "secret",
        "token",
        "password",
        "auth",
        "cookie",
        "signature",
        "session",
        "credential",
    ];
    let name = name.to_ascii_lowercase();
    WORDS.iter().any(|w| name.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_told_by_their_words() {
        for name in [
            "apikey",
            "Authorization",
            "proxy-authorization",
            "set-cookie",
            "x-signature",
            "X-Api-Key",
            "x-webhook-secret",
            "refresh_token",
            "password",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "content-type",
            "prefer",
            "x-client-info",
            "location",
            "message",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("eyJhbGciOiJIUzI1NiJ9.secret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.expose(), "eyJhbGciOiJIUzI1NiJ9.secret");
    }
}
