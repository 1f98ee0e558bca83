//! A string that never shows itself in `Debug` or `Display` output.

use std::fmt;
use std::sync::Arc;

/// A secret value (an API key, an access or refresh token, a password).
///
/// Its `Debug` output is `Secret([redacted])`, so a secret can sit in any struct that derives
/// `Debug` without ever reaching a log line. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call this only where the value is sent or stored.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

/// Whether a header or a JSON key of this name holds a secret: `apikey`, `Authorization`,
/// `Cookie`, `x-signature`, and any name a caller might give one (`x-api-key`,
/// `x-webhook-secret`, `refresh_token`, `password`), case aside. What `Debug` output redacts.
pub(crate) fn is_secret_name(name: &str) -> bool {
    const WORDS: [&str; 9] = [
        "key",
        "secret",
        "token",
        "password",
        "auth",
        "cookie",
        "signature",
        "session",
        "credential",
    ];
    let name = name.to_ascii_lowercase();
    WORDS.iter().any(|w| name.contains(w))
}

/// `text` (JSON, a body, or the start of one) with the values of secret-named JSON keys and
/// anything shaped like a JWT or a Supabase secret key replaced by `[redacted]`.
pub(crate) fn redact_text(text: &str) -> String {
    redact_tokens(&redact_secret_values(text))
}

/// A URL query (`a=1&password=x`) with each parameter's value redacted as [`redact_param`]
/// says; a logic tree is shown decoded.
pub(crate) fn redact_query(query: &str) -> String {
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => {
                let name = percent_decoded(key);
                if is_secret_name(&name) || is_logic_tree(&name) {
                    format!("{key}={}", redact_param(&name, &percent_decoded(value)))
                } else {
                    pair.to_owned()
                }
            }
            None => pair.to_owned(),
        })
        .collect();
    redact_tokens(&pairs.join("&"))
}

/// The value of query parameter `name` as `Debug` shows it: all of it redacted for a
/// secret-named parameter; for a PostgREST logic tree (`or`, `and`), the operands of
/// conditions on secret-named columns ([`redact_logic_tree`]); else anything shaped like a
/// token.
pub(crate) fn redact_param(name: &str, value: &str) -> String {
    if is_secret_name(name) {
        "[redacted]".to_owned()
    } else if is_logic_tree(name) {
        redact_logic_tree(value)
    } else {
        redact_tokens(value)
    }
}

/// Whether a query parameter holds a PostgREST logic tree: `or`, `and`, `not.or`,
/// `instruments.or`, ….
fn is_logic_tree(key: &str) -> bool {
    matches!(key.rsplit('.').next(), Some("or" | "and"))
}

fn percent_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("{text}=").as_bytes())
        .next()
        .map(|(key, _)| key.into_owned())
        .unwrap_or_default()
}

/// `text` (JSON, or the start of it) with the string value of every secret-named key
/// ([`is_secret_name`]: `password`, `refresh_token`, `api_key`, …) replaced by `[redacted]`;
/// everything else, order included, stays as it is.
pub(crate) fn redact_secret_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let (before, token) = rest.split_at(open);
        out.push_str(before);
        let Some(len) = json_string_len(token) else {
            rest = token;
            break;
        };
        let (key, after) = token.split_at(len);
        out.push_str(key);
        rest = after;
        let value = after
            .trim_start()
            .strip_prefix(':')
            .map(str::trim_start)
            .filter(|v| v.starts_with('"'));
        if let Some(value) = value
            && is_secret_name(&key[1..key.len() - 1])
        {
            out.push_str(&after[..after.len() - value.len()]);
            out.push_str("\"[redacted]\"");
            rest = &value[json_string_len(value).unwrap_or(value.len())..];
        }
    }
    out.push_str(rest);
    out
}

/// The length of the JSON string at the start of `s` (which starts with `"`), quotes
/// included; `None` when it does not end.
fn json_string_len(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// `text` with every JWT (`eyJ…`, header.payload.signature) and Supabase secret key
/// (`sb_secret_…`) replaced by `[redacted]`.
pub(crate) fn redact_tokens(text: &str) -> String {
    let token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = ["eyJ", "sb_secret_"]
        .iter()
        .filter_map(|prefix| rest.find(prefix))
        .min()
    {
        out.push_str(&rest[..start]);
        out.push_str("[redacted]");
        let token = &rest[start..];
        rest = &token[token.find(|c| !token_char(c)).unwrap_or(token.len())..];
    }
    out.push_str(rest);
    out
}

/// A PostgREST logic tree (`(id.gt.1,password.eq."a, b",and(...))`, the value of an `or` /
/// `and` parameter) with the operand of every condition on a secret-named column replaced:
/// `password.[redacted]`. Conditions end at a `,`, `(` or `)` outside double quotes, but for
/// the parentheses of an `in` list (`(` after a `.`), which belong to the condition.
pub(crate) fn redact_logic_tree(tree: &str) -> String {
    let mut out = String::with_capacity(tree.len());
    let mut condition = String::new();
    let flush = |condition: &mut String, out: &mut String| {
        match condition.split_once('.') {
            Some((column, _)) if is_secret_name(column.trim_matches('"')) => {
                out.push_str(column);
                out.push_str(".[redacted]");
            }
            _ => out.push_str(condition),
        }
        condition.clear();
    };
    let (mut quoted, mut escaped, mut list) = (false, false, false);
    for c in tree.chars() {
        if quoted {
            condition.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '(' if condition.ends_with('.') => {
                list = true;
                condition.push(c);
            }
            ')' if list => {
                list = false;
                condition.push(c);
            }
            ',' if list => condition.push(c),
            ',' | '(' | ')' => {
                flush(&mut condition, &mut out);
                out.push(c);
            }
            '"' => {
                quoted = true;
                condition.push(c);
            }
            _ => condition.push(c),
        }
    }
    flush(&mut condition, &mut out);
    redact_tokens(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logic_tree_keeps_all_but_secret_operands() {
        assert_eq!(
            redact_logic_tree(
                r#"(id.gt.1,password.eq."a, (b)\" c",and(api_key.in.("k",x),name.eq.ann))"#
            ),
            "(id.gt.1,password.[redacted],and(api_key.[redacted],name.eq.ann))"
        );
        assert_eq!(
            redact_logic_tree("(name.eq.eyJa.b.c)"),
            "(name.eq.[redacted])"
        );
    }

    #[test]
    fn secret_names_are_told_by_their_words() {
        for name in [
            "apikey",
            "Authorization",
            "proxy-authorization",
            "set-cookie",
            "x-signature",
            "X-Api-Key",
            "x-webhook-secret",
            "refresh_token",
            "password",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "content-type",
            "prefer",
            "x-client-info",
            "location",
            "message",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("eyJhbGciOiJIUzI1NiJ9.secret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.expose(), "eyJhbGciOiJIUzI1NiJ9.secret");
    }

    #[test]
    fn redaction_keeps_everything_else() {
        assert_eq!(
            redact_secret_values(r#"{"a": "x\"password\"", "token" : "t\"q", "n": 1, "key""#),
            r#"{"a": "x\"password\"", "token" : "[redacted]", "n": 1, "key""#
        );
        assert_eq!(
            redact_secret_values(r#"{"secret":"cut off"#),
            r#"{"secret":"[redacted]""#
        );
        assert_eq!(redact_tokens("no tokens here"), "no tokens here");
        assert_eq!(
            redact_tokens("a eyJx.y.z b eyJ"),
            "a [redacted] b [redacted]"
        );
        assert_eq!(redact_tokens("é sb_secret_k"), "é [redacted]");
    }

    #[test]
    fn a_query_keeps_all_but_secret_values() {
        assert_eq!(
            redact_query("select=*&pass%77ord=eq.hunter2&name=eq.ann&x=eyJa.b.c"),
            "select=*&pass%77ord=[redacted]&name=eq.ann&x=[redacted]"
        );
        assert_eq!(redact_query(""), "");
    }
}
