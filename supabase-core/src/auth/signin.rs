//! Sign-up and every way to sign in (auth-js `GoTrueClient.ts`: `signUp`, `signInWithPassword`,
//! `signInAnonymously`, `signInWithIdToken`, `signInWithOtp`, `signInWithOAuth`,
//! `signInWithSSO`, `exchangeCodeForSession`, `verifyOtp`).

use http::Method;
use serde::Deserialize;
use url::Url;

use super::api::{Body, Call, decode};
use super::errors::AuthError;
use super::events::AuthChangeEvent;
use super::params::{
    CodeExchangeParams, Contact, OtpType, ResendCredentials, ResetPasswordOptions,
    SignInAnonymouslyCredentials, SignInWithIdTokenCredentials, SignInWithOAuthCredentials,
    SignInWithOtpCredentials, SignInWithPasswordCredentials, SignInWithSsoCredentials,
    SignUpCredentials, VerifyOtpParams,
};
use super::pkce::{self, FlowType, RECOVERY_MARK, VERIFIER_SUFFIX};
use super::types::{
    AuthResponse, OAuthResponse, OtpResponse, Session, SsoResponse, User, WeakPassword,
};
use super::{Auth, AuthShared};
use crate::error::Result;

/// The body of `POST /token?grant_type=id_token` (`IdTokenGrantParams`), for a sign-in and for
/// a link.
pub(crate) fn id_token_body(credentials: &SignInWithIdTokenCredentials) -> Body {
    Body::new()
        .set("provider", credentials.provider.as_str())
        .set("id_token", credentials.token.expose())
        .secret("access_token", credentials.access_token.as_ref())
        .secret("nonce", credentials.nonce.as_ref())
        .captcha(credentials.common.captcha_token.as_ref())
}

/// GoTrue answers a session (signed in) or a bare user (confirmation pending); auth-js
/// `_sessionResponse` tells them apart by `access_token`, `refresh_token` and `expires_in`.
pub(crate) fn session_response(status: http::StatusCode, body: &[u8]) -> Result<AuthResponse> {
    let value: serde_json::Value = decode(status, body)?;
    let has = |k: &str| value.get(k).is_some_and(|v| !v.is_null());
    if has("access_token") && has("refresh_token") && has("expires_in") {
        let session: Session = decode(status, body)?;
        // A malformed warning must not fail a sign-in that succeeded: it is dropped.
        let weak_password = value
            .get("weak_password")
            .and_then(|w| WeakPassword::deserialize(w).ok());
        return Ok(AuthResponse {
            weak_password,
            ..AuthResponse::from_session(session.with_expiry())
        });
    }
    #[derive(Deserialize)]
    struct Wrapped {
        user: User,
    }
    let user = if value.get("user").is_some_and(serde_json::Value::is_object) {
        Some(decode::<Wrapped>(status, body)?.user)
    } else if has("id") {
        Some(decode::<User>(status, body)?)
    } else {
        // Neither a session nor a user: e.g. the first of the two confirmations of a secure
        // email change (`{"msg": "Confirmation link accepted. ...", "code": 200}`).
        None
    };
    Ok(AuthResponse {
        user,
        ..AuthResponse::default()
    })
}

impl AuthShared {
    /// Sends a call answered by a session or a user.
    pub(crate) async fn auth_call(&self, call: Call) -> Result<AuthResponse> {
        let raw = self.send(call).await?;
        session_response(raw.status, &raw.body)
    }

    /// For the PKCE flow: a new verifier stored for the later exchange, and the
    /// `code_challenge` / `code_challenge_method` body fields.
    pub(crate) async fn pkce_fields(&self, body: Body, recovery: bool) -> Result<Body> {
        if self.flow_type != FlowType::Pkce {
            return Ok(body);
        }
        let verifier = pkce::verifier()?;
        let challenge = pkce::challenge(&verifier);
        let stored = if recovery {
            format!("{verifier}{RECOVERY_MARK}")
        } else {
            verifier
        };
        self.store
            .set_item(&format!("{}{VERIFIER_SUFFIX}", self.storage_key), stored)
            .await?;
        Ok(body
            .set("code_challenge", challenge)
            .set("code_challenge_method", "s256"))
    }

    /// The authorize URL for an OAuth provider (auth-js `_getUrlForProvider`).
    pub(crate) async fn provider_url(
        &self,
        path: &str,
        creds: &SignInWithOAuthCredentials,
        skip_http_redirect: bool,
    ) -> Result<Url> {
        self.own_auth()?;
        let mut url = self
            .base
            .join(path)
            .map_err(|e| crate::Error::config(e.to_string()))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("provider", &creds.provider);
            if let Some(r) = &creds.common.redirect_to {
                q.append_pair("redirect_to", r);
            }
            if let Some(s) = &creds.scopes {
                q.append_pair("scopes", s);
            }
        }
        let pkce = self.pkce_fields(Body::new(), false).await?.build();
        {
            let mut q = url.query_pairs_mut();
            for key in ["code_challenge", "code_challenge_method"] {
                if let Some(v) = pkce.get(key).and_then(|v| v.as_str()) {
                    q.append_pair(key, v);
                }
            }
            q.extend_pairs(&creds.query_params);
            if skip_http_redirect {
                q.append_pair("skip_http_redirect", "true");
            }
        }
        Ok(url)
    }
}

fn contact(body: Body, contact: &Contact) -> Body {
    match contact {
        Contact::Email(e) => body.set("email", e.as_str()),
        Contact::Phone(p) => body.set("phone", p.as_str()),
    }
}

impl Auth {
    /// Creates a user with an email or phone and a password. Returns the session when the
    /// project does not require confirmation, else only the user (a confirmation email or SMS
    /// was sent). Emits `SIGNED_IN` when signed in.
    pub async fn sign_up(&self, credentials: SignUpCredentials) -> Result<AuthResponse> {
        let c = &credentials.common;
        let mut body = contact(Body::new(), &credentials.contact)
            .set("password", credentials.password.expose())
            .set(
                "data",
                serde_json::Value::Object(c.data.clone().unwrap_or_default()),
            )
            .captcha(c.captcha_token.as_ref());
        let mut call_redirect = None;
        match &credentials.contact {
            Contact::Email(_) => {
                body = self.shared.pkce_fields(body, false).await?;
                call_redirect = c.redirect_to.as_ref();
            }
            Contact::Phone(_) => body = body.set("channel", c.channel.as_str()),
        }
        let call = Call::post("signup", body.build()).redirect_to(call_redirect);
        let response = self.shared.auth_call(call).await?;
        self.shared
            .signed_in(response, AuthChangeEvent::SignedIn)
            .await
    }

    /// Signs in with an email or phone and a password. Emits `SIGNED_IN`.
    pub async fn sign_in_with_password(
        &self,
        credentials: SignInWithPasswordCredentials,
    ) -> Result<AuthResponse> {
        let body = contact(Body::new(), &credentials.contact)
            .set("password", credentials.password.expose())
            .captcha(credentials.common.captcha_token.as_ref());
        let call = Call::post("token", body.build()).query("grant_type", "password");
        let response = self.shared.auth_call(call).await?;
        if response.session.is_none() {
            return Err(AuthError::SessionMissing.into());
        }
        self.shared
            .signed_in(response, AuthChangeEvent::SignedIn)
            .await
    }

    /// Creates an anonymous user and signs it in. Emits `SIGNED_IN`.
    pub async fn sign_in_anonymously(
        &self,
        credentials: SignInAnonymouslyCredentials,
    ) -> Result<AuthResponse> {
        let c = &credentials.common;
        let body = Body::new()
            .set(
                "data",
                serde_json::Value::Object(c.data.clone().unwrap_or_default()),
            )
            .captcha(c.captcha_token.as_ref());
        let response = self
            .shared
            .auth_call(Call::post("signup", body.build()))
            .await?;
        self.shared
            .signed_in(response, AuthChangeEvent::SignedIn)
            .await
    }

    /// Signs in with an OIDC ID token from a provider. Emits `SIGNED_IN`.
    pub async fn sign_in_with_id_token(
        &self,
        credentials: SignInWithIdTokenCredentials,
    ) -> Result<AuthResponse> {
        let call = Call::post("token", id_token_body(&credentials).build())
            .query("grant_type", "id_token");
        let response = self.shared.auth_call(call).await?;
        self.shared
            .signed_in(response, AuthChangeEvent::SignedIn)
            .await
    }

    /// Sends a magic link / code to an email, or a code by SMS or WhatsApp. Finish with
    /// [`verify_otp`](Self::verify_otp) (or the link).
    pub async fn sign_in_with_otp(
        &self,
        credentials: SignInWithOtpCredentials,
    ) -> Result<OtpResponse> {
        let c = &credentials.common;
        let mut body = contact(Body::new(), &credentials.contact)
            .set(
                "data",
                serde_json::Value::Object(c.data.clone().unwrap_or_default()),
            )
            .set("create_user", credentials.should_create_user)
            .captcha(c.captcha_token.as_ref());
        let mut redirect = None;
        match &credentials.contact {
            Contact::Email(_) => {
                body = self.shared.pkce_fields(body, false).await?;
                redirect = c.redirect_to.as_ref();
            }
            Contact::Phone(_) => body = body.set("channel", c.channel.as_str()),
        }
        let call = Call::post("otp", body.build()).redirect_to(redirect);
        self.shared.json(call).await
    }

    /// The URL to send the user to for an OAuth sign-in with `provider` (with a PKCE challenge
    /// in the PKCE flow). Nothing is sent to the server.
    pub async fn sign_in_with_oauth(
        &self,
        credentials: SignInWithOAuthCredentials,
    ) -> Result<OAuthResponse> {
        let url = self
            .shared
            .provider_url("authorize", &credentials, false)
            .await?;
        Ok(OAuthResponse {
            provider: credentials.provider,
            url: url.into(),
        })
    }

    /// Starts an enterprise SSO (SAML) sign-in; returns the identity provider's URL.
    pub async fn sign_in_with_sso(
        &self,
        credentials: SignInWithSsoCredentials,
    ) -> Result<SsoResponse> {
        let c = &credentials.common;
        let body = Body::new()
            .opt("domain", credentials.domain.clone())
            .opt("provider_id", credentials.provider_id.clone())
            .opt("redirect_to", c.redirect_to.clone())
            .set("skip_http_redirect", true)
            .captcha(c.captcha_token.as_ref());
        let body = self.shared.pkce_fields(body, false).await?;
        self.shared.json(Call::post("sso", body.build())).await
    }

    /// Trades the `code` of a PKCE redirect for a session, with the verifier stored when the
    /// flow started: the code alone, or [`CodeExchangeParams`] (the reference's dict, with an
    /// explicit verifier or a `redirect_to`; see
    /// [`exchange_code_for_session_with`](Self::exchange_code_for_session_with)). Emits
    /// `SIGNED_IN` (or `PASSWORD_RECOVERY` for a recovery flow).
    pub async fn exchange_code_for_session(
        &self,
        params: impl Into<CodeExchangeParams>,
    ) -> Result<AuthResponse> {
        self.exchange_code_for_session_with(params.into()).await
    }

    /// [`exchange_code_for_session`](Self::exchange_code_for_session) with auth-py's
    /// `CodeExchangeParams`: an explicit code verifier (none need be stored then, so a client
    /// other than the one that started the flow can finish it) and a `redirect_to`.
    ///
    /// As auth-py's `exchange_code_for_session`, a verifier stored by this client is removed
    /// after an exchange the server accepted, even when an explicit one was used: a code is
    /// exchanged once, and the stored verifier belonged to the flow just finished. After a
    /// failure (a timeout, a 503) it stays, for another try, as in auth-js and auth-py.
    pub async fn exchange_code_for_session_with(
        &self,
        params: CodeExchangeParams,
    ) -> Result<AuthResponse> {
        let key = format!("{}{VERIFIER_SUFFIX}", self.shared.storage_key);
        let stored = match params.code_verifier {
            Some(v) => v.expose().to_owned(),
            None => self
                .shared
                .store
                .get_item(&key)
                .await?
                .ok_or(AuthError::PkceVerifierMissing)?,
        };
        let (verifier, recovery) = pkce::split_stored(&stored);
        let body = Body::new()
            .set("auth_code", params.auth_code.expose())
            .set("code_verifier", verifier);
        let call = Call::post("token", body.build())
            .query("grant_type", "pkce")
            .redirect_to(params.redirect_to.as_ref());
        let response = self.shared.auth_call(call).await?;
        self.shared.store.remove_item(&key).await?;
        let event = if recovery {
            AuthChangeEvent::PasswordRecovery
        } else {
            AuthChangeEvent::SignedIn
        };
        self.shared.signed_in(response, event).await
    }

    /// Verifies an OTP (a code, or the token hash of a link). Emits `SIGNED_IN`, or
    /// `PASSWORD_RECOVERY` for a recovery.
    pub async fn verify_otp(&self, params: VerifyOtpParams) -> Result<AuthResponse> {
        let mut body = Body::new().set("type", params.kind.as_str());
        if let Some(c) = &params.contact {
            body = contact(body, c);
        }
        let body = body
            .secret("token", params.token.as_ref())
            .secret("token_hash", params.token_hash.as_ref())
            .captcha(params.common.captcha_token.as_ref());
        let call =
            Call::post("verify", body.build()).redirect_to(params.common.redirect_to.as_ref());
        let response = self.shared.auth_call(call).await?;
        let event = if params.kind == OtpType::Recovery {
            AuthChangeEvent::PasswordRecovery
        } else {
            AuthChangeEvent::SignedIn
        };
        self.shared.signed_in(response, event).await
    }

    /// Sends a password-recovery email. In the PKCE flow the link's code is exchanged with
    /// [`exchange_code_for_session`](Self::exchange_code_for_session), which emits
    /// `PASSWORD_RECOVERY`.
    pub async fn reset_password_for_email(
        &self,
        email: &str,
        options: ResetPasswordOptions,
    ) -> Result<()> {
        let c = &options.common;
        let body = Body::new()
            .set("email", email)
            .captcha(c.captcha_token.as_ref());
        let body = self.shared.pkce_fields(body, true).await?;
        let call = Call::post("recover", body.build()).redirect_to(c.redirect_to.as_ref());
        self.shared.send(call).await.map(drop)
    }

    /// Resends a sign-up confirmation, an email/phone-change message or an SMS code.
    pub async fn resend(&self, credentials: ResendCredentials) -> Result<OtpResponse> {
        let c = &credentials.common;
        let body = contact(Body::new(), &credentials.contact)
            .set("type", credentials.kind.as_str())
            .captcha(c.captcha_token.as_ref());
        let redirect = match credentials.contact {
            Contact::Email(_) => c.redirect_to.as_ref(),
            Contact::Phone(_) => None,
        };
        let call = Call::post("resend", body.build()).redirect_to(redirect);
        self.shared.json(call).await
    }

    /// Sends a reauthentication nonce to the signed-in user (for `update_user` with a new
    /// password when the project requires it).
    pub async fn reauthenticate(&self) -> Result<()> {
        let jwt = self.shared.access_token().await?;
        // It sends a new code and voids the last one: a retry could void the one received.
        let call = Call::new(Method::GET, "reauthenticate").jwt(&jwt).once();
        self.shared.send(call).await.map(drop)
    }
}
