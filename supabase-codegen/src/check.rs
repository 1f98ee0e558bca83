//! `--check`: compare the generated file with the one on disk, as a unified diff.
//!
//! Formatting does not count: when both files parse as Rust they are compared after
//! re-formatting both with prettyplease, so a checked-in file that went through `rustfmt` is
//! still up to date, and the diff shows only real changes. (Plain `//` comments, such as the
//! header and `// unknown type`, are not part of that comparison.)

use similar::TextDiff;

/// A unified diff from `on_disk` to `generated` (labelled with `path`), or `None` when equal.
pub fn diff(path: &str, on_disk: &str, generated: &str) -> Option<String> {
    if on_disk == generated {
        return None;
    }
    let normalized = normalize(on_disk).zip(normalize(generated));
    let (old, new) = match &normalized {
        Some((old, new)) if old == new => return None,
        Some((old, new)) => (old.as_str(), new.as_str()),
        None => (on_disk, generated),
    };
    let diff = TextDiff::from_lines(old, new);
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("{path} (on disk)"), &format!("{path} (generated)"))
            .to_string(),
    )
}

fn normalize(code: &str) -> Option<String> {
    syn::parse_file(code)
        .ok()
        .map(|f| prettyplease::unparse(&f))
}

#[cfg(test)]
mod tests {
    #[test]
    fn diff_shows_changed_lines() {
        assert_eq!(super::diff("a.rs", "x\n", "x\n"), None);
        let d = super::diff("a.rs", "a\nb\nc\n", "a\nB\nc\n").expect("differs");
        assert!(d.contains("--- a.rs (on disk)"), "{d}");
        assert!(d.contains("-b\n+B\n"), "{d}");
        // Formatting alone is no difference; a changed type is.
        let ours = "pub struct A {\n    pub x: i32,\n}\n";
        assert_eq!(
            super::diff("a.rs", "pub struct A { pub x: i32 }", ours),
            None
        );
        let d = super::diff("a.rs", "pub struct A { pub x: i64 }", ours).expect("differs");
        assert!(d.contains("-    pub x: i64,\n+    pub x: i32,"), "{d}");
    }
}
