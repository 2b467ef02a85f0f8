//! The worker process (`confab-load worker`, started by the coordinator, never by hand): it
//! owns up to a few thousand authenticated sockets on one thread, sends on the schedule the
//! coordinator gives it, and measures every delivery where it arrives: latency from the
//! send's *scheduled* time (written into the body, so a late send still counts its full
//! wait), acknowledgements, duplicates and inversions per socket and chat. Commands come on
//! stdin, events go to stdout (see `proto`); stdin closing ends the process.
//!
//! Body of every send: `b1:<run>:<scheduled µs>:<sender gid>:<k>:` padded with `x` to
//! `BODY_BYTES`.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::proto::{Command, Event, Hist, RunResult, SocketSpec, new_hist, record};

/// Size of every message body, in bytes (the issue's figures use 100-byte messages).
pub const BODY_BYTES: usize = 100;
/// How long one handshake (TCP, upgrade, `ready`) may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Seconds of a run the per-second timeline covers.
const TIMELINE_SECONDS_MAX: usize = 600;
/// A worker never outlives this, whatever its coordinator does.
const MAX_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);
/// Seqs tracked per socket and chat for duplicate detection (a bit each).
const SEQ_BITS_MAX: usize = 1 << 22;

type Ws = WebSocketStream<TcpStream>;

/// CLOCK_REALTIME in microseconds: the same clock in every process of this machine.
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// Runs the worker until stdin closes or `close` arrives.
pub fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let result = runtime.block_on(serve());
    if let Err(e) = &result {
        emit(&Event::Error { message: format!("{e:#}") });
    }
    // Sockets are reset by the kernel (zero linger) when the process exits.
    std::process::exit(i32::from(result.is_err()))
}

/// Writes one event line to stdout.
fn emit(event: &Event) {
    if let Ok(line) = serde_json::to_string(event) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// What sockets hand to their task.
enum Out {
    Frame(String),
    Ingest { run: u32, end_us: u64, inflight: usize },
}

/// One open socket, as the command loop sees it.
struct Handle {
    gid: u32,
    send_chat: Option<String>,
    chat_sockets: u64,
    tx: mpsc::UnboundedSender<Out>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Open,
    Closed,
}

/// Counters of the current run, shared by the socket tasks and the scheduler (one thread:
/// the lock is never contended).
struct Stats {
    run: u32,
    mode: Mode,
    win_start_us: u64,
    win_end_us: u64,
    latency: Histogram<u64>,
    ack: Histogram<u64>,
    scheduled: u64,
    acked: u64,
    send_errors: u64,
    expected: u64,
    received: u64,
    received_any: u64,
    owed: u64,
    received_in_window: u64,
    duplicated: u64,
    out_of_order: u64,
    disconnects: u64,
    acked_in_window: u64,
    run_start_us: u64,
    timeline: Vec<(u64, u64, u64)>,
    first_error: Option<String>,
}

impl Stats {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            run: 0,
            mode: Mode::Open,
            win_start_us: u64::MAX,
            win_end_us: 0,
            latency: new_hist()?,
            ack: new_hist()?,
            scheduled: 0,
            acked: 0,
            send_errors: 0,
            expected: 0,
            received: 0,
            received_any: 0,
            owed: 0,
            received_in_window: 0,
            duplicated: 0,
            out_of_order: 0,
            disconnects: 0,
            acked_in_window: 0,
            run_start_us: 0,
            timeline: Vec::new(),
            first_error: None,
        })
    }

    fn in_window(&self, us: u64) -> bool {
        us >= self.win_start_us && us < self.win_end_us
    }

    /// The figures so far; counters restart from zero.
    fn take(&mut self) -> RunResult {
        let result = RunResult {
            latency: Hist::of(&self.latency),
            ack: Hist::of(&self.ack),
            scheduled: self.scheduled,
            acked: self.acked,
            send_errors: self.send_errors,
            expected: self.expected,
            received: self.received,
            owed: self.owed,
            received_in_window: self.received_in_window,
            duplicated: self.duplicated,
            out_of_order: self.out_of_order,
            disconnects: self.disconnects,
            acked_in_window: self.acked_in_window,
            timeline: std::mem::take(&mut self.timeline),
            first_error: self.first_error.take(),
        };
        self.latency.reset();
        self.ack.reset();
        self.scheduled = 0;
        self.acked = 0;
        self.send_errors = 0;
        self.expected = 0;
        self.received = 0;
        self.received_any = 0;
        self.owed = 0;
        self.received_in_window = 0;
        self.duplicated = 0;
        self.out_of_order = 0;
        self.disconnects = 0;
        self.acked_in_window = 0;
        result
    }

    /// Adds a delivery received at `now` to the per-second timeline.
    fn tick(&mut self, now: u64, latency: u64) {
        let Some(second) = now.checked_sub(self.run_start_us).map(|d| (d / 1_000_000) as usize) else {
            return;
        };
        if second >= TIMELINE_SECONDS_MAX {
            return;
        }
        if self.timeline.len() <= second {
            self.timeline.resize(second + 1, (0, 0, 0));
        }
        let slot = &mut self.timeline[second];
        slot.0 += 1;
        slot.1 += latency;
        slot.2 = slot.2.max(latency);
    }

    fn note_error(&mut self, error: impl FnOnce() -> String) {
        if self.first_error.is_none() {
            self.first_error = Some(error());
        }
    }
}

struct Shared {
    stats: Mutex<Stats>,
}

impl Shared {
    fn stats(&self) -> MutexGuard<'_, Stats> {
        // A poisoned lock only means a task panicked mid-update: the counters stay usable.
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn serve() -> anyhow::Result<()> {
    let shared = Arc::new(Shared { stats: Mutex::new(Stats::new()?) });
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<anyhow::Result<Command>>();
    std::thread::Builder::new().name("stdin".into()).spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let parsed = match line {
                Ok(line) => serde_json::from_str::<Command>(&line).context("a bad command line"),
                Err(e) => Err(e.into()),
            };
            if cmd_tx.send(parsed).is_err() {
                break;
            }
        }
    })?;
    let mut sockets: Vec<Handle> = Vec::new();
    let deadline = tokio::time::Instant::now() + MAX_LIFETIME;
    loop {
        let command = tokio::select! {
            command = cmd_rx.recv() => command,
            _ = tokio::time::sleep_until(deadline) => bail!("the worker's lifetime ({MAX_LIFETIME:?}) is over"),
        };
        let Some(command) = command else { break };
        match command? {
            Command::Connect { sockets: specs, concurrency } => {
                let started = Instant::now();
                let (opened, outcome) = connect_all(specs, concurrency.max(1)).await?;
                for (spec, ws) in opened {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let ctx = SocketCtx {
                        gid: spec.gid,
                        chat_sockets: u64::from(spec.chat_sockets),
                        send_chat: spec.send_chat.clone(),
                    };
                    tokio::spawn(socket_loop(ctx, ws, rx, shared.clone()));
                    sockets.push(Handle {
                        gid: spec.gid,
                        send_chat: spec.send_chat,
                        chat_sockets: u64::from(spec.chat_sockets),
                        tx,
                    });
                }
                emit(&Event::Connected {
                    ok: outcome.ok,
                    failed: outcome.failed,
                    first_error: outcome.first_error,
                    elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
                    handshake: Hist::of(&outcome.hist),
                });
            }
            Command::Run { run, start_us, warm_ms, measure_ms, rate, phase_us } => {
                let win_start = start_us + warm_ms * 1000;
                let end = win_start + measure_ms * 1000;
                {
                    let mut stats = shared.stats();
                    stats.run = run;
                    stats.run_start_us = start_us;
                    stats.timeline.clear();
                    stats.mode = Mode::Open;
                    stats.win_start_us = win_start;
                    stats.win_end_us = end;
                }
                let senders: Vec<Sender> = sockets
                    .iter()
                    .filter_map(|h| {
                        h.send_chat.clone().map(|chat| Sender {
                            gid: h.gid,
                            chat,
                            chat_sockets: h.chat_sockets,
                            tx: h.tx.clone(),
                        })
                    })
                    .collect();
                let plan = Plan { run, start_us: start_us + phase_us, win_start, end, rate };
                tokio::spawn(schedule(plan, senders, shared.clone()));
            }
            Command::Ingest { run, start_us, warm_ms, measure_ms, inflight } => {
                let win_start = start_us + warm_ms * 1000;
                let end = win_start + measure_ms * 1000;
                {
                    let mut stats = shared.stats();
                    stats.run = run;
                    stats.mode = Mode::Closed;
                    stats.win_start_us = win_start;
                    stats.win_end_us = end;
                }
                let senders: Vec<mpsc::UnboundedSender<Out>> =
                    sockets.iter().filter(|h| h.send_chat.is_some()).map(|h| h.tx.clone()).collect();
                tokio::spawn(async move {
                    let now = now_us();
                    if start_us > now {
                        tokio::time::sleep(Duration::from_micros(start_us - now)).await;
                    }
                    let mut unsent = 0;
                    for tx in &senders {
                        if tx.send(Out::Ingest { run, end_us: end, inflight: inflight.max(1) }).is_err() {
                            unsent += 1;
                        }
                    }
                    let now = now_us();
                    if end > now {
                        tokio::time::sleep(Duration::from_micros(end - now)).await;
                    }
                    emit(&Event::Sent { scheduled: 0, sent: senders.len() as u64 - unsent, unsent });
                });
            }
            Command::Progress => {
                let stats = shared.stats();
                emit(&Event::Progress {
                    expected: stats.expected,
                    received: stats.received,
                    received_any: stats.received_any,
                    owed: stats.owed,
                });
            }
            Command::Collect => {
                let result = shared.stats().take();
                emit(&Event::Result(result));
            }
            Command::Handshakes { sockets: pool, concurrency, duration_ms } => {
                tokio::spawn(async move {
                    if let Err(e) =
                        handshakes(pool, concurrency.max(1), Duration::from_millis(duration_ms)).await
                    {
                        emit(&Event::Error { message: format!("handshakes: {e:#}") });
                    }
                });
            }
            Command::Close => break,
        }
    }
    Ok(())
}

/// A socket that sends at the fixed rate.
struct Sender {
    gid: u32,
    chat: String,
    chat_sockets: u64,
    tx: mpsc::UnboundedSender<Out>,
}

/// The open-loop schedule of one run in this worker.
struct Plan {
    run: u32,
    start_us: u64,
    win_start: u64,
    end: u64,
    rate: f64,
}

/// Sends the k-th message at `start + k / rate`, round-robin over the senders, never
/// waiting for an answer: a late send is sent at once and keeps its scheduled time.
async fn schedule(plan: Plan, senders: Vec<Sender>, shared: Arc<Shared>) {
    let (mut sent, mut unsent, mut scheduled, mut owed) = (0_u64, 0_u64, 0_u64, 0_u64);
    if !senders.is_empty() && plan.rate > 0.0 && plan.end > plan.start_us {
        let interval = 1e6 / plan.rate;
        let max_k = ((plan.end - plan.start_us) as f64 / interval).ceil() as u64 + 1;
        let mut k: u64 = 0;
        while k < max_k {
            let due = plan.start_us + (k as f64 * interval) as u64;
            if due >= plan.end {
                break;
            }
            let now = now_us();
            if due > now {
                tokio::time::sleep(Duration::from_micros(due - now)).await;
                continue;
            }
            let sender = &senders[(k % senders.len() as u64) as usize];
            let frame = send_frame(&sender.chat, &body(plan.run, due, sender.gid, k));
            if sender.tx.send(Out::Frame(frame)).is_ok() {
                sent += 1;
            } else {
                unsent += 1;
            }
            if due >= plan.win_start {
                scheduled += 1;
                owed += sender.chat_sockets;
            }
            k += 1;
        }
    }
    {
        let mut stats = shared.stats();
        stats.scheduled += scheduled;
        stats.owed += owed;
    }
    emit(&Event::Sent { scheduled, sent, unsent });
}

/// The body of a measured send: its tag, then padding.
fn body(run: u32, scheduled_us: u64, gid: u32, k: u64) -> String {
    let mut body = format!("b1:{run}:{scheduled_us}:{gid}:{k}:");
    while body.len() < BODY_BYTES {
        body.push('x');
    }
    body
}

/// The tag of a body written by `body`: (run, scheduled µs, sender gid).
fn parse_body(body: &str) -> Option<(u32, u64, u32)> {
    let mut parts = body.strip_prefix("b1:")?.splitn(4, ':');
    let run = parts.next()?.parse().ok()?;
    let scheduled = parts.next()?.parse().ok()?;
    let gid = parts.next()?.parse().ok()?;
    Some((run, scheduled, gid))
}

fn send_frame(chat_id: &str, body: &str) -> String {
    format!(
        r#"{{"type":"send_message","data":{{"chat_id":"{chat_id}","client_id":"{}","body":"{body}"}}}}"#,
        uuid::Uuid::new_v4()
    )
}

/// The fields of `message_created` the measurements need.
#[derive(Deserialize)]
struct MessageFrame<'a> {
    #[serde(borrow)]
    data: MessageData<'a>,
}

#[derive(Deserialize)]
struct MessageData<'a> {
    #[serde(borrow)]
    message: MessageFields<'a>,
}

#[derive(Deserialize)]
struct MessageFields<'a> {
    #[serde(borrow)]
    chat_id: std::borrow::Cow<'a, str>,
    seq: i64,
    #[serde(borrow)]
    body: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
struct ErrorFrame {
    data: ErrorData,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    code: serde_json::Value,
    #[serde(default)]
    message: String,
    #[serde(default)]
    client_id: Option<String>,
}

/// Seqs seen on one socket in one chat: the highest, and a bit per seq.
struct SeqTrack {
    chat: String,
    max: i64,
    seen: Vec<u64>,
}

enum Seen {
    New,
    Duplicate,
    OutOfOrder,
}

impl SeqTrack {
    fn see(&mut self, seq: i64) -> Seen {
        let index = usize::try_from(seq).unwrap_or(0);
        let duplicate = if index < SEQ_BITS_MAX {
            let (word, bit) = (index / 64, 1_u64 << (index % 64));
            if self.seen.len() <= word {
                self.seen.resize(word + 1, 0);
            }
            let was = self.seen[word] & bit != 0;
            self.seen[word] |= bit;
            was
        } else {
            seq == self.max
        };
        if duplicate {
            return Seen::Duplicate;
        }
        if seq < self.max {
            return Seen::OutOfOrder;
        }
        self.max = seq;
        Seen::New
    }
}

struct SocketCtx {
    gid: u32,
    chat_sockets: u64,
    send_chat: Option<String>,
}

/// Closed-loop state of an ingest run on one socket.
struct IngestState {
    run: u32,
    end_us: u64,
    k: u64,
}

/// One socket: sends what it is handed, reads and measures everything that arrives. Ends
/// when the socket closes or with the process (bounded by `MAX_LIFETIME`).
async fn socket_loop(ctx: SocketCtx, mut ws: Ws, mut rx: mpsc::UnboundedReceiver<Out>, shared: Arc<Shared>) {
    let mut tracks: Vec<SeqTrack> = Vec::new();
    let mut ingest: Option<IngestState> = None;
    let reason = loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let own_answer = on_text(text.as_str(), &ctx, &mut tracks, &shared);
                    if own_answer && let Some(state) = ingest.as_mut()
                        && let Some(chat) = &ctx.send_chat
                    {
                        let now = now_us();
                        if now < state.end_us && state.run == shared.stats().run {
                            let frame = send_frame(chat, &body(state.run, now, ctx.gid, state.k));
                            state.k += 1;
                            shared.stats().scheduled += 1;
                            if let Err(e) = ws.send(Message::text(frame)).await {
                                break format!("sending: {e}");
                            }
                        }
                    }
                }
                Some(Ok(Message::Close(frame))) => break format!("closed by the server: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("reading: {e}"),
                None => break "the stream ended".to_owned(),
            },
            out = rx.recv() => match out {
                Some(Out::Frame(frame)) => {
                    if let Err(e) = ws.send(Message::text(frame)).await {
                        break format!("sending: {e}");
                    }
                }
                Some(Out::Ingest { run, end_us, inflight }) => {
                    let Some(chat) = &ctx.send_chat else { continue };
                    let mut state = IngestState { run, end_us, k: 0 };
                    let mut failed = None;
                    for _ in 0..inflight {
                        let frame = send_frame(chat, &body(run, now_us(), ctx.gid, state.k));
                        state.k += 1;
                        shared.stats().scheduled += 1;
                        if let Err(e) = ws.feed(Message::text(frame)).await {
                            failed = Some(e);
                            break;
                        }
                    }
                    if failed.is_none() && let Err(e) = ws.flush().await {
                        failed = Some(e);
                    }
                    if let Some(e) = failed {
                        break format!("sending: {e}");
                    }
                    ingest = Some(state);
                }
                None => return,
            },
        }
    };
    let mut stats = shared.stats();
    stats.disconnects += 1;
    stats.note_error(|| format!("socket {}: {reason}", ctx.gid));
}

/// Measures one text frame. True when it answers one of this socket's own sends (its
/// acknowledgement or an error for it).
fn on_text(text: &str, ctx: &SocketCtx, tracks: &mut Vec<SeqTrack>, shared: &Shared) -> bool {
    let now = now_us();
    if text.starts_with(r#"{"type":"message_created""#) {
        let Ok(frame) = serde_json::from_str::<MessageFrame<'_>>(text) else {
            shared.stats().note_error(|| format!("unreadable message_created: {text:.200}"));
            return false;
        };
        let message = frame.data.message;
        let position = match tracks.iter().position(|t| t.chat == message.chat_id) {
            Some(position) => position,
            None => {
                tracks.push(SeqTrack {
                    chat: message.chat_id.clone().into_owned(),
                    max: 0,
                    seen: Vec::new(),
                });
                tracks.len() - 1
            }
        };
        let seen = tracks[position].see(message.seq);
        let tag = parse_body(&message.body);
        let mut stats = shared.stats();
        match seen {
            Seen::Duplicate => {
                stats.duplicated += 1;
                return false;
            }
            Seen::OutOfOrder => stats.out_of_order += 1,
            Seen::New => {}
        }
        let Some((run, scheduled, gid)) = tag else { return false };
        if run != stats.run {
            return false;
        }
        stats.received_any += 1;
        let mine = gid == ctx.gid;
        let latency = now.saturating_sub(scheduled);
        match stats.mode {
            Mode::Open => {
                if stats.in_window(now) {
                    stats.received_in_window += 1;
                }
                stats.tick(now, latency);
                if stats.in_window(scheduled) {
                    stats.received += 1;
                    record(&mut stats.latency, latency);
                    if mine {
                        stats.acked += 1;
                        stats.expected += ctx.chat_sockets;
                        record(&mut stats.ack, latency);
                    }
                }
            }
            Mode::Closed => {
                if mine && stats.in_window(now) {
                    stats.acked_in_window += 1;
                    record(&mut stats.ack, latency);
                }
            }
        }
        mine
    } else if text.starts_with(r#"{"type":"error""#) {
        let Ok(frame) = serde_json::from_str::<ErrorFrame>(text) else { return false };
        let mut stats = shared.stats();
        let answers_send = frame.data.client_id.is_some();
        if answers_send {
            stats.send_errors += 1;
        }
        stats.note_error(|| format!("error event: {} {}", frame.data.code, frame.data.message));
        answers_send
    } else {
        false
    }
}

struct ConnectOutcome {
    ok: u64,
    failed: u64,
    first_error: Option<String>,
    hist: Histogram<u64>,
}

impl ConnectOutcome {
    fn new() -> anyhow::Result<Self> {
        Ok(Self { ok: 0, failed: 0, first_error: None, hist: new_hist()? })
    }
}

/// Opens every socket, `concurrency` at a time; returns the ones that got `ready`.
async fn connect_all(
    specs: Vec<SocketSpec>,
    concurrency: usize,
) -> anyhow::Result<(Vec<(SocketSpec, Ws)>, ConnectOutcome)> {
    let mut outcome = ConnectOutcome::new()?;
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for spec in specs {
        let gate = gate.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let started = Instant::now();
            let result = open(&spec).await;
            (spec, result, started.elapsed())
        });
    }
    let mut opened = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((spec, Ok(ws), took)) => {
                outcome.ok += 1;
                record(&mut outcome.hist, took.as_micros() as u64);
                opened.push((spec, ws));
            }
            Ok((_, Err(e), _)) => {
                outcome.failed += 1;
                outcome.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
            Err(e) => {
                outcome.failed += 1;
                outcome.first_error.get_or_insert_with(|| format!("connect task: {e}"));
            }
        }
    }
    Ok((opened, outcome))
}

/// One authenticated socket: TCP (no delay, zero linger: closing resets, so no TIME_WAIT
/// piles up over a run), the upgrade with the session cookie, then `ready`.
async fn open(spec: &SocketSpec) -> anyhow::Result<Ws> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        let stream = TcpStream::connect(("127.0.0.1", spec.port)).await.context("connecting")?;
        stream.set_nodelay(true)?;
        stream.set_zero_linger()?;
        let mut request = format!("ws://127.0.0.1:{}/ws", spec.port).into_client_request()?;
        request
            .headers_mut()
            .insert("cookie", HeaderValue::from_str(&format!("confab_session={}", spec.token))?);
        let mut config = WebSocketConfig::default();
        config.read_buffer_size = 4096;
        config.write_buffer_size = 0;
        let (mut ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .context("upgrading")?;
        for _ in 0..10_000 {
            match ws.next().await {
                Some(Ok(Message::Text(text))) if text.as_str().starts_with(r#"{"type":"ready""#) => {
                    return Ok(ws);
                }
                Some(Ok(Message::Close(frame))) => bail!("closed before ready: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(e)) => bail!("reading ready: {e}"),
                None => bail!("closed before ready"),
            }
        }
        bail!("no ready in 10,000 frames")
    })
    .await
    .context("handshake timed out")?
}

/// Opens and drops authenticated sockets for `duration`, `concurrency` at a time.
async fn handshakes(pool: Vec<SocketSpec>, concurrency: usize, duration: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    let deadline = started + duration;
    let pool = Arc::new(pool);
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (pool, next) = (pool.clone(), next.clone());
        tasks.spawn(async move {
            let mut outcome = ConnectOutcome::new()?;
            // Bounded: at most one handshake per 100 µs of the duration.
            let max = duration.as_micros() as u64 / 100 + 1;
            for _ in 0..max {
                if pool.is_empty() || Instant::now() >= deadline {
                    break;
                }
                let spec = &pool[(next.fetch_add(1, Ordering::Relaxed) % pool.len() as u64) as usize];
                let began = Instant::now();
                match open(spec).await {
                    Ok(ws) => {
                        outcome.ok += 1;
                        record(&mut outcome.hist, began.elapsed().as_micros() as u64);
                        drop(ws);
                    }
                    Err(e) => {
                        outcome.failed += 1;
                        outcome.first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            anyhow::Ok(outcome)
        });
    }
    let mut total = ConnectOutcome::new()?;
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Ok(outcome)) = joined {
            total.ok += outcome.ok;
            total.failed += outcome.failed;
            if total.first_error.is_none() {
                total.first_error = outcome.first_error;
            }
            let _ = total.hist.add(&outcome.hist);
        }
    }
    emit(&Event::Handshakes {
        ok: total.ok,
        failed: total.failed,
        first_error: total.first_error,
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        handshake: Hist::of(&total.hist),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_their_tag_and_are_padded() {
        let b = body(3, 1_700_000_000_000_000, 42, 7);
        assert_eq!(b.len(), BODY_BYTES);
        assert_eq!(parse_body(&b), Some((3, 1_700_000_000_000_000, 42)));
        assert_eq!(parse_body("hello"), None);
    }

    #[test]
    fn seq_tracking_tells_duplicates_from_inversions() {
        let mut t = SeqTrack { chat: "c".into(), max: 0, seen: Vec::new() };
        assert!(matches!(t.see(1), Seen::New));
        assert!(matches!(t.see(3), Seen::New));
        assert!(matches!(t.see(2), Seen::OutOfOrder));
        assert!(matches!(t.see(3), Seen::Duplicate));
        assert!(matches!(t.see(2), Seen::Duplicate));
        assert!(matches!(t.see(4), Seen::New));
    }
}
