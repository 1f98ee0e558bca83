//! The blocking auth API (feature `blocking`): `blocking::Client::auth()`. Every method is the
//! async one of [`Auth`] (same names, parameters and errors) run on the blocking client's
//! runtime; background token refresh runs on that runtime too.
//!
//! ```no_run
//! # fn main() -> supabase_core::Result<()> {
//! use supabase_core::auth::SignInWithPasswordCredentials;
//! let client = supabase_core::blocking::create_client("http://127.0.0.1:54321", "anon-key")?;
//! client
//!     .auth()
//!     .sign_in_with_password(SignInWithPasswordCredentials::email("ada@example.com", "pw"))?;
//! let rows = client.from_("todos").select("*").execute()?.data;
//! # let _ = rows;
//! # Ok(()) }
//! ```

use std::fmt;

use super::{
    Admin, AdminDeleteFactorParams, AdminMfa, AdminUserAttributes, Auth, AuthChangeEvent,
    AuthResponse, AuthenticatorAssuranceLevels, Challenge, Claims, CodeExchangeParams,
    EnrollParams, EnrollResponse, Factor, Factors, GenerateLinkParams, GenerateLinkResponse,
    GetClaimsOptions, Identity, InviteUserOptions, Mfa, MfaChallengeAndVerifyParams,
    MfaChallengeParams, MfaUnenrollParams, MfaVerifyParams, OAuthResponse, OtpResponse,
    ResendCredentials, ResetPasswordOptions, Session, SignInAnonymouslyCredentials,
    SignInWithIdTokenCredentials, SignInWithOAuthCredentials, SignInWithOtpCredentials,
    SignInWithPasswordCredentials, SignInWithSsoCredentials, SignOutScope, SignUpCredentials,
    SsoResponse, Subscription, UnenrollResponse, User, UserAttributes, UserList, VerifyOtpParams,
};
use crate::client::Client;
use crate::error::Result;

fn block<T>(client: &Client, fut: impl Future<Output = Result<T>>) -> Result<T> {
    crate::blocking::runtime(client)?.block_on(fut)
}

/// Wraps async methods of `self.inner` as blocking ones with the same signature.
macro_rules! blocking_methods {
    ($( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident : $ty:ty)* $(,)?) -> $ret:ty; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                block(&self.client, self.inner.$name($($arg),*))
            }
        )*
    };
}

/// The blocking auth API: `blocking::Client::auth()`. Cheap to clone.
#[derive(Clone)]
pub struct BlockingAuth {
    inner: Auth,
    client: Client,
}

impl fmt::Debug for BlockingAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingAuth").finish_non_exhaustive()
    }
}

impl BlockingAuth {
    pub(crate) fn new(client: Client) -> Self {
        BlockingAuth {
            inner: client.auth(),
            client,
        }
    }

    /// The async API underneath (same session).
    pub fn as_async(&self) -> &Auth {
        &self.inner
    }

    /// The MFA API, as `supabase.auth.mfa`.
    pub fn mfa(&self) -> BlockingMfa {
        BlockingMfa {
            inner: self.inner.mfa(),
            client: self.client.clone(),
        }
    }

    /// The admin API (needs the service_role key).
    pub fn admin(&self) -> BlockingAdmin {
        BlockingAdmin {
            inner: self.inner.admin(),
            client: self.client.clone(),
        }
    }

    /// Calls `callback` on every session change, starting with `INITIAL_SESSION`
    /// ([`Auth::on_auth_state_change`]).
    pub fn on_auth_state_change(
        &self,
        callback: impl Fn(AuthChangeEvent, Option<&Session>) + Send + Sync + 'static,
    ) -> Result<Subscription> {
        block(&self.client, async {
            Ok(self.inner.on_auth_state_change(callback).await)
        })
    }

    blocking_methods! {
        /// [`Auth::sign_up`].
        fn sign_up(&self, credentials: SignUpCredentials) -> AuthResponse;
        /// [`Auth::sign_in_with_password`].
        fn sign_in_with_password(&self, credentials: SignInWithPasswordCredentials) -> AuthResponse;
        /// [`Auth::sign_in_anonymously`].
        fn sign_in_anonymously(&self, credentials: SignInAnonymouslyCredentials) -> AuthResponse;
        /// [`Auth::sign_in_with_id_token`].
        fn sign_in_with_id_token(&self, credentials: SignInWithIdTokenCredentials) -> AuthResponse;
        /// [`Auth::sign_in_with_otp`].
        fn sign_in_with_otp(&self, credentials: SignInWithOtpCredentials) -> OtpResponse;
        /// [`Auth::sign_in_with_oauth`].
        fn sign_in_with_oauth(&self, credentials: SignInWithOAuthCredentials) -> OAuthResponse;
        /// [`Auth::sign_in_with_sso`].
        fn sign_in_with_sso(&self, credentials: SignInWithSsoCredentials) -> SsoResponse;
        /// [`Auth::exchange_code_for_session`].
        fn exchange_code_for_session(&self, params: impl Into<CodeExchangeParams>) -> AuthResponse;
        /// [`Auth::exchange_code_for_session_with`].
        fn exchange_code_for_session_with(&self, params: CodeExchangeParams) -> AuthResponse;
        /// [`Auth::initialize_from_url`].
        fn initialize_from_url(&self, url: &str) -> Option<Session>;
        /// [`Auth::verify_otp`].
        fn verify_otp(&self, params: VerifyOtpParams) -> AuthResponse;
        /// [`Auth::reset_password_for_email`].
        fn reset_password_for_email(&self, email: &str, options: ResetPasswordOptions) -> ();
        /// [`Auth::resend`].
        fn resend(&self, credentials: ResendCredentials) -> OtpResponse;
        /// [`Auth::reauthenticate`].
        fn reauthenticate(&self) -> ();
        /// [`Auth::get_session`].
        fn get_session(&self) -> Option<Session>;
        /// [`Auth::refresh_session`].
        fn refresh_session(&self) -> AuthResponse;
        /// [`Auth::refresh_session_with`].
        fn refresh_session_with(&self, refresh_token: &str) -> AuthResponse;
        /// [`Auth::set_session`].
        fn set_session(&self, access_token: &str, refresh_token: &str) -> AuthResponse;
        /// [`Auth::get_user`].
        fn get_user(&self) -> User;
        /// [`Auth::get_user_by_jwt`].
        fn get_user_by_jwt(&self, jwt: &str) -> User;
        /// [`Auth::update_user`].
        fn update_user(&self, attributes: UserAttributes) -> User;
        /// [`Auth::get_user_identities`].
        fn get_user_identities(&self) -> Vec<Identity>;
        /// [`Auth::link_identity`].
        fn link_identity(&self, credentials: SignInWithOAuthCredentials) -> OAuthResponse;
        /// [`Auth::link_identity_with_id_token`].
        fn link_identity_with_id_token(&self, credentials: SignInWithIdTokenCredentials) -> AuthResponse;
        /// [`Auth::unlink_identity`].
        fn unlink_identity(&self, identity: &Identity) -> ();
        /// [`Auth::sign_out`].
        fn sign_out(&self) -> ();
        /// [`Auth::sign_out_with`].
        fn sign_out_with(&self, scope: SignOutScope) -> ();
        /// [`Auth::get_claims`].
        fn get_claims(&self, jwt: Option<&str>, options: GetClaimsOptions) -> Claims;
    }
}

/// The blocking MFA API ([`Mfa`]).
#[derive(Clone)]
pub struct BlockingMfa {
    inner: Mfa,
    client: Client,
}

impl fmt::Debug for BlockingMfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingMfa").finish_non_exhaustive()
    }
}

impl BlockingMfa {
    blocking_methods! {
        /// [`Mfa::enroll`].
        fn enroll(&self, params: EnrollParams) -> EnrollResponse;
        /// [`Mfa::challenge`].
        fn challenge(&self, params: impl Into<MfaChallengeParams>) -> Challenge;
        /// [`Mfa::verify`].
        fn verify(&self, params: MfaVerifyParams) -> AuthResponse;
        /// [`Mfa::challenge_and_verify`].
        fn challenge_and_verify(&self, params: MfaChallengeAndVerifyParams) -> AuthResponse;
        /// [`Mfa::unenroll`].
        fn unenroll(&self, params: impl Into<MfaUnenrollParams>) -> UnenrollResponse;
        /// [`Mfa::list_factors`].
        fn list_factors(&self) -> Factors;
        /// [`Mfa::get_authenticator_assurance_level`].
        fn get_authenticator_assurance_level(&self) -> AuthenticatorAssuranceLevels;
        /// [`Mfa::get_authenticator_assurance_level_by_jwt`].
        fn get_authenticator_assurance_level_by_jwt(&self, jwt: &str) -> AuthenticatorAssuranceLevels;
    }
}

/// The blocking admin API ([`Admin`]).
#[derive(Clone)]
pub struct BlockingAdmin {
    inner: Admin,
    client: Client,
}

impl fmt::Debug for BlockingAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingAdmin").finish_non_exhaustive()
    }
}

impl BlockingAdmin {
    /// The admin MFA API.
    pub fn mfa(&self) -> BlockingAdminMfa {
        BlockingAdminMfa {
            inner: self.inner.mfa(),
            client: self.client.clone(),
        }
    }

    blocking_methods! {
        /// [`Admin::get_user_by_id`].
        fn get_user_by_id(&self, uid: &str) -> User;
        /// [`Admin::list_users`].
        fn list_users(&self, page: Option<u32>, per_page: Option<u32>) -> UserList;
        /// [`Admin::create_user`].
        fn create_user(&self, attributes: AdminUserAttributes) -> User;
        /// [`Admin::update_user_by_id`].
        fn update_user_by_id(&self, uid: &str, attributes: AdminUserAttributes) -> User;
        /// [`Admin::delete_user`].
        fn delete_user(&self, uid: &str) -> ();
        /// [`Admin::delete_user_with`].
        fn delete_user_with(&self, uid: &str, should_soft_delete: bool) -> ();
        /// [`Admin::invite_user_by_email`].
        fn invite_user_by_email(&self, email: &str) -> User;
        /// [`Admin::invite_user_by_email_with`].
        fn invite_user_by_email_with(&self, email: &str, options: InviteUserOptions) -> User;
        /// [`Admin::generate_link`].
        fn generate_link(&self, params: GenerateLinkParams) -> GenerateLinkResponse;
        /// [`Admin::sign_out`].
        fn sign_out(&self, jwt: &str, scope: SignOutScope) -> ();
    }
}

/// The blocking admin MFA API ([`AdminMfa`]).
#[derive(Clone)]
pub struct BlockingAdminMfa {
    inner: AdminMfa,
    client: Client,
}

impl fmt::Debug for BlockingAdminMfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingAdminMfa").finish_non_exhaustive()
    }
}

impl BlockingAdminMfa {
    blocking_methods! {
        /// [`AdminMfa::list_factors`].
        fn list_factors(&self, user_id: &str) -> Vec<Factor>;
        /// [`AdminMfa::delete_factor`].
        fn delete_factor(&self, params: AdminDeleteFactorParams) -> UnenrollResponse;
    }
}
