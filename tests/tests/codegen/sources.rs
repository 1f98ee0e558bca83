//! The sources against the live schemas: determinism, the JSON snapshot round trip, the OpenAPI
//! source agreeing with the catalogs, and bad input.

use std::collections::BTreeMap;

use supabase_codegen::ir::{Ir, PgType, TableKind, Writes};
use supabase_codegen::{Config, Error, snapshot, source};

use crate::fixture_stack;

fn rich_schemas() -> Vec<String> {
    vec!["public".to_owned(), "inventory".to_owned()]
}

async fn rich_ir() -> Ir {
    let stack = fixture_stack("rich").await;
    source::postgres::introspect(&stack.db_url(), &rich_schemas())
        .await
        .expect("introspect")
}

#[tokio::test]
async fn two_runs_give_the_same_ir_and_code() {
    let (a, b) = (rich_ir().await, rich_ir().await);
    assert_eq!(a, b);
    let config = Config::default();
    assert_eq!(
        supabase_codegen::generate(&a, &config),
        supabase_codegen::generate(&b, &config)
    );
}

#[tokio::test]
async fn snapshot_round_trip_generates_the_same_code() {
    let ir = rich_ir().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("schema.json");
    snapshot::save(&ir, &path).expect("save");
    let back = snapshot::load(&path).expect("load");
    assert_eq!(back, ir);
    let config = Config::default();
    assert_eq!(
        supabase_codegen::generate(&back, &config),
        supabase_codegen::generate(&ir, &config)
    );
}

/// The IR from PostgREST's OpenAPI document agrees with the catalogs on tables, columns, types
/// and nullability, except where OpenAPI cannot know (documented in `source::openapi`).
#[tokio::test]
async fn openapi_source_agrees_with_the_catalogs() {
    let stack = fixture_stack("rich").await;
    let from_pg = rich_ir().await;
    let from_api = source::openapi::fetch(&stack.url(), stack.service_role_key(), &rich_schemas())
        .await
        .expect("openapi");

    let mut missing_defaults = Vec::new();
    let mut missing_fks = Vec::new();
    let names = |ir: &Ir| {
        ir.tables
            .iter()
            .map(|t| t.name.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&from_api), names(&from_pg));
    for pg in &from_pg.tables {
        let api = from_api.table(&pg.name).expect("same tables");
        // Whether it takes writes is known, not which (PostgREST lists all three or none);
        // table vs view only through that.
        let all_or_none = if pg.writes.any() {
            Writes::ALL
        } else {
            Writes::NONE
        };
        assert_eq!(api.writes, all_or_none, "{}", pg.name);
        let columns = |cols: &[supabase_codegen::ir::Column]| {
            cols.iter()
                .map(|c| (c.name.clone(), c.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        let (pg_cols, api_cols) = (columns(&pg.columns), columns(&api.columns));
        assert_eq!(
            pg_cols.keys().collect::<Vec<_>>(),
            api_cols.keys().collect::<Vec<_>>(),
            "{}",
            pg.name
        );
        for (name, pc) in &pg_cols {
            let ac = &api_cols[name];
            let what = format!("{}.{name}", pg.name);
            // PostgREST reads NOT NULL from the column's own domain only; the catalogs source
            // follows a domain over a domain down to the one that has it.
            let nested_domain = matches!(&pc.ty, PgType::Domain { base, .. }
                if matches!(**base, PgType::Domain { .. }));
            // Nor does it tell a view's column of a NOT NULL domain, which the view reads
            // without the check, from a table's.
            let view_domain = matches!(pg.kind, TableKind::View | TableKind::MaterializedView)
                && matches!(pc.ty, PgType::Domain { .. });
            let explained = (nested_domain && ac.nullable && !pc.nullable)
                || (view_domain && !ac.nullable && pc.nullable);
            if !explained {
                assert_eq!(ac.nullable, pc.nullable, "nullability of {what}");
            }
            match (&pc.ty, &ac.ty) {
                // Composite types and domains are unknown to OpenAPI (documented).
                (PgType::Composite { .. } | PgType::Domain { .. }, PgType::Unknown { .. }) => {}
                // Domains over built-in types appear as their base type (without the
                // dimensions of a domain over `int4[][]`).
                (PgType::Domain { base, .. }, at) if **base == *at => {}
                (PgType::Domain { base, .. }, at) if matches!(&**base, PgType::Array { element } if **element == *at) =>
                    {}
                // OpenAPI knows no array dimensions: `int4[][]` is `int4[]` there.
                (PgType::Array { element }, at)
                    if matches!(**element, PgType::Array { .. }) && **element == *at => {}
                (pt, at) => assert_eq!(at, pt, "type of {what}"),
            }
            // A default OpenAPI shows exists; some it leaves out.
            if ac.default.is_some() {
                assert!(pc.default.is_some(), "default of {what}");
            } else if pc.default.is_some() {
                missing_defaults.push(what.clone());
            }
        }
        // A view's key is the one PostgREST infers through its tables, marked `<pk/>`.
        assert_eq!(
            api.primary_key,
            from_pg.primary_key(&pg.name),
            "primary key of {}",
            pg.name
        );
        // Single-column foreign keys within the schema are known, without constraint names.
        let fks = |t: &supabase_codegen::ir::Table, with_names: bool| {
            let mut v: Vec<_> = t
                .foreign_keys
                .iter()
                .filter(|fk| fk.columns.len() == 1 && fk.references.schema == t.name.schema)
                .map(|fk| {
                    let name = if with_names {
                        String::new()
                    } else {
                        fk.name.clone()
                    };
                    (
                        name,
                        fk.columns.clone(),
                        fk.references.clone(),
                        fk.referenced_columns.clone(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        // On views OpenAPI has more: the keys PostgREST infers through their base tables.
        // A foreign key that is by itself the primary key has no note in the document.
        if !matches!(pg.kind, TableKind::View | TableKind::MaterializedView) {
            let (from_api, from_pg) = (fks(api, false), fks(pg, true));
            for fk in &from_pg {
                if !from_api.contains(fk) {
                    missing_fks.push(format!("{}.{}", pg.name, fk.1.join(",")));
                }
            }
            assert!(
                from_api.iter().all(|fk| from_pg.contains(fk)),
                "{}",
                pg.name
            );
        }
    }
    // Serial columns' `nextval(..)` and array literals are not shown.
    assert_eq!(
        missing_defaults,
        ["public.authors.tags", "public.posts.id", "public.tags.id"]
    );
    assert_eq!(missing_fks, ["public.profiles.author_id"]);
    // Enums used by columns come with their values (not their comments).
    let enums = |ir: &Ir| {
        ir.enums
            .iter()
            .map(|e| (e.name.clone(), e.values.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(enums(&from_api), enums(&from_pg));
    // Arguments of an enum type (unqualified in the document) and of its array. (OpenAPI
    // lists arguments by name, not in order.)
    let args = |ir: &Ir| {
        let f = ir
            .functions
            .iter()
            .find(|f| f.name.name == "authors_feeling");
        let f = f.expect("authors_feeling");
        let mut args: Vec<_> = f
            .args
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        args.sort_by(|a, b| a.0.cmp(&b.0));
        args
    };
    assert_eq!(args(&from_api), args(&from_pg));
    // What the generated code looks like from this source.
    let code = supabase_codegen::generate(&from_api, &Config::default());
    insta::assert_snapshot!("rich_openapi", code);
}

#[tokio::test]
async fn openapi_with_a_bad_key_is_a_clear_error() {
    let stack = fixture_stack("rich").await;
    let err = source::openapi::fetch(&stack.url(), "not-a-key", &rich_schemas())
        .await
        .expect_err("bad key");
    let text = err.to_string();
    assert!(matches!(err, Error::Http { .. }), "{err:?}");
    assert!(text.contains("401"), "{text}");
}

#[tokio::test]
async fn wrong_password_is_a_clear_error_without_the_password() {
    let stack = fixture_stack("rich").await;
    let mut url = url::Url::parse(&stack.db_url()).expect("db url");
    url.set_password(Some("hunter2-wrong")).expect("password");
    let err = source::postgres::introspect(url.as_str(), &rich_schemas())
        .await
        .expect_err("wrong password");
    let text = format!("{err} {err:?}");
    assert!(matches!(err, Error::Connect { .. }), "{text}");
    assert!(!text.contains("hunter2-wrong"), "{text}");
    assert!(
        text.contains("password authentication failed") || text.contains("***"),
        "{text}"
    );
}

#[tokio::test]
async fn unreachable_database_is_a_clear_error_without_the_password() {
    // Port 1 on loopback: nothing listens there.
    let err = source::postgres::introspect("postgres://me:s3cret@127.0.0.1:1/db", &rich_schemas())
        .await
        .expect_err("unreachable");
    let text = format!("{err} {err:?}");
    assert!(matches!(err, Error::Connect { .. }), "{text}");
    assert!(
        !text.contains("s3cret") && text.contains("me:***@127.0.0.1:1"),
        "{text}"
    );
}

#[tokio::test]
async fn missing_schema_is_named() {
    let stack = fixture_stack("rich").await;
    let err = source::postgres::introspect(&stack.db_url(), &["nope".to_owned()])
        .await
        .expect_err("missing schema");
    match &err {
        Error::MissingSchema { schema, existing } => {
            assert_eq!(schema, "nope");
            assert!(existing.contains("inventory"), "{existing}");
        }
        other => panic!("{other:?}"),
    }
}
