//! The user object as GoTrue serialises it (supabase/auth `internal/models/user.go`,
//! `identity.go`, `factor.go`), input validation (`internal/api/helpers.go`, `phone.go`,
//! `password.go`), and creating users (`signup.go` `signupNewUser`, `ToUserModel`).

use deadpool_postgres::Transaction;
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult};
use crate::services::Secret;

/// RFC 3339 in UTC with microseconds, as Go's `time.Time` marshals Postgres timestamps.
fn ts(col: &str) -> String {
    format!(r#"to_char({col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#)
}

/// One identity (`models.Identity` JSON).
fn identity_json_sql(alias: &str) -> String {
    format!(
        "jsonb_build_object('identity_id', {a}.id, 'id', {a}.provider_id, 'user_id', {a}.user_id, \
         'identity_data', {a}.identity_data, 'provider', {a}.provider, \
         'last_sign_in_at', {lsi}, 'created_at', {ca}, 'updated_at', {ua}, 'email', {a}.email)",
        a = alias,
        lsi = ts(&format!("{alias}.last_sign_in_at")),
        ca = ts(&format!("{alias}.created_at")),
        ua = ts(&format!("{alias}.updated_at")),
    )
}

/// One factor (`models.Factor` JSON).
pub(super) fn factor_json_sql(alias: &str) -> String {
    format!(
        "jsonb_build_object('id', {a}.id, 'friendly_name', {a}.friendly_name, \
         'factor_type', {a}.factor_type, 'status', {a}.status, 'created_at', {ca}, \
         'updated_at', {ua}, 'last_challenged_at', {lc}, 'phone', {a}.phone)",
        a = alias,
        ca = ts(&format!("{alias}.created_at")),
        ua = ts(&format!("{alias}.updated_at")),
        lc = ts(&format!("{alias}.last_challenged_at")),
    )
}

/// The user object of `u` (an `auth.users` alias) as a `jsonb` expression.
pub(super) fn user_json_sql() -> String {
    let t = |c: &str| ts(&format!("u.{c}"));
    format!(
        "jsonb_build_object(\
           'id', u.id, 'aud', coalesce(u.aud, ''), 'role', coalesce(u.role, ''), \
           'email', coalesce(u.email, ''), 'email_confirmed_at', {eca}, 'invited_at', {ia}, \
           'phone', coalesce(u.phone, ''), 'phone_confirmed_at', {pca}, \
           'confirmation_sent_at', {csa}, 'confirmed_at', {ca}, 'recovery_sent_at', {rsa}, \
           'new_email', nullif(u.email_change, ''), 'email_change_sent_at', {ecsa}, \
           'new_phone', nullif(u.phone_change, ''), 'phone_change_sent_at', {pcsa}, \
           'reauthentication_sent_at', {rasa}, 'last_sign_in_at', {lsi}, \
           'app_metadata', coalesce(u.raw_app_meta_data, '{{}}'::jsonb), \
           'user_metadata', coalesce(u.raw_user_meta_data, '{{}}'::jsonb), \
           'identities', coalesce((select jsonb_agg({ij} order by i.created_at) \
                                   from auth.identities i where i.user_id = u.id), '[]'::jsonb), \
           'factors', (select jsonb_agg({fj} order by f.created_at) \
                       from auth.mfa_factors f where f.user_id = u.id), \
           'banned_until', {bu}, 'created_at', {cra}, 'updated_at', {upa}, 'deleted_at', {da}, \
           'is_anonymous', u.is_anonymous)",
        eca = t("email_confirmed_at"),
        ia = t("invited_at"),
        pca = t("phone_confirmed_at"),
        csa = t("confirmation_sent_at"),
        ca = t("confirmed_at"),
        rsa = t("recovery_sent_at"),
        ecsa = t("email_change_sent_at"),
        pcsa = t("phone_change_sent_at"),
        rasa = t("reauthentication_sent_at"),
        lsi = t("last_sign_in_at"),
        ij = identity_json_sql("i"),
        fj = factor_json_sql("f"),
        bu = t("banned_until"),
        cra = t("created_at"),
        upa = t("updated_at"),
        da = t("deleted_at"),
    )
}

/// Fields of the user object that GoTrue omits when empty (`omitempty`).
const OMIT_EMPTY: &[&str] = &[
    "email_confirmed_at",
    "invited_at",
    "phone_confirmed_at",
    "confirmation_sent_at",
    "confirmed_at",
    "recovery_sent_at",
    "new_email",
    "email_change_sent_at",
    "new_phone",
    "phone_change_sent_at",
    "reauthentication_sent_at",
    "last_sign_in_at",
    "factors",
    "banned_until",
    "deleted_at",
];

/// Drops the `omitempty` fields that are null, in a user and in its identities and factors.
pub(super) fn tidy_user(mut user: Value) -> Value {
    if let Some(obj) = user.as_object_mut() {
        for k in OMIT_EMPTY {
            if obj.get(*k).is_some_and(Value::is_null) {
                obj.remove(*k);
            }
        }
        for list in ["identities", "factors"] {
            if let Some(Value::Array(items)) = obj.get_mut(list) {
                for item in items {
                    tidy_object(item);
                }
            }
        }
    }
    user
}

/// Drops null `omitempty` fields of an identity or factor object.
pub(super) fn tidy_object(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        for k in ["email", "last_challenged_at", "phone", "friendly_name"] {
            if o.get(k).is_some_and(Value::is_null) {
                o.remove(k);
            }
        }
    }
}

/// The user object of `id`, or `None`.
pub(super) async fn user_json(tx: &Transaction<'_>, id: &str) -> ApiResult<Option<Value>> {
    let sql = format!(
        "select {}::text from auth.users u where u.id = $1::text::uuid",
        user_json_sql()
    );
    let row = tx.query_opt(&sql, &[&id]).await?;
    row.map(|r| parse_json(&r.get::<_, String>(0)).map(tidy_user))
        .transpose()
}

/// The user object of `id`, which must exist.
pub(super) async fn must_user_json(tx: &Transaction<'_>, id: &str) -> ApiResult<Value> {
    user_json(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found", "User not found"))
}

pub(super) fn parse_json(text: &str) -> ApiResult<Value> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("decoding a row: {e}")))
}

/// What the handlers need to know about a user row.
#[derive(Debug, Clone)]
pub(super) struct UserRow {
    pub(super) id: String,
    pub(super) email: String,
    pub(super) phone: String,
    pub(super) email_confirmed: bool,
    pub(super) phone_confirmed: bool,
    pub(super) banned: bool,
    pub(super) is_anonymous: bool,
}

const USER_ROW: &str = "select id::text, coalesce(email, ''), coalesce(phone, ''), \
    email_confirmed_at is not null, phone_confirmed_at is not null, \
    coalesce(banned_until > now(), false), is_anonymous from auth.users";

fn user_row(r: &tokio_postgres::Row) -> UserRow {
    UserRow {
        id: r.get(0),
        email: r.get(1),
        phone: r.get(2),
        email_confirmed: r.get(3),
        phone_confirmed: r.get(4),
        banned: r.get(5),
        is_anonymous: r.get(6),
    }
}

pub(super) async fn find_by_id(tx: &Transaction<'_>, id: &str) -> ApiResult<Option<UserRow>> {
    if !is_uuid(id) {
        return Ok(None);
    }
    let sql = format!("{USER_ROW} where id = $1::text::uuid");
    Ok(tx.query_opt(&sql, &[&id]).await?.as_ref().map(user_row))
}

/// `FindUserByEmailAndAudience` (not SSO users, not soft-deleted).
pub(super) async fn find_by_email(tx: &Transaction<'_>, email: &str) -> ApiResult<Option<UserRow>> {
    let sql = format!(
        "{USER_ROW} where lower(email) = lower($1) and aud = 'authenticated' \
         and is_sso_user = false limit 1"
    );
    Ok(tx.query_opt(&sql, &[&email]).await?.as_ref().map(user_row))
}

/// `FindUserByPhoneAndAudience`.
pub(super) async fn find_by_phone(tx: &Transaction<'_>, phone: &str) -> ApiResult<Option<UserRow>> {
    let sql = format!("{USER_ROW} where phone = $1 and aud = 'authenticated' limit 1");
    Ok(tx.query_opt(&sql, &[&phone]).await?.as_ref().map(user_row))
}

/// Whether `password` matches the user's bcrypt hash (pgcrypto's `crypt`). A `$2b$` or `$2y$`
/// hash (from `admin.create_user`'s `password_hash`) is read as `$2a$`, the only bcrypt prefix
/// pgcrypto knows: the three differ only for passwords of over 255 bytes (`$2b$`) or with a
/// rare 8-bit sign bug (`$2x$`, which `$2a$` already avoids).
pub(super) async fn password_matches(
    tx: &Transaction<'_>,
    id: &str,
    password: &str,
) -> ApiResult<bool> {
    let row = tx
        .query_one(
            "select coalesce(h, '') <> '' and h = extensions.crypt($2, h) \
             from (select regexp_replace(encrypted_password, '^\\$2[by]\\$', '$2a$') as h \
                   from auth.users where id = $1::text::uuid) u",
            &[&id, &Secret(password)],
        )
        .await?;
    Ok(row.get(0))
}

/// Sets the user's password (bcrypt, cost 10 like GoTrue's `bcrypt.DefaultCost`) as
/// `User.UpdatePassword` does (supabase/auth `internal/models/user.go`): pending confirmation,
/// recovery, change and reauthentication tokens are dropped, and every session but `keep` (the
/// caller's own, for `PUT /user`; none for the admin API) is signed out.
pub(super) async fn set_password(
    tx: &Transaction<'_>,
    id: &str,
    password: &str,
    keep: Option<&str>,
) -> ApiResult<()> {
    tx.execute(
        "update auth.users set encrypted_password = extensions.crypt($2, extensions.gen_salt('bf', 10)), \
           confirmation_token = '', confirmation_sent_at = null, recovery_token = '', \
           recovery_sent_at = null, email_change_token_current = '', email_change_token_new = '', \
           email_change_sent_at = null, phone_change_token = '', phone_change_sent_at = null, \
           reauthentication_token = '', reauthentication_sent_at = null, \
           updated_at = now() where id = $1::text::uuid",
        &[&id, &Secret(password)],
    )
    .await?;
    tx.execute(
        "delete from auth.one_time_tokens where user_id = $1::text::uuid",
        &[&id],
    )
    .await?;
    tx.execute(
        "delete from auth.sessions where user_id = $1::text::uuid \
         and ($2::text is null or id <> $2::text::uuid)",
        &[&id, &keep],
    )
    .await?;
    Ok(())
}

pub(super) use crate::services::is_uuid;

/// `validateEmail` (supabase/auth `internal/api/mail.go`): required, at most 255 characters,
/// and checkmail's `ValidateFormat`: an ASCII local part of letters, digits and
/// `.!#$%&'*+/=?^_`{|}~-`, and a domain of dot-separated labels of letters, digits and inner
/// hyphens (at most 63 each). Not trimmed; lower-cased.
pub(super) fn validate_email(email: &str) -> ApiResult<String> {
    if email.is_empty() {
        return Err(ApiError::validation("An email address is required"));
    }
    if email.len() > 255 {
        return Err(ApiError::validation("An email address is too long"));
    }
    let label = |l: &str| {
        let b = l.as_bytes();
        (1..=63).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    };
    let plausible = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c))
                && domain.split('.').all(label)
        }
        None => false,
    };
    if !plausible {
        return Err(ApiError::validation(
            "Unable to validate email address: invalid format",
        ));
    }
    Ok(email.to_lowercase())
}

/// `validatePhone` (supabase/auth `internal/api/phone.go`: `formatPhoneNumber` drops one
/// leading `+` and every space, then `^[1-9][0-9]{1,14}$`): returns the digits without `+`.
pub(super) fn validate_phone(phone: &str) -> ApiResult<String> {
    let digits: String = phone
        .strip_prefix('+')
        .unwrap_or(phone)
        .chars()
        .filter(|c| *c != ' ')
        .collect();
    let ok = (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if !ok {
        return Err(ApiError::validation(
            "Invalid phone number format (E.164 required)",
        ));
    }
    Ok(digits)
}

/// The email and phone a request gives (an empty one is none), validated.
pub(super) fn validated_contact(
    email: Option<&str>,
    phone: Option<&str>,
) -> ApiResult<(Option<String>, Option<String>)> {
    let email = email
        .filter(|e| !e.is_empty())
        .map(validate_email)
        .transpose()?;
    let phone = phone
        .filter(|p| !p.is_empty())
        .map(validate_phone)
        .transpose()?;
    Ok((email, phone))
}

/// bcrypt reads 72 bytes of a password (GoTrue's `MaxPasswordLength`); pgcrypto's `crypt`
/// would silently drop the rest.
const MAX_PASSWORD_BYTES: usize = 72;

/// `checkPasswordStrength` (internal/api/password.go) with only the length requirement (the
/// CLI's default). Go's `len` counts bytes, both ways.
pub(super) fn check_password(password: &str, min_len: usize) -> ApiResult<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::validation(format!(
            "Password cannot be longer than {MAX_PASSWORD_BYTES} characters"
        )));
    }
    if password.len() < min_len {
        return Err(ApiError::WeakPassword {
            msg: format!("Password should be at least {min_len} characters."),
            reasons: vec!["length".into()],
        });
    }
    Ok(())
}

/// `validateSignupParams`' password rules: required (400), then [`check_password`] (422).
pub(super) fn check_signup_password(password: &str, min_len: usize) -> ApiResult<()> {
    if password.is_empty() {
        return Err(ApiError::bad_request(
            "validation_failed",
            "Signup requires a valid password",
        ));
    }
    check_password(password, min_len)
}

/// `models.NewUserWithPasswordHash` for a bcrypt hash (`bcrypt.Cost` must read it: `$2a$`, `$2b$`
/// or `$2y$`, a cost of 4 to 31, 60 characters); anything else fails as GoTrue fails it, with
/// its 500 "Error creating user". GoTrue also takes argon2 and Firebase scrypt hashes; the
/// stand-in checks passwords with pgcrypto, which knows neither, so it refuses them by name.
pub(super) fn check_password_hash(hash: &str) -> ApiResult<()> {
    if hash.starts_with("$argon2") || hash.starts_with("$fbscrypt") {
        return Err(ApiError::validation(
            "the local auth stand-in takes bcrypt password hashes only (GoTrue also takes \
             argon2 and Firebase scrypt)",
        ));
    }
    let b = hash.as_bytes();
    let cost = hash.get(4..6).and_then(|c| c.parse::<u8>().ok());
    let bcrypt = b.len() == 60
        && (hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$"))
        && cost.is_some_and(|c| (4..=31).contains(&c))
        && b[6] == b'$'
        && b[7..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'/');
    if bcrypt {
        Ok(())
    } else {
        Err(ApiError::internal("Error creating user"))
    }
}

/// A user to create.
#[derive(Default)]
pub(super) struct NewUser<'a> {
    pub(super) id: Option<&'a str>,
    pub(super) email: Option<&'a str>,
    pub(super) phone: Option<&'a str>,
    pub(super) password: Option<&'a str>,
    /// A bcrypt hash to store as it is (`admin.create_user`'s `password_hash`), instead of
    /// `password`.
    pub(super) password_hash: Option<&'a str>,
    /// `email`, `phone` or `anonymous`.
    pub(super) provider: &'a str,
    /// `Signup`: the keys of `user_metadata` go into the identity's data too, where it has
    /// no key of that name (`signup.go`, `identityData[k] = v`).
    pub(super) data_in_identity: bool,
    pub(super) user_metadata: Option<Value>,
    pub(super) app_metadata: Option<Value>,
    pub(super) email_confirmed: bool,
    pub(super) phone_confirmed: bool,
    pub(super) role: Option<&'a str>,
}

/// Inserts a user and its email or phone identity; returns the id.
pub(super) async fn create(tx: &Transaction<'_>, u: NewUser<'_>) -> ApiResult<String> {
    let mut app = Map::new();
    app.insert("provider".into(), json!(u.provider));
    app.insert("providers".into(), json!([u.provider]));
    if let Some(Value::Object(extra)) = u.app_metadata {
        for (k, v) in extra {
            app.insert(k, v);
        }
    }
    let mut user_meta = match u.user_metadata {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let signup_data = u.data_in_identity.then(|| user_meta.clone());
    // `adminUserCreate` confirms with `user.Confirm`, which marks the metadata too.
    if u.email_confirmed {
        user_meta.insert("email_verified".into(), json!(true));
    }
    let user_meta = Value::Object(user_meta);
    let app = Value::Object(app).to_string();
    let user_meta = user_meta.to_string();
    let row = tx
        .query_one(
            "insert into auth.users (instance_id, id, aud, role, email, phone, encrypted_password, \
               raw_app_meta_data, raw_user_meta_data, email_confirmed_at, phone_confirmed_at, \
               is_anonymous, created_at, updated_at) \
             values ('00000000-0000-0000-0000-000000000000', coalesce($1::text::uuid, gen_random_uuid()), \
               'authenticated', coalesce($2, 'authenticated'), $3, $4, \
               case when $11::text is not null then $11 when $5::text is null then '' \
                 else extensions.crypt($5, extensions.gen_salt('bf', 10)) end, \
               $6::text::jsonb, $7::text::jsonb, case when $8 then now() end, case when $9 then now() end, \
               $10, now(), now()) \
             returning id::text",
            &[
                &u.id,
                &u.role,
                &u.email,
                &u.phone,
                &Secret(u.password),
                &app,
                &user_meta,
                &u.email_confirmed,
                &u.phone_confirmed,
                &(u.provider == "anonymous"),
                &Secret(u.password_hash),
            ],
        )
        .await
        .map_err(|e| {
            if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                ApiError::unprocessable("user_already_exists", "User already registered")
            } else {
                e.into()
            }
        })?;
    let id: String = row.get(0);
    if u.provider == "email" || u.provider == "phone" {
        let mut data = Map::new();
        data.insert("sub".into(), json!(id));
        // Each identity carries its own address (a user with both has two identities).
        if let Some(e) = u.email.filter(|_| u.provider == "email") {
            data.insert("email".into(), json!(e));
        }
        if let Some(p) = u.phone.filter(|_| u.provider == "phone") {
            data.insert("phone".into(), json!(p));
        }
        data.insert("email_verified".into(), json!(u.email_confirmed));
        data.insert("phone_verified".into(), json!(u.phone_confirmed));
        for (k, v) in signup_data.into_iter().flatten() {
            data.entry(k).or_insert(v);
        }
        tx.execute(
            "insert into auth.identities (provider_id, user_id, identity_data, provider, \
               last_sign_in_at, created_at, updated_at) \
             values ($1, $1::text::uuid, $2::text::jsonb, $3, now(), now(), now())",
            &[&id, &Value::Object(data).to_string(), &u.provider],
        )
        .await?;
    }
    Ok(id)
}

/// Creates the user's `email` or `phone` identity for `address`, or updates the existing one's
/// address and verified flag, and lists the provider in `app_metadata.providers` (the identity
/// branches of `adminUserCreate` / `adminUserUpdate` in supabase/auth `internal/api/admin.go`).
pub(super) async fn upsert_contact_identity(
    tx: &Transaction<'_>,
    id: &str,
    provider: &str,
    address: &str,
    verified: bool,
) -> ApiResult<()> {
    let verified_key = match provider {
        "email" => "email_verified",
        "phone" => "phone_verified",
        _ => return Err(ApiError::internal("not a contact identity")),
    };
    let mut data = Map::new();
    data.insert("sub".into(), json!(id));
    data.insert(provider.into(), json!(address));
    data.insert(verified_key.into(), json!(verified));
    tx.execute(
        "insert into auth.identities (provider_id, user_id, identity_data, provider, \
           last_sign_in_at, created_at, updated_at) \
         values ($1, $1::text::uuid, $2::text::jsonb, $3, now(), now(), now()) \
         on conflict (provider_id, provider) do update \
           set identity_data = auth.identities.identity_data || excluded.identity_data, updated_at = now()",
        &[&id, &Value::Object(data).to_string(), &provider],
    )
    .await?;
    add_provider(tx, id, provider).await
}

/// Marks the email confirmed (`user.Confirm`, which also sets `user_metadata.email_verified`):
/// also in the email identity's data.
pub(super) async fn confirm_email(tx: &Transaction<'_>, id: &str) -> ApiResult<()> {
    tx.execute(
        "update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), \
           confirmation_token = '', updated_at = now(), \
           raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || '{\"email_verified\": true}' \
         where id = $1::text::uuid",
        &[&id],
    )
    .await?;
    tx.execute(
        "update auth.identities set identity_data = identity_data || '{\"email_verified\": true}' \
         where user_id = $1::text::uuid and provider = 'email'",
        &[&id],
    )
    .await?;
    Ok(())
}

/// Marks the phone confirmed (`user.ConfirmPhone`).
pub(super) async fn confirm_phone(tx: &Transaction<'_>, id: &str) -> ApiResult<()> {
    tx.execute(
        "update auth.users set phone_confirmed_at = coalesce(phone_confirmed_at, now()), \
           confirmation_token = '', updated_at = now() where id = $1::text::uuid",
        &[&id],
    )
    .await?;
    tx.execute(
        "update auth.identities set identity_data = identity_data || '{\"phone_verified\": true}' \
         where user_id = $1::text::uuid and provider = 'phone'",
        &[&id],
    )
    .await?;
    Ok(())
}

/// Merges `data` into `raw_user_meta_data` (`UpdateUserMetaData`: null values delete keys).
pub(super) async fn merge_user_metadata(
    tx: &Transaction<'_>,
    id: &str,
    data: &Value,
) -> ApiResult<()> {
    merge_metadata(tx, id, "raw_user_meta_data", data).await
}

/// Merges `data` into `raw_app_meta_data`.
pub(super) async fn merge_app_metadata(
    tx: &Transaction<'_>,
    id: &str,
    data: &Value,
) -> ApiResult<()> {
    merge_metadata(tx, id, "raw_app_meta_data", data).await
}

async fn merge_metadata(
    tx: &Transaction<'_>,
    id: &str,
    column: &str,
    data: &Value,
) -> ApiResult<()> {
    let Value::Object(map) = data else {
        return Ok(());
    };
    let nulls: Vec<String> = map
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    let set: Map<String, Value> = map
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let sql = format!(
        "update auth.users set {column} = (coalesce({column}, '{{}}'::jsonb) || $2::text::jsonb) - $3::text[], \
         updated_at = now() where id = $1::text::uuid"
    );
    tx.execute(&sql, &[&id, &Value::Object(set).to_string(), &nulls])
        .await?;
    Ok(())
}

/// Adds `provider` to `app_metadata.providers` (as GoTrue does when an identity is added).
pub(super) async fn add_provider(tx: &Transaction<'_>, id: &str, provider: &str) -> ApiResult<()> {
    tx.execute(
        "update auth.users set raw_app_meta_data = jsonb_set(coalesce(raw_app_meta_data, '{}'::jsonb), \
           '{providers}', (select coalesce(jsonb_agg(distinct p), '[]'::jsonb) from ( \
              select jsonb_array_elements_text(coalesce(raw_app_meta_data->'providers', '[]'::jsonb)) p \
              union select $2) s)) \
         where id = $1::text::uuid",
        &[&id, &provider],
    )
    .await?;
    Ok(())
}

/// Whether the user has a verified MFA factor (`User.HasMFAEnabled`).
pub(super) async fn has_verified_factor(tx: &Transaction<'_>, id: &str) -> ApiResult<bool> {
    let row = tx
        .query_one(
            "select exists (select 1 from auth.mfa_factors \
             where user_id = $1::text::uuid and status = 'verified')",
            &[&id],
        )
        .await?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert_eq!(validate_email("A@Example.com").unwrap(), "a@example.com");
        assert_eq!(
            validate_email("o'neil+x@mail-1.example").unwrap(),
            "o'neil+x@mail-1.example"
        );
        for bad in [
            "nope",
            "a@b@c",
            " a@example.com",
            "a@exa_mple.com",
            "ü@example.com",
            "a@-example.com",
            "a@example-.com",
            "a@example..com",
            "a b@example.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
        assert_eq!(validate_phone("+1 555 010 2030").unwrap(), "15550102030");
        assert!(validate_phone("+1 (555) 010-2030").is_err());
        assert!(validate_phone("+0123").is_err());
        assert!(validate_phone("12ab").is_err());
        assert!(check_password("12345", 6).is_err());
        assert!(check_password("123456", 6).is_ok());
        // Bytes, as Go's `len`: three two-byte letters are six.
        assert!(check_password("ééé", 6).is_ok());
        assert!(check_password(&"a".repeat(72), 6).is_ok());
        assert!(check_password(&"a".repeat(73), 6).is_err());
        assert!(is_uuid("6a1c9a52-5c0d-4c52-9a64-0c8d2b3f4e71"));
        assert!(!is_uuid("6a1c9a52"));
    }
}
