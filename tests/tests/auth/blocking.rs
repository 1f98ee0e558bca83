//! The blocking auth facade against the stand-in: the same flows without async, and the session
//! it holds used by blocking database requests (RLS sees the user). Runs on `e2e_account`'s
//! stack (confirmations required), away from the admin paging test's users.

use std::sync::{Arc, Mutex};

use serde_json::json;
use supabase_core::auth::{
    AuthChangeEvent, ErrorCode, GetClaimsOptions, OtpType, SignInWithPasswordCredentials,
    SignUpCredentials, UserAttributes, VerifyOtpParams,
};
use supabase_core::{Error, blocking};

use crate::e2e_account::stack;
use crate::email;

#[test]
fn blocking_auth_sign_up_to_sign_out() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(stack());
    let client = blocking::create_client(s.url(), s.anon_key()).unwrap();
    let auth = client.auth();

    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let _subscription = auth
        .on_auth_state_change(move |event, _| seen.lock().unwrap().push(event))
        .unwrap();

    // Sign up (confirmation required on this stack), confirm with the mailed code.
    let address = email("blocking");
    let signed_up = auth
        .sign_up(SignUpCredentials::email(&address, "blocking password"))
        .unwrap();
    assert!(signed_up.session.is_none(), "unconfirmed: no session yet");
    assert!(auth.get_session().unwrap().is_none());
    let otp = s.mailbox().latest_otp(&address).unwrap();
    let verified = auth
        .verify_otp(VerifyOtpParams::email(&address, otp, OtpType::Signup))
        .unwrap();
    let session = verified.session.expect("session after confirming");
    assert_eq!(
        auth.get_session().unwrap().unwrap().access_token.expose(),
        session.access_token.expose()
    );
    let user = auth.get_user().unwrap();
    assert_eq!(user.email.as_deref(), Some(address.as_str()));

    // Blocking database requests carry the session: RLS sees this user.
    client
        .from_("todos")
        .insert(json!({"task": "blocking task"}))
        .execute()
        .unwrap();
    let rows = client
        .from_("todos")
        .select("task,user_id")
        .execute()
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"task": "blocking task", "user_id": user.id}]));

    // update_user, refresh_session, get_claims.
    let updated = auth
        .update_user(UserAttributes::new().data(json!({"plan": "blocking"})))
        .unwrap();
    assert_eq!(updated.user_metadata["plan"], "blocking");
    let refreshed = auth.refresh_session().unwrap().session.unwrap();
    assert_ne!(
        refreshed.refresh_token.expose(),
        session.refresh_token.expose()
    );
    let claims = auth.get_claims(None, GetClaimsOptions::new()).unwrap();
    assert_eq!(claims.claims["sub"], user.id.as_str());
    assert_eq!(claims.claims["user_metadata"]["plan"], "blocking");
    assert!(auth.mfa().list_factors().unwrap().all.is_empty());

    // Sign out: no session, the database sees anon again; sign back in with the password.
    auth.sign_out().unwrap();
    assert!(auth.get_session().unwrap().is_none());
    assert_eq!(
        client.from_("todos").select("*").execute().unwrap().data,
        json!([])
    );
    let wrong = auth
        .sign_in_with_password(SignInWithPasswordCredentials::email(&address, "nope!!"))
        .unwrap_err();
    assert!(
        matches!(&wrong, Error::Auth(e) if e.code() == Some(&ErrorCode::InvalidCredentials)),
        "{wrong:?}"
    );
    auth.sign_in_with_password(SignInWithPasswordCredentials::email(
        &address,
        "blocking password",
    ))
    .unwrap();
    assert_eq!(
        client.from_("todos").select("*").execute().unwrap().data[0]["task"],
        "blocking task"
    );

    let events = events.lock().unwrap().clone();
    for expected in [
        AuthChangeEvent::InitialSession,
        AuthChangeEvent::SignedIn,
        AuthChangeEvent::UserUpdated,
        AuthChangeEvent::TokenRefreshed,
        AuthChangeEvent::SignedOut,
    ] {
        assert!(events.contains(&expected), "{expected:?} in {events:?}");
    }
}

#[tokio::test]
async fn blocking_auth_refuses_to_run_inside_a_runtime() {
    let s = stack().await;
    let client = blocking::create_client(s.url(), s.anon_key()).unwrap();
    let err = client.auth().get_session().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    // Dropping a runtime inside a runtime panics: hand it to a plain thread.
    std::thread::spawn(move || drop(client)).join().unwrap();
}
