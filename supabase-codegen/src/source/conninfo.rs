//! libpq connection strings: the `key = value` form read as libpq reads it, and every form
//! (URL or `key = value`) with its passwords hidden for error messages.
//!
//! Followed: libpq's `conninfo_parse` (`src/interfaces/libpq/fe-connect.c`): keys end at `=` or
//! ASCII white space, white space may surround `=`, a value is single-quoted (`\` escapes any
//! character, `\'` a quote) or runs to the next white space (`\` escapes there too).

/// Keys whose values are secrets: the password, and the passphrase of the client key.
const SECRET_KEYS: [&str; 2] = ["password", "sslpassword"];

/// The `(key, value)` pairs of a `key = value` connection string, unquoted and unescaped;
/// `None` when it does not parse (a key without `=`, an unterminated quote, a trailing `\`).
pub(crate) fn key_values(text: &str) -> Option<Vec<(String, String)>> {
    let is_space = |c: char| c.is_ascii_whitespace();
    let mut pairs = Vec::new();
    let mut rest = text.trim_start_matches(is_space);
    while !rest.is_empty() {
        let key_end = rest.find(|c: char| c == '=' || is_space(c))?;
        let key = &rest[..key_end];
        if key.is_empty() {
            return None;
        }
        rest = rest[key_end..]
            .trim_start_matches(is_space)
            .strip_prefix('=')?
            .trim_start_matches(is_space);
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let quoted = rest.starts_with('\'');
        if quoted {
            chars.next();
        }
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => value.push(chars.next()?.1),
                '\'' if quoted => {
                    end = Some(i + 1);
                    break;
                }
                c if !quoted && is_space(c) => {
                    end = Some(i);
                    break;
                }
                c => value.push(c),
            }
        }
        let end = match end {
            Some(end) => end,
            None if quoted => return None,
            None => rest.len(),
        };
        pairs.push((key.to_owned(), value));
        rest = rest[end..].trim_start_matches(is_space);
    }
    Some(pairs)
}

/// `pairs` as a `key = value` string, every value quoted (libpq and tokio-postgres read it back
/// as the same pairs).
pub(crate) fn to_key_values(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` is a connection URL (`postgres://` or `postgresql://`, as libpq accepts).
pub(crate) fn is_url(text: &str) -> bool {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `text` with its passwords replaced by `***`, for error messages. Where the string is
/// ambiguous (a URL with several `@`, or one inside its query: a password holding `@`, `/` or
/// `?` unescaped), it shows no more than its scheme.
pub(crate) fn redact(text: &str) -> String {
    if !is_url(text) {
        return match key_values(text) {
            Some(pairs) => pairs
                .iter()
                .map(|(k, v)| {
                    let v = if SECRET_KEYS.contains(&k.as_str()) {
                        "***"
                    } else {
                        v
                    };
                    format!("{k}={v}")
                })
                .collect::<Vec<_>>()
                .join(" "),
            None => "[a connection string that does not parse]".to_owned(),
        };
    }
    let (scheme, rest) = text.split_at(text.find("://").unwrap_or(0) + 3);
    let ats = rest.matches('@').count();
    let query_start = rest.find('?').unwrap_or(rest.len());
    let (user_info, rest) = match rest.split_once('@') {
        _ if ats > 1 => return format!("{scheme}[not shown: it may hold a password]"),
        Some((user_info, _)) if user_info.len() > query_start => {
            return format!("{scheme}[not shown: it may hold a password]");
        }
        Some((user_info, rest)) => match user_info.split_once(':') {
            Some((user, _)) => (format!("{user}:***@"), rest),
            None => (format!("{user_info}@"), rest),
        },
        None => (String::new(), rest),
    };
    let rest = match rest.split_once('?') {
        Some((base, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if SECRET_KEYS.contains(&k) => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", query.join("&"))
        }
        None => rest.to_owned(),
    };
    format!("{scheme}{user_info}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn key_values_as_libpq_reads_them() {
        assert_eq!(
            key_values(r"host=h password = 's3 c\'ret' user=me dbname= x opt=a\ b=c empty=''"),
            Some(pairs(&[
                ("host", "h"),
                ("password", "s3 c'ret"),
                ("user", "me"),
                ("dbname", "x"),
                ("opt", "a b=c"),
                ("empty", ""),
            ]))
        );
        // U+00A0 is not white space to libpq: part of the value.
        assert_eq!(
            key_values("password=ab\u{a0}c=d"),
            Some(pairs(&[("password", "ab\u{a0}c=d")]))
        );
        for bad in ["host", "host=h password='open", "password=trailing\\", "=v"] {
            assert_eq!(key_values(bad), None, "{bad}");
        }
        let round = pairs(&[("password", r"a'b\c d"), ("host", "h")]);
        assert_eq!(key_values(&to_key_values(&round)), Some(round));
    }

    #[test]
    fn passwords_are_hidden_in_every_form() {
        for (text, shown) in [
            (
                "postgres://me:s3cret@localhost:5432/db",
                "postgres://me:***@localhost:5432/db",
            ),
            (
                "postgres://me@localhost/db?password=s3cret&sslmode=disable",
                "postgres://me@localhost/db?password=***&sslmode=disable",
            ),
            (
                "postgresql://h/db?sslpassword=s3cret",
                "postgresql://h/db?sslpassword=***",
            ),
            // Passwords with an unescaped `/`, `#`, `?`: not valid URLs, or host:port ones.
            (
                "postgres://postgres:ab/cd@db.example.com:5432/postgres",
                "postgres://postgres:***@db.example.com:5432/postgres",
            ),
            ("postgres://me:123/x@host/db", "postgres://me:***@host/db"),
            ("postgres://u:1234#ab@h", "postgres://u:***@h"),
            // Ambiguous: no more than the scheme.
            (
                "postgres://me:p@ss@host/db",
                "postgres://[not shown: it may hold a password]",
            ),
            (
                "postgres://h/db?password=x@y",
                "postgres://[not shown: it may hold a password]",
            ),
            (
                "host=h password = s3cret user=me",
                "host=h password=*** user=me",
            ),
            (
                r"password='a b\' c' dbname = 'my db'",
                "password=*** dbname=my db",
            ),
            ("host=h password=a\\ b=c", "host=h password=***"),
            ("host=h sslpassword=s3cret", "host=h sslpassword=***"),
            // `://` inside a key=value string does not make it a URL.
            (
                "host=h password=s3cret application_name=http://x",
                "host=h password=*** application_name=http://x",
            ),
            (
                "host=h password='s3cret",
                "[a connection string that does not parse]",
            ),
        ] {
            assert_eq!(redact(text), shown, "{text}");
        }
    }
}
