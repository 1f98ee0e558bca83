//! [`Stack`] and [`StackBuilder`]: the public face of the crate.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::StackError;
use crate::gateway::Services;
use crate::runtime::Background;
use crate::services::JwtKeys;
use crate::services::auth::{AuthConfig, Mailbox};
use crate::services::functions::{self, FunctionsConfig, FunctionsMode};
use crate::signing::JwtAlgorithm;
use crate::start::{self, Plan, Started};
use crate::{keys, migrate, pg, postgrest, sys};

/// The ports a stack listens on (all on 127.0.0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ports {
    /// The gateway ([`Stack::url`]).
    pub gateway: u16,
    /// Postgres ([`Stack::db_url`]).
    pub db: u16,
    /// PostgREST ([`Stack::postgrest_url`]).
    pub postgrest: u16,
    /// PostgREST's admin server (`/live`, `/ready`).
    pub postgrest_admin: u16,
}

/// Supabase's default `max_rows` (API settings of a new project, `[api] max_rows` locally).
const DEFAULT_MAX_ROWS: u64 = 1000;

/// Configures and starts a [`Stack`]. Get one with [`Stack::builder`]. `Debug` hides the JWT
/// secret.
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until `.start().await`"]
pub struct StackBuilder {
    project_dir: Option<PathBuf>,
    migrations_dir: Option<PathBuf>,
    seed_file: Option<PathBuf>,
    jwt_secret: Option<String>,
    jwt_algorithm: JwtAlgorithm,
    gateway_port: Option<u16>,
    db_port: Option<u16>,
    schemas: Option<Vec<String>>,
    extra_schemas: Vec<String>,
    explain: bool,
    allow_rollback: bool,
    /// `None`: not set, so Supabase's default of 1000.
    max_rows: Option<Option<u64>>,
    cache_dir: Option<PathBuf>,
    services: Services,
    functions: FunctionsConfig,
    auth: AuthConfig,
}

impl std::fmt::Debug for StackBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackBuilder")
            .field("project_dir", &self.project_dir)
            .field("migrations_dir", &self.migrations_dir)
            .field("seed_file", &self.seed_file)
            .field(
                "jwt_secret",
                &self.jwt_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("gateway_port", &self.gateway_port)
            .field("db_port", &self.db_port)
            .field("schemas", &self.schemas)
            .field("extra_schemas", &self.extra_schemas)
            .field("explain", &self.explain)
            .field("allow_rollback", &self.allow_rollback)
            .field("max_rows", &self.max_rows)
            .field("cache_dir", &self.cache_dir)
            .field("services", &self.services)
            .field("functions", &self.functions)
            .field("auth", &self.auth)
            .finish()
    }
}

impl StackBuilder {
    /// A Supabase project directory: applies `<dir>/supabase/migrations/*.sql` (sorted by file
    /// name), then `<dir>/supabase/seed.sql` if present.
    pub fn project_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.project_dir = Some(dir.into());
        self
    }

    /// Migrations directory (`*.sql`, applied sorted by file name); overrides the project's.
    pub fn migrations_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.migrations_dir = Some(dir.into());
        self
    }

    /// Seed file applied after the migrations; overrides the project's.
    pub fn seed_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.seed_file = Some(file.into());
        self
    }

    /// JWT secret (at least 32 characters). Default: [`DEFAULT_JWT_SECRET`](crate::DEFAULT_JWT_SECRET).
    pub fn jwt_secret(mut self, secret: impl Into<String>) -> Self {
        self.jwt_secret = Some(secret.into());
        self
    }

    /// How the auth server signs access tokens. Default: [`JwtAlgorithm::Hs256`] with the JWT
    /// secret. With `Rs256` or `Es256` a key pair is generated at start (as GoTrue's
    /// `GOTRUE_JWT_KEYS` signing key): tokens carry its `kid`, `/auth/v1/.well-known/jwks.json`
    /// publishes its public half, and PostgREST and the other services accept both those tokens
    /// and HS256 ones (the API keys stay HS256, as on Supabase).
    pub fn jwt_algorithm(mut self, algorithm: JwtAlgorithm) -> Self {
        self.jwt_algorithm = algorithm;
        self
    }

    /// Gateway port. Default: a free port below 32768.
    pub fn gateway_port(mut self, port: u16) -> Self {
        self.gateway_port = Some(port);
        self
    }

    /// Postgres port. Default: a free port below 32768.
    pub fn db_port(mut self, port: u16) -> Self {
        self.db_port = Some(port);
        self
    }

    /// Exposes one more schema through PostgREST (it must exist after the migrations).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.extra_schemas.push(schema.into());
        self
    }

    /// Replaces the exposed schemas (default: `public` and `graphql_public`, those that exist).
    /// The first is PostgREST's default schema.
    pub fn schemas<I, S>(mut self, schemas: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.schemas = Some(schemas.into_iter().map(Into::into).collect());
        self
    }

    /// Enables PostgREST's `EXPLAIN` output (`db-plan-enabled`); off by default, as on Supabase.
    pub fn explain(mut self, enabled: bool) -> Self {
        self.explain = enabled;
        self
    }

    /// Lets a request ask PostgREST to roll its transaction back (`Prefer: tx=rollback`, the
    /// client's `rollback()`): `db-tx-end = commit-allow-override`. Off by default, as on
    /// Supabase, where PostgREST commits and ignores the preference.
    pub fn allow_rollback(mut self, allowed: bool) -> Self {
        self.allow_rollback = allowed;
        self
    }

    /// The most rows one PostgREST response returns (`db-max-rows`): 1000 by default, as in a
    /// new Supabase project's API settings; `None` for no limit.
    pub fn max_rows(mut self, max_rows: Option<u64>) -> Self {
        self.max_rows = Some(max_rows);
        self
    }

    /// Cache directory for PostgREST and the template cluster. Default: [`default_cache_dir`](crate::default_cache_dir).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Routers for the other services behind the gateway.
    pub fn services(mut self, services: Services) -> Self {
        self.services = services;
        self
    }

    /// Edge functions: JWT verification per function, in-process Rust handlers, secrets, and
    /// whether Deno runs the project's `supabase/functions/<name>/index.ts` (see
    /// [`FunctionsConfig`]). Ignored when [`services`](Self::services) brings its own
    /// functions router.
    pub fn functions(mut self, config: FunctionsConfig) -> Self {
        self.functions = config;
        self
    }

    /// Settings of the built-in auth server (`/auth/v1`): token lifetime, confirmations, ...
    pub fn auth_config(mut self, config: AuthConfig) -> Self {
        self.auth = config;
        self
    }

    /// Lifetime of the access tokens the auth server mints (default: one hour). Short lifetimes
    /// let tests exercise refreshing.
    pub fn auth_jwt_expiry(mut self, expiry: Duration) -> Self {
        self.auth.jwt_expiry = expiry;
        self
    }

    /// Whether email and phone signups must be confirmed (with the code or link recorded in
    /// [`Stack::mailbox`]) before signing in. Default: `false`, as `supabase start`.
    pub fn auth_confirmations(mut self, required: bool) -> Self {
        self.auth.email_confirmations = required;
        self.auth.phone_confirmations = required;
        self
    }

    /// Starts Postgres, applies the project's SQL, starts PostgREST and the gateway.
    /// On failure nothing is left running.
    pub async fn start(self) -> Result<Stack, StackError> {
        let jwt_secret = self
            .jwt_secret
            .clone()
            .unwrap_or_else(|| keys::DEFAULT_JWT_SECRET.to_owned());
        let cache_dir = self
            .cache_dir
            .clone()
            .unwrap_or_else(postgrest::default_cache_dir);
        let (secret, alg) = (jwt_secret.clone(), self.jwt_algorithm);
        // Generating an RSA key takes a moment: off the async threads.
        let keys = tokio::task::spawn_blocking(move || JwtKeys::generate(&secret, alg))
            .await
            .map_err(|_| StackError::Stopped)??;
        let functions = {
            let (config, project, cache, keys) = (
                self.functions.clone(),
                self.project_dir.clone(),
                cache_dir.clone(),
                keys.clone(),
            );
            tokio::task::spawn_blocking(move || {
                functions::Runtime::prepare(config, project.as_deref(), &cache, &keys)
            })
            .await
            .map_err(|_| StackError::Stopped)??
        };
        let mut services = self.services.clone();
        if services.functions.is_none() {
            services.functions = Some(functions.router());
        }
        let mailbox = Mailbox::default();
        let plan = Plan {
            sql_files: self.sql_files()?,
            project_dir: self.project_dir.clone(),
            jwt_secret: jwt_secret.clone(),
            keys: keys.clone(),
            gateway_port: self.gateway_port,
            db_port: self.db_port,
            schemas: self.schemas,
            extra_schemas: self.extra_schemas,
            explain: self.explain,
            allow_rollback: self.allow_rollback,
            max_rows: self.max_rows.unwrap_or(Some(DEFAULT_MAX_ROWS)),
            cache_dir,
            services,
            auth: self.auth,
            mailbox: mailbox.clone(),
        };
        let background = Background::spawn()?;
        let started = background.run(start::start(plan)).await??;
        let stack = Stack {
            jwt_secret,
            keys,
            mailbox,
            started,
            background,
            functions,
        };
        stack.functions.bind(functions::Bound {
            public_url: stack.url(),
            anon_key: stack.anon_key().to_owned(),
            service_role_key: stack.service_role_key().to_owned(),
            db_url: stack.db_url(),
            dir: stack.dir().to_owned(),
        })?;
        Ok(stack)
    }

    fn sql_files(&self) -> Result<Vec<PathBuf>, StackError> {
        let project = self.project_dir.as_ref().map(|p| p.join("supabase"));
        if let Some(dir) = &self.project_dir
            && !dir.is_dir()
        {
            return Err(StackError::io(
                "reading project directory",
                dir,
                std::io::ErrorKind::NotFound.into(),
            ));
        }
        let mut files = match (&self.migrations_dir, &project) {
            (Some(dir), _) => migrate::list_migrations(dir)?,
            (None, Some(p)) if p.join("migrations").is_dir() => {
                migrate::list_migrations(&p.join("migrations"))?
            }
            _ => Vec::new(),
        };
        match (&self.seed_file, &project) {
            (Some(seed), _) if !seed.is_file() => {
                return Err(StackError::io(
                    "reading seed file",
                    seed,
                    std::io::ErrorKind::NotFound.into(),
                ));
            }
            (Some(seed), _) => files.push(seed.clone()),
            (None, Some(p)) if p.join("seed.sql").is_file() => files.push(p.join("seed.sql")),
            _ => {}
        }
        Ok(files)
    }
}

/// A running local Supabase: Postgres, PostgREST and the gateway. Dropping it stops everything
/// (and if the process dies without dropping it, the servers' watchdogs stop them). `Debug`
/// shows neither the JWT secret nor the API keys.
pub struct Stack {
    jwt_secret: String,
    keys: JwtKeys,
    mailbox: Mailbox,
    // Drop order: the gateway's runtime first (in `Drop`), then the servers.
    started: Started,
    background: Background,
    functions: Arc<functions::Runtime>,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("url", &self.url())
            .field("jwt_secret", &"[redacted]")
            // The mailbox holds one-time codes and links: only their number.
            .field(
                "mailbox",
                &format_args!("{} message(s)", self.mailbox.all().len()),
            )
            .field("started", &self.started)
            .field("background", &self.background)
            .field("functions", &self.functions)
            .finish()
    }
}

impl Stack {
    /// A builder with every option at its default.
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    /// Starts a stack with the defaults (no project SQL).
    pub async fn start() -> Result<Self, StackError> {
        Self::builder().start().await
    }

    /// The gateway's base URL, e.g. `http://127.0.0.1:23456` (REST is under `/rest/v1`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.started.gateway_port)
    }

    /// The `anon` API key (a JWT with `role: anon`).
    pub fn anon_key(&self) -> &str {
        &self.started.anon_key
    }

    /// The `service_role` API key (a JWT with `role: service_role`; bypasses RLS).
    pub fn service_role_key(&self) -> &str {
        &self.started.service_role_key
    }

    /// How edge functions run: Deno workers for the project's functions, or only the registered
    /// Rust handlers (and why).
    pub fn functions_mode(&self) -> &FunctionsMode {
        self.functions.mode()
    }

    /// The JWT secret PostgREST verifies tokens with.
    pub fn jwt_secret(&self) -> &str {
        &self.jwt_secret
    }

    /// The superuser connection URL, `postgresql://postgres:postgres@127.0.0.1:PORT/postgres`.
    pub fn db_url(&self) -> String {
        format!(
            "postgresql://{}:{}@127.0.0.1:{}/postgres",
            pg::SUPERUSER,
            pg::PASSWORD,
            self.started.db_port
        )
    }

    /// PostgREST's own URL (bypassing the gateway).
    pub fn postgrest_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.started.postgrest_port)
    }

    /// The schemas PostgREST exposes; the first is the default.
    pub fn schemas(&self) -> &[String] {
        &self.started.schemas
    }

    /// The ports the stack listens on.
    pub fn ports(&self) -> Ports {
        Ports {
            gateway: self.started.gateway_port,
            db: self.started.db_port,
            postgrest: self.started.postgrest_port,
            postgrest_admin: self.started.postgrest_admin_port,
        }
    }

    /// Process ids of the servers and their watchdogs (for diagnostics and leak checks).
    pub fn pids(&self) -> Vec<u32> {
        let (rest, db) = (&self.started.postgrest, &self.started.postgres);
        [
            Some(db.pid()),
            db.watchdog_pid(),
            Some(rest.pid()),
            rest.watchdog_pid(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The directory holding the cluster and the servers' logs (`postgres.log`, `postgrest.log`).
    pub fn dir(&self) -> &Path {
        self.started.dir.path()
    }

    /// The emails and SMS the auth server has "sent" (OTP codes, magic links, confirmations,
    /// invites, recoveries), for tests to read: `stack.mailbox().latest_otp("a@example.com")`.
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    /// How the auth server signs access tokens ([`StackBuilder::jwt_algorithm`]).
    pub fn jwt_algorithm(&self) -> JwtAlgorithm {
        self.keys.algorithm()
    }

    /// The project's JWKS as `/auth/v1/.well-known/jwks.json` serves it: the public signing key
    /// for RS256/ES256, `{"keys": []}` for HS256.
    pub fn jwks(&self) -> serde_json::Value {
        self.keys.jwks()
    }

    /// Signs `claims` as the auth server signs access tokens: with the signing key (and its
    /// `kid`) for RS256/ES256, else HS256 with the secret.
    pub fn sign_access_token<T: Serialize + ?Sized>(
        &self,
        claims: &T,
    ) -> Result<String, StackError> {
        self.keys.sign(claims)
    }

    /// Signs `claims` with this stack's JWT secret (see [`mint_jwt`](crate::mint_jwt)).
    pub fn mint_jwt<T: Serialize + ?Sized>(&self, claims: &T) -> Result<String, StackError> {
        keys::mint_jwt(&self.jwt_secret, claims)
    }

    /// Runs `sql` (one or more statements) as the superuser.
    pub async fn execute_sql(&self, sql: &str) -> Result<(), StackError> {
        let (conn, sql) = (self.superuser_conn(), sql.to_owned());
        self.background
            .run(async move {
                let client = pg::connect(&conn).await?;
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|e| StackError::db(migrate::describe(&e), e))
            })
            .await?
    }

    /// Runs a query as the superuser and returns its rows as a JSON array of objects.
    pub async fn query_json(&self, sql: &str) -> Result<serde_json::Value, StackError> {
        let conn = self.superuser_conn();
        let wrapped = format!("select coalesce(json_agg(q), '[]'::json)::text from ({sql}) q");
        let text: String = self
            .background
            .run(async move {
                let client = pg::connect(&conn).await?;
                let row = client
                    .query_one(&wrapped, &[])
                    .await
                    .map_err(|e| StackError::db(migrate::describe(&e), e))?;
                Ok::<_, StackError>(row.get(0))
            })
            .await??;
        serde_json::from_str(&text).map_err(|e| StackError::db("decoding query result", e))
    }

    /// Makes PostgREST reload its schema cache (`NOTIFY pgrst, 'reload schema'`) and waits until it has.
    /// DDL already triggers a reload; call this to wait for it before using new tables or functions.
    pub async fn reload_schema(&self) -> Result<(), StackError> {
        let (log, conn, port) = (
            self.started.postgrest_log.clone(),
            self.superuser_conn(),
            self.started.postgrest_port,
        );
        self.background
            .run(async move {
                let before = postgrest::schema_loads(&log);
                let client = pg::connect(&conn).await?;
                client
                    .batch_execute("NOTIFY pgrst, 'reload schema'")
                    .await
                    .map_err(|e| StackError::db("notifying PostgREST", e))?;
                let (started, timeout) = (Instant::now(), Duration::from_secs(20));
                while postgrest::schema_loads(&log) <= before {
                    if started.elapsed() > timeout {
                        let log_tail = sys::tail_file(&log, 30);
                        return Err(StackError::StartTimeout {
                            service: "postgrest",
                            port,
                            waited_secs: timeout.as_secs(),
                            log,
                            log_tail,
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Ok(())
            })
            .await?
    }

    fn superuser_conn(&self) -> String {
        pg::conn_str(self.started.db_port, pg::SUPERUSER, pg::PASSWORD)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.background.shutdown();
        self.functions.shutdown();
        self.started.postgrest.stop();
        self.started.postgres.stop();
    }
}
