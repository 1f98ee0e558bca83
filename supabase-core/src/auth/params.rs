//! Parameters of the sign-up, sign-in and verification calls, with the reference's names
//! (supabase/auth-py `supabase_auth/types.py`). Each is a small builder: a constructor for the
//! required fields, then one method per option.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::secret::Secret;

/// Where an SMS-style OTP is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A text message (default).
    #[default]
    Sms,
    /// A WhatsApp message.
    Whatsapp,
}

impl Channel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
        }
    }
}

/// An email address or a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Contact {
    Email(String),
    Phone(String),
}

/// Options every sign-in-like call shares.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Common {
    pub(crate) data: Option<Map<String, Value>>,
    pub(crate) redirect_to: Option<String>,
    pub(crate) captcha_token: Option<Secret>,
    pub(crate) channel: Channel,
}

macro_rules! common_options {
    ($ty:ident; $($opt:ident),*) => {
        impl $ty {
            $(common_options!(@ $opt);)*
        }
    };
    (@ data) => {
        /// User metadata stored in `user_metadata` (`options.data`). Must be a JSON object;
        /// anything else is ignored.
        pub fn data(mut self, data: Value) -> Self {
            if let Value::Object(map) = data {
                self.common.data = Some(map);
            }
            self
        }
    };
    (@ email_redirect_to) => {
        /// Where the link in the email sends the user (`options.email_redirect_to`).
        pub fn email_redirect_to(mut self, url: impl Into<String>) -> Self {
            self.common.redirect_to = Some(url.into());
            self
        }
    };
    (@ redirect_to) => {
        /// Where the user is sent afterwards (`options.redirect_to`).
        pub fn redirect_to(mut self, url: impl Into<String>) -> Self {
            self.common.redirect_to = Some(url.into());
            self
        }
    };
    (@ captcha_token) => {
        /// A captcha token, when the project requires captchas (`options.captcha_token`).
        pub fn captcha_token(mut self, token: impl Into<String>) -> Self {
            self.common.captcha_token = Some(Secret::new(token.into()));
            self
        }
    };
    (@ channel) => {
        /// How a phone OTP is delivered (`options.channel`, default SMS).
        pub fn channel(mut self, channel: Channel) -> Self {
            self.common.channel = channel;
            self
        }
    };
}

/// `sign_up` credentials: an email or a phone, and a password.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "super::json::SignUpJson")]
#[must_use]
pub struct SignUpCredentials {
    pub(crate) contact: Contact,
    pub(crate) password: Secret,
    pub(crate) common: Common,
}

impl SignUpCredentials {
    /// Sign up with an email address and a password.
    pub fn email(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self::new(Contact::Email(email.into()), password)
    }

    /// Sign up with a phone number and a password (the confirmation code goes by SMS or
    /// WhatsApp, see [`channel`](Self::channel)).
    pub fn phone(phone: impl Into<String>, password: impl Into<String>) -> Self {
        Self::new(Contact::Phone(phone.into()), password)
    }

    fn new(contact: Contact, password: impl Into<String>) -> Self {
        SignUpCredentials {
            contact,
            password: Secret::new(password.into()),
            common: Common::default(),
        }
    }
}
common_options!(SignUpCredentials; data, email_redirect_to, captcha_token, channel);

/// `sign_in_with_password` credentials.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "super::json::PasswordJson")]
#[must_use]
pub struct SignInWithPasswordCredentials {
    pub(crate) contact: Contact,
    pub(crate) password: Secret,
    pub(crate) common: Common,
}

impl SignInWithPasswordCredentials {
    /// With an email address.
    pub fn email(email: impl Into<String>, password: impl Into<String>) -> Self {
        SignInWithPasswordCredentials {
            contact: Contact::Email(email.into()),
            password: Secret::new(password.into()),
            common: Common::default(),
        }
    }

    /// With a phone number.
    pub fn phone(phone: impl Into<String>, password: impl Into<String>) -> Self {
        SignInWithPasswordCredentials {
            contact: Contact::Phone(phone.into()),
            password: Secret::new(password.into()),
            common: Common::default(),
        }
    }
}
common_options!(SignInWithPasswordCredentials; captcha_token);

/// `sign_in_anonymously` options.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "super::json::AnonymousJson")]
#[must_use]
pub struct SignInAnonymouslyCredentials {
    pub(crate) common: Common,
}

impl SignInAnonymouslyCredentials {
    /// No metadata, no captcha.
    pub fn new() -> Self {
        Self::default()
    }
}
common_options!(SignInAnonymouslyCredentials; data, captcha_token);

/// `sign_in_with_id_token` credentials: an OIDC ID token from a provider (Google, Apple, …).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "super::json::IdTokenJson")]
#[must_use]
pub struct SignInWithIdTokenCredentials {
    pub(crate) provider: String,
    pub(crate) token: Secret,
    pub(crate) access_token: Option<Secret>,
    pub(crate) nonce: Option<Secret>,
    pub(crate) common: Common,
}

impl SignInWithIdTokenCredentials {
    /// The provider (`google`, `apple`, `azure`, `facebook`, `kakao`, …) and its ID token.
    pub fn new(provider: impl Into<String>, token: impl Into<String>) -> Self {
        SignInWithIdTokenCredentials {
            provider: provider.into(),
            token: Secret::new(token.into()),
            access_token: None,
            nonce: None,
            common: Common::default(),
        }
    }

    /// The provider's access token, when the ID token has an `at_hash` claim.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(Secret::new(token.into()));
        self
    }

    /// The nonce the ID token was requested with.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(Secret::new(nonce.into()));
        self
    }
}
common_options!(SignInWithIdTokenCredentials; captcha_token);

/// `sign_in_with_otp` credentials: a magic link or code by email, or a code by SMS / WhatsApp.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "super::json::OtpJson")]
#[must_use]
pub struct SignInWithOtpCredentials {
    pub(crate) contact: Contact,
    pub(crate) should_create_user: bool,
    pub(crate) common: Common,
}

impl SignInWithOtpCredentials {
    /// A magic link / code sent to an email address.
    pub fn email(email: impl Into<String>) -> Self {
        Self::new(Contact::Email(email.into()))
    }

    /// A code sent to a phone number.
    pub fn phone(phone: impl Into<String>) -> Self {
        Self::new(Contact::Phone(phone.into()))
    }

    fn new(contact: Contact) -> Self {
        SignInWithOtpCredentials {
            contact,
            should_create_user: true,
            common: Common::default(),
        }
    }

    /// Whether an unknown address signs up a new user (default true).
    pub fn should_create_user(mut self, yes: bool) -> Self {
        self.should_create_user = yes;
        self
    }
}
common_options!(SignInWithOtpCredentials; data, email_redirect_to, captcha_token, channel);

/// An OAuth sign-in (`sign_in_with_oauth`, `link_identity`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "super::json::OAuthJson")]
#[must_use]
pub struct SignInWithOAuthCredentials {
    pub(crate) provider: String,
    pub(crate) scopes: Option<String>,
    pub(crate) query_params: Vec<(String, String)>,
    pub(crate) common: Common,
}

impl SignInWithOAuthCredentials {
    /// The provider: `github`, `google`, `apple`, …
    pub fn new(provider: impl Into<String>) -> Self {
        SignInWithOAuthCredentials {
            provider: provider.into(),
            scopes: None,
            query_params: Vec::new(),
            common: Common::default(),
        }
    }

    /// Space-separated scopes to ask the provider for (`options.scopes`).
    pub fn scopes(mut self, scopes: impl Into<String>) -> Self {
        self.scopes = Some(scopes.into());
        self
    }

    /// Extra query parameters for the provider (`options.query_params`).
    pub fn query_params<K: Into<String>, V: Into<String>>(
        mut self,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.query_params
            .extend(params.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }
}
common_options!(SignInWithOAuthCredentials; redirect_to);

/// `sign_in_with_sso` credentials: the company's email domain or the SSO provider's id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "super::json::SsoJson")]
#[must_use]
pub struct SignInWithSsoCredentials {
    pub(crate) domain: Option<String>,
    pub(crate) provider_id: Option<String>,
    pub(crate) common: Common,
}

impl SignInWithSsoCredentials {
    /// By email domain (`company.com`).
    pub fn domain(domain: impl Into<String>) -> Self {
        SignInWithSsoCredentials {
            domain: Some(domain.into()),
            provider_id: None,
            common: Common::default(),
        }
    }

    /// By SSO provider id (a UUID).
    pub fn provider_id(id: impl Into<String>) -> Self {
        SignInWithSsoCredentials {
            domain: None,
            provider_id: Some(id.into()),
            common: Common::default(),
        }
    }
}
common_options!(SignInWithSsoCredentials; redirect_to, captcha_token);

/// The type of an OTP being verified or resent (GoTrue `internal/api/verify.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpType {
    /// Sign-up confirmation by email.
    Signup,
    /// An invite.
    Invite,
    /// A magic link.
    Magiclink,
    /// A password recovery.
    Recovery,
    /// An email change.
    EmailChange,
    /// An email OTP (sign-in code).
    Email,
    /// An SMS OTP (sign-in or sign-up confirmation by phone).
    Sms,
    /// A phone change.
    PhoneChange,
}

impl OtpType {
    /// GoTrue's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OtpType::Signup => "signup",
            OtpType::Invite => "invite",
            OtpType::Magiclink => "magiclink",
            OtpType::Recovery => "recovery",
            OtpType::EmailChange => "email_change",
            OtpType::Email => "email",
            OtpType::Sms => "sms",
            OtpType::PhoneChange => "phone_change",
        }
    }
}

/// `verify_otp` parameters: the code sent to an email or phone, or the token hash of a link.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "super::json::VerifyOtpJson")]
#[must_use]
pub struct VerifyOtpParams {
    pub(crate) contact: Option<Contact>,
    pub(crate) token: Option<Secret>,
    pub(crate) token_hash: Option<Secret>,
    pub(crate) kind: OtpType,
    pub(crate) common: Common,
}

impl VerifyOtpParams {
    /// A code sent to an email (`type` is `email`, `signup`, `magiclink`, `recovery`, `invite`
    /// or `email_change`).
    pub fn email(email: impl Into<String>, token: impl Into<String>, kind: OtpType) -> Self {
        VerifyOtpParams {
            contact: Some(Contact::Email(email.into())),
            token: Some(Secret::new(token.into())),
            token_hash: None,
            kind,
            common: Common::default(),
        }
    }

    /// A code sent to a phone (`type` is `sms` or `phone_change`).
    pub fn phone(phone: impl Into<String>, token: impl Into<String>, kind: OtpType) -> Self {
        VerifyOtpParams {
            contact: Some(Contact::Phone(phone.into())),
            token: Some(Secret::new(token.into())),
            token_hash: None,
            kind,
            common: Common::default(),
        }
    }

    /// The token hash of an email link (`token_hash` in the link).
    pub fn token_hash(token_hash: impl Into<String>, kind: OtpType) -> Self {
        VerifyOtpParams {
            contact: None,
            token: None,
            token_hash: Some(Secret::new(token_hash.into())),
            kind,
            common: Common::default(),
        }
    }
}
common_options!(VerifyOtpParams; redirect_to, captcha_token);

/// `resend` parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "super::json::ResendJson")]
#[must_use]
pub struct ResendCredentials {
    pub(crate) contact: Contact,
    pub(crate) kind: OtpType,
    pub(crate) common: Common,
}

impl ResendCredentials {
    /// Resend an email (`signup` or `email_change`).
    pub fn email(kind: OtpType, email: impl Into<String>) -> Self {
        ResendCredentials {
            contact: Contact::Email(email.into()),
            kind,
            common: Common::default(),
        }
    }

    /// Resend a phone code (`sms` or `phone_change`).
    pub fn phone(kind: OtpType, phone: impl Into<String>) -> Self {
        ResendCredentials {
            contact: Contact::Phone(phone.into()),
            kind,
            common: Common::default(),
        }
    }
}
common_options!(ResendCredentials; email_redirect_to, captcha_token);

/// `exchange_code_for_session_with` parameters (auth-py `CodeExchangeParams`): the `code` of a
/// PKCE redirect, and optionally the code verifier and a `redirect_to`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "super::json::CodeExchangeJson")]
#[must_use]
pub struct CodeExchangeParams {
    pub(crate) auth_code: Secret,
    pub(crate) code_verifier: Option<Secret>,
    pub(crate) redirect_to: Option<String>,
}

impl CodeExchangeParams {
    /// The `code` of the redirect; the verifier is read from this client's session store.
    pub fn new(auth_code: impl Into<String>) -> Self {
        CodeExchangeParams {
            auth_code: Secret::new(auth_code.into()),
            code_verifier: None,
            redirect_to: None,
        }
    }

    /// The code verifier of the flow, for when another client started it (a server that kept
    /// the verifier in a cookie, say). It is the value the starting client stored under
    /// `<storage_key>-code-verifier`; a recovery flow's value ends in `/recovery` (auth-js
    /// 2.108's mark; older auth-js and auth-py wrote `/PASSWORD_RECOVERY`, read too), which is
    /// not sent, and then the exchange emits `PASSWORD_RECOVERY`.
    pub fn code_verifier(mut self, verifier: impl Into<String>) -> Self {
        self.code_verifier = Some(Secret::new(verifier.into()));
        self
    }

    /// Sent as `redirect_to` in the query string, as auth-py does.
    pub fn redirect_to(mut self, url: impl Into<String>) -> Self {
        self.redirect_to = Some(url.into());
        self
    }
}

/// `reset_password_for_email` options.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "super::json::RedirectOptions")]
#[must_use]
pub struct ResetPasswordOptions {
    pub(crate) common: Common,
}

impl ResetPasswordOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }
}
common_options!(ResetPasswordOptions; redirect_to, captcha_token);

/// `update_user` attributes: only the ones set are sent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "super::json::UserAttributesJson")]
#[must_use]
pub struct UserAttributes {
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) password: Option<Secret>,
    pub(crate) nonce: Option<Secret>,
    pub(crate) data: Option<Map<String, Value>>,
    pub(crate) email_redirect_to: Option<String>,
}

impl UserAttributes {
    /// Nothing changed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new email address (confirmed through a link sent to it).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// A new phone number (confirmed through an SMS code).
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// A new password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Secret::new(password.into()));
        self
    }

    /// The reauthentication nonce (`reauthenticate`), when the project requires one to change
    /// the password.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(Secret::new(nonce.into()));
        self
    }

    /// New `user_metadata` (merged by the server). Must be a JSON object.
    pub fn data(mut self, data: Value) -> Self {
        if let Value::Object(map) = data {
            self.data = Some(map);
        }
        self
    }

    /// Where the email-change link sends the user.
    pub fn email_redirect_to(mut self, url: impl Into<String>) -> Self {
        self.email_redirect_to = Some(url.into());
        self
    }
}

/// The scope of `sign_out`. Deserializes from the scope's name (`"local"`) or from auth-py's
/// options dict (`{"scope": "local"}`; `{}` is `global`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(from = "super::json::SignOutJson")]
pub enum SignOutScope {
    /// Every session of the user (default).
    #[default]
    Global,
    /// Only this session.
    Local,
    /// Every session but this one.
    Others,
}

impl SignOutScope {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SignOutScope::Global => "global",
            SignOutScope::Local => "local",
            SignOutScope::Others => "others",
        }
    }
}
