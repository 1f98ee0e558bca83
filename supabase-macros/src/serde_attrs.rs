//! What the derives read of `#[serde(...)]`: the wire name of a field (the derives follow serde's
//! names, never diverge from them), and whether serde's derive decodes the struct the way the
//! generated row decoder does (`decoder.rs`).

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::errors::Errors;
use crate::symbol::{SERDE, SERDE_DECODING_CONTAINER_KEYS, SERDE_DECODING_FIELD_KEYS};
use crate::table::attr::skip_value;

/// `#[serde(...)]` on the struct.
pub(crate) struct SerdeContainer {
    /// `rename_all` / `rename_all_fields`: both derives reject it (wire names stay visible).
    pub(crate) rename_all: Option<Span>,
    /// A key that changes how serde decodes rows (`from`, `transparent`, …).
    pub(crate) custom_decoding: bool,
}

impl SerdeContainer {
    pub(crate) fn parse(attrs: &[Attribute]) -> Self {
        let mut out = SerdeContainer {
            rename_all: None,
            custom_decoding: false,
        };
        for attr in attrs.iter().filter(|a| a.path().is_ident(SERDE)) {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") || meta.path.is_ident("rename_all_fields") {
                    out.rename_all = Some(meta.path.span());
                } else if !is_one_of(&meta.path, SERDE_DECODING_CONTAINER_KEYS) {
                    out.custom_decoding = true;
                }
                skip_value(&meta);
                Ok(())
            });
        }
        out
    }
}

/// `#[serde(...)]` on a field.
#[derive(Default)]
pub(crate) struct SerdeField {
    /// `rename = "..."`: the field's key on the wire.
    pub(crate) rename: Option<LitStr>,
    /// `skip`, `skip_deserializing` or `default`: the field may be absent from rows.
    pub(crate) may_be_absent: bool,
    pub(crate) flatten: Option<Span>,
    /// A key that changes how serde decodes the field (`with`, `skip`, `alias`, …).
    pub(crate) custom_decoding: bool,
}

impl SerdeField {
    /// Reads the field's serde keys; `rename(serialize = .., deserialize = ..)` is an error, as it
    /// would give one column two names.
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = SerdeField::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident(SERDE)) {
            let _ = attr.parse_nested_meta(|meta| {
                if !is_one_of(&meta.path, SERDE_DECODING_FIELD_KEYS) {
                    out.custom_decoding = true;
                }
                if meta.path.is_ident("rename") {
                    if meta.input.peek(syn::Token![=]) {
                        if let Ok(lit) = meta.value().and_then(|v| v.parse::<LitStr>()) {
                            out.rename = Some(lit);
                        }
                    } else {
                        errors.spanned(
                            &meta.path,
                            "`#[serde(rename(serialize = .., deserialize = ..))]` gives a column two names; use one `#[serde(rename = \"...\")]`",
                        );
                        skip_value(&meta);
                    }
                } else if meta.path.is_ident("skip")
                    || meta.path.is_ident("skip_deserializing")
                    || meta.path.is_ident("default")
                {
                    out.may_be_absent = true;
                    skip_value(&meta);
                } else if meta.path.is_ident("flatten") {
                    out.flatten = Some(meta.path.span());
                } else {
                    skip_value(&meta);
                }
                Ok(())
            });
        }
        out
    }

    /// The key serde reads the field `ident` from.
    pub(crate) fn wire_name(&self, ident: &syn::Ident) -> String {
        self.rename.as_ref().map_or_else(
            || ident.to_string().trim_start_matches("r#").to_owned(),
            LitStr::value,
        )
    }
}

fn is_one_of(path: &syn::Path, keys: &[&str]) -> bool {
    keys.iter().any(|key| path.is_ident(key))
}
