//! JWTs: the stack's API keys and a helper to mint tokens for arbitrary claims.
//!
//! Tokens are HS256, with the header `{"alg":"HS256","typ":"JWT"}` in that order, so with the
//! default secret the API keys are byte-for-byte the well-known keys `supabase start` prints.

use jsonwebtoken::{Algorithm, EncodingKey};
use serde::Serialize;

use crate::error::StackError;

/// The JWT secret of Supabase's local development setup (`supabase start`).
pub const DEFAULT_JWT_SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";

/// `exp` of the local-development API keys (2032-11-12), as in `supabase start`.
pub const API_KEY_EXPIRY: u64 = 1_983_812_996;

/// Signs `claims` (any JSON object, e.g. a `serde_json::Value`) as an HS256 JWT with `secret`.
///
/// ```
/// let token = supabase_local::mint_jwt(
///     supabase_local::DEFAULT_JWT_SECRET,
///     &serde_json::json!({ "role": "authenticated", "sub": "6a1c9a52-5c0d-4c52-9a64-0c8d2b3f4e71" }),
/// )
/// .unwrap();
/// assert_eq!(token.split('.').count(), 3);
/// ```
pub fn mint_jwt<T: Serialize + ?Sized>(secret: &str, claims: &T) -> Result<String, StackError> {
    let payload = serde_json::to_vec(claims).map_err(|e| StackError::Jwt { source: e.into() })?;
    let message = format!(
        "{}.{}",
        base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        base64url(&payload)
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(secret.as_bytes()),
        Algorithm::HS256,
    )
    .map_err(|e| StackError::Jwt { source: e.into() })?;
    Ok(format!("{message}.{signature}"))
}

/// The API key for `role` (`anon` or `service_role`) with the claims `supabase start` uses:
/// `{"iss":"supabase-demo","role":<role>,"exp":1983812996}`.
pub fn api_key(secret: &str, role: &str) -> Result<String, StackError> {
    #[derive(Serialize)]
    struct Claims<'a> {
        iss: &'a str,
        role: &'a str,
        exp: u64,
    }
    mint_jwt(
        secret,
        &Claims {
            iss: "supabase-demo",
            role,
            exp: API_KEY_EXPIRY,
        },
    )
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn default_keys_are_supabase_cli_demo_keys() {
        assert_eq!(
            api_key(DEFAULT_JWT_SECRET, "anon").unwrap(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0"
        );
        assert_eq!(
            api_key(DEFAULT_JWT_SECRET, "service_role").unwrap(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"
        );
    }

    #[test]
    fn minted_tokens_verify_with_jsonwebtoken() {
        let token = mint_jwt(
            "0123456789abcdef0123456789abcdef",
            &serde_json::json!({"sub": "x", "role": "authenticated"}),
        )
        .unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
            &validation,
        )
        .unwrap();
        assert_eq!(data.claims["sub"], "x");
    }
}
