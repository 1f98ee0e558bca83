//! Measuring: process CPU time and peak RSS, latency percentiles, medians of rounds.

use std::time::Duration;

/// CPU time of this whole process (every live thread), in nanoseconds, summed from
/// `/proc/self/task/*/schedstat` (nanosecond precision; `/proc/self/stat` only counts 10 ms
/// ticks). The measured clients run on a current-thread runtime, so this is their CPU.
pub(crate) fn process_cpu() -> Duration {
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

/// Peak resident set size of this process (`VmHWM`), in bytes.
pub(crate) fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The value at quantile `q` (0..=1) of `samples`.
pub(crate) fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort();
    let i = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[i]
}

/// Median of a few round results (the upper one of an even count).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
