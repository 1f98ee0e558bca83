//! Rust names for Postgres names: PascalCase types, snake_case fields and modules, keywords
//! escaped (`r#type`) or, where a raw identifier is impossible (`self`, `crate`...), suffixed with
//! `_` (the wire name then goes in a rename), and per-module allocation so that two objects never
//! get the same Rust name.

use std::collections::HashSet;

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};

/// Keywords of Rust 2024 (strict and reserved).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// Names a generated module must not define as types: what the generated code names unqualified
/// (std's prelude, the imported derive) and the crates it names by path.
pub(crate) const RESERVED_TYPES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Vec",
    "String",
    "Box",
    "Result",
    "Ok",
    "Err",
    "Table",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "PartialEq",
    "Eq",
    "Hash",
];
/// Module names the generated code names by path.
pub(crate) const RESERVED_MODULES: &[&str] = &[
    "serde",
    "serde_json",
    "chrono",
    "uuid",
    "rust_decimal",
    "time",
    "std",
    "core",
    "alloc",
    "supabase_core",
];

pub(crate) fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Keeps the characters an identifier may hold (Unicode `XID_Continue`, as rustc): `²`, `₂` or
/// `½` are alphanumeric but not identifier characters.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if unicode_ident::is_xid_continue(c) {
                c
            } else {
                ' '
            }
        })
        .collect()
}

/// Whether an identifier may start with `c` (`XID_Start` or `_`).
fn starts_ident(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

/// `planet_moons` → `PlanetMoons`; never empty, never starting with a digit.
pub(crate) fn pascal(s: &str) -> String {
    let out = clean(s).to_upper_camel_case();
    match out.chars().next() {
        None => "T".to_owned(),
        Some(c) if !starts_ident(c) => format!("T{out}"),
        Some(_) => out,
    }
}

/// `userId` → `user_id`; never empty, never starting with a digit.
pub(crate) fn snake(s: &str) -> String {
    let out = clean(s).to_snake_case();
    match out.chars().next() {
        None => "field".to_owned(),
        Some(c) if !starts_ident(c) => format!("_{out}"),
        Some(_) => out,
    }
}

/// The module name `#[derive(Table)]` gives a struct's columns (the derive's own rule).
pub(crate) fn derive_module(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// An identifier for a field or module name: raw when a keyword allows it, else `name_`.
pub(crate) fn field_ident(name: &str) -> Ident {
    if NOT_RAW.contains(&name) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if is_keyword(name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// Whether `s` is usable as a plain identifier.
pub(crate) fn is_plain_ident(s: &str) -> bool {
    !is_keyword(s) && syn::parse_str::<syn::Ident>(s).is_ok()
}

/// Names taken in one Rust module (the type and module namespaces share it); starts with the
/// reserved names taken.
#[derive(Debug)]
pub(crate) struct Namespace {
    taken: HashSet<String>,
}

impl Default for Namespace {
    fn default() -> Self {
        Namespace {
            taken: RESERVED_TYPES
                .iter()
                .chain(RESERVED_MODULES)
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

impl Namespace {
    /// Takes `preferred` or the first free `preferred2`, `preferred3`... together with the names
    /// the derive adds for a table (`XInsert`, `XUpdate`, module `x`) when `table` is set.
    pub(crate) fn alloc(&mut self, preferred: &str, table: bool) -> String {
        // In a script without letter case (`用户`) the derive's module would be the struct's own
        // name: such a table's struct takes a `T`, whose module (`t用户`) differs.
        let owned;
        let preferred = if table && derive_module(preferred) == preferred {
            owned = format!("T{preferred}");
            owned.as_str()
        } else {
            preferred
        };
        for n in 1.. {
            let candidate = if n == 1 {
                preferred.to_owned()
            } else {
                format!("{preferred}{n}")
            };
            let mut names = vec![candidate.clone()];
            if table {
                names.push(format!("{candidate}Insert"));
                names.push(format!("{candidate}Update"));
                names.push(derive_module(&candidate));
            }
            if names
                .iter()
                .all(|n| is_plain_ident(n) && !self.taken.contains(n))
            {
                self.taken.extend(names);
                return candidate;
            }
        }
        unreachable!("an unbounded search always finds a free name")
    }
}

impl Namespace {
    /// A module name (one per schema): `preferred` or `preferred_2`..., a raw identifier when a
    /// keyword allows it (`r#type`), `self_` where not.
    pub(crate) fn alloc_raw_ok(&mut self, preferred: &str) -> String {
        for n in 1.. {
            let mut candidate = if n == 1 {
                preferred.to_owned()
            } else {
                format!("{preferred}_{n}")
            };
            if NOT_RAW.contains(&candidate.as_str()) {
                candidate.push('_');
            }
            let valid = is_plain_ident(&candidate) || is_keyword(&candidate);
            if valid && self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
        unreachable!("an unbounded search always finds a free name")
    }
}

/// Field names of one struct: snake_case, unique, keywords escaped.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    taken: HashSet<String>,
}

impl Fields {
    /// The field identifier for wire name `wire`, and whether serde needs a rename.
    pub(crate) fn alloc(&mut self, wire: &str) -> (Ident, bool) {
        let base = snake(wire);
        for n in 1.. {
            let candidate = if n == 1 {
                base.clone()
            } else {
                format!("{base}_{n}")
            };
            if self.taken.insert(candidate.clone()) {
                let ident = field_ident(&candidate);
                let plain = ident.to_string();
                let plain = plain.trim_start_matches("r#");
                let renamed = plain != wire;
                return (ident, renamed);
            }
        }
        unreachable!("an unbounded search always finds a free name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal("planet_moons"), "PlanetMoons");
        assert_eq!(pascal("2fa codes"), "T2faCodes");
        assert_eq!(pascal("!!"), "T");
        assert_eq!(snake("userId"), "user_id");
        assert_eq!(snake("2fa"), "_2fa");
        assert_eq!(field_ident("type").to_string(), "r#type");
        assert_eq!(field_ident("self").to_string(), "self_");
        assert_eq!(derive_module("HttpLog"), "http_log");
    }

    #[test]
    fn allocation_avoids_collisions_and_keywords() {
        let mut ns = Namespace::default();
        assert_eq!(ns.alloc("Planet", true), "Planet");
        assert_eq!(ns.alloc("Planet", true), "Planet2");
        assert_eq!(ns.alloc("PlanetInsert", false), "PlanetInsert2");
        // `Type` would put its columns in `mod type`.
        assert_eq!(ns.alloc("Type", true), "Type2");
        assert_eq!(ns.alloc("Self", false), "Self2");
        assert_eq!(ns.alloc("String", false), "String2");
        let mut f = Fields::default();
        assert_eq!(f.alloc("id").0.to_string(), "id");
        let (ident, renamed) = f.alloc("userId");
        assert_eq!((ident.to_string().as_str(), renamed), ("user_id", true));
        let (ident, renamed) = f.alloc("user_id");
        assert_eq!((ident.to_string().as_str(), renamed), ("user_id_2", true));
        let (ident, renamed) = f.alloc("type");
        assert_eq!((ident.to_string().as_str(), renamed), ("r#type", false));
    }
}
