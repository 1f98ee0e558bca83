//! Admin endpoints, for the `service_role` key only (supabase/auth `internal/api/admin.go`,
//! `invite.go`, `mail.go` `adminGenerateLink`, `pagination.go`).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use deadpool_postgres::Transaction;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::otp::{self, EmailPurpose};
use super::redirect::{self, Referrer};
use super::users::{self, NewUser};
use super::{St, parse_body, require_admin};

fn user_id_param(id: &str) -> ApiResult<()> {
    if users::is_uuid(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "validation_failed",
            "user_id must be an UUID",
        ))
    }
}

/// `paginate` (`pagination.go`): an unsigned page and page size, refused as Go's `strconv`
/// words it; `per_page` above 0.
fn parse_page(q: &HashMap<String, String>, key: &str, default: i64) -> ApiResult<i64> {
    let Some(v) = q.get(key).filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    let refuse = |why: String| {
        ApiError::bad_request(
            "validation_failed",
            format!("Bad Pagination Parameters: {why}"),
        )
    };
    let n = v.parse::<u64>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow => "value out of range",
            _ => "invalid syntax",
        };
        refuse(format!("strconv.ParseUint: parsing {v:?}: {why}"))
    })?;
    if key == "per_page" && n == 0 {
        return Err(refuse("per_page must be greater than 0".into()));
    }
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `addPaginationHeaders`: the request's own query with `page` set, keys sorted as Go's
/// `url.Values.Encode` writes them.
fn page_link(q: &HashMap<String, String>, page: i64, rel: &str) -> String {
    let mut pairs: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| *k != "page")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .chain([("page", page.to_string())])
        .collect();
    pairs.sort();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("</admin/users?{query}>; rel=\"{rel}\"")
}

/// `GET /admin/users?page=&per_page=`: `{"users": [...], "aud": ..}` with `X-Total-Count` and a
/// `Link` header (`rel="next"`, `rel="last"`), newest first.
pub(super) async fn list_users(
    State(state): St,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    require_admin(&state, &headers)?;
    let page = parse_page(&q, "page", 1)?;
    let per_page = parse_page(&q, "per_page", 50)?;
    let filter = q.get("filter").cloned().unwrap_or_default();
    let (total, users) = in_tx!(&state, |tx| {
        let pattern = format!("%{}%", filter.replace('%', "\\%").replace('_', "\\_"));
        let total: i64 = tx
            .query_one(
                "select count(*) from auth.users where aud = 'authenticated' \
                 and ($1 = '%%' or email like $1 or raw_user_meta_data->>'full_name' ilike $1)",
                &[&pattern],
            )
            .await?
            .get(0);
        let sql = format!(
            "select coalesce(jsonb_agg(j order by c desc, id desc), '[]'::jsonb)::text from ( \
               select {} j, u.created_at c, u.id from auth.users u where aud = 'authenticated' \
               and ($1 = '%%' or email like $1 or raw_user_meta_data->>'full_name' ilike $1) \
               order by u.created_at desc, u.id desc limit $2 offset $3) s",
            users::user_json_sql()
        );
        let text: String = tx
            .query_one(
                &sql,
                // Pop's paginator reads page 0 as page 1.
                &[
                    &pattern,
                    &per_page,
                    &(page.max(1) - 1).saturating_mul(per_page),
                ],
            )
            .await?
            .get(0);
        Ok((total, users::parse_json(&text)?))
    })?;
    let users: Vec<Value> = match users {
        Value::Array(items) => items.into_iter().map(users::tidy_user).collect(),
        _ => Vec::new(),
    };
    // No `total + per_page - 1`: `per_page` may be as large as `i64::MAX`. No users: `last` is
    // page 0, as `calculateTotalPages` counts.
    let last = total / per_page + i64::from(total % per_page != 0);
    let mut links = Vec::new();
    if page < last {
        links.push(page_link(&q, page + 1, "next"));
    }
    links.push(page_link(&q, last, "last"));
    let mut resp = Json(json!({"users": users, "aud": "authenticated"})).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        h.insert("link", v);
    }
    h.insert("x-total-count", HeaderValue::from(total));
    Ok(resp)
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct AdminUserParams {
    id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    password_hash: Option<String>,
    email_confirm: bool,
    phone_confirm: bool,
    user_metadata: Option<Value>,
    app_metadata: Option<Value>,
    role: Option<String>,
    ban_duration: Option<String>,
}

/// A Go duration (`24h`, `1h30m`, `90s`, `100ms`...) as seconds, or `none`.
fn ban_seconds(s: &str) -> ApiResult<Option<f64>> {
    if s == "none" {
        return Ok(None);
    }
    let bad = || {
        ApiError::bad_request(
            "validation_failed",
            "invalid format for ban duration: {s}".replace("{s}", s),
        )
    };
    let mut total = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push('s');
            chars.next();
        }
        let n: f64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(bad()),
        };
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(bad());
    }
    Ok(Some(total))
}

async fn apply_ban(tx: &Transaction<'_>, id: &str, ban: Option<&str>) -> ApiResult<()> {
    if let Some(b) = ban {
        let secs = ban_seconds(b)?;
        tx.execute(
            "update auth.users set banned_until = case when $2::float8 is null then null \
               else now() + make_interval(secs => $2::float8) end where id = $1::text::uuid",
            &[&id, &secs],
        )
        .await?;
    }
    Ok(())
}

/// `POST /admin/users`.
pub(super) async fn create_user(
    State(state): St,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    let p: AdminUserParams = parse_body(&body)?;
    let (email, phone) = users::validated_contact(p.email.as_deref(), p.phone.as_deref())?;
    if email.is_none() && phone.is_none() {
        return Err(ApiError::validation(
            "Cannot create a user without either an email or phone",
        ));
    }
    // `adminUserCreate`: a password (even an empty one) or a hash, not both; the hash is stored
    // as it is, its strength unknowable. Update ignores `password_hash`, as GoTrue does. A
    // non-empty password meets the strength policy, as in update (the newest `adminUserCreate`);
    // an empty one is none (GoTrue generates a random one nobody knows).
    let password_hash = p.password_hash.as_deref().filter(|h| !h.is_empty());
    if p.password.is_some() && password_hash.is_some() {
        return Err(ApiError::validation(
            "Only a password or a password hash should be provided",
        ));
    }
    if let Some(hash) = password_hash {
        users::check_password_hash(hash)?;
    }
    if let Some(pw) = p.password.as_deref().filter(|pw| !pw.is_empty()) {
        users::check_password(pw, state.config.minimum_password_length)?;
    }
    if let Some(id) = &p.id {
        user_id_param(id)?;
    }
    in_tx!(&state, |tx| {
        if let Some(e) = &email
            && users::find_by_email(tx, e).await?.is_some()
        {
            return Err(ApiError::unprocessable(
                "email_exists",
                "A user with this email address has already been registered",
            ));
        }
        if let Some(ph) = &phone
            && users::find_by_phone(tx, ph).await?.is_some()
        {
            return Err(ApiError::unprocessable(
                "phone_exists",
                "A user with this phone number has already been registered",
            ));
        }
        let id = users::create(
            tx,
            NewUser {
                id: p.id.as_deref(),
                email: email.as_deref(),
                phone: phone.as_deref(),
                password: p.password.as_deref().filter(|pw| !pw.is_empty()),
                password_hash,
                provider: if email.is_some() { "email" } else { "phone" },
                user_metadata: p.user_metadata.clone(),
                app_metadata: p.app_metadata.clone(),
                email_confirmed: p.email_confirm,
                phone_confirmed: p.phone_confirm,
                role: p.role.as_deref(),
                data_in_identity: false,
            },
        )
        .await?;
        // `adminUserCreate`: an email and a phone make two identities, `email` and `phone`.
        if let (Some(_), Some(ph)) = (&email, &phone) {
            users::upsert_contact_identity(tx, &id, "phone", ph, p.phone_confirm).await?;
        }
        apply_ban(tx, &id, p.ban_duration.as_deref()).await?;
        users::must_user_json(tx, &id).await
    })
    .map(Json)
}

/// `GET /admin/users/{id}`.
pub(super) async fn get_user(
    State(state): St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    user_id_param(&id)?;
    in_tx!(&state, |tx| users::must_user_json(tx, &id).await).map(Json)
}

/// `PUT /admin/users/{id}`.
pub(super) async fn update_user(
    State(state): St,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    user_id_param(&id)?;
    let p: AdminUserParams = parse_body(&body)?;
    in_tx!(&state, |tx| {
        let user = users::find_by_id(tx, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("user_not_found", "User not found"))?;
        if let Some(email) = p.email.as_deref().filter(|e| !e.is_empty()) {
            let email = users::validate_email(email)?;
            if email != user.email {
                if users::find_by_email(tx, &email).await?.is_some() {
                    return Err(ApiError::unprocessable(
                        "email_exists",
                        "A user with this email address has already been registered",
                    ));
                }
                tx.execute(
                    "update auth.users set email = $2, updated_at = now() where id = $1::text::uuid",
                    &[&id, &email],
                )
                .await?;
            }
            // `adminUserUpdate`: the email identity is created (a phone-only user) or updated,
            // its `email_verified` set to `email_confirm`.
            users::upsert_contact_identity(tx, &id, "email", &email, p.email_confirm).await?;
        }
        if let Some(phone) = p.phone.as_deref().filter(|e| !e.is_empty()) {
            let phone = users::validate_phone(phone)?;
            if phone != user.phone {
                if users::find_by_phone(tx, &phone).await?.is_some() {
                    return Err(ApiError::unprocessable(
                        "phone_exists",
                        "A user with this phone number has already been registered",
                    ));
                }
                tx.execute(
                    "update auth.users set phone = $2, updated_at = now() where id = $1::text::uuid",
                    &[&id, &phone],
                )
                .await?;
            }
            // Likewise the phone identity, `phone_verified` set to `phone_confirm`.
            users::upsert_contact_identity(tx, &id, "phone", &phone, p.phone_confirm).await?;
        }
        if let Some(pw) = &p.password {
            users::check_password(pw, state.config.minimum_password_length)?;
            users::set_password(tx, &id, pw, None).await?;
        }
        if p.email_confirm {
            users::confirm_email(tx, &id).await?;
        }
        if p.phone_confirm {
            users::confirm_phone(tx, &id).await?;
        }
        if let Some(m) = &p.user_metadata {
            users::merge_user_metadata(tx, &id, m).await?;
        }
        if let Some(m) = &p.app_metadata {
            users::merge_app_metadata(tx, &id, m).await?;
        }
        if let Some(role) = &p.role {
            tx.execute(
                "update auth.users set role = $2 where id = $1::text::uuid",
                &[&id, role],
            )
            .await?;
        }
        // `User.Ban` sets `banned_until` only: the sessions stay, and their refreshes are
        // refused while the ban lasts (`user_banned`).
        apply_ban(tx, &id, p.ban_duration.as_deref()).await?;
        users::must_user_json(tx, &id).await
    })
    .map(Json)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeleteParams {
    should_soft_delete: bool,
}

/// `DELETE /admin/users/{id}`: `{}`. A soft delete keeps the row, obfuscated (`SoftDeleteUser`).
pub(super) async fn delete_user(
    State(state): St,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    user_id_param(&id)?;
    let p: DeleteParams = parse_body(&body)?;
    in_tx!(&state, |tx| {
        if users::find_by_id(tx, &id).await?.is_none() {
            return Err(ApiError::not_found("user_not_found", "User not found"));
        }
        if p.should_soft_delete {
            tx.execute("delete from auth.sessions where user_id = $1::text::uuid", &[&id])
                .await?;
            tx.execute("delete from auth.mfa_factors where user_id = $1::text::uuid", &[&id])
                .await?;
            tx.execute(
                "update auth.identities set provider_id = encode(extensions.digest(provider_id || id::text, 'sha256'), 'hex'), \
                   identity_data = '{}'::jsonb where user_id = $1::text::uuid",
                &[&id],
            )
            .await?;
            tx.execute(
                "update auth.users set \
                   email = case when email is null then null else encode(extensions.digest(email || id::text, 'sha256'), 'hex') end, \
                   phone = case when phone is null then null else encode(extensions.digest(phone || id::text, 'sha256'), 'hex') end, \
                   encrypted_password = '', confirmation_token = '', recovery_token = '', \
                   email_change_token_new = '', email_change_token_current = '', phone_change_token = '', \
                   raw_app_meta_data = '{}'::jsonb, raw_user_meta_data = '{}'::jsonb, \
                   deleted_at = now(), updated_at = now() where id = $1::text::uuid",
                &[&id],
            )
            .await?;
        } else {
            tx.execute("delete from auth.users where id = $1::text::uuid", &[&id])
                .await?;
        }
        Ok(json!({}))
    })
    .map(Json)
}

/// `GET /admin/users/{id}/factors`.
pub(super) async fn list_factors(
    State(state): St,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    user_id_param(&id)?;
    in_tx!(&state, |tx| {
        if users::find_by_id(tx, &id).await?.is_none() {
            return Err(ApiError::not_found("user_not_found", "User not found"));
        }
        let sql = format!(
            "select coalesce(jsonb_agg({} order by f.created_at), '[]'::jsonb)::text \
             from auth.mfa_factors f where f.user_id = $1::text::uuid",
            users::factor_json_sql("f")
        );
        let text: String = tx.query_one(&sql, &[&id]).await?.get(0);
        let mut v = users::parse_json(&text)?;
        if let Value::Array(items) = &mut v {
            items.iter_mut().for_each(users::tidy_object);
        }
        Ok(v)
    })
    .map(Json)
}

async fn factor_json(tx: &Transaction<'_>, user_id: &str, factor_id: &str) -> ApiResult<Value> {
    let not_found = || ApiError::not_found("mfa_factor_not_found", "Factor not found");
    if !users::is_uuid(factor_id) {
        return Err(not_found());
    }
    let sql = format!(
        "select {}::text from auth.mfa_factors f where f.id = $1::text::uuid and f.user_id = $2::text::uuid",
        users::factor_json_sql("f")
    );
    let row = tx
        .query_opt(&sql, &[&factor_id, &user_id])
        .await?
        .ok_or_else(not_found)?;
    let mut v = users::parse_json(&row.get::<_, String>(0))?;
    users::tidy_object(&mut v);
    Ok(v)
}

/// `DELETE /admin/users/{id}/factors/{factor_id}`: the deleted factor.
pub(super) async fn delete_factor(
    State(state): St,
    headers: HeaderMap,
    Path((id, factor_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    user_id_param(&id)?;
    in_tx!(&state, |tx| {
        let v = factor_json(tx, &id, &factor_id).await?;
        tx.execute(
            "delete from auth.mfa_factors where id = $1::text::uuid",
            &[&factor_id],
        )
        .await?;
        Ok(v)
    })
    .map(Json)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FactorUpdate {
    friendly_name: Option<String>,
}

/// `PUT /admin/users/{id}/factors/{factor_id}`: renames a factor.
pub(super) async fn update_factor(
    State(state): St,
    headers: HeaderMap,
    Path((id, factor_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    user_id_param(&id)?;
    let p: FactorUpdate = parse_body(&body)?;
    in_tx!(&state, |tx| {
        factor_json(tx, &id, &factor_id).await?;
        if let Some(name) = &p.friendly_name {
            tx.execute(
                "update auth.mfa_factors set friendly_name = $2, updated_at = now() where id = $1::text::uuid",
                &[&factor_id, name],
            )
            .await?;
        }
        factor_json(tx, &id, &factor_id).await
    })
    .map(Json)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InviteParams {
    email: String,
    data: Option<Value>,
}

/// `POST /invite`: creates (or re-invites) an unconfirmed user and sends the invite.
pub(super) async fn invite(
    State(state): St,
    headers: HeaderMap,
    Referrer(redirect): Referrer,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    let p: InviteParams = parse_body(&body)?;
    let email = users::validate_email(&p.email)?;
    in_tx!(&state, |tx| {
        let id = match users::find_by_email(tx, &email).await? {
            Some(u) if u.email_confirmed => {
                return Err(ApiError::unprocessable(
                    "email_exists",
                    "A user with this email address has already been registered",
                ));
            }
            Some(u) => u.id,
            None => {
                users::create(
                    tx,
                    NewUser {
                        email: Some(&email),
                        provider: "email",
                        user_metadata: p.data.clone(),
                        ..NewUser::default()
                    },
                )
                .await?
            }
        };
        otp::send_email(
            &state,
            tx,
            &id,
            &email,
            EmailPurpose::Invite,
            &redirect,
            None,
        )
        .await?;
        users::must_user_json(tx, &id).await
    })
    .map(Json)
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct GenerateLinkParams {
    #[serde(rename = "type")]
    kind: String,
    email: String,
    new_email: String,
    password: String,
    data: Option<Value>,
    redirect_to: String,
}

/// `POST /admin/generate_link`: the user object plus `action_link`, `email_otp`, `hashed_token`,
/// `verification_type`, `redirect_to`. Nothing is sent.
pub(super) async fn generate_link(
    State(state): St,
    headers: HeaderMap,
    Referrer(referrer): Referrer,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_admin(&state, &headers)?;
    let p: GenerateLinkParams = parse_body(&body)?;
    let email = users::validate_email(&p.email)?;
    // `adminGenerateLink`: the body's `redirect_to` when it is allowed, else `GetReferrer`.
    let redirect = if redirect::is_valid(&state.config, &p.redirect_to) {
        p.redirect_to.clone()
    } else {
        referrer
    };
    let exists = || {
        ApiError::unprocessable(
            "email_exists",
            "A user with this email address has already been registered",
        )
    };
    let not_found = || ApiError::not_found("user_not_found", "User with this email not found");
    in_tx!(&state, |tx| {
        let existing = users::find_by_email(tx, &email).await?;
        // `adminGenerateLink`: a magic link for an unknown address is a signup with a random
        // password (the user confirms and signs in with the link); recovery and email changes
        // need the user.
        let mut kind = p.kind.as_str();
        let mut password = p.password.clone();
        if existing.is_none() {
            match kind {
                "magiclink" => {
                    kind = "signup";
                    // `password.Generate(64, ..)`: 64 characters nobody knows.
                    password = super::random_token(48);
                }
                "recovery" | "email_change_current" | "email_change_new" => {
                    return Err(not_found());
                }
                _ => {}
            }
        }
        let (user_id, purpose, to) = match kind {
            "signup" | "invite" => {
                let signup = kind == "signup";
                let id = match existing {
                    Some(u) if u.email_confirmed => return Err(exists()),
                    Some(u) => {
                        if signup && let Some(data) = &p.data {
                            users::merge_user_metadata(tx, &u.id, data).await?;
                        }
                        u.id
                    }
                    None => {
                        if signup {
                            // `validateSignupParams`, for a new user only.
                            let min_len = state.config.minimum_password_length;
                            users::check_signup_password(&password, min_len)?;
                        }
                        users::create(
                            tx,
                            NewUser {
                                email: Some(&email),
                                password: signup.then_some(password.as_str()),
                                provider: "email",
                                user_metadata: p.data.clone(),
                                ..NewUser::default()
                            },
                        )
                        .await?
                    }
                };
                let purpose = if signup {
                    EmailPurpose::Signup
                } else {
                    EmailPurpose::Invite
                };
                (id, purpose, email.clone())
            }
            "magiclink" | "recovery" => {
                let purpose = if kind == "magiclink" {
                    EmailPurpose::MagicLink
                } else {
                    EmailPurpose::Recovery
                };
                (existing.ok_or_else(not_found)?.id, purpose, email.clone())
            }
            "email_change_current" | "email_change_new" => {
                if kind == "email_change_current" && !state.config.secure_email_change {
                    return Err(ApiError::validation(
                        "Enable secure email change to generate link for current email",
                    ));
                }
                let user = existing.ok_or_else(not_found)?;
                let new_email = users::validate_email(&p.new_email)?;
                // `IsDuplicatedEmail(.., user)`: the user's own address is no duplicate.
                if users::find_by_email(tx, &new_email)
                    .await?
                    .is_some_and(|other| other.id != user.id)
                {
                    return Err(exists());
                }
                tx.execute(
                    "update auth.users set email_change = $2, email_change_confirm_status = 0 where id = $1::text::uuid",
                    &[&user.id, &new_email],
                )
                .await?;
                if kind == "email_change_current" {
                    (user.id, EmailPurpose::EmailChangeCurrent, email.clone())
                } else {
                    (user.id, EmailPurpose::EmailChangeNew, new_email)
                }
            }
            other => {
                return Err(ApiError::validation(format!(
                    "Invalid email action link type requested: {other}"
                )));
            }
        };
        let sent = otp::issue_email_token(&state, tx, &user_id, &to, purpose, &redirect, None).await?;
        let mut user = users::must_user_json(tx, &user_id).await?;
        if let Some(o) = user.as_object_mut() {
            o.insert("action_link".into(), json!(sent.link.unwrap_or_default()));
            o.insert("email_otp".into(), json!(sent.otp));
            o.insert("hashed_token".into(), json!(sent.hash));
            // The type as requested, or `signup` for a magic link that signed up.
            o.insert("verification_type".into(), json!(kind));
            o.insert("redirect_to".into(), json!(redirect));
        }
        Ok(user)
    })
    .map(Json)
}
