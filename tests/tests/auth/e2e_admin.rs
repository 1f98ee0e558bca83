//! The admin API against the stand-in (service_role key): create, page, update, invite, links,
//! sign out a user, factors, delete (soft and hard); refused with the anon key.

use serde_json::json;
use supabase_core::Error;
use supabase_core::auth::{
    AdminUserAttributes, EnrollParams, ErrorCode, GenerateLinkParams, InviteUserOptions, OtpType,
    SignInWithPasswordCredentials, SignOutScope, VerifyOtpParams,
};

use crate::{anon, email, service, stack};

#[tokio::test]
async fn create_page_update_and_delete_users() {
    let admin = service().await;
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

    admin.delete_user(&ids[1], true).await.unwrap();
    admin.delete_user(&ids[2], false).await.unwrap();
    let err = admin.get_user_by_id(&ids[2]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Auth(e) if e.code() == Some(&ErrorCode::UserNotFound)),
        "{err:?}"
    );
    let soft = stack()
        .await
        .query_json(&format!(
            "select deleted_at is not null as gone from auth.users where id = '{}'",
            ids[1]
        ))
        .await
        .unwrap();
    assert_eq!(soft[0]["gone"], true, "soft delete keeps the row: {soft}");

    // The anon key is not an admin.
    let err = anon()
        .await
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
        .invite_user_by_email(
            &invited,
            InviteUserOptions::new().data(json!({"team": "blue"})),
        )
        .await
        .unwrap();
    assert!(user.invited_at.is_some());
    assert!(stack().await.mailbox().latest_link(&invited).is_some());

    for params in [
        GenerateLinkParams::signup(email("link"), "link password"),
        GenerateLinkParams::invite(email("link")),
        GenerateLinkParams::magiclink(invited.clone()),
        GenerateLinkParams::recovery(invited.clone()),
    ] {
        let res = admin.generate_link(params).await.unwrap();
        assert!(
            res.properties.action_link.contains("/auth/v1/verify"),
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
            .delete_factor(&factor.id, &uid)
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
