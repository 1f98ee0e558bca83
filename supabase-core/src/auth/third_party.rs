//! Third-party auth: an access-token provider in place of this client's own session.
//!
//! supabase-js `createClient(url, key, { accessToken })` (`SupabaseClient.ts`): every request
//! asks the provider for a token (`fetchWithAuth` → `_getAccessToken`), a `null` one falls back
//! to the API key, realtime asks it when it connects and at every heartbeat, and the auth
//! namespace is closed ("Supabase Client is configured with the accessToken option, accessing
//! supabase.auth.… is not possible"). Clerk, Auth0, Firebase Auth, Cognito and WorkOS issue
//! such tokens; Supabase verifies them against the provider's keys.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use http::HeaderValue;

use super::AuthShared;
use crate::error::{Error, Result};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

type Provide =
    dyn Fn() -> BoxFuture<'static, std::result::Result<Option<String>, BoxError>> + Send + Sync;

/// The function [`ClientOptions::access_token`](crate::ClientOptions::access_token) was given.
#[derive(Clone)]
pub(crate) struct AccessTokenProvider(Arc<Provide>);

impl AccessTokenProvider {
    pub(crate) fn new<F, Fut, E>(provide: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<Option<String>, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        AccessTokenProvider(Arc::new(move || {
            provide().map(|token| token.map_err(Into::into)).boxed()
        }))
    }
}

impl fmt::Debug for AccessTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessTokenProvider(..)")
    }
}

impl AuthShared {
    /// Fails when the client takes its tokens from a provider: its own session API would
    /// hold a second identity beside the provider's.
    pub(crate) fn own_auth(&self) -> Result<()> {
        match self.access_token_provider {
            Some(_) => Err(Error::config(
                "the client is configured with the access_token option (third-party auth): \
                 its auth API is not available",
            )),
            None => Ok(()),
        }
    }

    /// Asks the provider for a token and makes it the `Authorization` of the requests that
    /// follow (`Bearer <token>`; none, so the API key's, for `None`). Nothing to do without a
    /// provider. A provider that fails, or gives a token that is no header value, fails the
    /// request that asked.
    pub(crate) async fn use_provider_token(&self) -> Result<()> {
        let Some(provider) = &self.access_token_provider else {
            return Ok(());
        };
        let token = (provider.0)()
            .await
            .map_err(|e| Error::AccessToken(Arc::from(e)))?;
        let bearer = match token.filter(|t| !t.is_empty()) {
            Some(token) => {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                        Error::config(
                            "the access_token provider gave a token that is no header value",
                        )
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        *self.bearer.write().unwrap_or_else(|e| e.into_inner()) = bearer;
        Ok(())
    }
}
