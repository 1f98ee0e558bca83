//! The `supabase-codegen` binary without a database: `--from-snapshot`, `--check`, exit codes,
//! and messages for bad input.

use std::path::Path;
use std::process::{Command, Output};

use supabase_codegen::ir::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_supabase-codegen"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run supabase-codegen")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small IR, written as a snapshot.
fn write_snapshot(dir: &Path, column_type: &str) -> String {
    let mut ir = Ir::new(SourceKind::Postgres);
    ir.schemas = vec!["public".to_owned()];
    ir.tables.push(Table {
        name: QualifiedName::new("public", "planets"),
        kind: TableKind::Table,
        writes: Writes::ALL,
        comment: Some("Planets.".to_owned()),
        columns: vec![
            Column {
                name: "id".to_owned(),
                ty: PgType::Base {
                    name: "int8".to_owned(),
                },
                nullable: false,
                default: None,
                identity: Some(Identity::Always),
                generated: false,
                comment: None,
            },
            Column {
                name: "moons".to_owned(),
                ty: PgType::Base {
                    name: column_type.to_owned(),
                },
                nullable: true,
                default: None,
                identity: None,
                generated: false,
                comment: None,
            },
        ],
        primary_key: vec!["id".to_owned()],
        unique: Vec::new(),
        foreign_keys: Vec::new(),
    });
    let path = dir.join(format!("{column_type}.json"));
    supabase_codegen::snapshot::save(&ir, &path).expect("save");
    path.display().to_string()
}

#[test]
fn check_passes_when_current_and_fails_with_a_diff_when_stale() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap_i32 = write_snapshot(dir.path(), "int4");
    let snap_i64 = write_snapshot(dir.path(), "int8");
    let out = dir.path().join("db.rs");
    let out_s = out.display().to_string();

    let o = run(&["--from-snapshot", &snap_i32, "--out", &out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let code = std::fs::read_to_string(&out).expect("written");
    assert!(code.starts_with(supabase_codegen::HEADER), "{code}");
    assert!(code.contains("pub moons: Option<i32>,"), "{code}");

    let o = run(&["--from-snapshot", &snap_i32, "--out", &out_s, "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("is up to date"), "{}", stderr(&o));

    let o = run(&["--from-snapshot", &snap_i64, "--out", &out_s, "--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("is stale"), "{err}");
    assert!(err.contains("-        pub moons: Option<i32>,"), "{err}");
    assert!(err.contains("+        pub moons: Option<i64>,"), "{err}");
    // --check never writes.
    assert_eq!(std::fs::read_to_string(&out).expect("still there"), code);
}

#[test]
fn stdout_without_out_and_the_snapshot_is_deterministic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = write_snapshot(dir.path(), "int4");
    let a = run(&["--from-snapshot", &snap, "--quiet"]);
    let b = run(&["--from-snapshot", &snap, "--quiet"]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    assert!(String::from_utf8_lossy(&a.stdout).contains("pub struct Planets"));
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--db-url"), "{}", stderr(&o));
    let o = run(&["--url", "http://localhost"]);
    assert_eq!(o.status.code(), Some(2), "--url needs --key");
    let o = run(&["--from-snapshot", "x.json", "--check"]);
    assert_eq!(o.status.code(), Some(2), "--check needs --out");
}

#[test]
fn failures_exit_3_with_a_clear_message() {
    let o = run(&["--db-url", "postgres://me:s3cret@127.0.0.1:1/db", "--quiet"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("cannot connect to `postgres://me:***@127.0.0.1:1/db`"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"version": 99}"#).expect("write");
    let o = run(&["--from-snapshot", &bad.display().to_string()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("snapshot"), "{}", stderr(&o));

    let config = dir.path().join("codegen.toml");
    std::fs::write(&config, "colums = {}\n").expect("write");
    let snap = write_snapshot(dir.path(), "int4");
    let o = run(&[
        "--from-snapshot",
        &snap,
        "--config",
        &config.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("unknown field `colums`"),
        "{}",
        stderr(&o)
    );

    std::fs::write(
        &config,
        "[columns]\n\"public.planets.moons\" = \"not a type!\"\n",
    )
    .expect("write");
    let o = run(&[
        "--from-snapshot",
        &snap,
        "--config",
        &config.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("is not a Rust type"), "{}", stderr(&o));
}

#[test]
fn a_closed_stdout_or_stderr_keeps_the_exit_code() {
    // `--check ... 2>&1 | head`: the reader may go before the diff is written. A pipe whose
    // read end is already closed makes every write fail (EPIPE); it used to panic (exit 101).
    let closed = || {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        std::process::Stdio::from(writer)
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let snap_i32 = write_snapshot(dir.path(), "int4");
    let snap_i64 = write_snapshot(dir.path(), "int8");
    let out = dir.path().join("db.rs").display().to_string();
    assert!(
        run(&["--from-snapshot", &snap_i32, "--out", &out, "--quiet"])
            .status
            .success()
    );
    let stale = bin()
        .args(["--from-snapshot", &snap_i64, "--out", &out, "--check"])
        .stderr(closed())
        .status()
        .expect("run");
    assert_eq!(stale.code(), Some(1));
    let printed = bin()
        .args(["--from-snapshot", &snap_i32])
        .stdout(closed())
        .stderr(closed())
        .status()
        .expect("run");
    assert_eq!(printed.code(), Some(0));
}

/// `--schema` (or the config's `schemas`) chooses what a snapshot generates, as it chooses what
/// a live source introspects; with neither, every schema the snapshot holds.
#[test]
fn a_snapshot_generates_the_chosen_schemas() {
    const PLANETS: &str = "pub struct Planets";
    const VISITS: &str = "pub struct Visits";
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ir: Ir =
        supabase_codegen::snapshot::load(Path::new(&write_snapshot(dir.path(), "int4")))
            .expect("load");
    let mut other = ir.tables[0].clone();
    other.name = QualifiedName::new("stats", "visits");
    ir.tables.push(other);
    ir.schemas.push("stats".to_owned());
    let snap = dir.path().join("two.json");
    supabase_codegen::snapshot::save(&ir, &snap).expect("save");
    let snap = snap.display().to_string();
    let code = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();

    let o = run(&["--from-snapshot", &snap, "--quiet"]);
    assert!(
        code(&o).contains(VISITS) && code(&o).contains(PLANETS),
        "{}",
        code(&o)
    );

    let o = run(&["--from-snapshot", &snap, "--schema", "stats"]);
    assert!(
        code(&o).contains(VISITS) && !code(&o).contains(PLANETS),
        "{}",
        code(&o)
    );
    assert!(
        stderr(&o).contains("also holds schema(s) public"),
        "{}",
        stderr(&o)
    );

    let config = dir.path().join("codegen.toml");
    std::fs::write(&config, r#"schemas = ["public"]"#).expect("write config");
    let config = config.display().to_string();
    let o = run(&[
        "--from-snapshot",
        &snap,
        "--config",
        &config,
        "--schema",
        "public",
    ]);
    assert!(
        code(&o).contains(PLANETS) && !code(&o).contains(VISITS),
        "{}",
        code(&o)
    );

    // A schema the snapshot was not taken with is an error naming what it holds.
    let o = run(&["--from-snapshot", &snap, "--schema", "app"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`app` in snapshot") && stderr(&o).contains("public, stats"),
        "{}",
        stderr(&o)
    );
}
