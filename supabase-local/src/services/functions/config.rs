//! [`FunctionsConfig`] (what a stack serves at `/functions/v1`) and [`FunctionsMode`] (how).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use axum::Router;
use axum::handler::Handler;

/// How edge functions are configured: JWT verification per function, in-process Rust handlers,
/// secrets, and whether to run Deno. Pass it to
/// [`StackBuilder::functions`](crate::StackBuilder::functions).
///
/// ```
/// use axum::Json;
/// use supabase_local::FunctionsConfig;
///
/// let config = FunctionsConfig::new()
///     // like `[functions.stripe-webhook] verify_jwt = false` in config.toml
///     .verify_jwt("stripe-webhook", false)
///     // an in-process function, served at /functions/v1/hello
///     .handler("hello", || async { Json(serde_json::json!({ "message": "Hello!" })) })
///     // an environment variable of the Deno functions (`supabase secrets set`)
///     .secret("STRIPE_KEY", "sk_test_123");
/// # let _ = config;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct FunctionsConfig {
    pub(crate) verify_jwt: BTreeMap<String, bool>,
    pub(crate) handlers: BTreeMap<String, Router>,
    pub(crate) secrets: BTreeMap<String, String>,
    pub(crate) deno: DenoSetting,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum DenoSetting {
    /// Provision Deno when the project has functions; fall back to Rust handlers only.
    #[default]
    Auto,
    /// Never run Deno.
    Disabled,
}

impl FunctionsConfig {
    /// The defaults: every function verifies the caller's JWT, Deno runs the project's functions
    /// when it can be provisioned.
    pub fn new() -> Self {
        FunctionsConfig::default()
    }

    /// Whether `/functions/v1/<name>` requires a valid JWT in `Authorization`. Default: the
    /// project's `supabase/config.toml` (`[functions.<name>] verify_jwt = false`), else true.
    /// This setting wins over `config.toml`.
    pub fn verify_jwt(mut self, name: impl Into<String>, verify: bool) -> Self {
        self.verify_jwt.insert(name.into(), verify);
        self
    }

    /// Serves `/functions/v1/<name>` (and every path under it) with an axum handler, in
    /// process. The handler sees the request as a Deno function would: the path starts with
    /// `/<name>`, and method, headers, query and body are the caller's. It works with or without
    /// Deno, and wins over a Deno function of the same name.
    pub fn handler<H, T>(mut self, name: impl Into<String>, handler: H) -> Self
    where
        H: Handler<T, ()>,
        T: 'static,
    {
        self.handlers
            .insert(name.into(), Router::new().fallback(handler));
        self
    }

    /// An environment variable of the Deno functions, like `supabase secrets set NAME=value`
    /// (next to `SUPABASE_URL`, `SUPABASE_ANON_KEY`, `SUPABASE_SERVICE_ROLE_KEY` and
    /// `SUPABASE_DB_URL`, which every function gets). It wins over the same name in the
    /// project's `supabase/functions/.env`, which is read too. Names starting with `SUPABASE_`
    /// are skipped with a warning, as the CLI does. Values never appear in `Debug`.
    pub fn secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.insert(name.into(), value.into());
        self
    }

    /// Never runs Deno: only the [`handler`](Self::handler)s are served.
    pub fn disable_deno(mut self) -> Self {
        self.deno = DenoSetting::Disabled;
        self
    }
}

impl fmt::Debug for FunctionsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionsConfig")
            .field("verify_jwt", &self.verify_jwt)
            .field("handlers", &self.handlers.keys().collect::<Vec<_>>())
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("deno", &self.deno)
            .finish()
    }
}

/// How a stack runs edge functions ([`Stack::functions_mode`](crate::Stack::functions_mode)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FunctionsMode {
    /// The project's `supabase/functions/<name>/index.ts` run in Deno (one worker process per
    /// function, started on its first call and kept); registered handlers run in process.
    Deno {
        /// The binary.
        binary: PathBuf,
        /// Its `--version` line, e.g. `deno 2.9.6 (stable, release, x86_64-unknown-linux-gnu)`.
        version: String,
    },
    /// Only the registered Rust handlers are served.
    RustHandlers {
        /// Why Deno is not used (disabled, no functions in the project, not provisionable).
        reason: String,
    },
}
