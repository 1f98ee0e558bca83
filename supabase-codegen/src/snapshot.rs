//! `--snapshot` / `--from-snapshot`: the IR as pretty JSON, for builds without a database.

use std::path::Path;

use crate::error::{Error, Result};
use crate::ir::{IR_VERSION, Ir};

/// The IR as pretty-printed JSON (stable: the IR's lists are sorted).
pub fn to_json(ir: &Ir) -> String {
    let mut s = serde_json::to_string_pretty(ir).unwrap_or_else(|e| {
        // Serialising plain structs of strings, bools and vectors cannot fail.
        panic!("IR serialisation failed: {e}")
    });
    s.push('\n');
    s
}

/// Parses a snapshot, checking its format version.
pub fn from_json(json: &str, path: &str) -> Result<Ir> {
    let ir: Ir = serde_json::from_str(json).map_err(|e| Error::Snapshot {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if ir.version != IR_VERSION {
        return Err(Error::Snapshot {
            path: path.to_owned(),
            message: format!(
                "format version {} but this supabase-codegen reads version {IR_VERSION}: regenerate it with --snapshot",
                ir.version
            ),
        });
    }
    Ok(ir)
}

/// Reads a snapshot file.
pub fn load(path: impl AsRef<Path>) -> Result<Ir> {
    let path = path.as_ref();
    let json = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    from_json(&json, &path.display().to_string())
}

/// Writes a snapshot file.
pub fn save(ir: &Ir, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, to_json(ir)).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}
