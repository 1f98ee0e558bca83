//! The start-up sequence: binaries → template → Postgres → migrations + seed → PostgREST → gateway.
//! Runs on the stack runtime. Every early return drops what was started so far, which stops it.

use std::path::PathBuf;

use crate::error::StackError;
use crate::gateway::{self, ApiKeys, Services};
use crate::process::Supervised;
use crate::{keys, migrate, pg, postgrest, services, sys};

/// Schemas exposed by default (Supabase's `api.schemas`), minus those that do not exist.
const DEFAULT_SCHEMAS: [&str; 2] = ["public", "graphql_public"];

/// A builder's settings with file paths resolved. No `Debug`: it holds the JWT secret.
pub(crate) struct Plan {
    pub(crate) sql_files: Vec<PathBuf>,
    pub(crate) project_dir: Option<PathBuf>,
    pub(crate) jwt_secret: String,
    /// The secret plus the asymmetric signing key, when one was asked for.
    pub(crate) keys: services::JwtKeys,
    pub(crate) gateway_port: Option<u16>,
    pub(crate) db_port: Option<u16>,
    pub(crate) schemas: Option<Vec<String>>,
    pub(crate) extra_schemas: Vec<String>,
    pub(crate) explain: bool,
    pub(crate) allow_rollback: bool,
    pub(crate) max_rows: Option<u64>,
    pub(crate) cache_dir: PathBuf,
    pub(crate) services: Services,
    pub(crate) auth: services::auth::AuthConfig,
    pub(crate) mailbox: services::auth::Mailbox,
}

/// What a started stack is made of. `Debug` leaves the API keys out.
pub(crate) struct Started {
    pub(crate) anon_key: String,
    pub(crate) service_role_key: String,
    pub(crate) gateway_port: u16,
    pub(crate) db_port: u16,
    pub(crate) postgrest_port: u16,
    pub(crate) postgrest_admin_port: u16,
    pub(crate) schemas: Vec<String>,
    pub(crate) postgrest_log: PathBuf,
    // Field order = drop order: PostgREST before Postgres, then the directory.
    pub(crate) postgrest: Supervised,
    pub(crate) postgres: Supervised,
    pub(crate) dir: tempfile::TempDir,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started")
            .field("anon_key", &"[redacted]")
            .field("service_role_key", &"[redacted]")
            .field("gateway_port", &self.gateway_port)
            .field("db_port", &self.db_port)
            .field("postgrest_port", &self.postgrest_port)
            .field("postgrest_admin_port", &self.postgrest_admin_port)
            .field("schemas", &self.schemas)
            .field("postgrest_log", &self.postgrest_log)
            .field("postgrest", &self.postgrest)
            .field("postgres", &self.postgres)
            .field("dir", &self.dir)
            .finish()
    }
}

fn join_err(_: tokio::task::JoinError) -> StackError {
    StackError::Stopped
}

pub(crate) async fn start(plan: Plan) -> Result<Started, StackError> {
    if plan.jwt_secret.len() < 32 {
        return Err(StackError::Config(
            "the JWT secret must be at least 32 characters long (PostgREST requires it)".into(),
        ));
    }
    let anon_key = keys::api_key(&plan.jwt_secret, "anon")?;
    let service_role_key = keys::api_key(&plan.jwt_secret, "service_role")?;
    let user = sys::postgres_user()?;
    // Reserve the gateway's port first: a busy explicit port fails before anything starts.
    let listener = sys::bind_port(plan.gateway_port)?;

    let cache = plan.cache_dir.clone();
    let provisioning = tokio::task::spawn_blocking(move || postgrest::provision_postgrest(&cache));
    let pg_bin = tokio::task::spawn_blocking(pg::find_pg_binaries)
        .await
        .map_err(join_err)??;
    let template = pg::ensure_template(&pg_bin, &plan.cache_dir, user).await?;
    let postgrest_bin = provisioning.await.map_err(join_err)??;

    let dir = tempfile::Builder::new()
        .prefix("supabase-local-")
        .tempdir_in(sys::scratch_dir())
        .map_err(|e| StackError::io("creating the stack directory", sys::scratch_dir(), e))?;
    sys::chown(dir.path(), user)?;
    let data = dir.path().join("data");
    let (from, to) = (template.clone(), data.clone());
    tokio::task::spawn_blocking(move || sys::copy_tree(&from, &to))
        .await
        .map_err(join_err)??;

    let postgres = pg::start(
        &pg_bin,
        &data,
        dir.path(),
        plan.db_port,
        user,
        Some(dir.path()),
    )
    .await?;
    let client = pg::connect(&postgres.conn_str(pg::SUPERUSER, pg::PASSWORD)).await?;
    services::prepare_db(&client).await?;
    migrate::apply(&client, &plan.sql_files).await?;
    let schemas = resolve_schemas(&client, plan.schemas, plan.extra_schemas).await?;
    drop(client);

    let http = reqwest::Client::builder()
        .no_proxy()
        // Warp (PostgREST's server) drops idle connections after 30 s; never reuse one near that.
        .pool_idle_timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| StackError::Http {
            url: "(client)".into(),
            source: e.into(),
        })?;
    let rest = postgrest::start(
        &postgrest::Config {
            binary: &postgrest_bin,
            db_port: postgres.port,
            schemas: &schemas,
            jwt_secret: &plan.keys.postgrest_secret(),
            explain: plan.explain,
            allow_rollback: plan.allow_rollback,
            max_rows: plan.max_rows,
            dir: dir.path(),
        },
        &http,
    )
    .await?;

    let gateway_port = listener
        .local_addr()
        .map_err(|source| StackError::Port { port: 0, source })?
        .port();
    listener
        .set_nonblocking(true)
        .map_err(|source| StackError::Port {
            port: gateway_port,
            source,
        })?;
    let listener =
        tokio::net::TcpListener::from_std(listener).map_err(|source| StackError::Port {
            port: gateway_port,
            source,
        })?;
    let services_dir = dir.path().join("services");
    std::fs::create_dir_all(&services_dir)
        .map_err(|e| StackError::io("creating the services directory", &services_dir, e))?;
    let env = services::ServiceEnv {
        jwt_secret: plan.keys.clone(),
        anon_key: anon_key.as_str().into(),
        service_role_key: service_role_key.as_str().into(),
        public_url: format!("http://127.0.0.1:{gateway_port}").into(),
        data_dir: services_dir,
        project_dir: plan.project_dir.clone(),
        db: services::Db::new(&postgres.conn_str(pg::SUPERUSER, pg::PASSWORD))?,
        auth: plan.auth.clone(),
        mailbox: plan.mailbox.clone(),
    };
    let app = gateway::router(
        ApiKeys {
            anon: anon_key.clone(),
            service_role: service_role_key.clone(),
        },
        format!("http://127.0.0.1:{}", rest.port),
        http,
        services::with_defaults(plan.services, &env),
    );
    // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to small responses.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {e}");
        }
    });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("gateway stopped: {e}");
        }
    });

    Ok(Started {
        anon_key,
        service_role_key,
        gateway_port,
        db_port: postgres.port,
        postgrest_port: rest.port,
        postgrest_admin_port: rest.admin_port,
        schemas,
        postgrest_log: rest.process.log().to_owned(),
        postgrest: rest.process,
        postgres: postgres.process,
        dir,
    })
}

async fn resolve_schemas(
    client: &tokio_postgres::Client,
    explicit: Option<Vec<String>>,
    extra: Vec<String>,
) -> Result<Vec<String>, StackError> {
    let rows = client
        .query("select nspname from pg_namespace", &[])
        .await
        .map_err(|e| StackError::db("listing schemas", e))?;
    let existing: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let exists = |s: &String| existing.contains(s);
    let required: Vec<String> = explicit
        .clone()
        .unwrap_or_default()
        .into_iter()
        .chain(extra.iter().cloned())
        .collect();
    if let Some(missing) = required.iter().find(|s| !exists(s)) {
        return Err(StackError::MissingSchema {
            schema: missing.clone(),
        });
    }
    let base = explicit.unwrap_or_else(|| {
        DEFAULT_SCHEMAS
            .iter()
            .map(|s| (*s).to_owned())
            .filter(|s| exists(s))
            .collect()
    });
    let mut schemas = Vec::new();
    for s in base.into_iter().chain(extra) {
        if !schemas.contains(&s) {
            schemas.push(s);
        }
    }
    if schemas.is_empty() {
        return Err(StackError::Config(
            "no schema to expose through PostgREST".into(),
        ));
    }
    Ok(schemas)
}
