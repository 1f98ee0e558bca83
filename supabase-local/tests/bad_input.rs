//! Bad set-ups give one clear error and leave nothing running: no Postgres binaries, no npm to
//! provision PostgREST with, a busy port. The first two run the `supabase-local` binary with the
//! environment changed for that process only.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use supabase_local::{Stack, StackError};

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/stack")
}

fn start_foreground(env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_supabase-local"));
    cmd.args(["start", "--foreground", "--project"])
        .arg(project());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run supabase-local")
}

fn postgres_children_of_nobody_left(marker: &Path) {
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    let text = String::from_utf8_lossy(&ps.stdout);
    assert!(
        !text.lines().any(|l| l.contains(&*marker.to_string_lossy())),
        "a process still uses {}:\n{text}",
        marker.display()
    );
}

#[test]
fn missing_postgres_binaries_are_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = start_foreground(&[("SUPABASE_LOCAL_PG_BIN", empty.path())]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SUPABASE_LOCAL_PG_BIN"), "{stderr}");
    assert!(stderr.contains("postgres"), "{stderr}");
}

#[test]
fn missing_npm_lists_every_place_looked_and_what_to_install() {
    // A PATH with the tools the stack uses, but neither npm nor postgrest; an empty cache.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["tar", "cp", "kill", "df", "sh"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let path = String::from_utf8_lossy(&found.stdout).trim().to_owned();
        symlink(&path, bin.path().join(tool)).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let out = start_foreground(&[("PATH", bin.path()), ("SUPABASE_LOCAL_CACHE", cache.path())]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in ["SUPABASE_LOCAL_POSTGREST", "PATH", "npm"] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in: {stderr}"
        );
    }
    postgres_children_of_nobody_left(cache.path());
}

#[tokio::test]
async fn a_busy_gateway_port_fails_before_anything_starts() {
    let busy = (20_000u16..32_000)
        .find_map(|p| std::net::TcpListener::bind(("127.0.0.1", p)).ok())
        .expect("a free port below 32768");
    let port = busy.local_addr().unwrap().port();
    let err = Stack::builder()
        .project_dir(project())
        .gateway_port(port)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, StackError::Port { port: p, .. } if p == port),
        "{err:?}"
    );
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

#[tokio::test]
async fn a_db_port_another_stack_holds_is_a_clear_error() {
    let first = Stack::builder().start().await.unwrap();
    let port = first.ports().db;
    let err = Stack::builder().db_port(port).start().await.unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("already in use") && shown.contains(&port.to_string()),
        "{err:?}"
    );
    // The first stack still serves.
    let status = reqwest::get(format!("{}/rest/v1/", first.url()))
        .await
        .unwrap()
        .status();
    assert!(status.is_success() || status.as_u16() == 401, "{status}");
}
