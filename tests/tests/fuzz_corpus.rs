//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/*`) through the fuzz target
//! bodies (`fuzz/src/lib.rs`), on stable and without libFuzzer, so the targets keep compiling
//! and every input that once crashed stays fixed. Fuzzing itself: `cargo xtask fuzz --minutes N`.

use std::path::{Path, PathBuf};

#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod targets;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, body: fn(&[u8])) {
    let files = corpus(target);
    assert!(!files.is_empty(), "the {target} corpus is empty");
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file");
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
