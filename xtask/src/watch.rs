//! Steps run under a deadline. A hung test would otherwise run until CI's own limit and end the
//! log without a word of where it hung. Past the deadline this prints what is still running (for
//! each test binary, where its threads are in this workspace's code, read with gdb when it is
//! installed), then stops it, so the step fails with that report as the last thing in the log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// Waits for `child`; past `deadline`, reports and kills it and everything it started.
pub(crate) fn wait(child: &mut Child, deadline: Duration) -> Result<ExitStatus, String> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        if started.elapsed() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let running = descendants(child.id());
    let report = report(&running);
    // Test binaries first: the watchdogs of their servers then stop those servers and remove
    // the stacks' directories themselves.
    let (tests, others): (Vec<_>, Vec<_>) = running.iter().partition(|p| p.is_test_binary());
    for p in &tests {
        kill(p.pid);
    }
    if !tests.is_empty() {
        std::thread::sleep(Duration::from_secs(2));
    }
    for p in others.iter().rev().filter(|p| p.pid != child.id()) {
        kill(p.pid);
    }
    let _ = child.kill();
    let _ = child.wait();
    let limit = match deadline.as_secs() {
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        _ => format!("{:.1} s", deadline.as_secs_f64()),
    };
    Err(format!(
        "did not finish within {limit}; what was still running:\n{report}"
    ))
}

/// One process under the step.
#[derive(Debug)]
struct Process {
    pid: u32,
    cmdline: String,
    exe: Option<PathBuf>,
}

impl Process {
    /// Cargo puts test binaries in `target/<profile>/deps/`.
    fn is_test_binary(&self) -> bool {
        self.exe
            .as_ref()
            .and_then(|e| e.parent())
            .is_some_and(|dir| dir.ends_with("deps"))
    }
}

/// `root` and every process below it, parents before their children (from `/proc`).
fn descendants(root: u32) -> Vec<Process> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Some(ppid) = parent_of(pid) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let process = |pid: u32| Process {
        pid,
        cmdline: one_line(&String::from_utf8_lossy(
            &std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default(),
        )),
        exe: std::fs::read_link(format!("/proc/{pid}/exe")).ok(),
    };
    let mut found = vec![process(root)];
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            found.push(process(child));
            queue.push(child);
        }
    }
    found
}

/// A NUL-separated command line on one line, at most 200 characters; the script of `sh -c`
/// (the servers' watchdogs) as `…`.
fn one_line(cmdline: &str) -> String {
    let mut args: Vec<&str> = cmdline.trim_end_matches('\0').split('\0').collect();
    if args.get(1) == Some(&"-c") && args.len() > 2 {
        args[2] = "…";
    }
    args.join(" ")
        .replace('\n', " ")
        .chars()
        .take(200)
        .collect()
}

/// The parent pid from `/proc/<pid>/stat` (`pid (comm) state ppid …`; `comm` may hold spaces).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

fn kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status();
}

/// Each process on a line (the first 30); then, for test binaries, each thread that is in
/// workspace code: last, where the tail of a log shows it.
fn report(running: &[Process]) -> String {
    const SHOWN: usize = 30;
    let mut out = String::new();
    for p in running.iter().take(SHOWN) {
        out.push_str(&format!("  {} {}\n", p.pid, p.cmdline));
    }
    if running.len() > SHOWN {
        out.push_str(&format!("  … and {} more\n", running.len() - SHOWN));
    }
    for p in running.iter().filter(|p| p.is_test_binary()) {
        out.push_str(&format!(
            "  threads of {} in this workspace's code:\n",
            p.pid
        ));
        match backtraces(p.pid) {
            Ok(text) => {
                let threads = summarize(&text, &crate::root());
                if threads.is_empty() {
                    out.push_str("    (none)\n");
                }
                for line in threads {
                    out.push_str(&format!("    {line}\n"));
                }
            }
            Err(why) => out.push_str(&format!("    {why}\n")),
        }
    }
    out
}

/// `thread apply all bt` of a running process, by gdb (bounded by `timeout`).
fn backtraces(pid: u32) -> Result<String, String> {
    let out = Command::new("timeout")
        .args(["120", "gdb", "-p", &pid.to_string(), "-batch", "-nx"])
        .args(["-ex", "set pagination off", "-ex", "thread apply all bt"])
        .output()
        .map_err(|e| format!("no backtraces (gdb: {e})"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.contains("\nThread ") || text.starts_with("Thread ") {
        Ok(text)
    } else {
        Err(format!(
            "no backtraces ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ))
    }
}

/// One line per thread that has frames in this workspace (gdb prints their files relative to
/// it, as `supabase-local/src/…`): the thread's name, its innermost frame (what it waits in),
/// then its innermost workspace frames. A task parked in an `.await` shows only its runtime's
/// `block_on`: this finds threads blocked outside the async runtime.
fn summarize(gdb: &str, root: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    let mut thread: Option<(String, Option<String>, Vec<String>)> = None;
    let flush = |t: Option<(String, Option<String>, Vec<String>)>, lines: &mut Vec<String>| {
        if let Some((name, Some(top), ours)) = t
            && !ours.is_empty()
        {
            lines.push(format!("{name}: in {top} <- {}", ours.join(" <- ")));
        }
    };
    for line in gdb.lines() {
        if let Some(header) = line.strip_prefix("Thread ") {
            flush(thread.take(), &mut lines);
            let name = header
                .split('"')
                .nth(1)
                .map_or_else(|| header.to_owned(), |n| format!("\"{n}\""));
            thread = Some((name, None, Vec::new()));
        } else if let Some((_, top, ours)) = thread.as_mut()
            && line.starts_with('#')
        {
            let function = frame_function(line);
            if top.is_none() {
                *top = Some(function.clone());
            }
            if let Some((_, at)) = line.rsplit_once(" at ")
                && in_workspace(at, root)
                && ours.len() < 4
            {
                ours.push(format!("{function} ({at})"));
            }
        }
    }
    flush(thread, &mut lines);
    lines
}

/// Whether gdb's `file:line` is a relative path into a directory of the workspace (the C
/// library's are `./…` or `../…`, the standard library's `library/…`, dependencies' absolute).
fn in_workspace(at: &str, root: &Path) -> bool {
    !at.starts_with(['/', '.'])
        && at
            .split('/')
            .next()
            .is_some_and(|first| root.join(first).is_dir())
}

/// `#3  0x… in name::h0123456789abcdef (args…) at file:line` → `name`.
fn frame_function(frame: &str) -> String {
    let rest = frame.split_once(" in ").map_or_else(
        || frame.split_once("  ").map_or(frame, |(_, r)| r),
        |(_, r)| r,
    );
    let name = rest.split(" (").next().unwrap_or(rest).trim();
    match name.rsplit_once("::h") {
        Some((path, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            path.to_owned()
        }
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_past_its_deadline_is_reported_and_stopped() {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 300 & sleep 301; wait"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let started = descendants(child.id());
        assert_eq!(
            started.len(),
            3,
            "the shell and its two sleeps: {started:?}"
        );
        let err = wait(&mut child, Duration::from_millis(500)).unwrap_err();
        assert!(err.contains("sleep 300"), "{err}");
        assert!(err.contains("sleep 301"), "{err}");
        // Killed and reaped (by init, once their shell is gone), or at least dead.
        let running = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| !s[s.rfind(')').unwrap()..].starts_with(") Z"))
        };
        // A signal is delivered asynchronously: give the kernel a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        while started.iter().any(|p| running(p.pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        for p in &started {
            assert!(!running(p.pid), "{p:?} still running");
        }
    }

    #[test]
    fn a_step_within_its_deadline_gives_its_status() {
        let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
        let status = wait(&mut child, Duration::from_secs(60)).unwrap();
        assert_eq!(status.code(), Some(3));
    }

    #[test]
    fn command_lines_are_shown_on_one_line() {
        assert_eq!(
            one_line("/bin/sh\0-c\0sig=$1\nshift\0watchdog\0TERM\0/usr/bin/postgres\0"),
            "/bin/sh -c … watchdog TERM /usr/bin/postgres"
        );
        assert_eq!(one_line("cargo\0test\0"), "cargo test");
    }

    #[test]
    fn gdb_output_is_summarized_to_workspace_frames() {
        let gdb = "\
Thread 2 (Thread 0x7f (LWP 12) \"rust_handlers::\"):
#0  0x00007f in __futex_abstimed_wait_common () at ./nptl/futex-internal.c:57
#1  0x000055 in std::thread::sleep (dur=...) at /rustc/abc/library/std/src/thread/mod.rs:1
#2  0x000055 in supabase_local::process::Supervised::stop::h0123456789abcdef (self=0x1) at supabase-local/src/process.rs:172
#3  0x000055 in functions::rust_handlers::deno_workers_stop_with_the_stack::{{closure}} () at tests/tests/functions/rust_handlers.rs:160
#4  0x000055 in core::ops::function::FnOnce::call_once () at library/core/src/ops/function.rs:250

Thread 1 (Thread 0x7e (LWP 11) \"functions-9de2\"):
#0  0x00007f in syscall () at ../sysdeps/unix/sysv/linux/x86_64/syscall.S:38
#1  0x000055 in std::sys::pal::unix::futex::futex_wait () at /rustc/abc/library/std/src/sys/pal/unix/futex.rs:1
";
        assert_eq!(
            summarize(gdb, &crate::root()),
            vec![
                "\"rust_handlers::\": in __futex_abstimed_wait_common <- \
                 supabase_local::process::Supervised::stop (supabase-local/src/process.rs:172) <- \
                 functions::rust_handlers::deno_workers_stop_with_the_stack::{{closure}} \
                 (tests/tests/functions/rust_handlers.rs:160)"
            ]
        );
    }
}
