//! Where GoTrue sends a user back to: `utilities.GetReferrer` and `IsRedirectURLValid`
//! (supabase/auth `internal/utilities/request.go`, the version with the control-character and
//! custom-scheme rules), and the allow list's globs.
//!
//! A redirect is allowed when it is the site URL's origin (scheme, host and port; any port for
//! a localhost name, RFC 8252 §7.3), or a loopback IP address, or when it matches an entry of
//! `additional_redirect_urls` (GoTrue's `URI_ALLOW_LIST`) — but never a decimal-IP host, any
//! other IP address, an `http(s)` host with unusual characters, or a URL with a control
//! character or space. URLs are split as Go's `net/url` parses them, without the `url` crate's
//! normalisation (which would read `http://2130706433/` as `127.0.0.1`).

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::REFERER;
use axum::http::request::Parts;

use super::{Auth, AuthConfig};

/// `utilities.GetReferrer` as an extractor: the request's `redirect_to` (the header of that
/// name, else the query parameter) when it is allowed, else its `Referer` when that is, else
/// the site URL. (GoTrue's form-encoded bodies, which `ParseForm` also reads, do not reach
/// these JSON endpoints; a header that is not visible ASCII counts as missing here.)
pub(super) struct Referrer(pub(super) String);

impl FromRequestParts<Arc<Auth>> for Referrer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Auth>) -> Result<Self, Infallible> {
        let config = &state.config;
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
        };
        let requested = match header("redirect_to") {
            Some(value) => Some(value.to_owned()),
            None => parts.uri.query().and_then(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .find(|(key, _)| key == "redirect_to")
                    .map(|(_, value)| value.into_owned())
            }),
        };
        let chosen = requested
            .filter(|url| is_valid(config, url))
            .or_else(|| {
                header(REFERER.as_str())
                    .filter(|url| is_valid(config, url))
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| config.site_url.clone());
        Ok(Referrer(chosen))
    }
}

/// `IsRedirectURLValid`.
pub(super) fn is_valid(config: &AuthConfig, url: &str) -> bool {
    if url.is_empty() || url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return false;
    }
    let Some(site) = GoUrl::parse(&config.site_url) else {
        return false;
    };
    match GoUrl::parse(url) {
        // A custom scheme Go cannot parse (`com.my_app://cb`) may still match the allow list;
        // an `http(s)` URL that does not parse may not.
        None => {
            let lower = url.to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") {
                return false;
            }
        }
        Some(target) => {
            let host = target.hostname();
            if site.scheme == target.scheme
                && site.hostname() == host
                && (site.port() == target.port() || is_localhost(host))
            {
                return true;
            }
            if !host.is_empty() && host.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            if let Ok(ip) = host.parse::<IpAddr>() {
                return is_loopback(ip);
            }
            let http = target.scheme == "http" || target.scheme == "https";
            if http && !is_regular_hostname(host) {
                return false;
            }
        }
    }
    let without_fragment = url.split('#').next().unwrap_or(url);
    config
        .additional_redirect_urls
        .iter()
        .any(|pattern| allow_list_matches(pattern, without_fragment))
}

/// `isLocalhost` (`internal/utilities/url_validator.go`).
fn is_localhost(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    matches!(
        host.as_str(),
        "localhost" | "127.0.0.1" | "::1" | "0.0.0.0" | "::"
    ) || host.ends_with(".localhost")
}

/// Go's `net.IP.IsLoopback`: 127.0.0.0/8 (IPv4-mapped too) and `::1`.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$`.
fn is_regular_hostname(host: &str) -> bool {
    let bytes = host.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
}

/// Whether `url` matches an allow-list entry as GoTrue compiles them (`glob.Compile(uri, '.',
/// '/')`, gobwas/glob): `**` matches any text, `*` any text without `.` or `/`, `?` one such
/// character; the rest is literal (character classes and `{a,b}` are not supported here). So
/// `http://localhost:3000/*` admits `/cb` but not `/a/b`, and `https://*.example.com/**` any
/// path under any one-label subdomain. Matched by dynamic programming, so no pattern costs more
/// than pattern × URL steps.
pub(super) fn allow_list_matches(pattern: &str, url: &str) -> bool {
    enum Token {
        Byte(u8),
        One,
        Star,
        Stars,
    }
    let separator = |b: u8| b == b'.' || b == b'/';
    let bytes = pattern.as_bytes();
    let mut tokens = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        tokens.push(match bytes[i] {
            b'*' if bytes.get(i + 1) == Some(&b'*') => {
                i += 1;
                Token::Stars
            }
            b'*' => Token::Star,
            b'?' => Token::One,
            b => Token::Byte(b),
        });
        i += 1;
    }
    let text = url.as_bytes();
    // matched[j]: the tokens so far match the first `j` bytes of the URL.
    let mut matched = vec![false; text.len() + 1];
    matched[0] = true;
    for token in &tokens {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            next[j] = match token {
                Token::Byte(b) => j > 0 && matched[j - 1] && text[j - 1] == *b,
                Token::One => j > 0 && matched[j - 1] && !separator(text[j - 1]),
                Token::Star => matched[j] || (j > 0 && next[j - 1] && !separator(text[j - 1])),
                Token::Stars => matched[j] || (j > 0 && next[j - 1]),
            };
        }
        matched = next;
    }
    matched[text.len()]
}

/// The parts of a URL GoTrue compares, split as Go's `url.Parse` does: `None` where it fails
/// (a bad `%` escape, a non-numeric port, a character a host may not hold, a leading `:`, a
/// colon in the first segment of a scheme-less URL).
#[derive(Debug, PartialEq)]
struct GoUrl {
    /// Lower-cased; empty without one.
    scheme: String,
    /// `host[:port]`, unescaped; empty without an authority.
    host: String,
}

impl GoUrl {
    fn parse(raw: &str) -> Option<GoUrl> {
        let (raw, fragment) = match raw.split_once('#') {
            Some((url, fragment)) => (url, Some(fragment)),
            None => (raw, None),
        };
        if let Some(fragment) = fragment {
            unescape(fragment, false)?;
        }
        if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
            return None;
        }
        let (scheme, rest) = split_scheme(raw)?;
        let scheme = scheme.to_ascii_lowercase();
        let rest = if rest.ends_with('?') && rest.matches('?').count() == 1 {
            &rest[..rest.len() - 1]
        } else {
            rest.split_once('?').map_or(rest, |(path, _)| path)
        };
        if !rest.starts_with('/') {
            if !scheme.is_empty() {
                // Opaque (`mailto:x`): no host.
                return Some(GoUrl {
                    scheme,
                    host: String::new(),
                });
            }
            if rest
                .split('/')
                .next()
                .is_some_and(|first| first.contains(':'))
            {
                return None;
            }
        }
        let mut host = String::new();
        let mut path = rest;
        if let Some(after) = rest.strip_prefix("//")
            && (!scheme.is_empty() || !after.starts_with('/'))
        {
            let (authority, tail) = after.split_at(after.find('/').unwrap_or(after.len()));
            host = parse_authority(authority)?;
            path = tail;
        }
        unescape(path, false)?;
        Some(GoUrl { scheme, host })
    }

    /// `URL.Hostname`: the host without its port and brackets.
    fn hostname(&self) -> &str {
        split_host_port(&self.host).0
    }

    /// `URL.Port`.
    fn port(&self) -> &str {
        split_host_port(&self.host).1
    }
}

/// `getScheme`: letters, then letters, digits, `+`, `-`, `.` up to a `:`; any other character
/// first means no scheme, and a leading `:` is an error.
fn split_scheme(raw: &str) -> Option<(&str, &str)> {
    for (i, b) in raw.bytes().enumerate() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return None,
            b':' => return Some((&raw[..i], &raw[i + 1..])),
            _ => return Some(("", raw)),
        }
    }
    Some(("", raw))
}

/// `parseAuthority`: the host after the last `@`, and valid user information before it
/// (`validUserinfo`: ASCII only).
fn parse_authority(authority: &str) -> Option<String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let host = parse_host(host)?;
    if let Some(userinfo) = userinfo {
        let valid = userinfo
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b));
        if !valid {
            return None;
        }
        unescape(userinfo, false)?;
    }
    Some(host)
}

/// `parseHost`: a bracketed IPv6 literal or a name, each with an optional numeric port.
fn parse_host(host: &str) -> Option<String> {
    let port = if host.starts_with('[') {
        &host[host.rfind(']')? + 1..]
    } else {
        host.rfind(':').map_or("", |colon| &host[colon..])
    };
    if !valid_optional_port(port) {
        return None;
    }
    unescape(host, true)
}

/// `""` or `:` and digits.
fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `splitHostPort` (of `URL.Hostname` and `URL.Port`).
fn split_host_port(host_port: &str) -> (&str, &str) {
    let (mut host, mut port) = (host_port, "");
    if let Some(colon) = host_port.rfind(':')
        && valid_optional_port(&host_port[colon..])
    {
        (host, port) = (&host_port[..colon], &host_port[colon + 1..]);
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        host = inner;
    }
    (host, port)
}

/// `unescape`: `%` must start two hex digits; in a host, an escape may only stand for a
/// non-ASCII byte (or be `%25`) and only these ASCII characters may appear bare: letters,
/// digits, `-._~!$&'()*+,;=:[]<>"`.
fn unescape(s: &str, in_host: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
                let (Some(high), Some(low)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) else {
                    return None;
                };
                if in_host && high < 8 && &s[i..i + 3] != "%25" {
                    return None;
                }
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            b if in_host
                && b < 0x80
                && !b.is_ascii_alphanumeric()
                && !b"-._~!$&'()*+,;=:[]<>\"".contains(&b) =>
            {
                return None;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(site_url: &str, allow: &[&str]) -> AuthConfig {
        AuthConfig {
            site_url: site_url.into(),
            additional_redirect_urls: allow.iter().map(|s| (*s).to_owned()).collect(),
            ..AuthConfig::default()
        }
    }

    /// The site URL's origin: scheme, host and port, any port for a localhost name only.
    #[test]
    fn the_site_url_admits_its_own_origin() {
        let cases = [
            ("https://example.com", "https://example.com/path", true),
            ("https://example.com", "http://example.com/path", false),
            ("http://example.com", "https://example.com/path", false),
            (
                "https://example.com",
                "https://example.com:8443/path",
                false,
            ),
            (
                "https://example.com:9000",
                "https://example.com:9000/path",
                true,
            ),
            (
                "https://example.com:9000",
                "https://example.com/path",
                false,
            ),
            (
                "http://localhost:3000",
                "http://localhost:8080/callback",
                true,
            ),
            (
                "http://127.0.0.1:3000",
                "http://127.0.0.1:8080/callback",
                true,
            ),
            ("http://localhost:3000", "http://localhost/callback", true),
            (
                "https://localhost:3000",
                "http://localhost:8080/callback",
                false,
            ),
            (
                "http://app.localhost:3000",
                "http://app.localhost:1/cb",
                true,
            ),
            // Not the site: a scheme that only shares the host.
            (
                "https://example.com",
                "javascript://example.com/%0aalert(1)",
                false,
            ),
        ];
        for (site, url, expected) in cases {
            assert_eq!(
                is_valid(&config(site, &[]), url),
                expected,
                "{site} → {url}"
            );
        }
    }

    #[test]
    fn addresses_and_odd_hosts_are_refused_before_the_allow_list() {
        let any = ["**", "*", "https://**", "http://**"];
        let site = "https://site.example.com";
        let cases = [
            // A decimal IP, even allow-listed; any loopback IP is fine, no other IP is.
            ("https://2130706433/callback", false),
            ("http://127.0.0.1:12345/path", true),
            ("http://127.0.0.2/path", true),
            ("http://[0:0:0:0:0:0:0:1]:12345/path", true),
            ("http://[::ffff:127.0.0.1]/path", true),
            ("http://123.123.123.123/path", false),
            (
                "http://[65e7:9410:d8b6:e227:58cd:e55b:8fc0:206d]/path",
                false,
            ),
            // Unparseable http(s) URLs, control characters and spaces.
            ("https://2130706433/%zz", false),
            ("http://example.com/%zz", false),
            ("http://65e7:9410:d8b6:e227::206d/path", false),
            ("\thttps://2130706433/", false),
            ("https://example.com/\n/cb", false),
            (" https://2130706433/", false),
            ("https://example.com/ cb", false),
            // An http(s) host with characters a hostname does not have.
            ("https://ex_ample.com/cb", false),
            ("https://example.com./cb", false),
            ("https://example.com/cb", true),
        ];
        for (url, expected) in cases {
            assert_eq!(is_valid(&config(site, &any), url), expected, "{url}");
        }
    }

    #[test]
    fn the_allow_list_takes_custom_schemes_and_ignores_the_fragment() {
        let c = config(
            "https://site.example.com",
            &["com.my_cool_app.example://**", "http://localhost:8000/*"],
        );
        assert!(is_valid(&c, "com.my_cool_app.example://callback/path"));
        assert!(!is_valid(&c, "com.other_app://callback"));
        assert!(is_valid(&c, "http://localhost:8000/path#access_token=x/y"));
        assert!(is_valid(&c, "http://localhost:8000/path?param=1"));
        assert!(!is_valid(&c, "http://localhost:8000/path/to/page"));
        assert!(!is_valid(&c, "http://localhost:8000"));
        assert!(!is_valid(&c, ""));
        assert!(!is_valid(
            &config("http://site:x", &["**"]),
            "https://a.example/"
        ));
    }

    #[test]
    fn urls_split_as_go_parses_them() {
        let url = |raw| {
            GoUrl::parse(raw).map(|u| {
                (
                    u.scheme.clone(),
                    u.hostname().to_owned(),
                    u.port().to_owned(),
                )
            })
        };
        let some = |s: &str, h: &str, p: &str| Some((s.to_owned(), h.to_owned(), p.to_owned()));
        assert_eq!(
            url("HTTPS://User:pw@Example.COM:443/p?q#f"),
            some("https", "Example.COM", "443")
        );
        assert_eq!(url("http://[::1]:80/"), some("http", "::1", "80"));
        assert_eq!(url("http://2130706433/"), some("http", "2130706433", ""));
        assert_eq!(url("myapp://callback"), some("myapp", "callback", ""));
        assert_eq!(url("mailto:someone@example.com"), some("mailto", "", ""));
        assert_eq!(url("/relative/path"), some("", "", ""));
        assert_eq!(url("//host.example/x"), some("", "host.example", ""));
        assert_eq!(
            url("http://caf%C3%A9.example/"),
            some("http", "café.example", "")
        );
        for bad in [
            "://x",
            "http://host:port/",
            "http://ho{st/",
            "http://%41.example/",
            "http://[::1/",
            "http://x/%g0",
            "http://x/#%",
            "com.my_app://cb",
            "http://a b/",
            "https://\u{fc}@app.example.com/",
        ] {
            assert_eq!(GoUrl::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn allow_list_entries_are_gobwas_globs_with_dot_and_slash_separators() {
        let cases = [
            ("http://localhost:3000/*", "http://localhost:3000/cb", true),
            (
                "http://localhost:3000/*",
                "http://localhost:3000/a/b",
                false,
            ),
            (
                "http://localhost:3000/**",
                "http://localhost:3000/a/b?x=1",
                true,
            ),
            (
                "https://*.example.com/**",
                "https://app.example.com/auth/cb",
                true,
            ),
            (
                "https://*.example.com/**",
                "https://a.b.example.com/cb",
                false,
            ),
            ("https://*.example.com/**", "https://example.com/cb", false),
            ("myapp://callback", "myapp://callback", true),
            ("myapp://callback", "myapp://callback/x", false),
            ("http://127.0.0.1:300?", "http://127.0.0.1:3001", true),
            ("http://127.0.0.1:300?", "http://127.0.0.1:300/", false),
            ("", "", true),
            ("**", "anything/at.all", true),
        ];
        for (pattern, url, expected) in cases {
            assert_eq!(
                allow_list_matches(pattern, url),
                expected,
                "{pattern} ~ {url}"
            );
        }
        // Many stars against a long URL: pattern × URL steps, not exponential.
        let long = format!("https://{}", "a".repeat(5000));
        assert!(!allow_list_matches("https://*a*a*a*a*a*a*a*a*b", &long));
    }
}
