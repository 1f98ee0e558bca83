//! The auth client against a recording GoTrue double: the wire format of each call, session
//! handling (single-flight refresh, background refresh, events, stores), error mapping and
//! redaction.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use serde_json::json;
use sha2::Digest;
use supabase_core::auth::{
    AuthChangeEvent, AuthError, CodeExchangeParams, ErrorCode, FileStore, FlowType,
    GetClaimsOptions, SignInWithOAuthCredentials, SignInWithOtpCredentials,
    SignInWithPasswordCredentials, SignInWithSsoCredentials, SignOutScope, SignUpCredentials,
};
use supabase_core::{Client, ClientOptions, Error};

use crate::mock::{MOCK_SECRET, MockGoTrue, Reply, access_token, now, session_json, user_json};

const KEY: &str = "eyJhbGciOiJIUzI1NiJ9.anon-key.sig";

pub(crate) fn client(mock: &MockGoTrue, options: ClientOptions) -> Client {
    Client::new(mock.url(), KEY, options).unwrap()
}

/// Sign-in answers session `n` valid for an hour.
fn serve_sign_in(mock: &MockGoTrue) {
    mock.on("POST /auth/v1/token", |r| {
        match r.param("grant_type").as_deref() {
            Some("password") => Reply::ok(session_json(1, 3600, now() + 3600)),
            _ => Reply::status(
                400,
                json!({"code": "validation_failed", "message": "grant"}),
            ),
        }
    });
}

pub(crate) async fn sign_in(c: &Client) {
    c.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            "a@example.com",
            "pw-123456",
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn sign_up_with_email_sends_gotrue_body_and_pkce_challenge() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/signup", |_| Reply::ok(user_json("u1")));
    let c = client(&mock, ClientOptions::default());
    let res = c
        .auth()
        .sign_up(
            SignUpCredentials::email("new@example.com", "s3cret-pass")
                .data(json!({"first_name": "John", "age": 27}))
                .email_redirect_to("https://example.com/welcome")
                .captcha_token("cap"),
        )
        .await
        .unwrap();
    assert!(res.session.is_none(), "confirmation pending: no session");
    assert_eq!(res.user.unwrap().id, "u1");
    let r = mock.last("POST /auth/v1/signup");
    assert_eq!(r.body["email"], "new@example.com");
    assert_eq!(r.body["password"], "s3cret-pass");
    assert_eq!(r.body["data"], json!({"first_name": "John", "age": 27}));
    assert_eq!(
        r.body["gotrue_meta_security"],
        json!({"captcha_token": "cap"})
    );
    assert_eq!(r.body["code_challenge_method"], "s256");
    assert!(r.body["code_challenge"].as_str().unwrap().len() >= 43);
    assert_eq!(
        r.param("redirect_to").as_deref(),
        Some("https://example.com/welcome")
    );
    assert_eq!(r.apikey.as_deref(), Some(KEY));
    assert_eq!(r.authorization, Some(format!("Bearer {KEY}")));
    assert_eq!(r.api_version.as_deref(), Some("2024-01-01"));
}

#[tokio::test]
async fn sign_in_anonymously_sends_the_captcha_token_and_metadata() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/signup", |_| {
        Reply::ok(session_json(1, 3600, now() + 3600))
    });
    let c = client(&mock, ClientOptions::default());
    // The reference's dict.
    let credentials: supabase_core::auth::SignInAnonymouslyCredentials =
        serde_json::from_value(json!({"options": {"captcha_token": "cap", "data": {"a": 1}}}))
            .unwrap();
    let res = c.auth().sign_in_anonymously(credentials).await.unwrap();
    assert!(res.session.is_some());
    let r = mock.last("POST /auth/v1/signup");
    assert_eq!(
        r.body,
        json!({"data": {"a": 1}, "gotrue_meta_security": {"captcha_token": "cap"}})
    );
}

#[tokio::test]
async fn sign_up_with_phone_uses_the_channel_and_no_pkce() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/signup", |_| Reply::ok(user_json("u2")));
    let c = client(&mock, ClientOptions::default());
    c.auth()
        .sign_up(
            SignUpCredentials::phone("123456789", "password")
                .channel(supabase_core::auth::Channel::Whatsapp),
        )
        .await
        .unwrap();
    let r = mock.last("POST /auth/v1/signup");
    assert_eq!(r.body["phone"], "123456789");
    assert_eq!(r.body["channel"], "whatsapp");
    assert!(r.body.get("code_challenge").is_none());
}

#[tokio::test]
async fn the_session_token_goes_to_every_service_and_sign_out_restores_the_key() {
    let mock = MockGoTrue::start().await;
    serve_sign_in(&mock);
    mock.on("GET /rest/v1/todos", |_| Reply::ok(json!([])));
    mock.on("POST /auth/v1/logout", |_| Reply::status(204, json!(null)));
    let c = client(&mock, ClientOptions::default());
    let events = Arc::new(Mutex::new(Vec::new()));
    let sub = c
        .auth()
        .on_auth_state_change({
            let events = Arc::clone(&events);
            move |e, s| events.lock().unwrap().push((e, s.is_some()))
        })
        .await;

    sign_in(&c).await;
    let session = c.auth().get_session().await.unwrap().expect("signed in");
    let r = mock.last("POST /auth/v1/token");
    assert_eq!(
        r.body,
        json!({"email": "a@example.com", "password": "pw-123456", "gotrue_meta_security": {}})
    );

    c.table("todos").select("*").await.unwrap();
    let rest = mock.last("GET /rest/v1/todos");
    assert_eq!(
        rest.authorization,
        Some(format!("Bearer {}", session.access_token.expose()))
    );
    assert_eq!(rest.apikey.as_deref(), Some(KEY));

    c.auth().sign_out().await.unwrap();
    let logout = mock.last("POST /auth/v1/logout");
    assert_eq!(logout.param("scope").as_deref(), Some("global"));
    assert_eq!(
        logout.authorization,
        Some(format!("Bearer {}", session.access_token.expose()))
    );
    assert!(c.auth().get_session().await.unwrap().is_none());
    c.table("todos").select("*").await.unwrap();
    assert_eq!(
        mock.last("GET /rest/v1/todos").authorization,
        Some(format!("Bearer {KEY}"))
    );

    sub.unsubscribe();
    sign_in(&c).await;
    assert_eq!(
        *events.lock().unwrap(),
        [
            (AuthChangeEvent::InitialSession, false),
            (AuthChangeEvent::SignedIn, true),
            (AuthChangeEvent::SignedOut, false),
        ]
    );
}

#[tokio::test]
async fn sign_out_others_keeps_the_local_session() {
    let mock = MockGoTrue::start().await;
    serve_sign_in(&mock);
    mock.on("POST /auth/v1/logout", |_| Reply::status(204, json!(null)));
    let c = client(&mock, ClientOptions::default());
    sign_in(&c).await;
    c.auth().sign_out_with(SignOutScope::Others).await.unwrap();
    assert_eq!(
        mock.last("POST /auth/v1/logout").param("scope").as_deref(),
        Some("others")
    );
    assert!(c.auth().get_session().await.unwrap().is_some());
    // A session the server no longer knows (404) is still removed locally.
    mock.on("POST /auth/v1/logout", |_| {
        Reply::status(404, json!({"code": "session_not_found", "message": "gone"}))
    });
    c.auth().sign_out_with(SignOutScope::Local).await.unwrap();
    assert!(c.auth().get_session().await.unwrap().is_none());
}

/// 100 callers find the token expired at once: exactly one refresh request, and every caller
/// gets the new session.
#[tokio::test]
async fn concurrent_callers_share_one_refresh_request() {
    let mock = MockGoTrue::start().await;
    let refreshes = Arc::new(AtomicU32::new(0));
    mock.on("POST /auth/v1/token", {
        let refreshes = Arc::clone(&refreshes);
        move |r| match r.param("grant_type").as_deref() {
            // Already expired when handed out.
            Some("password") => Reply::ok(session_json(1, 3600, now() - 10)),
            Some("refresh_token") => {
                assert_eq!(r.body["refresh_token"], "refresh-1");
                let n = refreshes.fetch_add(1, Ordering::SeqCst) + 2;
                Reply::ok(session_json(n, 3600, now() + 3600)).after(Duration::from_millis(200))
            }
            _ => Reply::status(400, json!({})),
        }
    });
    let c = client(&mock, ClientOptions::default().auto_refresh_token(false));
    sign_in(&c).await;
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let auth = c.auth();
            tokio::spawn(async move { auth.get_session().await })
        })
        .collect();
    for t in tasks {
        let s = t.await.unwrap().unwrap().unwrap();
        assert_eq!(s.refresh_token.expose(), "refresh-2");
    }
    assert_eq!(
        mock.requests_to("POST /auth/v1/token").len(),
        2,
        "sign-in + one refresh"
    );
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_refresh_token_signs_out_with_the_gotrue_code() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/token", |r| match r.param("grant_type").as_deref() {
        Some("password") => Reply::ok(session_json(1, 3600, now() - 10)),
        _ => Reply::status(
            400,
            json!({"code": "refresh_token_not_found", "message": "Invalid Refresh Token: Refresh Token Not Found"}),
        ),
    });
    let c = client(&mock, ClientOptions::default().auto_refresh_token(false));
    // Subscribed first: a subscriber's initial event would refresh the expired session itself.
    let mut events = c.auth().auth_state_changes().await;
    sign_in(&c).await;
    assert_eq!(
        events.next().await.unwrap().event,
        AuthChangeEvent::InitialSession
    );
    assert_eq!(
        events.next().await.unwrap().event,
        AuthChangeEvent::SignedIn
    );
    let err = c.auth().get_session().await.unwrap_err();
    let Error::Auth(auth) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(auth.code(), Some(&ErrorCode::RefreshTokenNotFound));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(
        events.next().await.unwrap().event,
        AuthChangeEvent::SignedOut
    );
    assert!(c.auth().get_session().await.unwrap().is_none());
    assert!(matches!(
        c.auth().get_user().await,
        Err(Error::Auth(AuthError::SessionMissing))
    ));
}

#[tokio::test]
async fn wrong_password_is_a_typed_error() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/token", |_| {
        Reply::status(
            400,
            json!({"code": "invalid_credentials", "message": "Invalid login credentials"}),
        )
    });
    let c = client(&mock, ClientOptions::default());
    let err = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone("+13334445555", "nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Auth(AuthError::Api {
                code: Some(ErrorCode::InvalidCredentials),
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(
        mock.last("POST /auth/v1/token").body["phone"],
        "+13334445555"
    );
}

/// The background task refreshes ahead of expiry and stops when the client is dropped.
#[tokio::test]
async fn background_refresh_runs_ahead_of_expiry_and_stops_with_the_client() {
    let mock = MockGoTrue::start().await;
    let n = Arc::new(AtomicU32::new(1));
    mock.on("POST /auth/v1/token", {
        let n = Arc::clone(&n);
        // Two-second tokens: refreshed a second before they expire.
        move |_| Reply::ok(session_json(n.fetch_add(1, Ordering::SeqCst), 2, now() + 2))
    });
    let c = client(&mock, ClientOptions::default());
    let mut events = c.auth().auth_state_changes().await;
    sign_in(&c).await;
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let e = tokio::time::timeout(Duration::from_secs(20), events.next())
            .await
            .expect("no auth event within 20 s")
            .unwrap();
        seen.push(e.event);
    }
    assert_eq!(
        seen,
        [
            AuthChangeEvent::InitialSession,
            AuthChangeEvent::SignedIn,
            AuthChangeEvent::TokenRefreshed,
            AuthChangeEvent::TokenRefreshed
        ]
    );
    let session = c.auth().get_session().await.unwrap().unwrap();
    assert_ne!(session.refresh_token.expose(), "refresh-1");
    drop(events);
    drop(c);
    let count = mock.requests_to("POST /auth/v1/token").len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        mock.requests_to("POST /auth/v1/token").len(),
        count,
        "refreshed after drop"
    );
}

#[tokio::test]
async fn oauth_url_carries_pkce_and_the_exchange_sends_the_stored_verifier() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/token", |r| {
        match r.param("grant_type").as_deref() {
            Some("pkce") => Reply::ok(session_json(7, 3600, now() + 3600)),
            _ => Reply::status(400, json!({})),
        }
    });
    let c = client(&mock, ClientOptions::default());
    let res = c
        .auth()
        .sign_in_with_oauth(
            SignInWithOAuthCredentials::new("github")
                .redirect_to("https://example.com/welcome")
                .scopes("repo gist notifications")
                .query_params([("access_type", "offline")]),
        )
        .await
        .unwrap();
    assert_eq!(res.provider, "github");
    let url = url::Url::parse(&res.url).unwrap();
    assert_eq!(url.path(), "/auth/v1/authorize");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["provider"], "github");
    assert_eq!(q["redirect_to"], "https://example.com/welcome");
    assert_eq!(q["scopes"], "repo gist notifications");
    assert_eq!(q["access_type"], "offline");
    assert_eq!(q["code_challenge_method"], "s256");
    assert!(
        mock.requests().is_empty(),
        "nothing is sent for an OAuth URL"
    );

    let out = c
        .auth()
        .exchange_code_for_session("the-code")
        .await
        .unwrap();
    assert!(out.session.is_some());
    let r = mock.last("POST /auth/v1/token");
    assert_eq!(r.body["auth_code"], "the-code");
    let verifier = r.body["code_verifier"].as_str().unwrap();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(q["code_challenge"], challenge);
    // The verifier is used once.
    assert!(matches!(
        c.auth().exchange_code_for_session("again").await,
        Err(Error::Auth(AuthError::PkceVerifierMissing))
    ));
}

/// A failed exchange keeps the stored verifier, as auth-js and auth-py remove it only after
/// `_request` returned: a 503 on the way can be tried again with the same code.
#[tokio::test]
async fn a_failed_exchange_keeps_the_verifier_for_another_try() {
    let mock = MockGoTrue::start().await;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&calls);
    mock.on("POST /auth/v1/token", move |_| {
        if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::status(503, json!({"message": "upstream unavailable"}))
        } else {
            Reply::ok(session_json(9, 3600, now() + 3600))
        }
    });
    let c = client(&mock, ClientOptions::default());
    c.auth()
        .sign_in_with_oauth(SignInWithOAuthCredentials::new("github"))
        .await
        .unwrap();
    c.auth()
        .exchange_code_for_session("the-code")
        .await
        .unwrap_err();
    let first = mock.last("POST /auth/v1/token").body["code_verifier"].clone();
    let out = c
        .auth()
        .exchange_code_for_session("the-code")
        .await
        .unwrap();
    assert!(out.session.is_some());
    assert_eq!(
        mock.last("POST /auth/v1/token").body["code_verifier"],
        first
    );
    // Used now: gone.
    assert!(matches!(
        c.auth().exchange_code_for_session("again").await,
        Err(Error::Auth(AuthError::PkceVerifierMissing))
    ));
}

/// auth-py `exchange_code_for_session(CodeExchangeParams)`: an explicit verifier goes in the
/// body as is (a recovery mark is stripped and turns the event into `PASSWORD_RECOVERY`),
/// `redirect_to` in the query string, and a verifier this client stored is removed all the same.
#[tokio::test]
async fn exchange_with_an_explicit_verifier_and_redirect() {
    // auth-js 2.108's mark, and the one of older auth-js and auth-py.
    for mark in ["/recovery", "/PASSWORD_RECOVERY"] {
        exchange_with_an_explicit_verifier_marked(mark).await;
    }
}

async fn exchange_with_an_explicit_verifier_marked(mark: &str) {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/token", |_| {
        Reply::ok(session_json(8, 3600, now() + 3600))
    });
    let c = client(&mock, ClientOptions::default());
    c.auth()
        .sign_in_with_oauth(SignInWithOAuthCredentials::new("github"))
        .await
        .unwrap();
    let mut events = c.auth().auth_state_changes().await;
    assert_eq!(
        events.next().await.unwrap().event,
        AuthChangeEvent::InitialSession
    );
    // The reference's dict, under the reference's name.
    let params: CodeExchangeParams = serde_json::from_value(json!({
        "auth_code": "the-code",
        "code_verifier": format!("explicit-verifier{mark}"),
        "redirect_to": "https://example.com/done",
    }))
    .unwrap();
    c.auth().exchange_code_for_session(params).await.unwrap();
    let r = mock.last("POST /auth/v1/token");
    assert_eq!(r.param("grant_type").as_deref(), Some("pkce"));
    assert_eq!(
        r.param("redirect_to").as_deref(),
        Some("https://example.com/done")
    );
    assert_eq!(
        r.body,
        json!({"auth_code": "the-code", "code_verifier": "explicit-verifier"})
    );
    assert_eq!(
        events.next().await.unwrap().event,
        AuthChangeEvent::PasswordRecovery
    );
    // The verifier stored by the OAuth start is gone too.
    assert!(matches!(
        c.auth().exchange_code_for_session("again").await,
        Err(Error::Auth(AuthError::PkceVerifierMissing))
    ));
    // Debug never shows the verifier.
    let params = CodeExchangeParams::new("c").code_verifier("hunter2-verifier");
    assert!(!format!("{params:?}").contains("hunter2"));
}

#[tokio::test]
async fn implicit_flow_sends_no_challenge() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/otp", |_| Reply::ok(json!({})));
    mock.on("POST /auth/v1/sso", |_| {
        Reply::ok(json!({"url": "https://idp.example.com/sso"}))
    });
    let c = client(
        &mock,
        ClientOptions::default().flow_type(FlowType::Implicit),
    );
    c.auth()
        .sign_in_with_otp(
            SignInWithOtpCredentials::email("x@example.com")
                .should_create_user(false)
                .email_redirect_to("https://example.com/welcome"),
        )
        .await
        .unwrap();
    let r = mock.last("POST /auth/v1/otp");
    assert_eq!(r.body["create_user"], false);
    assert!(r.body.get("code_challenge").is_none());
    assert_eq!(
        r.param("redirect_to").as_deref(),
        Some("https://example.com/welcome")
    );
    let sso = c
        .auth()
        .sign_in_with_sso(SignInWithSsoCredentials::domain("company.com"))
        .await
        .unwrap();
    assert_eq!(sso.url, "https://idp.example.com/sso");
    let r = mock.last("POST /auth/v1/sso");
    assert_eq!(r.body["domain"], "company.com");
    assert_eq!(r.body["skip_http_redirect"], true);
}

#[tokio::test]
async fn a_file_store_carries_the_session_to_a_new_client() {
    let mock = MockGoTrue::start().await;
    serve_sign_in(&mock);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    let options = || ClientOptions::default().session_store(FileStore::new(&path));
    let first = client(&mock, options());
    sign_in(&first).await;
    let token = first
        .auth()
        .get_session()
        .await
        .unwrap()
        .unwrap()
        .access_token;
    drop(first);

    let second = client(&mock, options());
    let mut events = second.auth().auth_state_changes().await;
    let initial = events.next().await.unwrap();
    assert_eq!(initial.event, AuthChangeEvent::InitialSession);
    assert_eq!(initial.session.unwrap().access_token, token);

    // persist_session(false): the file is not read.
    let third = client(&mock, options().persist_session(false));
    assert!(third.auth().get_session().await.unwrap().is_none());
}

#[tokio::test]
async fn set_session_checks_the_token_and_aal_reads_it() {
    let mock = MockGoTrue::start().await;
    mock.on("GET /auth/v1/user", |_| Reply::ok(user_json("u9")));
    let c = client(&mock, ClientOptions::default());
    let jwt = access_token("u9", now() + 600, "aal1");
    let res = c.auth().set_session(&jwt, "refresh-x").await.unwrap();
    assert_eq!(res.user.unwrap().id, "u9");
    assert_eq!(
        mock.last("GET /auth/v1/user").authorization,
        Some(format!("Bearer {jwt}"))
    );
    let aal = c
        .auth()
        .mfa()
        .get_authenticator_assurance_level()
        .await
        .unwrap();
    assert_eq!(
        aal.current_level,
        Some(supabase_core::auth::AuthenticatorAssuranceLevel::Aal1)
    );
    assert_eq!(aal.next_level, aal.current_level);
    assert_eq!(aal.current_authentication_methods[0]["method"], "password");

    // A token without `aal` (a custom access-token hook may drop it) has no current level, as
    // in auth-js; not an error.
    let bare = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "u9", "role": "authenticated", "exp": now() + 600}),
        &jsonwebtoken::EncodingKey::from_secret(MOCK_SECRET.as_bytes()),
    )
    .unwrap();
    c.auth().set_session(&bare, "refresh-y").await.unwrap();
    let aal = c
        .auth()
        .mfa()
        .get_authenticator_assurance_level()
        .await
        .unwrap();
    assert_eq!((aal.current_level, aal.next_level), (None, None));
    assert!(aal.current_authentication_methods.is_empty());
}

#[tokio::test]
async fn get_claims_verifies_hs256_with_the_secret() {
    let mock = MockGoTrue::start().await;
    let c = client(&mock, ClientOptions::default());
    let jwt = access_token("u1", now() + 600, "aal1");
    let claims = c
        .auth()
        .get_claims(Some(&jwt), GetClaimsOptions::new().jwt_secret(MOCK_SECRET))
        .await
        .unwrap();
    assert_eq!(claims.claims["sub"], "u1");
    assert_eq!(claims.header["alg"], "HS256");
    let wrong = c
        .auth()
        .get_claims(
            Some(&jwt),
            GetClaimsOptions::new().jwt_secret("another-secret-of-32-characters!!"),
        )
        .await;
    assert!(
        matches!(wrong, Err(Error::Auth(AuthError::InvalidJwt(_)))),
        "{wrong:?}"
    );
    let expired = access_token("u1", now() - 600, "aal1");
    assert!(matches!(
        c.auth()
            .get_claims(
                Some(&expired),
                GetClaimsOptions::new().jwt_secret(MOCK_SECRET)
            )
            .await,
        Err(Error::Auth(AuthError::InvalidJwt(_)))
    ));
    assert!(matches!(
        c.auth()
            .get_claims(Some("not.a-jwt"), GetClaimsOptions::new())
            .await,
        Err(Error::Auth(AuthError::InvalidJwt(_)))
    ));
}

/// `allow_expired` (auth-js `allowExpired`): an expired token whose signature verifies gives
/// its claims; one whose signature does not is refused all the same.
#[tokio::test]
async fn get_claims_of_an_expired_token_when_allowed() {
    let mock = MockGoTrue::start().await;
    let c = client(&mock, ClientOptions::default());
    let expired = access_token("u1", now() - 600, "aal1");
    let allowed = GetClaimsOptions::new()
        .jwt_secret(MOCK_SECRET)
        .allow_expired(true);
    let claims = c
        .auth()
        .get_claims(Some(&expired), allowed.clone())
        .await
        .unwrap();
    assert_eq!(claims.claims["sub"], "u1");
    let forged = format!("{}x", &expired[..expired.len() - 1]);
    let err = c
        .auth()
        .get_claims(Some(&forged), allowed)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidJwt(_))),
        "{err:?}"
    );
    assert!(mock.requests().is_empty(), "all checked here");
    // A JWKS may hold the JWT secret (an `oct` key): `Debug` shows none of it.
    let options =
        GetClaimsOptions::new().jwks(json!({"keys": [{"kty": "oct", "k": "c2VjcmV0LWtleQ"}]}));
    let shown = format!("{options:?}");
    assert!(
        !shown.contains("c2VjcmV0LWtleQ") && shown.contains("<1 keys>"),
        "{shown}"
    );
}

/// Tokens no key at hand can verify go to the server (`GET /user`), as auth-js 2.108's
/// `getClaims` does: HS512, HS256 without the secret, an RS256 token whose `kid` the JWKS does
/// not hold even when fetched again (a key rotated in while the old set is still served). The
/// server's verdict decides.
#[tokio::test]
async fn get_claims_asks_the_server_about_tokens_no_key_here_verifies() {
    let mock = MockGoTrue::start().await;
    mock.on("GET /auth/v1/.well-known/jwks.json", |_| {
        Reply::ok(json!({"keys": []}))
    });
    mock.on("GET /auth/v1/user", |r| {
        if r.authorization
            .as_deref()
            .is_some_and(|a| a.ends_with("refused"))
        {
            Reply::status(403, json!({"code": "bad_jwt", "message": "invalid JWT"}))
        } else {
            Reply::ok(user_json("11111111-1111-1111-1111-111111111111"))
        }
    });
    let c = client(&mock, ClientOptions::default());
    let claims = json!({"sub": "u1", "role": "authenticated", "exp": now() + 600});
    let sign = |header: jsonwebtoken::Header, key: &jsonwebtoken::EncodingKey| {
        jsonwebtoken::encode(&header, &claims, key).unwrap()
    };
    let secret = jsonwebtoken::EncodingKey::from_secret(MOCK_SECRET.as_bytes());
    let hs512 = sign(
        jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &secret,
    );
    let hs256 = sign(
        jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &secret,
    );
    // The signature is never checked here: the server is asked instead.
    let mut rs256 = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    rs256.kid = Some("rotated-in".into());
    let rs256 = format!(
        "{}.{}.c2ln",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&rs256).unwrap()),
        hs256.split('.').nth(1).unwrap()
    );
    for (token, jwks_fetches) in [(&hs512, 0), (&hs256, 0), (&rs256, 2)] {
        let before = mock.requests_to("GET /auth/v1/.well-known/jwks.json").len();
        let got = c
            .auth()
            .get_claims(Some(token), GetClaimsOptions::new())
            .await
            .unwrap();
        assert_eq!(got.claims["sub"], "u1");
        assert_eq!(
            mock.last("GET /auth/v1/user").authorization.as_deref(),
            Some(format!("Bearer {token}").as_str())
        );
        let fetched = mock.requests_to("GET /auth/v1/.well-known/jwks.json").len() - before;
        assert_eq!(fetched, jwks_fetches, "{:?}", got.header);
    }
    let refused = format!("{}refused", &hs512[..hs512.len() - 7]);
    let err = c
        .auth()
        .get_claims(Some(&refused), GetClaimsOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err:?}");
}

#[tokio::test]
async fn malformed_answers_are_decode_errors_not_panics() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/token", |_| {
        Reply::ok(json!({"access_token": 5, "refresh_token": "r", "expires_in": 1}))
    });
    mock.on("GET /auth/v1/admin/users", |_| {
        Reply::ok(json!({"users": "nope"}))
    });
    let c = client(&mock, ClientOptions::default());
    let err = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email("a@b.c", "p"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let err = c.auth().admin().list_users(None, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "users"),
        "{err:?}"
    );
}

/// `list_factors` sorts the verified factors by type, WebAuthn included (auth-js 2.108); an
/// unverified one is only in `all`.
#[tokio::test]
async fn list_factors_sorts_verified_factors_by_type() {
    let mock = MockGoTrue::start().await;
    mock.on("POST /auth/v1/token", |_| {
        Reply::ok(session_json(1, 3600, now() + 3600))
    });
    mock.on("GET /auth/v1/user", |_| {
        let mut user = user_json("11111111-1111-1111-1111-111111111111");
        let factor = |id: &str, kind: &str, status: &str| {
            json!({"id": id, "factor_type": kind, "status": status})
        };
        user["factors"] = json!([
            factor("w", "webauthn", "verified"),
            factor("t", "totp", "verified"),
            factor("p", "phone", "unverified"),
        ]);
        Reply::ok(user)
    });
    let c = client(&mock, ClientOptions::default());
    sign_in(&c).await;
    let factors = c.auth().mfa().list_factors().await.unwrap();
    let ids =
        |f: &[supabase_core::auth::Factor]| f.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&factors.webauthn), ["w"]);
    assert_eq!(ids(&factors.totp), ["t"]);
    assert!(factors.phone.is_empty());
    assert_eq!(ids(&factors.all), ["w", "t", "p"]);
}
