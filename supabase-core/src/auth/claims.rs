//! `get_claims`: a JWT's claims, verified (auth-js `getClaims`). Asymmetric tokens (RS256,
//! ES256) are checked against the project's JWKS (`/auth/v1/.well-known/jwks.json`, cached for
//! ten minutes as auth-js `JWKS_TTL`, refetched once for an unknown `kid`); HS256 tokens with the
//! JWT secret when the caller has it, else by asking the server (`GET /user`), as auth-js does.

use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::api::Call;
use super::errors::AuthError;
use super::types::now;
use super::{Auth, AuthShared};
use crate::error::Result;
use crate::secret::Secret;

const JWKS_TTL: Duration = Duration::from_secs(600);

/// The cached JWKS of the project.
#[derive(Debug, Default)]
pub(crate) struct JwksCache(tokio::sync::Mutex<Option<(Instant, JwkSet)>>);

/// `get_claims` options.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct GetClaimsOptions {
    secret: Option<Secret>,
}

impl GetClaimsOptions {
    /// No secret: HS256 tokens are verified by the server.
    pub fn new() -> Self {
        Self::default()
    }

    /// The project's JWT secret, to verify HS256 tokens locally.
    pub fn jwt_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(Secret::new(secret.into()));
        self
    }
}

/// A verified JWT's parts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Claims {
    /// The payload: `sub`, `role`, `aal`, `session_id`, `email`, …
    pub claims: Map<String, Value>,
    /// The header: `alg`, `kid`, `typ`.
    pub header: Map<String, Value>,
}

/// The payload of a JWT, without verifying it.
pub(crate) fn decode_unverified(jwt: &str) -> Result<Map<String, Value>, AuthError> {
    part(jwt, 1)
}

/// A JWT's decoded header and payload.
pub(crate) type Parts = (Map<String, Value>, Map<String, Value>);

/// A JWT's header and payload, unverified.
pub(crate) fn parts(jwt: &str) -> Result<Parts, AuthError> {
    Ok((part(jwt, 0)?, part(jwt, 1)?))
}

fn part(jwt: &str, index: usize) -> Result<Map<String, Value>, AuthError> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err(AuthError::InvalidJwt(
            "expected three dot-separated parts".into(),
        ));
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[index].trim_end_matches('='))
        .map_err(|e| AuthError::InvalidJwt(format!("bad base64url: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| AuthError::InvalidJwt(format!("bad JSON: {e}")))
}

fn verify(jwt: &str, key: &DecodingKey, alg: Algorithm) -> Result<(), AuthError> {
    // jsonwebtoken picks its crypto from its features, and with both `aws_lc_rs` and
    // `rust_crypto` on (an application's own jsonwebtoken may add the second) its fallback
    // panics. The provider this crate builds with is installed unless one already is.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let mut validation = Validation::new(alg);
    validation.validate_aud = false;
    validation.leeway = 0;
    jsonwebtoken::decode::<Value>(jwt, key, &validation)
        .map(drop)
        .map_err(|e| AuthError::InvalidJwt(e.to_string()))
}

impl AuthShared {
    async fn jwks(&self, force: bool) -> Result<JwkSet> {
        let mut cache = self.jwks.0.lock().await;
        if !force
            && let Some((at, set)) = cache.as_ref()
            && at.elapsed() < JWKS_TTL
        {
            return Ok(set.clone());
        }
        let set: JwkSet = self
            .json(Call::get(".well-known/jwks.json"))
            .await
            .map_err(|e| AuthError::Jwks(e.to_string()))?;
        *cache = Some((Instant::now(), set.clone()));
        Ok(set)
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey> {
        for force in [false, true] {
            let set = self.jwks(force).await?;
            if let Some(jwk) = set.find(kid) {
                return DecodingKey::from_jwk(jwk)
                    .map_err(|e| AuthError::Jwks(format!("unusable key `{kid}`: {e}")).into());
            }
        }
        Err(AuthError::Jwks(format!("no key with kid `{kid}`")).into())
    }
}

impl Auth {
    /// The claims of `jwt` (or of the current session's access token when `None`), after
    /// verifying its signature and expiry. Fails with [`AuthError::SessionMissing`] when there
    /// is neither, and [`AuthError::InvalidJwt`] when the token does not verify.
    pub async fn get_claims(&self, jwt: Option<&str>, options: GetClaimsOptions) -> Result<Claims> {
        self.shared.own_auth()?;
        let token = match jwt {
            Some(t) => Secret::new(t),
            None => self.shared.access_token().await?,
        };
        let raw = token.expose();
        let (header, claims) = parts(raw)?;
        match check(&header, &claims)? {
            Check::Hs256 => match &options.secret {
                Some(secret) => verify(
                    raw,
                    &DecodingKey::from_secret(secret.expose().as_bytes()),
                    Algorithm::HS256,
                )?,
                None => {
                    self.shared.user_for(&token).await?;
                }
            },
            Check::Jwks(alg, kid) => {
                let key = self.shared.key_for(kid).await?;
                verify(raw, &key, alg)?;
            }
            Check::Server => {
                self.shared.user_for(&token).await?;
            }
        }
        Ok(Claims { claims, header })
    }
}

/// How a parsed, unexpired token is verified.
enum Check<'a> {
    /// With the JWT secret, else by the server.
    Hs256,
    /// With the project's JWKS key `kid`.
    Jwks(Algorithm, &'a str),
    /// By the server (`GET /user`): an asymmetric token without a `kid`.
    Server,
}

/// The expiry check and the choice of verification, before anything is sent.
fn check<'a>(
    header: &'a Map<String, Value>,
    claims: &Map<String, Value>,
) -> Result<Check<'a>, AuthError> {
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now() => {}
        Some(_) => return Err(AuthError::InvalidJwt("the JWT has expired".into())),
        None => return Err(AuthError::InvalidJwt("the JWT has no `exp` claim".into())),
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kid = header.get("kid").and_then(Value::as_str);
    match (alg, kid) {
        ("HS256", _) => Ok(Check::Hs256),
        ("RS256", Some(kid)) => Ok(Check::Jwks(Algorithm::RS256, kid)),
        ("ES256", Some(kid)) => Ok(Check::Jwks(Algorithm::ES256, kid)),
        ("RS256" | "ES256", None) => Ok(Check::Server),
        (other, _) => Err(AuthError::InvalidJwt(format!(
            "unsupported algorithm `{other}`"
        ))),
    }
}

/// `get_claims` with the JWT secret, for what needs no request (the fuzz targets): tokens that
/// need the JWKS or the server are refused.
pub(crate) fn verify_local(jwt: &str, secret: &str) -> Result<Claims> {
    let (header, claims) = parts(jwt)?;
    match check(&header, &claims)? {
        Check::Hs256 => verify(
            jwt,
            &DecodingKey::from_secret(secret.as_bytes()),
            Algorithm::HS256,
        )?,
        Check::Jwks(..) | Check::Server => {
            return Err(AuthError::InvalidJwt("verifying this JWT needs the server".into()).into());
        }
    }
    Ok(Claims { claims, header })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_tokens_are_typed_errors() {
        assert!(matches!(
            decode_unverified("abc"),
            Err(AuthError::InvalidJwt(_))
        ));
        assert!(matches!(
            decode_unverified("a.%%%.c"),
            Err(AuthError::InvalidJwt(_))
        ));
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#);
        let claims = decode_unverified(&format!("h.{payload}.s")).unwrap();
        assert_eq!(claims["sub"], "x");
    }
}
