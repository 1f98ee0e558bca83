//! Media types as storage-api reads them (`src/storage/validators/mime-type.ts`): RFC 9110's
//! `type/subtype` of tokens, optional spaces or tabs around it, then `;` parameters (a token
//! `=` a token or a quoted string, or nothing). A bucket's `allowed_mime_types` are stored as
//! `type/subtype` alone, lower-cased, each once, and may end in a `/*` wildcard; an upload's
//! type must be a media type itself and match one of them exactly or by its `type/*`.

use super::ApiResult;
use super::error::ApiError;

/// `parseMediaType`: `type/subtype`, lower-cased and without parameters, or `None` when `value`
/// is not a media type. `*` may only be a whole subtype, and only where `wildcard` allows it.
fn parse(value: &str, wildcard: bool) -> Option<String> {
    let chars: Vec<char> = value.chars().collect();
    let mut at = 0;
    let space = |at: &mut usize| {
        while matches!(chars.get(*at), Some(' ' | '\t')) {
            *at += 1;
        }
    };
    let token = |at: &mut usize| {
        let start = *at;
        while chars.get(*at).is_some_and(|c| is_tchar(*c)) {
            *at += 1;
        }
        (*at > start).then(|| chars[start..*at].iter().collect::<String>())
    };
    space(&mut at);
    let kind = token(&mut at)?.to_ascii_lowercase();
    if chars.get(at) != Some(&'/') {
        return None;
    }
    at += 1;
    let subtype = token(&mut at)?.to_ascii_lowercase();
    space(&mut at);
    if kind.contains('*') || (subtype.contains('*') && !(wildcard && subtype == "*")) {
        return None;
    }
    while at < chars.len() {
        if chars[at] != ';' {
            return None;
        }
        at += 1;
        space(&mut at);
        // An empty parameter (`;;`, a trailing `;`) is allowed.
        if at == chars.len() || chars[at] == ';' {
            continue;
        }
        token(&mut at)?;
        if chars.get(at) != Some(&'=') {
            return None;
        }
        at += 1;
        if chars.get(at) == Some(&'"') {
            at = quoted_string_end(&chars, at)?;
        } else {
            token(&mut at)?;
        }
        space(&mut at);
    }
    Some(format!("{kind}/{subtype}"))
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+.^_`|~-".contains(c)
}

/// Where the quoted string opening at `start` ends (after its closing quote): text characters
/// (tab, space, visible ASCII but `"` and `\`, U+0080 to U+00FF) or `\` and one of those.
fn quoted_string_end(chars: &[char], start: usize) -> Option<usize> {
    let text =
        |c: char| c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c);
    let mut at = start + 1;
    loop {
        match *chars.get(at)? {
            '"' => return Some(at + 1),
            '\\' if chars.get(at + 1).is_some_and(|c| text(*c)) => at += 2,
            '\\' => return None,
            c if text(c) => at += 1,
            _ => return None,
        }
    }
}

/// `normalizeAllowedMimeTypes`: a bucket's list as stored (empty entries dropped first, as the
/// bucket routes do); an entry that is not a media type, or longer than 1000 characters, is
/// `InvalidMimeType`.
pub(crate) fn normalize_allowed(entries: &[String]) -> ApiResult<Vec<String>> {
    let mut normalized: Vec<String> = Vec::new();
    for entry in entries.iter().filter(|e| !e.is_empty()) {
        let parsed = (entry.chars().count() <= 1000)
            .then(|| parse(entry, true))
            .flatten()
            .ok_or_else(|| ApiError::invalid_mime_type(entry))?;
        if !normalized.contains(&parsed) {
            normalized.push(parsed);
        }
    }
    Ok(normalized)
}

/// `validateMimeType`: may an object of type `requested` go into a bucket allowing `allowed`
/// (not empty)?
pub(crate) fn check(requested: &str, allowed: &[String]) -> ApiResult<()> {
    let refused = || ApiError::invalid_mime_type(requested);
    let media_type = parse(requested, false).ok_or_else(refused)?;
    let wildcard = format!("{}/*", media_type.split('/').next().unwrap_or_default());
    let matches = |entry: &str| entry == media_type || entry == wildcard;
    if allowed
        .iter()
        .any(|a| matches(a) || parse(a, true).is_some_and(|a| matches(&a)))
    {
        Ok(())
    } else {
        Err(refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| (*e).to_owned()).collect()
    }

    #[test]
    fn allowed_types_are_stored_bare_lower_cased_and_once() {
        let given = list(&[
            " Text/Plain; charset=\"UTF-8\" ",
            "text/plain;charset=iso-8859-1",
            "IMAGE/*",
            "image/*",
            "application/json;profile=\"a,b;c\"",
            "",
            "text/csv;;",
        ]);
        assert_eq!(
            normalize_allowed(&given).unwrap(),
            list(&["text/plain", "image/*", "application/json", "text/csv"])
        );
        for bad in [
            "*/*",
            "*/png",
            "image/p*",
            "garbage*",
            "image",
            "image/",
            "/png",
            "text/plain x",
            "text/plain; charset",
            "text/plain; charset=\"open",
            "text/plain; a=b\"c",
        ] {
            let err = normalize_allowed(&list(&[bad])).unwrap_err();
            assert_eq!(err.code, "InvalidMimeType", "{bad}");
        }
        assert!(normalize_allowed(&list(&[&format!("a/{}", "b".repeat(999))])).is_err());
        assert!(normalize_allowed(&list(&[&format!("a/{}", "b".repeat(998))])).is_ok());
    }

    #[test]
    fn an_upload_type_matches_exactly_or_by_its_wildcard() {
        let allowed = list(&["image/*", "text/plain"]);
        for ok in [
            "image/png",
            "IMAGE/Png",
            "text/plain; charset=utf-8",
            "\ttext/plain ",
        ] {
            assert!(check(ok, &allowed).is_ok(), "{ok}");
        }
        for bad in ["text/html", "image", "image/*", "application/json", ""] {
            assert!(check(bad, &allowed).is_err(), "{bad}");
        }
        // Entries stored before normalisation are parsed when compared.
        assert!(check("text/csv", &list(&["Text/CSV; charset=utf-8"])).is_ok());
    }
}
