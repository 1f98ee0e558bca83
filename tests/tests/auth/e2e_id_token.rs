//! `sign_in_with_id_token` end to end: a stack trusting a local OIDC provider as GoTrue's
//! `keycloak` provider (issuer URL and client id from the configuration). The provider is a small
//! server here publishing a discovery document and the JWKS of an ES256 key; the stand-in
//! verifies the ID tokens against them (signature, issuer, expiry, audience, nonce), then creates,
//! finds or links the user by GoTrue's automatic linking rules. The same provider serves
//! Keycloak's OAuth endpoints for `e2e_oauth`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::Digest as _;
use supabase_core::auth::{
    AdminUserAttributes, AuthChangeEvent, AuthError, ErrorCode, GetClaimsOptions,
    SignInWithIdTokenCredentials, SignInWithPasswordCredentials,
};
use supabase_core::{Client, ClientOptions, Error};
use supabase_local::{AuthConfig, MessageKind, OidcProvider, Stack};
use tokio::sync::OnceCell;

use crate::{email, service_on};

pub(crate) const CLIENT_ID: &str = "local-app";
/// The OAuth client secret the stack holds for the provider.
pub(crate) const CLIENT_SECRET: &str = "local-app-secret";

/// The OIDC provider: its issuer URL and signing key.
pub(crate) struct Idp {
    pub(crate) issuer: String,
    key: rcgen::KeyPair,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The provider's OAuth state: codes it handed out and the access tokens it issued.
#[derive(Default)]
struct OAuthState {
    /// code → (email of the signed-in user, redirect_uri of the authorize request).
    codes: HashMap<String, (String, String)>,
    /// access token → email.
    tokens: HashMap<String, String>,
    issued: u64,
}

type Shared = Arc<Mutex<OAuthState>>;

/// The provider's user for `email`: subject `kc-<email>`, the email verified unless it starts
/// with `unverified-`.
pub(crate) fn provider_subject(email: &str) -> String {
    format!("kc-{email}")
}

/// `GET <realm>/protocol/openid-connect/auth`: approves at once, signing in the user named by
/// `login_hint` (which GoTrue passes through from the client's `query_params`); the hint `deny`
/// refuses, as a user cancelling the consent screen does.
async fn authorize(
    Query(q): Query<HashMap<String, String>>,
    State(shared): State<Shared>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID || get("response_type") != "code" {
        return (axum::http::StatusCode::BAD_REQUEST, "unknown client").into_response();
    }
    let redirect_uri = get("redirect_uri");
    let mut to = url::Url::parse(&redirect_uri).unwrap();
    if get("login_hint") == "deny" {
        to.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", "The user denied access")
            .append_pair("state", &get("state"));
    } else {
        let code = {
            let mut s = shared.lock().unwrap();
            s.issued += 1;
            let code = format!("code-{}-{}", std::process::id(), s.issued);
            s.codes
                .insert(code.clone(), (get("login_hint"), redirect_uri));
            code
        };
        to.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &get("state"));
    }
    // Keycloak answers 302 Found.
    (
        axum::http::StatusCode::FOUND,
        [(axum::http::header::LOCATION, to.to_string())],
    )
        .into_response()
}

/// `POST <realm>/protocol/openid-connect/token`: the authorization-code grant, the client
/// authenticated with HTTP Basic; a code is used once and only with its `redirect_uri`.
async fn token(
    State(shared): State<Shared>,
    headers: axum::http::HeaderMap,
    body: String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let refuse = |error: &str| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": error})),
        )
            .into_response()
    };
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return refuse("invalid_client");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse("unsupported_grant_type");
    }
    let mut s = shared.lock().unwrap();
    let Some((email, redirect_uri)) = form.get("code").and_then(|c| s.codes.remove(c)) else {
        return refuse("invalid_grant");
    };
    if form.get("redirect_uri") != Some(&redirect_uri) {
        return refuse("invalid_grant");
    }
    s.issued += 1;
    let access = format!("kc-at-{}", s.issued);
    s.tokens.insert(access.clone(), email);
    axum::Json(json!({
        "access_token": access,
        "refresh_token": format!("kc-rt-{}", s.issued),
        "token_type": "Bearer",
        "expires_in": 300,
    }))
    .into_response()
}

/// `GET <realm>/protocol/openid-connect/userinfo` with the access token.
async fn userinfo(
    State(shared): State<Shared>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let email = shared.lock().unwrap().tokens.get(token).cloned();
    match email {
        Some(email) => axum::Json(json!({
            "sub": provider_subject(&email),
            "email": email,
            "email_verified": !email.starts_with("unverified-"),
            "name": format!("Keycloak {email}"),
        }))
        .into_response(),
        None => axum::http::StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// Serves `/.well-known/openid-configuration` and `/jwks` for `key`, and Keycloak's OAuth
/// endpoints (`/protocol/openid-connect/{auth,token,userinfo}`) on its own thread (so it
/// outlives each test's runtime); returns the issuer URL.
fn serve(key: &rcgen::KeyPair) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    // SEC1 uncompressed point: 0x04 || x || y.
    let point = key.public_key_raw().to_vec();
    let jwks = json!({"keys": [{
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "idp-key",
        "x": b64(&point[1..33]), "y": b64(&point[33..65]),
    }]});
    let discovery = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
        "userinfo_endpoint": format!("{issuer}/protocol/openid-connect/userinfo"),
        "id_token_signing_alg_values_supported": ["ES256"],
    });
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || async move { axum::Json(discovery) }),
        )
        .route(
            "/jwks",
            axum::routing::get(move || async move { axum::Json(jwks) }),
        )
        .route(
            "/protocol/openid-connect/auth",
            axum::routing::get(authorize),
        )
        .route("/protocol/openid-connect/token", axum::routing::post(token))
        .route(
            "/protocol/openid-connect/userinfo",
            axum::routing::get(userinfo),
        )
        .with_state(Shared::default());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    issuer
}

pub(crate) async fn idp() -> &'static Idp {
    static IDP: OnceCell<Idp> = OnceCell::const_new();
    IDP.get_or_init(|| async {
        let key = rcgen::KeyPair::generate().unwrap();
        Idp {
            issuer: serve(&key),
            key,
        }
    })
    .await
}

/// A stack (email confirmations and manual linking on) trusting [`idp`] as its Keycloak
/// provider, for ID tokens and for the OAuth flow (with the client secret).
pub(crate) async fn stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| async {
            let mut config = AuthConfig::default();
            config.email_confirmations = true;
            config.manual_linking = true;
            config.keycloak =
                Some(OidcProvider::new(&idp().await.issuer, CLIENT_ID).secret(CLIENT_SECRET));
            crate::start_with(|builder| builder.auth_config(config)).await
        })
        .await
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Signs `claims` with `key` (ES256, kid `idp-key`).
fn sign_with(key: &rcgen::KeyPair, claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("idp-key".into());
    let key = jsonwebtoken::EncodingKey::from_ec_der(&key.serialize_der());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// An ID token from the provider for `sub`, with `extra` claims merged in.
async fn id_token(sub: &str, extra: Value) -> String {
    let idp = idp().await;
    let mut claims = json!({
        "iss": idp.issuer, "sub": sub, "aud": CLIENT_ID,
        "iat": now(), "exp": now() + 300,
    });
    if let (Some(c), Value::Object(extra)) = (claims.as_object_mut(), extra) {
        c.extend(extra);
    }
    sign_with(&idp.key, &claims)
}

/// A fresh anon client (its own session) of this file's stack.
pub(crate) async fn client() -> Client {
    let s = stack().await;
    Client::new(s.url(), s.anon_key(), ClientOptions::default()).unwrap()
}

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The status and message of a GoTrue error.
fn api_error(err: &Error) -> (u16, &str) {
    match err {
        Error::Auth(AuthError::Api {
            status, message, ..
        }) => (status.as_u16(), message.as_str()),
        other => panic!("not an API error: {other:?}"),
    }
}

#[tokio::test]
async fn a_verified_id_token_signs_up_then_signs_in_the_same_user() {
    let c = client().await;
    let address = email("oidc-new");
    let sub = format!("kc-{address}");
    let token = id_token(
        &sub,
        json!({"email": address, "email_verified": true, "name": "Ada", "nonce": sha256_hex("n-123")}),
    )
    .await;
    let res = c
        .auth()
        .sign_in_with_id_token(SignInWithIdTokenCredentials::new("keycloak", token).nonce("n-123"))
        .await
        .unwrap();
    let session = res.session.expect("signed in");
    let user = &session.user;
    assert_eq!(user.email.as_deref(), Some(address.as_str()));
    assert!(
        user.email_confirmed_at.is_some(),
        "verified by the provider"
    );
    assert_eq!(user.app_metadata["provider"], "keycloak");
    assert_eq!(user.user_metadata["name"], "Ada");
    let identities = user.identities.clone().unwrap_or_default();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].provider, "keycloak");
    assert_eq!(identities[0].id, sub);
    let claims = c
        .auth()
        .get_claims(None, GetClaimsOptions::new())
        .await
        .unwrap()
        .claims;
    assert_eq!(claims["amr"][0]["method"], "oauth");
    c.table("todos")
        .insert(json!({"task": "from keycloak"}))
        .await
        .unwrap();

    // The same subject again (no nonce on either side): the same user.
    let again = client()
        .await
        .auth()
        .sign_in_with_id_token(SignInWithIdTokenCredentials::new(
            "keycloak",
            id_token(&sub, json!({"email": address, "email_verified": true})).await,
        ))
        .await
        .unwrap();
    assert_eq!(again.user.unwrap().id, user.id);
}

#[tokio::test]
async fn a_verified_email_links_to_the_existing_user() {
    let s = stack().await;
    let address = email("oidc-link");
    let admin = service_on(s);
    let existing = admin
        .auth()
        .admin()
        .create_user(
            AdminUserAttributes::new()
                .email(&address)
                .password("link password")
                .email_confirm(true),
        )
        .await
        .unwrap();
    let token = id_token(
        &format!("kc-{address}"),
        json!({"email": address.to_uppercase(), "email_verified": true}),
    )
    .await;
    let c = client().await;
    let res = c
        .auth()
        .sign_in_with_id_token(SignInWithIdTokenCredentials::new("keycloak", token))
        .await
        .unwrap();
    let user = res.user.unwrap();
    assert_eq!(user.id, existing.id);
    let mut providers: Vec<String> = user
        .identities
        .iter()
        .flatten()
        .map(|i| i.provider.clone())
        .collect();
    providers.sort();
    assert_eq!(providers, ["email", "keycloak"]);
    // The password still works: the account was confirmed, nothing was removed.
    client()
        .await
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "link password",
        ))
        .await
        .unwrap();

    // Unlinking the email identity (`DeleteIdentity`): the Keycloak identity has the same
    // email, so the user keeps it (`UpdateUserEmailFromIdentities`).
    let email_identity = user
        .identities
        .iter()
        .flatten()
        .find(|i| i.provider == "email")
        .unwrap()
        .clone();
    c.auth().unlink_identity(&email_identity).await.unwrap();
    let after = c.auth().get_user().await.unwrap();
    assert_eq!(after.email.as_deref(), Some(address.as_str()));
    assert!(after.email_confirmed_at.is_some());
    assert_eq!(after.app_metadata["providers"], json!(["keycloak"]));
    let identities = c.auth().get_user_identities().await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].provider, "keycloak");
}

/// A confirmed password user (password `manual link password`) signed in on a client of this
/// stack, the address, and its events subscribed after `INITIAL_SESSION`.
pub(crate) async fn password_user(tag: &str) -> (Client, String, EventStream) {
    use futures_util::StreamExt;
    let address = email(tag);
    service_on(stack().await)
        .auth()
        .admin()
        .create_user(
            AdminUserAttributes::new()
                .email(&address)
                .password("manual link password")
                .email_confirm(true),
        )
        .await
        .unwrap();
    let c = client().await;
    c.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "manual link password",
        ))
        .await
        .unwrap();
    let mut events = c.auth().auth_state_changes().await;
    assert_eq!(
        events.next().await.unwrap().event,
        AuthChangeEvent::InitialSession
    );
    (c, address, events)
}

pub(crate) type EventStream =
    futures_util::stream::BoxStream<'static, supabase_core::auth::AuthEvent>;

#[tokio::test]
async fn an_id_token_links_its_identity_to_the_signed_in_user() {
    use futures_util::StreamExt;
    let (c, address, mut events) = password_user("oidc-manual-link").await;
    let before = c.auth().get_session().await.unwrap().unwrap();
    // The provider's account has another email: automatic linking would make a new user.
    let elsewhere = email("oidc-manual-elsewhere");
    let sub = provider_subject(&elsewhere);
    let token = || id_token(&sub, json!({"email": elsewhere, "email_verified": true}));
    let res = c
        .auth()
        .link_identity_with_id_token(SignInWithIdTokenCredentials::new("keycloak", token().await))
        .await
        .unwrap();
    let user = res.user.unwrap();
    assert_eq!(user.id, before.user.id);
    assert_eq!(
        user.email.as_deref(),
        Some(address.as_str()),
        "keeps its email"
    );
    let mut providers: Vec<&str> = user
        .identities
        .iter()
        .flatten()
        .map(|i| i.provider.as_str())
        .collect();
    providers.sort();
    assert_eq!(providers, ["email", "keycloak"]);
    // The server's new session replaced the stored one, and the change was announced.
    let session = c.auth().get_session().await.unwrap().unwrap();
    assert_ne!(session.access_token.expose(), before.access_token.expose());
    assert_eq!(session.user.identities.as_ref().map(Vec::len), Some(2));
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.event, AuthChangeEvent::UserUpdated);
    assert_eq!(
        c.auth().get_user_identities().await.unwrap().len(),
        2,
        "the server has both"
    );

    // The ID token now signs in that user.
    let signed_in = client()
        .await
        .auth()
        .sign_in_with_id_token(SignInWithIdTokenCredentials::new("keycloak", token().await))
        .await
        .unwrap();
    assert_eq!(signed_in.user.unwrap().id, user.id);

    // Linked already: to this user, then for another one.
    let again = c
        .auth()
        .link_identity_with_id_token(SignInWithIdTokenCredentials::new("keycloak", token().await))
        .await
        .unwrap_err();
    assert_eq!(api_error(&again), (422, "Identity is already linked"));
    let (other, _, _) = password_user("oidc-manual-other").await;
    let taken = other
        .auth()
        .link_identity_with_id_token(SignInWithIdTokenCredentials::new("keycloak", token().await))
        .await
        .unwrap_err();
    assert_eq!(
        api_error(&taken),
        (422, "Identity is already linked to another user")
    );
    assert!(
        matches!(&taken, Error::Auth(e) if e.code() == Some(&ErrorCode::IdentityAlreadyExists)),
        "{taken:?}"
    );

    // Signed out: no session to link to. The server itself refuses a link without a user's
    // token.
    let nobody = client().await;
    let missing = nobody
        .auth()
        .link_identity_with_id_token(SignInWithIdTokenCredentials::new("keycloak", token().await))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::Auth(AuthError::SessionMissing)),
        "{missing:?}"
    );
    let s = stack().await;
    let raw = reqwest::Client::new()
        .post(format!("{}/auth/v1/token?grant_type=id_token", s.url()))
        .header("apikey", s.anon_key())
        .json(&json!({"provider": "keycloak", "id_token": token().await, "link_identity": true}))
        .send()
        .await
        .unwrap();
    // The key stands in for the missing `Authorization`, as supabase-js sends it; it has no
    // user.
    let status = raw.status();
    let body: Value = raw.json().await.unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["msg"], "invalid claim: missing sub claim");
}

#[tokio::test]
async fn an_unverified_email_needs_confirmation() {
    let s = stack().await;
    let address = email("oidc-unverified");
    let token = id_token(
        &format!("kc-{address}"),
        json!({"email": address, "email_verified": false}),
    )
    .await;
    let c = client().await;
    let err = c
        .auth()
        .sign_in_with_id_token(SignInWithIdTokenCredentials::new("keycloak", token))
        .await
        .unwrap_err();
    assert_eq!(
        api_error(&err),
        (
            422,
            "Unverified email with keycloak. A confirmation email has been sent to your keycloak email"
        )
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422), "{err:?}");
    assert!(
        matches!(&err, Error::Auth(e) if e.code() == Some(&ErrorCode::ProviderEmailNeedsVerification)),
        "{err:?}"
    );
    let mail = s.mailbox().latest(&address).expect("a confirmation email");
    assert_eq!(mail.kind, MessageKind::Confirmation);
    assert!(c.auth().get_session().await.unwrap().is_none());
}

#[tokio::test]
async fn bad_id_tokens_are_refused() {
    let idp = idp().await;
    let c = client().await;
    let sub = format!("kc-{}", email("oidc-bad"));
    let base = json!({
        "iss": idp.issuer, "sub": sub, "aud": CLIENT_ID, "iat": now(), "exp": now() + 300,
        "email": email("oidc-bad"), "email_verified": true,
    });
    let with = |changes: Value| {
        let mut claims = base.clone();
        if let (Some(c), Value::Object(changes)) = (claims.as_object_mut(), changes) {
            c.extend(changes);
        }
        claims
    };
    let other_key = rcgen::KeyPair::generate().unwrap();
    let cases = [
        (sign_with(&other_key, &base), None, "Bad ID token"),
        (
            sign_with(&idp.key, &with(json!({"exp": now() - 10}))),
            None,
            "Bad ID token",
        ),
        (
            sign_with(&idp.key, &with(json!({"iss": "http://127.0.0.1:1"}))),
            None,
            "Bad ID token",
        ),
        (
            sign_with(&idp.key, &with(json!({"aud": "another-app"}))),
            None,
            "Unacceptable audience in id_token",
        ),
        (
            sign_with(&idp.key, &with(json!({"nonce": sha256_hex("right")}))),
            Some("wrong"),
            "Nonces mismatch",
        ),
        (
            sign_with(&idp.key, &with(json!({"nonce": sha256_hex("right")}))),
            None,
            "Passed nonce and nonce in id_token should either both exist or not.",
        ),
        ("not.a.jwt".to_owned(), None, "Bad ID token"),
    ];
    for (token, nonce, message) in cases {
        let mut credentials = SignInWithIdTokenCredentials::new("keycloak", token);
        if let Some(n) = nonce {
            credentials = credentials.nonce(n);
        }
        let err = c
            .auth()
            .sign_in_with_id_token(credentials)
            .await
            .unwrap_err();
        assert_eq!(api_error(&err), (400, message), "{err:?}");
    }
    assert!(c.auth().get_session().await.unwrap().is_none());

    // Other providers are not enabled on this stack.
    let err = c
        .auth()
        .sign_in_with_id_token(SignInWithIdTokenCredentials::new(
            "apple",
            sign_with(&idp.key, &base),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        api_error(&err),
        (
            400,
            "Provider (issuer \"https://appleid.apple.com\") is not enabled"
        )
    );
}
