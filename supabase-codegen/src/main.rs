//! The `supabase-codegen` command: see the crate docs for usage.
//!
//! Exit codes: 0 success; 1 `--check` found the file stale (a unified diff is printed on
//! stderr); 2 bad usage; 3 any other failure (connection, config, I/O).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use supabase_codegen::{Config, Error, Ir, check, snapshot, source};

/// Generate typed supabase-core structs from a Postgres schema or PostgREST's OpenAPI document.
#[derive(Parser)]
#[command(name = "supabase-codegen", version, about, long_about = None)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["db_url", "url", "from_snapshot"])))]
struct Cli {
    /// Postgres URL to introspect (postgres://user:password@host:port/db). TLS per libpq's
    /// `?sslmode=` (disable, allow, prefer (default), require, verify-ca, verify-full) and
    /// `&sslrootcert=<ca.pem>` (or `system`).
    #[arg(long)]
    db_url: Option<String>,
    /// Project URL whose PostgREST OpenAPI document to read (needs --key).
    #[arg(long, requires = "key")]
    url: Option<String>,
    /// API key for --url (the service_role key shows every table).
    #[arg(long)]
    key: Option<String>,
    /// Read the IR from a JSON snapshot instead of a live source.
    #[arg(long, value_name = "FILE")]
    from_snapshot: Option<PathBuf>,
    /// Schema to generate (repeatable; default: the config's, else `public`).
    #[arg(long = "schema", value_name = "NAME")]
    schemas: Vec<String>,
    /// Configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write the Rust file here (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Do not write: exit with 1 and print a diff when --out differs from what would be generated.
    #[arg(long, requires = "out")]
    check: bool,
    /// Also save the IR as JSON, for --from-snapshot.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// numeric -> Pg<rust_decimal::Decimal> (every digit).
    #[arg(long)]
    decimal: bool,
    /// uuid -> uuid::Uuid.
    #[arg(long)]
    uuid: bool,
    /// Singular struct names for tables and views (`planets` -> `Planet`); `[names]` wins.
    #[arg(long)]
    singular: bool,
    /// Dates and times -> chrono types.
    #[arg(long)]
    chrono: bool,
    /// Dates and times -> Pg<time crate types>.
    #[arg(long)]
    time: bool,
    /// No progress or warnings on stderr.
    #[arg(long, short)]
    quiet: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            to_stderr(&format!("error: {e}"));
            ExitCode::from(3)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    let mut config = match &cli.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if !cli.schemas.is_empty() {
        config.schemas = cli.schemas.clone();
    }
    config.decimal |= cli.decimal;
    config.uuid |= cli.uuid;
    config.chrono |= cli.chrono;
    config.singular |= cli.singular;
    config.time |= cli.time;
    let progress = |msg: String| {
        if !cli.quiet {
            to_stderr(&msg);
        }
    };

    let started = Instant::now();
    let ir: Ir = if let Some(db_url) = &cli.db_url {
        progress(format!("introspecting {} ...", config.schemas.join(", ")));
        source::postgres::introspect(db_url, &config.schemas).await?
    } else if let (Some(url), Some(key)) = (&cli.url, &cli.key) {
        progress(format!("reading the OpenAPI document of {url} ..."));
        source::openapi::fetch(url, key, &config.schemas).await?
    } else if let Some(path) = &cli.from_snapshot {
        // Schemas named by `--schema` or the config are the ones generated, as for a live
        // source; with neither (the config's default, `public`), every schema the snapshot
        // was taken with.
        let mut ir = snapshot::load(path)?;
        if !cli.schemas.is_empty() || config.schemas != Config::default().schemas {
            if let Some(schema) = config.schemas.iter().find(|s| !ir.schemas.contains(s)) {
                return Err(Error::MissingSchema {
                    schema: format!("{schema}` in snapshot `{}", path.display()),
                    existing: ir.schemas.join(", "),
                });
            }
            let dropped = ir.retain_schemas(&config.schemas);
            if !dropped.is_empty() {
                progress(format!(
                    "the snapshot also holds schema(s) {}, not generated",
                    dropped.join(", ")
                ));
            }
        }
        ir
    } else {
        unreachable!("clap requires one source")
    };
    progress(format!(
        "{} tables and views, {} enums, {} composite types, {} functions in {} ms",
        ir.tables.len(),
        ir.enums.len(),
        ir.composites.len(),
        ir.functions.len(),
        started.elapsed().as_millis()
    ));
    if let Some(path) = &cli.snapshot {
        snapshot::save(&ir, path)?;
        progress(format!("snapshot written to {}", path.display()));
    }

    let generated = supabase_codegen::generate_with_warnings(&ir, &config);
    for w in &generated.warnings {
        progress(format!("warning: {w}"));
    }
    match (&cli.out, cli.check) {
        (Some(path), true) => {
            let on_disk = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            match check::diff(&path.display().to_string(), &on_disk, &generated.code) {
                None => {
                    progress(format!("{} is up to date", path.display()));
                    Ok(ExitCode::SUCCESS)
                }
                Some(diff) => {
                    to_stderr(&format!(
                        "{} is stale: regenerate it with the same command without --check\n{diff}",
                        path.display()
                    ));
                    Ok(ExitCode::from(1))
                }
            }
        }
        (Some(path), false) => {
            std::fs::write(path, &generated.code).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            progress(format!(
                "wrote {} in {} ms",
                path.display(),
                started.elapsed().as_millis()
            ));
            Ok(ExitCode::SUCCESS)
        }
        (None, _) => {
            // A reader that stops early (`| head`) is not a failure of the generation.
            let _ = std::io::stdout()
                .lock()
                .write_all(generated.code.as_bytes());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A line on stderr; a closed stderr (`2>&1 | head`) must not turn the exit code into a panic's.
fn to_stderr(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
