//! MFA with TOTP against the stand-in: enroll, verify with a computed code (RFC 6238), `aal2` in
//! the JWT, assurance levels, errors, unenroll.

use serde_json::json;
use supabase_core::Error;
use supabase_core::auth::{
    AuthError, AuthenticatorAssuranceLevel, EnrollParams, ErrorCode, GetClaimsOptions,
    MfaChallengeAndVerifyParams, MfaVerifyParams, OtpType, SignInWithPasswordCredentials,
    SignUpCredentials, VerifyOtpParams,
};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::{anon, email, stack};

fn code(secret: &str) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new())
        .generate_current()
        .unwrap()
}

/// A client signed in as a new, confirmed user (password `mfa password`), and the address.
async fn confirmed_user(tag: &str) -> (supabase_core::Client, String) {
    let client = anon().await;
    let address = email(tag);
    client
        .auth()
        .sign_up(SignUpCredentials::email(&address, "mfa password"))
        .await
        .unwrap();
    let otp = stack().await.mailbox().latest_otp(&address).unwrap();
    client
        .auth()
        .verify_otp(VerifyOtpParams::email(&address, otp, OtpType::Signup))
        .await
        .unwrap();
    (client, address)
}

#[tokio::test]
async fn totp_enroll_and_verify_gives_aal2() {
    let (c, address) = confirmed_user("mfa").await;
    let mfa = c.auth().mfa();

    let aal = mfa.get_authenticator_assurance_level().await.unwrap();
    assert_eq!(aal.current_level, Some(AuthenticatorAssuranceLevel::Aal1));
    assert_eq!(aal.next_level, Some(AuthenticatorAssuranceLevel::Aal1));

    let enrolled = mfa
        .enroll(
            EnrollParams::totp()
                .friendly_name("phone app")
                .issuer("tests"),
        )
        .await
        .unwrap();
    let shown = format!("{enrolled:?}");
    let totp = enrolled.totp.expect("totp details");
    for secret in [
        totp.qr_code.expose(),
        totp.secret.expose(),
        totp.uri.expose(),
    ] {
        assert!(
            !shown.contains(secret),
            "Debug shows a TOTP secret: {shown}"
        );
    }
    assert!(totp.qr_code.expose().starts_with("data:image/svg+xml"));
    assert!(totp.uri.expose().starts_with("otpauth://totp/"));
    assert_eq!(
        mfa.list_factors().await.unwrap().totp.len(),
        0,
        "not verified yet"
    );

    // Wrong code, unknown factor: typed errors with GoTrue's codes.
    let challenge = mfa.challenge(&enrolled.id).await.unwrap();
    let err = mfa
        .verify(MfaVerifyParams::new(&enrolled.id, &challenge.id, "000000"))
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(ErrorCode::MfaVerificationFailed),
        "{err:?}"
    );
    let err = mfa
        .challenge("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Some(ErrorCode::MfaFactorNotFound), "{err:?}");

    let res = mfa
        .challenge_and_verify(MfaChallengeAndVerifyParams::new(
            &enrolled.id,
            code(totp.secret.expose()),
        ))
        .await
        .unwrap();
    assert!(res.session.is_some());
    let claims = c
        .auth()
        .get_claims(
            None,
            GetClaimsOptions::new().jwt_secret(stack().await.jwt_secret()),
        )
        .await
        .unwrap();
    assert_eq!(claims.claims["aal"], "aal2");
    assert!(
        claims.claims["amr"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["method"] == "totp")
    );
    let factors = mfa.list_factors().await.unwrap();
    assert_eq!(factors.totp.len(), 1);
    assert_eq!(factors.all.len(), 1);
    let aal = mfa.get_authenticator_assurance_level().await.unwrap();
    assert_eq!(aal.current_level, Some(AuthenticatorAssuranceLevel::Aal2));

    // Another token's levels, asked by a client without a session (a server checking a
    // browser's token): a fresh password sign-in is aal1, with aal2 reachable through the
    // factor the server knows.
    let fresh = anon().await;
    let signed_in = fresh
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "mfa password",
        ))
        .await
        .unwrap();
    let token = signed_in.session.unwrap().access_token;
    let server = anon().await;
    let other = server
        .auth()
        .mfa()
        .get_authenticator_assurance_level_by_jwt(token.expose())
        .await
        .unwrap();
    assert_eq!(other.current_level, Some(AuthenticatorAssuranceLevel::Aal1));
    assert_eq!(other.next_level, Some(AuthenticatorAssuranceLevel::Aal2));
    assert_eq!(
        other.current_authentication_methods[0]["method"],
        "password"
    );
    let this = c.auth().get_session().await.unwrap().unwrap().access_token;
    let mine = server
        .auth()
        .mfa()
        .get_authenticator_assurance_level_by_jwt(this.expose())
        .await
        .unwrap();
    assert_eq!(mine.current_level, Some(AuthenticatorAssuranceLevel::Aal2));
    assert!(server.auth().get_session().await.unwrap().is_none());
    // Not a JWT: refused as malformed. A JWT the server does not accept: its error.
    let err = server
        .auth()
        .mfa()
        .get_authenticator_assurance_level_by_jwt("not-a-jwt")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidJwt(_))),
        "{err:?}"
    );
    let forged = format!("{}x", token.expose());
    let err = server
        .auth()
        .mfa()
        .get_authenticator_assurance_level_by_jwt(&forged)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err:?}");

    // Requests still run as the user (aal2 token through PostgREST).
    c.table("todos")
        .insert(json!({"task": "mfa"}))
        .await
        .unwrap();

    let removed = mfa.unenroll(&enrolled.id).await.unwrap();
    assert_eq!(removed.id, enrolled.id);
    assert!(mfa.list_factors().await.unwrap().all.is_empty());
}

fn code_of(err: &Error) -> Option<ErrorCode> {
    match err {
        Error::Auth(e) => e.code().cloned(),
        _ => None,
    }
}

/// `UserUpdate` (`user.go`): with a verified factor, the password, email and phone change from an
/// `aal2` session only (401 `insufficient_aal`); other attributes from any. The stand-in had no
/// such check, so an `aal1` password change passed locally and failed on Supabase.
#[tokio::test]
async fn credentials_change_only_from_an_aal2_session_once_mfa_is_on() {
    use supabase_core::auth::{SignInWithPasswordCredentials, UserAttributes};
    let (first, address) = confirmed_user("mfa-aal2-update").await;
    let enrolled = first
        .auth()
        .mfa()
        .enroll(EnrollParams::totp())
        .await
        .unwrap();
    let secret = enrolled.totp.expect("totp").secret.expose().to_owned();
    first
        .auth()
        .mfa()
        .challenge_and_verify(MfaChallengeAndVerifyParams::new(
            &enrolled.id,
            code(&secret),
        ))
        .await
        .unwrap();

    // A new sign-in with the password alone is aal1.
    let c = anon().await;
    c.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "mfa password",
        ))
        .await
        .unwrap();
    for change in [
        UserAttributes::new().password("a new password"),
        UserAttributes::new().email(email("mfa-aal2-new")),
    ] {
        let err = c.auth().update_user(change).await.unwrap_err();
        assert_eq!(code_of(&err), Some(ErrorCode::InsufficientAal), "{err:?}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    }
    c.auth()
        .update_user(UserAttributes::new().data(json!({"plan": "pro"})))
        .await
        .expect("metadata changes at aal1");

    c.auth()
        .mfa()
        .challenge_and_verify(MfaChallengeAndVerifyParams::new(
            &enrolled.id,
            code(&secret),
        ))
        .await
        .unwrap();
    c.auth()
        .update_user(UserAttributes::new().password("a new password"))
        .await
        .expect("aal2 changes the password");
}

/// GoTrue's side effects on the user's other sessions (`internal/api/mfa.go`): verifying a
/// factor signs out every session that has not passed MFA and drops pending enrollments;
/// unenrolling a factor takes the sessions that passed with it back to `aal1`.
#[tokio::test]
async fn verifying_a_factor_ends_aal1_sessions_and_unenrolling_downgrades() {
    use supabase_core::auth::SignInWithPasswordCredentials;

    let (first, address) = confirmed_user("mfa-sessions").await;
    let second = anon().await;
    second
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "mfa password",
        ))
        .await
        .unwrap();

    let mfa = first.auth().mfa();
    let factor = mfa
        .enroll(EnrollParams::totp().friendly_name("kept"))
        .await
        .unwrap();
    let pending = mfa
        .enroll(EnrollParams::totp().friendly_name("pending"))
        .await
        .unwrap();
    let secret = factor.totp.expect("totp").secret;
    mfa.challenge_and_verify(MfaChallengeAndVerifyParams::new(
        &factor.id,
        code(secret.expose()),
    ))
    .await
    .unwrap();

    // The password-only session is gone: its refresh token no longer works.
    let err = second.auth().refresh_session().await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(ErrorCode::RefreshTokenNotFound),
        "{err:?}"
    );
    let all = mfa.list_factors().await.unwrap().all;
    assert_eq!(all.len(), 1, "the pending enrollment is dropped");
    assert_ne!(all[0].id, pending.id);

    // Unenrolling takes this session back to aal1 at its next token.
    mfa.unenroll(&factor.id).await.unwrap();
    first.auth().refresh_session().await.unwrap();
    let claims = first
        .auth()
        .get_claims(
            None,
            GetClaimsOptions::new().jwt_secret(stack().await.jwt_secret()),
        )
        .await
        .unwrap();
    assert_eq!(claims.claims["aal"], "aal1");
}
