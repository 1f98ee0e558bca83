//! Child supervision: every server runs under a tiny `sh` watchdog, so no process outlives us.
//!
//! The watchdog's stdin is a pipe whose only writer is this process. When the pipe closes —
//! because the [`Supervised`] handle is dropped, or because this process exited for *any* reason,
//! SIGKILL included, or a `static` stack was never dropped — the watchdog signals the server and
//! waits for it. A server with a directory to remove afterwards also gets a janitor, on a pipe
//! of its own, that removes it once the server has exited. No `unsafe`, no `prctl`.

use std::ffi::OsString;
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::StackError;
use crate::sys;

/// `$1` = signal name, `$2..` = the command. Prints the server's pid, then waits for either the
/// server to exit or stdin to close (then sends the signal). fd 3 keeps the pipe for the reader.
const WATCHDOG: &str = r#"sig=$1; shift
exec 3<&0 0</dev/null
"$@" 3<&- 1>&2 &
pid=$!
echo "$pid"
exec 1>/dev/null
{ read _ <&3; kill -s "$sig" "$pid" 2>/dev/null; } &
reader=$!
exec 3<&-
wait "$pid"
status=$?
kill "$reader" 2>/dev/null
exit "$status""#;

/// `$1` = the server's pid, `$2` = the directory. When stdin closes without a line (the handle
/// was dropped, or this process died), waits for the server to exit (at most 30 s) and removes
/// the directory; the line `keep` dismisses it. It runs as this process's user, not the
/// server's: a stack's directory belongs to `postgres` when we are root, and holds directories
/// of root's (the services' files) that `postgres` may not remove.
const JANITOR: &str = r#"read line
[ "$line" = keep ] && exit 0
n=0
while kill -0 "$1" 2>/dev/null && [ "$n" -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
rm -rf "$2""#;

/// How long [`Supervised::stop`] waits for a graceful exit before `kill -9`.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What to run and how. `Debug` shows the environment's names only (it may hold keys).
pub(crate) struct Spec<'a> {
    /// `postgres` or `postgrest` (for errors).
    pub(crate) service: &'static str,
    pub(crate) program: &'a Path,
    pub(crate) args: Vec<OsString>,
    pub(crate) envs: Vec<(String, String)>,
    /// Whether the server also gets this process's environment (less `PGRST_*`), or only
    /// `envs`.
    pub(crate) inherit_env: bool,
    /// stdout and stderr of the server go here.
    pub(crate) log: PathBuf,
    /// Signal for a graceful stop (`INT` for Postgres's fast shutdown, `TERM` for PostgREST).
    pub(crate) stop_signal: &'static str,
    /// Run as this `(uid, gid)`.
    pub(crate) user: Option<(u32, u32)>,
    /// Working directory.
    pub(crate) cwd: &'a Path,
    /// Directory removed once the server was stopped — by dropping the handle or by this process
    /// exiting — but not when the server exited by itself (a port clash that the caller retries).
    pub(crate) cleanup: Option<&'a Path>,
}

impl fmt::Debug for Spec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("service", &self.service)
            .field("program", &self.program)
            .field("args", &self.args)
            .field("envs", &names(&self.envs))
            .field("inherit_env", &self.inherit_env)
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

/// The names of an environment, for `Debug` output that must not show values.
pub(crate) fn names(env: &[(String, String)]) -> Vec<&str> {
    env.iter().map(|(name, _)| name.as_str()).collect()
}

/// A running server under its watchdog. Dropping it stops the server.
#[derive(Debug)]
pub(crate) struct Supervised {
    service: &'static str,
    watchdog: Option<Child>,
    stdin: Option<ChildStdin>,
    pid: u32,
    log: PathBuf,
    janitor: Option<Janitor>,
}

/// The janitor of a [`Spec::cleanup`] directory (see [`JANITOR`]).
#[derive(Debug)]
struct Janitor {
    process: Child,
    stdin: ChildStdin,
}

impl Janitor {
    fn spawn(server_pid: u32, dir: &Path) -> std::io::Result<Self> {
        let mut process = Command::new("/bin/sh")
            .arg("-c")
            .arg(JANITOR)
            .arg("supabase-local-janitor")
            .arg(server_pid.to_string())
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let Some(stdin) = process.stdin.take() else {
            let _ = process.kill();
            let _ = process.wait();
            return Err(std::io::Error::other("the janitor has no stdin pipe"));
        };
        Ok(Self { process, stdin })
    }

    /// Lets it remove the directory (`keep`: dismisses it instead), and waits until it did.
    fn finish(self, keep: bool) {
        let Self {
            mut process,
            mut stdin,
        } = self;
        if keep {
            let _ = stdin.write_all(b"keep\n");
        }
        drop(stdin);
        let _ = process.wait();
    }
}

impl Supervised {
    pub(crate) fn spawn(spec: Spec<'_>) -> Result<Self, StackError> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)
            .map_err(|e| StackError::io("opening log file", &spec.log, e))?;
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(WATCHDOG)
            .arg("supabase-local-watchdog")
            .arg(spec.stop_signal)
            .arg(spec.program)
            .args(&spec.args)
            .current_dir(spec.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file);
        if spec.inherit_env {
            // Never let the caller's PostgREST settings leak into ours.
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("PGRST_") {
                    cmd.env_remove(key);
                }
            }
        } else {
            cmd.env_clear();
        }
        cmd.envs(spec.envs.iter().map(|(k, v)| (k, v)));
        if let Some((uid, gid)) = spec.user {
            cmd.uid(uid).gid(gid);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| StackError::io("starting watchdog for", spec.program, e))?;
        let stdin = child.stdin.take();
        let pid_line = child.stdout.take().map(|out| {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            line
        });
        let mut this = Self {
            service: spec.service,
            watchdog: Some(child),
            stdin,
            pid: 0,
            log: spec.log,
            janitor: None,
        };
        match pid_line
            .as_deref()
            .map(str::trim)
            .and_then(|l| l.parse().ok())
        {
            Some(pid) => this.pid = pid,
            None => {
                this.stop();
                return Err(this.exited_error("watchdog did not report a pid".into()));
            }
        }
        if let Some(dir) = spec.cleanup {
            match Janitor::spawn(this.pid, dir) {
                Ok(janitor) => this.janitor = Some(janitor),
                Err(e) => {
                    this.stop();
                    return Err(StackError::io("starting the janitor of", dir, e));
                }
            }
        }
        Ok(this)
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the server holds the socket listening on `port` ([`sys::listens_on`]); where
    /// `/proc` cannot tell, it is taken to.
    pub(crate) fn holds_port(&self, port: u16) -> bool {
        sys::listens_on(self.pid, port) != Some(false)
    }

    /// The watchdog's process id.
    pub(crate) fn watchdog_pid(&self) -> Option<u32> {
        self.watchdog.as_ref().map(Child::id)
    }

    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// `Some(status)` once the server has exited (its watchdog exits with it).
    pub(crate) fn exit_status(&mut self) -> Option<ExitStatus> {
        self.watchdog
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// An [`StackError::Exited`] for this server, with its log tail.
    pub(crate) fn exited_error(&self, status: String) -> StackError {
        StackError::Exited {
            service: self.service,
            status,
            log: self.log.clone(),
            log_tail: sys::tail_file(&self.log, 30),
        }
    }

    /// Stops the server: closes the watchdog's pipe, waits (bounded), then `kill -9`; then its
    /// janitor removes its directory, unless the server had exited by itself.
    pub(crate) fn stop(&mut self) {
        let exited_by_itself = self.exit_status().is_some();
        self.stop_server();
        if let Some(janitor) = self.janitor.take() {
            janitor.finish(exited_by_itself);
        }
    }

    fn stop_server(&mut self) {
        drop(self.stdin.take());
        let Some(mut child) = self.watchdog.take() else {
            return;
        };
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                _ => break,
            }
        }
        tracing::warn!(
            service = self.service,
            pid = self.pid,
            "did not stop in time; sending SIGKILL"
        );
        if self.pid != 0 {
            let _ = Command::new("kill")
                .arg("-9")
                .arg(self.pid.to_string())
                .status();
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: u32) -> bool {
        Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn spec<'a>(dir: &'a Path, program: &'a Path, args: &[&str]) -> Spec<'a> {
        Spec {
            service: "test",
            program,
            args: args.iter().map(OsString::from).collect(),
            envs: vec![],
            inherit_env: true,
            log: dir.join("test.log"),
            stop_signal: "TERM",
            user: None,
            cwd: dir,
            cleanup: None,
        }
    }

    #[test]
    fn debug_shows_the_environment_by_name_only() {
        let dir = Path::new("/tmp");
        let mut spec = spec(dir, Path::new("/bin/true"), &[]);
        spec.envs = vec![("PGRST_DB_URI".into(), "postgres://u:hunter2@h/db".into())];
        let dbg = format!("{spec:?}");
        assert!(
            dbg.contains("PGRST_DB_URI") && !dbg.contains("hunter2"),
            "{dbg}"
        );
    }

    #[test]
    fn drop_stops_the_child() {
        let dir = tempfile::tempdir().unwrap();
        let sleep = sys::which("sleep").unwrap();
        let mut s = Supervised::spawn(spec(dir.path(), &sleep, &["300"])).unwrap();
        let pid = s.pid();
        assert!(alive(pid));
        assert!(s.exit_status().is_none());
        drop(s);
        assert!(!alive(pid), "child {pid} still alive after drop");
    }

    #[test]
    fn cleans_up_only_after_stopping_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let sh = sys::which("sh").unwrap();
        let sleep = sys::which("sleep").unwrap();
        let doomed = dir.path().join("doomed");
        std::fs::create_dir(&doomed).unwrap();
        let mut exits = spec(dir.path(), &sh, &["-c", "exit 0"]);
        exits.cleanup = Some(&doomed);
        let mut s = Supervised::spawn(exits).unwrap();
        while s.exit_status().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            doomed.is_dir(),
            "a server that exits by itself keeps its directory"
        );
        drop(s);
        assert!(doomed.is_dir());

        let mut stopped = spec(dir.path(), &sleep, &["300"]);
        stopped.cleanup = Some(&doomed);
        drop(Supervised::spawn(stopped).unwrap());
        assert!(
            !doomed.exists(),
            "stopping the server removes its directory"
        );
    }

    #[test]
    fn the_directory_of_a_server_running_as_another_user_is_removed_whole() {
        // As root the server runs as `postgres` (as Postgres does), in a directory it owns, which
        // also holds a directory of root's with a file in it; otherwise all is one user's.
        let user = sys::postgres_user().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let doomed = dir.path().join("doomed");
        std::fs::create_dir(&doomed).unwrap();
        sys::chown(&doomed, user).unwrap();
        std::fs::create_dir_all(doomed.join("ours/nested")).unwrap();
        std::fs::write(doomed.join("ours/nested/object"), b"x").unwrap();
        let sleep = sys::which("sleep").unwrap();
        let mut server = spec(Path::new("/"), &sleep, &["300"]);
        server.log = dir.path().join("test.log");
        server.user = user;
        server.cleanup = Some(&doomed);
        let s = Supervised::spawn(server).unwrap();
        let pid = s.pid();
        drop(s);
        assert!(!alive(pid));
        assert!(!doomed.exists(), "{:?} left", std::fs::read_dir(&doomed));
    }

    #[test]
    fn reports_early_exit_with_log() {
        let dir = tempfile::tempdir().unwrap();
        let sh = sys::which("sh").unwrap();
        let mut s =
            Supervised::spawn(spec(dir.path(), &sh, &["-c", "echo boom >&2; exit 3"])).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            if let Some(st) = s.exit_status() {
                break st;
            }
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(3));
        assert!(sys::tail_file(s.log(), 5).contains("boom"));
    }
}
