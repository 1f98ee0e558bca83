//! TLS for `--db-url`, with libpq's `sslmode` semantics (tokio-postgres only knows `disable`,
//! `prefer` and `require`, and verifies nothing itself):
//!
//! | `sslmode` | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow` | as `prefer` (libpq tries plaintext first, then TLS; both connect wherever libpq does) | no |
//! | `prefer` (default) | when the server offers it | no |
//! | `require` | always | no (as libpq: encryption only), unless `sslrootcert` is given: then as `verify-ca` |
//! | `verify-ca` | always | chain to a trusted root, any host name |
//! | `verify-full` | always | chain and host name |
//!
//! Trusted roots: the PEM file of `sslrootcert`, or the system's roots (`rustls-native-certs`)
//! when it is absent or `system`. As in libpq (16+), `sslrootcert=system` makes `verify-full`
//! the default and refuses any weaker `sslmode`. Supabase's hosted databases use their own CA: download it
//! from the dashboard and pass `sslrootcert=prod-ca-2021.crt` with `verify-full`, or use
//! `require`.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::conninfo;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, certificate not checked.
    Prefer,
    /// TLS, certificate not checked.
    Require,
    /// TLS, certificate chain checked.
    VerifyCa,
    /// TLS, certificate chain and host name checked.
    VerifyFull,
}

/// A database URL split into what tokio-postgres parses and what TLS needs.
#[derive(Clone, PartialEq, Eq)]
pub struct DbTarget {
    /// The URL for tokio-postgres: `sslmode` mapped to `disable`/`prefer`/`require`,
    /// `sslrootcert` removed.
    pub url: String,
    /// The mode asked for.
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file of trusted roots (`None` or `system`: the system's roots).
    pub root_cert: Option<String>,
}

impl std::fmt::Debug for DbTarget {
    // The URL carries the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbTarget")
            .field("url", &crate::error::redact_db_url(&self.url))
            .field("mode", &self.mode)
            .field("root_cert", &self.root_cert)
            .finish()
    }
}

/// A query component decoded as tokio-postgres and libpq decode it: `%XX` only.
fn percent_decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Reads `sslmode` / `sslrootcert` from a `postgres://` URL or a `key = value` string.
pub fn parse(db_url: &str) -> Result<DbTarget, String> {
    let url = if conninfo::is_url(db_url) {
        Some(url::Url::parse(db_url).map_err(|e| e.to_string())?)
    } else {
        None
    };
    // Each pair with its text as written, for a URL: the pairs kept go back unchanged (a
    // form-encoding round trip would turn `%20` into `+`, which tokio-postgres, decoding as
    // libpq does, reads as a plus).
    let pairs: Vec<(String, String, String)> = match &url {
        Some(url) => url
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|segment| !segment.is_empty())
            .map(|segment| {
                let (k, v) = segment.split_once('=').unwrap_or((segment, ""));
                (percent_decoded(k), percent_decoded(v), segment.to_owned())
            })
            .collect(),
        None => conninfo::key_values(db_url)
            .ok_or(
                "neither a postgres:// URL nor libpq's `key = value` form (an unterminated quote, \
                 a key without `=`?)",
            )?
            .into_iter()
            .map(|(k, v)| (k, v, String::new()))
            .collect(),
    };
    let mut mode = None;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for (k, v, written) in pairs {
        match k.as_str() {
            "sslmode" => {
                mode = Some(match v.as_str() {
                    "disable" => SslMode::Disable,
                    // libpq's `allow` falls back to TLS when the server refuses plaintext;
                    // `prefer` connects in every case `allow` does.
                    "allow" | "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    other => {
                        return Err(format!(
                            "unknown sslmode `{other}` (disable, prefer, require, verify-ca, verify-full)"
                        ));
                    }
                });
            }
            "sslrootcert" => root_cert = Some(v),
            _ => kept.push((k, v, written)),
        }
    }
    let system_roots = root_cert.as_deref() == Some("system");
    let mut mode = mode.unwrap_or(if system_roots {
        SslMode::VerifyFull
    } else {
        SslMode::Prefer
    });
    // libpq: `sslrootcert=system` only with `verify-full` (anything weaker would not check the
    // certificate against the roots the user named).
    if system_roots && mode != SslMode::VerifyFull {
        return Err(
            "sslrootcert=system needs sslmode=verify-full (as libpq; it is the default then)"
                .to_owned(),
        );
    }
    // libpq: `require` with a root certificate behaves as `verify-ca`.
    if mode == SslMode::Require && root_cert.is_some() {
        mode = SslMode::VerifyCa;
    }
    let wire = match mode {
        SslMode::Disable => "disable",
        SslMode::Prefer => "prefer",
        _ => "require",
    };
    let url = match url {
        Some(mut url) => {
            let mut query: Vec<String> = kept.into_iter().map(|(_, _, written)| written).collect();
            query.push(format!("sslmode={wire}"));
            url.set_query(Some(&query.join("&")));
            url.to_string()
        }
        None => {
            let mut pairs: Vec<(String, String)> =
                kept.into_iter().map(|(k, v, _)| (k, v)).collect();
            pairs.push(("sslmode".to_owned(), wire.to_owned()));
            conninfo::to_key_values(&pairs)
        }
    };
    Ok(DbTarget {
        url,
        mode,
        root_cert,
    })
}

/// The rustls configuration for `target`'s mode.
pub fn client_config(target: &DbTarget) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match target.mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoCertCheck(provider)))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(roots(target.root_cert.as_deref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| e.to_string())?;
            let verifier: Arc<dyn ServerCertVerifier> = if target.mode == SslMode::VerifyCa {
                Arc::new(AnyHostName(webpki))
            } else {
                webpki
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        }
    };
    Ok(config)
}

fn roots(file: Option<&str>) -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    match file.filter(|f| *f != "system") {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert `{path}`: {e}"))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("sslrootcert `{path}`: {e}"))?;
                store
                    .add(cert)
                    .map_err(|e| format!("sslrootcert `{path}`: {e}"))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // Skip the odd unparsable system certificate, as browsers do.
                let _ = store.add(cert);
            }
        }
    }
    if store.is_empty() {
        return Err("no trusted root certificate: pass sslrootcert=<file.pem>".to_owned());
    }
    Ok(store)
}

/// `require` / `prefer`: encryption without authentication, as libpq. Signatures are still
/// checked (the peer must hold the key of the certificate it sent).
#[derive(Debug)]
struct NoCertCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCertCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct AnyHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpqs_spaced_and_quoted_form_reaches_tokio_postgres_unchanged() {
        let target = parse(r"host = h password = 'a b\'c=d' sslmode=require").unwrap();
        assert_eq!(target.mode, SslMode::Require);
        let config: tokio_postgres::Config = target.url.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"a b'c=d"[..]));
        assert!(parse("host=h password='open").is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        for url in [
            "postgres://me:s3cret@h/db?sslmode=require",
            "host=h password=s3cret sslmode=require",
        ] {
            let shown = format!("{:?}", parse(url).unwrap());
            assert!(
                !shown.contains("s3cret") && shown.contains("Require"),
                "{shown}"
            );
        }
    }

    #[test]
    fn sslmode_selects_tls_and_the_url_stays_parsable() {
        for (url, mode, wire) in [
            ("postgres://u:p@h:5432/db", SslMode::Prefer, "prefer"),
            (
                "postgres://u:p@h/db?sslmode=disable",
                SslMode::Disable,
                "disable",
            ),
            (
                "postgres://u:p@h/db?sslmode=require",
                SslMode::Require,
                "require",
            ),
            (
                "postgresql://u:p@h/db?sslmode=verify-ca",
                SslMode::VerifyCa,
                "require",
            ),
            (
                "postgres://u:p@h/db?sslmode=verify-full&application_name=x",
                SslMode::VerifyFull,
                "require",
            ),
            (
                "host=h user=u sslmode=verify-full",
                SslMode::VerifyFull,
                "require",
            ),
        ] {
            let target = parse(url).unwrap();
            assert_eq!(target.mode, mode, "{url}");
            let config: tokio_postgres::Config = target.url.parse().unwrap();
            let expected = match wire {
                "disable" => tokio_postgres::config::SslMode::Disable,
                "prefer" => tokio_postgres::config::SslMode::Prefer,
                _ => tokio_postgres::config::SslMode::Require,
            };
            assert_eq!(config.get_ssl_mode(), expected, "{url}");
        }
    }

    #[test]
    fn other_query_parameters_reach_tokio_postgres_as_written() {
        // `%20` stays `%20`: a form-encoding round trip had made it `+`, which tokio-postgres
        // (decoding as libpq does) reads as a plus, so the server refused the options.
        let target = parse(
            "postgres://u@h/db?options=-c%20search_path%3Dapp&sslmode=require&application_name=a+b",
        )
        .unwrap();
        let config: tokio_postgres::Config = target.url.parse().unwrap();
        assert_eq!(config.get_options(), Some("-c search_path=app"));
        assert_eq!(config.get_application_name(), Some("a+b"));
        assert_eq!(
            config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
    }

    #[test]
    fn a_root_certificate_makes_require_verify_the_chain() {
        let target = parse("postgres://u@h/db?sslmode=require&sslrootcert=/ca.pem").unwrap();
        assert_eq!(target.mode, SslMode::VerifyCa);
        assert_eq!(target.root_cert.as_deref(), Some("/ca.pem"));
        assert!(!target.url.contains("sslrootcert"));
        let err = client_config(&target).unwrap_err();
        assert!(err.contains("/ca.pem"), "{err}");
    }

    #[test]
    fn system_roots_mean_verify_full_as_in_libpq() {
        let target = parse("postgres://u@h/db?sslrootcert=system").unwrap();
        assert_eq!(target.mode, SslMode::VerifyFull);
        for weaker in ["disable", "allow", "prefer", "require", "verify-ca"] {
            let err = parse(&format!(
                "postgres://u@h/db?sslmode={weaker}&sslrootcert=system"
            ))
            .unwrap_err();
            assert!(err.contains("verify-full"), "{weaker}: {err}");
        }
    }

    #[test]
    fn allow_connects_wherever_prefer_does() {
        let target = parse("postgres://u@h/db?sslmode=allow").unwrap();
        assert_eq!(target.mode, SslMode::Prefer);
        assert!(target.url.ends_with("sslmode=prefer"), "{}", target.url);
    }

    #[test]
    fn an_unknown_sslmode_is_an_error() {
        let err = parse("postgres://u@h/db?sslmode=sometimes").unwrap_err();
        assert!(err.contains("sometimes"), "{err}");
    }

    #[test]
    fn every_mode_builds_a_client_config() {
        for mode in ["disable", "prefer", "require"] {
            let target = parse(&format!("postgres://u@h/db?sslmode={mode}")).unwrap();
            client_config(&target).unwrap();
        }
    }
}
