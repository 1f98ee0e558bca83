//! The admin API against the stand-in (service_role key): create, page, update, invite, links,
//! sign out a user, factors, delete (soft and hard); refused with the anon key; phone users and
//! credential updates.

use serde_json::json;
use supabase_core::auth::{
    AdminDeleteFactorParams, AdminUserAttributes, EnrollParams, ErrorCode, GenerateLinkParams,
    InviteUserOptions, OtpType, SignInWithPasswordCredentials, SignOutScope, VerifyOtpParams,
};
use supabase_core::{Client, ClientOptions, Error};

use crate::{anon, email, phone, service, service_on, stack};

/// A stack only the paging test creates users on: users created meanwhile by other tests would
/// shift its pages (newest first) and make a walk over them see a user twice.
async fn paging_stack() -> &'static supabase_local::Stack {
    static STACK: tokio::sync::OnceCell<supabase_local::Stack> = tokio::sync::OnceCell::const_new();
    STACK.get_or_init(|| crate::start(None)).await
}

#[tokio::test]
async fn create_page_update_and_delete_users() {
    let s = paging_stack().await;
    let (anon, admin) = clients_of(s);
    let admin = admin.auth().admin();
    let mut ids = Vec::new();
    for i in 0..3 {
        let user = admin
            .create_user(
                AdminUserAttributes::new()
                    .email(&email("admin"))
                    .password("admin password")
                    .email_confirm(true)
                    .user_metadata(json!({"name": format!("Yoda {i}")})),
            )
            .await
            .unwrap();
        assert!(user.email_confirmed_at.is_some());
        ids.push(user.id);
    }

    // Paging: one user per page, walking `next_page` visits every user once.
    let first = admin.list_users(Some(1), Some(1)).await.unwrap();
    assert_eq!(first.users.len(), 1);
    let total = first.total.expect("X-Total-Count");
    assert!(total >= 3);
    assert_eq!(first.next_page, Some(2));
    assert_eq!(first.last_page, Some(u32::try_from(total).unwrap()));
    let mut seen = Vec::new();
    let mut page = Some(1);
    while let Some(p) = page {
        let list = admin.list_users(Some(p), Some(2)).await.unwrap();
        seen.extend(list.users.into_iter().map(|u| u.id));
        page = list.next_page;
    }
    for id in &ids {
        assert_eq!(seen.iter().filter(|s| *s == id).count(), 1, "{id} once");
    }

    let updated = admin
        .update_user_by_id(
            &ids[0],
            AdminUserAttributes::new()
                .user_metadata(json!({"hello": "world"}))
                .app_metadata(json!({"plan": "trial"})),
        )
        .await
        .unwrap();
    assert_eq!(updated.user_metadata["hello"], "world");
    assert_eq!(updated.app_metadata["plan"], "trial");
    assert_eq!(
        admin.get_user_by_id(&ids[0]).await.unwrap().app_metadata["plan"],
        "trial"
    );

    admin.delete_user_with(&ids[1], true).await.unwrap();
    admin.delete_user(&ids[2]).await.unwrap();
    let err = admin.get_user_by_id(&ids[2]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Auth(e) if e.code() == Some(&ErrorCode::UserNotFound)),
        "{err:?}"
    );
    let soft = s
        .query_json(&format!(
            "select deleted_at is not null as gone from auth.users where id = '{}'",
            ids[1]
        ))
        .await
        .unwrap();
    assert_eq!(soft[0]["gone"], true, "soft delete keeps the row: {soft}");

    // The anon key is not an admin.
    let err = anon
        .auth()
        .admin()
        .list_users(None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth(e) if e.code() == Some(&ErrorCode::NotAdmin) || e.status().map(|s| s.as_u16()) == Some(403)),
        "{err:?}"
    );
}

#[tokio::test]
async fn invites_links_sign_out_and_factors() {
    let svc = service().await;
    let admin = svc.auth().admin();
    let invited = email("invite");
    let user = admin
        .invite_user_by_email_with(
            &invited,
            InviteUserOptions::new().data(json!({"team": "blue"})),
        )
        .await
        .unwrap();
    assert!(user.invited_at.is_some());
    assert_eq!(user.user_metadata["team"], "blue");
    assert!(stack().await.mailbox().latest_link(&invited).is_some());
    // The reference's form: the address alone.
    let plain = email("invite-plain");
    let user = admin.invite_user_by_email(&plain).await.unwrap();
    assert!(user.invited_at.is_some());
    assert!(stack().await.mailbox().latest_link(&plain).is_some());

    for params in [
        GenerateLinkParams::signup(email("link"), "link password"),
        GenerateLinkParams::invite(email("link")),
        GenerateLinkParams::magiclink(invited.clone()),
        GenerateLinkParams::recovery(invited.clone()),
    ] {
        let res = admin.generate_link(params).await.unwrap();
        assert!(
            res.properties
                .action_link
                .expose()
                .contains("/auth/v1/verify"),
            "{res:?}"
        );
        assert!(!res.user.id.is_empty());
    }
    let address = email("change");
    admin
        .create_user(
            AdminUserAttributes::new()
                .email(&address)
                .password("pw 123456")
                .email_confirm(true),
        )
        .await
        .unwrap();
    for (params, kind) in [
        (
            GenerateLinkParams::email_change_current(&address, email("new")),
            "email_change_current",
        ),
        (
            GenerateLinkParams::email_change_new(&address, email("new")),
            "email_change_new",
        ),
    ] {
        // GoTrue echoes the link type (`internal/api/mail.go`, `adminGenerateLink`).
        let res = admin.generate_link(params).await.unwrap();
        assert_eq!(res.properties.verification_type, kind);
        assert!(res.user.new_email.is_some(), "{res:?}");
    }

    // A magic link's token hash signs the user in.
    let link = admin
        .generate_link(GenerateLinkParams::magiclink(&address))
        .await
        .unwrap();
    let c = anon().await;
    c.auth()
        .verify_otp(VerifyOtpParams::token_hash(
            link.properties.hashed_token.expose(),
            OtpType::Magiclink,
        ))
        .await
        .unwrap();
    let jwt = c.auth().get_session().await.unwrap().unwrap().access_token;

    // Factors through the admin API.
    let factor = c.auth().mfa().enroll(EnrollParams::totp()).await.unwrap();
    let uid = c.auth().get_user().await.unwrap().id;
    let factors = admin.mfa().list_factors(&uid).await.unwrap();
    assert_eq!(factors.len(), 1);
    assert_eq!(
        admin
            .mfa()
            .delete_factor(AdminDeleteFactorParams::new(&factor.id, &uid))
            .await
            .unwrap()
            .id,
        factor.id
    );
    assert!(admin.mfa().list_factors(&uid).await.unwrap().is_empty());

    // Signing the user out with their JWT revokes their session.
    admin
        .sign_out(jwt.expose(), SignOutScope::Global)
        .await
        .unwrap();
    assert!(c.auth().refresh_session().await.is_err());

    let c = anon().await;
    c.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&address, "pw 123456"))
        .await
        .unwrap();
}

/// The providers of `user`'s identities, sorted.
fn providers(user: &supabase_core::auth::User) -> Vec<String> {
    let mut p: Vec<String> = user
        .identities
        .iter()
        .flatten()
        .map(|i| i.provider.clone())
        .collect();
    p.sort();
    p
}

#[tokio::test]
async fn users_move_in_with_their_password_hash() {
    let s = stack().await;
    let (anon, admin) = clients_of(s);
    let admin = admin.auth().admin();
    let password = "moved-in password";
    // A `$2b$` hash made elsewhere (libxcrypt, cost 4) and a `$2a$` one made by pgcrypto.
    let made_elsewhere = "$2b$04$2mm6UA9JqRtbQphAVkGqP.djGrPCsEYY7eAMOdiKzJxziWBW39giG";
    let by_pgcrypto = s
        .query_json(&format!(
            "select extensions.crypt('{password}', extensions.gen_salt('bf', 4)) as h"
        ))
        .await
        .unwrap()[0]["h"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(by_pgcrypto.starts_with("$2a$04$"), "{by_pgcrypto}");
    for hash in [made_elsewhere, &by_pgcrypto] {
        let address = email("hash");
        let user = admin
            .create_user(
                AdminUserAttributes::new()
                    .email(&address)
                    .password_hash(hash)
                    .email_confirm(true),
            )
            .await
            .unwrap();
        // Stored as it is, and the password it hashes signs in; another does not.
        let stored = s
            .query_json(&format!(
                "select encrypted_password as h from auth.users where id = '{}'",
                user.id
            ))
            .await
            .unwrap();
        assert_eq!(stored[0]["h"], hash);
        let session = anon
            .auth()
            .sign_in_with_password(SignInWithPasswordCredentials::email(&address, password))
            .await
            .unwrap();
        assert_eq!(session.user.unwrap().id, user.id);
        let err = anon
            .auth()
            .sign_in_with_password(SignInWithPasswordCredentials::email(&address, "not it"))
            .await
            .unwrap_err();
        assert_eq!(code(&err), Some(&ErrorCode::InvalidCredentials), "{err:?}");
    }

    // A password as well is refused (400); a hash GoTrue cannot read is its 500.
    let err = admin
        .create_user(
            AdminUserAttributes::new()
                .email(&email("hash"))
                .password("")
                .password_hash(made_elsewhere),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), Some(&ErrorCode::ValidationFailed), "{err:?}");
    assert!(
        err.to_string()
            .contains("Only a password or a password hash"),
        "{err}"
    );
    let address = email("hash");
    let err = admin
        .create_user(
            AdminUserAttributes::new()
                .email(&address)
                .password_hash("md5-not-bcrypt"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth(e) if e.status().map(|s| s.as_u16()) == Some(500)),
        "{err:?}"
    );
    let none = s
        .query_json(&format!(
            "select count(*) as n from auth.users where email = '{address}'"
        ))
        .await
        .unwrap();
    assert_eq!(none[0]["n"], 0, "no user made");
}

fn code(err: &Error) -> Option<&ErrorCode> {
    match err {
        Error::Auth(e) => e.code(),
        _ => None,
    }
}

/// A client of `stack` (with its own session) and a service-role client of it.
fn clients_of(stack: &supabase_local::Stack) -> (Client, Client) {
    let anon = Client::new(stack.url(), stack.anon_key(), ClientOptions::default()).unwrap();
    (anon, service_on(stack))
}

#[tokio::test]
async fn phone_users_confirmed_and_given_new_credentials() {
    // On the account tests' stack, so these users do not shift the paging test's pages.
    let s = crate::e2e_account::stack().await;
    let anon = || clients_of(s).0;
    let svc = clients_of(s).1;
    let admin = svc.auth().admin();

    // A phone user, confirmed at creation, signs in with phone and password.
    let number = phone();
    let digits = number.trim_start_matches('+');
    let user = admin
        .create_user(
            AdminUserAttributes::new()
                .phone(&number)
                .password("phone password")
                .phone_confirm(true),
        )
        .await
        .unwrap();
    assert_eq!(user.phone.as_deref(), Some(digits));
    assert!(user.phone_confirmed_at.is_some());
    assert_eq!(providers(&user), ["phone"]);
    let c = anon();
    let signed_in = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(
            &number,
            "phone password",
        ))
        .await
        .unwrap();
    assert_eq!(signed_in.user.unwrap().id, user.id);

    // Without phone_confirm the phone cannot sign in until an update confirms it.
    let other = phone();
    let unconfirmed = admin
        .create_user(
            AdminUserAttributes::new()
                .phone(&other)
                .password("other password"),
        )
        .await
        .unwrap();
    assert!(unconfirmed.phone_confirmed_at.is_none());
    let err = anon()
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(
            &other,
            "other password",
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&err), Some(&ErrorCode::PhoneNotConfirmed), "{err:?}");
    let confirmed = admin
        .update_user_by_id(
            &unconfirmed.id,
            AdminUserAttributes::new().phone_confirm(true),
        )
        .await
        .unwrap();
    assert!(confirmed.phone_confirmed_at.is_some());
    anon()
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(
            &other,
            "other password",
        ))
        .await
        .unwrap();

    // An email (confirmed) and a new password for the phone user: it gains an email identity,
    // both sign-ins take the new password only, and its sessions are signed out (GoTrue's
    // `UpdatePassword` without a session).
    let address = email("admin-phone");
    let updated = admin
        .update_user_by_id(
            &user.id,
            AdminUserAttributes::new()
                .email(&address)
                .password("a new password")
                .email_confirm(true),
        )
        .await
        .unwrap();
    assert_eq!(updated.email.as_deref(), Some(address.as_str()));
    assert!(updated.email_confirmed_at.is_some());
    assert_eq!(providers(&updated), ["email", "phone"]);
    assert!(c.auth().refresh_session().await.is_err(), "signed out");
    let by_email = anon()
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "a new password",
        ))
        .await
        .unwrap();
    assert_eq!(by_email.user.unwrap().id, user.id);
    let err = anon()
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(
            &number,
            "phone password",
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&err), Some(&ErrorCode::InvalidCredentials), "{err:?}");
    anon()
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(
            &number,
            "a new password",
        ))
        .await
        .unwrap();

    // An email user confirmed by an update: `email_confirm` alone.
    let later = email("admin-confirm-later");
    let pending = admin
        .create_user(
            AdminUserAttributes::new()
                .email(&later)
                .password("later password"),
        )
        .await
        .unwrap();
    assert!(pending.email_confirmed_at.is_none());
    let err = anon()
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &later,
            "later password",
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&err), Some(&ErrorCode::EmailNotConfirmed), "{err:?}");
    let confirmed = admin
        .update_user_by_id(&pending.id, AdminUserAttributes::new().email_confirm(true))
        .await
        .unwrap();
    assert!(confirmed.email_confirmed_at.is_some());
    anon()
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &later,
            "later password",
        ))
        .await
        .unwrap();

    // Created with both an email and a phone: two identities (`adminUserCreate`).
    let both = admin
        .create_user(
            AdminUserAttributes::new()
                .email(&email("admin-both"))
                .phone(&phone())
                .password("both password")
                .email_confirm(true)
                .phone_confirm(true),
        )
        .await
        .unwrap();
    assert_eq!(providers(&both), ["email", "phone"]);
    assert_eq!(
        both.app_metadata["providers"],
        json!(["email", "phone"]),
        "{both:?}"
    );

    // The reference's examples without a password, from its dicts: a confirmed email user and
    // a confirmed phone user.
    let address = email("admin-no-password");
    let attributes: AdminUserAttributes =
        serde_json::from_value(json!({"email": address, "email_confirm": true})).unwrap();
    let by_email = admin.create_user(attributes).await.unwrap();
    assert!(by_email.email_confirmed_at.is_some(), "{by_email:?}");
    assert_eq!(providers(&by_email), ["email"]);
    let number = phone();
    let attributes: AdminUserAttributes =
        serde_json::from_value(json!({"phone": number, "phone_confirm": true})).unwrap();
    let by_phone = admin.create_user(attributes).await.unwrap();
    assert!(by_phone.phone_confirmed_at.is_some(), "{by_phone:?}");
    assert_eq!(providers(&by_phone), ["phone"]);
}

/// A ban keeps the user's sessions, as GoTrue's `User.Ban` only sets `banned_until`: while it
/// lasts, a refresh is refused with `user_banned` ("Invalid Refresh Token: User Banned") and so
/// is a new sign-in; lifted (`ban_duration: "none"`), the same session refreshes again.
#[tokio::test]
async fn a_ban_refuses_refreshes_and_sign_ins_but_keeps_the_session() {
    let address = email("banned");
    let admin = service().await;
    let user = admin
        .auth()
        .admin()
        .create_user(
            AdminUserAttributes::new()
                .email(&address)
                .password("ban password")
                .email_confirm(true),
        )
        .await
        .unwrap();
    let client = anon().await;
    let credentials = SignInWithPasswordCredentials::email(&address, "ban password");
    client
        .auth()
        .sign_in_with_password(credentials.clone())
        .await
        .unwrap();

    let ban = |duration: &'static str| {
        let admin = admin.clone();
        let id = user.id.clone();
        async move {
            admin
                .auth()
                .admin()
                .update_user_by_id(&id, AdminUserAttributes::new().ban_duration(duration))
                .await
                .unwrap()
        }
    };
    let session = client
        .auth()
        .get_session()
        .await
        .unwrap()
        .expect("signed in");
    let refresh_token = session.refresh_token.expose().to_owned();
    assert!(ban("24h").await.banned_until.is_some());
    let err = client.auth().refresh_session().await.unwrap_err();
    assert_eq!(code(&err), Some(&ErrorCode::UserBanned), "{err:?}");
    assert!(
        err.to_string()
            .contains("Invalid Refresh Token: User Banned"),
        "{err}"
    );
    let err = anon()
        .await
        .auth()
        .sign_in_with_password(credentials)
        .await
        .unwrap_err();
    assert_eq!(code(&err), Some(&ErrorCode::UserBanned), "{err:?}");

    // The client dropped its session at the refused refresh (as auth-js does); the server
    // kept it, so its refresh token works once the ban is lifted.
    assert!(ban("none").await.banned_until.is_none());
    anon()
        .await
        .auth()
        .refresh_session_with(&refresh_token)
        .await
        .expect("the session outlived the ban");
}
