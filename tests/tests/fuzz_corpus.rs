//! Replays every committed fuzz input (`fuzz/seeds/<target>/*`, `fuzz/corpus/<target>/*`)
//! through the fuzz target bodies (`fuzz/src/lib.rs`), on stable and without libFuzzer, so the
//! targets keep compiling and every input that once crashed stays fixed. Fuzzing itself: `cargo xtask fuzz --minutes N`.

use std::path::{Path, PathBuf};

#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod targets;

/// The files of `fuzz/<kind>/<target>/`, sorted; none when the directory does not exist.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `body` on every seed (hand-written inputs and past crashes) and every corpus input.
fn replay(target: &str, body: fn(&[u8])) {
    let seeds = inputs("seeds", target);
    assert!(!seeds.is_empty(), "fuzz/seeds/{target} is empty");
    let files = seeds.into_iter().chain(inputs("corpus", target));
    for file in files {
        let data = std::fs::read(&file).expect("a fuzz input");
        if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            panic!("{target}: {} fails: {message}", file.display());
        }
    }
}

#[test]
fn encoder_corpus() {
    replay("encoder", targets::encoder);
}

#[test]
fn response_corpus() {
    replay("response", targets::response);
}

#[test]
fn realtime_frame_corpus() {
    replay("realtime_frame", targets::realtime_frame);
}

#[test]
fn jwt_corpus() {
    replay("jwt", targets::jwt);
}

#[test]
fn storage_path_corpus() {
    replay("storage_path", targets::storage_path);
}

#[test]
fn rows_corpus() {
    replay("rows", targets::rows);
    // The seeds in the decoder's shape are decoded by it (so the property is checked on them),
    // the others are left to serde_json.
    use supabase_core::Table;
    for (seed, decoded) in [
        ("page.json", true),
        ("numbers.json", true),
        ("spaced.json", true),
        ("empty.json", true),
        ("declined.json", false),
        ("null_in_a_non_null_column.json", false),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/seeds/rows")
            .join(seed);
        let text = std::fs::read_to_string(path).expect("a seed");
        let rows = targets::FuzzRow::decode_rows(&text, None);
        assert_eq!(rows.is_some(), decoded, "{seed}: {rows:?}");
    }
}
