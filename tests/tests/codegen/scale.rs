//! A 1,000-table schema (10 columns each, a foreign key to the previous table): everything is
//! generated, and the time taken is printed (a measurement, not an assertion; see
//! docs/decisions.md for the figures).

use std::time::Instant;

use supabase_codegen::{Config, source};

use crate::fixture_stack;

#[tokio::test]
async fn thousand_tables() {
    let stack = fixture_stack("names").await;
    let mut sql = String::from("create schema scale;\n");
    for i in 0..1000 {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(", prev_id bigint references scale.t{} (id)", i - 1)
        };
        sql.push_str(&format!(
            "create table scale.t{i} (id bigint primary key, a text not null, b int, c jsonb, \
             d timestamptz default now(), e numeric, f text[], g bool, h float8{fk});\n"
        ));
    }
    stack.execute_sql(&sql).await.expect("create 1,000 tables");

    let started = Instant::now();
    let ir = source::postgres::introspect(&stack.db_url(), &["scale".to_owned()])
        .await
        .expect("introspect");
    let introspected = started.elapsed();
    let config = Config {
        schemas: vec!["scale".to_owned()],
        ..Config::default()
    };
    let code = supabase_codegen::generate(&ir, &config);
    let total = started.elapsed();
    eprintln!(
        "1,000 tables: introspect {} ms, emit {} ms, total {} ms, {} KiB of Rust",
        introspected.as_millis(),
        (total - introspected).as_millis(),
        total.as_millis(),
        code.len() / 1024
    );
    assert_eq!(ir.tables.len(), 1000);
    assert_eq!(code.matches("#[derive(Table,").count(), 1000);
    assert_eq!(code.matches("#[supabase(belongs_to(").count(), 999);
    assert_eq!(code.matches("#[supabase(has_many(").count(), 999);
}
