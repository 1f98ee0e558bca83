//! The admin API: `client.auth().admin()` (auth-js `GoTrueAdminApi.ts`; GoTrue
//! `internal/api/admin.go`, `invite.go`, `mail.go` for `generate_link`). Every call needs a
//! client created with the service_role (or `sb_secret_`) key; it never uses the user's session.

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::api::{Body, Call, segment};
use super::params::SignOutScope;
use super::types::{Factor, User};
use super::{Auth, mfa::UnenrollResponse};
use crate::error::Result;
use crate::secret::Secret;

/// The admin API, as `supabase.auth.admin`.
#[derive(Debug, Clone)]
pub struct Admin {
    auth: Auth,
}

impl Auth {
    /// The admin API (needs the service_role key).
    pub fn admin(&self) -> Admin {
        Admin { auth: self.clone() }
    }
}

/// Attributes for `create_user` and `update_user_by_id`; only those set are sent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "super::json::AdminUserJson")]
#[must_use]
pub struct AdminUserAttributes {
    body: Map<String, Value>,
    password: Option<Secret>,
    password_hash: Option<Secret>,
    nonce: Option<Secret>,
}

macro_rules! admin_attr {
    ($($(#[$doc:meta])* $name:ident: $ty:ty,)*) => {
        impl AdminUserAttributes {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Self {
                    self.body.insert(stringify!($name).to_owned(), Value::from(value));
                    self
                }
            )*
        }
    };
}

admin_attr! {
    /// Email address.
    email: &str,
    /// Phone number.
    phone: &str,
    /// Mark the email as confirmed (no confirmation message).
    email_confirm: bool,
    /// Mark the phone as confirmed.
    phone_confirm: bool,
    /// Ban for a duration (`"24h"`, `"none"` to lift).
    ban_duration: &str,
    /// The Postgres role in the user's JWTs.
    role: &str,
}

impl AdminUserAttributes {
    /// Nothing set yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Secret::new(password.into()));
        self
    }

    /// An existing password hash, to move users in without their passwords (`create_user`
    /// only; GoTrue ignores it on update). GoTrue takes bcrypt (`$2a$`, `$2b$`, `$2y$`), argon2
    /// (`$argon2i$`, `$argon2id$`) and Firebase scrypt (`$fbscrypt$`) hashes and stores them
    /// as they are; a hash it cannot read is a 500, and a password as well is a 400. Hidden
    /// from `Debug`.
    pub fn password_hash(mut self, hash: impl Into<String>) -> Self {
        self.password_hash = Some(Secret::new(hash.into()));
        self
    }

    /// A reauthentication nonce.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(Secret::new(nonce.into()));
        self
    }

    /// `user_metadata` (a JSON object).
    pub fn user_metadata(mut self, data: Value) -> Self {
        self.body.insert("user_metadata".into(), data);
        self
    }

    /// `app_metadata` (a JSON object; only admins can set it).
    pub fn app_metadata(mut self, data: Value) -> Self {
        self.body.insert("app_metadata".into(), data);
        self
    }

    /// A chosen user id (UUID) for `create_user`.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.body.insert("id".into(), Value::String(id.into()));
        self
    }

    fn build(self) -> Map<String, Value> {
        let mut body = self.body;
        for (name, secret) in [
            ("password", self.password),
            ("password_hash", self.password_hash),
            ("nonce", self.nonce),
        ] {
            if let Some(secret) = secret {
                body.insert(name.into(), Value::String(secret.expose().to_owned()));
            }
        }
        body
    }
}

/// One page of `list_users`, with the pagination GoTrue reports in its `Link` and
/// `X-Total-Count` headers.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct UserList {
    /// The users of this page.
    pub users: Vec<User>,
    /// The audience.
    pub aud: String,
    /// The next page, if any.
    pub next_page: Option<u32>,
    /// The last page.
    pub last_page: Option<u32>,
    /// Users in total.
    pub total: Option<u64>,
}

/// `invite_user_by_email` options.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "super::json::InviteJson")]
#[must_use]
pub struct InviteUserOptions {
    data: Option<Value>,
    redirect_to: Option<String>,
}

impl InviteUserOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// `user_metadata` of the invited user.
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Where the invite link sends the user.
    pub fn redirect_to(mut self, url: impl Into<String>) -> Self {
        self.redirect_to = Some(url.into());
        self
    }
}

/// The kind of link `generate_link` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenerateLinkType {
    /// Sign-up (needs a password).
    Signup,
    /// Invite.
    Invite,
    /// Magic link.
    Magiclink,
    /// Password recovery.
    Recovery,
    /// Email change, sent to the current address.
    EmailChangeCurrent,
    /// Email change, sent to the new address.
    EmailChangeNew,
}

impl GenerateLinkType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GenerateLinkType::Signup => "signup",
            GenerateLinkType::Invite => "invite",
            GenerateLinkType::Magiclink => "magiclink",
            GenerateLinkType::Recovery => "recovery",
            GenerateLinkType::EmailChangeCurrent => "email_change_current",
            GenerateLinkType::EmailChangeNew => "email_change_new",
        }
    }
}

/// `generate_link` parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "super::json::GenerateLinkJson")]
#[must_use]
pub struct GenerateLinkParams {
    kind: GenerateLinkType,
    email: String,
    password: Option<Secret>,
    new_email: Option<String>,
    data: Option<Value>,
    redirect_to: Option<String>,
}

impl GenerateLinkParams {
    fn new(kind: GenerateLinkType, email: impl Into<String>) -> Self {
        GenerateLinkParams {
            kind,
            email: email.into(),
            password: None,
            new_email: None,
            data: None,
            redirect_to: None,
        }
    }

    /// A sign-up link for a new user with a password.
    pub fn signup(email: impl Into<String>, password: impl Into<String>) -> Self {
        let mut p = Self::new(GenerateLinkType::Signup, email);
        p.password = Some(Secret::new(password.into()));
        p
    }

    /// An invite link.
    pub fn invite(email: impl Into<String>) -> Self {
        Self::new(GenerateLinkType::Invite, email)
    }

    /// A magic link.
    pub fn magiclink(email: impl Into<String>) -> Self {
        Self::new(GenerateLinkType::Magiclink, email)
    }

    /// A password-recovery link.
    pub fn recovery(email: impl Into<String>) -> Self {
        Self::new(GenerateLinkType::Recovery, email)
    }

    /// An email-change link sent to the current address.
    pub fn email_change_current(email: impl Into<String>, new_email: impl Into<String>) -> Self {
        let mut p = Self::new(GenerateLinkType::EmailChangeCurrent, email);
        p.new_email = Some(new_email.into());
        p
    }

    /// An email-change link sent to the new address.
    pub fn email_change_new(email: impl Into<String>, new_email: impl Into<String>) -> Self {
        let mut p = Self::new(GenerateLinkType::EmailChangeNew, email);
        p.new_email = Some(new_email.into());
        p
    }

    /// `user_metadata` for signup and invite links.
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Where the link sends the user.
    pub fn redirect_to(mut self, url: impl Into<String>) -> Self {
        self.redirect_to = Some(url.into());
        self
    }
}

/// The link and its parts (auth-js `GenerateLinkProperties`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct GenerateLinkProperties {
    /// The link to send to the user: it carries the token it verifies, so it is a secret too.
    #[serde(with = "super::types::secret_serde")]
    pub action_link: Secret,
    /// The OTP for the same verification.
    #[serde(with = "super::types::secret_serde")]
    pub email_otp: Secret,
    /// The token hash for `verify_otp` with `token_hash`.
    #[serde(with = "super::types::secret_serde")]
    pub hashed_token: Secret,
    /// Where the link redirects.
    #[serde(default)]
    pub redirect_to: String,
    /// The `type` to verify with.
    pub verification_type: String,
}

/// What `generate_link` returns: the link's properties and the user.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GenerateLinkResponse {
    /// The link.
    pub properties: GenerateLinkProperties,
    /// The user.
    pub user: User,
}

/// The admin MFA API: `admin().mfa()`.
#[derive(Debug, Clone)]
pub struct AdminMfa {
    auth: Auth,
}

impl Admin {
    /// The admin MFA API, as `supabase.auth.admin.mfa`.
    pub fn mfa(&self) -> AdminMfa {
        AdminMfa {
            auth: self.auth.clone(),
        }
    }

    /// A user by id.
    pub async fn get_user_by_id(&self, uid: &str) -> Result<User> {
        let path = format!("admin/users/{}", segment(uid));
        self.auth.shared.json(Call::get(path)).await
    }

    /// A page of users (pages start at 1; GoTrue's default page size is 50).
    pub async fn list_users(&self, page: Option<u32>, per_page: Option<u32>) -> Result<UserList> {
        let mut call = Call::get("admin/users");
        if let Some(p) = page {
            call = call.query("page", p.to_string());
        }
        if let Some(p) = per_page {
            call = call.query("per_page", p.to_string());
        }
        let raw = self.auth.shared.send(call).await?;
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            users: Vec<User>,
            #[serde(default)]
            aud: String,
        }
        let page: Page = super::api::decode(raw.status, &raw.body)?;
        let header = |name: &str| raw.headers.get(name).and_then(|v| v.to_str().ok());
        let (next_page, last_page) = header("link").map(parse_link).unwrap_or_default();
        Ok(UserList {
            users: page.users,
            aud: page.aud,
            next_page,
            last_page,
            total: header("x-total-count").and_then(|t| t.trim().parse().ok()),
        })
    }

    /// Creates a user (no confirmation message unless asked).
    pub async fn create_user(&self, attributes: AdminUserAttributes) -> Result<User> {
        self.auth
            .shared
            .json(Call::post("admin/users", attributes.build()))
            .await
    }

    /// Updates any user.
    pub async fn update_user_by_id(
        &self,
        uid: &str,
        attributes: AdminUserAttributes,
    ) -> Result<User> {
        let path = format!("admin/users/{}", segment(uid));
        self.auth
            .shared
            .json(Call::new(Method::PUT, path).body(attributes.build()))
            .await
    }

    /// Deletes a user for good, as `admin.delete_user(uid)` in the reference;
    /// [`delete_user_with`](Self::delete_user_with) can keep the row instead.
    pub async fn delete_user(&self, uid: &str) -> Result<()> {
        self.delete_user_with(uid, false).await
    }

    /// Deletes a user; with `should_soft_delete` the row is kept (anonymised, `deleted_at`
    /// set), as `delete_user(uid, should_soft_delete)` in the reference.
    pub async fn delete_user_with(&self, uid: &str, should_soft_delete: bool) -> Result<()> {
        let path = format!("admin/users/{}", segment(uid));
        let body = Body::new().set("should_soft_delete", should_soft_delete);
        self.auth
            .shared
            .send(Call::new(Method::DELETE, path).body(body.build()))
            .await
            .map(drop)
    }

    /// Sends an invite email; the user is created unconfirmed, as
    /// `admin.invite_user_by_email(email)` in the reference.
    pub async fn invite_user_by_email(&self, email: &str) -> Result<User> {
        self.invite_user_by_email_with(email, InviteUserOptions::new())
            .await
    }

    /// [`invite_user_by_email`](Self::invite_user_by_email) with user metadata (`data`) and
    /// where the link leads (`redirect_to`).
    pub async fn invite_user_by_email_with(
        &self,
        email: &str,
        options: InviteUserOptions,
    ) -> Result<User> {
        let body = Body::new().set("email", email).opt("data", options.data);
        let call = Call::post("invite", body.build()).redirect_to(options.redirect_to.as_ref());
        self.auth.shared.json(call).await
    }

    /// Makes a sign-up, invite, magic-link, recovery or email-change link without sending it.
    pub async fn generate_link(&self, params: GenerateLinkParams) -> Result<GenerateLinkResponse> {
        let body = Body::new()
            .set("type", params.kind.as_str())
            .set("email", params.email.as_str())
            .secret("password", params.password.as_ref())
            .opt("new_email", params.new_email)
            .opt("data", params.data);
        let call = Call::post("admin/generate_link", body.build())
            .redirect_to(params.redirect_to.as_ref());
        let raw = self.auth.shared.send(call).await?;
        // auth-js `_generateLinkResponse`: the link fields, the rest is the user.
        let properties: GenerateLinkProperties = super::api::decode(raw.status, &raw.body)?;
        let user: User = super::api::decode(raw.status, &raw.body)?;
        Ok(GenerateLinkResponse { properties, user })
    }

    /// Signs out the user an access token belongs to.
    pub async fn sign_out(&self, jwt: &str, scope: SignOutScope) -> Result<()> {
        let call = Call::new(Method::POST, "logout")
            .query("scope", scope.as_str())
            .jwt(&Secret::new(jwt));
        self.auth.shared.send(call).await.map(drop)
    }
}

/// `admin.mfa.delete_factor` parameters. Deserializes from the reference's `{"id", "user_id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct AdminDeleteFactorParams {
    /// The factor.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
}

impl AdminDeleteFactorParams {
    /// Factor `id` of user `user_id`.
    pub fn new(id: impl Into<String>, user_id: impl Into<String>) -> Self {
        AdminDeleteFactorParams {
            id: id.into(),
            user_id: user_id.into(),
        }
    }
}

impl AdminMfa {
    /// A user's factors.
    pub async fn list_factors(&self, user_id: &str) -> Result<Vec<Factor>> {
        let path = format!("admin/users/{}/factors", segment(user_id));
        self.auth.shared.json(Call::get(path)).await
    }

    /// Deletes one factor of a user.
    pub async fn delete_factor(&self, params: AdminDeleteFactorParams) -> Result<UnenrollResponse> {
        let (user_id, id) = (segment(&params.user_id), segment(&params.id));
        let path = format!("admin/users/{user_id}/factors/{id}");
        self.auth.shared.json(Call::new(Method::DELETE, path)).await
    }
}

/// `(next, last)` page numbers from a `Link` header
/// (`</admin/users?page=2&per_page=50>; rel="next", <…page=4…>; rel="last"`).
fn parse_link(link: &str) -> (Option<u32>, Option<u32>) {
    let mut next = None;
    let mut last = None;
    for part in link.split(',') {
        let page = part
            .split(['?', '&', '>'])
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|p| p.parse().ok());
        if part.contains("rel=\"next\"") {
            next = page;
        } else if part.contains("rel=\"last\"") {
            last = page;
        }
    }
    (next, last)
}

#[cfg(test)]
mod tests {
    use super::parse_link;

    #[test]
    fn link_header_pages() {
        let link = r#"</admin/users?page=2&per_page=1>; rel="next", </admin/users?page=3&per_page=1>; rel="last""#;
        assert_eq!(parse_link(link), (Some(2), Some(3)));
        assert_eq!(
            parse_link(r#"</admin/users?page=3&per_page=1>; rel="last""#),
            (None, Some(3))
        );
    }
}
