//! Session changes that must not undo one another (auth-js runs them under one lock,
//! `_acquireLock`): a sign-out with an expired token refreshes it first, a refresh answered after
//! a sign-out or during a user update does not reinstate an old session, callers queued behind a
//! failed refresh take its outcome, the initial event carries a refreshed session, and a session
//! due as soon as it is renewed is not refreshed back to back.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use futures_util::{FutureExt, StreamExt};
use serde_json::{Value, json};
use supabase_core::auth::{AuthChangeEvent, FileStore, SignOutScope, UserAttributes};
use supabase_core::{Client, ClientOptions};

use crate::client::{client, sign_in};
use crate::mock::{MockGoTrue, Recorded, Reply, now, session_json, user_json};

const TOKEN: &str = "POST /auth/v1/token";
const LOGOUT: &str = "POST /auth/v1/logout";

fn manual() -> ClientOptions {
    ClientOptions::default().auto_refresh_token(false)
}

/// A password sign-in answers session 1, already expired when `expired` (valid for an hour
/// otherwise); a refresh answers `refresh` after `delay`.
fn serve(mock: &MockGoTrue, expired: bool, delay: Duration, refresh: Reply) {
    let expires_at = if expired { now() - 10 } else { now() + 3600 };
    serve_refreshes(mock, expires_at, move |_| refresh.clone().after(delay));
}

/// A password sign-in answers session 1, expiring at `expires_at`; the refresh numbered `n`
/// (from 0) answers `refresh(n)`. Returns the count of refreshes asked so far.
fn serve_refreshes(
    mock: &MockGoTrue,
    expires_at: i64,
    refresh: impl Fn(usize) -> Reply + Send + Sync + 'static,
) -> Arc<AtomicUsize> {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&refreshes);
    mock.on(TOKEN, move |r| match r.param("grant_type").as_deref() {
        Some("password") => Reply::ok(session_json(1, 3600, expires_at)),
        _ => refresh(seen.fetch_add(1, SeqCst)),
    });
    refreshes
}

/// Session 2, valid for an hour.
fn renewed() -> Reply {
    Reply::ok(session_json(2, 3600, now() + 3600))
}

fn unavailable() -> Reply {
    Reply::status(503, json!({"message": "upstream unavailable"}))
}

/// GoTrue rate-limits `/token`: the refresh token was never looked at.
fn rate_limited() -> Reply {
    Reply::status(
        429,
        json!({"code": "over_request_rate_limit", "message": "Request rate limit reached"}),
    )
}

fn refused() -> Reply {
    Reply::status(
        400,
        json!({"code": "refresh_token_not_found", "message": "Invalid Refresh Token: Refresh Token Not Found"}),
    )
}

/// `/logout` as GoTrue answers it: 403 `bad_jwt` for an expired token, 204 otherwise.
fn serve_logout(mock: &MockGoTrue) {
    mock.on(LOGOUT, |r| {
        if expiry(r) <= now() {
            Reply::status(
                403,
                json!({"code": "bad_jwt", "message": "token is expired"}),
            )
        } else {
            Reply::status(204, json!(null))
        }
    });
}

/// The `exp` claim of a request's bearer token.
fn expiry(r: &Recorded) -> i64 {
    let jwt = r
        .authorization
        .as_deref()
        .unwrap()
        .trim_start_matches("Bearer ");
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["exp"].as_i64().unwrap()
}

async fn refresh_token(c: &Client) -> Option<String> {
    let session = c.auth().get_session().await.unwrap()?;
    Some(session.refresh_token.expose().to_owned())
}

/// Without the refresh, the expired token's logout is refused, the refusal ignored as "already
/// signed out", and nothing revoked on the server.
#[tokio::test]
async fn sign_out_with_an_expired_token_refreshes_it_first() {
    let mock = MockGoTrue::start().await;
    serve(&mock, true, Duration::ZERO, renewed());
    serve_logout(&mock);
    let c = client(&mock, manual());
    sign_in(&c).await;
    c.auth().sign_out().await.unwrap();
    let refresh = mock.last(TOKEN);
    assert_eq!(
        refresh.param("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(refresh.body["refresh_token"], "refresh-1");
    let logout = mock.last(LOGOUT);
    assert!(expiry(&logout) > now(), "signed out with the renewed token");
    assert_eq!(logout.param("scope").as_deref(), Some("global"));
    assert_eq!(refresh_token(&c).await, None);
}

/// A transient failure of that refresh is the sign-out's error; the session stays, so the
/// sign-out can be repeated. A 429 is one: the server did not look at the refresh token
/// (auth-js signs out on it, supabase/supabase-js#2145).
#[tokio::test]
async fn a_sign_out_whose_refresh_fails_keeps_the_session() {
    for (reply, status) in [(unavailable(), 503), (rate_limited(), 429)] {
        let mock = MockGoTrue::start().await;
        serve(&mock, true, Duration::ZERO, reply);
        serve_logout(&mock);
        let c = client(&mock, manual());
        sign_in(&c).await;
        let err = c.auth().sign_out().await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{err:?}");
        assert!(mock.requests_to(LOGOUT).is_empty());
        let err = c.auth().get_session().await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{err:?}");
        serve(&mock, true, Duration::ZERO, renewed());
        c.auth().sign_out().await.unwrap();
        assert!(expiry(&mock.last(LOGOUT)) > now());
        assert_eq!(refresh_token(&c).await, None);
    }
}

/// The sign-out waits for the refresh in flight, then signs that session out: the refresh's
/// answer cannot bring it back.
#[tokio::test]
async fn a_refresh_answered_after_a_sign_out_does_not_bring_the_session_back() {
    let mock = MockGoTrue::start().await;
    serve(&mock, false, Duration::from_millis(300), renewed());
    serve_logout(&mock);
    let c = client(&mock, manual());
    sign_in(&c).await;
    let mut events = c.auth().auth_state_changes().await;
    let refreshing = tokio::spawn({
        let auth = c.auth();
        async move { auth.refresh_session().await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.auth().sign_out_with(SignOutScope::Local).await.unwrap();
    let refreshed = refreshing.await.unwrap().unwrap().session.unwrap();
    assert_eq!(refreshed.refresh_token.expose(), "refresh-2");
    assert_eq!(refresh_token(&c).await, None);
    assert_eq!(
        mock.last(LOGOUT).authorization,
        Some(format!("Bearer {}", refreshed.access_token.expose())),
        "the renewed session is the one signed out"
    );
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(events.next().await.unwrap().event);
    }
    assert_eq!(
        seen,
        [
            AuthChangeEvent::InitialSession,
            AuthChangeEvent::TokenRefreshed,
            AuthChangeEvent::SignedOut
        ]
    );
}

/// A refresh asked for during a user update waits for it, so the update's save cannot
/// reinstate the refresh token the refresh rotated (whose reuse GoTrue answers by revoking the
/// session).
#[tokio::test]
async fn a_user_update_does_not_undo_a_refresh() {
    let mock = MockGoTrue::start().await;
    serve(&mock, false, Duration::ZERO, renewed());
    let mut updated = user_json("11111111-1111-1111-1111-111111111111");
    updated["user_metadata"] = json!({"nickname": "ada"});
    mock.on("PUT /auth/v1/user", move |_| {
        Reply::ok(updated.clone()).after(Duration::from_millis(300))
    });
    let c = client(&mock, manual());
    sign_in(&c).await;
    let updating = tokio::spawn({
        let auth = c.auth();
        async move {
            auth.update_user(UserAttributes::default().data(json!({"nickname": "ada"})))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.auth().refresh_session().await.unwrap();
    let user = updating.await.unwrap().unwrap();
    assert_eq!(user.user_metadata["nickname"], "ada");
    assert_eq!(refresh_token(&c).await.as_deref(), Some("refresh-2"));
}

/// Callers queued behind a refresh that fails take its outcome: one refresh, not one each. That
/// one refresh, needed as the token has expired, rides out a 503 with its own retries (six
/// attempts within GoTrue's 10 s reuse interval: 0, 0.2, 0.6, 1.4, 3.0 and 6.2 s); a refusal
/// is final.
#[tokio::test]
async fn callers_queued_behind_a_failed_refresh_share_its_outcome() {
    for (reply, status, attempts, delay) in [
        (unavailable(), 503, 6, Duration::ZERO),
        (refused(), 400, 1, Duration::from_millis(200)),
    ] {
        let mock = MockGoTrue::start().await;
        serve(&mock, true, delay, reply);
        let c = client(&mock, manual());
        sign_in(&c).await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let auth = c.auth();
                tokio::spawn(async move { auth.get_session().await })
            })
            .collect();
        let mut errors = 0;
        for t in tasks {
            match t.await.unwrap() {
                Err(e) => {
                    assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{e:?}");
                    errors += 1;
                }
                // After a refused refresh the session is gone: later callers find none.
                Ok(session) => assert!(status == 400 && session.is_none()),
            }
        }
        assert!(errors >= 1);
        assert_eq!(
            mock.requests_to(TOKEN).len(),
            1 + attempts,
            "the sign-in and one refresh ({status})"
        );
    }
}

/// A refresh the caller cannot do without (the token has expired, or the caller asked for it)
/// is tried again when GoTrue is briefly unreachable or failing, as auth-js
/// `_refreshAccessToken` does: 200 ms later, then 400 ms… Cloudflare's 520–530 count as
/// such, and so does GoTrue's own 500.
#[tokio::test]
async fn a_refresh_the_caller_waits_on_rides_out_a_brief_outage() {
    for (failure, expired) in [
        (unavailable(), true),
        (Reply::status(522, json!(null)), true),
        (
            Reply::status(500, json!({"code": "unexpected_failure", "message": "db"})),
            false,
        ),
    ] {
        let mock = MockGoTrue::start().await;
        let expires_at = if expired { now() - 10 } else { now() + 3600 };
        serve_refreshes(&mock, expires_at, move |n| {
            if n < 2 { failure.clone() } else { renewed() }
        });
        let c = client(&mock, manual());
        sign_in(&c).await;
        if expired {
            assert_eq!(refresh_token(&c).await.as_deref(), Some("refresh-2"));
        } else {
            let renewed = c.auth().refresh_session().await.unwrap();
            assert_eq!(renewed.session.unwrap().refresh_token.expose(), "refresh-2");
        }
        let tokens: Vec<_> = mock
            .requests_to(TOKEN)
            .iter()
            .filter_map(|r| r.body.get("refresh_token").cloned())
            .collect();
        assert_eq!(
            tokens,
            vec![json!("refresh-1"); 3],
            "two failures, then renewed"
        );
    }
}

/// A refresh attempt that hangs (a pooled connection that died silently, as after a suspend)
/// is cut while a retry still fits in GoTrue's reuse interval, and the retry renews the
/// session. With the default 30 s auth timeout the one attempt had ended outside the window,
/// so the asked refresh failed.
#[tokio::test]
async fn a_refresh_attempt_that_hangs_is_cut_for_a_retry() {
    let mock = MockGoTrue::start().await;
    serve_refreshes(&mock, now() + 3600, |n| match n {
        0 => renewed().after(Duration::from_secs(120)),
        _ => renewed(),
    });
    let c = client(&mock, manual());
    sign_in(&c).await;
    let renewed = c.auth().refresh_session().await.unwrap();
    assert_eq!(renewed.session.unwrap().refresh_token.expose(), "refresh-2");
    assert_eq!(
        mock.requests_to(TOKEN).len(),
        3,
        "sign-in, the hung attempt, the retry"
    );
}

/// An attempt after which no retry could fit in the window is not cut: five quick 503s push
/// the next pause to 6.4 s, so the sixth attempt (at 6.2 s) is the last, and its slow but good
/// answer (3 s) is waited for. Cut at half of what was left of the window, it had failed with a
/// timeout though the server had rotated the token.
#[tokio::test]
async fn the_last_refresh_attempt_is_not_cut() {
    let mock = MockGoTrue::start().await;
    let refreshes = serve_refreshes(&mock, now() + 3600, |n| match n {
        0..5 => unavailable(),
        _ => renewed().after(Duration::from_secs(3)),
    });
    let c = client(&mock, manual());
    sign_in(&c).await;
    let renewed = c.auth().refresh_session().await.unwrap();
    assert_eq!(renewed.session.unwrap().refresh_token.expose(), "refresh-2");
    assert_eq!(refreshes.load(SeqCst), 6);
}

/// Linking an ID token holds the session lock, as `update_user`: a sign-out asked while the
/// link is in flight waits for it, and is not undone by the link's session being saved.
#[tokio::test]
async fn a_sign_out_during_an_id_token_link_stays_signed_out() {
    let mock = MockGoTrue::start().await;
    mock.on(TOKEN, move |r| match r.param("grant_type").as_deref() {
        Some("password") => Reply::ok(session_json(1, 3600, now() + 3600)),
        Some("id_token") => {
            Reply::ok(session_json(2, 3600, now() + 3600)).after(Duration::from_millis(500))
        }
        _ => renewed(),
    });
    mock.on(LOGOUT, |_| Reply::status(204, Value::Null));
    let c = client(&mock, manual());
    sign_in(&c).await;
    let link = tokio::spawn({
        let c = c.clone();
        async move {
            c.auth()
                .link_identity_with_id_token(
                    supabase_core::auth::SignInWithIdTokenCredentials::new("keycloak", "id-token"),
                )
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    c.auth().sign_out().await.unwrap();
    let linked = link.await.unwrap().unwrap();
    assert_eq!(linked.session.unwrap().refresh_token.expose(), "refresh-2");
    assert!(
        c.auth().get_session().await.unwrap().is_none(),
        "signed out last"
    );
    assert_eq!(mock.requests_to(LOGOUT).len(), 1);
}

/// A stored session without `expires_at` (written by hand, or by another tool) expires when its
/// access token does, and one whose token has no `exp` either is refreshed before use: it had
/// counted as never expiring, and was never refreshed. One whose token has an hour to go is
/// left alone.
#[tokio::test]
async fn a_stored_session_without_expires_at_expires_with_its_token() {
    for (exp, refreshed) in [
        (Some(now() + 30), "refresh-2"),
        (None, "refresh-2"),
        (Some(now() + 3600), "refresh-1"),
    ] {
        let mock = MockGoTrue::start().await;
        serve(&mock, false, Duration::ZERO, renewed());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        let mut stored = session_json(1, 3600, now() + 3600);
        stored.as_object_mut().unwrap().remove("expires_at");
        if let Some(exp) = exp {
            stored["access_token"] = json!(crate::mock::access_token("u", exp, "aal1"));
        } else {
            stored["access_token"] = json!("a.eyJzdWIiOiJ1In0.c2ln");
        }
        let file = json!({"stored": stored.to_string()});
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        let c = client(
            &mock,
            manual()
                .storage_key("stored")
                .session_store(FileStore::new(&path)),
        );
        assert_eq!(
            refresh_token(&c).await.as_deref(),
            Some(refreshed),
            "{exp:?}"
        );
    }
}

/// `INITIAL_SESSION` carries the stored session refreshed if it is due (auth-js
/// `_emitInitialSession`), or none when that refresh is refused.
#[tokio::test]
async fn the_initial_session_is_refreshed_first() {
    for (reply, expected) in [(renewed(), Some("refresh-2")), (refused(), None)] {
        let mock = MockGoTrue::start().await;
        serve(&mock, true, Duration::ZERO, reply);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        sign_in(&client(
            &mock,
            manual().session_store(FileStore::new(&path)),
        ))
        .await;
        let c = client(&mock, manual().session_store(FileStore::new(&path)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let _subscription = c
            .auth()
            .on_auth_state_change({
                let seen = Arc::clone(&seen);
                move |event, session| {
                    let token = session.map(|s| s.refresh_token.expose().to_owned());
                    seen.lock().unwrap().push((event, token));
                }
            })
            .await;
        assert_eq!(
            seen.lock().unwrap()[0],
            (AuthChangeEvent::InitialSession, expected.map(str::to_owned))
        );
        let mut stream = c.auth().auth_state_changes().await;
        let first = stream.next().await.unwrap();
        assert_eq!(first.event, AuthChangeEvent::InitialSession);
        assert_eq!(
            first.session.map(|s| s.refresh_token.expose().to_owned()),
            expected.map(str::to_owned)
        );
    }
}

/// A client clock ahead of the server's makes every renewed session due at once: the
/// background task pauses instead of refreshing back to back.
#[tokio::test]
async fn a_session_due_as_soon_as_renewed_is_not_refreshed_back_to_back() {
    let mock = MockGoTrue::start().await;
    let n = Arc::new(Mutex::new(1));
    mock.on(TOKEN, move |_| {
        let mut n = n.lock().unwrap();
        *n += 1;
        Reply::ok(session_json(*n, 3600, now() - 1))
    });
    let c = client(&mock, ClientOptions::default());
    sign_in(&c).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        mock.requests_to(TOKEN).len(),
        2,
        "the sign-in and one refresh, then a pause"
    );
}

/// Two clients sharing a session store (a daemon and a CLI on one `FileStore`): a refresh one
/// of them made is adopted by the other, which never sends the refresh token already used.
/// GoTrue answers a reused token with `refresh_token_already_used` once its reuse interval has
/// passed, and ends the session for both (auth-js reads storage on every `__loadSession`).
#[tokio::test]
async fn clients_sharing_a_store_adopt_each_others_refreshes() {
    let mock = MockGoTrue::start().await;
    mock.on(TOKEN, |r| {
        let renew = |n| Reply::ok(session_json(n, 3600, now() + 3600));
        match (
            r.param("grant_type").as_deref(),
            r.body["refresh_token"].as_str(),
        ) {
            (Some("password"), _) => renew(1),
            (_, Some("refresh-1")) => renew(2),
            (_, Some("refresh-2")) => renew(3),
            _ => refused(),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    let shared = || manual().session_store(FileStore::new(&path));
    let (a, b) = (client(&mock, shared()), client(&mock, shared()));
    sign_in(&a).await;
    assert_eq!(refresh_token(&b).await.as_deref(), Some("refresh-1"));

    a.auth().refresh_session().await.unwrap();
    let adopted = b.auth().refresh_session().await.unwrap();
    assert_eq!(
        adopted.session.unwrap().refresh_token.expose(),
        "refresh-2",
        "B takes the session A saved"
    );
    let uses = |token: &str| {
        mock.requests_to(TOKEN)
            .iter()
            .filter(|r| r.body["refresh_token"] == token)
            .count()
    };
    assert_eq!(uses("refresh-1"), 1, "refresh-1 was sent once, by A");

    // From there B renews the adopted session, and A in turn takes B's.
    b.auth().refresh_session().await.unwrap();
    assert_eq!(refresh_token(&b).await.as_deref(), Some("refresh-3"));
    let taken = a.auth().refresh_session().await.unwrap();
    assert_eq!(taken.session.unwrap().refresh_token.expose(), "refresh-3");
    assert_eq!((uses("refresh-2"), uses("refresh-3")), (1, 0));
}

/// A password sign-in answers session 1, valid for another minute: inside the refresh margin,
/// but its access token still works. A refresh answers `refresh` after `delay`.
fn serve_due(mock: &MockGoTrue, delay: Duration, refresh: Reply) {
    let expires_at = now() + 60;
    mock.on(TOKEN, move |r| match r.param("grant_type").as_deref() {
        Some("password") => Reply::ok(session_json(1, 3600, expires_at)),
        _ => refresh.clone().after(delay),
    });
}

/// An early refresh that fails, even refused, leaves the session in use while its access token
/// works (auth-js 2.108 `__loadSession` and `_callRefreshToken`: "proactive refresh failed,
/// access token still valid — preserving session"): the session is kept and reported, the
/// user's calls go out with its token, and signing out reaches the server.
#[tokio::test]
async fn an_early_refresh_that_fails_leaves_the_still_valid_session_in_use() {
    for (reply, status) in [
        (unavailable(), 503),
        (rate_limited(), 429),
        (refused(), 400),
    ] {
        let mock = MockGoTrue::start().await;
        serve_due(&mock, Duration::ZERO, reply);
        serve_logout(&mock);
        mock.on("GET /auth/v1/user", |_| {
            Reply::ok(crate::mock::user_json(
                "11111111-1111-1111-1111-111111111111",
            ))
        });
        let c = client(&mock, manual());
        sign_in(&c).await;
        // The initial event tries the refresh, and carries the session all the same.
        let mut events = c.auth().auth_state_changes().await;
        let initial = events.next().await.unwrap();
        assert_eq!(initial.event, AuthChangeEvent::InitialSession);
        let initial = initial.session.expect("the session, still valid");
        assert_eq!(initial.refresh_token.expose(), "refresh-1", "{status}");
        assert_eq!(
            mock.requests_to(TOKEN).len(),
            2,
            "a refresh tried ({status})"
        );
        assert_eq!(
            refresh_token(&c).await.as_deref(),
            Some("refresh-1"),
            "{status}"
        );
        let user = c.auth().get_user().await.unwrap();
        assert_eq!(user.id, "11111111-1111-1111-1111-111111111111");
        assert!(expiry(&mock.last("GET /auth/v1/user")) > now());
        c.auth().sign_out().await.unwrap();
        let logout = mock.last(LOGOUT);
        assert_eq!(logout.param("scope").as_deref(), Some("global"));
        assert!(expiry(&logout) > now(), "signed out with the token in hand");
        let seen: Vec<AuthChangeEvent> =
            std::iter::from_fn(|| events.next().now_or_never().flatten().map(|e| e.event))
                .collect();
        assert_eq!(
            seen,
            [AuthChangeEvent::SignedOut],
            "signed out by the sign-out only ({status})"
        );
    }
}

/// After a refresh failed, requests do not try it again for a minute (auth-js 2.108
/// `REFRESH_FAILURE_COOLDOWN_MS`): during an auth outage each would otherwise wait on its own
/// `/token` request before going out with the token in hand anyway.
#[tokio::test]
async fn requests_do_not_wait_on_a_refresh_that_just_failed() {
    let mock = MockGoTrue::start().await;
    serve_due(&mock, Duration::from_millis(300), unavailable());
    let c = client(&mock, manual());
    sign_in(&c).await;
    for _ in 0..5 {
        // The mock has no database: a 404, after the session was made fresh (or not).
        let _ = c.table("t").select("*").await;
    }
    assert_eq!(
        mock.requests_to(TOKEN).len(),
        2,
        "the sign-in and one refresh"
    );
    let rest = mock.requests_to("GET /rest/v1/t");
    assert_eq!(rest.len(), 5);
    assert!(
        rest.iter().all(|r| expiry(r) > now()),
        "with the token in hand"
    );
}

/// The background task, refused a refresh while the access token still works, keeps the
/// session and asks again only after the cooldown (a minute), not on its backoff of 0.5 s,
/// 1 s, 2 s…: a refusal will be a refusal again.
#[tokio::test]
async fn the_background_refresh_waits_the_cooldown_after_a_refusal() {
    let mock = MockGoTrue::start().await;
    serve_due(&mock, Duration::ZERO, refused());
    let c = client(&mock, ClientOptions::default());
    sign_in(&c).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        mock.requests_to(TOKEN).len(),
        2,
        "the sign-in and one refresh"
    );
    assert_eq!(refresh_token(&c).await.as_deref(), Some("refresh-1"));
}

/// An explicit `refresh_session` queued behind a request's early refresh (one try, the token
/// still works) does not take that single try's 503 as its own: it tries, and retries, itself.
#[tokio::test]
async fn an_asked_refresh_does_not_inherit_a_single_tries_failure() {
    let mock = MockGoTrue::start().await;
    let refreshes = serve_refreshes(&mock, now() + 60, |n| match n {
        0 => unavailable().after(Duration::from_millis(300)),
        _ => renewed(),
    });
    let c = client(&mock, manual());
    sign_in(&c).await;
    let request = tokio::spawn({
        let c = c.clone();
        async move {
            let _ = c.table("t").select("*").await;
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let renewed = c.auth().refresh_session().await.unwrap();
    assert_eq!(renewed.session.unwrap().refresh_token.expose(), "refresh-2");
    request.await.unwrap();
    assert_eq!(refreshes.load(SeqCst), 2);
}
