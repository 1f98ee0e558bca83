//! Multi-factor authentication: `auth.mfa()` (auth-js `GoTrueClient.ts` `_enroll`,
//! `_challenge`, `_verify`, `_challengeAndVerify`, `_unenroll`, `_listFactors`,
//! `_getAuthenticatorAssuranceLevel`; GoTrue `internal/api/mfa.go`).

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::api::{Body, Call, segment};
use super::events::AuthChangeEvent;
use super::params::Channel;
use super::types::{AuthResponse, Factor, Session, User, secret_serde};
use super::{Auth, claims};
use crate::error::Result;
use crate::secret::Secret;

/// The MFA API: `client.auth().mfa()`.
#[derive(Debug, Clone)]
pub struct Mfa {
    auth: Auth,
}

impl Auth {
    /// The MFA API, as `supabase.auth.mfa`.
    pub fn mfa(&self) -> Mfa {
        Mfa { auth: self.clone() }
    }
}

/// `mfa.enroll` parameters.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct EnrollParams {
    factor_type: &'static str,
    friendly_name: Option<String>,
    issuer: Option<String>,
    phone: Option<String>,
}

impl EnrollParams {
    /// A TOTP (authenticator app) factor.
    pub fn totp() -> Self {
        EnrollParams {
            factor_type: "totp",
            friendly_name: None,
            issuer: None,
            phone: None,
        }
    }

    /// A phone factor (codes by SMS or WhatsApp).
    pub fn phone(phone: impl Into<String>) -> Self {
        EnrollParams {
            factor_type: "phone",
            phone: Some(phone.into()),
            ..EnrollParams::totp()
        }
    }

    /// A name the user recognises the factor by.
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// The issuer shown in authenticator apps (TOTP).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }
}

/// A TOTP factor's enrollment details: show the QR code or the secret to the user.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TotpDetails {
    /// An SVG QR code as a `data:` URI. It encodes the `otpauth://` URI, secret included, so
    /// it is a [`Secret`] too.
    pub qr_code: Secret,
    /// The shared secret (base32).
    pub secret: Secret,
    /// The `otpauth://` URI (it contains the secret).
    pub uri: Secret,
}

/// `EnrollResponse::totp`: GoTrue answers every enrollment with a `totp` object (`mfa.go`'s
/// `TOTPObject` is a struct, not a pointer, so `omitempty` keeps it), which is `{}` for a phone
/// factor. An object without a secret is no TOTP factor.
fn totp_details<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<TotpDetails>, D::Error> {
    #[derive(Deserialize)]
    struct Wire {
        #[serde(default)]
        qr_code: String,
        #[serde(default)]
        secret: String,
        #[serde(default)]
        uri: String,
    }
    Ok(Option::<Wire>::deserialize(de)?
        .filter(|w| !w.secret.is_empty())
        .map(|w| TotpDetails {
            qr_code: Secret::from(w.qr_code),
            secret: Secret::from(w.secret),
            uri: Secret::from(w.uri),
        }))
}

/// What `mfa.enroll` returns.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct EnrollResponse {
    /// The new (unverified) factor's id.
    pub id: String,
    /// `totp` or `phone`.
    #[serde(rename = "type")]
    pub factor_type: String,
    /// The friendly name.
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// For TOTP factors.
    #[serde(default, deserialize_with = "totp_details")]
    pub totp: Option<TotpDetails>,
    /// For phone factors.
    #[serde(default)]
    pub phone: Option<String>,
}

/// A challenge to answer with a code.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Challenge {
    /// The challenge's id.
    pub id: String,
    /// `totp` or `phone`.
    #[serde(rename = "type", default)]
    pub factor_type: Option<String>,
    /// When the challenge expires (Unix seconds).
    pub expires_at: i64,
}

/// `mfa.verify` parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "super::json::MfaVerifyJson")]
#[must_use]
pub struct MfaVerifyParams {
    /// The factor.
    pub factor_id: String,
    /// The challenge being answered.
    pub challenge_id: String,
    /// The code from the app or the SMS.
    pub code: Secret,
}

impl MfaVerifyParams {
    /// Answers `challenge_id` of `factor_id` with `code`.
    pub fn new(
        factor_id: impl Into<String>,
        challenge_id: impl Into<String>,
        code: impl Into<String>,
    ) -> Self {
        MfaVerifyParams {
            factor_id: factor_id.into(),
            challenge_id: challenge_id.into(),
            code: Secret::new(code.into()),
        }
    }
}

/// `mfa.challenge` parameters: the factor, and for a phone factor the channel the code goes by.
/// A factor id alone converts: `mfa.challenge(&factor.id)`. Deserializes from the reference's
/// `{"factor_id", "channel"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct MfaChallengeParams {
    /// The factor.
    pub factor_id: String,
    /// SMS or WhatsApp, for phone factors.
    #[serde(default)]
    pub channel: Option<Channel>,
}

impl MfaChallengeParams {
    /// A challenge for `factor_id`.
    pub fn new(factor_id: impl Into<String>) -> Self {
        MfaChallengeParams {
            factor_id: factor_id.into(),
            channel: None,
        }
    }

    /// The channel a phone factor's code is sent by.
    pub fn channel(mut self, channel: Channel) -> Self {
        self.channel = Some(channel);
        self
    }
}

/// `mfa.challenge_and_verify` parameters. Deserializes from `{"factor_id", "code"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct MfaChallengeAndVerifyParams {
    /// The factor.
    pub factor_id: String,
    /// The code from the app.
    #[serde(with = "secret_serde")]
    pub code: Secret,
}

impl MfaChallengeAndVerifyParams {
    /// Challenges `factor_id` and answers with `code`.
    pub fn new(factor_id: impl Into<String>, code: impl Into<String>) -> Self {
        MfaChallengeAndVerifyParams {
            factor_id: factor_id.into(),
            code: Secret::new(code.into()),
        }
    }
}

/// `mfa.unenroll` parameters. A factor id alone converts: `mfa.unenroll(&factor.id)`.
/// Deserializes from `{"factor_id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct MfaUnenrollParams {
    /// The factor to remove.
    pub factor_id: String,
}

impl MfaUnenrollParams {
    /// Removes `factor_id`.
    pub fn new(factor_id: impl Into<String>) -> Self {
        MfaUnenrollParams {
            factor_id: factor_id.into(),
        }
    }
}

/// Parameters made of one string by their `new` (a factor id, an auth code) also come from
/// it, so the reference's one-string and dict forms share a method name.
macro_rules! from_one_string {
    ($($t:ty),*) => {$(
        impl From<&str> for $t {
            fn from(value: &str) -> Self {
                <$t>::new(value)
            }
        }
        impl From<&String> for $t {
            fn from(value: &String) -> Self {
                <$t>::new(value.as_str())
            }
        }
        impl From<String> for $t {
            fn from(value: String) -> Self {
                <$t>::new(value)
            }
        }
    )*};
}

from_one_string!(
    MfaChallengeParams,
    MfaUnenrollParams,
    super::params::CodeExchangeParams
);

/// What `mfa.unenroll` returns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UnenrollResponse {
    /// The removed factor's id.
    pub id: String,
}

/// The user's factors: all of them, and the verified ones by type.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Factors {
    /// Every factor, verified or not.
    pub all: Vec<Factor>,
    /// Verified TOTP factors.
    pub totp: Vec<Factor>,
    /// Verified phone factors.
    pub phone: Vec<Factor>,
    /// Verified WebAuthn factors (auth-js 2.108 `listFactors`; enrolled by the browser's
    /// credential API, so this client lists them but does not enroll them).
    pub webauthn: Vec<Factor>,
}

/// An authenticator assurance level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuthenticatorAssuranceLevel {
    /// One factor (password, OTP, OAuth, …).
    Aal1,
    /// Two factors (an MFA challenge was verified).
    Aal2,
}

impl AuthenticatorAssuranceLevel {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "aal1" => Some(Self::Aal1),
            "aal2" => Some(Self::Aal2),
            _ => None,
        }
    }
}

/// What `get_authenticator_assurance_level` returns.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AuthenticatorAssuranceLevels {
    /// The session's level (`None` when signed out).
    pub current_level: Option<AuthenticatorAssuranceLevel>,
    /// The level the user can reach (`Aal2` when a factor is verified).
    pub next_level: Option<AuthenticatorAssuranceLevel>,
    /// The `amr` claim: how and when the user authenticated (`[{method, timestamp}]`).
    pub current_authentication_methods: Vec<Value>,
}

impl Mfa {
    async fn jwt(&self) -> Result<Secret> {
        self.auth.shared.access_token().await
    }

    /// Starts enrolling a factor; verify it with [`challenge_and_verify`](Self::challenge_and_verify).
    pub async fn enroll(&self, params: EnrollParams) -> Result<EnrollResponse> {
        let jwt = self.jwt().await?;
        let body = Body::new()
            .set("factor_type", params.factor_type)
            .opt("friendly_name", params.friendly_name)
            .opt("issuer", params.issuer)
            .opt("phone", params.phone);
        let mut response: EnrollResponse = self
            .auth
            .shared
            .json(Call::post("factors", body.build()).jwt(&jwt))
            .await?;
        // auth-js turns the raw SVG into a data URI.
        if let Some(totp) = &mut response.totp
            && !totp.qr_code.expose().starts_with("data:")
        {
            let data_uri = format!("data:image/svg+xml;utf-8,{}", totp.qr_code.expose());
            totp.qr_code = Secret::from(data_uri);
        }
        Ok(response)
    }

    /// Creates a challenge for a factor (for phone factors this sends the code; the params'
    /// `channel` picks SMS or WhatsApp): `mfa.challenge(&factor.id)`.
    pub async fn challenge(&self, params: impl Into<MfaChallengeParams>) -> Result<Challenge> {
        let params = params.into();
        let jwt = self.jwt().await?;
        let body = Body::new().opt("channel", params.channel.map(Channel::as_str));
        let path = format!("factors/{}/challenge", segment(&params.factor_id));
        self.auth
            .shared
            .json(Call::post(path, body.build()).jwt(&jwt))
            .await
    }

    /// Answers a challenge. On success the session is upgraded (`aal2`) and
    /// `MFA_CHALLENGE_VERIFIED` is emitted.
    pub async fn verify(&self, params: MfaVerifyParams) -> Result<AuthResponse> {
        let jwt = self.jwt().await?;
        let body = Body::new()
            .set("challenge_id", params.challenge_id.as_str())
            .set("code", params.code.expose());
        let path = format!("factors/{}/verify", segment(&params.factor_id));
        let session: Session = self
            .auth
            .shared
            .json(Call::post(path, body.build()).jwt(&jwt))
            .await?;
        let response = AuthResponse::from_session(session);
        self.auth
            .shared
            .signed_in(response, AuthChangeEvent::MfaChallengeVerified)
            .await
    }

    /// [`challenge`](Self::challenge) then [`verify`](Self::verify) with the params' code.
    pub async fn challenge_and_verify(
        &self,
        params: MfaChallengeAndVerifyParams,
    ) -> Result<AuthResponse> {
        let challenge = self.challenge(params.factor_id.as_str()).await?;
        self.verify(MfaVerifyParams {
            factor_id: params.factor_id,
            challenge_id: challenge.id,
            code: params.code,
        })
        .await
    }

    /// Removes a factor: `mfa.unenroll(&factor.id)`.
    pub async fn unenroll(&self, params: impl Into<MfaUnenrollParams>) -> Result<UnenrollResponse> {
        let params = params.into();
        let jwt = self.jwt().await?;
        let path = format!("factors/{}", segment(&params.factor_id));
        self.auth
            .shared
            .json(Call::new(Method::DELETE, path).jwt(&jwt))
            .await
    }

    /// The signed-in user's factors (from `GET /user`).
    pub async fn list_factors(&self) -> Result<Factors> {
        let all = self.auth.get_user().await?.factors.unwrap_or_default();
        let verified = |kind: &str| -> Vec<Factor> {
            all.iter()
                .filter(|f| f.factor_type == kind && f.is_verified())
                .cloned()
                .collect()
        };
        Ok(Factors {
            totp: verified("totp"),
            phone: verified("phone"),
            webauthn: verified("webauthn"),
            all,
        })
    }

    /// The session's assurance level (from its JWT's `aal` claim; `None` without one) and the
    /// level the user can reach (from the session user's verified factors). No request is
    /// sent.
    pub async fn get_authenticator_assurance_level(&self) -> Result<AuthenticatorAssuranceLevels> {
        let Some(session) = self.auth.shared.fresh_session().await? else {
            return Ok(AuthenticatorAssuranceLevels {
                current_level: None,
                next_level: None,
                current_authentication_methods: Vec::new(),
            });
        };
        let payload = claims::decode_unverified(session.access_token.expose())?;
        Ok(levels(&payload, &session.user))
    }

    /// The assurance levels of another access token (auth-js
    /// `getAuthenticatorAssuranceLevel(jwt)`), e.g. one a server received from a browser:
    /// its `aal` claim, and the level its user can reach from the user's verified factors
    /// as the server has them (`GET /user` with that token, which also checks it).
    pub async fn get_authenticator_assurance_level_by_jwt(
        &self,
        jwt: &str,
    ) -> Result<AuthenticatorAssuranceLevels> {
        // Malformed tokens fail here, before the request, as auth-js's `decodeJWT`.
        let payload = claims::decode_unverified(jwt)?;
        let user = self.auth.get_user_by_jwt(jwt).await?;
        Ok(levels(&payload, &user))
    }
}

/// The levels of a token (its `payload`) for `user`: the `aal` claim (a token without one, minted by hand or
/// by a custom access-token hook, has no current level, as in auth-js: not an error), `aal2`
/// next when the user has a verified factor, and the token's `amr`.
fn levels(payload: &serde_json::Map<String, Value>, user: &User) -> AuthenticatorAssuranceLevels {
    let current = payload
        .get("aal")
        .and_then(Value::as_str)
        .and_then(AuthenticatorAssuranceLevel::parse);
    let has_verified = user
        .factors
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(Factor::is_verified);
    let next = if has_verified {
        Some(AuthenticatorAssuranceLevel::Aal2)
    } else {
        current
    };
    let amr = match payload.get("amr") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    AuthenticatorAssuranceLevels {
        current_level: current,
        next_level: next,
        current_authentication_methods: amr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_enrollment_with_gotrues_empty_totp_object_has_no_totp() {
        let body =
            r#"{"id":"f1","type":"phone","friendly_name":"","totp":{},"phone":"15551234567"}"#;
        let enrolled: EnrollResponse = serde_json::from_str(body).unwrap();
        assert_eq!(enrolled.totp, None);
        assert_eq!(enrolled.phone.as_deref(), Some("15551234567"));

        let body = r#"{"id":"f2","type":"totp","totp":{"qr_code":"<svg/>","secret":"ABC","uri":"otpauth://x"}}"#;
        let enrolled: EnrollResponse = serde_json::from_str(body).unwrap();
        let totp = enrolled.totp.expect("totp");
        assert_eq!(totp.secret.expose(), "ABC");
        assert_eq!(totp.uri.expose(), "otpauth://x");
    }
}
