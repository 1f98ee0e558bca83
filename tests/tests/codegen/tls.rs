//! `--db-url` over real TLS: a PostgreSQL with `ssl = on`, a certificate signed by a CA made at
//! test time, and TCP accepted over TLS only (`hostssl`), driven through supabase-codegen's own
//! connection path (`source::postgres::connect` / `introspect`) with libpq's `sslmode` values.

use supabase_codegen::source::postgres::{connect, introspect};

use crate::tls_server::{Certs, PASSWORD, PgServer};

fn public() -> Vec<String> {
    vec!["public".to_owned()]
}

/// Whether the connection of `url` is encrypted, as the server sees it.
async fn server_says_ssl(url: &str) -> bool {
    let client = connect(url).await.expect("connect");
    let row = client
        .query_one(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl");
    row.get(0)
}

/// Connects through `url`, creates a table, and checks that introspection over the same path
/// finds it.
async fn introspects(url: &str, table: &str) {
    let client = connect(url).await.expect("connect");
    client
        .batch_execute(&format!(
            "create table if not exists public.{table} (id int primary key, note text)"
        ))
        .await
        .expect("create table");
    drop(client);
    let ir = introspect(url, &public()).await.expect("introspect");
    let found = ir
        .tables
        .iter()
        .find(|t| t.name.schema == "public" && t.name.name == table)
        .unwrap_or_else(|| panic!("{table} not introspected: {:?}", ir.tables));
    let columns: Vec<&str> = found.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["id", "note"]);
}

fn assert_clean_error(message: &str) {
    assert!(!message.contains(PASSWORD), "password leaked: {message}");
    assert!(message.contains(":***@"), "password redacted: {message}");
}

/// `require` encrypts (the server reports TLS for the session) and introspects; so do
/// `prefer` and no `sslmode` at all (libpq's default) when the server offers TLS.
#[tokio::test]
async fn require_connects_and_introspects_over_tls() {
    let certs = Certs::generate();
    let server = PgServer::start(Some(&certs));
    let require = server.url("127.0.0.1", &[("sslmode", "require")]);
    introspects(&require, "over_tls").await;
    assert!(server_says_ssl(&require).await, "require: TLS session");
    for url in [
        server.url("127.0.0.1", &[("sslmode", "prefer")]),
        server.url("127.0.0.1", &[]),
    ] {
        assert!(
            server_says_ssl(&url).await,
            "prefer uses offered TLS: {url}"
        );
    }
}

/// `verify-full` with the CA as `sslrootcert` (a file, as libpq) and the certificate's host
/// name connects; `verify-ca` accepts any host name; `require` plus a CA checks the chain.
#[tokio::test]
async fn verify_full_with_the_ca_connects() {
    let certs = Certs::generate();
    let server = PgServer::start(Some(&certs));
    let ca = server.write_pem("ca.pem", &certs.ca);
    // The certificate names `localhost`; `hostaddr` pins the address (as in libpq) so the test
    // does not depend on how `localhost` resolves.
    let full = server.url(
        "localhost",
        &[
            ("hostaddr", "127.0.0.1"),
            ("sslmode", "verify-full"),
            ("sslrootcert", &ca),
        ],
    );
    introspects(&full, "verified").await;
    assert!(server_says_ssl(&full).await);
    // The `key=value` form takes the same parameters.
    let key_value = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user=postgres password={PASSWORD} \
         dbname=postgres sslmode=verify-full sslrootcert={ca}",
        server.port()
    );
    assert!(server_says_ssl(&key_value).await, "key=value verify-full");
    for mode in ["verify-ca", "require"] {
        let url = server.url("127.0.0.1", &[("sslmode", mode), ("sslrootcert", &ca)]);
        assert!(server_says_ssl(&url).await, "{mode}");
    }
}

/// A CA that did not sign the server's certificate, or a host name the certificate does not
/// name, fails the handshake with an error about the certificate, password redacted.
#[tokio::test]
async fn verify_full_rejects_a_wrong_ca_or_host_name() {
    let certs = Certs::generate();
    let server = PgServer::start(Some(&certs));
    let ca = server.write_pem("ca.pem", &certs.ca);
    let other = server.write_pem("other-ca.pem", &certs.other_ca);

    for (host, mode, root, why) in [
        ("localhost", "verify-full", &other, "UnknownIssuer"),
        ("127.0.0.1", "verify-ca", &other, "UnknownIssuer"),
        ("127.0.0.1", "require", &other, "UnknownIssuer"),
        ("127.0.0.1", "verify-full", &ca, "not valid for name"),
    ] {
        let url = server.url(
            host,
            &[
                ("hostaddr", "127.0.0.1"),
                ("sslmode", mode),
                ("sslrootcert", root.as_str()),
            ],
        );
        let err = introspect(&url, &public())
            .await
            .expect_err("the certificate must not be accepted");
        assert!(
            matches!(err, supabase_codegen::Error::Connect { .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("TLS") && message.contains("certificate") && message.contains(why),
            "{host} {mode}: {message}"
        );
        assert_clean_error(&message);
    }
}

/// `disable` sends no TLS request, and the `hostssl`-only server refuses the plaintext
/// connection with its own clear message. `allow` (libpq: plaintext, then TLS when refused)
/// connects, over TLS.
#[tokio::test]
async fn disable_is_refused_by_a_tls_only_server() {
    let certs = Certs::generate();
    let server = PgServer::start(Some(&certs));
    let url = server.url("127.0.0.1", &[("sslmode", "disable")]);
    let err = introspect(&url, &public())
        .await
        .expect_err("plaintext must be refused");
    let message = err.to_string();
    assert!(
        message.contains("no pg_hba.conf entry") && message.contains("no encryption"),
        "{message}"
    );
    assert_clean_error(&message);
    let allow = server.url("127.0.0.1", &[("sslmode", "allow")]);
    assert!(server_says_ssl(&allow).await, "allow falls back to TLS");
}

/// Against a server with `ssl = off`: `prefer` (and the default) falls back to plaintext, as
/// libpq does; `require` and `verify-full` refuse to go on without TLS.
#[tokio::test]
async fn prefer_falls_back_to_plaintext_when_ssl_is_off() {
    let server = PgServer::start(None);
    let prefer = server.url("127.0.0.1", &[("sslmode", "prefer")]);
    introspects(&prefer, "plaintext").await;
    assert!(!server_says_ssl(&prefer).await, "prefer: plaintext session");
    assert!(!server_says_ssl(&server.url("127.0.0.1", &[])).await);
    let certs = Certs::generate();
    let ca = server.write_pem("ca.pem", &certs.ca);
    for params in [
        vec![("sslmode", "require")],
        vec![("sslmode", "verify-full"), ("sslrootcert", ca.as_str())],
    ] {
        let url = server.url("127.0.0.1", &params);
        let err = introspect(&url, &public())
            .await
            .expect_err("no TLS, no connection");
        let message = err.to_string();
        assert!(message.contains("TLS"), "{message}");
        assert_clean_error(&message);
    }
}
