//! The other languages' clients, installed at pinned versions into `target/bench/peers/`:
//! supabase-py in a venv (`python3 -m venv`, pip) and supabase-js in an npm folder. Each runs a
//! script from `xtask/bench-peers/` that does the same workload and prints the same JSON line.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::root;

/// The supabase-py release measured.
pub(crate) const SUPABASE_PY: &str = "2.34.1";
/// The supabase-js release measured.
pub(crate) const SUPABASE_JS: &str = "2.119.0";
/// `ws`, the WebSocket supabase-js asks for on Node < 22 (unused by the workloads).
const WS: &str = "8.23.0";

/// A peer ready to run: the interpreter and the script.
pub(crate) struct Peer {
    program: PathBuf,
    script: PathBuf,
}

impl Peer {
    /// The command running `workload` `ops` times.
    pub(crate) fn command(&self, workload: &str, ops: usize) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg(&self.script).arg(workload).arg(ops.to_string());
        if let Some(dir) = self.script.parent() {
            cmd.current_dir(dir);
        }
        cmd
    }
}

fn dir() -> PathBuf {
    super::out_dir().join("peers")
}

fn run(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: could not start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .rev()
                .take(1500)
                .collect::<String>()
                .chars()
                .rev()
                .collect::<String>()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// supabase-py `SUPABASE_PY` in `target/bench/peers/py` (created or reused).
pub(crate) fn python() -> Result<Peer, String> {
    let venv = dir().join("py");
    let python = venv.join("bin/python");
    let installed = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('supabase'))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if installed.as_deref() != Some(SUPABASE_PY) {
        println!(
            "  installing supabase-py {SUPABASE_PY} into {} ...",
            venv.display()
        );
        std::fs::create_dir_all(dir()).map_err(|e| e.to_string())?;
        run(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv",
        )?;
        run(
            Command::new(venv.join("bin/pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("supabase=={SUPABASE_PY}"),
            ]),
            "pip install supabase",
        )?;
    }
    Ok(Peer {
        program: python,
        script: root().join("xtask/bench-peers/bench.py"),
    })
}

/// supabase-js `SUPABASE_JS` in `target/bench/peers/js` (created or reused), with the script
/// copied next to its `node_modules` so the import resolves.
pub(crate) fn node() -> Result<Peer, String> {
    let folder = dir().join("js");
    std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
    let installed = |package: &str| {
        std::fs::read_to_string(folder.join(format!("node_modules/{package}/package.json")))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["version"].as_str().map(str::to_owned))
    };
    if installed("@supabase/supabase-js").as_deref() != Some(SUPABASE_JS)
        || installed("ws").as_deref() != Some(WS)
    {
        println!(
            "  installing supabase-js {SUPABASE_JS} into {} ...",
            folder.display()
        );
        let package = serde_json::json!({
            "name": "supabase-rs-bench-peer",
            "private": true,
            "type": "module",
            "dependencies": { "@supabase/supabase-js": SUPABASE_JS, "ws": WS },
        });
        std::fs::write(folder.join("package.json"), package.to_string())
            .map_err(|e| e.to_string())?;
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent"])
                .current_dir(&folder),
            "npm install @supabase/supabase-js",
        )?;
    }
    let script = folder.join("bench.mjs");
    copy(&root().join("xtask/bench-peers/bench.mjs"), &script)?;
    let node = run(Command::new("node").arg("--version"), "node --version")?;
    println!("  node {node}, supabase-js {SUPABASE_JS}");
    Ok(Peer {
        program: PathBuf::from("node"),
        script,
    })
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}
