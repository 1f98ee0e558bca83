//! OAuth, SSO and identity linking (supabase/auth `internal/api/external.go`,
//! `external_oauth.go`, `identity.go`, `provider/keycloak.go`, `sso.go`). Providers are disabled
//! (GoTrue's answers for a disabled provider) unless configured. `/authorize` and
//! `/user/identities/authorize` build the provider's authorize URL as
//! `GetExternalProviderRedirectURL` does (state JWT, PKCE flow state).
//!
//! The configured Keycloak provider (`AuthConfig::keycloak` with a client secret: any OIDC
//! provider the stack can reach) completes the flow: `/callback` exchanges the code at its token
//! endpoint, reads its userinfo endpoint, signs in, signs up or links the user, and redirects
//! with the session or a PKCE auth code. The public providers of `AuthConfig::oauth_providers`
//! (github, ...) are not reachable from a local stack: their callback fails as GoTrue's does
//! when the code cannot be exchanged.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult};
use super::redirect::Referrer;
use super::{Auth, St, id_token, otp, require_user, sessions, users};
use crate::services::Secret;

/// The providers GoTrue knows (`Provider(name)` in `external.go`).
const PROVIDERS: &[&str] = &[
    "apple",
    "azure",
    "bitbucket",
    "discord",
    "facebook",
    "figma",
    "fly",
    "github",
    "gitlab",
    "google",
    "kakao",
    "keycloak",
    "linkedin",
    "linkedin_oidc",
    "notion",
    "spotify",
    "slack",
    "slack_oidc",
    "twitch",
    "twitter",
    "workos",
    "zoom",
];

fn provider_error(provider: &str) -> ApiError {
    if PROVIDERS.contains(&provider.to_lowercase().as_str()) {
        ApiError::validation("Unsupported provider: provider is not enabled")
    } else {
        ApiError::validation(format!(
            "Unsupported provider: Provider {provider} could not be found"
        ))
    }
}

/// Authorize endpoint and default scopes of the providers whose URL the stand-in builds
/// (supabase/auth `internal/api/provider/github.go`, `gitlab.go`, `google.go`, `discord.go`).
fn endpoint(provider: &str) -> Option<(&'static str, &'static str)> {
    match provider {
        "github" => Some(("https://github.com/login/oauth/authorize", "user:email")),
        "gitlab" => Some(("https://gitlab.com/oauth/authorize", "read_user")),
        "google" => Some(("https://accounts.google.com/o/oauth2/auth", "email profile")),
        "discord" => Some(("https://discord.com/api/oauth2/authorize", "email identify")),
        _ => None,
    }
}

/// `GetExternalProviderRedirectURL`: the enabled provider's authorize URL, with GoTrue's signed
/// `state` (`ExternalProviderClaims`: provider, referrer, flow state, linking target) and, in
/// the PKCE flow, a new `auth.flow_state` row.
async fn provider_redirect_url(
    state: &Auth,
    q: &HashMap<String, String>,
    referrer: String,
    linking_target: Option<&str>,
) -> ApiResult<String> {
    let name = q.get("provider").map_or("", String::as_str);
    let provider = name.to_lowercase();
    let get = |k: &str| q.get(k).map_or("", String::as_str);
    // `a.Provider(ctx, providerType, scopes)`: the client id, the authorize URL and the scopes.
    let (client_id, auth_url, scopes) = if provider == "keycloak" {
        let keycloak = keycloak(state)?;
        // `NewKeycloakProvider`: "profile email" plus the requested scopes, split on commas.
        let mut scopes = vec!["profile", "email"];
        scopes.extend(get("scopes").split(',').filter(|s| !s.is_empty()));
        (
            keycloak.client_id.clone(),
            format!("{}/protocol/openid-connect/auth", keycloak.host),
            scopes.join(" "),
        )
    } else {
        let (Some(enabled), Some((auth_url, default_scopes))) = (
            state
                .config
                .oauth_providers
                .iter()
                .find(|p| p.provider.eq_ignore_ascii_case(&provider)),
            endpoint(&provider),
        ) else {
            return Err(provider_error(name));
        };
        let mut scopes = default_scopes.to_owned();
        if !get("scopes").is_empty() {
            scopes = format!("{scopes} {}", get("scopes"));
        }
        (enabled.client_id.clone(), auth_url.to_owned(), scopes)
    };
    let pkce = otp::pkce_params(get("code_challenge"), get("code_challenge_method"))?;
    let flow_state_id = match pkce {
        // `GetExternalProviderRedirectURL` checks the method before it makes the flow state.
        Some((_, method)) if otp::code_challenge_method(&method).is_err() => {
            return Err(ApiError::validation("Invalid code_challenge_method"));
        }
        Some((challenge, method)) => {
            let db = state.env.db.get().await?;
            let row = db
                .query_one(
                    "insert into auth.flow_state (id, auth_code, code_challenge_method, code_challenge,                        provider_type, created_at, updated_at, authentication_method)                      values (gen_random_uuid(), gen_random_uuid()::text, $1::text::auth.code_challenge_method,                        $2, $3, now(), now(), 'oauth') returning id::text",
                    &[&method, &challenge, &provider],
                )
                .await?;
            row.get::<_, String>(0)
        }
        None => String::new(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut claims = json!({
        "exp": now + 300,
        "site_url": state.config.site_url,
        "instance_id": "00000000-0000-0000-0000-000000000000",
        "provider": provider,
        "referrer": referrer,
        "flow_state_id": flow_state_id,
    });
    if let Some(user_id) = linking_target {
        claims["linking_target_id"] = json!(user_id);
    }
    // The state is always HS256 with the secret (`loadExternalState` parses it so).
    let signed = crate::keys::mint_jwt(&state.env.jwt_secret, &claims)
        .map_err(|e| ApiError::internal(format!("Error creating state: {e}")))?;
    // oauth2's `AuthCodeURL`: parameters sorted by key, plus the request's extra query params.
    let mut params: std::collections::BTreeMap<String, String> = q
        .iter()
        .filter(|(k, _)| {
            ![
                "provider",
                "scopes",
                "code_challenge",
                "code_challenge_method",
                "redirect_to",
                "skip_http_redirect",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.insert("client_id".into(), client_id);
    params.insert(
        "redirect_uri".into(),
        format!("{}/callback", state.base_url),
    );
    params.insert("response_type".into(), "code".into());
    params.insert("scope".into(), scopes);
    params.insert("state".into(), signed);
    let mut url = url::Url::parse(&auth_url)
        .map_err(|e| ApiError::internal(format!("bad provider URL: {e}")))?;
    url.query_pairs_mut().extend_pairs(&params);
    Ok(url.into())
}

/// A 302 to `url`, or `{"url": url}` with `skip_http_redirect=true`.
fn redirect_or_json(q: &HashMap<String, String>, url: String) -> Response {
    if q.get("skip_http_redirect").map(String::as_str) == Some("true") {
        Json(json!({ "url": url })).into_response()
    } else {
        (StatusCode::FOUND, [(header::LOCATION, url)]).into_response()
    }
}

/// `GET /authorize?provider=..` (`ExternalProviderRedirect`).
pub(super) async fn authorize(
    State(state): St,
    Referrer(referrer): Referrer,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let url = provider_redirect_url(&state, &q, referrer, None).await?;
    Ok(redirect_or_json(&q, url))
}

/// The configured Keycloak provider, as `NewKeycloakProvider` accepts it (`ValidateOAuth`: a
/// client id and a secret; the realm URL without a trailing slash).
struct Keycloak {
    client_id: String,
    secret: String,
    host: String,
}

fn keycloak(state: &Auth) -> ApiResult<Keycloak> {
    let unsupported = |why: &str| ApiError::validation(format!("Unsupported provider: {why}"));
    let Some(k) = state.config.keycloak.as_ref() else {
        return Err(unsupported("provider is not enabled"));
    };
    if k.client_id.is_empty() {
        return Err(unsupported("missing OAuth client ID"));
    }
    let Some(secret) = k.secret.clone().filter(|s| !s.is_empty()) else {
        return Err(unsupported("missing OAuth secret"));
    };
    if k.url.is_empty() {
        return Err(unsupported("unable to find URL for the Keycloak provider"));
    }
    Ok(Keycloak {
        client_id: k.client_id.clone(),
        secret,
        host: k.url.trim_end_matches('/').to_owned(),
    })
}

/// `url.Values.Encode`: `key=value` pairs sorted by key, form-encoded.
fn encode_sorted(pairs: &BTreeMap<String, String>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `url` with `set` merged into its query (Go's `u.Query()`, `q.Set`, `q.Encode()`: the whole
/// query re-encoded, sorted by key).
fn with_query(url: &str, set: &[(&str, &str)]) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        // Not absolute (GoTrue would fail to parse it too): append.
        let extra: BTreeMap<String, String> = set
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let sep = if url.contains('?') { '&' } else { '?' };
        return format!("{url}{sep}{}", encode_sorted(&extra));
    };
    let mut q: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in u.query_pairs() {
        q.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    for (k, v) in set {
        q.insert((*k).to_owned(), (*v).to_owned());
    }
    u.set_query(Some(&encode_sorted(&q)));
    u.into()
}

/// An error of the callback, as `getErrorQueryString` turns it into redirect parameters:
/// `error` (the OAuth error, or the status's `oauthErrorMap` entry, or `access_denied` for
/// signup-disabled, banned and unverified-email errors), `error_code` and `error_description`.
fn error_params(e: &ApiError) -> (String, String, String) {
    match e {
        ApiError::Commit(inner) => error_params(inner),
        ApiError::OAuth { error, description } => {
            (error.clone(), String::new(), description.clone())
        }
        other => {
            let code = other.error_code();
            let error = match code {
                "signup_disabled" | "user_banned" | "provider_email_needs_verification" => {
                    "access_denied"
                }
                _ => match other.status().as_u16() {
                    400 => "invalid_request",
                    401 => "unauthorized_client",
                    403 => "access_denied",
                    503 => "temporarily_unavailable",
                    _ => "server_error",
                },
            };
            let message = match other {
                ApiError::Http { msg, .. } | ApiError::WeakPassword { msg, .. } => msg.clone(),
                _ => String::new(),
            };
            (error.to_owned(), code.to_owned(), message)
        }
    }
}

/// `redirectErrors`: a 302 to `to` with the error in the query and again in the fragment.
fn error_redirect(to: &str, e: &ApiError) -> Response {
    let (error, code, description) = error_params(e);
    let params: BTreeMap<String, String> = [
        ("error", error),
        ("error_code", code),
        ("error_description", description),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let set: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = format!("{}#{}", with_query(to, &set), encode_sorted(&params));
    (StatusCode::FOUND, [(header::LOCATION, url)]).into_response()
}

/// `ExternalProviderClaims`, as `loadExternalState` reads them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExternalState {
    provider: String,
    referrer: String,
    flow_state_id: String,
    linking_target_id: String,
}

/// `loadExternalState`: the signed state of a flow `/authorize` started. Its errors are answered
/// by `loadFlowState` as a 303 to the site URL with the error in the query.
async fn load_state(state: &Auth, raw: &str) -> ApiResult<ExternalState> {
    if raw.is_empty() {
        return Err(ApiError::bad_request(
            "bad_oauth_callback",
            "OAuth state parameter missing",
        ));
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    validation.leeway = 0;
    let key = jsonwebtoken::DecodingKey::from_secret(state.env.jwt_secret.as_bytes());
    let claims = jsonwebtoken::decode::<ExternalState>(raw, &key, &validation)
        .map_err(|e| {
            tracing::debug!(error = %e, "auth: OAuth state rejected");
            ApiError::bad_request("bad_oauth_state", "OAuth callback with invalid state")
        })?
        .claims;
    if claims.provider.is_empty() {
        return Err(ApiError::bad_request(
            "bad_oauth_state",
            "OAuth callback with invalid state (missing provider)",
        ));
    }
    if !claims.linking_target_id.is_empty() {
        if !users::is_uuid(&claims.linking_target_id) {
            return Err(ApiError::bad_request(
                "bad_oauth_state",
                "OAuth callback with invalid state (linking_target_id must be UUID)",
            ));
        }
        let db = state.env.db.get().await?;
        let found = db
            .query_opt(
                "select 1 from auth.users where id = $1::text::uuid",
                &[&claims.linking_target_id],
            )
            .await?;
        if found.is_none() {
            return Err(ApiError::unprocessable(
                "user_not_found",
                "Linking target user not found",
            ));
        }
    }
    Ok(claims)
}

/// What the provider said about the user (`OAuthProviderData` with Keycloak's
/// `UserProvidedData`).
pub(super) struct ProviderData {
    pub(super) token: String,
    pub(super) refresh_token: String,
    pub(super) sub: String,
    pub(super) email: String,
    pub(super) verified: bool,
    /// `structs.Map(userData.Metadata)`: the identity's data.
    pub(super) identity_data: Map<String, Value>,
}

/// `oAuthCallback` for Keycloak (`GetOAuthToken`: oauth2's `Exchange`, client credentials in
/// the Basic header; `GetUserData`: the userinfo endpoint with the access token).
async fn keycloak_callback(state: &Auth, code: &str) -> ApiResult<ProviderData> {
    let kc = keycloak(state).map_err(|e| match e {
        ApiError::Http { msg, .. } => ApiError::bad_request("oauth_provider_not_supported", msg),
        other => other,
    })?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::internal(format!("HTTP client: {e}")))?;
    let exchange_failed = |why: &dyn std::fmt::Display| {
        tracing::debug!(error = %why, "auth: the provider refused the code");
        ApiError::internal(format!("Unable to exchange external code: {code}"))
    };
    #[derive(Deserialize)]
    struct Token {
        #[serde(default)]
        access_token: String,
        #[serde(default)]
        refresh_token: String,
    }
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair("grant_type", "authorization_code")
        .append_pair("redirect_uri", &format!("{}/callback", state.base_url))
        .finish();
    let resp = http
        .post(format!("{}/protocol/openid-connect/token", kc.host))
        .basic_auth(&kc.client_id, Some(&kc.secret))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form)
        .send()
        .await
        .map_err(|e| exchange_failed(&e))?;
    if !resp.status().is_success() {
        return Err(exchange_failed(&resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| exchange_failed(&e))?;
    let token: Token = serde_json::from_slice(&body).map_err(|e| exchange_failed(&e))?;
    if token.access_token.is_empty() {
        return Err(exchange_failed(&"server response missing access_token"));
    }

    let profile_failed = |why: &dyn std::fmt::Display| {
        tracing::debug!(error = %why, "auth: userinfo failed");
        ApiError::internal("Error getting user profile from external provider")
    };
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct KeycloakUser {
        name: String,
        sub: String,
        email: String,
        email_verified: bool,
    }
    let resp = http
        .get(format!("{}/protocol/openid-connect/userinfo", kc.host))
        .bearer_auth(&token.access_token)
        .send()
        .await
        .map_err(|e| profile_failed(&e))?;
    if !resp.status().is_success() {
        return Err(profile_failed(&resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| profile_failed(&e))?;
    let u: KeycloakUser = serde_json::from_slice(&body).map_err(|e| profile_failed(&e))?;
    // `UserProvidedData.Metadata` (`provider.Claims`): empty strings left out, the two
    // verified flags always present.
    let mut data = Map::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            data.insert(k.to_owned(), json!(v));
        }
    };
    put("iss", &kc.host);
    put("sub", &u.sub);
    put("name", &u.name);
    put("email", &u.email);
    put("full_name", &u.name);
    put("provider_id", &u.sub);
    data.insert("email_verified".into(), json!(u.email_verified));
    data.insert("phone_verified".into(), json!(false));
    Ok(ProviderData {
        token: token.access_token,
        refresh_token: token.refresh_token,
        sub: u.sub,
        email: u.email,
        verified: u.email_verified,
        identity_data: data,
    })
}

/// The callback's outcome: a session (implicit flow) or a PKCE auth code.
enum Outcome {
    Session(Value),
    Code(String),
}

/// `internalExternalProviderCallback` once the state is loaded.
async fn complete(
    state: &Auth,
    ext: &ExternalState,
    params: &HashMap<String, String>,
    referrer: &str,
) -> ApiResult<(Outcome, ProviderData)> {
    let get = |k: &str| params.get(k).map_or("", String::as_str);
    // `oAuthCallback`: the provider's own error first.
    if !get("error").is_empty() {
        return Err(ApiError::OAuth {
            error: get("error").to_owned(),
            description: get("error_description").to_owned(),
        });
    }
    let code = get("code");
    if code.is_empty() {
        return Err(ApiError::bad_request(
            "bad_oauth_callback",
            "OAuth callback with missing authorization code missing",
        ));
    }
    let data = if ext.provider.eq_ignore_ascii_case("keycloak") {
        keycloak_callback(state, code).await?
    } else if PROVIDERS.contains(&ext.provider.to_lowercase().as_str()) {
        // The public providers' token endpoints are not reachable from a local stack.
        return Err(ApiError::internal(format!(
            "Unable to exchange external code: {code}"
        )));
    } else {
        return Err(ApiError::bad_request(
            "oauth_provider_not_supported",
            format!(
                "Unsupported provider: Provider {} could not be found",
                ext.provider
            ),
        ));
    };
    if data.email.is_empty() {
        return Err(ApiError::internal(
            "Error getting user email from external provider",
        ));
    }
    let provider = ext.provider.to_lowercase();
    if !ext.flow_state_id.is_empty() {
        let db = state.env.db.get().await?;
        let found = users::is_uuid(&ext.flow_state_id)
            && db
                .query_opt(
                    "select 1 from auth.flow_state where id = $1::text::uuid",
                    &[&ext.flow_state_id],
                )
                .await?
                .is_some();
        if !found {
            return Err(ApiError::unprocessable(
                "flow_state_not_found",
                "Flow state not found",
            ));
        }
    }
    let email = data.email.to_lowercase();
    let outcome = in_tx!(state, |tx| {
        let user_id = if ext.linking_target_id.is_empty() {
            id_token::account(
                state,
                tx,
                &data.sub,
                &email,
                data.verified,
                &data.identity_data,
                referrer,
            )
            .await?
        } else {
            link_to_user(state, tx, &ext.linking_target_id, &provider, &data).await?
        };
        if ext.flow_state_id.is_empty() {
            Ok(Outcome::Session(
                sessions::sign_in(state, tx, &user_id, "oauth").await?,
            ))
        } else {
            let code: String = tx
                .query_one(
                    "update auth.flow_state set provider_access_token = $2, \
                       provider_refresh_token = $3, user_id = $4::text::uuid, \
                       auth_code_issued_at = now(), updated_at = now() \
                     where id = $1::text::uuid returning auth_code",
                    &[
                        &ext.flow_state_id,
                        &Secret(&data.token),
                        &Secret(&data.refresh_token),
                        &user_id,
                    ],
                )
                .await?
                .get(0);
            Ok(Outcome::Code(code))
        }
    })?;
    Ok((outcome, data))
}

/// `linkIdentityToUser` (supabase/auth `internal/api/identity.go`): adds the provider's
/// identity to the user who started `/user/identities/authorize`, or who sent an ID token to
/// link (`id_token::grant`).
pub(super) async fn link_to_user(
    state: &Auth,
    tx: &deadpool_postgres::Transaction<'_>,
    target: &str,
    provider: &str,
    data: &ProviderData,
) -> ApiResult<String> {
    let existing = tx
        .query_opt(
            "select user_id::text from auth.identities where provider_id = $1 and provider = $2",
            &[&data.sub, &provider],
        )
        .await?;
    if let Some(row) = existing {
        let owner: String = row.get(0);
        let msg = if owner == target {
            "Identity is already linked"
        } else {
            "Identity is already linked to another user"
        };
        return Err(ApiError::unprocessable("identity_already_exists", msg));
    }
    let data_json = Value::Object(data.identity_data.clone()).to_string();
    tx.execute(
        "insert into auth.identities (provider_id, user_id, identity_data, provider, \
           last_sign_in_at, created_at, updated_at) \
         values ($1, $2::text::uuid, $3::text::jsonb, $4, now(), now(), now())",
        &[&data.sub, &target, &data_json, &provider],
    )
    .await?;
    let user = users::find_by_id(tx, target)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))?;
    if user.email.is_empty() {
        // `UpdateUserEmailFromIdentities`: the user takes the new identity's email.
        let email = data.email.to_lowercase();
        if users::find_by_email(tx, &email).await?.is_some() {
            return Err(ApiError::bad_request(
                "email_exists",
                "A user with this email address has already been registered",
            ));
        }
        tx.execute(
            "update auth.users set email = $2, updated_at = now() where id = $1::text::uuid",
            &[&target, &email],
        )
        .await?;
        if !data.verified {
            otp::send_email(
                state,
                tx,
                target,
                &email,
                otp::EmailPurpose::Signup,
                &state.config.site_url,
                None,
            )
            .await?;
            return Err(ApiError::unprocessable(
                "email_not_confirmed",
                format!(
                    "Unverified email with {provider}. A confirmation email has been sent to your {provider} email"
                ),
            )
            .commit());
        }
        users::confirm_email(tx, target).await?;
        tx.execute(
            "update auth.users set is_anonymous = false where id = $1::text::uuid",
            &[&target],
        )
        .await?;
    }
    users::add_provider(tx, target, provider).await?;
    Ok(target.to_owned())
}

/// `GET|POST /callback` (`ExternalProviderCallback` behind `loadFlowState`, supabase/auth
/// `internal/api/external.go`, `external_oauth.go`): the provider sends the user back here with
/// `code` and GoTrue's `state`. The code is exchanged at the provider, the user found, created
/// or linked, and the user sent on to the flow's `redirect_to` (or the site URL) with the
/// session in the fragment (implicit flow) or `?code=` (PKCE flow). A bad state answers 303 to
/// the site URL with the error in the query; later errors 302 to the flow's redirect with the
/// error in the query and the fragment.
pub(super) async fn callback(
    State(state): St,
    Referrer(referrer): Referrer,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    // `r.FormValue`: a POST's form body first, then the query.
    let mut params = query;
    for (k, v) in url::form_urlencoded::parse(&body) {
        params.insert(k.into_owned(), v.into_owned());
    }
    let raw_state = params.get("state").map_or("", String::as_str);
    let ext = match load_state(&state, raw_state).await {
        Ok(ext) => ext,
        Err(e) => {
            let (error, code, description) = error_params(&e);
            let to = with_query(
                &state.config.site_url,
                &[
                    ("error", &error),
                    ("error_code", &code),
                    ("error_description", &description),
                ],
            );
            return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
        }
    };
    // `getExternalRedirectURL`.
    let to = if ext.referrer.is_empty() {
        state.config.site_url.clone()
    } else {
        ext.referrer.clone()
    };
    match complete(&state, &ext, &params, &referrer).await {
        Ok((Outcome::Code(code), _)) => {
            // `prepPKCERedirectURL`.
            let url = with_query(&to, &[("code", &code)]);
            (StatusCode::FOUND, [(header::LOCATION, url)]).into_response()
        }
        Ok((Outcome::Session(session), data)) => {
            // `AccessTokenResponse.AsRedirectURL` with `provider_token` (and
            // `provider_refresh_token` when the provider gave one).
            let text = |k: &str| session[k].as_str().unwrap_or_default().to_owned();
            let mut f = BTreeMap::new();
            f.insert("access_token".to_owned(), text("access_token"));
            f.insert("token_type".to_owned(), text("token_type"));
            f.insert("expires_in".to_owned(), session["expires_in"].to_string());
            f.insert("expires_at".to_owned(), session["expires_at"].to_string());
            f.insert("refresh_token".to_owned(), text("refresh_token"));
            f.insert("provider_token".to_owned(), data.token);
            if !data.refresh_token.is_empty() {
                f.insert("provider_refresh_token".to_owned(), data.refresh_token);
            }
            let url = format!("{to}#{}", encode_sorted(&f));
            (StatusCode::FOUND, [(header::LOCATION, url)]).into_response()
        }
        Err(e) => error_redirect(&to, &e),
    }
}

/// `POST /sso`: SAML is not enabled.
pub(super) async fn sso() -> ApiError {
    ApiError::not_found("saml_provider_disabled", "SAML 2.0 is disabled")
}

/// `GET /user/identities/authorize` (`LinkIdentity`).
pub(super) async fn link_identity(
    State(state): St,
    headers: HeaderMap,
    Referrer(referrer): Referrer,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let who = require_user(&state, &headers).await?;
    if !state.config.manual_linking {
        return Err(ApiError::not_found(
            "manual_linking_disabled",
            "Manual linking is disabled",
        ));
    }
    let url = provider_redirect_url(&state, &q, referrer, Some(&who.user_id)).await?;
    Ok(redirect_or_json(&q, url))
}

/// `DELETE /user/identities/{identity_id}` (`DeleteIdentity` in supabase/auth
/// `internal/api/identity.go`): `{}`. The last identity cannot go; unlinking the `phone` identity
/// also removes the user's phone (and its confirmation); unlinking another one moves the user's
/// email to a remaining identity's when no remaining identity has it.
pub(super) async fn unlink_identity(
    State(state): St,
    headers: HeaderMap,
    Path(identity_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    if !state.config.manual_linking {
        return Err(ApiError::not_found(
            "manual_linking_disabled",
            "Manual linking is disabled",
        ));
    }
    if !users::is_uuid(&identity_id) {
        return Err(ApiError::not_found(
            "validation_failed",
            "identity_id must be an UUID",
        ));
    }
    in_tx!(&state, |tx| {
        let count: i64 = tx
            .query_one(
                "select count(*) from auth.identities where user_id = $1::text::uuid",
                &[&who.user_id],
            )
            .await?
            .get(0);
        if count <= 1 {
            return Err(ApiError::unprocessable(
                "single_identity_not_deletable",
                "User must have at least 1 identity after unlinking",
            ));
        }
        let deleted = tx
            .query_opt(
                "delete from auth.identities where id = $1::text::uuid and user_id = $2::text::uuid \
                 returning provider",
                &[&identity_id, &who.user_id],
            )
            .await?;
        let Some(deleted) = deleted else {
            return Err(ApiError::unprocessable(
                "identity_not_found",
                "Identity doesn't exist",
            ));
        };
        let provider: String = deleted.get(0);
        if provider == "phone" {
            tx.execute(
                "update auth.users set phone = null, phone_confirmed_at = null, updated_at = now() \
                 where id = $1::text::uuid",
                &[&who.user_id],
            )
            .await?;
        } else {
            // `UpdateUserEmailFromIdentities` (`internal/models/user.go`; an identity's email is
            // its lower-cased `email` column, none compares as ""): when no remaining identity
            // has the user's email, the email of the best remaining one (verified, then
            // unverified, then none) is promoted, pending tokens are dropped, and the email
            // stays confirmed only if verified (or the project autoconfirms).
            tx.execute(
                "update auth.users u set email = p.email, \
                   email_confirmed_at = case when p.verified or $2 then u.email_confirmed_at end, \
                   confirmation_token = '', confirmation_sent_at = null, recovery_token = '', \
                   recovery_sent_at = null, email_change = '', email_change_token_current = '', \
                   email_change_token_new = '', email_change_sent_at = null, \
                   email_change_confirm_status = 0, phone_change = '', phone_change_token = '', \
                   phone_change_sent_at = null, reauthentication_token = '', \
                   reauthentication_sent_at = null, updated_at = now() \
                 from (select nullif(email, '') as email, \
                         coalesce((identity_data->>'email_verified')::boolean, false) as verified \
                       from auth.identities where user_id = $1::text::uuid \
                       order by case when coalesce(email, '') = '' then 2 \
                                     when not coalesce((identity_data->>'email_verified')::boolean, false) then 1 \
                                     else 0 end, created_at \
                       limit 1) p \
                 where u.id = $1::text::uuid and not exists ( \
                   select 1 from auth.identities i where i.user_id = u.id \
                   and coalesce(i.email, '') = coalesce(lower(u.email), ''))",
                &[&who.user_id, &!state.config.email_confirmations],
            )
            .await?;
        }
        tx.execute(
            "update auth.users set raw_app_meta_data = jsonb_set(raw_app_meta_data, '{providers}', \
               coalesce((select jsonb_agg(distinct provider) from auth.identities where user_id = $1::text::uuid), '[]'::jsonb)), \
               updated_at = now() where id = $1::text::uuid",
            &[&who.user_id],
        )
        .await?;
        Ok(json!({}))
    })
    .map(Json)
}
