//! Names of the `#[supabase(...)]` keys.

pub(crate) const SUPABASE: &str = "supabase";
pub(crate) const SERDE: &str = "serde";

pub(crate) const TABLE: &str = "table";
pub(crate) const SCHEMA: &str = "schema";
pub(crate) const READ_ONLY: &str = "read_only";
pub(crate) const CRATE: &str = "crate";

pub(crate) const RENAME: &str = "rename";
pub(crate) const PRIMARY_KEY: &str = "primary_key";
pub(crate) const DEFAULT: &str = "default";
pub(crate) const GENERATED: &str = "generated";
pub(crate) const SKIP: &str = "skip";

pub(crate) const CONTAINER_KEYS: &[&str] = &[TABLE, SCHEMA, READ_ONLY, CRATE];
pub(crate) const FIELD_KEYS: &[&str] = &[RENAME, PRIMARY_KEY, DEFAULT, GENERATED, SKIP];
