//! OAuth, SSO and identity linking (supabase/auth `internal/api/external.go`, `samlacs.go`,
//! `sso.go`, `identity.go`). No external provider is reachable from a local stack: providers are
//! disabled (GoTrue's answers for a disabled provider) unless listed in
//! `AuthConfig::oauth_providers`, for which `/authorize` and `/user/identities/authorize` build
//! the provider's authorize URL as `GetExternalProviderRedirectURL` does (state JWT, PKCE flow
//! state); their callback cannot complete.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::{Auth, St, otp, require_user, users};

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
    linking_target: Option<&str>,
) -> ApiResult<String> {
    let name = q.get("provider").map_or("", String::as_str);
    let provider = name.to_lowercase();
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
    let get = |k: &str| q.get(k).map_or("", String::as_str);
    let pkce = otp::pkce_params(get("code_challenge"), get("code_challenge_method"))?;
    let referrer = otp::redirect_to(state, q.get("redirect_to"));
    let flow_state_id = match pkce {
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
    let mut scopes = default_scopes.to_owned();
    if !get("scopes").is_empty() {
        scopes = format!("{scopes} {}", get("scopes"));
    }
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
    params.insert("client_id".into(), enabled.client_id.clone());
    params.insert(
        "redirect_uri".into(),
        format!("{}/callback", state.base_url),
    );
    params.insert("response_type".into(), "code".into());
    params.insert("scope".into(), scopes);
    params.insert("state".into(), signed);
    let mut url = url::Url::parse(auth_url)
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
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let url = provider_redirect_url(&state, &q, None).await?;
    Ok(redirect_or_json(&q, url))
}

/// `GET|POST /callback`: no provider flow can have started here.
pub(super) async fn callback(State(state): St) -> Response {
    let to = format!(
        "{}#error=invalid_request&error_code=bad_oauth_callback&error_description={}",
        state.config.site_url,
        url::form_urlencoded::byte_serialize(b"OAuth state parameter missing").collect::<String>()
    );
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// `POST /sso`: SAML is not enabled.
pub(super) async fn sso() -> ApiError {
    ApiError::not_found("saml_provider_disabled", "SAML 2.0 is disabled")
}

/// `GET /user/identities/authorize` (`LinkIdentity`).
pub(super) async fn link_identity(
    State(state): St,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let who = require_user(&state, &headers).await?;
    if !state.config.manual_linking {
        return Err(ApiError::not_found(
            "manual_linking_disabled",
            "Manual linking is disabled",
        ));
    }
    let url = provider_redirect_url(&state, &q, Some(&who.user_id)).await?;
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
