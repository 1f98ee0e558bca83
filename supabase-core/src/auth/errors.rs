//! Auth errors: GoTrue's error bodies, typed, and the client-side failures.
//!
//! GoTrue answers errors in three shapes (supabase/auth `internal/api/errors.go`): with the
//! `X-Supabase-Api-Version: 2024-01-01` header it sends `{"code": "<error code>", "message": …}`;
//! older handlers send `{"code": 400, "error_code": "…", "msg": …}`; the OAuth token endpoint sends
//! `{"error": …, "error_description": …}`. The code is read as supabase/auth-js `src/lib/fetch.ts`
//! (`handleError`) reads it, and 502/503/504 are "retryable fetch" errors as there.

use std::fmt;

use http::{HeaderMap, StatusCode};

/// The API version this client speaks (header `X-Supabase-Api-Version`), as auth-js.
pub(crate) const API_VERSION: &str = "2024-01-01";

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// GoTrue's `error_code`: why the server refused (supabase/auth-js
        /// `src/lib/error-codes.ts`). Codes this client does not know yet are kept in
        /// [`ErrorCode::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A code this version of the client does not know.
            Other(String),
        }

        impl ErrorCode {
            /// The code as GoTrue spells it, e.g. `invalid_credentials`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                    ErrorCode::Other(s) => s,
                }
            }

            /// Parses GoTrue's spelling; unknown codes become [`ErrorCode::Other`].
            pub fn parse(code: &str) -> Self {
                match code {
                    $($text => ErrorCode::$variant,)*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    /// Anonymous sign-ins are disabled.
    AnonymousProviderDisabled = "anonymous_provider_disabled",
    /// The PKCE code verifier does not match the challenge.
    BadCodeVerifier = "bad_code_verifier",
    /// The request body is not valid JSON.
    BadJson = "bad_json",
    /// The JWT in the `Authorization` header is not valid.
    BadJwt = "bad_jwt",
    /// The OAuth callback lacks attributes.
    BadOauthCallback = "bad_oauth_callback",
    /// The OAuth state is malformed.
    BadOauthState = "bad_oauth_state",
    /// The captcha could not be verified.
    CaptchaFailed = "captcha_failed",
    /// A concurrent modification conflict.
    Conflict = "conflict",
    /// Emails cannot be sent to this address.
    EmailAddressNotAuthorized = "email_address_not_authorized",
    /// Unlinking would move the account to an email used by another user.
    EmailConflictIdentityNotDeletable = "email_conflict_identity_not_deletable",
    /// The email address is already registered.
    EmailExists = "email_exists",
    /// The email address is not confirmed.
    EmailNotConfirmed = "email_not_confirmed",
    /// Email sign-ups are disabled.
    EmailProviderDisabled = "email_provider_disabled",
    /// The PKCE flow state expired.
    FlowStateExpired = "flow_state_expired",
    /// The PKCE flow state does not exist.
    FlowStateNotFound = "flow_state_not_found",
    /// A hook payload is too large.
    HookPayloadOverSizeLimit = "hook_payload_over_size_limit",
    /// A hook timed out.
    HookTimeout = "hook_timeout",
    /// A hook timed out after retries.
    HookTimeoutAfterRetry = "hook_timeout_after_retry",
    /// The identity is already linked to a user.
    IdentityAlreadyExists = "identity_already_exists",
    /// The identity does not exist.
    IdentityNotFound = "identity_not_found",
    /// The session's assurance level is too low (solve an MFA challenge).
    InsufficientAal = "insufficient_aal",
    /// The invite expired or was used.
    InviteNotFound = "invite_not_found",
    /// Wrong login credentials or unknown grant.
    InvalidCredentials = "invalid_credentials",
    /// Manual identity linking is disabled.
    ManualLinkingDisabled = "manual_linking_disabled",
    /// The MFA challenge expired.
    MfaChallengeExpired = "mfa_challenge_expired",
    /// Another factor of this user has the same friendly name.
    MfaFactorNameConflict = "mfa_factor_name_conflict",
    /// The MFA factor does not exist.
    MfaFactorNotFound = "mfa_factor_not_found",
    /// Enrollment must start and end from the same IP address.
    MfaIpAddressMismatch = "mfa_ip_address_mismatch",
    /// Wrong MFA code.
    MfaVerificationFailed = "mfa_verification_failed",
    /// MFA verification rejected by a hook.
    MfaVerificationRejected = "mfa_verification_rejected",
    /// A verified phone factor already exists.
    MfaVerifiedFactorExists = "mfa_verified_factor_exists",
    /// TOTP enrollment is disabled.
    MfaTotpEnrollDisabled = "mfa_totp_enroll_disabled",
    /// TOTP verification is disabled.
    MfaTotpVerifyDisabled = "mfa_totp_verify_disabled",
    /// Phone factor enrollment is disabled.
    MfaPhoneEnrollDisabled = "mfa_phone_enroll_disabled",
    /// Phone factor verification is disabled.
    MfaPhoneVerifyDisabled = "mfa_phone_verify_disabled",
    /// The request needs an `Authorization` header.
    NoAuthorization = "no_authorization",
    /// The caller is not an admin (service_role).
    NotAdmin = "not_admin",
    /// The OAuth provider is not supported.
    OauthProviderNotSupported = "oauth_provider_not_supported",
    /// OTP sign-in is disabled.
    OtpDisabled = "otp_disabled",
    /// The OTP expired or is invalid.
    OtpExpired = "otp_expired",
    /// Too many emails sent.
    OverEmailSendRateLimit = "over_email_send_rate_limit",
    /// Too many requests from this client.
    OverRequestRateLimit = "over_request_rate_limit",
    /// Too many SMS sent.
    OverSmsSendRateLimit = "over_sms_send_rate_limit",
    /// The phone number is already registered.
    PhoneExists = "phone_exists",
    /// The phone number is not confirmed.
    PhoneNotConfirmed = "phone_not_confirmed",
    /// Phone sign-ups are disabled.
    PhoneProviderDisabled = "phone_provider_disabled",
    /// The OAuth provider is disabled.
    ProviderDisabled = "provider_disabled",
    /// The provider's email needs verification.
    ProviderEmailNeedsVerification = "provider_email_needs_verification",
    /// Changing the password needs a reauthentication nonce.
    ReauthenticationNeeded = "reauthentication_needed",
    /// The reauthentication nonce is wrong.
    ReauthenticationNotValid = "reauthentication_not_valid",
    /// The refresh token was already used (and is outside the reuse interval).
    RefreshTokenAlreadyUsed = "refresh_token_already_used",
    /// The refresh token does not exist.
    RefreshTokenNotFound = "refresh_token_not_found",
    /// The request took too long.
    RequestTimeout = "request_timeout",
    /// The new password equals the old one.
    SamePassword = "same_password",
    /// The SAML assertion has no email.
    SamlAssertionNoEmail = "saml_assertion_no_email",
    /// The SAML assertion has no user id.
    SamlAssertionNoUserId = "saml_assertion_no_user_id",
    /// SAML entity id mismatch.
    SamlEntityIdMismatch = "saml_entity_id_mismatch",
    /// The SAML identity provider already exists.
    SamlIdpAlreadyExists = "saml_idp_already_exists",
    /// The SAML identity provider does not exist.
    SamlIdpNotFound = "saml_idp_not_found",
    /// SAML metadata could not be fetched.
    SamlMetadataFetchFailed = "saml_metadata_fetch_failed",
    /// SAML SSO is disabled.
    SamlProviderDisabled = "saml_provider_disabled",
    /// The SAML relay state expired.
    SamlRelayStateExpired = "saml_relay_state_expired",
    /// The SAML relay state does not exist.
    SamlRelayStateNotFound = "saml_relay_state_not_found",
    /// The session does not exist (signed out or deleted).
    SessionNotFound = "session_not_found",
    /// The session expired.
    SessionExpired = "session_expired",
    /// Sign-ups are disabled.
    SignupDisabled = "signup_disabled",
    /// The user's only identity cannot be unlinked.
    SingleIdentityNotDeletable = "single_identity_not_deletable",
    /// Sending an SMS failed.
    SmsSendFailed = "sms_send_failed",
    /// The SSO domain already exists.
    SsoDomainAlreadyExists = "sso_domain_already_exists",
    /// The SSO provider does not exist.
    SsoProviderNotFound = "sso_provider_not_found",
    /// Too many MFA factors enrolled.
    TooManyEnrolledMfaFactors = "too_many_enrolled_mfa_factors",
    /// The JWT audience is unexpected.
    UnexpectedAudience = "unexpected_audience",
    /// The server failed without a specific reason.
    UnexpectedFailure = "unexpected_failure",
    /// The user already exists.
    UserAlreadyExists = "user_already_exists",
    /// The user is banned.
    UserBanned = "user_banned",
    /// The user does not exist.
    UserNotFound = "user_not_found",
    /// The user is managed by SSO.
    UserSsoManaged = "user_sso_managed",
    /// The parameters are not in the expected format.
    ValidationFailed = "validation_failed",
    /// The password does not meet the strength criteria (see [`AuthError::weak_password_reasons`]).
    WeakPassword = "weak_password",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An auth failure: an error answered by GoTrue, or a client-side one (no session, a PKCE verifier
/// missing, a JWT that does not verify).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// GoTrue answered with an error.
    #[error("{message} (HTTP {status}{})", code.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: StatusCode,
        /// GoTrue's error code, when it sent one.
        code: Option<ErrorCode>,
        /// Human-readable message.
        message: String,
        /// For [`ErrorCode::WeakPassword`]: why the password is weak (`length`, `characters`,
        /// `pwned`).
        reasons: Vec<String>,
    },
    /// A gateway in front of GoTrue answered 502, 503 or 504, or Cloudflare one of its own
    /// 520–530 (origin unreachable, timed out…): no answer from GoTrue, and the request may be
    /// retried. auth-js 2.108 counts 500 and 501 here too, and so loses GoTrue's own message
    /// and code for them; here they stay [`AuthError::Api`].
    #[error("the auth server is unavailable (HTTP {0})")]
    RetryableFetch(StatusCode),
    /// The call needs a signed-in user and there is no session.
    #[error("auth session missing")]
    SessionMissing,
    /// `exchange_code_for_session` found no PKCE code verifier in the session store.
    #[error("PKCE code verifier not found in the session store")]
    PkceVerifierMissing,
    /// A JWT is malformed, expired, or its signature does not verify.
    #[error("invalid JWT: {0}")]
    InvalidJwt(String),
    /// The project's JWKS could not be fetched, or its key for the token is unusable (a token
    /// whose key it does not hold is checked by the server instead).
    #[error("JWKS: {0}")]
    Jwks(String),
    /// The session store failed.
    #[error("session store: {0}")]
    Store(String),
    /// The arguments cannot make a valid request.
    #[error("invalid auth parameters: {0}")]
    InvalidParams(String),
    /// A redirect URL of the implicit flow given to
    /// [`initialize_from_url`](crate::auth::Auth::initialize_from_url) carries an error (GoTrue's
    /// `error_description`, `error` and `error_code`), or lacks part of the session (auth-js /
    /// auth-py `AuthImplicitGrantRedirectError`).
    #[error("{message}")]
    ImplicitGrantRedirect {
        /// `error_description`, or what is missing from the URL.
        message: String,
        /// The OAuth `error` (e.g. `access_denied`, `invalid_request`), when the URL had one.
        error: Option<String>,
        /// GoTrue's `error_code`, when the URL had one (a provider's own error has none).
        code: Option<ErrorCode>,
    },
}

impl AuthError {
    /// GoTrue's error code, if the server sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            AuthError::Api { code, .. } | AuthError::ImplicitGrantRedirect { code, .. } => {
                code.as_ref()
            }
            _ => None,
        }
    }

    /// The HTTP status of the answer, for server errors.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            AuthError::Api { status, .. } | AuthError::RetryableFetch(status) => Some(*status),
            _ => None,
        }
    }

    /// Whether the call failed for want of a session: none here ([`AuthError::SessionMissing`])
    /// or one the server no longer knows (`session_not_found`: signed out elsewhere, or the
    /// user deleted), which auth-js reports as the same `AuthSessionMissingError`. Here the
    /// server's answer keeps its status and message, and this one test covers both.
    pub fn is_session_missing(&self) -> bool {
        matches!(self, AuthError::SessionMissing)
            || self.code() == Some(&ErrorCode::SessionNotFound)
    }

    /// For a weak password: the reasons GoTrue gave.
    pub fn weak_password_reasons(&self) -> &[String] {
        match self {
            AuthError::Api { reasons, .. } => reasons,
            _ => &[],
        }
    }

    /// Builds the error from a non-success GoTrue answer.
    pub(crate) fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        if matches!(status.as_u16(), 502..=504 | 520..=530) {
            return AuthError::RetryableFetch(status);
        }
        let Ok(data) = serde_json::from_slice::<serde_json::Value>(body) else {
            return AuthError::Api {
                status,
                code: None,
                message: String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
                reasons: Vec::new(),
            };
        };
        let versioned = headers
            .get("x-supabase-api-version")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v >= API_VERSION);
        let text = |key: &str| data.get(key).and_then(|v| v.as_str());
        let code = match text("code") {
            Some(code) if versioned => Some(code),
            _ => text("error_code"),
        }
        .map(ErrorCode::parse);
        let message = ["msg", "message", "error_description", "error"]
            .iter()
            .find_map(|k| text(k))
            .map_or_else(|| data.to_string(), str::to_owned);
        let reasons: Vec<String> = data
            .pointer("/weak_password/reasons")
            .and_then(|r| r.as_array())
            .map(|r| {
                r.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let code = match code {
            None if !reasons.is_empty() => Some(ErrorCode::WeakPassword),
            code => code,
        };
        AuthError::Api {
            status,
            code,
            message,
            reasons,
        }
    }

    /// Whether the session behind this error is gone for good (the refresh token is invalid),
    /// as opposed to a transient failure worth retrying. A 429 (GoTrue rate-limits `/token`)
    /// and a 408 are transient: the server never looked at the token. auth-js signs out on
    /// them too, an open bug (supabase/supabase-js#2145).
    pub(crate) fn is_fatal_for_session(&self) -> bool {
        match self {
            AuthError::Api { status, .. } => {
                status.is_client_error()
                    && *status != StatusCode::TOO_MANY_REQUESTS
                    && *status != StatusCode::REQUEST_TIMEOUT
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versioned() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-supabase-api-version", "2024-01-01".parse().unwrap());
        h
    }

    #[test]
    fn versioned_bodies_carry_the_code_in_code() {
        let e = AuthError::from_response(
            StatusCode::BAD_REQUEST,
            &versioned(),
            br#"{"code":"invalid_credentials","message":"Invalid login credentials"}"#,
        );
        assert_eq!(e.code(), Some(&ErrorCode::InvalidCredentials));
        assert_eq!(e.status(), Some(StatusCode::BAD_REQUEST));
        assert!(e.to_string().contains("Invalid login credentials"));
    }

    #[test]
    fn legacy_bodies_carry_error_code() {
        let e = AuthError::from_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &HeaderMap::new(),
            br#"{"code":422,"error_code":"weak_password","msg":"Password is weak","weak_password":{"reasons":["length"]}}"#,
        );
        assert_eq!(e.code(), Some(&ErrorCode::WeakPassword));
        assert_eq!(e.weak_password_reasons(), ["length"]);
        let e = AuthError::from_response(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"error":"invalid_grant","error_description":"Invalid Refresh Token"}"#,
        );
        assert_eq!(e.code(), None);
        assert!(e.to_string().contains("Invalid Refresh Token"));
    }

    #[test]
    fn unknown_codes_are_kept_and_gateways_are_retryable() {
        let e = AuthError::from_response(
            StatusCode::BAD_REQUEST,
            &versioned(),
            br#"{"code":"brand_new_code","message":"x"}"#,
        );
        assert_eq!(e.code(), Some(&ErrorCode::Other("brand_new_code".into())));
        let e = AuthError::from_response(StatusCode::BAD_GATEWAY, &versioned(), b"<html>");
        assert_eq!(e, AuthError::RetryableFetch(StatusCode::BAD_GATEWAY));
        let e = AuthError::from_response(StatusCode::BAD_REQUEST, &versioned(), b"<html>oops");
        assert!(matches!(e, AuthError::Api { code: None, .. }));
    }

    #[test]
    fn cloudflare_origin_errors_are_retryable_and_gotrues_own_500_keeps_its_message() {
        for status in [520, 522, 524, 530] {
            let status = StatusCode::from_u16(status).unwrap();
            let e = AuthError::from_response(status, &versioned(), b"error code: 522");
            assert_eq!(e, AuthError::RetryableFetch(status));
        }
        let e = AuthError::from_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &versioned(),
            br#"{"code":"unexpected_failure","msg":"Error sending email change email"}"#,
        );
        assert_eq!(e.code(), Some(&ErrorCode::UnexpectedFailure));
        assert!(e.to_string().contains("Error sending email change email"));
        assert!(!e.is_fatal_for_session());
    }
}
