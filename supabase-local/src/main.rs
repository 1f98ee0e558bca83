//! `supabase-local start [--foreground] [--project DIR] | stop | status`: the local stack as a
//! background service, printing what `supabase start` prints.
//!
//! `start` re-executes itself with `--foreground`, detached in its own process group, waits until
//! the stack is ready, and prints its URLs and keys. The foreground process records them with its
//! pid in `<project>/.supabase-local/state.json` (its output goes to `stack.log` next to it) and
//! stops the stack cleanly on SIGTERM or Ctrl-C. `stop` sends SIGTERM to that pid.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use supabase_local::Stack;

const USAGE: &str =
    "usage: supabase-local start [--foreground] [--project DIR] [--api-port PORT] [--db-port PORT]
       supabase-local stop [--project DIR]
       supabase-local status [--project DIR]";

/// `println!` that ignores a closed stdout (e.g. `supabase-local status | head -1`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// What `start` prints and `status` reads back. No `Debug`: it holds the keys and the JWT
/// secret, which only `print` shows (as `supabase status` does).
#[derive(Serialize, Deserialize)]
struct State {
    pid: u32,
    api_url: String,
    db_url: String,
    jwt_secret: String,
    anon_key: String,
    service_role_key: String,
}

impl State {
    fn print(&self) {
        say!("         API URL: {}", self.api_url);
        say!("          DB URL: {}", self.db_url);
        say!("      JWT secret: {}", self.jwt_secret);
        say!("        anon key: {}", self.anon_key);
        say!("service_role key: {}", self.service_role_key);
    }
}

#[derive(Debug, Default)]
struct Args {
    command: String,
    foreground: bool,
    project: Option<PathBuf>,
    api_port: Option<u16>,
    db_port: Option<u16>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    args.command = it.next().ok_or("missing command")?;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--foreground" => args.foreground = true,
            "--project" => args.project = Some(PathBuf::from(value("--project")?)),
            "--api-port" => {
                args.api_port = Some(
                    value("--api-port")?
                        .parse()
                        .map_err(|e| format!("--api-port: {e}"))?,
                );
            }
            "--db-port" => {
                args.db_port = Some(
                    value("--db-port")?
                        .parse()
                        .map_err(|e| format!("--db-port: {e}"))?,
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let project = args.project.clone().unwrap_or_else(|| PathBuf::from("."));
    let project = std::fs::canonicalize(&project).unwrap_or(project);
    let state_dir = project.join(".supabase-local");
    let result = match (args.command.as_str(), args.foreground) {
        ("start", true) => foreground(&args, &project, &state_dir).await,
        ("start", false) => detach(&args, &project, &state_dir),
        ("stop", _) => stop(&state_dir),
        ("status", _) => status(&state_dir),
        (other, _) => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("supabase-local: {e}");
            ExitCode::FAILURE
        }
    }
}

fn state_file(state_dir: &Path) -> PathBuf {
    state_dir.join("state.json")
}

fn read_state(state_dir: &Path) -> Option<State> {
    serde_json::from_slice(&std::fs::read(state_file(state_dir)).ok()?).ok()
}

/// Whether `pid` runs (a zombie — exited, not yet reaped — does not count).
fn alive(pid: u32) -> bool {
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        return state.is_some_and(|s| s != "Z" && s != "X");
    }
    if Path::new("/proc/self/stat").exists() {
        return false;
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the stack in this process until SIGTERM / SIGINT / SIGHUP.
async fn foreground(args: &Args, project: &Path, state_dir: &Path) -> Result<ExitCode, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut builder = Stack::builder().project_dir(project);
    if let Some(port) = args.api_port {
        builder = builder.gateway_port(port);
    }
    if let Some(port) = args.db_port {
        builder = builder.db_port(port);
    }
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    let stack = builder.start().await.map_err(|e| e.to_string())?;
    let state = State {
        pid: std::process::id(),
        api_url: stack.url(),
        db_url: stack.db_url(),
        jwt_secret: stack.jwt_secret().to_owned(),
        anon_key: stack.anon_key().to_owned(),
        service_role_key: stack.service_role_key().to_owned(),
    };
    std::fs::create_dir_all(state_dir).map_err(|e| format!("{}: {e}", state_dir.display()))?;
    let json = serde_json::to_vec_pretty(&state).map_err(|e| e.to_string())?;
    std::fs::write(state_file(state_dir), json)
        .map_err(|e| format!("{}: {e}", state_dir.display()))?;
    say!("Started supabase local development setup.\n");
    state.print();
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    drop(stack);
    let _ = std::fs::remove_file(state_file(state_dir));
    say!("Stopped supabase local development setup.");
    Ok(ExitCode::SUCCESS)
}

/// Starts `--foreground` detached, waits for its state file, prints it.
fn detach(args: &Args, project: &Path, state_dir: &Path) -> Result<ExitCode, String> {
    if let Some(state) = read_state(state_dir).filter(|s| alive(s.pid)) {
        say!("supabase-local is already running.\n");
        state.print();
        return Ok(ExitCode::SUCCESS);
    }
    let _ = std::fs::remove_file(state_file(state_dir));
    std::fs::create_dir_all(state_dir).map_err(|e| format!("{}: {e}", state_dir.display()))?;
    let log_path = state_dir.join("stack.log");
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let err_log = log.try_clone().map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(["start", "--foreground", "--project"])
        .arg(project);
    if let Some(port) = args.api_port {
        cmd.args(["--api-port", &port.to_string()]);
    }
    if let Some(port) = args.db_port {
        cmd.args(["--db-port", &port.to_string()]);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err_log)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the stack process: {e}"))?;
    let started = Instant::now();
    loop {
        if let Some(state) = read_state(state_dir).filter(|s| s.pid == child.id()) {
            say!("Started supabase local development setup.\n");
            state.print();
            return Ok(ExitCode::SUCCESS);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(format!(
                "the stack process exited ({status}); {}:\n{log}",
                log_path.display()
            ));
        }
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            return Err(format!(
                "the stack was not ready after 180s; see {}",
                log_path.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(state_dir: &Path) -> Result<ExitCode, String> {
    let Some(state) = read_state(state_dir).filter(|s| alive(s.pid)) else {
        let _ = std::fs::remove_file(state_file(state_dir));
        say!("supabase-local is not running.");
        return Ok(ExitCode::SUCCESS);
    };
    let sent = Command::new("kill")
        .args(["-TERM", &state.pid.to_string()])
        .status();
    if !sent.is_ok_and(|s| s.success()) {
        return Err(format!("could not signal process {}", state.pid));
    }
    let started = Instant::now();
    while alive(state.pid) {
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("process {} did not stop within 30s", state.pid));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_file(state_file(state_dir));
    say!("Stopped supabase local development setup.");
    Ok(ExitCode::SUCCESS)
}

fn status(state_dir: &Path) -> Result<ExitCode, String> {
    match read_state(state_dir).filter(|s| alive(s.pid)) {
        Some(state) => {
            say!("supabase-local is running (pid {}).\n", state.pid);
            state.print();
            Ok(ExitCode::SUCCESS)
        }
        None => {
            say!("supabase-local is not running.");
            Ok(ExitCode::FAILURE)
        }
    }
}
