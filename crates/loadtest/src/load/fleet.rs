//! The coordinator's side of the worker processes: it starts copies of this binary
//! (`confab-load worker`, each bound to die with us), splits the sockets among them (at most
//! `per_worker` each, well under the per-process open-files limit), sends each its share of
//! a run, and merges what they report.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use confab_test_support::process::{spawn_bound, stop};
use hdrhistogram::Histogram;
use tokio::sync::mpsc;

use crate::proto::{self, Event, RunResult, SocketSpec};
use crate::worker::now_us;

/// One worker process.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::UnboundedReceiver<anyhow::Result<Event>>,
    /// Senders among its sockets (its share of the rate follows this).
    senders: usize,
}

impl Worker {
    fn spawn(index: usize) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating confab-load")?;
        let mut command = Command::new(exe);
        command.arg("worker").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = spawn_bound(command)?;
        let stdin = child.stdin.take().context("worker stdin")?;
        let stdout = child.stdout.take().context("worker stdout")?;
        let (tx, events) = mpsc::unbounded_channel();
        std::thread::Builder::new().name(format!("worker-{index}")).spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let event = match line {
                    Ok(line) => serde_json::from_str::<Event>(&line)
                        .with_context(|| format!("worker {index} wrote {line:.200}")),
                    Err(e) => Err(e.into()),
                };
                if tx.send(event).is_err() {
                    return;
                }
            }
            let _ = tx.send(Err(anyhow::anyhow!("worker {index} exited")));
        })?;
        Ok(Self { child, stdin, events, senders: 0 })
    }

    fn send(&mut self, command: &proto::Command) -> anyhow::Result<()> {
        let line = serde_json::to_string(command)?;
        writeln!(self.stdin, "{line}").context("writing to a worker")?;
        self.stdin.flush().context("writing to a worker")?;
        Ok(())
    }

    /// The next event, within `timeout`; a worker's `error` event is an error here.
    async fn recv(&mut self, timeout: Duration) -> anyhow::Result<Event> {
        match tokio::time::timeout(timeout, self.events.recv()).await {
            Err(_) => bail!("no answer from a worker within {timeout:?}"),
            Ok(None) => bail!("a worker's output closed"),
            Ok(Some(Err(e))) => Err(e),
            Ok(Some(Ok(Event::Error { message }))) => bail!("a worker failed: {message}"),
            Ok(Some(Ok(event))) => Ok(event),
        }
    }
}

/// How opening the fleet's sockets went.
#[derive(Debug)]
pub struct ConnectReport {
    pub ok: u64,
    pub failed: u64,
    pub first_error: Option<String>,
    pub elapsed_s: f64,
    pub handshake: Histogram<u64>,
}

/// Deliveries so far in the current run.
#[derive(Debug, Default)]
pub struct Progress {
    /// Owed by acknowledged sends of the window.
    pub expected: u64,
    /// Of sends of the window.
    pub received: u64,
    /// Of any send of the run.
    pub received_any: u64,
    /// Owed by every send scheduled in the window.
    pub owed: u64,
}

/// Merged figures of one run over all workers.
pub struct Merged {
    pub latency: Histogram<u64>,
    pub ack: Histogram<u64>,
    pub totals: RunResult,
    pub unsent: u64,
}

pub struct Fleet {
    workers: Vec<Worker>,
}

impl Fleet {
    /// `n` workers with no sockets yet.
    pub fn spawn(n: usize) -> anyhow::Result<Self> {
        let workers = (0..n.max(1)).map(Worker::spawn).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { workers })
    }

    pub fn pids(&self) -> Vec<u32> {
        self.workers.iter().map(|w| w.child.id()).collect()
    }

    /// Starts enough workers for `sockets` (at most `per_worker` each), opens them all and
    /// waits for every `ready`.
    pub async fn connect(
        sockets: Vec<SocketSpec>,
        per_worker: usize,
        concurrency: usize,
    ) -> anyhow::Result<(Self, ConnectReport)> {
        let n = sockets.len().div_ceil(per_worker.max(1)).max(1);
        let mut fleet = Self::spawn(n)?;
        let report = fleet.connect_more(sockets, concurrency).await?;
        Ok((fleet, report))
    }

    /// Spreads `sockets` round-robin over the workers and opens them.
    pub async fn connect_more(
        &mut self,
        sockets: Vec<SocketSpec>,
        concurrency: usize,
    ) -> anyhow::Result<ConnectReport> {
        let n = self.workers.len();
        let mut shares: Vec<Vec<SocketSpec>> = vec![Vec::new(); n];
        for (i, spec) in sockets.into_iter().enumerate() {
            shares[i % n].push(spec);
        }
        let started = std::time::Instant::now();
        for (worker, share) in self.workers.iter_mut().zip(shares) {
            worker.senders += share.iter().filter(|s| s.send_chat.is_some()).count();
            worker.send(&proto::Command::Connect { sockets: share, concurrency: concurrency.max(1) })?;
        }
        let mut report = ConnectReport {
            ok: 0,
            failed: 0,
            first_error: None,
            elapsed_s: 0.0,
            handshake: proto::new_hist()?,
        };
        for worker in &mut self.workers {
            match worker.recv(Duration::from_secs(300)).await? {
                Event::Connected { ok, failed, first_error, handshake, .. } => {
                    report.ok += ok;
                    report.failed += failed;
                    if report.first_error.is_none() {
                        report.first_error = first_error;
                    }
                    handshake.add_into(&mut report.handshake);
                }
                other => bail!("expected connected, got {other:?}"),
            }
        }
        report.elapsed_s = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Starts an open-loop run at `rate` sends/s in total, sending from `start_us` to
    /// `start + warm + measure`; returns that end (µs). `await_sent` waits for it.
    pub fn start_run(
        &mut self,
        run: u32,
        start_us: u64,
        warm: Duration,
        measure: Duration,
        rate: f64,
    ) -> anyhow::Result<u64> {
        let senders: usize = self.workers.iter().map(|w| w.senders).sum();
        if senders == 0 {
            bail!("no senders in this fleet");
        }
        let n = self.workers.len() as f64;
        for (i, worker) in self.workers.iter_mut().enumerate() {
            let share = rate * worker.senders as f64 / senders as f64;
            // Workers interleave: worker i starts i/n of its interval later.
            let phase_us = if share > 0.0 { (1e6 / share * i as f64 / n) as u64 } else { 0 };
            worker.send(&proto::Command::Run {
                run,
                start_us,
                warm_ms: warm.as_millis() as u64,
                measure_ms: measure.as_millis() as u64,
                rate: share,
                phase_us,
            })?;
        }
        Ok(start_us + (warm + measure).as_micros() as u64)
    }

    /// Starts a closed-loop run: every sender keeps `inflight` sends outstanding until the
    /// end, which it returns (µs).
    pub fn start_ingest(
        &mut self,
        run: u32,
        start_us: u64,
        warm: Duration,
        measure: Duration,
        inflight: usize,
    ) -> anyhow::Result<u64> {
        for worker in &mut self.workers {
            worker.send(&proto::Command::Ingest {
                run,
                start_us,
                warm_ms: warm.as_millis() as u64,
                measure_ms: measure.as_millis() as u64,
                inflight,
            })?;
        }
        Ok(start_us + (warm + measure).as_micros() as u64)
    }

    /// Waits for every worker's last send of the run ending at `end_us`: (sent, unsent).
    pub async fn await_sent(&mut self, end_us: u64) -> anyhow::Result<(u64, u64)> {
        let wait = Duration::from_micros(end_us.saturating_sub(now_us())) + Duration::from_secs(30);
        let (mut sent, mut unsent) = (0, 0);
        for worker in &mut self.workers {
            match worker.recv(wait).await? {
                Event::Sent { sent: s, unsent: u, .. } => {
                    sent += s;
                    unsent += u;
                }
                other => bail!("expected sent, got {other:?}"),
            }
        }
        Ok((sent, unsent))
    }

    /// Counters of the current run so far, summed over all workers.
    pub async fn progress(&mut self) -> anyhow::Result<Progress> {
        for worker in &mut self.workers {
            worker.send(&proto::Command::Progress)?;
        }
        let mut total = Progress::default();
        for worker in &mut self.workers {
            match worker.recv(Duration::from_secs(30)).await? {
                Event::Progress { expected, received, received_any, owed } => {
                    total.expected += expected;
                    total.received += received;
                    total.received_any += received_any;
                    total.owed += owed;
                }
                other => bail!("expected progress, got {other:?}"),
            }
        }
        Ok(total)
    }

    /// Waits until every delivery owed by the window's sends arrived or `max` passed
    /// (what is missing then was not delivered in time); if the server fell behind,
    /// then until nothing more arrives for a second (at most `quiet_max`), so the next
    /// run starts clean. Returns how long the first wait took.
    pub async fn drain(&mut self, max: Duration, quiet_max: Duration) -> anyhow::Result<Duration> {
        let started = std::time::Instant::now();
        let mut complete = false;
        // Bounded by `max`: one poll per 100 ms.
        while started.elapsed() < max {
            let p = self.progress().await?;
            if p.received >= p.owed.max(p.expected) {
                complete = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let drained = started.elapsed();
        if !complete {
            let quiet_started = std::time::Instant::now();
            let mut last = self.progress().await?.received_any;
            while quiet_started.elapsed() < quiet_max {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let now = self.progress().await?.received_any;
                if now == last {
                    break;
                }
                last = now;
            }
        }
        Ok(drained)
    }

    /// Collects and merges the run's figures (the workers reset theirs).
    pub async fn collect(&mut self, unsent: u64) -> anyhow::Result<Merged> {
        for worker in &mut self.workers {
            worker.send(&proto::Command::Collect)?;
        }
        let mut merged = Merged {
            latency: proto::new_hist()?,
            ack: proto::new_hist()?,
            totals: RunResult::default(),
            unsent,
        };
        for worker in &mut self.workers {
            match worker.recv(Duration::from_secs(60)).await? {
                Event::Result(r) => {
                    r.latency.add_into(&mut merged.latency);
                    r.ack.add_into(&mut merged.ack);
                    let t = &mut merged.totals;
                    t.scheduled += r.scheduled;
                    t.acked += r.acked;
                    t.send_errors += r.send_errors;
                    t.expected += r.expected;
                    t.received += r.received;
                    t.owed += r.owed;
                    t.received_in_window += r.received_in_window;
                    t.duplicated += r.duplicated;
                    t.out_of_order += r.out_of_order;
                    t.disconnects += r.disconnects;
                    t.acked_in_window += r.acked_in_window;
                    if t.timeline.len() < r.timeline.len() {
                        t.timeline.resize(r.timeline.len(), (0, 0, 0));
                    }
                    for (slot, (n, sum, max)) in t.timeline.iter_mut().zip(&r.timeline) {
                        slot.0 += n;
                        slot.1 += sum;
                        slot.2 = slot.2.max(*max);
                    }
                    if t.first_error.is_none() {
                        t.first_error = r.first_error;
                    }
                }
                other => bail!("expected result, got {other:?}"),
            }
        }
        Ok(merged)
    }

    /// Every worker opens and drops sockets from its share of `pool` for `duration`:
    /// (handshakes completed, failed, first error, seconds, latency).
    pub async fn handshakes(
        &mut self,
        pool: Vec<SocketSpec>,
        concurrency: usize,
        duration: Duration,
    ) -> anyhow::Result<(u64, u64, Option<String>, f64, Histogram<u64>)> {
        let n = self.workers.len();
        let mut shares: Vec<Vec<SocketSpec>> = vec![Vec::new(); n];
        for (i, spec) in pool.into_iter().enumerate() {
            shares[i % n].push(spec);
        }
        for (worker, share) in self.workers.iter_mut().zip(shares) {
            worker.send(&proto::Command::Handshakes {
                sockets: share,
                concurrency,
                duration_ms: duration.as_millis() as u64,
            })?;
        }
        let (mut ok, mut failed, mut first, mut seconds) = (0, 0, None, 0.0_f64);
        let mut hist = proto::new_hist()?;
        for worker in &mut self.workers {
            match worker.recv(duration + Duration::from_secs(60)).await? {
                Event::Handshakes { ok: o, failed: f, first_error, elapsed_ms, handshake } => {
                    ok += o;
                    failed += f;
                    if first.is_none() {
                        first = first_error;
                    }
                    seconds = seconds.max(elapsed_ms / 1e3);
                    handshake.add_into(&mut hist);
                }
                other => bail!("expected handshakes, got {other:?}"),
            }
        }
        Ok((ok, failed, first, seconds, hist))
    }

    /// Tells every worker to exit, and makes sure it did.
    pub fn close(mut self) {
        for worker in &mut self.workers {
            let _ = worker.send(&proto::Command::Close);
        }
        for worker in &mut self.workers {
            let _ = stop(&mut worker.child, libc::SIGTERM, Duration::from_secs(10));
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            if let Ok(None) = worker.child.try_wait() {
                let _ = worker.child.kill();
                let _ = worker.child.wait();
            }
        }
    }
}
