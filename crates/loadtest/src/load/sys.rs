//! What the kernel tells us about processes and the machine: RSS from
//! `/proc/<pid>/status`, CPU time from `/proc/<pid>/stat` (a process tree's utime + stime,
//! plus what its reaped children used), CPU pinning through `taskset`, and the machine's
//! description for the results file.

use std::collections::HashMap;
use std::process::Command;

use anyhow::{Context, bail};

/// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`, 100 on Linux).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Resident set size of `pid`, in bytes.
pub fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix("VmRSS:") {
            let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().context("VmRSS")?;
            return Ok(kib * 1024);
        }
    }
    bail!("no VmRSS for {pid}")
}

/// (ppid, utime + stime, cutime + cstime) of `pid`, in ticks.
fn stat(pid: u32) -> Option<(u32, u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    let ppid = fields.get(1)?.parse().ok()?;
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Some((ppid, num(11) + num(12), num(13) + num(14)))
}

/// Every process's parent, from `/proc`.
fn parents() -> HashMap<u32, u32> {
    let mut map = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            if let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok())
                && let Some((ppid, _, _)) = stat(pid)
            {
                map.insert(pid, ppid);
            }
        }
    }
    map
}

/// `root` and all its descendants alive now.
pub fn tree(root: u32) -> Vec<u32> {
    let parents = parents();
    let mut out = vec![root];
    let mut i = 0;
    // Bounded: every pid is added at most once.
    while i < out.len() && out.len() <= parents.len() + 1 {
        let parent = out[i];
        for (&pid, &ppid) in &parents {
            if ppid == parent && !out.contains(&pid) {
                out.push(pid);
            }
        }
        i += 1;
    }
    out
}

/// CPU ticks used so far by `root`'s tree: each live member's own time, plus the time of
/// children `root` already reaped (PostgreSQL backends that came and went).
pub fn tree_cpu_ticks(root: u32) -> u64 {
    let mut total = 0;
    for pid in tree(root) {
        if let Some((_, own, reaped)) = stat(pid) {
            total += own;
            if pid == root {
                total += reaped;
            }
        }
    }
    total
}

/// CPU ticks used so far by `pid` itself (all its threads).
pub fn cpu_ticks(pid: u32) -> u64 {
    stat(pid).map_or(0, |(_, own, _)| own)
}

/// CPU ticks processes of the whole machine used so far (all CPUs, from `/proc/stat`):
/// user, nice and system. Interrupt and softirq time is left out: most of it is the
/// kernel carrying our own loopback traffic, charged to no process.
pub fn machine_busy_ticks() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/stat") else { return 0 };
    let Some(line) = text.lines().next() else { return 0 };
    let fields: Vec<u64> = line.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal ...
    [0, 1, 2].iter().filter_map(|&i| fields.get(i)).sum()
}

/// Pins every thread of `pid` to `cpus` (a `taskset` list such as `0` or `0-1`).
pub fn pin(pid: u32, cpus: &str) -> anyhow::Result<()> {
    let out = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .output()
        .context("running taskset")?;
    if !out.status.success() {
        bail!("taskset -a -p -c {cpus} {pid}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Pins `root` and all its descendants (new children inherit the root's affinity).
pub fn pin_tree(root: u32, cpus: &str) -> anyhow::Result<()> {
    for pid in tree(root) {
        pin(pid, cpus)?;
    }
    Ok(())
}

pub fn nproc() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The machine and the code the figures belong to.
pub fn machine() -> serde_json::Value {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_default();
    let mem_total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| t.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned()))
        .and_then(|kib| kib.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024);
    let dirty = !command_output("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
    serde_json::json!({
        "nproc": nproc(),
        "cpu_model": cpu_model,
        "mem_total_bytes": mem_total,
        "kernel": command_output("uname", &["-sr"]),
        "date": command_output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
        "git_commit": command_output("git", &["rev-parse", "HEAD"]),
        "git_dirty": dirty,
        "open_files_limit": command_output("sh", &["-c", "ulimit -n"]),
    })
}

/// Today's date (UTC), `YYYY-MM-DD`: the results file's name.
pub fn today() -> String {
    let date = command_output("date", &["-u", "+%Y-%m-%d"]);
    if date.is_empty() { "undated".to_owned() } else { date }
}
