//! The results: one `Row` per measured step (every key present, `null` where it does not
//! apply), written as `bench/results/<date>.json` and as a markdown table
//! (`<date>.md`, also printed). Latencies are in milliseconds, memory in bytes, CPU in
//! cores (1.0 = one core busy for the whole window).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use hdrhistogram::Histogram;
use serde::Serialize;

/// CPU used over a window, in cores.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cpu {
    /// PostgreSQL, Redis and every node together.
    pub server: f64,
    /// Each server process (PostgreSQL with all its backends).
    pub per_process: BTreeMap<String, f64>,
    /// The coordinator and its workers.
    pub generator: f64,
    /// Everything else on the machine (other processes, the kernel's own work): more than
    /// a few percent means the figures were disturbed.
    pub other: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    pub scenario: String,
    /// The step: a rate, a size.
    pub label: String,
    pub nodes: u32,
    /// Sockets open during the step.
    pub clients: u64,
    pub room_size: Option<u64>,
    /// Target sends/s (or requests/s).
    pub rate: Option<f64>,
    /// Length of the measured window, s.
    pub window_s: f64,
    pub deliveries_per_s: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
    pub max: Option<f64>,
    /// What p50..max measure in this row.
    pub latency_of: Option<String>,
    pub ack_p50: Option<f64>,
    pub ack_p99: Option<f64>,
    pub expected: Option<u64>,
    pub received: Option<u64>,
    /// Owed by acknowledged sends but never received (all must be 0).
    pub lost: Option<u64>,
    /// Owed by every send scheduled in the window (acknowledged or not) but not received
    /// within the drain: what a user would call "not delivered in time".
    pub undelivered: Option<u64>,
    pub duplicated: Option<u64>,
    pub out_of_order: Option<u64>,
    pub sends_scheduled: Option<u64>,
    pub sends_acked: Option<u64>,
    pub send_errors: Option<u64>,
    pub unacked: Option<u64>,
    pub disconnects: Option<u64>,
    pub server_rss_bytes: Option<u64>,
    pub rss_per_conn: Option<f64>,
    pub handshakes_per_s: Option<f64>,
    pub durable_sends_per_s: Option<f64>,
    pub cpu: Option<Cpu>,
    /// Server CPU time per delivery, µs.
    pub cpu_us_per_delivery: Option<f64>,
    /// Two nodes: `cpu_us_per_delivery` over one node's at the same rate.
    pub cpu_per_delivery_vs_one_node: Option<f64>,
    pub notes: Vec<String>,
    pub first_error: Option<String>,
    /// Open-loop steps: each second from the start of sending (the measured window starts
    /// after the warm-up), by receive time.
    pub timeline: Option<Vec<Second>>,
}

/// One second of a step's timeline.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Second {
    pub t: u64,
    pub deliveries: u64,
    pub mean_ms: f64,
    pub max_ms: f64,
}

/// Latency percentile in ms (`None` for an empty histogram).
pub fn pct(hist: &Histogram<u64>, q: f64) -> Option<f64> {
    (!hist.is_empty()).then(|| hist.value_at_quantile(q) as f64 / 1e3)
}

/// Fills p50..max from a histogram of µs.
pub fn set_latency(row: &mut Row, hist: &Histogram<u64>, of: &str) {
    row.p50 = pct(hist, 0.50);
    row.p95 = pct(hist, 0.95);
    row.p99 = pct(hist, 0.99);
    row.p999 = pct(hist, 0.999);
    row.max = (!hist.is_empty()).then(|| hist.max() as f64 / 1e3);
    row.latency_of = Some(of.to_owned());
}

fn ms(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 1000.0 => format!("{:.2} s", v / 1e3),
        Some(v) if v >= 10.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn count(v: Option<u64>) -> String {
    v.map_or("–".into(), |v| v.to_string())
}

fn rate(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.0}"))
}

/// The markdown table of all rows.
pub fn markdown(rows: &[Row], machine: &serde_json::Value) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "confab load figures — {} · {} CPUs ({}) · {} · commit {}\n\n",
        machine["date"].as_str().unwrap_or(""),
        machine["nproc"],
        machine["cpu_model"].as_str().unwrap_or(""),
        machine["kernel"].as_str().unwrap_or(""),
        machine["git_commit"].as_str().unwrap_or("").get(..10).unwrap_or(""),
    ));
    out.push_str(
        "| scenario | load | clients | deliveries/s | p50 ms | p95 | p99 | p99.9 | max | lost | dup | out-of-order | server CPU | generator CPU | other |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let mut other = Vec::new();
        if let Some(v) = r.rss_per_conn {
            other.push(format!("RSS/conn {:.1} KiB", v / 1024.0));
        }
        if let Some(v) = r.server_rss_bytes {
            other.push(format!("RSS {:.0} MiB", v as f64 / 1048576.0));
        }
        if let Some(v) = r.handshakes_per_s {
            other.push(format!("{v:.0} handshakes/s"));
        }
        if let Some(v) = r.durable_sends_per_s {
            other.push(format!("{v:.0} durable sends/s"));
        }
        if let Some(v) = r.cpu_us_per_delivery {
            other.push(format!("{v:.1} µs CPU/delivery"));
        }
        if let Some(v) = r.cpu_per_delivery_vs_one_node {
            other.push(format!("{v:.2}× one node's CPU/delivery"));
        }
        if let Some(v) = r.undelivered.filter(|v| *v > 0) {
            other.push(format!("{v} not delivered within the drain"));
        }
        if let Some(v) = r.unacked.filter(|v| *v > 0) {
            other.push(format!("{v} sends unacknowledged"));
        }
        if let Some(v) = r.send_errors.filter(|v| *v > 0) {
            other.push(format!("{v} send errors"));
        }
        if let Some(v) = r.disconnects.filter(|v| *v > 0) {
            other.push(format!("{v} sockets dropped"));
        }
        if let Some(other_cpu) = r.cpu.as_ref().map(|c| c.other).filter(|v| *v > crate::scenarios::DISTURBED)
        {
            other.push(format!("**disturbed: {:.0} % CPU used by other processes**", other_cpu * 100.0));
        }
        if let Some(of) = &r.latency_of {
            other.push(format!("latency: {of}"));
        }
        other.extend(r.notes.iter().cloned());
        let (server, generator) = match &r.cpu {
            Some(c) => (format!("{:.0} %", c.server * 100.0), format!("{:.0} %", c.generator * 100.0)),
            None => ("–".into(), "–".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.label,
            r.clients,
            rate(r.deliveries_per_s),
            ms(r.p50),
            ms(r.p95),
            ms(r.p99),
            ms(r.p999),
            ms(r.max),
            count(r.lost),
            count(r.duplicated),
            count(r.out_of_order),
            server,
            generator,
            other.join("; ").replace('|', "/"),
        ));
    }
    out
}

/// Writes `<dir>/<date>.json` and `<dir>/<date>.md`; returns the markdown.
pub fn write(
    dir: &Path,
    date: &str,
    machine: &serde_json::Value,
    config: &serde_json::Value,
    rows: &[Row],
    error: Option<&str>,
) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut scenarios: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        scenarios.entry(row.scenario.as_str()).or_default().push(row);
    }
    let json = serde_json::json!({
        "machine": machine,
        "config": config,
        "error": error,
        "results": rows,
        "scenarios": scenarios,
    });
    std::fs::write(dir.join(format!("{date}.json")), serde_json::to_string_pretty(&json)? + "\n")?;
    let mut md = markdown(rows, machine);
    if let Some(error) = error {
        md.push_str(&format!("\nThe run stopped early: {error}\n"));
    }
    std::fs::write(dir.join(format!("{date}.md")), &md)?;
    Ok(md)
}
