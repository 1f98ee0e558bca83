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
/// Appended to a stored verifier when the flow is a password recovery (auth-js does the same), so
/// the exchange emits `PASSWORD_RECOVERY`.
pub(crate) const RECOVERY_MARK: &str = "/PASSWORD_RECOVERY";

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
}
