//! A stack whose process is killed (SIGKILL: no destructor runs) leaves nothing behind: its
//! servers stop, and its directory is removed with what the services wrote there — files of
//! this process's user in a directory that belongs to `postgres` when we are root.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Polls `done` every 50 ms for at most `limit`.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

/// The data directory (`-D`) of the postgres listening on `port`, from `/proc`.
fn postgres_data_dir(port: u16) -> Option<PathBuf> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            let has = |flag: &str, value: &str| {
                args.windows(2)
                    .any(|w| w[0] == flag.as_bytes() && w[1] == value.as_bytes())
            };
            if !has("-p", &port.to_string()) {
                return None;
            }
            let at = args.iter().position(|a| *a == b"-D")?;
            Some(PathBuf::from(
                String::from_utf8_lossy(args.get(at + 1)?).into_owned(),
            ))
        })
}

#[tokio::test]
async fn a_killed_stack_leaves_nothing_behind() {
    let project = tempfile::tempdir().unwrap();
    let state_file = project.path().join(".supabase-local/state.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_supabase-local"))
        .args(["start", "--foreground", "--project"])
        .arg(project.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = eventually(Duration::from_secs(120), || {
        state_file.is_file() || child.try_wait().unwrap().is_some()
    });
    assert!(started && state_file.is_file(), "the stack did not start");
    let state: Value = serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    let api = state["api_url"].as_str().unwrap();
    let key = state["service_role_key"].as_str().unwrap();
    let db_port: u16 = url::Url::parse(state["db_url"].as_str().unwrap())
        .unwrap()
        .port()
        .unwrap();
    let stack_dir = postgres_data_dir(db_port)
        .and_then(|data| data.parent().map(Path::to_owned))
        .expect("the stack's postgres");

    // The storage service writes an object under the stack's directory, as this process's user.
    let http = reqwest::Client::new();
    for (path, body) in [
        ("bucket", r#"{"name":"kept"}"#.to_owned()),
        ("object/kept/a/b.txt", "hello".to_owned()),
    ] {
        let resp = http
            .post(format!("{api}/storage/v1/{path}"))
            .header("apikey", key)
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
    }
    assert!(stack_dir.join("services/storage").is_dir());

    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        eventually(Duration::from_secs(30), || postgres_data_dir(db_port)
            .is_none()),
        "postgres still runs on {db_port}"
    );
    assert!(
        eventually(Duration::from_secs(30), || !stack_dir.exists()),
        "{} is left: {:?}",
        stack_dir.display(),
        std::fs::read_dir(&stack_dir).map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
    );
}
