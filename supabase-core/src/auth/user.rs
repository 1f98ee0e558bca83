//! The signed-in user: `get_user`, `update_user`, identities, `sign_out` (auth-js `getUser`,
//! `updateUser`, `getUserIdentities`, `linkIdentity`, `unlinkIdentity`, `signOut`).

use http::{Method, StatusCode};
use serde::Deserialize;

use super::api::{Body, Call, segment};
use super::errors::{AuthError, ErrorCode};
use super::events::AuthChangeEvent;
use super::params::{
    SignInWithIdTokenCredentials, SignInWithOAuthCredentials, SignOutScope, UserAttributes,
};
use super::signin::id_token_body;
use super::types::{AuthResponse, Identity, OAuthResponse, User};
use super::{Auth, AuthShared};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// `GET /user` answers the user, some versions wrapped in `{user}` (auth-js `_userResponse`).
#[derive(Deserialize)]
#[serde(untagged)]
enum UserBody {
    Wrapped { user: Box<User> },
    Plain(Box<User>),
}

impl UserBody {
    fn into_user(self) -> User {
        match self {
            UserBody::Wrapped { user } | UserBody::Plain(user) => *user,
        }
    }
}

impl AuthShared {
    /// The user a JWT belongs to, checked by the server.
    pub(crate) async fn user_for(&self, jwt: &Secret) -> Result<User> {
        let body: UserBody = self.json(Call::get("user").jwt(jwt)).await?;
        Ok(body.into_user())
    }
}

impl Auth {
    /// The signed-in user, fetched from the server (so a revoked session fails here).
    ///
    /// When the server no longer knows the token's session (`session_not_found`: signed out
    /// elsewhere, the user deleted), the local session is removed and `SIGNED_OUT` emitted, as
    /// auth-js `getUser` does (unless another session replaced it meanwhile); the error is
    /// still returned.
    ///
    /// Without a session, a global `Authorization` header
    /// ([`ClientOptions::header`](crate::ClientOptions::header)) is the token asked about, as
    /// supabase-js's `hasCustomAuthorizationHeader`: a server that forwards its caller's token
    /// learns who the caller is. Otherwise [`AuthError::SessionMissing`].
    pub async fn get_user(&self) -> Result<User> {
        let jwt = match self.shared.access_token().await {
            Ok(jwt) => jwt,
            Err(Error::Auth(AuthError::SessionMissing)) if self.shared.custom_authorization => {
                let body: UserBody = self.shared.json(Call::get("user")).await?;
                return Ok(body.into_user());
            }
            Err(e) => return Err(e),
        };
        let result = self.shared.user_for(&jwt).await;
        if let Err(Error::Auth(e)) = &result
            && e.code() == Some(&ErrorCode::SessionNotFound)
        {
            let locked = self.shared.lock().await;
            if self.shared.current().is_some_and(|s| s.access_token == jwt) {
                self.shared.remove_session(&locked).await?;
            }
        }
        result
    }

    /// The user an access token belongs to (`get_user(jwt)`), without touching the session.
    pub async fn get_user_by_jwt(&self, jwt: &str) -> Result<User> {
        self.shared.user_for(&Secret::new(jwt)).await
    }

    /// Updates the signed-in user. Emits `USER_UPDATED`.
    ///
    /// Holds the session lock throughout, as auth-js does: a refresh or a sign-out waits for
    /// it, so neither is undone when the updated user is saved into the session.
    pub async fn update_user(&self, attributes: UserAttributes) -> Result<User> {
        let (locked, session) = self.shared.locked_session().await?;
        let mut body = Body::new()
            .opt("email", attributes.email.clone())
            .opt("phone", attributes.phone.clone())
            .secret("password", attributes.password.as_ref())
            .secret("nonce", attributes.nonce.as_ref())
            .opt(
                "data",
                attributes.data.clone().map(serde_json::Value::Object),
            );
        if attributes.email.is_some() {
            body = self.shared.pkce_fields(body, false).await?;
        }
        let call = Call::new(Method::PUT, "user")
            .body(body.build())
            .jwt(&session.access_token)
            .redirect_to(attributes.email_redirect_to.as_ref());
        let user: UserBody = self.shared.json(call).await?;
        let user = user.into_user();
        let mut updated = session;
        updated.user = user.clone();
        self.shared.save_session(&locked, updated).await?;
        self.shared
            .emit(AuthChangeEvent::UserUpdated, self.shared.current().as_ref());
        Ok(user)
    }

    /// The identities linked to the signed-in user.
    pub async fn get_user_identities(&self) -> Result<Vec<Identity>> {
        Ok(self.get_user().await?.identities.unwrap_or_default())
    }

    /// The URL that links an OAuth identity to the signed-in user (the user visits it).
    pub async fn link_identity(
        &self,
        credentials: SignInWithOAuthCredentials,
    ) -> Result<OAuthResponse> {
        let jwt = self.shared.access_token().await?;
        let url = self
            .shared
            .provider_url("user/identities/authorize", &credentials, true)
            .await?;
        let path = url.path().trim_start_matches(self.shared.base.path());
        let mut call = Call::get(path.to_owned()).jwt(&jwt);
        call.query = url.query_pairs().into_owned().collect();
        #[derive(Deserialize)]
        struct UrlBody {
            url: String,
        }
        let body: UrlBody = self.shared.json(call).await?;
        Ok(OAuthResponse {
            provider: credentials.provider,
            url: body.url,
        })
    }

    /// Links the identity of a provider's OIDC ID token (as for
    /// [`sign_in_with_id_token`](Self::sign_in_with_id_token)) to the signed-in user, without a
    /// redirect: auth-js `linkIdentity({ provider, token })`, `POST /token?grant_type=id_token`
    /// with `link_identity` and the user's token. The server answers with a new session for
    /// the user, which replaces this one; emits `USER_UPDATED`. An identity already linked, to
    /// this user or another, is refused (`identity_already_exists`).
    pub async fn link_identity_with_id_token(
        &self,
        credentials: SignInWithIdTokenCredentials,
    ) -> Result<AuthResponse> {
        // Under the session lock throughout, as `update_user`: a sign-out or another sign-in
        // meanwhile must not be undone by saving the link's session.
        let (locked, session) = self.shared.locked_session().await?;
        let body = id_token_body(&credentials).set("link_identity", true);
        let call = Call::post("token", body.build())
            .query("grant_type", "id_token")
            .jwt(&session.access_token);
        let response = self.shared.auth_call(call).await?;
        let Some(linked) = &response.session else {
            return Err(AuthError::SessionMissing.into());
        };
        self.shared.save_session(&locked, linked.clone()).await?;
        self.shared
            .emit(AuthChangeEvent::UserUpdated, self.shared.current().as_ref());
        Ok(response)
    }

    /// Unlinks an identity from the signed-in user (it must have another one).
    pub async fn unlink_identity(&self, identity: &Identity) -> Result<()> {
        let jwt = self.shared.access_token().await?;
        let path = format!("user/identities/{}", segment(&identity.identity_id));
        self.shared
            .send(Call::new(Method::DELETE, path).jwt(&jwt))
            .await
            .map(drop)
    }

    /// Signs out everywhere (scope `global`): every refresh token of the user is revoked and
    /// the local session removed. Emits `SIGNED_OUT`.
    pub async fn sign_out(&self) -> Result<()> {
        self.sign_out_with(SignOutScope::Global).await
    }

    /// Signs out with a scope: `Local` ends only this session, `Others` ends every other session
    /// and keeps this one. A session the server no longer knows is removed locally anyway.
    ///
    /// An access token about to expire is refreshed first (the server refuses to sign out with
    /// an expired one, and nothing would be revoked), as auth-js does. When that refresh fails
    /// and the token still works, it signs out with it; when the token has expired and the
    /// failure is transient, the error is returned and the session kept, so the call can be
    /// repeated. Holds
    /// the session lock throughout: a refresh answered meanwhile cannot bring the session back.
    pub async fn sign_out_with(&self, scope: SignOutScope) -> Result<()> {
        self.shared.initialize().await?;
        let mut locked = self.shared.lock().await;
        let ticket = self.shared.ticket();
        let session = match self.shared.fresh_session_locked(&mut locked, ticket).await {
            Ok(session) => session,
            // The server refused the refresh token: the session is over there, and the refresh
            // removed it here (`SIGNED_OUT`). Only "others" asked to keep it.
            Err(Error::Auth(e)) if e.is_fatal_for_session() && scope != SignOutScope::Others => {
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if let Some(session) = session {
            let call = Call::new(Method::POST, "logout")
                .query("scope", scope.as_str())
                .jwt(&session.access_token);
            match self.shared.send(call).await {
                Ok(_) => {}
                // auth-js ignores these: the session is already gone on the server.
                Err(Error::Auth(AuthError::Api {
                    status: StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN,
                    ..
                })) => {}
                Err(e) => return Err(e),
            }
        }
        if scope != SignOutScope::Others {
            self.shared.remove_session(&locked).await?;
        }
        Ok(())
    }
}
