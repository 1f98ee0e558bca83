//! Asymmetric signing keys: stacks whose auth server signs with RS256 or ES256 (a key pair
//! generated at start, published at `/auth/v1/.well-known/jwks.json`). `get_claims` verifies
//! those tokens against the JWKS and caches it (fetches counted by a proxy in front of the
//! stack); PostgREST, storage and the auth server accept them; HS256 tokens still work.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use serde_json::{Value, json};
use supabase_core::auth::{AuthError, GetClaimsOptions, SignUpCredentials};
use supabase_core::{Client, ClientOptions, Error};
use supabase_local::{JwtAlgorithm, Stack};
use tokio::sync::OnceCell;

use crate::email;

async fn start(alg: JwtAlgorithm) -> Stack {
    crate::start_with(|builder| builder.jwt_algorithm(alg)).await
}

async fn rs256() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK.get_or_init(|| start(JwtAlgorithm::Rs256)).await
}

async fn es256() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK.get_or_init(|| start(JwtAlgorithm::Es256)).await
}

/// A pass-through proxy to `target` that counts JWKS requests.
struct CountingProxy {
    url: String,
    jwks_fetches: Arc<AtomicUsize>,
}

async fn proxy(target: String) -> CountingProxy {
    let jwks_fetches = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&jwks_fetches);
    let url = crate::forward::forward(target, move |path, _| {
        if path == "/auth/v1/.well-known/jwks.json" {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        None
    })
    .await;
    CountingProxy { url, jwks_fetches }
}

fn header_of(jwt: &str) -> Value {
    let part = jwt.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

/// Signs up (autoconfirm) on `url` and returns the client and its access token.
async fn signed_in(url: &str, anon_key: &str) -> (Client, String) {
    let c = Client::new(url, anon_key, ClientOptions::default()).unwrap();
    let session = c
        .auth()
        .sign_up(SignUpCredentials::email(email("jwks"), "jwks password"))
        .await
        .unwrap()
        .session
        .expect("autoconfirm gives a session");
    let token = session.access_token.expose().to_owned();
    (c, token)
}

async fn asymmetric_tokens_work_everywhere(stack: &Stack, alg: &str) {
    assert_eq!(stack.jwt_algorithm().as_str(), alg);
    let (c, token) = signed_in(&stack.url(), stack.anon_key()).await;

    // The token names the published key.
    let header = header_of(&token);
    assert_eq!(header["alg"], alg);
    let jwks: Value = reqwest::get(format!("{}/auth/v1/.well-known/jwks.json", stack.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, stack.jwks());
    let key = &jwks["keys"][0];
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(key["kid"], header["kid"]);
    assert_eq!(key["alg"], alg);
    assert_eq!(key["use"], "sig");
    assert_eq!(key["key_ops"], json!(["verify"]));
    assert!(key.get("d").is_none(), "no private material: {key}");

    // get_claims verifies it against the JWKS.
    let claims = c
        .auth()
        .get_claims(None, GetClaimsOptions::new())
        .await
        .unwrap();
    let user = c.auth().get_user().await.unwrap();
    assert_eq!(claims.claims["sub"], user.id.as_str());
    assert_eq!(claims.claims["role"], "authenticated");
    assert_eq!(claims.header["alg"], alg);

    // PostgREST accepts it (RLS sees the user), and so do the storage stand-in and GoTrue.
    c.table("todos")
        .insert(json!({"task": format!("{alg} task")}))
        .await
        .unwrap();
    let rows = c.table("todos").select("task,user_id").await.unwrap().data;
    assert_eq!(
        rows,
        json!([{"task": format!("{alg} task"), "user_id": user.id}])
    );
    c.storage().list_buckets().await.unwrap();

    // A tampered token is refused by PostgREST and by get_claims.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&parts[1])
            .unwrap(),
    )
    .unwrap();
    payload["role"] = json!("service_role");
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&payload).unwrap());
    let tampered = parts.join(".");
    let err = c
        .auth()
        .get_claims(Some(&tampered), GetClaimsOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidJwt(_))),
        "{err:?}"
    );
    let forged = Client::new(
        stack.url(),
        stack.anon_key(),
        ClientOptions::default().header("Authorization", format!("Bearer {tampered}")),
    )
    .unwrap();
    let err = forged.table("todos").select("*").await.unwrap_err();
    assert!(
        matches!(err, Error::Postgrest(ref e) if e.status == 401),
        "{err:?}"
    );

    // The HS256 API keys still work on this stack, and HS256 tokens verify with the secret.
    let service = Client::new(
        stack.url(),
        stack.service_role_key(),
        ClientOptions::default().persist_session(false),
    )
    .unwrap();
    let all = service.table("todos").select("task").await.unwrap().data;
    assert!(
        all.as_array()
            .unwrap()
            .contains(&json!({"task": format!("{alg} task")})),
        "{all}"
    );
    let hs = stack
        .mint_jwt(&json!({"sub": "x", "role": "authenticated", "exp": 4_000_000_000u64}))
        .unwrap();
    let claims = c
        .auth()
        .get_claims(
            Some(&hs),
            GetClaimsOptions::new().jwt_secret(stack.jwt_secret()),
        )
        .await
        .unwrap();
    assert_eq!(claims.header["alg"], "HS256");
}

#[tokio::test]
async fn rs256_tokens_verify_via_jwks_and_pass_postgrest() {
    asymmetric_tokens_work_everywhere(rs256().await, "RS256").await;
}

#[tokio::test]
async fn es256_tokens_verify_via_jwks_and_pass_postgrest() {
    asymmetric_tokens_work_everywhere(es256().await, "ES256").await;
}

#[tokio::test]
async fn the_jwks_is_fetched_once_and_unknown_keys_are_refused() {
    let stack = rs256().await;
    let proxy = proxy(stack.url()).await;
    let (c, token) = signed_in(&proxy.url, stack.anon_key()).await;
    assert_eq!(proxy.jwks_fetches.load(Ordering::SeqCst), 0);
    for _ in 0..3 {
        c.auth()
            .get_claims(None, GetClaimsOptions::new())
            .await
            .unwrap();
        c.auth()
            .get_claims(Some(&token), GetClaimsOptions::new())
            .await
            .unwrap();
    }
    assert_eq!(
        proxy.jwks_fetches.load(Ordering::SeqCst),
        1,
        "the JWKS is cached"
    );

    // A token from another project's key (the ES256 stack): its `kid` is unknown here, so the
    // JWKS is fetched once more (a key may have rotated in), then the server is asked (auth-js
    // 2.108), and it refuses the token.
    let other = es256().await;
    let (_, foreign) = signed_in(&other.url(), other.anon_key()).await;
    let err = c
        .auth()
        .get_claims(Some(&foreign), GetClaimsOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth(AuthError::Api { status, .. }) if status.as_u16() == 403),
        "{err:?}"
    );
    assert_eq!(proxy.jwks_fetches.load(Ordering::SeqCst), 2);
    // And the other stacks refuse it too.
    let err = Client::new(
        stack.url(),
        stack.anon_key(),
        ClientOptions::default().header("Authorization", format!("Bearer {foreign}")),
    )
    .unwrap()
    .table("todos")
    .select("*")
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::Postgrest(ref e) if e.status == 401),
        "{err:?}"
    );
    let err = c.auth().get_user_by_jwt(&foreign).await.unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
}

/// Keys the caller gives (auth-js `getClaims(jwt, { jwks })`) are looked in first: the project's
/// JWKS is not fetched. Keys that lack the token's `kid` leave it to the project's JWKS.
#[tokio::test]
async fn keys_the_caller_gives_are_used_before_the_projects() {
    let stack = rs256().await;
    let published: Value = reqwest::get(format!("{}/auth/v1/.well-known/jwks.json", stack.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let proxy = proxy(stack.url()).await;
    let (c, token) = signed_in(&proxy.url, stack.anon_key()).await;
    let claims = c
        .auth()
        .get_claims(Some(&token), GetClaimsOptions::new().jwks(published))
        .await
        .unwrap();
    assert_eq!(claims.claims["role"], "authenticated");
    assert_eq!(proxy.jwks_fetches.load(Ordering::SeqCst), 0);
    c.auth()
        .get_claims(
            Some(&token),
            GetClaimsOptions::new().jwks(serde_json::json!({"keys": []})),
        )
        .await
        .unwrap();
    assert_eq!(proxy.jwks_fetches.load(Ordering::SeqCst), 1);
    let err = c
        .auth()
        .get_claims(
            Some(&token),
            GetClaimsOptions::new().jwks(serde_json::json!([1])),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidParams(_))),
        "{err:?}"
    );
}
