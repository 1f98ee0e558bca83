//! `get_claims`: a JWT's claims, verified (auth-js 2.108 `getClaims`). Asymmetric tokens (RS256,
//! ES256) are checked against the project's JWKS (`/auth/v1/.well-known/jwks.json`, cached for
//! ten minutes as auth-js `JWKS_TTL`, refetched once for an unknown `kid`), or keys the caller
//! gives; HS256 tokens with the JWT secret when the caller has it. Every other token is checked
//! by asking the server (`GET /user`), as auth-js does: other `HS*` algorithms, a token without
//! a `kid`, and one whose `kid` the JWKS does not hold (a key rotated in while a CDN still
//! serves the old set).

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

/// `get_claims` options (auth-js `allowExpired`, `jwks`).
#[derive(Clone, Default)]
#[must_use]
pub struct GetClaimsOptions {
    secret: Option<Secret>,
    allow_expired: bool,
    jwks: Option<Value>,
}

impl std::fmt::Debug for GetClaimsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys are not shown: a JWKS may hold a symmetric key (`"kty": "oct"`), the JWT
        // secret itself.
        let keys = self.jwks.as_ref().map(|j| {
            let n = j.get("keys").and_then(Value::as_array).map_or(0, Vec::len);
            format!("<{n} keys>")
        });
        f.debug_struct("GetClaimsOptions")
            .field("secret", &self.secret)
            .field("allow_expired", &self.allow_expired)
            .field("jwks", &keys)
            .finish()
    }
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

    /// Skips the expiry check (auth-js `allowExpired`): the claims of a token verified by its
    /// signature though it has expired. A token only the server can check is still refused
    /// once expired, as the server refuses it.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.allow_expired = allow;
        self
    }

    /// Keys to look in before the project's JWKS (auth-js `jwks`): a JWKS document,
    /// `{"keys": [...]}`, e.g. one a server fetched and keeps itself.
    pub fn jwks(mut self, jwks: Value) -> Self {
        self.jwks = Some(jwks);
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

/// Checks `jwt`'s signature; its expiry is [`check_expiry`]'s.
fn verify(jwt: &str, key: &DecodingKey, alg: Algorithm) -> Result<(), AuthError> {
    // jsonwebtoken picks its crypto from its features, and with both `aws_lc_rs` and
    // `rust_crypto` on (an application's own jsonwebtoken may add the second) its fallback
    // panics. The provider this crate builds with is installed unless one already is.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let mut validation = Validation::new(alg);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
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

    /// The key `kid` from `given`, else from the project's JWKS (refetched once when it lacks
    /// the key); `None` when neither holds it. A JWKS that cannot be fetched is an error.
    async fn key_for(&self, kid: &str, given: Option<&JwkSet>) -> Result<Option<DecodingKey>> {
        let usable = |jwk: &jsonwebtoken::jwk::Jwk| {
            DecodingKey::from_jwk(jwk)
                .map(Some)
                .map_err(|e| AuthError::Jwks(format!("unusable key `{kid}`: {e}")).into())
        };
        if let Some(jwk) = given.and_then(|set| set.find(kid)) {
            return usable(jwk);
        }
        for force in [false, true] {
            let set = self.jwks(force).await?;
            if let Some(jwk) = set.find(kid) {
                return usable(jwk);
            }
        }
        Ok(None)
    }
}

impl Auth {
    /// The claims of `jwt` (or of the current session's access token when `None`), after
    /// verifying its signature and expiry: locally where a key is at hand (the JWT secret for
    /// HS256, the JWKS for RS256 and ES256), else by the server (`GET /user`), as auth-js
    /// 2.108 does. Fails with [`AuthError::SessionMissing`] when there is no token,
    /// [`AuthError::InvalidJwt`] when it is malformed, expired or its signature does not
    /// verify, [`AuthError::Jwks`] when the project's JWKS cannot be fetched or holds an
    /// unusable key, [`AuthError::InvalidParams`] for a `jwks` option that is not a JWKS, and
    /// with the server's error when the server refuses the token.
    pub async fn get_claims(&self, jwt: Option<&str>, options: GetClaimsOptions) -> Result<Claims> {
        self.shared.own_auth()?;
        let given = match &options.jwks {
            Some(v) => Some(
                serde_json::from_value::<JwkSet>(v.clone())
                    .map_err(|e| AuthError::InvalidParams(format!("not a JWKS: {e}")))?,
            ),
            None => None,
        };
        let token = match jwt {
            Some(t) => Secret::new(t),
            None => self.shared.access_token().await?,
        };
        let raw = token.expose();
        let (header, claims) = parts(raw)?;
        if !options.allow_expired {
            check_expiry(&claims)?;
        }
        let key = match local_key(&header) {
            Local::Secret => options.secret.as_ref().map(|secret| {
                (
                    DecodingKey::from_secret(secret.expose().as_bytes()),
                    Algorithm::HS256,
                )
            }),
            Local::Jwks(alg, kid) => self
                .shared
                .key_for(kid, given.as_ref())
                .await?
                .map(|key| (key, alg)),
            Local::None => None,
        };
        match key {
            Some((key, alg)) => verify(raw, &key, alg)?,
            None => {
                self.shared.user_for(&token).await?;
            }
        }
        Ok(Claims { claims, header })
    }
}

/// Which key could verify a token here; the server checks the others.
enum Local<'a> {
    /// HS256: the JWT secret, when the caller has it.
    Secret,
    /// RS256 or ES256 with a `kid`: that key of the JWKS, when it holds it.
    Jwks(Algorithm, &'a str),
    /// Another `HS*` algorithm, no `kid`, or an algorithm this crate does not verify.
    None,
}

fn local_key(header: &Map<String, Value>) -> Local<'_> {
    let alg = header.get("alg").and_then(Value::as_str);
    let kid = header.get("kid").and_then(Value::as_str);
    match (alg, kid) {
        (Some("HS256"), _) => Local::Secret,
        (Some("RS256"), Some(kid)) => Local::Jwks(Algorithm::RS256, kid),
        (Some("ES256"), Some(kid)) => Local::Jwks(Algorithm::ES256, kid),
        _ => Local::None,
    }
}

/// auth-js `validateExp`: an `exp` claim, in the future.
fn check_expiry(claims: &Map<String, Value>) -> Result<(), AuthError> {
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now() => Ok(()),
        Some(_) => Err(AuthError::InvalidJwt("the JWT has expired".into())),
        None => Err(AuthError::InvalidJwt("the JWT has no `exp` claim".into())),
    }
}

/// `get_claims` with the JWT secret, for what needs no request (the fuzz targets): tokens that
/// need the JWKS or the server are refused.
pub(crate) fn verify_local(jwt: &str, secret: &str) -> Result<Claims> {
    let (header, claims) = parts(jwt)?;
    check_expiry(&claims)?;
    match local_key(&header) {
        Local::Secret => verify(
            jwt,
            &DecodingKey::from_secret(secret.as_bytes()),
            Algorithm::HS256,
        )?,
        Local::Jwks(..) | Local::None => {
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
