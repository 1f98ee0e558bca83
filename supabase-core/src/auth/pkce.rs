//! PKCE (RFC 7636): a random code verifier kept in the session store and its S256 challenge sent
//! to GoTrue, as auth-js `src/lib/helpers.ts` (`generatePKCEVerifier`, `generatePKCEChallenge`,
//! `getCodeChallengeAndMethod`).

use base64::Engine;
use sha2::{Digest, Sha256};

use super::errors::AuthError;

/// Whether sign-ins return tokens directly (implicit) or a code exchanged with a stored verifier
/// (PKCE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowType {
    /// Tokens come back directly (in the URL fragment for redirects).
    Implicit,
    /// Redirects carry a `code` that [`exchange_code_for_session`] trades for a session, with
    /// the verifier this client stored (supabase-py's default).
    ///
    /// [`exchange_code_for_session`]: crate::auth::Auth::exchange_code_for_session
    #[default]
    Pkce,
}

/// Suffix of the code verifier's key in the store (auth-js: `${storageKey}-code-verifier`).
pub(crate) const VERIFIER_SUFFIX: &str = "-code-verifier";
/// Appended to a stored verifier when the flow is a password recovery, so the exchange emits
/// `PASSWORD_RECOVERY`: auth-js 2.108's mark (`getCodeChallengeAndMethod`); older auth-js and
/// auth-py wrote `/PASSWORD_RECOVERY`, which [`split_stored`] reads too.
pub(crate) const RECOVERY_MARK: &str = "/recovery";

/// A stored (or cookie-carried) verifier split into the verifier and whether the flow is a
/// password recovery. A verifier has no `/` (RFC 7636's characters are unreserved), so what
/// follows one is a mark, never sent to GoTrue (auth-js 2.108 `_exchangeCodeForSession`
/// splits at `/` too).
pub(crate) fn split_stored(stored: &str) -> (&str, bool) {
    match stored.split_once('/') {
        Some((verifier, mark)) => (verifier, matches!(mark, "recovery" | "PASSWORD_RECOVERY")),
        None => (stored, false),
    }
}

/// A fresh verifier: 64 random bytes as 128 hex characters (RFC 7636 allows 43–128 unreserved
/// characters).
pub(crate) fn verifier() -> Result<String, AuthError> {
    let mut bytes = [0u8; 64];
    getrandom::fill(&mut bytes)
        .map_err(|e| AuthError::InvalidParams(format!("no randomness for PKCE: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `BASE64URL(SHA256(verifier))` without padding (method `s256`).
pub(crate) fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_long_and_distinct() {
        let (a, b) = (verifier().unwrap(), verifier().unwrap());
        assert_eq!(a.len(), 128);
        assert_ne!(a, b);
    }

    #[test]
    fn stored_verifiers_split_at_their_mark() {
        let stored = format!("abc{RECOVERY_MARK}");
        assert_eq!(split_stored(&stored), ("abc", true));
        assert_eq!(split_stored("abc/PASSWORD_RECOVERY"), ("abc", true));
        assert_eq!(split_stored("abc/other"), ("abc", false));
        assert_eq!(split_stored("abc"), ("abc", false));
    }
}
