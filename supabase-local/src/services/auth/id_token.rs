//! `POST /token?grant_type=id_token` (supabase/auth `internal/api/token_oidc.go` `IdTokenGrant`):
//! signs in with an OIDC ID token issued by a provider the project trusts. Of GoTrue's providers
//! only Keycloak takes its issuer from the configuration (`GOTRUE_EXTERNAL_KEYCLOAK_URL`); the
//! others have fixed public issuers (Google, Apple, ...) that a local stack cannot reach, so they
//! answer as disabled providers.
//!
//! As GoTrue does, the token is verified against the issuer's published keys: the OIDC discovery
//! document (`<issuer>/.well-known/openid-configuration`, whose `issuer` must match) names the
//! JWKS; the signature, `iss` and `exp` are checked (`provider.ParseIDToken`, go-oidc), then the
//! audience against the client id and the nonce (`sha256` hex of the request's nonce). The user
//! is then found or created by GoTrue's automatic account linking (`models.DetermineAccountLinking`
//! in `internal/models/linking.go`, `createAccountFromExternalIdentity` in
//! `internal/api/external.go`), and a session is issued (`amr` method `oauth`). With
//! `link_identity` (newer supabase/auth) the identity is linked instead to the user whose token
//! is in `Authorization` (`linkIdentityToUser`, shared with the OAuth link).

use std::time::Duration;

use axum::http::{HeaderMap, header};
use deadpool_postgres::Transaction;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult};
use super::external::{ProviderData, link_to_user};
use super::otp::{self, EmailPurpose};
use super::users::{self, NewUser};
use super::{Auth, require_user, sessions};

/// `IdTokenGrantParams`.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct IdTokenGrant {
    id_token: String,
    nonce: String,
    provider: String,
    client_id: String,
    issuer: String,
    /// Link the token's identity to the user of the `Authorization` token instead of signing
    /// in (newer supabase/auth: `LinkIdentity`, `linkIdentityToUser`).
    link_identity: bool,
}

/// The fixed issuers of GoTrue's ID-token providers (`internal/api/provider/*.go`).
fn fixed_issuer(provider: &str) -> Option<&'static str> {
    match provider {
        "google" => Some("https://accounts.google.com"),
        "apple" => Some("https://appleid.apple.com"),
        "azure" => Some("https://login.microsoftonline.com/common/v2.0"),
        "facebook" => Some("https://www.facebook.com"),
        "kakao" => Some("https://kauth.kakao.com"),
        _ => None,
    }
}

/// `IdTokenGrant`.
pub(super) async fn grant(
    state: &Auth,
    p: IdTokenGrant,
    headers: &HeaderMap,
    referrer: &str,
) -> ApiResult<Value> {
    if p.id_token.is_empty() {
        return Err(ApiError::oauth("invalid request", "id_token required"));
    }
    if p.provider.is_empty() && (p.client_id.is_empty() || p.issuer.is_empty()) {
        return Err(ApiError::oauth(
            "invalid request",
            "provider or client_id and issuer required",
        ));
    }
    // Linking: the user to link to is the caller, checked before the provider.
    let target = if p.link_identity {
        if !headers.contains_key(header::AUTHORIZATION) {
            return Err(ApiError::oauth(
                "invalid request",
                "Linking requires a valid user access token in Authorization",
            ));
        }
        Some(require_user(state, headers).await?.user_id)
    } else {
        None
    };
    // `getProvider`.
    let keycloak = state.config.keycloak.as_ref();
    let is_keycloak = p.provider == "keycloak"
        || keycloak.is_some_and(|k| !k.url.is_empty() && p.issuer == k.url);
    if !is_keycloak {
        let issuer = fixed_issuer(&p.provider).or_else(|| {
            ["google", "apple", "azure", "facebook", "kakao"]
                .into_iter()
                .find_map(|name| fixed_issuer(name).filter(|i| *i == p.issuer))
        });
        return Err(match issuer {
            Some(issuer) => ApiError::bad_request(
                "provider_disabled",
                format!("Provider (issuer \"{issuer}\") is not enabled"),
            ),
            None => ApiError::bad_request(
                "validation_failed",
                format!("Custom OIDC provider \"{}\" not allowed", p.provider),
            ),
        });
    }
    let Some(keycloak) = keycloak else {
        return Err(ApiError::bad_request(
            "provider_disabled",
            "Provider (issuer \"\") is not enabled",
        ));
    };
    let claims = verify(&keycloak.url, &p.id_token).await?;

    let sub = claims["sub"].as_str().unwrap_or_default().to_owned();
    if sub.is_empty() {
        return Err(ApiError::oauth(
            "invalid request",
            "Missing sub claim in id_token",
        ));
    }
    let audience_ok = match &claims["aud"] {
        Value::String(a) => *a == keycloak.client_id,
        Value::Array(all) => all.iter().any(|a| a.as_str() == Some(&keycloak.client_id)),
        _ => false,
    };
    if keycloak.client_id.is_empty() || !audience_ok {
        return Err(ApiError::oauth(
            "invalid request",
            "Unacceptable audience in id_token",
        ));
    }
    let token_nonce = claims["nonce"].as_str().unwrap_or_default();
    if token_nonce.is_empty() != p.nonce.is_empty() {
        return Err(ApiError::oauth(
            "invalid request",
            "Passed nonce and nonce in id_token should either both exist or not.",
        ));
    }
    if !token_nonce.is_empty() {
        use sha2::{Digest, Sha256};
        if crate::services::hex(&Sha256::digest(p.nonce.as_bytes())) != token_nonce {
            return Err(ApiError::oauth("invalid nonce", "Nonces mismatch"));
        }
    }

    let data = identity_data(&claims, &sub);
    let email = data
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .unwrap_or_default();
    let verified = data.get("email_verified") == Some(&Value::Bool(true));
    in_tx!(state, |tx| {
        let user_id = match &target {
            Some(target) => {
                let linked = ProviderData {
                    token: String::new(),
                    refresh_token: String::new(),
                    sub: sub.clone(),
                    email: email.clone(),
                    verified,
                    identity_data: data.clone(),
                };
                link_to_user(state, tx, target, "keycloak", &linked).await?
            }
            None => account(state, tx, &sub, &email, verified, &data, referrer).await?,
        };
        sessions::sign_in(state, tx, &user_id, "oauth").await
    })
}

/// `parseGenericIDToken`: the standard claims GoTrue keeps as the identity's data (`provider.Claims`,
/// empty ones left out), with `provider_id` the subject.
fn identity_data(claims: &Value, sub: &str) -> Map<String, Value> {
    const KEPT: &[&str] = &[
        "iss",
        "sub",
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "email",
        "email_verified",
        "phone",
        "phone_verified",
    ];
    let mut data = Map::new();
    for key in KEPT {
        match claims.get(*key) {
            None | Some(Value::Null | Value::Bool(false)) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(v) => {
                data.insert((*key).to_owned(), v.clone());
            }
        }
    }
    data.insert("provider_id".into(), json!(sub));
    data
}

/// go-oidc's `NewProvider` + `Verify`: discovery, JWKS, signature, issuer, expiry.
async fn verify(issuer: &str, token: &str) -> ApiResult<Value> {
    let bad = |e: &dyn std::fmt::Display| {
        tracing::debug!(error = %e, "auth: ID token rejected");
        ApiError::oauth("invalid request", "Bad ID token")
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ApiError::internal(format!("HTTP client: {e}")))?;
    let fetch = |url: String| {
        let http = http.clone();
        async move {
            let resp = http
                .get(&url)
                .send()
                .await
                .map_err(|e| ApiError::internal(format!("fetching {url}: {e}")))?;
            if !resp.status().is_success() {
                return Err(ApiError::internal(format!(
                    "fetching {url}: {}",
                    resp.status()
                )));
            }
            let body = resp
                .bytes()
                .await
                .map_err(|e| ApiError::internal(format!("fetching {url}: {e}")))?;
            serde_json::from_slice::<Value>(&body)
                .map_err(|e| ApiError::internal(format!("decoding {url}: {e}")))
        }
    };
    let discovery = fetch(format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    ))
    .await?;
    if discovery["issuer"].as_str() != Some(issuer) {
        return Err(ApiError::internal(format!(
            "oidc: issuer did not match the issuer returned by provider, expected {issuer:?} got {}",
            discovery["issuer"]
        )));
    }
    let jwks_uri = discovery["jwks_uri"]
        .as_str()
        .ok_or_else(|| ApiError::internal("oidc: discovery document without jwks_uri"))?;
    let set: JwkSet = serde_json::from_value(fetch(jwks_uri.to_owned()).await?)
        .map_err(|e| ApiError::internal(format!("decoding the JWKS: {e}")))?;
    // go-oidc accepts the discovery's `id_token_signing_alg_values_supported`, else RS256.
    let allowed: Vec<Algorithm> =
        match discovery["id_token_signing_alg_values_supported"].as_array() {
            Some(algs) => algs
                .iter()
                .filter_map(|a| a.as_str()?.parse().ok())
                .collect(),
            None => vec![Algorithm::RS256],
        };
    let header = jsonwebtoken::decode_header(token).map_err(|e| bad(&e))?;
    if !allowed.contains(&header.alg) {
        return Err(bad(&format!("algorithm {:?} not supported", header.alg)));
    }
    let candidates: Vec<_> = set
        .keys
        .iter()
        .filter(|k| header.kid.is_none() || k.common.key_id == header.kid)
        .collect();
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.validate_aud = false;
    validation.leeway = 0;
    let mut last = String::from("no matching key in the JWKS");
    for jwk in candidates {
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        match jsonwebtoken::decode::<Value>(token, &key, &validation) {
            Ok(data) => return Ok(data.claims),
            Err(e) => last = e.to_string(),
        }
    }
    Err(bad(&last))
}

/// `DetermineAccountLinking` + `createAccountFromExternalIdentity` for the `keycloak` provider
/// (linking domain `default`); returns the user to sign in. Shared with the OAuth callback
/// (`external.rs`), which calls the same `createAccountFromExternalIdentity`.
pub(super) async fn account(
    state: &Auth,
    tx: &Transaction<'_>,
    sub: &str,
    email: &str,
    verified: bool,
    data: &Map<String, Value>,
    referrer: &str,
) -> ApiResult<String> {
    const PROVIDER: &str = "keycloak";
    let data_json = Value::Object(data.clone()).to_string();
    let autoconfirm = !state.config.email_confirmations;
    let existing = tx
        .query_opt(
            "select id::text, user_id::text from auth.identities where provider_id = $1 and provider = $2",
            &[&sub, &PROVIDER],
        )
        .await?;
    let mut candidate_email = email.to_owned();
    let (user_id, identity_id) = if let Some(row) = existing {
        // AccountExists: the identity's data is refreshed, and merged into the user's metadata.
        let (identity_id, user_id): (String, String) = (row.get(0), row.get(1));
        tx.execute(
            "update auth.identities set identity_data = $2::text::jsonb, last_sign_in_at = now(), \
             updated_at = now() where id = $1::text::uuid",
            &[&identity_id, &data_json],
        )
        .await?;
        users::merge_user_metadata(tx, &user_id, &Value::Object(data.clone())).await?;
        candidate_email = users::find_by_id(tx, &user_id)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        (user_id, identity_id)
    } else {
        let linked_to = if email.is_empty() || !(verified || autoconfirm) {
            // No verified email: always a new account, without the email if it is taken.
            if !email.is_empty() && users::find_by_email(tx, email).await?.is_some() {
                candidate_email.clear();
            }
            None
        } else {
            let owners: Vec<String> = tx
                .query(
                    "select distinct user_id::text from auth.identities i \
                     where i.email = $1 and i.provider not like 'sso:%'",
                    &[&email],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            match owners.as_slice() {
                [] => users::find_by_email(tx, email).await?.map(|u| u.id),
                [one] => Some(one.clone()),
                _ => {
                    return Err(ApiError::internal(
                        "Multiple accounts with the same email address in the same linking domain detected: default",
                    ));
                }
            }
        };
        let user_id = match linked_to {
            // LinkAccount.
            Some(user_id) => {
                users::merge_user_metadata(tx, &user_id, &Value::Object(data.clone())).await?;
                user_id
            }
            // CreateAccount.
            None => {
                if !state.config.signup_enabled {
                    return Err(ApiError::unprocessable(
                        "signup_disabled",
                        "Signups not allowed for this instance",
                    ));
                }
                users::create(
                    tx,
                    NewUser {
                        email: Some(candidate_email.as_str()).filter(|e| !e.is_empty()),
                        provider: PROVIDER,
                        user_metadata: Some(Value::Object(data.clone())),
                        ..NewUser::default()
                    },
                )
                .await?
            }
        };
        let identity_id: String = tx
            .query_one(
                "insert into auth.identities (provider_id, user_id, identity_data, provider, \
                   last_sign_in_at, created_at, updated_at) \
                 values ($1, $2::text::uuid, $3::text::jsonb, $4, now(), now(), now()) returning id::text",
                &[&sub, &user_id, &data_json, &PROVIDER],
            )
            .await?
            .get(0);
        users::add_provider(tx, &user_id, PROVIDER).await?;
        (user_id, identity_id)
    };
    let user = users::find_by_id(tx, &user_id)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished"))?;
    if user.banned {
        return Err(ApiError::forbidden("user_banned", "User is banned"));
    }
    if !user.email_confirmed {
        // `RemoveUnconfirmedIdentities`: an unconfirmed account keeps only this identity, its
        // metadata, and no password.
        tx.execute(
            "delete from auth.identities where user_id = $1::text::uuid and id <> $2::text::uuid",
            &[&user_id, &identity_id],
        )
        .await?;
        tx.execute(
            "update auth.users set encrypted_password = '', raw_user_meta_data = $2::text::jsonb, \
               raw_app_meta_data = raw_app_meta_data || jsonb_build_object('providers', jsonb_build_array($3::text)), \
               updated_at = now() where id = $1::text::uuid",
            &[&user_id, &data_json, &PROVIDER],
        )
        .await?;
        if verified || autoconfirm {
            users::confirm_email(tx, &user_id).await?;
        } else {
            let mut message = format!(
                "Unverified email with {PROVIDER}. Verify the email with {PROVIDER} in order to sign in"
            );
            if !candidate_email.is_empty() {
                otp::send_email(
                    state,
                    tx,
                    &user_id,
                    &candidate_email,
                    EmailPurpose::Signup,
                    referrer,
                    None,
                )
                .await?;
                message = format!(
                    "Unverified email with {PROVIDER}. A confirmation email has been sent to your {PROVIDER} email"
                );
            }
            return Err(
                ApiError::unprocessable("provider_email_needs_verification", message).commit(),
            );
        }
    }
    Ok(user_id)
}
