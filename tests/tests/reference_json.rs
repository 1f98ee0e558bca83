//! The untyped (JSON) forms of the auth, storage, functions and realtime parameters: every dict
//! the Python reference passes deserializes, with `serde_json::from_value`,
//! into the Rust type, and equals the value the typed builders make. Misspelt keys and bad
//! values are errors naming them. Pure deserialization: no stack (the end-to-end uses are in the
//! auth and storage binaries).

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `value` as a `T`, or the test fails with serde's message.
fn from<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// serde's message for `value`, which must not deserialize as a `T`.
fn refused<T: DeserializeOwned + std::fmt::Debug>(value: Value) -> String {
    match serde_json::from_value::<T>(value.clone()) {
        Ok(v) => panic!("{value} was accepted: {v:?}"),
        Err(e) => e.to_string(),
    }
}

mod auth {
    use supabase_core::auth::{
        AdminDeleteFactorParams, AdminUserAttributes, Channel, CodeExchangeParams, EnrollParams,
        GenerateLinkParams, InviteUserOptions, MfaChallengeAndVerifyParams, MfaChallengeParams,
        MfaUnenrollParams, MfaVerifyParams, OtpType, ResendCredentials, ResetPasswordOptions,
        SignInAnonymouslyCredentials, SignInWithIdTokenCredentials, SignInWithOAuthCredentials,
        SignInWithOtpCredentials, SignInWithPasswordCredentials, SignInWithSsoCredentials,
        SignOutScope, SignUpCredentials, UserAttributes, VerifyOtpParams,
    };

    use super::*;

    #[test]
    fn sign_up_examples() {
        let cases: Vec<(Value, SignUpCredentials)> = vec![
            (
                json!({"email": "email@example.com", "password": "password"}),
                SignUpCredentials::email("email@example.com", "password"),
            ),
            (
                json!({"phone": "123456789", "password": "password"}),
                SignUpCredentials::phone("123456789", "password"),
            ),
            (
                json!({"phone": "123456789", "password": "password",
                       "options": {"channel": "whatsapp"}}),
                SignUpCredentials::phone("123456789", "password").channel(Channel::Whatsapp),
            ),
            (
                json!({"email": "email@example.com", "password": "password",
                       "options": {"data": {"first_name": "John", "age": 27}}}),
                SignUpCredentials::email("email@example.com", "password")
                    .data(json!({"first_name": "John", "age": 27})),
            ),
            (
                json!({"email": "hello1@example.com", "password": "password",
                       "options": {"email_redirect_to": "https://example.com/welcome"}}),
                SignUpCredentials::email("hello1@example.com", "password")
                    .email_redirect_to("https://example.com/welcome"),
            ),
        ];
        for (value, typed) in cases {
            assert_eq!(from::<SignUpCredentials>(value), typed);
        }
    }

    #[test]
    fn sign_in_examples() {
        assert_eq!(
            from::<SignInAnonymouslyCredentials>(json!({"options": {"captcha_token": ""}})),
            SignInAnonymouslyCredentials::new().captcha_token("")
        );
        assert_eq!(
            from::<SignInAnonymouslyCredentials>(json!({"options": {"data": {}}})),
            SignInAnonymouslyCredentials::new().data(json!({}))
        );
        assert_eq!(
            from::<SignInWithPasswordCredentials>(
                json!({"email": "email@example.com", "password": "example-password"})
            ),
            SignInWithPasswordCredentials::email("email@example.com", "example-password")
        );
        assert_eq!(
            from::<SignInWithPasswordCredentials>(
                json!({"phone": "+13334445555", "password": "some-password"})
            ),
            SignInWithPasswordCredentials::phone("+13334445555", "some-password")
        );
        assert_eq!(
            from::<SignInWithIdTokenCredentials>(
                json!({"provider": "google", "token": "your-id-token"})
            ),
            SignInWithIdTokenCredentials::new("google", "your-id-token")
        );
        assert_eq!(
            from::<SignInWithOtpCredentials>(json!({
                "email": "email@example.com",
                "options": {"email_redirect_to": "https://example.com/welcome"},
            })),
            SignInWithOtpCredentials::email("email@example.com")
                .email_redirect_to("https://example.com/welcome")
        );
        assert_eq!(
            from::<SignInWithOtpCredentials>(json!({"phone": "+13334445555"})),
            SignInWithOtpCredentials::phone("+13334445555")
        );
        assert_eq!(
            from::<SignInWithOtpCredentials>(
                json!({"phone": "+13334445555", "options": {"channel": "whatsapp"}})
            ),
            SignInWithOtpCredentials::phone("+13334445555").channel(Channel::Whatsapp)
        );
        assert_eq!(
            from::<SignInWithOtpCredentials>(
                json!({"email": "a@example.com", "options": {"should_create_user": false}})
            ),
            SignInWithOtpCredentials::email("a@example.com").should_create_user(false)
        );
        assert_eq!(
            from::<SignInWithOAuthCredentials>(json!({"provider": "github"})),
            SignInWithOAuthCredentials::new("github")
        );
        assert_eq!(
            from::<SignInWithOAuthCredentials>(json!({
                "provider": "github",
                "options": {"redirect_to": "https://example.com/welcome"},
            })),
            SignInWithOAuthCredentials::new("github").redirect_to("https://example.com/welcome")
        );
        assert_eq!(
            from::<SignInWithOAuthCredentials>(json!({
                "provider": "github",
                "options": {"scopes": "repo gist notifications",
                            "query_params": {"access_type": "offline", "prompt": "consent"}},
            })),
            SignInWithOAuthCredentials::new("github")
                .scopes("repo gist notifications")
                .query_params([("access_type", "offline"), ("prompt", "consent")])
        );
        // link_identity takes the same dict (the reference writes `{provider: "github"}`).
        assert_eq!(
            from::<SignInWithOAuthCredentials>(json!({"provider": "github"})),
            SignInWithOAuthCredentials::new("github")
        );
        assert_eq!(
            from::<SignInWithSsoCredentials>(json!({"domain": "company.com"})),
            SignInWithSsoCredentials::domain("company.com")
        );
        assert_eq!(
            from::<SignInWithSsoCredentials>(
                json!({"provider_id": "21648a9d-8d5a-4555-a9d1-d6375dc14e92"})
            ),
            SignInWithSsoCredentials::provider_id("21648a9d-8d5a-4555-a9d1-d6375dc14e92")
        );
    }

    #[test]
    fn otp_recovery_and_exchange_examples() {
        assert_eq!(
            from::<ResetPasswordOptions>(
                json!({"redirect_to": "https://example.com/update-password"})
            ),
            ResetPasswordOptions::new().redirect_to("https://example.com/update-password")
        );
        assert_eq!(
            from::<VerifyOtpParams>(
                json!({"email": "email@example.com", "token": "123456", "type": "email"})
            ),
            VerifyOtpParams::email("email@example.com", "123456", OtpType::Email)
        );
        assert_eq!(
            from::<VerifyOtpParams>(
                json!({"phone": "+13334445555", "token": "123456", "type": "sms"})
            ),
            VerifyOtpParams::phone("+13334445555", "123456", OtpType::Sms)
        );
        assert_eq!(
            from::<VerifyOtpParams>(json!({"token_hash": "<token-hash>", "type": "email"})),
            VerifyOtpParams::token_hash("<token-hash>", OtpType::Email)
        );
        // The reference's third example sends `email` with `token_hash`, which GoTrue refuses
        // ("Only the token_hash and type should be provided"): refused here, saying why.
        let err = refused::<VerifyOtpParams>(json!({
            "email": "email@example.com", "token_hash": "<token-hash>", "type": "email",
        }));
        assert!(err.contains("only `token_hash` and `type`"), "{err}");

        let resends: Vec<(Value, ResendCredentials)> = vec![
            (
                json!({"type": "signup", "email": "email@example.com",
                       "options": {"email_redirect_to": "https://example.com/welcome"}}),
                ResendCredentials::email(OtpType::Signup, "email@example.com")
                    .email_redirect_to("https://example.com/welcome"),
            ),
            (
                json!({"type": "sms", "phone": "1234567890"}),
                ResendCredentials::phone(OtpType::Sms, "1234567890"),
            ),
            (
                json!({"type": "email_change", "email": "email@example.com"}),
                ResendCredentials::email(OtpType::EmailChange, "email@example.com"),
            ),
            (
                json!({"type": "phone_change", "phone": "1234567890"}),
                ResendCredentials::phone(OtpType::PhoneChange, "1234567890"),
            ),
        ];
        for (value, typed) in resends {
            assert_eq!(from::<ResendCredentials>(value), typed);
        }
        assert_eq!(
            from::<CodeExchangeParams>(
                json!({"auth_code": "34e770dd-9ff9-416c-87fa-43b31d7ef225"})
            ),
            CodeExchangeParams::new("34e770dd-9ff9-416c-87fa-43b31d7ef225")
        );
        assert_eq!(
            from::<CodeExchangeParams>(json!({"auth_code": "c", "code_verifier": "v",
                                              "redirect_to": "https://example.com"})),
            CodeExchangeParams::new("c")
                .code_verifier("v")
                .redirect_to("https://example.com")
        );
        assert_eq!(from::<SignOutScope>(json!("others")), SignOutScope::Others);
        // auth-py's `sign_out(options)` dict.
        assert_eq!(
            from::<SignOutScope>(json!({"scope": "local"})),
            SignOutScope::Local
        );
        assert_eq!(from::<SignOutScope>(json!({})), SignOutScope::Global);
        let err = refused::<SignOutScope>(json!({"scope": "everywhere"}));
        assert!(err.contains("a sign-out scope"), "{err}");
        // auth-py's options that this client takes as they are: `data` on a password sign-in
        // (GoTrue ignores it), `skip_http_redirect` on SSO (the URL is always returned).
        assert_eq!(
            from::<SignInWithPasswordCredentials>(json!({
                "email": "a@b.c", "password": "x",
                "options": {"data": {"k": 1}, "captcha_token": "t"},
            })),
            SignInWithPasswordCredentials::email("a@b.c", "x").captcha_token("t")
        );
        assert_eq!(
            from::<SignInWithSsoCredentials>(json!({
                "domain": "company.com", "options": {"skip_http_redirect": true},
            })),
            SignInWithSsoCredentials::domain("company.com")
        );
        let err = refused::<SignInWithSsoCredentials>(json!({
            "domain": "company.com", "options": {"skip_http_redirect": false},
        }));
        assert!(err.contains("`skip_http_redirect` must be true"), "{err}");
    }

    #[test]
    fn update_user_examples() {
        let cases: Vec<(Value, UserAttributes)> = vec![
            (
                json!({"email": "new@email.com"}),
                UserAttributes::new().email("new@email.com"),
            ),
            (
                json!({"phone": "123456789"}),
                UserAttributes::new().phone("123456789"),
            ),
            (
                json!({"password": "new password"}),
                UserAttributes::new().password("new password"),
            ),
            (
                json!({"data": {"hello": "world"}}),
                UserAttributes::new().data(json!({"hello": "world"})),
            ),
            (
                json!({"password": "new password", "nonce": "123456"}),
                UserAttributes::new()
                    .password("new password")
                    .nonce("123456"),
            ),
        ];
        for (value, typed) in cases {
            assert_eq!(from::<UserAttributes>(value), typed);
        }
    }

    #[test]
    fn mfa_examples() {
        assert_eq!(
            from::<EnrollParams>(
                json!({"factor_type": "totp", "friendly_name": "your_friendly_name"})
            ),
            EnrollParams::totp().friendly_name("your_friendly_name")
        );
        assert_eq!(
            from::<EnrollParams>(json!({"factor_type": "phone", "phone": "+13334445555"})),
            EnrollParams::phone("+13334445555")
        );
        assert_eq!(
            from::<MfaVerifyParams>(json!({
                "factor_id": "34e770dd-9ff9-416c-87fa-43b31d7ef225",
                "challenge_id": "4034ae6f-a8ce-4fb5-8ee5-69a5863a7c15",
                "code": "123456",
            })),
            MfaVerifyParams::new(
                "34e770dd-9ff9-416c-87fa-43b31d7ef225",
                "4034ae6f-a8ce-4fb5-8ee5-69a5863a7c15",
                "123456"
            )
        );
        let err = refused::<EnrollParams>(json!({"factor_type": "webauthn"}));
        assert!(err.contains("`webauthn`"), "{err}");

        let factor = "34e770dd-9ff9-416c-87fa-43b31d7ef225";
        assert_eq!(
            from::<MfaChallengeParams>(json!({"factor_id": factor})),
            MfaChallengeParams::from(factor)
        );
        assert_eq!(
            from::<MfaChallengeParams>(json!({"factor_id": factor, "channel": "whatsapp"})),
            MfaChallengeParams::new(factor).channel(Channel::Whatsapp)
        );
        assert_eq!(
            from::<MfaChallengeAndVerifyParams>(json!({"factor_id": factor, "code": "123456"})),
            MfaChallengeAndVerifyParams::new(factor, "123456")
        );
        assert_eq!(
            from::<MfaUnenrollParams>(json!({"factor_id": factor})),
            MfaUnenrollParams::from(factor)
        );
        assert_eq!(
            from::<AdminDeleteFactorParams>(json!({
                "id": factor,
                "user_id": "a89baba7-b1b7-440f-b4bb-91026967f66b"
            })),
            AdminDeleteFactorParams::new(factor, "a89baba7-b1b7-440f-b4bb-91026967f66b")
        );
        let err = refused::<MfaChallengeParams>(json!({"factorId": factor}));
        assert!(err.contains("factorId"), "{err}");
        let err = refused::<MfaChallengeAndVerifyParams>(json!({"factor_id": factor}));
        assert!(err.contains("code"), "{err}");
    }

    #[test]
    fn admin_examples() {
        let cases: Vec<(Value, AdminUserAttributes)> = vec![
            (
                json!({"email": "user@email.com", "password": "password",
                       "user_metadata": {"name": "Yoda"}}),
                AdminUserAttributes::new()
                    .email("user@email.com")
                    .password("password")
                    .user_metadata(json!({"name": "Yoda"})),
            ),
            (
                json!({"email": "user@email.com", "email_confirm": true}),
                AdminUserAttributes::new()
                    .email("user@email.com")
                    .email_confirm(true),
            ),
            (
                json!({"phone": "1234567890", "phone_confirm": true}),
                AdminUserAttributes::new()
                    .phone("1234567890")
                    .phone_confirm(true),
            ),
            (
                json!({"email": "new@email.com"}),
                AdminUserAttributes::new().email("new@email.com"),
            ),
            (
                json!({"password": "new_password"}),
                AdminUserAttributes::new().password("new_password"),
            ),
            (
                json!({"user_metadata": {"hello": "world"}}),
                AdminUserAttributes::new().user_metadata(json!({"hello": "world"})),
            ),
            (
                json!({"app_metadata": {"plan": "trial"}}),
                AdminUserAttributes::new().app_metadata(json!({"plan": "trial"})),
            ),
            (
                json!({"email_confirm": true}),
                AdminUserAttributes::new().email_confirm(true),
            ),
            (
                json!({"phone_confirm": true}),
                AdminUserAttributes::new().phone_confirm(true),
            ),
            (
                json!({"ban_duration": "24h", "role": "admin", "id": "u1"}),
                AdminUserAttributes::new()
                    .ban_duration("24h")
                    .role("admin")
                    .id("u1"),
            ),
        ];
        for (value, typed) in cases {
            assert_eq!(from::<AdminUserAttributes>(value), typed);
        }

        let links: Vec<(Value, GenerateLinkParams)> = vec![
            (
                json!({"type": "signup", "email": "email@example.com", "password": "secret"}),
                GenerateLinkParams::signup("email@example.com", "secret"),
            ),
            (
                json!({"type": "invite", "email": "email@example.com"}),
                GenerateLinkParams::invite("email@example.com"),
            ),
            (
                json!({"type": "magiclink", "email": "email@example.com"}),
                GenerateLinkParams::magiclink("email@example.com"),
            ),
            (
                json!({"type": "recovery", "email": "email@example.com"}),
                GenerateLinkParams::recovery("email@example.com"),
            ),
            (
                json!({"type": "email_change_current", "email": "current.email@example.com",
                       "new_email": "new.email@example.com"}),
                GenerateLinkParams::email_change_current(
                    "current.email@example.com",
                    "new.email@example.com",
                ),
            ),
            (
                json!({"type": "email_change_new", "email": "current.email@example.com",
                       "new_email": "new.email@example.com"}),
                GenerateLinkParams::email_change_new(
                    "current.email@example.com",
                    "new.email@example.com",
                ),
            ),
            (
                json!({"type": "invite", "email": "a@example.com",
                       "options": {"data": {"team": 1}, "redirect_to": "https://e.com"}}),
                GenerateLinkParams::invite("a@example.com")
                    .data(json!({"team": 1}))
                    .redirect_to("https://e.com"),
            ),
        ];
        for (value, typed) in links {
            assert_eq!(from::<GenerateLinkParams>(value), typed);
        }
        let err = refused::<GenerateLinkParams>(json!({"type": "signup", "email": "a@b.c"}));
        assert!(err.contains("needs a `password`"), "{err}");
        let err = refused::<GenerateLinkParams>(
            json!({"type": "magiclink", "email": "a@b.c", "new_email": "d@e.f"}),
        );
        assert!(err.contains("`new_email` does not apply"), "{err}");

        assert_eq!(
            from::<InviteUserOptions>(json!({"data": {"a": 1}, "redirect_to": "https://e.com"})),
            InviteUserOptions::new()
                .data(json!({"a": 1}))
                .redirect_to("https://e.com")
        );
    }

    #[test]
    fn misspelt_keys_and_bad_values_are_named() {
        let err = refused::<SignUpCredentials>(json!({"email": "a@b.c", "passwrd": "x"}));
        assert!(err.contains("unknown field `passwrd`"), "{err}");
        let err = refused::<SignUpCredentials>(
            json!({"email": "a@b.c", "password": "x", "options": {"redirect_to": "https://e"}}),
        );
        assert!(err.contains("unknown field `redirect_to`"), "{err}");
        assert!(
            err.contains("`email_redirect_to`"),
            "lists the valid keys: {err}"
        );
        let err = refused::<SignUpCredentials>(json!({"password": "x"}));
        assert!(err.contains("`email` or `phone` is required"), "{err}");
        let err = refused::<SignInWithPasswordCredentials>(
            json!({"email": "a@b.c", "phone": "1", "password": "x"}),
        );
        assert!(err.contains("not both"), "{err}");
        let err =
            refused::<VerifyOtpParams>(json!({"email": "a@b.c", "token": "1", "type": "emial"}));
        assert!(err.contains("unknown variant `emial`"), "{err}");
        let err = refused::<SignUpCredentials>(
            json!({"phone": "1", "password": "x", "options": {"channel": "pigeon"}}),
        );
        assert!(err.contains("unknown variant `pigeon`"), "{err}");
        let err = refused::<SignUpCredentials>(
            json!({"email": "a@b.c", "password": "x", "options": {"data": [1, 2]}}),
        );
        assert!(err.contains("invalid type"), "{err}");
        let err = refused::<SignInWithOAuthCredentials>(
            json!({"provider": "github", "options": {"query_params": {"n": 1}}}),
        );
        assert!(
            err.contains("`options.query_params.n` must be a string"),
            "{err}"
        );
    }

    #[test]
    fn secrets_read_from_json_stay_redacted() {
        let shown = [
            format!(
                "{:?}",
                from::<SignUpCredentials>(json!({"email": "a@b.c", "password": "hunter2-pw"}))
            ),
            format!(
                "{:?}",
                from::<VerifyOtpParams>(
                    json!({"email": "a@b.c", "token": "hunter2-otp", "type": "email"})
                )
            ),
            format!(
                "{:?}",
                from::<AdminUserAttributes>(
                    json!({"password": "hunter2-admin", "password_hash": "$2a$hunter2-hash"})
                )
            ),
            format!(
                "{:?}",
                from::<UserAttributes>(json!({"password": "hunter2-new", "nonce": "hunter2-n"}))
            ),
            format!(
                "{:?}",
                from::<GenerateLinkParams>(
                    json!({"type": "signup", "email": "a@b.c", "password": "hunter2-link"})
                )
            ),
            format!(
                "{:?}",
                from::<MfaVerifyParams>(
                    json!({"factor_id": "f", "challenge_id": "c", "code": "hunter2-code"})
                )
            ),
            format!(
                "{:?}",
                from::<SignInWithIdTokenCredentials>(json!({
                    "provider": "google", "token": "hunter2-id", "nonce": "hunter2-nonce",
                    "options": {"captcha_token": "hunter2-captcha"},
                }))
            ),
        ];
        for debug in shown {
            assert!(!debug.contains("hunter2"), "{debug}");
        }
    }
}

mod storage {
    use supabase_core::storage::{
        BucketOptions, FileOptions, ImageFormat, Resize, SearchOptions, SortOrder,
        TransformOptions, UrlOptions,
    };

    use super::*;

    #[test]
    fn bucket_options_examples() {
        // create_bucket and update_bucket pass the same dict.
        assert_eq!(
            from::<BucketOptions>(json!({
                "public": false,
                "allowed_mime_types": ["image/png"],
                "file_size_limit": 1024,
            })),
            BucketOptions::new()
                .public(false)
                .allowed_mime_types(["image/png"])
                .file_size_limit(1024)
        );
        assert_eq!(
            from::<BucketOptions>(json!({"file_size_limit": "20MB"})),
            BucketOptions::new().file_size_limit("20MB")
        );
        let err = refused::<BucketOptions>(json!({"public": true, "allowedMimeTypes": []}));
        assert!(err.contains("unknown field `allowedMimeTypes`"), "{err}");
        // `None` in the dict is `null`, which clears the bucket's setting; sent as such.
        let removed =
            from::<BucketOptions>(json!({"file_size_limit": null, "allowed_mime_types": null}));
        assert_eq!(
            removed,
            BucketOptions::new()
                .remove_file_size_limit()
                .remove_allowed_mime_types()
        );
        assert_eq!(
            serde_json::to_value(&removed).unwrap(),
            json!({"file_size_limit": null, "allowed_mime_types": null})
        );
        assert_eq!(
            serde_json::to_value(BucketOptions::new()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn file_options_examples() {
        assert_eq!(
            from::<FileOptions>(json!({"cache-control": "3600", "upsert": "false"})),
            FileOptions::new().cache_control("3600").upsert(false)
        );
        assert_eq!(
            from::<FileOptions>(json!({"cache-control": "3600", "upsert": "true"})),
            FileOptions::new().cache_control("3600").upsert(true)
        );
        assert_eq!(
            from::<FileOptions>(json!({
                "content-type": "image/png", "x-upsert": "true", "cache-control": 60,
                "metadata": {"owner": "ada"},
            })),
            FileOptions::new()
                .content_type("image/png")
                .upsert(true)
                .cache_control("60")
                .metadata(json!({"owner": "ada"}))
        );
        // storage-py's `headers`: sent with the upload; `Debug` names them only.
        let with_headers = from::<FileOptions>(json!({
            "headers": {"x-custom": "1", "authorization": "Bearer secret-token"},
        }));
        assert_eq!(
            with_headers,
            FileOptions::new()
                .header("authorization", "Bearer secret-token")
                .header("x-custom", "1")
        );
        let debug = format!("{with_headers:?}");
        assert!(
            debug.contains("x-custom") && !debug.contains("secret-token"),
            "{debug}"
        );
        let err = refused::<FileOptions>(json!({"cache_control": "3600"}));
        assert!(err.contains("unknown field `cache_control`"), "{err}");
        assert!(
            err.contains("`cache-control`"),
            "lists the valid keys: {err}"
        );
        let err = refused::<FileOptions>(json!({"upsert": "yes"}));
        assert!(
            err.contains(r#"`upsert` must be "true" or "false""#),
            "{err}"
        );
    }

    #[test]
    fn list_and_url_examples() {
        assert_eq!(
            from::<SearchOptions>(json!({
                "limit": 100, "offset": 0, "sortBy": {"column": "name", "order": "desc"},
            })),
            SearchOptions::new()
                .limit(100)
                .offset(0)
                .sort_by("name", SortOrder::Desc)
        );
        assert_eq!(
            from::<SearchOptions>(json!({
                "limit": 100, "offset": 0, "sortBy": {"column": "name", "order": "desc"},
                "search": "jon",
            })),
            SearchOptions::new()
                .limit(100)
                .offset(0)
                .sort_by("name", SortOrder::Desc)
                .search("jon")
        );
        assert_eq!(
            from::<SearchOptions>(json!({"sortBy": {"order": "desc"}})),
            SearchOptions::new().sort_by("name", SortOrder::Desc)
        );
        // download(path, {"transform": ..}), create_signed_url(path, 60, {"transform": ..}),
        // get_public_url(path, {"transform": ..}) and {"download": True}.
        assert_eq!(
            from::<UrlOptions>(json!({"transform": {"width": 100, "height": 100, "quality": 80}})),
            UrlOptions::new().transform(TransformOptions::new().width(100).height(100).quality(80))
        );
        assert_eq!(
            from::<UrlOptions>(json!({"transform": {"width": 100, "height": 100}})),
            UrlOptions::new().transform(TransformOptions::new().width(100).height(100))
        );
        assert_eq!(
            from::<UrlOptions>(json!({"download": true})),
            UrlOptions::new().download(true)
        );
        assert_eq!(
            from::<UrlOptions>(json!({"download": "report.pdf"})),
            UrlOptions::new().download("report.pdf")
        );
        assert_eq!(
            from::<UrlOptions>(json!({"download": false})),
            UrlOptions::new()
        );
        // Both routes agree: `false` and `""` ask for no download (storage-js reads `""` so).
        for no in [
            UrlOptions::new().download(false),
            UrlOptions::new().download(""),
            from::<UrlOptions>(json!({"download": ""})),
        ] {
            assert_eq!(no, UrlOptions::new());
        }
        let name = String::from("a.pdf");
        assert_eq!(
            UrlOptions::new().download(&name),
            UrlOptions::new().download("a.pdf")
        );
        assert_eq!(
            UrlOptions::new().download(name),
            UrlOptions::new().download("a.pdf")
        );
        assert_eq!(
            from::<TransformOptions>(json!({"resize": "contain", "format": "origin"})),
            TransformOptions::new()
                .resize(Resize::Contain)
                .format(ImageFormat::Origin)
        );
        let err = refused::<UrlOptions>(json!({"transform": {"widht": 100}}));
        assert!(err.contains("unknown field `widht`"), "{err}");
        let err = refused::<TransformOptions>(json!({"resize": "stretch"}));
        assert!(err.contains("unknown variant `stretch`"), "{err}");
    }
}

mod functions {
    use supabase_core::functions::{FunctionRegion, HttpMethod, InvokeOptions};

    use super::*;

    /// `InvokeOptions` holds streams, so it has no `PartialEq`: its `Debug` (headers, method,
    /// region, body kind and size, timeout) is compared, and the echo test in the functions
    /// binary checks what is sent.
    fn same(json: Value, typed: InvokeOptions) {
        assert_eq!(
            format!("{:?}", from::<InvokeOptions>(json)),
            format!("{typed:?}")
        );
    }

    #[test]
    fn invoke_options_examples() {
        same(
            json!({"body": {"name": "Functions"}}),
            InvokeOptions::new().body(&json!({"name": "Functions"})),
        );
        same(
            json!({"body": {"foo": "bar"},
                   "headers": {"my-custom-header": "my-custom-header-value"}}),
            InvokeOptions::new()
                .body(&json!({"foo": "bar"}))
                .header("my-custom-header", "my-custom-header-value"),
        );
        same(
            json!({"headers": {"my-custom-header": "my-custom-header-value"},
                   "body": {"foo": "bar"}}),
            InvokeOptions::new()
                .header("my-custom-header", "my-custom-header-value")
                .body(&json!({"foo": "bar"})),
        );
        same(
            json!({"body": "plain", "method": "PUT", "region": "eu-west-1"}),
            InvokeOptions::new()
                .text("plain")
                .method(HttpMethod::Put)
                .region(FunctionRegion::EuWest1),
        );
        same(
            json!({"body": [1, 2], "region": "mars-north-1"}),
            InvokeOptions::new()
                .body(&json!([1, 2]))
                .region(FunctionRegion::Other("mars-north-1".into())),
        );
        same(json!({}), InvokeOptions::new());
        assert_eq!(from::<HttpMethod>(json!("DELETE")), HttpMethod::Delete);
        assert_eq!(from::<FunctionRegion>(json!("any")), FunctionRegion::Any);

        let err = refused::<InvokeOptions>(json!({"body": {}, "responseType": "json"}));
        assert!(err.contains("unknown field `responseType`"), "{err}");
        let err = refused::<InvokeOptions>(json!({"method": "OPTIONS"}));
        assert!(err.contains("unknown variant `OPTIONS`"), "{err}");
        let err = refused::<InvokeOptions>(json!({"headers": {"bad header": "x"}}));
        assert!(err.contains("invalid header `bad header`"), "{err}");
    }
}

mod realtime {
    use supabase_core::realtime::{ChannelConfig, Replay};

    use std::time::Duration;

    use super::*;

    /// realtime-py's `RealtimeChannelOptions` (the reference's examples pass none; these are
    /// the shapes its `channel(name, params)` takes).
    #[test]
    fn channel_options() {
        let cases: Vec<(Value, ChannelConfig)> = vec![
            (json!({}), ChannelConfig::default()),
            (json!({"config": {}}), ChannelConfig::default()),
            (
                json!({"config": {"broadcast": {"self": true, "ack": false}, "private": true}}),
                ChannelConfig::default().broadcast_self(true).private(true),
            ),
            (
                json!({"config": {"broadcast": null, "presence": {"key": "user-1", "enabled": true},
                                  "private": false}}),
                ChannelConfig::default()
                    .presence_key("user-1")
                    .presence_enabled(true),
            ),
            (
                json!({"config": {"broadcast": {"replay": {"since": 1, "limit": 5}},
                                  "private": true}}),
                ChannelConfig::default()
                    .private(true)
                    .broadcast_replay(Replay::since_millis(1).limit(5)),
            ),
            // realtime-js's option (the timeout defaults to the server's 15 s).
            (
                json!({"config": {"postgres_changes_options": {"wait": true, "timeout": 3000}}}),
                ChannelConfig::default().postgres_changes_wait(Duration::from_secs(3)),
            ),
            (
                json!({"config": {"postgres_changes_options": {"wait": true}}}),
                ChannelConfig::default().postgres_changes_wait(Duration::from_secs(15)),
            ),
            (
                json!({"config": {"postgres_changes_options": {"wait": false, "timeout": 9}}}),
                ChannelConfig::default(),
            ),
        ];
        for (json, typed) in cases {
            assert_eq!(from::<ChannelConfig>(json), typed);
        }
        let err = refused::<ChannelConfig>(json!({"config": {"broadcast": {"slef": true}}}));
        assert!(err.contains("unknown field `slef`"), "{err}");
        let err =
            refused::<ChannelConfig>(json!({"config": {"broadcast": {"replay": {"limit": 1}}}}));
        assert!(err.contains("missing field `since`"), "{err}");
        let err = refused::<ChannelConfig>(json!({"broadcast": {"self": true}}));
        assert!(err.contains("unknown field `broadcast`"), "{err}");
    }
}
