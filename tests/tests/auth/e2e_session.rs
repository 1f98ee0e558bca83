//! Sessions against the stand-in with four-second tokens: the background task refreshes ahead
//! of expiry, and 100 concurrent callers on a stale token cause exactly one refresh.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use supabase_core::ClientOptions;
use supabase_core::auth::{
    AdminUserAttributes, AuthChangeEvent, Session, SignInWithPasswordCredentials,
};

use crate::{anon_on, email, short_lived_stack};

const PASSWORD: &str = "short lived pass";

/// A confirmed user on the short-lived stack, created with the service key.
async fn user() -> String {
    user_on(short_lived_stack().await, "short").await
}

/// A confirmed user on `stack`, created with the service key.
async fn user_on(stack: &supabase_local::Stack, tag: &str) -> String {
    let admin = supabase_core::Client::new(
        stack.url(),
        stack.service_role_key(),
        ClientOptions::default().auto_refresh_token(false),
    )
    .unwrap();
    let address = email(tag);
    admin
        .auth()
        .admin()
        .create_user(
            AdminUserAttributes::new()
                .email(&address)
                .password(PASSWORD)
                .email_confirm(true),
        )
        .await
        .unwrap();
    address
}

/// A new user's client, signed in, whose session is refreshed only when a call needs it.
async fn signed_in_without_auto_refresh() -> (supabase_core::Client, Session) {
    let address = user().await;
    let c = anon_on(
        short_lived_stack().await,
        ClientOptions::default().auto_refresh_token(false),
    );
    c.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&address, PASSWORD))
        .await
        .unwrap();
    let session = c.auth().get_session().await.unwrap().unwrap();
    (c, session)
}

#[tokio::test]
async fn background_refresh_keeps_the_session_alive() {
    let stack = short_lived_stack().await;
    let address = user().await;
    let c = anon_on(stack, ClientOptions::default());
    let mut events = c.auth().auth_state_changes().await;
    c.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&address, PASSWORD))
        .await
        .unwrap();
    let first = c.auth().get_session().await.unwrap().unwrap();
    let mut refreshed = 0;
    while refreshed < 2 {
        let e = tokio::time::timeout(Duration::from_secs(30), events.next())
            .await
            .expect("the background task refreshes within 30 s")
            .unwrap();
        if e.event == AuthChangeEvent::TokenRefreshed {
            refreshed += 1;
        }
    }
    let now = c.auth().get_session().await.unwrap().unwrap();
    assert_ne!(now.refresh_token, first.refresh_token);
    // Well past the first token's lifetime, requests still run as the user.
    c.table("todos")
        .insert(json!({"task": "still me"}))
        .await
        .unwrap();
    let rows = c.table("todos").select("task").await.unwrap().data;
    assert_eq!(rows, json!([{"task": "still me"}]));
}

#[tokio::test]
async fn a_hundred_concurrent_callers_on_a_stale_token_cause_one_refresh() {
    let stack = short_lived_stack().await;
    let (c, session) = signed_in_without_auto_refresh().await;
    // Wait until the token is inside its refresh margin (half its 4 s lifetime).
    while session.expires_in_secs() > 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = c.clone();
            // Database requests refresh a stale session themselves.
            tokio::spawn(async move { c.table("todos").select("*").await.map(drop) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("no request fails");
    }
    // The session id from the first token's payload (no call that could refresh again).
    let payload = session
        .access_token
        .expose()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let payload: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    let session_id = payload["session_id"].as_str().unwrap().to_owned();
    let tokens = stack
        .query_json(&format!(
            "select count(*) as n from auth.refresh_tokens where session_id = '{session_id}'"
        ))
        .await
        .unwrap();
    assert_eq!(
        tokens[0]["n"], 2,
        "the sign-in token and exactly one refresh: {tokens}"
    );
}

/// Signing out after the access token expired still revokes the session on the server: the
/// client refreshes first (GoTrue refuses `/logout` with an expired token, and the refusal would
/// be taken for "already signed out").
#[tokio::test]
async fn signing_out_after_expiry_revokes_the_session() {
    let stack = short_lived_stack().await;
    let (c, session) = signed_in_without_auto_refresh().await;
    while session.expires_in_secs() >= 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.auth().sign_out().await.unwrap();
    assert!(c.auth().get_session().await.unwrap().is_none());
    // Every refresh token of the session is gone: the one signed in with is refused.
    let other = anon_on(stack, ClientOptions::default().auto_refresh_token(false));
    let err = other
        .auth()
        .refresh_session_with(session.refresh_token.expose())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err:?}");
}

/// A refresh whose answer is lost on the way back (GoTrue rotated the token, a gateway answered
/// 502) is tried again within GoTrue's reuse interval, and the stand-in answers the retry with
/// the session's current token: the client carries on signed in, and the session was not taken
/// for a stolen one (a later refresh works).
#[tokio::test]
async fn a_refresh_whose_answer_is_lost_is_recovered_by_its_retry() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let stack = crate::stack().await;
    let address = user_on(stack, "lost-refresh").await;
    // Forwards everything; the first refresh reaches GoTrue, but its answer is replaced by a
    // gateway's 502.
    let refreshes = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&refreshes);
    let url = crate::forward::forward(stack.url(), move |path, status| {
        let refresh = path.contains("grant_type=refresh_token");
        if refresh && seen.fetch_add(1, Ordering::SeqCst) == 0 {
            assert_eq!(status, 200, "GoTrue applied the refresh");
            return Some(
                axum::response::Response::builder()
                    .status(502)
                    .body(axum::body::Body::from("bad gateway"))
                    .unwrap(),
            );
        }
        None
    })
    .await;

    let c = supabase_core::Client::new(
        &url,
        stack.anon_key(),
        ClientOptions::default().auto_refresh_token(false),
    )
    .unwrap();
    let first = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&address, PASSWORD))
        .await
        .unwrap()
        .session
        .unwrap();
    let renewed = c.auth().refresh_session().await.unwrap().session.unwrap();
    assert_eq!(
        refreshes.load(Ordering::SeqCst),
        2,
        "the lost one and its retry"
    );
    assert_ne!(renewed.refresh_token.expose(), first.refresh_token.expose());
    assert_eq!(
        c.auth().get_user().await.unwrap().email.as_deref(),
        Some(address.as_str())
    );
    let again = c.auth().refresh_session().await.unwrap().session.unwrap();
    assert_ne!(again.refresh_token.expose(), renewed.refresh_token.expose());
}
