//! The OAuth sign-in and identity linking end to end with GoTrue's `keycloak` provider: the
//! local OIDC provider of `e2e_id_token` approves at once (the user named by `login_hint`, passed
//! through GoTrue from the client's `query_params`), and every redirect is followed by hand, as a
//! browser would: the client's authorize URL → the stand-in (302 to the provider) → the provider
//! (302 to the stand-in's `/callback` with `code` and `state`) → the stand-in, which exchanges the
//! code at the provider's token endpoint, reads its userinfo endpoint, and redirects to
//! `redirect_to` with `?code=` (PKCE) or the session in the fragment (implicit flow).

use std::collections::HashMap;

use futures_util::{FutureExt, StreamExt};
use serde_json::json;
use supabase_core::auth::{
    AuthChangeEvent, AuthError, ErrorCode, FlowType, SignInWithOAuthCredentials,
};
use supabase_core::{Client, ClientOptions, Error};

use crate::e2e_id_token::{CLIENT_ID, client, idp, password_user, provider_subject, stack};
use crate::email;

const REDIRECT_TO: &str = "http://127.0.0.1:3000/welcome";
const SITE_URL: &str = "http://127.0.0.1:3000";

/// One request without following redirects: the status and the `Location`.
async fn hop(url: &str) -> (u16, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location)
}

/// The query parameters of `url`.
fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The fragment parameters of `url`, in order.
fn fragment(url: &str) -> Vec<(String, String)> {
    let parsed = url::Url::parse(url).unwrap();
    url::form_urlencoded::parse(parsed.fragment().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The URL without its query and fragment.
fn base(url: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_query(None);
    u.set_fragment(None);
    u.into()
}

/// Follows a GoTrue authorize URL through the provider and back to the stand-in's callback;
/// returns the callback URL the provider sent the browser to.
async fn through_provider(authorize_url: &str) -> String {
    let (status, to_provider) = hop(authorize_url).await;
    assert_eq!(status, 302, "GoTrue redirects to the provider");
    provider_hop(&to_provider).await
}

/// The provider's authorize endpoint: checks what GoTrue asked for, returns where it sends the
/// browser (the stand-in's callback).
async fn provider_hop(to_provider: &str) -> String {
    let s = stack().await;
    let issuer = &idp().await.issuer;
    assert_eq!(
        base(to_provider),
        format!("{issuer}/protocol/openid-connect/auth")
    );
    let q = query(to_provider);
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "profile email");
    assert_eq!(q["redirect_uri"], format!("{}/auth/v1/callback", s.url()));
    assert!(!q["state"].is_empty());
    let (status, to_callback) = hop(to_provider).await;
    assert_eq!(status, 302, "the provider approves");
    assert_eq!(base(&to_callback), format!("{}/auth/v1/callback", s.url()));
    to_callback
}

fn oauth(login: &str) -> SignInWithOAuthCredentials {
    SignInWithOAuthCredentials::new("keycloak")
        .redirect_to(REDIRECT_TO)
        .query_params([("login_hint", login)])
}

/// `client` (PKCE) through the whole flow for `login`; returns the `code` of the final redirect.
async fn pkce_code(c: &Client, login: &str) -> String {
    let url = c.auth().sign_in_with_oauth(oauth(login)).await.unwrap().url;
    let q = query(&url);
    assert_eq!(q["code_challenge_method"], "s256");
    let callback = through_provider(&url).await;
    let (status, back) = hop(&callback).await;
    assert_eq!(status, 302, "{back}");
    assert_eq!(base(&back), REDIRECT_TO, "{back}");
    assert!(fragment(&back).is_empty(), "{back}");
    query(&back)
        .remove("code")
        .unwrap_or_else(|| panic!("no code in {back}"))
}

#[tokio::test]
async fn pkce_sign_in_completes_and_signs_in_the_same_user_again() {
    let address = email("oauth-pkce");
    let c = client().await;
    let code = pkce_code(&c, &address).await;
    let res = c.auth().exchange_code_for_session(&code).await.unwrap();
    let session = res.session.expect("a session");
    let provider_token = session.provider_token.as_ref().expect("provider_token");
    assert!(provider_token.expose().starts_with("kc-at-"));
    let provider_refresh = session
        .provider_refresh_token
        .as_ref()
        .expect("provider_refresh_token");
    assert!(provider_refresh.expose().starts_with("kc-rt-"));
    let user = c.auth().get_user().await.unwrap();
    assert_eq!(user.id, session.user.id);
    assert_eq!(user.email.as_deref(), Some(address.as_str()));
    assert!(
        user.email_confirmed_at.is_some(),
        "verified by the provider"
    );
    assert_eq!(user.app_metadata["provider"], "keycloak");
    assert_eq!(
        user.user_metadata["full_name"],
        format!("Keycloak {address}")
    );
    let identities = c.auth().get_user_identities().await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].provider, "keycloak");
    assert_eq!(identities[0].id, provider_subject(&address));
    let data = identities[0].identity_data.clone().unwrap_or_default();
    assert_eq!(data["email"], json!(address));
    assert_eq!(data["iss"], json!(idp().await.issuer));
    let claims = c
        .auth()
        .get_claims(None, Default::default())
        .await
        .unwrap()
        .claims;
    assert_eq!(claims["amr"][0]["method"], "oauth");
    // The session works with PostgREST and RLS.
    c.table("todos")
        .insert(json!({"task": "from the keycloak callback"}))
        .await
        .unwrap();

    // The code is used once.
    let err = client()
        .await
        .auth()
        .exchange_code_for_session_with(
            supabase_core::auth::CodeExchangeParams::new(&code).code_verifier("x".repeat(43)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth(e) if e.code() == Some(&ErrorCode::FlowStateNotFound)),
        "{err:?}"
    );

    // Signing in again: the same user, still one identity.
    let again = client().await;
    let code = pkce_code(&again, &address).await;
    let res = again.auth().exchange_code_for_session(&code).await.unwrap();
    assert_eq!(res.user.unwrap().id, user.id);
    assert_eq!(again.auth().get_user_identities().await.unwrap().len(), 1);
}

#[tokio::test]
async fn implicit_flow_puts_the_session_in_the_fragment() {
    let s = stack().await;
    let address = email("oauth-implicit");
    let c = Client::new(
        s.url(),
        s.anon_key(),
        ClientOptions::default().flow_type(FlowType::Implicit),
    )
    .unwrap();
    let url = c
        .auth()
        .sign_in_with_oauth(oauth(&address))
        .await
        .unwrap()
        .url;
    assert!(!query(&url).contains_key("code_challenge"));
    let callback = through_provider(&url).await;
    let (status, back) = hop(&callback).await;
    assert_eq!(status, 302);
    assert_eq!(base(&back), REDIRECT_TO);
    let params = fragment(&back);
    let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    // `AsRedirectURL`: Go's `url.Values.Encode`, sorted by key.
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_at",
            "expires_in",
            "provider_refresh_token",
            "provider_token",
            "refresh_token",
            "token_type"
        ]
    );
    let map: HashMap<_, _> = params.into_iter().collect();
    assert_eq!(map["token_type"], "bearer");
    assert_eq!(map["expires_in"], "3600");

    assert!(c.auth().get_session().await.unwrap().is_none());
    let session = c
        .auth()
        .initialize_from_url(&back)
        .await
        .unwrap()
        .expect("a session from the URL");
    assert_eq!(
        session.provider_token.unwrap().expose(),
        map["provider_token"]
    );
    assert_eq!(session.expires_at.unwrap().to_string(), map["expires_at"]);
    let user = c.auth().get_user().await.unwrap();
    assert_eq!(user.email.as_deref(), Some(address.as_str()));
    assert_eq!(
        c.auth().get_session().await.unwrap().unwrap().user.id,
        user.id
    );
    // The refresh token from the fragment works.
    c.auth().refresh_session().await.unwrap();

    // A URL without a session changes nothing.
    assert!(
        c.auth()
            .initialize_from_url(REDIRECT_TO)
            .await
            .unwrap()
            .is_none()
    );
    assert!(c.auth().get_session().await.unwrap().is_some());
}

#[tokio::test]
async fn a_provider_error_comes_back_as_gotrue_error_redirect() {
    let c = client().await;
    let url = c
        .auth()
        .sign_in_with_oauth(oauth("deny"))
        .await
        .unwrap()
        .url;
    let callback = through_provider(&url).await;
    assert_eq!(query(&callback)["error"], "access_denied");
    let (status, back) = hop(&callback).await;
    // `redirectErrors` with the provider's `OAuthError`: no error_code.
    assert_eq!(status, 302);
    assert_eq!(
        back,
        format!(
            "{REDIRECT_TO}?error=access_denied&error_description=The+user+denied+access\
             #error=access_denied&error_description=The+user+denied+access"
        )
    );
    let err = c.auth().initialize_from_url(&back).await.unwrap_err();
    match err {
        Error::Auth(AuthError::ImplicitGrantRedirect {
            message,
            error,
            code,
        }) => {
            assert_eq!(message, "The user denied access");
            assert_eq!(error.as_deref(), Some("access_denied"));
            assert_eq!(code, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(c.auth().get_session().await.unwrap().is_none());
}

/// The 303 `loadFlowState` answers for a bad state: to the site URL, the error in the query.
fn assert_state_error(status: u16, location: &str, code: &str, description: &str) {
    assert_eq!(status, 303, "{location}");
    assert_eq!(base(location).trim_end_matches('/'), SITE_URL, "{location}");
    let q = query(location);
    assert_eq!(q["error"], "invalid_request", "{location}");
    assert_eq!(q["error_code"], code, "{location}");
    assert_eq!(q["error_description"], description, "{location}");
}

/// A code the provider issued for `login`, with `state` handed back.
async fn provider_code(state: &str, login: &str) -> String {
    let s = stack().await;
    let mut authorize = url::Url::parse(&format!(
        "{}/protocol/openid-connect/auth",
        idp().await.issuer
    ))
    .unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("scope", "profile email")
        .append_pair("redirect_uri", &format!("{}/auth/v1/callback", s.url()))
        .append_pair("login_hint", login)
        .append_pair("state", state);
    let (status, to_callback) = hop(authorize.as_str()).await;
    assert_eq!(status, 302);
    to_callback
}

#[tokio::test]
async fn bad_states_and_unknown_flow_states_are_refused() {
    let s = stack().await;
    let c = client().await;
    let address = email("oauth-bad-state");
    let url = c
        .auth()
        .sign_in_with_oauth(oauth(&address))
        .await
        .unwrap()
        .url;
    let callback = through_provider(&url).await;

    // The state's payload changed: the signature no longer matches.
    let state = query(&callback)["state"].clone();
    let parts: Vec<&str> = state.split('.').collect();
    let forged_payload = {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: serde_json::Value =
            serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        claims["referrer"] = json!("https://evil.example.com");
        engine.encode(serde_json::to_vec(&claims).unwrap())
    };
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    let mut forged = url::Url::parse(&callback).unwrap();
    let code = query(&callback)["code"].clone();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", &tampered);
    let (status, location) = hop(forged.as_str()).await;
    assert_state_error(
        status,
        &location,
        "bad_oauth_state",
        "OAuth callback with invalid state",
    );

    // No state at all.
    let (status, location) = hop(&format!("{}/auth/v1/callback?code={code}", s.url())).await;
    assert_state_error(
        status,
        &location,
        "bad_oauth_callback",
        "OAuth state parameter missing",
    );

    // An expired state, signed with the right secret.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expired = supabase_local::mint_jwt(
        s.jwt_secret(),
        &json!({"exp": now - 10, "provider": "keycloak", "referrer": REDIRECT_TO, "flow_state_id": ""}),
    )
    .unwrap();
    let to_callback = provider_code(&expired, &address).await;
    let (status, location) = hop(&to_callback).await;
    assert_state_error(
        status,
        &location,
        "bad_oauth_state",
        "OAuth callback with invalid state",
    );

    // A valid state naming a flow state that does not exist: the error goes to the referrer.
    let unknown_flow = supabase_local::mint_jwt(
        s.jwt_secret(),
        &json!({
            "exp": now + 300, "provider": "keycloak", "referrer": REDIRECT_TO,
            "flow_state_id": "00000000-0000-4000-8000-000000000000",
        }),
    )
    .unwrap();
    let to_callback = provider_code(&unknown_flow, &address).await;
    let (status, location) = hop(&to_callback).await;
    assert_eq!(status, 302);
    assert_eq!(
        location,
        format!(
            "{REDIRECT_TO}?error=server_error&error_code=flow_state_not_found&error_description=Flow+state+not+found\
             #error=server_error&error_code=flow_state_not_found&error_description=Flow+state+not+found"
        )
    );
    // The client reads the same error from the redirect, with GoTrue's code.
    let err = client()
        .await
        .auth()
        .initialize_from_url(&location)
        .await
        .unwrap_err();
    match err {
        Error::Auth(AuthError::ImplicitGrantRedirect {
            message,
            error,
            code,
        }) => {
            assert_eq!(message, "Flow state not found");
            assert_eq!(error.as_deref(), Some("server_error"));
            assert_eq!(code, Some(ErrorCode::FlowStateNotFound));
        }
        other => panic!("{other:?}"),
    }
    // A fragment missing part of the session is refused before any request.
    let err = client()
        .await
        .auth()
        .initialize_from_url(&format!(
            "{REDIRECT_TO}#access_token=a.b.c&expires_in=3600&token_type=bearer"
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth(AuthError::ImplicitGrantRedirect { message, .. })
            if message == "No refresh_token detected."),
        "{err:?}"
    );

    // A state for a provider GoTrue does not know.
    let unknown_provider = supabase_local::mint_jwt(
        s.jwt_secret(),
        &json!({"exp": now + 300, "provider": "nope", "referrer": REDIRECT_TO, "flow_state_id": ""}),
    )
    .unwrap();
    let to_callback = provider_code(&unknown_provider, &address).await;
    let (status, location) = hop(&to_callback).await;
    assert_eq!(status, 302);
    let q = query(&location);
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["error_code"], "oauth_provider_not_supported");

    // None of these created the user.
    let rows = s
        .query_json(&format!(
            "select count(*) as n from auth.users where email = '{address}'"
        ))
        .await
        .unwrap();
    assert_eq!(rows[0]["n"], 0, "{rows:?}");

    // The untouched callback still completes.
    let (status, back) = hop(&callback).await;
    assert_eq!(status, 302);
    assert!(query(&back).contains_key("code"), "{back}");
}

#[tokio::test]
async fn a_signed_in_user_links_keycloak_and_has_two_identities() {
    let (c, address, _) = password_user("oauth-link").await;
    let existing = c.auth().get_session().await.unwrap().unwrap().user;
    // Another email at the provider: linking is manual, not by email.
    let keycloak_login = email("oauth-link-kc");
    let link = c
        .auth()
        .link_identity(oauth(&keycloak_login))
        .await
        .unwrap();
    // `skip_http_redirect`: the provider's URL comes back directly. Its signed `state` (naming
    // the user to link to) finishes the link while valid, so `Debug` keeps it out of logs.
    let state = query(&link.url).remove("state").expect("a state");
    assert!(!format!("{link:?}").contains(&state), "{link:?}");
    assert!(format!("{link:?}").contains("state=[redacted]"), "{link:?}");
    let callback = provider_hop(&link.url).await;
    let (status, back) = hop(&callback).await;
    assert_eq!(status, 302, "{back}");
    let code = query(&back)
        .remove("code")
        .unwrap_or_else(|| panic!("no code in {back}"));
    let res = c.auth().exchange_code_for_session(&code).await.unwrap();
    assert_eq!(res.user.unwrap().id, existing.id);
    let mut providers: Vec<String> = c
        .auth()
        .get_user_identities()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.provider)
        .collect();
    providers.sort();
    assert_eq!(providers, ["email", "keycloak"]);
    let user = c.auth().get_user().await.unwrap();
    assert_eq!(user.email.as_deref(), Some(address.as_str()), "email kept");
    let mut listed: Vec<String> = user.app_metadata["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, ["email", "keycloak"]);

    // Linking the same provider identity again: GoTrue's 422 `identity_already_exists`.
    let link = c
        .auth()
        .link_identity(oauth(&keycloak_login))
        .await
        .unwrap();
    let callback = provider_hop(&link.url).await;
    let (status, back) = hop(&callback).await;
    assert_eq!(status, 302);
    let q = query(&back);
    assert_eq!(q["error"], "server_error");
    assert_eq!(q["error_code"], "identity_already_exists");
    assert_eq!(q["error_description"], "Identity is already linked");
    // Handing that redirect to the client reports the error and leaves the user signed in
    // (auth-js 2.108 `_initialize`), with no event.
    let mut events = c.auth().auth_state_changes().await;
    assert_eq!(
        events.next().await.unwrap().event,
        AuthChangeEvent::InitialSession
    );
    let err = c.auth().initialize_from_url(&back).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Auth(AuthError::ImplicitGrantRedirect {
                code: Some(ErrorCode::IdentityAlreadyExists),
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(c.auth().get_user().await.unwrap().id, existing.id);
    assert!(events.next().now_or_never().is_none(), "no SIGNED_OUT");
    // An error without a description is an error all the same.
    let err = c
        .auth()
        .initialize_from_url(&format!("{REDIRECT_TO}?error=access_denied"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth(AuthError::ImplicitGrantRedirect { message, error: Some(e), .. })
            if e == "access_denied" && message == "Error in URL with unspecified error_description"),
        "{err:?}"
    );
    assert!(c.auth().get_session().await.unwrap().is_some());

    // A plain sign-in with that provider identity now finds the linked user.
    let other = client().await;
    let code = pkce_code(&other, &keycloak_login).await;
    let res = other.auth().exchange_code_for_session(&code).await.unwrap();
    assert_eq!(res.user.unwrap().id, existing.id);
}

#[tokio::test]
async fn the_callback_accepts_a_form_post() {
    // `response_mode=form_post`: the provider posts `code` and `state` as a form.
    let s = stack().await;
    let address = email("oauth-form-post");
    let c = client().await;
    let url = c
        .auth()
        .sign_in_with_oauth(oauth(&address))
        .await
        .unwrap()
        .url;
    let callback = through_provider(&url).await;
    let form = url::Url::parse(&callback)
        .unwrap()
        .query()
        .unwrap()
        .to_owned();
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/auth/v1/callback", s.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let back = resp.headers()["location"].to_str().unwrap().to_owned();
    let code = query(&back).remove("code").expect("a code");
    let res = c.auth().exchange_code_for_session(&code).await.unwrap();
    assert_eq!(res.user.unwrap().email.as_deref(), Some(address.as_str()));
}

#[tokio::test]
async fn an_unverified_provider_email_needs_confirmation() {
    // Email confirmations are on for this stack: `createAccountFromExternalIdentity` sends a
    // confirmation and refuses the sign-in (`access_denied`, `provider_email_needs_verification`).
    let s = stack().await;
    let address = email("unverified-oauth");
    let c = client().await;
    let url = c
        .auth()
        .sign_in_with_oauth(oauth(&address))
        .await
        .unwrap()
        .url;
    let callback = through_provider(&url).await;
    let (status, back) = hop(&callback).await;
    assert_eq!(status, 302);
    assert_eq!(base(&back), REDIRECT_TO);
    let q = query(&back);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["error_code"], "provider_email_needs_verification");
    assert_eq!(
        q["error_description"],
        "Unverified email with keycloak. A confirmation email has been sent to your keycloak email"
    );
    // The user exists, unconfirmed, and the confirmation went out (the transaction committed).
    let mail = s.mailbox().latest(&address).expect("a confirmation email");
    assert_eq!(mail.kind, supabase_local::MessageKind::Confirmation);
    let rows = s
        .query_json(&format!(
            "select email_confirmed_at is null as unconfirmed from auth.users where email = '{address}'"
        ))
        .await
        .unwrap();
    assert_eq!(rows, json!([{"unconfirmed": true}]));
}

#[test]
fn blocking_initialize_from_url_adopts_the_implicit_session() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(stack());
    let address = email("oauth-blocking");
    let client = supabase_core::blocking::Client::new(
        s.url(),
        s.anon_key(),
        ClientOptions::default().flow_type(FlowType::Implicit),
    )
    .unwrap();
    let auth = client.auth();
    let url = auth.sign_in_with_oauth(oauth(&address)).unwrap().url;
    let back = rt.block_on(async {
        let callback = through_provider(&url).await;
        hop(&callback).await.1
    });
    let session = auth
        .initialize_from_url(&back)
        .unwrap()
        .expect("a session from the URL");
    assert_eq!(session.user.email.as_deref(), Some(address.as_str()));
    assert_eq!(auth.get_user().unwrap().id, session.user.id);
}
