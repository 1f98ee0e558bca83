//! [`StackError`]: everything that can go wrong while starting or using a stack.

use std::path::PathBuf;

/// A boxed error from a dependency (Postgres driver, HTTP client, JWT signer), kept as a
/// `source` so those crates stay out of this crate's public API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error from `supabase-local`. Each variant carries what you need to act on it
/// (the path, the binary, the port, the tail of the server's log).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    /// No usable PostgreSQL server binaries (`postgres` + `initdb`).
    #[error(
        "PostgreSQL server binaries (postgres, initdb) not found. Looked at:\n{}\n\
         Install them (Debian/Ubuntu: `apt-get install postgresql-15`) or set \
         SUPABASE_LOCAL_PG_BIN to the directory that holds them.",
        bullet_list(searched)
    )]
    PostgresNotFound {
        /// Every place looked at, with what was found there.
        searched: Vec<String>,
    },

    /// No usable PostgREST binary, and it could not be provisioned.
    #[error(
        "PostgREST {version} not found and could not be provisioned. Looked at:\n{}\n\
         Install Node.js + npm so it can be fetched automatically (`cargo xtask setup`), or download \
         PostgREST {version} from https://github.com/PostgREST/postgrest/releases and set \
         SUPABASE_LOCAL_POSTGREST=/path/to/postgrest (or put `postgrest` on PATH).",
        bullet_list(searched)
    )]
    PostgrestNotFound {
        /// The PostgREST version looked for.
        version: &'static str,
        /// Every place looked at, with what was found there.
        searched: Vec<String>,
    },

    /// A file-system or process operation failed.
    #[error("{context} ({}): {source}", path.display())]
    Io {
        /// What was being done.
        context: String,
        /// The file, directory or program involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A helper command (initdb, npm, tar, cp, ...) failed.
    #[error("`{}` failed ({status}):\n{output}", binary.display())]
    Command {
        /// The program that was run.
        binary: PathBuf,
        /// Its exit status, as text.
        status: String,
        /// The tail of its output.
        output: String,
    },

    /// A server process exited while starting.
    #[error("{service} exited during start-up ({status}); log {}:\n{log_tail}", log.display())]
    Exited {
        /// `postgres` or `postgrest`.
        service: &'static str,
        /// Its exit status, as text.
        status: String,
        /// The log file of the process.
        log: PathBuf,
        /// The last lines of that log.
        log_tail: String,
    },

    /// A server did not become ready in time.
    #[error("{service} was not ready on port {port} after {waited_secs}s; log {}:\n{log_tail}", log.display())]
    StartTimeout {
        /// `postgres` or `postgrest`.
        service: &'static str,
        /// The port it should listen on.
        port: u16,
        /// How long we waited.
        waited_secs: u64,
        /// The log file of the process.
        log: PathBuf,
        /// The last lines of that log.
        log_tail: String,
    },

    /// A port asked for explicitly is not free, or no free port was found.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Port {
        /// The port (0 when no free port was found in the whole range).
        port: u16,
        /// Why binding failed.
        #[source]
        source: std::io::Error,
    },

    /// A migration or seed file failed.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Migration {
        /// The SQL file.
        path: PathBuf,
        /// 1-based line of the error, when Postgres reported a position.
        line: Option<usize>,
        /// Postgres's message (with SQLSTATE, detail and hint when present).
        message: String,
    },

    /// A schema to expose through PostgREST does not exist.
    #[error(
        "schema `{schema}` is listed in the exposed schemas but does not exist after migrations"
    )]
    MissingSchema {
        /// The missing schema.
        schema: String,
    },

    /// An invalid builder setting.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// Talking to Postgres failed.
    #[error("database error while {context}: {source}")]
    Database {
        /// What was being done.
        context: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },

    /// Minting a JWT failed.
    #[error("could not sign JWT: {source}")]
    Jwt {
        /// The signer's error.
        #[source]
        source: BoxError,
    },

    /// An HTTP request to a local server failed.
    #[error("HTTP request to {url} failed: {source}")]
    Http {
        /// The URL requested.
        url: String,
        /// The client's error.
        #[source]
        source: BoxError,
    },

    /// The stack's background runtime is gone (the stack was stopped).
    #[error("the stack's background runtime has stopped")]
    Stopped,
}

impl StackError {
    pub(crate) fn io(
        context: impl Into<String>,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            context: context.into(),
            path: path.into(),
            source,
        }
    }

    pub(crate) fn db(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Database {
            context: context.into(),
            source: source.into(),
        }
    }
}

fn bullet_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("  - {s}"))
        .collect::<Vec<_>>()
        .join("\n")
}
