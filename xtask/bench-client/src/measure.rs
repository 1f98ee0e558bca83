//! Measuring: process CPU time and peak RSS, latency percentiles, medians of rounds.

use std::time::Duration;

/// CPU time of this whole process (every live thread), in nanoseconds, summed from
/// `/proc/self/task/*/schedstat` (nanosecond precision; `/proc/self/stat` only counts 10 ms
/// ticks). The measured clients run on a current-thread runtime, so this is their CPU.
pub fn process_cpu() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(ns)
}

/// Minor page faults of this whole process so far (`minflt`, field 10 of `/proc/self/stat`):
/// each is a page the kernel had to map in on first touch, such as memory that malloc took back
/// from the kernel and then gave back again.
pub fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7)?.parse().ok())
        .unwrap_or(0)
}

/// Peak resident set size of this process (`VmHWM`), in bytes.
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The value at quantile `q` (0..=1) of `samples`.
pub fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort();
    let i = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[i]
}

/// Median of a few round results (the upper one of an even count).
pub fn median(values: Vec<f64>) -> f64 {
    quantile(values, 0.5)
}

/// The value at quantile `q` (0..=1) of `values`, as [`percentile`] picks it; NaN when empty.
pub fn quantile(mut values: Vec<f64>, q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

/// Where this process's resident memory is, now (not at its peak), from `/proc/self/smaps`: pages
/// of the executable itself (its code and data, file-backed), of shared libraries, of the heap
/// (`[heap]`: what malloc takes with `brk`), of the main thread's `[stack]`, and of anonymous
/// mappings (other threads' stacks, malloc's `mmap` arenas). Bytes; `Threads` from
/// `/proc/self/status` alongside.
pub fn rss_breakdown() -> serde_json::Value {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    let (mut binary, mut libs, mut heap, mut stack, mut anon, mut other) = (0, 0, 0, 0, 0, 0);
    let mut current = "";
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first.contains('-') && first.chars().next().is_some_and(|c| c.is_ascii_hexdigit()) {
            // A mapping's header: range perms offset dev inode [path].
            current = line.split_whitespace().nth(5).unwrap_or("");
            continue;
        }
        if first != "Rss:" {
            continue;
        }
        let kb: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        let bucket = match current {
            "" => &mut anon,
            "[heap]" => &mut heap,
            "[stack]" => &mut stack,
            p if p == exe => &mut binary,
            p if p.starts_with('/') => &mut libs,
            _ => &mut other,
        };
        *bucket += kb * 1024;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
    };
    let exe_bytes = std::fs::metadata(&exe).map_or(0, |m| m.len());
    serde_json::json!({
        "binary": binary,
        "shared_libs": libs,
        "heap": heap,
        "main_stack": stack,
        "anon": anon,
        "other": other,
        "vm_rss": field("VmRSS:").map_or(0, |kb| kb * 1024),
        "threads": field("Threads:").unwrap_or(0),
        "exe_file_bytes": exe_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The groups add up to the process's RSS, and the executable's own pages are found (the
    /// path in `/proc/self/smaps` matches `current_exe`).
    #[test]
    fn rss_breakdown_accounts_for_the_resident_set() {
        let r = rss_breakdown();
        let n = |k: &str| r[k].as_u64().unwrap_or(0);
        let groups: u64 = [
            "binary",
            "shared_libs",
            "heap",
            "main_stack",
            "anon",
            "other",
        ]
        .iter()
        .map(|k| n(k))
        .sum();
        assert!(n("binary") > 0, "{r}");
        assert!(n("threads") >= 1, "{r}");
        let rss = n("vm_rss");
        assert!(
            groups.abs_diff(rss) <= rss / 10,
            "groups {groups} vs VmRSS {rss}: {r}"
        );
        assert!(peak_rss() > 0, "VmHWM not read");
        // Touching fresh pages of a new mapping faults them in.
        let before = minor_faults();
        let pages = vec![1u8; 64 * 4096];
        assert!(minor_faults() >= before + 32, "{before} {}", pages.len());
    }
}
