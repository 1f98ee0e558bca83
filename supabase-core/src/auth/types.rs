//! What GoTrue answers: sessions, users, identities, factors (supabase/auth-js
//! `src/lib/types.ts`, supabase/auth-py `supabase_auth/types.py`). Tokens are [`Secret`]s, so
//! none of these types print one in `Debug` output.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::{Secret, redact_query};

/// Serde for [`Secret`] fields (the value itself is written: sessions are stored and sent).
pub(crate) mod secret_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::secret::Secret;

    pub(crate) fn serialize<S: Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.expose())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Secret, D::Error> {
        String::deserialize(de).map(Secret::from)
    }

    /// The same for `Option<Secret>` (absent or `null` is `None`).
    pub(crate) mod option {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            s: &Option<Secret>,
            ser: S,
        ) -> Result<S::Ok, S::Error> {
            match s {
                Some(s) => ser.serialize_some(s.expose()),
                None => ser.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            de: D,
        ) -> Result<Option<Secret>, D::Error> {
            Ok(Option::<String>::deserialize(de)?.map(Secret::from))
        }
    }
}

/// A signed-in session: the access token (a JWT) every service sends, the refresh token that
/// renews it, and the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// The JWT sent as `Authorization: Bearer` to every service.
    #[serde(with = "secret_serde")]
    pub access_token: Secret,
    /// The one-use token that gets a new session.
    #[serde(with = "secret_serde")]
    pub refresh_token: Secret,
    /// Lifetime of the access token, in seconds.
    pub expires_in: i64,
    /// When the access token expires (Unix seconds).
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Always `bearer`.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// The OAuth provider's access token, after an OAuth sign-in.
    #[serde(
        default,
        with = "secret_serde::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub provider_token: Option<Secret>,
    /// The OAuth provider's refresh token, after an OAuth sign-in.
    #[serde(
        default,
        with = "secret_serde::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub provider_refresh_token: Option<Secret>,
    /// The signed-in user.
    pub user: User,
}

fn bearer() -> String {
    "bearer".to_owned()
}

impl Session {
    /// Fills `expires_at` from `expires_in` when the server left it out (auth-js `_sessionResponse`).
    pub(crate) fn with_expiry(mut self) -> Self {
        if self.expires_at.is_none() {
            // Saturating: `expires_in` comes from the server or a stored session (fuzz: i64::MAX).
            self.expires_at = Some(now().saturating_add(self.expires_in));
        }
        self
    }

    /// A session read back from a store: its `expires_at`, else the access token's `exp`
    /// claim, else expired (so it is refreshed before use). `expires_in` says nothing about a
    /// stored session (it counts from when the token was issued), and a session with no
    /// expiry at all was never refreshed. auth-js drops such a session (`_isValidSession`);
    /// its token tells when it expires.
    pub(crate) fn with_stored_expiry(mut self) -> Self {
        if self.expires_at.is_none() {
            let exp = super::claims::decode_unverified(self.access_token.expose())
                .ok()
                .and_then(|claims| claims.get("exp").and_then(serde_json::Value::as_i64));
            self.expires_at = Some(exp.unwrap_or(0));
        }
        self
    }

    /// Seconds until the access token expires (negative once expired).
    pub fn expires_in_secs(&self) -> i64 {
        self.expires_at.unwrap_or(i64::MAX).saturating_sub(now())
    }
}

/// Unix time in seconds.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A user, as GoTrue returns it. Timestamps are RFC 3339 text.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id (a UUID).
    pub id: String,
    /// The audience (`authenticated`).
    #[serde(default)]
    pub aud: String,
    /// The Postgres role the user's requests run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// When the email was confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_confirmed_at: Option<String>,
    /// When the phone was confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_confirmed_at: Option<String>,
    /// When the user was confirmed (email or phone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
    /// When the confirmation message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_sent_at: Option<String>,
    /// When the recovery message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_sent_at: Option<String>,
    /// When the user was invited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invited_at: Option<String>,
    /// An email change waiting for confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_email: Option<String>,
    /// A phone change waiting for confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_phone: Option<String>,
    /// When the email change message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_change_sent_at: Option<String>,
    /// Last sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sign_in_at: Option<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Banned until this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banned_until: Option<String>,
    /// When the user was soft-deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Data only the server (or the service role) sets: `provider`, `providers`, …
    #[serde(default)]
    pub app_metadata: Map<String, Value>,
    /// Data the user sets (`data` at sign-up, `update_user`).
    #[serde(default)]
    pub user_metadata: Map<String, Value>,
    /// Linked identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities: Option<Vec<Identity>>,
    /// MFA factors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factors: Option<Vec<Factor>>,
    /// Whether the user signed in anonymously.
    #[serde(default)]
    pub is_anonymous: bool,
}

/// An identity linked to a user (one per provider account).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Identity {
    /// The identity's row id (what `unlink_identity` deletes).
    #[serde(default)]
    pub identity_id: String,
    /// The provider's id of the user.
    #[serde(default)]
    pub id: String,
    /// The user this identity belongs to.
    #[serde(default)]
    pub user_id: String,
    /// The provider: `email`, `phone`, `github`, …
    #[serde(default)]
    pub provider: String,
    /// What the provider says about the user.
    #[serde(default)]
    pub identity_data: Option<Map<String, Value>>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last sign-in with this identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sign_in_at: Option<String>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// An MFA factor.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Factor {
    /// The factor's id.
    pub id: String,
    /// A name the user chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// `totp` or `phone`.
    pub factor_type: String,
    /// `verified` or `unverified`.
    pub status: String,
    /// The phone number of a phone factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Factor {
    /// Whether the factor was verified (enrollment completed).
    pub fn is_verified(&self) -> bool {
        self.status == "verified"
    }
}

/// What a sign-in, sign-up or verification returns: the user, and the session when the user is
/// signed in (no session while an email or phone confirmation is pending).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct AuthResponse {
    /// The user.
    pub user: Option<User>,
    /// The new session.
    pub session: Option<Session>,
    /// On a password sign-in: the password is right but no longer meets the project's strength
    /// rules (they changed since it was set). The sign-in succeeded; the app may ask the user
    /// to choose a new password (auth-js `data.weakPassword`).
    pub weak_password: Option<WeakPassword>,
}

impl AuthResponse {
    /// The answer of a sign-in: the session and its user.
    pub(crate) fn from_session(session: Session) -> Self {
        AuthResponse {
            user: Some(session.user.clone()),
            session: Some(session),
            weak_password: None,
        }
    }
}

/// Why a password is weak (GoTrue's `WeakPasswordError`: `{message, reasons}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct WeakPassword {
    /// GoTrue's message, e.g. "Password should be at least 12 characters.".
    #[serde(default)]
    pub message: String,
    /// `length`, `characters` or `pwned`.
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// What `sign_in_with_otp` returns: no user or session yet, maybe the SMS message id.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct OtpResponse {
    /// The SMS provider's message id, for phone OTPs.
    #[serde(default)]
    pub message_id: Option<String>,
}

/// The URL to send the user to for an OAuth sign-in (`sign_in_with_oauth`, `link_identity`).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthResponse {
    /// The provider.
    pub provider: String,
    /// GoTrue's authorize URL (`sign_in_with_oauth`), or the provider's (`link_identity`).
    pub url: String,
}

impl fmt::Debug for OAuthResponse {
    // A link's URL is the provider's, with GoTrue's signed `state` naming the user to link to:
    // whoever has it can finish the link with their own account while it is valid. Tokens in
    // the query are redacted, as in every request's `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match self.url.split_once('?') {
            Some((before, query)) => {
                // `state` by name, whatever its shape (GoTrue's is a JWT today).
                let query: Vec<&str> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some(("state", _)) => "state=[redacted]",
                        _ => pair,
                    })
                    .collect();
                format!("{before}?{}", redact_query(&query.join("&")))
            }
            None => self.url.clone(),
        };
        f.debug_struct("OAuthResponse")
            .field("provider", &self.provider)
            .field("url", &url)
            .finish()
    }
}

/// The URL of the identity provider for an SSO sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SsoResponse {
    /// Where to send the user.
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(expires_in: i64, expires_at: Option<i64>) -> Session {
        let mut value = serde_json::json!({
            "access_token": "a", "refresh_token": "r", "expires_in": expires_in,
            "token_type": "bearer", "user": {"id": "u"},
        });
        if let Some(at) = expires_at {
            value["expires_at"] = at.into();
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn extreme_expiries_saturate_instead_of_overflowing() {
        // Found by the `jwt` fuzz target (a stored session with `expires_in: i64::MAX`).
        let s = stored(i64::MAX, None).with_expiry();
        assert_eq!(s.expires_at, Some(i64::MAX));
        assert!(s.expires_in_secs() > 0);
        let s = stored(i64::MIN, None).with_expiry();
        assert!(s.expires_in_secs() < 0);
        let s = stored(3600, Some(i64::MIN)).with_expiry();
        assert_eq!(s.expires_in_secs(), i64::MIN);
        assert_eq!(crate::auth::refresh::wait_secs(&s), 0);
    }
}
