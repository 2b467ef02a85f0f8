//! The line protocol between the coordinator and its worker processes: one JSON object per
//! line, commands on the worker's stdin, events on its stdout. Histograms travel as their
//! non-empty buckets (value, count), which the coordinator adds into its own: lossless at
//! the histogram's precision and free of extra encodings.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Highest latency a histogram records, in microseconds (larger values are clamped).
pub const HIST_MAX_US: u64 = 600_000_000;

/// A fresh latency histogram: 1 µs to 10 min, 3 significant digits.
pub fn new_hist() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, HIST_MAX_US, 3)?)
}

/// Records `us` (clamped into the histogram's range).
pub fn record(hist: &mut Histogram<u64>, us: u64) {
    let _ = hist.record(us.clamp(1, HIST_MAX_US));
}

/// One authenticated socket a worker opens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SocketSpec {
    /// Unique over the whole run: written into every body this socket sends, so its own
    /// `message_created` is recognised as the acknowledgement.
    pub gid: u32,
    /// The session token (cookie `confab_session`).
    pub token: String,
    /// The node's port on 127.0.0.1.
    pub port: u16,
    /// The chat this socket sends to at the fixed rate, if it is a sender.
    #[serde(default)]
    pub send_chat: Option<String>,
    /// Sockets in `send_chat` (all nodes, the sender's own included): deliveries expected
    /// per acknowledged send.
    #[serde(default)]
    pub chat_sockets: u32,
}

/// A histogram on the wire: its non-empty buckets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Hist(pub Vec<(u64, u64)>);

impl Hist {
    pub fn of(hist: &Histogram<u64>) -> Self {
        Hist(hist.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect())
    }

    pub fn add_into(&self, hist: &mut Histogram<u64>) {
        for &(value, count) in &self.0 {
            let _ = hist.record_n(value.clamp(1, HIST_MAX_US), count);
        }
    }
}

/// Coordinator → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Open these sockets (at most `concurrency` handshakes at once) and wait for `ready`
    /// on each; answered by `Connected`.
    Connect { sockets: Vec<SocketSpec>, concurrency: usize },
    /// Open-loop sends: this worker's share `rate` (sends/s) spread round-robin over its
    /// senders, the k-th scheduled at `start_us + phase_us + k / rate` (CLOCK_REALTIME µs)
    /// until `start_us + warm_ms + measure_ms`. Deliveries of sends scheduled inside the
    /// measured window `[start + warm, end)` are counted. Answered by `Sent` once the last
    /// send went out.
    Run { run: u32, start_us: u64, warm_ms: u64, measure_ms: u64, rate: f64, phase_us: u64 },
    /// Closed loop: every sender keeps `inflight` sends outstanding from `start_us` to the
    /// end; acknowledgements received inside the measured window are counted. Answered by
    /// `Sent` at the end.
    Ingest { run: u32, start_us: u64, warm_ms: u64, measure_ms: u64, inflight: usize },
    /// Counters of the current run so far: answered by `Progress`.
    Progress,
    /// The current run's figures (then reset): answered by `Result`.
    Collect,
    /// Open and close authenticated sockets with these sessions, `concurrency` at a time,
    /// for `duration_ms`: answered by `Handshakes`.
    Handshakes { sockets: Vec<SocketSpec>, concurrency: usize, duration_ms: u64 },
    /// Exit (the sockets are reset by the kernel).
    Close,
}

/// Worker → coordinator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Event {
    Connected {
        ok: u64,
        failed: u64,
        first_error: Option<String>,
        elapsed_ms: f64,
        handshake: Hist,
    },
    Sent {
        scheduled: u64,
        sent: u64,
        unsent: u64,
    },
    Progress {
        expected: u64,
        received: u64,
        received_any: u64,
        #[serde(default)]
        owed: u64,
    },
    Result(RunResult),
    Handshakes {
        ok: u64,
        failed: u64,
        first_error: Option<String>,
        elapsed_ms: f64,
        handshake: Hist,
    },
    /// The worker failed; it exits after this.
    Error {
        message: String,
    },
}

/// What one worker saw during one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunResult {
    /// Receive time − scheduled send time of every delivery of a measured send, µs.
    pub latency: Hist,
    /// The same at the sender only (the acknowledgement).
    pub ack: Hist,
    /// Sends scheduled inside the measured window.
    pub scheduled: u64,
    /// Acknowledgements of sends scheduled inside the window.
    pub acked: u64,
    /// `error` events answering a send.
    pub send_errors: u64,
    /// Deliveries owed: for each acknowledged measured send, its chat's sockets.
    pub expected: u64,
    /// Deliveries of measured sends received.
    pub received: u64,
    /// Deliveries owed by every send scheduled inside the window, acknowledged or not.
    #[serde(default)]
    pub owed: u64,
    /// Deliveries (of this run) received inside the window, whenever they were sent: the
    /// throughput actually sustained.
    #[serde(default)]
    pub received_in_window: u64,
    /// A message id seen twice on one socket.
    pub duplicated: u64,
    /// A seq lower than one already seen in that chat on that socket.
    pub out_of_order: u64,
    /// Sockets closed by the server (or failed) since connecting.
    pub disconnects: u64,
    /// Closed-loop runs: acknowledgements received inside the measured window.
    pub acked_in_window: u64,
    /// Per second of the run (from its start, warm-up included), by receive time:
    /// (deliveries, sum of latencies µs, max latency µs).
    #[serde(default)]
    pub timeline: Vec<(u64, u64, u64)>,
    pub first_error: Option<String>,
}
