//! The whole tour (`supabase_examples::tour::run`, what `cargo xtask tour` runs) under a
//! capturing `tracing` subscriber at TRACE level — the client's own events and spans, plus every
//! `log` record of its dependencies (reqwest, hyper, tungstenite) through `tracing-log` — then a
//! `{:?}` dump of every object the client hands out. No API key, JWT secret, access or refresh
//! token, signed-URL token or password may appear anywhere in that text, verbatim or
//! hex-encoded (tungstenite's TRACE lines show frame payloads in hex).

use supabase_core::auth::SignInWithPasswordCredentials;
use supabase_core::{Client, ClientOptions, Secret};
use supabase_local::Stack;
use supabase_tests::capture::{Capture, Record, leaks, log_text};
use tracing_subscriber::layer::SubscriberExt;

fn tokens_of(session: &supabase_core::auth::Session) -> [String; 2] {
    [
        session.access_token.expose().to_owned(),
        session.refresh_token.expose().to_owned(),
    ]
}

// The runtime is current-thread (the default of `#[tokio::test]`), so every task the client
// spawns (connections, the realtime socket, the refresh timer) runs on this thread and reports
// to the thread-local subscriber. The stack runs on its own threads: its logs are not the
// client's and are not captured.
#[tokio::test]
async fn the_whole_tour_leaks_no_secret_to_logs_or_debug_output() {
    let stack = crate::examples_stack().await;

    let captured = Capture::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    // `log` records (reqwest, hyper-util, tungstenite) go to the current `tracing` subscriber.
    let _ = tracing_log::LogTracer::init();
    let guard = tracing::subscriber::set_default(subscriber);
    // Other tests on other threads, with no subscriber, may register a callsite (the
    // `supabase.http` span) while this subscriber registers, and leave it cached as disabled
    // (tracing-core computes a callsite's interest once, from the subscribers it saw): ask
    // again now that this one is in place.
    tracing::callsite::rebuild_interest_cache();
    // That rebuild misses a callsite another thread is registering at that moment; once a
    // request has gone through `supabase.http`, its callsite is registered for good: again.
    let warm_up = supabase_core::create_client(stack.url(), stack.anon_key()).unwrap();
    let _ = warm_up.from_("warm_up").select("*").await;
    tracing::callsite::rebuild_interest_cache();

    let run = Box::pin(supabase_examples::tour::run(&stack.url(), stack.anon_key()))
        .await
        .expect("the tour passes");

    // Beyond the tour: a refresh, a wrong password, the service role, a global Authorization
    // header carrying a token, a sign-out.
    let refreshed = run
        .user
        .auth()
        .refresh_session()
        .await
        .expect("refresh")
        .session
        .expect("session");
    let current = run
        .user
        .auth()
        .get_session()
        .await
        .unwrap()
        .expect("signed in");
    let wrong_password = "not-the-password-42";
    let email = run.session.user.email.clone().expect("email");
    let refused = create(stack, stack.anon_key(), ClientOptions::default())
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&email, wrong_password))
        .await
        .expect_err("wrong password");
    let service = create(stack, stack.service_role_key(), ClientOptions::default());
    let users = service
        .auth()
        .admin()
        .list_users(None, None)
        .await
        .expect("admin list");
    let listed = service
        .storage()
        .from_("notes")
        .list(run.user_id.as_str())
        .await
        .expect("list as service");
    let with_header = create(
        stack,
        stack.anon_key(),
        ClientOptions::default().header(
            "Authorization",
            format!("Bearer {}", refreshed.access_token.expose()),
        ),
    );
    let notes = with_header.table("notes").select("*").await.expect("notes");
    assert_eq!(
        notes.data.as_array().map(Vec::len),
        Some(2),
        "the header's token is the user's"
    );
    let request = run.user.table("notes").select("*").build().unwrap();
    let signed_token = run
        .signed_url
        .expose()
        .split_once("token=")
        .map(|(_, t)| t.to_owned())
        .expect("signed URL token");

    let debug = [
        format!("{run:?}"),
        format!("{:?}", run.anon),
        format!("{:?}", run.user),
        format!("{:?}", run.user.auth()),
        format!("{:?}", run.user.auth().admin()),
        format!("{:?}", run.sign_up),
        format!("{:?}", run.session),
        format!("{:?}", run.session.user),
        format!("{refreshed:?}"),
        format!("{current:?}"),
        format!("{refused:?} {refused}"),
        format!("{users:?}"),
        format!("{listed:?}"),
        format!("{:?}", run.user.storage()),
        format!("{:?}", run.user.storage().from_("notes")),
        format!("{:?}", run.user.functions()),
        format!("{:?}", run.user.realtime()),
        format!("{:?}", run.channel),
        format!("{:?}", run.user.options()),
        format!("{service:?}"),
        format!("{with_header:?}"),
        format!("{:?}", with_header.options()),
        format!("{request:?}"),
        format!("{:?}", Secret::new(stack.jwt_secret())),
        format!("{stack:?}"),
    ];
    // Every refresh token the server issued to the user, straight from Postgres (before the
    // sign-out deletes the sessions).
    let issued = stack
        .query_json(&format!(
            "select token from auth.refresh_tokens where user_id = '{}'",
            run.user_id
        ))
        .await
        .unwrap();
    let issued: Vec<String> = issued
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["token"].as_str().unwrap().to_owned())
        .collect();
    // (The tour signed the sign-up session out: its tokens are gone from the table.)
    assert!(issued.len() >= 2, "sign-in and refresh: {issued:?}");
    run.user.auth().sign_out().await.expect("sign out");
    drop(guard);

    let mut secrets = vec![
        ("anon key", stack.anon_key().to_owned()),
        ("service_role key", stack.service_role_key().to_owned()),
        ("JWT secret", stack.jwt_secret().to_owned()),
        ("password", run.password.expose().to_owned()),
        ("wrong password", wrong_password.to_owned()),
        ("signed URL token", signed_token),
    ];
    for (what, session) in [
        ("sign-up", run.sign_up.session.as_ref().expect("session")),
        ("sign-in", &run.session),
        ("refreshed", &refreshed),
        ("current", &current),
    ] {
        let [access, refresh] = tokens_of(session);
        secrets.push((what, access));
        secrets.push((what, refresh));
    }
    secrets.extend(issued.into_iter().map(|t| ("issued refresh token", t)));

    let records = captured.take();
    // The capture really holds the client's spans and events and its dependencies' `log`
    // records, at every level.
    let has = |f: &dyn Fn(&Record) -> bool| records.iter().any(f);
    assert!(
        has(&|r| r.text.starts_with("span supabase.http")),
        "client spans"
    );
    assert!(has(&|r| r.text.contains("/auth/v1/token")), "auth requests");
    assert!(
        has(&|r| r.target.starts_with("reqwest")),
        "reqwest's log records"
    );
    assert!(
        has(&|r| r.is_tungstenite_trace()),
        "tungstenite's TRACE records"
    );
    assert!(
        has(&|r| r.target.starts_with("supabase_core")),
        "the client's events"
    );
    let logs = log_text(&records);
    let texts: Vec<(&str, &str)> = std::iter::once(("logs", logs.as_str()))
        .chain(debug.iter().map(|d| ("a Debug dump", d.as_str())))
        .collect();
    let leaks = leaks(&texts, &secrets);
    assert!(
        leaks.is_empty(),
        "{} leak(s):\n{}",
        leaks.len(),
        leaks.join("\n\n")
    );
}

fn create(stack: &Stack, key: &str, options: ClientOptions) -> Client {
    Client::new(stack.url(), key, options).expect("client")
}
