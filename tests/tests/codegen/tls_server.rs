//! A small dedicated PostgreSQL cluster for the TLS tests: `initdb`, then `postgres` with
//! `ssl = on`, a certificate made at test time (rcgen: no openssl CLI), and a `pg_hba.conf`
//! that accepts TCP connections over TLS only (`hostssl`), so a plaintext connection is refused.
//! Or, for `prefer`'s fallback, `ssl = off` and plain `host` lines.
//!
//! Not a supabase-local `Stack`: the stack's own connections (readiness, migrations, PostgREST)
//! are plaintext, which a `hostssl`-only server refuses. The server stops when [`PgServer`] is
//! dropped (fast shutdown, then `SIGKILL`), and its directory is removed.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// The superuser's password: tests check that no error message contains it.
pub(crate) const PASSWORD: &str = "tls-test-s3cret";

/// PEM files made at test time.
pub(crate) struct Certs {
    /// The CA that signed the server's certificate.
    pub(crate) ca: String,
    /// An unrelated CA (a "wrong" `sslrootcert`).
    pub(crate) other_ca: String,
    /// The server's certificate: subject alternative name `localhost` only (so `127.0.0.1` is
    /// a wrong host name for `verify-full`).
    pub(crate) server_cert: String,
    /// Its private key.
    pub(crate) server_key: String,
}

fn new_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().expect("CA key");
    let cert = params.self_signed(&key).expect("self-signed CA");
    (cert.pem(), Issuer::new(params, key))
}

impl Certs {
    pub(crate) fn generate() -> Self {
        let (ca, issuer) = new_ca("supabase-rs test CA");
        let (other_ca, _) = new_ca("some other CA");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &issuer).expect("server cert");
        Self {
            ca,
            other_ca,
            server_cert: cert.pem(),
            server_key: key.serialize_pem(),
        }
    }
}

/// Waits for "ready to accept connections" in the log; `Err(log)` if the server exited.
fn wait_ready(child: &mut Child, log: &Path) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(log) {
            let _ = f.read_to_string(&mut text);
        }
        if text.contains("ready to accept connections") {
            return Ok(());
        }
        if child.try_wait().ok().flatten().is_some() {
            return Err(text);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "postgres not ready after 60 s:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running cluster. Dropping it stops the server.
pub(crate) struct PgServer {
    child: Child,
    port: u16,
    // Dropped after `Drop::drop` stopped the server.
    dir: tempfile::TempDir,
}

fn write_owned(path: &Path, contents: &str, mode: u32, user: Option<(u32, u32)>) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
    }
}

fn run_as(cmd: &mut Command, user: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = user {
        std::os::unix::process::CommandExt::uid(cmd, uid);
        std::os::unix::process::CommandExt::gid(cmd, gid);
    }
    cmd
}

impl PgServer {
    /// `initdb` and start. With `certs`: `ssl = on` and TLS-only TCP; without: `ssl = off`.
    pub(crate) fn start(certs: Option<&Certs>) -> Self {
        let bin = supabase_local::find_pg_binaries()
            .unwrap_or_else(|e| panic!("no PostgreSQL (run `cargo xtask setup`): {e}"));
        let user =
            supabase_local::postgres_user().unwrap_or_else(|e| panic!("who runs PostgreSQL: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("supabase-tls-pg-")
            .tempdir()
            .expect("temp dir");
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pwfile");
        write_owned(&pwfile, PASSWORD, 0o600, user);
        let out = run_as(&mut Command::new(&bin.initdb), user)
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "scram-sha-256", "-E", "UTF8"])
            .args(["--locale=C", "--no-sync", "--no-instructions"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .current_dir(dir.path())
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // TCP only (no `local` line: nothing uses the socket), and over TLS only when TLS is on.
        let host = if certs.is_some() { "hostssl" } else { "host" };
        write_owned(
            &data.join("pg_hba.conf"),
            &format!("{host} all all 127.0.0.1/32 scram-sha-256\n"),
            0o600,
            user,
        );
        let mut settings = vec![
            "listen_addresses=127.0.0.1".to_owned(),
            // No Unix socket (nothing uses it; a long $TMPDIR could exceed its path limit).
            "unix_socket_directories=".to_owned(),
            "fsync=off".to_owned(),
            "shared_buffers=16MB".to_owned(),
            "max_connections=20".to_owned(),
        ];
        match certs {
            Some(certs) => {
                // Postgres insists on a private key readable by its owner only.
                write_owned(&data.join("server.crt"), &certs.server_cert, 0o644, user);
                write_owned(&data.join("server.key"), &certs.server_key, 0o600, user);
                settings.extend([
                    "ssl=on".to_owned(),
                    "ssl_cert_file=server.crt".to_owned(),
                    "ssl_key_file=server.key".to_owned(),
                ]);
            }
            None => settings.push("ssl=off".to_owned()),
        }
        let log = dir.path().join("postgres.log");
        for _attempt in 0..5 {
            let port = supabase_tests::free_port();
            let log_file = std::fs::File::create(&log).expect("log file");
            let mut cmd = Command::new(&bin.postgres);
            run_as(&mut cmd, user)
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string()])
                .args(settings.iter().flat_map(|s| ["-c", s.as_str()]))
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("log file"))
                .stderr(log_file);
            let mut child = cmd.spawn().expect("start postgres");
            match wait_ready(&mut child, &log) {
                Ok(()) => {
                    return Self { child, port, dir };
                }
                // Another process took the port meanwhile (the server exited): try another.
                Err(text) if text.contains("already in use") => {}
                Err(text) => panic!("postgres did not start:\n{text}"),
            }
        }
        panic!("postgres: no free port after 5 attempts");
    }

    /// `postgres://postgres:PASSWORD@{host}:{port}/postgres` with `params` as its query.
    pub(crate) fn url(&self, host: &str, params: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/postgres",
            self.port
        ))
        .expect("url");
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        url.to_string()
    }

    /// The TCP port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Writes `pem` into the server's directory; returns its path (for `sslrootcert`).
    pub(crate) fn write_pem(&self, name: &str, pem: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, pem).expect("write pem");
        path.display().to_string()
    }

    /// Fast shutdown (`SIGINT`), bounded, then `SIGKILL`.
    fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}
