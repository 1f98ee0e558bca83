//! `--check`: compare the generated file with the one on disk, as a unified diff.

use similar::TextDiff;

/// A unified diff from `on_disk` to `generated` (labelled with `path`), or `None` when equal.
pub fn diff(path: &str, on_disk: &str, generated: &str) -> Option<String> {
    if on_disk == generated {
        return None;
    }
    let diff = TextDiff::from_lines(on_disk, generated);
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("{path} (on disk)"), &format!("{path} (generated)"))
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn diff_shows_changed_lines() {
        assert_eq!(super::diff("a.rs", "x\n", "x\n"), None);
        let d = super::diff("a.rs", "a\nb\nc\n", "a\nB\nc\n").expect("differs");
        assert!(d.contains("--- a.rs (on disk)"), "{d}");
        assert!(d.contains("-b\n+B\n"), "{d}");
    }
}
