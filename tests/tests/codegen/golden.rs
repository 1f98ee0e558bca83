//! Golden outputs: the generated file for each fixture schema and configuration.

use supabase_codegen::{Config, source};

use crate::fixture_stack;

fn schemas(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn rich_schema_default_mapping() {
    let stack = fixture_stack("rich").await;
    let ir = source::postgres::introspect(&stack.db_url(), &schemas(&["public", "inventory"]))
        .await
        .expect("introspect");
    let generated = supabase_codegen::generate_with_warnings(&ir, &Config::default());
    insta::assert_snapshot!("rich_default", generated.code);
    insta::assert_debug_snapshot!("rich_default_warnings", generated.warnings);
}

/// The options and the config file: crate types, overrides per type and per column, table
/// filters, extra derives, names, no relations, no functions. The output is compiled
/// (`rich_config_generated.rs`), so the overrides must name real types and the extra derive
/// must hold for every field.
#[tokio::test]
async fn rich_schema_with_config() {
    let stack = fixture_stack("rich").await;
    let ir = source::postgres::introspect(&stack.db_url(), &schemas(&["public", "inventory"]))
        .await
        .expect("introspect");
    let config = Config::from_toml(
        r#"
        schemas = ["public", "inventory"]
        include = ["authors", "public.posts", "inventory.items", "tags"]
        exclude = ["tags"]
        derives = ["Default"]
        enum_derives = ["PartialOrd", "Ord"]
        decimal = true
        uuid = true
        chrono = true
        relations = true
        functions = false

        [types]
        "pg_catalog.point" = "String"
        "public.mood" = "crate::overrides::Mood"
        "inventory.item_status" = "crate::overrides::ItemStatus"

        [columns]
        "public.authors.meta" = "crate::overrides::Meta"

        [names]
        "public.authors" = "Author"
        "public.posts" = "Post"
        "#,
    )
    .expect("config");
    let generated = supabase_codegen::generate_with_warnings(&ir, &config);
    insta::assert_debug_snapshot!("rich_config_warnings", generated.warnings);
    assert_compiled_file_is_current("rich_config_generated.rs", &generated.code);
}

/// `time = true` and `decimal = true`: the time crate's types and `Decimal` in
/// `supabase_core::types::Pg`, compiled (`rich_time_generated.rs`) and queried in `types.rs`.
#[tokio::test]
async fn rich_schema_time_crate() {
    let stack = fixture_stack("rich").await;
    let ir = source::postgres::introspect(&stack.db_url(), &schemas(&["public"]))
        .await
        .expect("introspect");
    let config = Config::from_toml(
        "time = true\ndecimal = true\ninclude = [\"authors\"]\nfunctions = false\nrelations = false",
    )
    .expect("config");
    let code = supabase_codegen::generate(&ir, &config);
    assert!(code.contains("pub created_at: ::supabase_core::types::Pg<time::OffsetDateTime>"));
    assert_compiled_file_is_current("rich_time_generated.rs", &code);
}

/// Names that are keywords, not identifiers, or collide once converted.
#[tokio::test]
async fn awkward_names() {
    let stack = fixture_stack("names").await;
    let ir = source::postgres::introspect(&stack.db_url(), &schemas(&["public"]))
        .await
        .expect("introspect");
    let generated = supabase_codegen::generate_with_warnings(&ir, &Config::default());
    insta::assert_snapshot!("names", generated.code);
    insta::assert_debug_snapshot!("names_warnings", generated.warnings);
    // The output is Rust (generate would have panicked otherwise) and stable.
    assert_eq!(
        generated.code,
        supabase_codegen::generate(&ir, &Config::default())
    );
}

/// The rich schema's output, with the default config, compiled into this binary
/// (`rich_generated.rs`): every kind of item the generator emits type-checks against
/// supabase-core. `SUPABASE_CODEGEN_BLESS=1` rewrites the file.
#[tokio::test]
async fn rich_generated_module_is_current() {
    let stack = fixture_stack("rich").await;
    let ir = source::postgres::introspect(&stack.db_url(), &schemas(&["public", "inventory"]))
        .await
        .expect("introspect");
    assert_compiled_file_is_current(
        "rich_generated.rs",
        &supabase_codegen::generate(&ir, &Config::default()),
    );
}

/// The awkward names' output compiled into this binary too (`names_generated.rs`), through a
/// `core_path` that is a re-export (`crate::core_alias`), as for a renamed dependency.
#[tokio::test]
async fn names_generated_module_is_current() {
    let stack = fixture_stack("names").await;
    let ir = source::postgres::introspect(&stack.db_url(), &schemas(&["public"]))
        .await
        .expect("introspect");
    let config = Config::from_toml(r#"core_path = "crate::core_alias""#).expect("config");
    let code = supabase_codegen::generate(&ir, &config);
    assert!(code.contains("use crate::core_alias::Table;"), "{code}");
    assert!(!code.contains("supabase_core"), "{code}");
    assert_compiled_file_is_current("names_generated.rs", &code);
}

/// Relationships decided by PostgREST's rules (`relations.rs` embeds them), with the join
/// table `co_writers` excluded: it still relates `articles` and `writers`.
#[tokio::test]
async fn relations_follow_postgrest() {
    let stack = fixture_stack("relations").await;
    let ir = source::postgres::introspect(&stack.db_url(), &schemas(&["public"]))
        .await
        .expect("introspect");
    let config = Config::from_toml(r#"exclude = ["co_writers"]"#).expect("config");
    let generated = supabase_codegen::generate_with_warnings(&ir, &config);
    insta::assert_debug_snapshot!("relations_warnings", generated.warnings);
    assert_compiled_file_is_current("relations_generated.rs", &generated.code);
}

/// `tests/codegen/<file>` holds `code` (`SUPABASE_CODEGEN_BLESS=1` rewrites it).
fn assert_compiled_file_is_current(file: &str, code: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/codegen")
        .join(file);
    if std::env::var_os("SUPABASE_CODEGEN_BLESS").is_some() {
        std::fs::write(&path, code).expect("write");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some(diff) = supabase_codegen::check::diff(file, &on_disk, code) {
        panic!("{file} is stale (SUPABASE_CODEGEN_BLESS=1 regenerates it):\n{diff}");
    }
}

/// `singular = true`: table structs in the singular, `[names]` still winning, and a plain
/// TCP connection still working through the TLS-capable connector (`sslmode` absent: prefer).
#[tokio::test]
async fn singular_names_with_overrides() {
    let stack = fixture_stack("rich").await;
    let ir = source::postgres::introspect(&stack.db_url(), &schemas(&["public", "inventory"]))
        .await
        .expect("introspect");
    let config = Config::from_toml(
        r#"
        schemas = ["public", "inventory"]
        singular = true
        [names]
        "public.tags" = "Label"
        "#,
    )
    .expect("config");
    let generated = supabase_codegen::generate_with_warnings(&ir, &config);
    let structs: Vec<&str> = generated
        .code
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub struct "))
        .map(|l| l.trim_end_matches(" {").trim_end_matches(';'))
        .collect();
    insta::assert_debug_snapshot!("rich_singular_structs", structs);
    assert!(structs.contains(&"Author") && structs.contains(&"Category"));
    assert!(structs.contains(&"Label") && !structs.contains(&"Tag"));
}

/// `sslmode=require` makes the connection TLS-only: the local Postgres has no TLS, so the
/// connection fails, saying so, where `prefer` (the default) connects in plain TCP.
#[tokio::test]
async fn sslmode_require_insists_on_tls() {
    let stack = fixture_stack("rich").await;
    let url = format!("{}?sslmode=require", stack.db_url());
    let err = source::postgres::introspect(&url, &schemas(&["public"]))
        .await
        .expect_err("the local server offers no TLS");
    let message = err.to_string();
    assert!(
        message.contains("TLS") || message.contains("tls"),
        "{message}"
    );
    assert!(
        !message.contains(":postgres@"),
        "password redacted: {message}"
    );
    let prefer = format!("{}?sslmode=prefer", stack.db_url());
    source::postgres::introspect(&prefer, &schemas(&["public"]))
        .await
        .expect("prefer falls back to plain TCP");
}
