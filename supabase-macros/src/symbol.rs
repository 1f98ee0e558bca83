//! Names of the `#[supabase(...)]` keys.

pub(crate) const SUPABASE: &str = "supabase";
pub(crate) const SERDE: &str = "serde";

pub(crate) const TABLE: &str = "table";
pub(crate) const SCHEMA: &str = "schema";
pub(crate) const READ_ONLY: &str = "read_only";
pub(crate) const WRITES: &str = "writes";
pub(crate) const CRATE: &str = "crate";
pub(crate) const CUSTOM_DESERIALIZE: &str = "custom_deserialize";

pub(crate) const RENAME: &str = "rename";
pub(crate) const SQL_TYPE: &str = "sql_type";
pub(crate) const PRIMARY_KEY: &str = "primary_key";
pub(crate) const DEFAULT: &str = "default";
pub(crate) const GENERATED: &str = "generated";
pub(crate) const SKIP: &str = "skip";

pub(crate) const BELONGS_TO: &str = "belongs_to";
pub(crate) const HAS_ONE: &str = "has_one";
pub(crate) const HAS_MANY: &str = "has_many";
pub(crate) const MANY_TO_MANY: &str = "many_to_many";
pub(crate) const FOREIGN_KEY: &str = "foreign_key";
pub(crate) const THROUGH: &str = "through";
pub(crate) const NAME: &str = "name";
pub(crate) const OPTIONAL: &str = "optional";

pub(crate) const CONTAINER_KEYS: &[&str] = &[
    TABLE,
    SCHEMA,
    READ_ONLY,
    WRITES,
    CRATE,
    CUSTOM_DESERIALIZE,
    BELONGS_TO,
    HAS_ONE,
    HAS_MANY,
    MANY_TO_MANY,
];
pub(crate) const FIELD_KEYS: &[&str] = &[RENAME, PRIMARY_KEY, DEFAULT, GENERATED, SKIP, SQL_TYPE];

/// The `#[serde(...)]` keys on a table struct that leave how serde's derive decodes a row's
/// keys and values as it is: the derive's own row decoder gives the same rows with them.
pub(crate) const SERDE_DECODING_CONTAINER_KEYS: &[&str] = &[
    "rename",
    "deny_unknown_fields",
    "default",
    "crate",
    "expecting",
    "into",
];
/// The same, for `#[serde(...)]` keys on a field (`default` only matters for an absent key,
/// which the derive's decoder leaves to serde). Not `alias`: serde matches a key to the first
/// field that has it as a name or an alias, so an alias can take another column's key.
pub(crate) const SERDE_DECODING_FIELD_KEYS: &[&str] = &[
    "rename",
    "default",
    "skip_serializing",
    "skip_serializing_if",
    "serialize_with",
];
