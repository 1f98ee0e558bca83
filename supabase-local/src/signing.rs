//! The keys the stack signs and verifies access tokens with: always the legacy HS256 secret (the
//! API keys stay HS256, as on a Supabase project that moved to signing keys), and optionally an
//! asymmetric signing key (RS256 or ES256) generated at stack start, as GoTrue's
//! `GOTRUE_JWT_KEYS` configures one.
//!
//! Followed: supabase/auth `internal/conf/jwk.go` (the signing key is the private JWK with
//! `key_ops: ["sign"]`; its public half gets `use: "sig"` and `key_ops: ["verify"]`;
//! `FindPublicKeyByKid`: a token's `kid` picks the public key, no `kid` means the HS256 secret),
//! `internal/tokens/service.go` `SignJWT` (the signing key's `kid` goes into the header),
//! `internal/api/jwks.go` (the JWKS lists public keys only, never the HMAC secret), and the
//! Supabase CLI's `pkg/config/config.go` `ResolveJWKS` (PostgREST gets a JWKS: the public keys
//! plus the secret as an `oct` key, so both kinds of token pass).

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::StackError;
use crate::keys;

/// How the stack's auth server signs access tokens (GoTrue's signing key algorithm).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// The shared secret (the legacy setup, and `supabase start`'s default).
    #[default]
    Hs256,
    /// An RSA 2048 key pair generated at stack start (RSASSA-PKCS1-v1_5 with SHA-256).
    Rs256,
    /// A P-256 key pair generated at stack start (ECDSA with SHA-256).
    Es256,
}

impl JwtAlgorithm {
    /// The JOSE name: `"HS256"`, `"RS256"` or `"ES256"`.
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::Hs256 => "HS256",
            JwtAlgorithm::Rs256 => "RS256",
            JwtAlgorithm::Es256 => "ES256",
        }
    }
}

enum Signer {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ec(EncodingKey),
}

struct Asymmetric {
    alg: JwtAlgorithm,
    kid: String,
    signer: Signer,
    /// The public JWK as published (`kty`, key material, `kid`, `alg`, `use`, `key_ops`).
    public_jwk: Value,
    decoding: DecodingKey,
}

struct Inner {
    secret: String,
    asymmetric: Option<Asymmetric>,
}

/// The stack's JWT secret and, when configured, its asymmetric signing key. Cheap to clone.
/// Dereferences to the HS256 secret (what storage's signed URLs and the API keys use).
#[derive(Clone)]
pub(crate) struct JwtKeys(Arc<Inner>);

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys")
            .field("algorithm", &self.algorithm())
            .field("kid", &self.0.asymmetric.as_ref().map(|a| &a.kid))
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for JwtKeys {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0.secret
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn jwt_err(e: impl Into<crate::error::BoxError>) -> StackError {
    StackError::Jwt { source: e.into() }
}

impl JwtKeys {
    /// Only the shared secret: tokens are HS256.
    #[cfg(test)]
    pub(crate) fn hs256(secret: &str) -> Self {
        JwtKeys(Arc::new(Inner {
            secret: secret.to_owned(),
            asymmetric: None,
        }))
    }

    /// The secret plus, for RS256/ES256, a freshly generated key pair with a random `kid`.
    pub(crate) fn generate(secret: &str, alg: JwtAlgorithm) -> Result<Self, StackError> {
        let kid = uuid::Uuid::new_v4().to_string();
        let asymmetric = match alg {
            JwtAlgorithm::Hs256 => None,
            JwtAlgorithm::Rs256 => {
                let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|e| jwt_err(format!("generating an RSA key: {e}")))?;
                let public = pair.public_key();
                let jwk = json!({
                    "kty": "RSA",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                });
                Some((Signer::Rsa(pair), jwk))
            }
            JwtAlgorithm::Es256 => {
                let rng = SystemRandom::new();
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|e| jwt_err(format!("generating a P-256 key: {e}")))?;
                let pair =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
                        .map_err(|e| jwt_err(format!("reading the P-256 key: {e}")))?;
                // An uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
                let point = pair.public_key().as_ref();
                if point.len() != 65 {
                    return Err(jwt_err("unexpected P-256 public key encoding"));
                }
                let jwk = json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": b64(&point[1..33]),
                    "y": b64(&point[33..65]),
                });
                Some((Signer::Ec(EncodingKey::from_ec_der(pkcs8.as_ref())), jwk))
            }
        };
        let asymmetric = match asymmetric {
            None => None,
            Some((signer, mut jwk)) => {
                jwk["kid"] = json!(kid);
                jwk["alg"] = json!(alg.as_str());
                jwk["use"] = json!("sig");
                jwk["key_ops"] = json!(["verify"]);
                let parsed: Jwk = serde_json::from_value(jwk.clone()).map_err(jwt_err)?;
                let decoding = DecodingKey::from_jwk(&parsed).map_err(jwt_err)?;
                Some(Asymmetric {
                    alg,
                    kid,
                    signer,
                    public_jwk: jwk,
                    decoding,
                })
            }
        };
        Ok(JwtKeys(Arc::new(Inner {
            secret: secret.to_owned(),
            asymmetric,
        })))
    }

    /// The algorithm access tokens are signed with.
    pub(crate) fn algorithm(&self) -> JwtAlgorithm {
        self.0
            .asymmetric
            .as_ref()
            .map_or(JwtAlgorithm::Hs256, |a| a.alg)
    }

    /// `{"keys": [...]}`: the public signing keys (`jwks.go`); empty for HS256.
    pub(crate) fn jwks(&self) -> Value {
        let keys: Vec<&Value> = self.0.asymmetric.iter().map(|a| &a.public_jwk).collect();
        json!({ "keys": keys })
    }

    /// What PostgREST's `jwt-secret` is set to: the bare secret for HS256, else a JWKS with the
    /// public key and the secret as an `oct` key (the CLI's `ResolveJWKS`).
    pub(crate) fn postgrest_secret(&self) -> String {
        match &self.0.asymmetric {
            None => self.0.secret.clone(),
            Some(a) => json!({
                "keys": [
                    a.public_jwk,
                    { "kty": "oct", "k": b64(self.0.secret.as_bytes()) },
                ]
            })
            .to_string(),
        }
    }

    /// Signs an access token: with the signing key (and its `kid` in the header) when there is
    /// one, else HS256 with the secret (`SignJWT`).
    pub(crate) fn sign<T: Serialize + ?Sized>(&self, claims: &T) -> Result<String, StackError> {
        let Some(a) = &self.0.asymmetric else {
            return keys::mint_jwt(&self.0.secret, claims);
        };
        let header = json!({ "alg": a.alg.as_str(), "kid": a.kid, "typ": "JWT" });
        let message = format!(
            "{}.{}",
            b64(&serde_json::to_vec(&header).map_err(jwt_err)?),
            b64(&serde_json::to_vec(claims).map_err(jwt_err)?)
        );
        let signature = match &a.signer {
            Signer::Ec(key) => {
                jsonwebtoken::crypto::sign(message.as_bytes(), key, Algorithm::ES256)
                    .map_err(jwt_err)?
            }
            Signer::Rsa(pair) => {
                // jsonwebtoken's RSA signer wants a PKCS#1 key, which aws-lc-rs does not export;
                // sign with the key pair directly (same primitive jsonwebtoken would call).
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message.as_bytes(),
                    &mut sig,
                )
                .map_err(|e| jwt_err(format!("RSA signing failed: {e}")))?;
                b64(&sig)
            }
        };
        Ok(format!("{message}.{signature}"))
    }

    /// Verifies a token's signature (no claim checks): a token naming this stack's signing key
    /// in `kid` is checked with it, any other token must be HS256 with the secret
    /// (`FindPublicKeyByKid`).
    pub(crate) fn decode(&self, token: &str, validate_exp: bool) -> Result<Value, JwtError> {
        let header = jsonwebtoken::decode_header(token)?;
        let secret;
        let (key, alg) = match (&self.0.asymmetric, header.kid.as_deref()) {
            (Some(a), Some(kid)) if kid == a.kid => (
                &a.decoding,
                match a.alg {
                    JwtAlgorithm::Rs256 => Algorithm::RS256,
                    _ => Algorithm::ES256,
                },
            ),
            // An unknown `kid`: GoTrue's "invalid kid".
            (_, Some(_)) => return Err(ErrorKind::InvalidSignature.into()),
            (_, None) => {
                secret = DecodingKey::from_secret(self.0.secret.as_bytes());
                (&secret, Algorithm::HS256)
            }
        };
        let mut validation = validation(alg);
        validation.validate_exp = validate_exp;
        Ok(jsonwebtoken::decode::<Value>(token, key, &validation)?.claims)
    }

    /// Verifies a token as the edge runtime's main service does (supabase/cli
    /// `internal/functions/serve/templates/main.ts`, `verifyHybridJWT`, with jose's
    /// `jwtVerify`): the protected header's `alg` picks the check, HS256 with the secret
    /// whatever the `kid`, RS256 or ES256 with the published key the `kid` names, any other
    /// algorithm fails; `exp` and `nbf` are checked when present.
    pub(crate) fn verify_as_edge_runtime(&self, token: &str) -> Result<(), EdgeJwtError> {
        let header = token
            .split('.')
            .next()
            .and_then(|h| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(h)
                    .ok()
            })
            .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
            .filter(Value::is_object)
            .ok_or(EdgeJwtError::Malformed)?;
        let secret;
        let (key, alg) = match (header["alg"].as_str(), &self.0.asymmetric) {
            (Some("HS256"), _) => {
                secret = DecodingKey::from_secret(self.0.secret.as_bytes());
                (&secret, Algorithm::HS256)
            }
            (Some(alg), Some(a)) if alg == a.alg.as_str() && header["kid"] == a.kid.as_str() => {
                let alg = match a.alg {
                    JwtAlgorithm::Rs256 => Algorithm::RS256,
                    _ => Algorithm::ES256,
                };
                (&a.decoding, alg)
            }
            _ => return Err(EdgeJwtError::Invalid),
        };
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, key, &validation(alg))
            .map(drop)
            .map_err(|_| EdgeJwtError::Invalid)
    }
}

/// The checks every verification here shares: the signature with `alg`, `exp` and `nbf` when
/// present (no claim is required; golang-jwt in GoTrue, jose in the edge runtime and PostgREST
/// all refuse a token not yet valid), no audience, no leeway.
fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation
}

/// Why [`JwtKeys::verify_as_edge_runtime`] refused a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeJwtError {
    /// The protected header is not base64url JSON (jose's `decodeProtectedHeader` throws).
    Malformed,
    /// The signature, `alg`, `kid`, `exp` or `nbf` does not pass.
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = crate::keys::DEFAULT_JWT_SECRET;

    #[test]
    fn asymmetric_tokens_verify_and_hs256_still_does() {
        for alg in [JwtAlgorithm::Rs256, JwtAlgorithm::Es256] {
            let keys = JwtKeys::generate(SECRET, alg).unwrap();
            let token = keys
                .sign(&json!({"sub": "x", "exp": 4_000_000_000u64}))
                .unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(format!("{:?}", header.alg), alg.as_str());
            assert_eq!(keys.decode(&token, true).unwrap()["sub"], "x");
            // The published JWK verifies it too.
            let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(keys.jwks()).unwrap();
            let jwk = set.find(header.kid.as_deref().unwrap()).unwrap();
            let mut v = Validation::new(header.alg);
            v.validate_aud = false;
            jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
                .unwrap();
            // Legacy HS256 tokens (the API keys) still pass.
            let legacy = keys::mint_jwt(SECRET, &json!({"role": "anon"})).unwrap();
            assert_eq!(keys.decode(&legacy, true).unwrap()["role"], "anon");
            // A key from another stack does not.
            let other = JwtKeys::generate(SECRET, alg).unwrap();
            let foreign = other.sign(&json!({"sub": "x"})).unwrap();
            assert!(keys.decode(&foreign, true).is_err());
            // Tampering breaks the signature.
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = b64(br#"{"sub":"y","exp":4000000000}"#);
            parts[1] = &forged;
            assert!(keys.decode(&parts.join("."), true).is_err());
            // The JWKS holds no private material; PostgREST's holds the secret as `oct`.
            assert!(keys.jwks()["keys"][0].get("d").is_none());
            let pg: Value = serde_json::from_str(&keys.postgrest_secret()).unwrap();
            assert_eq!(pg["keys"][1]["kty"], "oct");
        }
    }

    #[test]
    fn hs256_publishes_no_keys_and_debug_has_no_secret() {
        let keys = JwtKeys::generate(SECRET, JwtAlgorithm::Hs256).unwrap();
        assert_eq!(keys.jwks(), json!({"keys": []}));
        assert_eq!(keys.postgrest_secret(), SECRET);
        let t = keys.sign(&json!({"role": "anon"})).unwrap();
        assert_eq!(t, keys::mint_jwt(SECRET, &json!({"role": "anon"})).unwrap());
        assert!(!format!("{keys:?}").contains(SECRET));
    }
}
