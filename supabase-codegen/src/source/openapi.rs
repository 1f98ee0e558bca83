//! PostgREST's OpenAPI document (`GET /rest/v1/` with `Accept: application/openapi+json`, one
//! request per schema with `Accept-Profile`) as a source, for hosted projects reached only
//! through their API.
//!
//! It carries less than the catalogs. What the IR gets from it, and what it cannot know:
//!
//! | | from OpenAPI |
//! |---|---|
//! | tables and views, columns, column types | yes (types by their SQL name: `bigint`, `character varying`, `public.mood`); columns in alphabetical order, not table order |
//! | nullability | yes (`required` lists the NOT NULL columns), but a view's column of a NOT NULL domain is listed too, and read as a plain value, though the view does not check it (the catalogs source makes it an `Option`) |
//! | defaults | partly: literals and expressions like `now()`, but not serial columns' `nextval(...)` nor array literals (such columns are required in the generated `Insert` type) |
//! | identity, serial | no: PostgREST 12 gives an identity (`ALWAYS` or `BY DEFAULT`) or serial column no `default` and lists it in `required`, exactly like a NOT NULL key the client must supply (`id bigint primary key`), so nothing tells them apart; such columns are required in `Insert` |
//! | primary keys | yes (`<pk/>` in the column description) |
//! | foreign keys | single-column FKs to the same schema only, without constraint names (so the disambiguating hint is the column name), and not when the column is by itself the primary key or `UNIQUE` (PostgREST 12 counts those one-to-one and notes many-to-one keys only); on views, the keys PostgREST infers through their base tables (which the catalog source does not report) |
//! | comments | yes (table and column descriptions) |
//! | the writes it takes | partly: some or none (PostgREST lists POST, PATCH and DELETE together when it takes any of them), so a view taking inserts and updates but not deletes gets all three; table vs view vs materialized view: no (writable → table, else view) |
//! | generated columns | no: a `GENERATED ALWAYS AS (..) STORED` column is a plain nullable column (not in `required`), so it is writable in the generated `Update`/`Insert` types and the database rejects the write |
//! | unique constraints | no (a `UNIQUE` column carries no note): every reverse relation is `has_many`, none `has_one`; many-to-many join tables are still found, from primary keys |
//! | enums | values yes (not comments), for columns of that enum; arrays of an enum only if a column uses the enum itself |
//! | composite types, domains | composites no (their columns become `serde_json::Value`, unknown type); domains over built-in types appear as the base type, others are unknown |
//! | functions | names and argument names and types (an enum argument, which the document names unqualified, is that enum when a column uses it); not argument order (alphabetical), not which have defaults beyond `required`, not variadic, not the return type (`Output = serde_json::Value`), not the volatility (PostgREST 12 lists both `get` and `post` for every function, volatile or not, so it is treated as volatile: `READ_ONLY = false`, calls use POST), not overloads (one entry per name); functions of extensions are listed too |
//!
//! These were checked against PostgREST 12.0.2's document (a table with identity, serial,
//! generated and unique columns, and stable/immutable/volatile functions) and none can be
//! inferred safely: guessing "NOT NULL integer primary key without default → identity" would
//! make the client omit keys that tables like the reference's `id bigint primary key` need.
//! Where these matter, generate from the catalogs (`--db-url`, or `--snapshot` from a machine
//! that reaches the database and `--from-snapshot` elsewhere).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::ir::*;

/// Fetches the OpenAPI document of each schema from `url` (the project URL, or its
/// `/rest/v1` endpoint) with API key `key`, and converts it.
pub async fn fetch(url: &str, key: &str, schemas: &[String]) -> Result<Ir> {
    let base = url.trim_end_matches('/');
    let endpoint = if base.ends_with("/rest/v1") {
        format!("{base}/")
    } else {
        format!("{base}/rest/v1/")
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| Error::Http {
            url: endpoint.clone(),
            message: e.to_string(),
        })?;
    let mut documents = Vec::new();
    for schema in schemas {
        let mut request = client
            .get(&endpoint)
            .header("apikey", key)
            .header("Accept", "application/openapi+json")
            .header("Accept-Profile", schema);
        // New-style keys are not JWTs and are never sent as a bearer token.
        if !key.starts_with("sb_") {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let response = request.send().await.map_err(|e| Error::Http {
            url: endpoint.clone(),
            message: e.without_url().to_string(),
        })?;
        let status = response.status();
        let body = response.text().await.map_err(|e| Error::Http {
            url: endpoint.clone(),
            message: e.without_url().to_string(),
        })?;
        if !status.is_success() {
            let snippet: String = body.chars().take(300).collect();
            return Err(Error::Http {
                url: endpoint.clone(),
                message: format!("HTTP {status} for schema `{schema}`: {snippet}"),
            });
        }
        let doc: Value = serde_json::from_str(&body).map_err(|e| Error::OpenApi {
            url: endpoint.clone(),
            message: format!("not JSON: {e}"),
        })?;
        documents.push((schema.clone(), doc));
    }
    from_documents(&documents).map_err(|message| Error::OpenApi {
        url: endpoint,
        message,
    })
}

/// Converts OpenAPI documents, one per schema, into an IR.
pub fn from_documents(documents: &[(String, Value)]) -> Result<Ir, String> {
    let mut ir = Ir::new(SourceKind::Openapi);
    // Pass 1: enums, from the columns that use them.
    let mut enums: BTreeMap<QualifiedName, Vec<String>> = BTreeMap::new();
    for (_, doc) in documents {
        for (_, def) in definitions(doc)? {
            for (_, prop) in properties(def) {
                if let (Some(format), Some(values)) = (
                    prop.get("format").and_then(Value::as_str),
                    prop.get("enum").and_then(Value::as_array),
                ) && let Some((schema, name)) = format.split_once('.')
                {
                    enums.insert(
                        QualifiedName::new(schema, name),
                        values
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                    );
                }
            }
        }
    }
    for (schema, doc) in documents {
        ir.schemas.push(schema.clone());
        // PostgREST writes each document with the search path of its request: the document's
        // schema, then `db-extra-search-path` (`public` by default; Supabase adds
        // `extensions`).
        let types = TypeNames {
            enums: &enums,
            search_path: [schema.as_str(), "public", "extensions"],
        };
        let paths = doc.get("paths").and_then(Value::as_object);
        for (name, def) in definitions(doc)? {
            let methods = paths
                .and_then(|p| p.get(&format!("/{name}")))
                .and_then(Value::as_object);
            // PostgREST lists POST, PATCH and DELETE together, for a relation that takes any
            // write (`makePathItem` in its `OpenAPI.hs`): which ones it takes is not told.
            let writes = if methods.is_some_and(|m| m.contains_key("post")) {
                Writes::ALL
            } else {
                Writes::NONE
            };
            let required: Vec<&str> = def
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut table = Table {
                name: QualifiedName::new(schema.clone(), name.clone()),
                kind: if writes == Writes::ALL {
                    TableKind::Table
                } else {
                    TableKind::View
                },
                writes,
                comment: def
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                columns: Vec::new(),
                primary_key: Vec::new(),
                unique: Vec::new(),
                foreign_keys: Vec::new(),
            };
            for (column, prop) in properties(def) {
                let description = prop
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let (comment, notes) = match description.find("Note:\n") {
                    Some(i) => (&description[..i], &description[i..]),
                    None => (description, ""),
                };
                if notes.contains("<pk/>") {
                    table.primary_key.push(column.clone());
                }
                if let Some(fk) = fk_note(notes) {
                    table.foreign_keys.push(ForeignKey {
                        name: String::new(),
                        columns: vec![column.clone()],
                        references: QualifiedName::new(schema.clone(), fk.0),
                        referenced_columns: vec![fk.1],
                    });
                }
                let comment = comment.trim();
                table.columns.push(Column {
                    name: column.clone(),
                    ty: types.property_type(prop),
                    nullable: !required.contains(&column.as_str()),
                    default: prop.get("default").map(|d| match d {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                    identity: None,
                    generated: false,
                    comment: (!comment.is_empty()).then(|| comment.to_owned()),
                });
            }
            ir.tables.push(table);
        }
        if let Some(paths) = paths {
            for (path, item) in paths {
                let Some(fname) = path.strip_prefix("/rpc/") else {
                    continue;
                };
                ir.functions.push(function(schema, fname, item, &types));
            }
        }
    }
    ir.enums = enums
        .into_iter()
        .filter(|(name, _)| ir.schemas.contains(&name.schema))
        .map(|(name, values)| Enum {
            name,
            values,
            comment: None,
        })
        .collect();
    ir.normalize();
    Ok(ir)
}

fn definitions(doc: &Value) -> Result<Vec<(&String, &Value)>, String> {
    if doc.get("swagger").is_none() && doc.get("openapi").is_none() {
        return Err("no `swagger` or `openapi` key: not an OpenAPI document".to_owned());
    }
    Ok(doc
        .get("definitions")
        .and_then(Value::as_object)
        .map(|d| d.iter().collect())
        .unwrap_or_default())
}

fn properties(def: &Value) -> Vec<(&String, &Value)> {
    def.get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().collect())
        .unwrap_or_default()
}

/// `<fk table='authors' column='id'/>` → `("authors", "id")`.
fn fk_note(notes: &str) -> Option<(String, String)> {
    let start = notes.find("<fk ")?;
    let tag = &notes[start..start + notes[start..].find("/>")?];
    let attr = |name: &str| {
        let key = format!("{name}='");
        let i = tag.find(&key)? + key.len();
        let end = tag[i..].find('\'')?;
        Some(tag[i..i + end].to_owned())
    };
    Some((attr("table")?, attr("column")?))
}

fn function(schema: &str, name: &str, item: &Value, types: &TypeNames<'_>) -> Function {
    let post = item.get("post");
    let body_schema = post
        .and_then(|p| p.get("parameters"))
        .and_then(Value::as_array)
        .and_then(|params| {
            params
                .iter()
                .find(|p| p.get("in").and_then(Value::as_str) == Some("body"))
        })
        .and_then(|p| p.get("schema"));
    let required: Vec<&str> = body_schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let args = body_schema
        .map(|s| properties(s))
        .unwrap_or_default()
        .into_iter()
        .map(|(arg, prop)| Argument {
            // PostgREST documents an unnamed argument as the property "".
            name: (!arg.is_empty()).then(|| arg.clone()),
            ty: types.property_type(prop),
            has_default: !required.contains(&arg.as_str()),
            variadic: false,
        })
        .collect();
    let comment = post
        .and_then(|p| p.get("summary").or_else(|| p.get("description")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Function {
        name: QualifiedName::new(schema, name),
        args,
        returns: Returns::Unknown,
        volatility: Volatility::Volatile,
        comment,
        uncallable: None,
    }
}

struct TypeNames<'a> {
    enums: &'a BTreeMap<QualifiedName, Vec<String>>,
    /// The schemas PostgREST's search path had for the document: `format_type` leaves a type
    /// visible there unqualified (an enum argument is `mood`, where the column of that type
    /// says `public.mood`).
    search_path: [&'a str; 3],
}

impl TypeNames<'_> {
    fn property_type(&self, prop: &Value) -> PgType {
        match prop.get("format").and_then(Value::as_str) {
            Some(format) => self.parse(format),
            None => PgType::Unknown {
                name: prop
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("untyped")
                    .to_owned(),
            },
        }
    }

    /// A type as PostgREST prints it (`format_type`): `bigint`, `character varying`,
    /// `timestamp with time zone`, `integer[]`, `public.mood`.
    fn parse(&self, format: &str) -> PgType {
        if let Some(element) = format.strip_suffix("[]") {
            return PgType::Array {
                element: Box::new(self.parse(element)),
            };
        }
        if let Some((schema, name)) = format.split_once('.') {
            let qualified = QualifiedName::new(schema, name);
            if self.enums.contains_key(&qualified) {
                return PgType::Enum { name: qualified };
            }
            // An extension's base type (`extensions.citext`) maps by its name; anything else
            // (a composite type, a domain) is unknown to this source.
            return match base_name(name) {
                Some(base) => base,
                None => PgType::Unknown {
                    name: format.to_owned(),
                },
            };
        }
        base_name(format)
            .or_else(|| self.visible_enum(format))
            .unwrap_or_else(|| PgType::Base {
                name: format.to_owned(),
            })
    }

    /// The enum an unqualified name means: the first schema of the search path that has one.
    fn visible_enum(&self, name: &str) -> Option<PgType> {
        self.search_path
            .iter()
            .map(|schema| QualifiedName::new(*schema, name))
            .find(|qualified| self.enums.contains_key(qualified))
            .map(|name| PgType::Enum { name })
    }
}

/// SQL-standard names → `pg_type` names, and range types with their element.
fn base_name(sql: &str) -> Option<PgType> {
    let base = |n: &str| PgType::Base { name: n.to_owned() };
    let range = |n: &str, e: &str| PgType::Range {
        name: n.to_owned(),
        element: Box::new(base(e)),
    };
    let multirange = |n: &str, e: &str| PgType::Multirange {
        name: n.to_owned(),
        element: Box::new(base(e)),
    };
    Some(match sql {
        "bigint" => base("int8"),
        "integer" => base("int4"),
        "smallint" => base("int2"),
        "real" => base("float4"),
        "double precision" => base("float8"),
        "boolean" => base("bool"),
        "character varying" => base("varchar"),
        "character" => base("bpchar"),
        "timestamp with time zone" => base("timestamptz"),
        "timestamp without time zone" => base("timestamp"),
        "time without time zone" => base("time"),
        "time with time zone" => base("timetz"),
        "bit varying" => base("varbit"),
        "int4range" => range("int4range", "int4"),
        "int8range" => range("int8range", "int8"),
        "numrange" => range("numrange", "numeric"),
        "tsrange" => range("tsrange", "timestamp"),
        "tstzrange" => range("tstzrange", "timestamptz"),
        "daterange" => range("daterange", "date"),
        "int4multirange" => multirange("int4multirange", "int4"),
        "int8multirange" => multirange("int8multirange", "int8"),
        "nummultirange" => multirange("nummultirange", "numeric"),
        "tsmultirange" => multirange("tsmultirange", "timestamp"),
        "tstzmultirange" => multirange("tstzmultirange", "timestamptz"),
        "datemultirange" => multirange("datemultirange", "date"),
        "text" | "citext" | "name" | "json" | "jsonb" | "numeric" | "uuid" | "date" | "bytea"
        | "interval" | "inet" | "cidr" | "macaddr" | "macaddr8" | "money" | "xml" | "tsvector"
        | "tsquery" | "bit" | "oid" | "int2" | "int4" | "int8" | "float4" | "float8" | "bool"
        | "varchar" | "timestamptz" | "timestamp" | "time" => base(sql),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fk_notes() {
        assert_eq!(
            fk_note("Note:\nThis is a Foreign Key to `posts.id`.<fk table='posts' column='id'/>"),
            Some(("posts".to_owned(), "id".to_owned()))
        );
        assert_eq!(fk_note("Note:\nThis is a Primary Key.<pk/>"), None);
    }

    #[test]
    fn not_an_openapi_document_is_an_error() {
        let err = from_documents(&[("public".to_owned(), serde_json::json!({"hello": 1}))])
            .expect_err("not openapi");
        assert!(err.contains("not an OpenAPI document"), "{err}");
    }
}
