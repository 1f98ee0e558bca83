//! [`Config`]: what to generate and how to map types, from code or a TOML file.
//!
//! ```toml
//! schemas = ["public", "myschema"]   # default: ["public"]
//! include = ["public.planets", "countries"]  # tables/views to keep (bare names: any schema)
//! exclude = ["public.secrets"]
//! derives = ["Eq"]                    # extra derives on table and composite structs
//! enum_derives = ["PartialOrd"]       # extra derives on enums
//! decimal = true                      # numeric -> Pg<rust_decimal::Decimal> (else f64)
//! uuid = true                         # uuid -> uuid::Uuid (else String)
//! chrono = true                       # timestamptz/timestamp/date/time -> chrono (else String)
//! time = false                        # ... -> Pg<time crate types> instead
//! relations = true                    # belongs_to / has_one / has_many / many_to_many
//! singular = true                     # table structs named in the singular: planets -> Planet
//! functions = true                    # Rpc args structs and impls
//! core_path = "::supabase_core"       # path of supabase-core in the generated code
//!
//! [types]                             # per Postgres type (name or schema.name)
//! jsonb = "crate::Json"
//!
//! [columns]                           # per column: schema.table.column
//! "public.users.address" = "crate::Address"
//!
//! [names]                             # Rust names of tables, views, enums, composites
//! "public.planets" = "Planet"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ir::QualifiedName;

/// Code generation settings. `Config::default()` generates everything in `public` with the
/// portable type mapping (no decimal, uuid, chrono or time crates needed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Schemas to introspect (one Rust module each).
    pub schemas: Vec<String>,
    /// Only these tables and views (`schema.name` or a bare name for any schema); empty: all.
    pub include: Vec<String>,
    /// Never these tables and views.
    pub exclude: Vec<String>,
    /// Extra derives on table structs and composite structs (`"Eq"`, `"Hash"`, `"my::Derive"`).
    pub derives: Vec<String>,
    /// Extra derives on enums.
    pub enum_derives: Vec<String>,
    /// `numeric` → `supabase_core::types::Pg<rust_decimal::Decimal>`, every digit (else `f64`:
    /// PostgREST sends a JSON number).
    pub decimal: bool,
    /// `uuid` → `uuid::Uuid` (else `String`).
    pub uuid: bool,
    /// Dates and times → chrono types (else `String`).
    pub chrono: bool,
    /// Dates and times → time crate types in `supabase_core::types::Pg` (else `String`);
    /// `chrono` wins if both are set.
    pub time: bool,
    /// Emit relation attributes.
    pub relations: bool,
    /// Name table and view structs in the singular (`planets` → `Planet`, `countries` →
    /// `Country`, `people` → `Person`) by a small English rule set (see the crate docs);
    /// `[names]` wins. Off by default: a wrong guess in generated code is worse than a plural.
    pub singular: bool,
    /// Emit RPC types for functions.
    pub functions: bool,
    /// Path of supabase-core in generated code (also given to the derive as `crate = ...`
    /// when it is not `::supabase_core`).
    pub core_path: String,
    /// Rust types per Postgres type name (`jsonb`, `public.mood`).
    pub types: BTreeMap<String, String>,
    /// Rust types per column (`schema.table.column`).
    pub columns: BTreeMap<String, String>,
    /// Rust names per table, view, enum or composite (`schema.name`).
    pub names: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            schemas: vec!["public".to_owned()],
            include: Vec::new(),
            exclude: Vec::new(),
            derives: Vec::new(),
            enum_derives: Vec::new(),
            decimal: false,
            uuid: false,
            chrono: false,
            time: false,
            relations: true,
            singular: false,
            functions: true,
            core_path: "::supabase_core".to_owned(),
            types: BTreeMap::new(),
            columns: BTreeMap::new(),
            names: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Parses a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Config> {
        Self::parse(text, "<inline>")
    }

    /// Reads a TOML configuration file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    fn parse(text: &str, path: &str) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Checks that every Rust path in the config parses.
    pub fn validate(&self, path: &str) -> Result<()> {
        let bad = |what: &str, value: &str, message: String| Error::Config {
            path: path.to_owned(),
            message: format!("{what} `{value}`: {message}"),
        };
        for (key, ty) in self.types.iter().chain(&self.columns) {
            syn::parse_str::<syn::Type>(ty).map_err(|e| {
                bad(
                    "type override",
                    key,
                    format!("`{ty}` is not a Rust type: {e}"),
                )
            })?;
        }
        for d in self.derives.iter().chain(&self.enum_derives) {
            syn::parse_str::<syn::Path>(d)
                .map_err(|e| bad("derive", d, format!("not a path: {e}")))?;
        }
        for (key, name) in &self.names {
            syn::parse_str::<syn::Ident>(name).map_err(|e| {
                bad(
                    "name",
                    key,
                    format!("`{name}` is not a Rust identifier: {e}"),
                )
            })?;
        }
        syn::parse_str::<syn::Path>(&self.core_path)
            .map_err(|e| bad("core_path", &self.core_path, format!("not a path: {e}")))?;
        if self.schemas.is_empty() {
            return Err(bad(
                "schemas",
                "[]",
                "at least one schema is needed".to_owned(),
            ));
        }
        Ok(())
    }

    /// Whether a table or view is generated.
    pub fn wants_table(&self, name: &QualifiedName) -> bool {
        let matches = |pattern: &String| {
            pattern == &name.name || *pattern == format!("{}.{}", name.schema, name.name)
        };
        (self.include.is_empty() || self.include.iter().any(matches))
            && !self.exclude.iter().any(matches)
    }
}
