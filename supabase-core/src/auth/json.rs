//! The untyped route to the auth parameters: each params type deserializes from the dict the
//! Python reference passes (`{"email": .., "password": .., "options": {"data": {..}}}`), with
//! supabase/auth-py's key names (`supabase_auth/types.py`, the `TypedDict`s of 2.x). Each shape
//! below is read with `deny_unknown_fields`, so a misspelt option is an error naming the key, and
//! is then turned into the public type through its builder methods, so the JSON form and the
//! typed form cannot drift apart.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::admin::{AdminUserAttributes, GenerateLinkParams, GenerateLinkType, InviteUserOptions};
use super::mfa::{EnrollParams, MfaVerifyParams};
use super::params::{
    Channel, CodeExchangeParams, OtpType, ResendCredentials, ResetPasswordOptions,
    SignInAnonymouslyCredentials, SignInWithIdTokenCredentials, SignInWithOAuthCredentials,
    SignInWithOtpCredentials, SignInWithPasswordCredentials, SignInWithSsoCredentials,
    SignOutScope, SignUpCredentials, UserAttributes, VerifyOtpParams,
};

/// The one contact a call needs: `email` or `phone`, never both.
enum Either {
    Email(String),
    Phone(String),
}

fn contact(email: Option<String>, phone: Option<String>) -> Result<Either, String> {
    match (email, phone) {
        (Some(e), None) => Ok(Either::Email(e)),
        (None, Some(p)) => Ok(Either::Phone(p)),
        (Some(_), Some(_)) => Err("give either `email` or `phone`, not both".into()),
        (None, None) => Err("`email` or `phone` is required".into()),
    }
}

/// `options` of the sign-up and OTP sign-in dicts.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignUpOptions {
    data: Option<Map<String, Value>>,
    email_redirect_to: Option<String>,
    captcha_token: Option<String>,
    channel: Option<Channel>,
    /// Only in `sign_in_with_otp`'s options (checked there).
    should_create_user: Option<bool>,
}

/// Applies the shared options through the builders' methods.
macro_rules! apply {
    ($target:ident, $opts:ident; $($field:ident),*) => {
        $(
            if let Some(v) = $opts.$field {
                $target = $target.$field(v);
            }
        )*
    };
}

/// `sign_up({"email" | "phone", "password", "options"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignUpJson {
    email: Option<String>,
    phone: Option<String>,
    password: String,
    #[serde(default)]
    options: SignUpOptions,
}

impl TryFrom<SignUpJson> for SignUpCredentials {
    type Error = String;

    fn try_from(j: SignUpJson) -> Result<Self, String> {
        let o = j.options;
        if o.should_create_user.is_some() {
            return Err("unknown field `options.should_create_user` for sign_up".into());
        }
        let mut c = match contact(j.email, j.phone)? {
            Either::Email(e) => SignUpCredentials::email(e, j.password),
            Either::Phone(p) => SignUpCredentials::phone(p, j.password),
        };
        if let Some(d) = o.data {
            c = c.data(Value::Object(d));
        }
        apply!(c, o; email_redirect_to, captcha_token, channel);
        Ok(c)
    }
}

/// `options` holding only a captcha token.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaptchaOptions {
    captcha_token: Option<String>,
}

/// `options` of `sign_in_with_password`: auth-py's `SignInWithPasswordCredentialsOptions`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordOptions {
    captcha_token: Option<String>,
    /// Accepted as auth-py accepts it, and not sent: GoTrue's password grant has no `data`
    /// (auth-py sends it and the server drops it).
    #[allow(dead_code, reason = "read to accept the key, nothing to send")]
    data: Option<Map<String, Value>>,
}

/// `sign_in_with_password({"email" | "phone", "password", "options"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordJson {
    email: Option<String>,
    phone: Option<String>,
    password: String,
    #[serde(default)]
    options: PasswordOptions,
}

impl TryFrom<PasswordJson> for SignInWithPasswordCredentials {
    type Error = String;

    fn try_from(j: PasswordJson) -> Result<Self, String> {
        let o = j.options;
        let mut c = match contact(j.email, j.phone)? {
            Either::Email(e) => SignInWithPasswordCredentials::email(e, j.password),
            Either::Phone(p) => SignInWithPasswordCredentials::phone(p, j.password),
        };
        apply!(c, o; captcha_token);
        Ok(c)
    }
}

/// `options` of `sign_in_anonymously`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnonymousOptions {
    data: Option<Map<String, Value>>,
    captcha_token: Option<String>,
}

/// `sign_in_anonymously({"options"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnonymousJson {
    #[serde(default)]
    options: AnonymousOptions,
}

impl From<AnonymousJson> for SignInAnonymouslyCredentials {
    fn from(j: AnonymousJson) -> Self {
        let o = j.options;
        let mut c = SignInAnonymouslyCredentials::new();
        if let Some(d) = o.data {
            c = c.data(Value::Object(d));
        }
        apply!(c, o; captcha_token);
        c
    }
}

/// `sign_in_with_id_token({"provider", "token", "access_token", "nonce", "options"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdTokenJson {
    provider: String,
    token: String,
    access_token: Option<String>,
    nonce: Option<String>,
    #[serde(default)]
    options: CaptchaOptions,
}

impl From<IdTokenJson> for SignInWithIdTokenCredentials {
    fn from(j: IdTokenJson) -> Self {
        let (o, mut c) = (
            j.options,
            SignInWithIdTokenCredentials::new(j.provider, j.token),
        );
        if let Some(t) = j.access_token {
            c = c.access_token(t);
        }
        if let Some(n) = j.nonce {
            c = c.nonce(n);
        }
        apply!(c, o; captcha_token);
        c
    }
}

/// `sign_in_with_otp({"email" | "phone", "options"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtpJson {
    email: Option<String>,
    phone: Option<String>,
    #[serde(default)]
    options: SignUpOptions,
}

impl TryFrom<OtpJson> for SignInWithOtpCredentials {
    type Error = String;

    fn try_from(j: OtpJson) -> Result<Self, String> {
        let o = j.options;
        let mut c = match contact(j.email, j.phone)? {
            Either::Email(e) => SignInWithOtpCredentials::email(e),
            Either::Phone(p) => SignInWithOtpCredentials::phone(p),
        };
        if let Some(d) = o.data {
            c = c.data(Value::Object(d));
        }
        apply!(c, o; email_redirect_to, captcha_token, channel, should_create_user);
        Ok(c)
    }
}

/// `query_params` is a dict in Python: read it as one (`serde_json::Map` keeps keys sorted;
/// the order of query parameters carries no meaning).
fn query_pairs<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<(String, String)>>, D::Error> {
    let map: Option<Map<String, Value>> = Option::deserialize(d)?;
    map.map(|m| {
        m.into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                other => Err(serde::de::Error::custom(format!(
                    "`options.query_params.{k}` must be a string, not {other}"
                ))),
            })
            .collect()
    })
    .transpose()
}

/// `sign_in_with_oauth({"provider", "options"})` and `link_identity`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OAuthJson {
    provider: String,
    #[serde(default)]
    options: OAuthOptionsJson,
}

/// [`OAuthOptions`] with `query_params` read from a dict.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct OAuthOptionsJson {
    redirect_to: Option<String>,
    scopes: Option<String>,
    #[serde(default, deserialize_with = "query_pairs")]
    query_params: Option<Vec<(String, String)>>,
}

impl From<OAuthJson> for SignInWithOAuthCredentials {
    fn from(j: OAuthJson) -> Self {
        let o = j.options;
        let mut c = SignInWithOAuthCredentials::new(j.provider);
        apply!(c, o; redirect_to, scopes, query_params);
        c
    }
}

/// `options` with a redirect and a captcha token.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedirectOptions {
    redirect_to: Option<String>,
    captcha_token: Option<String>,
}

/// `options` of `sign_in_with_sso`: auth-py's `SignInWithSSOOptions`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoOptions {
    redirect_to: Option<String>,
    captcha_token: Option<String>,
    /// auth-py's default, `true`, is the only way this client works: it returns the
    /// provider's URL rather than following a redirect.
    skip_http_redirect: Option<bool>,
}

/// `sign_in_with_sso({"domain" | "provider_id", "options"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoJson {
    domain: Option<String>,
    provider_id: Option<String>,
    #[serde(default)]
    options: SsoOptions,
}

impl TryFrom<SsoJson> for SignInWithSsoCredentials {
    type Error = String;

    fn try_from(j: SsoJson) -> Result<Self, String> {
        let o = j.options;
        let mut c = match (j.domain, j.provider_id) {
            (Some(d), None) => SignInWithSsoCredentials::domain(d),
            (None, Some(p)) => SignInWithSsoCredentials::provider_id(p),
            (Some(_), Some(_)) => {
                return Err("give either `domain` or `provider_id`, not both".into());
            }
            (None, None) => return Err("`domain` or `provider_id` is required".into()),
        };
        if o.skip_http_redirect == Some(false) {
            return Err(
                "`skip_http_redirect` must be true: sign_in_with_sso returns the \
                        provider's URL for you to open, it does not follow a redirect"
                    .into(),
            );
        }
        apply!(c, o; redirect_to, captcha_token);
        Ok(c)
    }
}

/// `verify_otp({"email" | "phone", "token", "type", "options"})` or
/// `verify_otp({"token_hash", "type"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyOtpJson {
    email: Option<String>,
    phone: Option<String>,
    token: Option<String>,
    token_hash: Option<String>,
    #[serde(rename = "type")]
    kind: OtpType,
    #[serde(default)]
    options: RedirectOptions,
}

impl TryFrom<VerifyOtpJson> for VerifyOtpParams {
    type Error = String;

    fn try_from(j: VerifyOtpJson) -> Result<Self, String> {
        let o = j.options;
        let mut c = match (j.token, j.token_hash) {
            (Some(token), None) => match contact(j.email, j.phone)? {
                Either::Email(e) => VerifyOtpParams::email(e, token, j.kind),
                Either::Phone(p) => VerifyOtpParams::phone(p, token, j.kind),
            },
            (None, Some(hash)) => {
                // GoTrue (`internal/api/verify.go`, `VerifyParams.Validate`) refuses a token
                // hash sent with an email, a phone or a redirect: "Only the token_hash and type
                // should be provided".
                if j.email.is_some() || j.phone.is_some() || o.redirect_to.is_some() {
                    return Err("with `token_hash`, give only `token_hash` and `type` \
                                (GoTrue refuses `email`, `phone` or `redirect_to` with a \
                                token hash)"
                        .into());
                }
                VerifyOtpParams::token_hash(hash, j.kind)
            }
            (Some(_), Some(_)) => return Err("give either `token` or `token_hash`".into()),
            (None, None) => return Err("`token` or `token_hash` is required".into()),
        };
        apply!(c, o; redirect_to, captcha_token);
        Ok(c)
    }
}

/// `options` of `resend`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResendOptions {
    email_redirect_to: Option<String>,
    captcha_token: Option<String>,
}

/// `resend({"type", "email" | "phone", "options"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResendJson {
    #[serde(rename = "type")]
    kind: OtpType,
    email: Option<String>,
    phone: Option<String>,
    #[serde(default)]
    options: ResendOptions,
}

impl TryFrom<ResendJson> for ResendCredentials {
    type Error = String;

    fn try_from(j: ResendJson) -> Result<Self, String> {
        let o = j.options;
        let mut c = match contact(j.email, j.phone)? {
            Either::Email(e) => ResendCredentials::email(j.kind, e),
            Either::Phone(p) => ResendCredentials::phone(j.kind, p),
        };
        apply!(c, o; email_redirect_to, captcha_token);
        Ok(c)
    }
}

impl From<RedirectOptions> for ResetPasswordOptions {
    fn from(o: RedirectOptions) -> Self {
        let mut c = ResetPasswordOptions::new();
        apply!(c, o; redirect_to, captcha_token);
        c
    }
}

/// `exchange_code_for_session({"auth_code", "code_verifier", "redirect_to"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeExchangeJson {
    auth_code: String,
    code_verifier: Option<String>,
    redirect_to: Option<String>,
}

impl From<CodeExchangeJson> for CodeExchangeParams {
    fn from(j: CodeExchangeJson) -> Self {
        let mut c = CodeExchangeParams::new(j.auth_code);
        apply!(c, j; code_verifier, redirect_to);
        c
    }
}

/// `update_user({"email", "phone", "password", "nonce", "data"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserAttributesJson {
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    nonce: Option<String>,
    data: Option<Map<String, Value>>,
}

impl From<UserAttributesJson> for UserAttributes {
    fn from(j: UserAttributesJson) -> Self {
        let mut c = UserAttributes::new();
        if let Some(d) = j.data {
            c = c.data(Value::Object(d));
        }
        apply!(c, j; email, phone, password, nonce);
        c
    }
}

/// `admin.create_user` / `admin.update_user_by_id` attributes (auth-py `AdminUserAttributes`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdminUserJson {
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    password_hash: Option<String>,
    email_confirm: Option<bool>,
    phone_confirm: Option<bool>,
    user_metadata: Option<Map<String, Value>>,
    app_metadata: Option<Map<String, Value>>,
    ban_duration: Option<String>,
    role: Option<String>,
    nonce: Option<String>,
    id: Option<String>,
}

impl From<AdminUserJson> for AdminUserAttributes {
    fn from(j: AdminUserJson) -> Self {
        let mut c = AdminUserAttributes::new();
        for (value, set) in [
            (
                j.email,
                AdminUserAttributes::email as fn(Self, &str) -> Self,
            ),
            (j.phone, AdminUserAttributes::phone),
            (j.ban_duration, AdminUserAttributes::ban_duration),
            (j.role, AdminUserAttributes::role),
        ] {
            if let Some(v) = value {
                c = set(c, &v);
            }
        }
        if let Some(v) = j.email_confirm {
            c = c.email_confirm(v);
        }
        if let Some(v) = j.phone_confirm {
            c = c.phone_confirm(v);
        }
        if let Some(v) = j.user_metadata {
            c = c.user_metadata(Value::Object(v));
        }
        if let Some(v) = j.app_metadata {
            c = c.app_metadata(Value::Object(v));
        }
        apply!(c, j; password, password_hash, nonce, id);
        c
    }
}

/// `options` of `admin.invite_user_by_email` and of `generate_link`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteJson {
    data: Option<Map<String, Value>>,
    redirect_to: Option<String>,
}

impl From<InviteJson> for InviteUserOptions {
    fn from(j: InviteJson) -> Self {
        let mut c = InviteUserOptions::new();
        if let Some(d) = j.data {
            c = c.data(Value::Object(d));
        }
        apply!(c, j; redirect_to);
        c
    }
}

/// `admin.generate_link({"type", "email", "password", "new_email", "options"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GenerateLinkJson {
    #[serde(rename = "type")]
    kind: GenerateLinkType,
    email: String,
    password: Option<String>,
    new_email: Option<String>,
    #[serde(default)]
    options: InviteJson,
}

impl TryFrom<GenerateLinkJson> for GenerateLinkParams {
    type Error = String;

    fn try_from(j: GenerateLinkJson) -> Result<Self, String> {
        use GenerateLinkType as T;
        let kind = j.kind.as_str();
        let misplaced = |key: &str| Err(format!("`{key}` does not apply to a `{kind}` link"));
        let mut c = match (j.kind, j.password.clone(), j.new_email.clone()) {
            (T::Signup, Some(pw), None) => GenerateLinkParams::signup(&j.email, pw),
            (T::Signup, None, _) => return Err("a `signup` link needs a `password`".into()),
            (T::EmailChangeCurrent, None, Some(new)) => {
                GenerateLinkParams::email_change_current(&j.email, new)
            }
            (T::EmailChangeNew, None, Some(new)) => {
                GenerateLinkParams::email_change_new(&j.email, new)
            }
            (T::EmailChangeCurrent | T::EmailChangeNew, None, None) => {
                return Err(format!("an `{kind}` link needs a `new_email`"));
            }
            (T::Invite, None, None) => GenerateLinkParams::invite(&j.email),
            (T::Magiclink, None, None) => GenerateLinkParams::magiclink(&j.email),
            (T::Recovery, None, None) => GenerateLinkParams::recovery(&j.email),
            (_, Some(_), _) => return misplaced("password"),
            (_, None, Some(_)) => return misplaced("new_email"),
        };
        let o = j.options;
        if let Some(d) = o.data {
            c = c.data(Value::Object(d));
        }
        apply!(c, o; redirect_to);
        Ok(c)
    }
}

/// `mfa.enroll({"factor_type", "friendly_name", "issuer", "phone"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnrollJson {
    factor_type: String,
    friendly_name: Option<String>,
    issuer: Option<String>,
    phone: Option<String>,
}

impl TryFrom<EnrollJson> for EnrollParams {
    type Error = String;

    fn try_from(j: EnrollJson) -> Result<Self, String> {
        let mut c = match (j.factor_type.as_str(), j.phone, j.issuer) {
            ("totp", None, issuer) => {
                let c = EnrollParams::totp();
                match issuer {
                    Some(i) => c.issuer(i),
                    None => c,
                }
            }
            ("totp", Some(_), _) => return Err("`phone` does not apply to a `totp` factor".into()),
            ("phone", Some(p), None) => EnrollParams::phone(p),
            ("phone", None, _) => return Err("a `phone` factor needs a `phone`".into()),
            ("phone", Some(_), Some(_)) => {
                return Err("`issuer` does not apply to a `phone` factor".into());
            }
            (other, _, _) => {
                return Err(format!(
                    "unknown variant `{other}`, expected `totp` or `phone` for `factor_type`"
                ));
            }
        };
        apply!(c, j; friendly_name);
        Ok(c)
    }
}

// By hand: `EnrollParams` holds a `&'static str`, for which the derive would ask `'de: 'static`.
impl<'de> Deserialize<'de> for EnrollParams {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EnrollJson::deserialize(d)?
            .try_into()
            .map_err(serde::de::Error::custom)
    }
}

/// `mfa.verify({"factor_id", "challenge_id", "code"})`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaVerifyJson {
    factor_id: String,
    challenge_id: String,
    code: String,
}

impl From<MfaVerifyJson> for MfaVerifyParams {
    fn from(j: MfaVerifyJson) -> Self {
        MfaVerifyParams::new(j.factor_id, j.challenge_id, j.code)
    }
}

/// `sign_out`'s scope: its name, or auth-py's `SignOutOptions` (`{"scope": ..}`).
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a sign-out scope (`global`, `local` or `others`) or `{\"scope\": ..}`"
)]
pub(crate) enum SignOutJson {
    Name(ScopeName),
    Options(SignOutOptions),
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ScopeName {
    #[default]
    Global,
    Local,
    Others,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignOutOptions {
    #[serde(default)]
    scope: ScopeName,
}

impl From<SignOutJson> for SignOutScope {
    fn from(j: SignOutJson) -> Self {
        let (SignOutJson::Name(name) | SignOutJson::Options(SignOutOptions { scope: name })) = j;
        match name {
            ScopeName::Global => SignOutScope::Global,
            ScopeName::Local => SignOutScope::Local,
            ScopeName::Others => SignOutScope::Others,
        }
    }
}
