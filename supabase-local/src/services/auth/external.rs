//! OAuth, SSO and identity linking (supabase/auth `internal/api/external.go`, `samlacs.go`,
//! `sso.go`, `identity.go`). No external provider is reachable from a local stack, so every
//! provider is disabled and the answers are GoTrue's for a disabled provider.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::{St, require_user, users};

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

/// `GET /authorize?provider=..`.
pub(super) async fn authorize(Query(q): Query<HashMap<String, String>>) -> ApiError {
    provider_error(q.get("provider").map_or("", String::as_str))
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
) -> ApiResult<Json<Value>> {
    require_user(&state, &headers).await?;
    if !state.config.manual_linking {
        return Err(ApiError::not_found(
            "manual_linking_disabled",
            "Manual linking is disabled",
        ));
    }
    Err(provider_error(q.get("provider").map_or("", String::as_str)))
}

/// `DELETE /user/identities/{identity_id}` (`DeleteIdentity`): `{}`.
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
    in_tx!(&state, |tx| {
        let count: i64 = tx
            .query_one(
                "select count(*) from auth.identities where user_id = $1::text::uuid",
                &[&who.user_id],
            )
            .await?
            .get(0);
        let provider: Option<String> = if users::is_uuid(&identity_id) {
            tx.query_opt(
                "select provider from auth.identities where id = $1::text::uuid and user_id = $2::text::uuid",
                &[&identity_id, &who.user_id],
            )
            .await?
            .map(|r| r.get(0))
        } else {
            None
        };
        let Some(provider) = provider else {
            return Err(ApiError::not_found("identity_not_found", "Identity doesn't exist"));
        };
        if count <= 1 {
            return Err(ApiError::unprocessable(
                "single_identity_not_deletable",
                "User must have at least 1 identity after unlinking",
            ));
        }
        tx.execute(
            "delete from auth.identities where id = $1::text::uuid",
            &[&identity_id],
        )
        .await?;
        tx.execute(
            "update auth.users set raw_app_meta_data = jsonb_set(raw_app_meta_data, '{providers}', \
               coalesce((select jsonb_agg(distinct provider) from auth.identities where user_id = $1::text::uuid), '[]'::jsonb)), \
               updated_at = now() where id = $1::text::uuid",
            &[&who.user_id],
        )
        .await?;
        let _ = provider;
        Ok(json!({}))
    })
    .map(Json)
}
