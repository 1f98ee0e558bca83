//! The intermediate representation: what a source (the Postgres catalogs or PostgREST's OpenAPI
//! document) found, before any Rust naming. Serialisable, so `--snapshot` can save it and
//! `--from-snapshot` can generate code without a database.
//!
//! Lists are kept sorted ([`Ir::normalize`]), so two introspections of one schema give equal IRs
//! and equal JSON.

use serde::{Deserialize, Serialize};

/// Version of the snapshot format; bumped on incompatible changes.
pub const IR_VERSION: u32 = 2;

/// Everything introspected from the selected schemas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ir {
    /// Snapshot format version ([`IR_VERSION`]).
    pub version: u32,
    /// Where the IR came from.
    pub source: SourceKind,
    /// The schemas that were introspected, sorted.
    pub schemas: Vec<String>,
    /// Tables, views, materialized views and foreign tables (partitions excluded).
    pub tables: Vec<Table>,
    /// Enum types.
    pub enums: Vec<Enum>,
    /// Composite types (`CREATE TYPE ... AS (...)`).
    pub composites: Vec<Composite>,
    /// Functions callable through PostgREST's `/rpc`.
    pub functions: Vec<Function>,
    /// The table keys the views show, from which PostgREST infers the views' relationships
    /// (the catalog source only; sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub view_keys: Vec<ViewKey>,
}

/// A key of a table whose every column a view shows, as a plain column reference (through
/// other views too): PostgREST's `ViewKeyDependency`, from which it gives the view the table's
/// relationships (`addViewM2OAndO2ORels`) and primary key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ViewKey {
    /// The view.
    pub view: QualifiedName,
    /// Which side of which constraint the columns are.
    pub side: KeySide,
    /// The constraint's name.
    pub constraint: String,
    /// For each of the key's columns on that side, in key order: the view's columns that show
    /// it (several when the view repeats it).
    pub columns: Vec<Vec<String>>,
    /// For a foreign key (either side): the key between its two tables.
    pub foreign_key: Option<TableKey>,
}

/// Which side of a constraint a [`ViewKey`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySide {
    /// A table's primary key.
    PrimaryKey,
    /// The columns of the table holding a foreign key.
    Holder,
    /// The columns a foreign key references.
    Referenced,
}

/// A foreign key between two tables (which need not be introspected), as a view inherits it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableKey {
    /// The table holding the key.
    pub holder: QualifiedName,
    /// The key.
    pub key: ForeignKey,
    /// One-to-one: its columns are the holder's primary key or a unique constraint.
    pub one_to_one: bool,
}

/// Which source built an [`Ir`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The Postgres catalogs (complete).
    Postgres,
    /// PostgREST's OpenAPI document (less information: see `source::openapi`).
    Openapi,
}

/// A qualified name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualifiedName {
    /// Schema.
    pub schema: String,
    /// Name inside the schema.
    pub name: String,
}

impl QualifiedName {
    /// `schema.name`.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// What kind of relation a [`Table`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// A plain table.
    Table,
    /// A partitioned table (its partitions are not listed).
    PartitionedTable,
    /// A view.
    View,
    /// A materialized view (never writable).
    MaterializedView,
    /// A foreign table.
    ForeignTable,
}

/// A table or view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Schema and name.
    pub name: QualifiedName,
    /// Table, view, ...
    pub kind: TableKind,
    /// The writes it takes: all three for tables, none for materialized views; for views
    /// and foreign tables, what Postgres reports.
    pub writes: Writes,
    /// `COMMENT ON TABLE`.
    pub comment: Option<String>,
    /// Columns in their table order.
    pub columns: Vec<Column>,
    /// Primary key columns, in key order (empty when there is none).
    pub primary_key: Vec<String>,
    /// Column sets of the unique constraints (sorted); unique indexes that are not
    /// constraints are left out, as PostgREST leaves them out of one-to-one relations.
    pub unique: Vec<Vec<String>>,
    /// Foreign keys held by this table (sorted by constraint name).
    pub foreign_keys: Vec<ForeignKey>,
}

/// The writes a relation takes: PostgREST's `tableInsertable`, `tableUpdatable` and
/// `tableDeletable`, from `pg_relation_is_updatable` (INSTEAD OF triggers and rules count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writes {
    /// Takes INSERT.
    pub insert: bool,
    /// Takes UPDATE.
    pub update: bool,
    /// Takes DELETE.
    pub delete: bool,
}

impl Writes {
    /// A table's: INSERT, UPDATE and DELETE.
    pub const ALL: Writes = Writes {
        insert: true,
        update: true,
        delete: true,
    };
    /// A materialized view's: none.
    pub const NONE: Writes = Writes {
        insert: false,
        update: false,
        delete: false,
    };

    /// Takes at least one of the three.
    pub fn any(self) -> bool {
        self.insert || self.update || self.delete
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Its type.
    pub ty: PgType,
    /// Can be NULL.
    pub nullable: bool,
    /// The default expression, if any (serial columns have `nextval(...)`).
    pub default: Option<String>,
    /// `GENERATED ... AS IDENTITY`.
    pub identity: Option<Identity>,
    /// Never written: `GENERATED ALWAYS AS (...) STORED`, or a view's column that is not
    /// updatable (an expression).
    pub generated: bool,
    /// `COMMENT ON COLUMN`.
    pub comment: Option<String>,
}

/// Identity column kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// `GENERATED ALWAYS AS IDENTITY`: cannot be written.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`: a default.
    ByDefault,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ForeignKey {
    /// Constraint name (empty when the source does not know it: OpenAPI).
    pub name: String,
    /// Columns of this table.
    pub columns: Vec<String>,
    /// The referenced table.
    pub references: QualifiedName,
    /// The referenced columns, in the same order.
    pub referenced_columns: Vec<String>,
}

/// A Postgres type, resolved as far as Rust needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PgType {
    /// A base type by its `pg_type.typname` (`int4`, `text`, `timestamptz`, `citext`...).
    Base {
        /// The type name.
        name: String,
    },
    /// An array of `element`.
    Array {
        /// The element type.
        element: Box<PgType>,
    },
    /// A range type (`tstzrange`...) over `element`.
    Range {
        /// The range type's name.
        name: String,
        /// The element (subtype).
        element: Box<PgType>,
    },
    /// A multirange type (`tstzmultirange`..., Postgres 14+) over `element`.
    Multirange {
        /// The multirange type's name.
        name: String,
        /// The element (its ranges' subtype).
        element: Box<PgType>,
    },
    /// An enum type.
    Enum {
        /// Its name.
        name: QualifiedName,
    },
    /// A composite type, or a table's row type.
    Composite {
        /// Its name.
        name: QualifiedName,
    },
    /// A domain, over its base type.
    Domain {
        /// Its name.
        name: QualifiedName,
        /// The base type.
        base: Box<PgType>,
    },
    /// `void` (functions only).
    Void,
    /// A pseudo-type or anything else without a Rust mapping (`record`, `anyelement`...).
    Unknown {
        /// The type name as Postgres prints it.
        name: String,
    },
}

impl PgType {
    /// The type under any domains (`known_address` over `address`: the composite).
    pub fn without_domains(&self) -> &PgType {
        match self {
            PgType::Domain { base, .. } => base.without_domains(),
            other => other,
        }
    }
}

impl std::fmt::Display for PgType {
    /// The type as SQL names it: `int4`, `text[]`, `public.mood`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PgType::Base { name }
            | PgType::Range { name, .. }
            | PgType::Multirange { name, .. }
            | PgType::Unknown { name } => f.write_str(name),
            PgType::Array { element } => write!(f, "{element}[]"),
            PgType::Enum { name } | PgType::Composite { name } | PgType::Domain { name, .. } => {
                write!(f, "{name}")
            }
            PgType::Void => f.write_str("void"),
        }
    }
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enum {
    /// Schema and name.
    pub name: QualifiedName,
    /// Labels in their sort order.
    pub values: Vec<String>,
    /// `COMMENT ON TYPE`.
    pub comment: Option<String>,
}

/// A composite type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Composite {
    /// Schema and name.
    pub name: QualifiedName,
    /// Attributes in order (a composite's attributes can always be NULL).
    pub fields: Vec<Field>,
    /// `COMMENT ON TYPE`.
    pub comment: Option<String>,
}

/// A named, typed field (composite attribute, `RETURNS TABLE` column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: PgType,
}

/// Function volatility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    /// `IMMUTABLE`.
    Immutable,
    /// `STABLE`.
    Stable,
    /// `VOLATILE`: PostgREST only accepts POST.
    Volatile,
}

/// A function argument (IN, INOUT or VARIADIC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Argument {
    /// Name; `None` for unnamed arguments (PostgREST cannot pass those by name).
    pub name: Option<String>,
    /// Type (for a variadic argument, the array type).
    pub ty: PgType,
    /// Has a default, so it may be left out.
    pub has_default: bool,
    /// `VARIADIC`.
    pub variadic: bool,
}

/// What a function returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Returns {
    /// One value (possibly a composite or a table's row type).
    Scalar {
        /// Its type.
        ty: PgType,
    },
    /// `SETOF type`.
    SetOf {
        /// The row type.
        ty: PgType,
    },
    /// `RETURNS TABLE (...)` or OUT parameters; `set` when rows, else one row.
    Table {
        /// Columns.
        columns: Vec<Field>,
        /// Several rows (`RETURNS TABLE`, `SETOF record` with OUT parameters).
        set: bool,
    },
    /// Unknown to the source (OpenAPI does not describe return types).
    Unknown,
}

/// A function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    /// Schema and name.
    pub name: QualifiedName,
    /// Input arguments in order.
    pub args: Vec<Argument>,
    /// Return shape.
    pub returns: Returns,
    /// Volatility.
    pub volatility: Volatility,
    /// `COMMENT ON FUNCTION`.
    pub comment: Option<String>,
    /// Why PostgREST cannot call the function, when it cannot: codegen skips it with this
    /// as the warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncallable: Option<String>,
}

impl Ir {
    /// An empty IR for `source`.
    pub fn new(source: SourceKind) -> Self {
        Ir {
            version: IR_VERSION,
            source,
            schemas: Vec::new(),
            tables: Vec::new(),
            enums: Vec::new(),
            composites: Vec::new(),
            functions: Vec::new(),
            view_keys: Vec::new(),
        }
    }

    /// Keeps only the objects of `schemas`, as introspecting just those schemas would have
    /// (a snapshot holds what it was taken with); returns the schemas dropped.
    pub fn retain_schemas(&mut self, schemas: &[String]) -> Vec<String> {
        let wanted = |schema: &String| schemas.contains(schema);
        let dropped = self
            .schemas
            .iter()
            .filter(|s| !wanted(s))
            .cloned()
            .collect();
        self.schemas.retain(wanted);
        self.tables.retain(|t| wanted(&t.name.schema));
        self.enums.retain(|e| wanted(&e.name.schema));
        self.composites.retain(|c| wanted(&c.name.schema));
        self.functions.retain(|f| wanted(&f.name.schema));
        self.view_keys.retain(|k| wanted(&k.view.schema));
        dropped
    }

    /// Sorts every list, so equal schemas give equal IRs whatever order the source used.
    pub fn normalize(&mut self) {
        self.schemas.sort();
        self.schemas.dedup();
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        for t in &mut self.tables {
            t.unique.sort();
            t.unique.dedup();
            t.foreign_keys.sort_by(|a, b| {
                (&a.name, &a.columns, &a.references).cmp(&(&b.name, &b.columns, &b.references))
            });
        }
        self.enums.sort_by(|a, b| a.name.cmp(&b.name));
        self.composites.sort_by(|a, b| a.name.cmp(&b.name));
        self.functions
            .sort_by(|a, b| (&a.name, signature(a)).cmp(&(&b.name, signature(b))));
        self.view_keys.sort();
        self.view_keys.dedup();
    }

    /// The table or view with this name.
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.iter().find(|t| &t.name == name)
    }

    /// A table's or view's primary key as PostgREST sees it: a table's own, or for a view,
    /// the first of its columns showing each column of its tables' primary keys
    /// (`addViewPrimaryKeys`; PostgREST's OpenAPI document marks these `<pk/>`).
    pub fn primary_key(&self, name: &QualifiedName) -> Vec<String> {
        let own = self
            .table(name)
            .map(|t| t.primary_key.clone())
            .unwrap_or_default();
        let shown = self
            .view_keys
            .iter()
            .filter(|k| &k.view == name && k.side == KeySide::PrimaryKey)
            .flat_map(|k| k.columns.iter().filter_map(|c| c.first().cloned()));
        own.into_iter().chain(shown).collect()
    }
}

/// Argument names and types of a function, for a stable order of overloads.
fn signature(f: &Function) -> String {
    f.args
        .iter()
        .map(|a| format!("{}:{:?}", a.name.as_deref().unwrap_or(""), a.ty))
        .collect::<Vec<_>>()
        .join(",")
}
