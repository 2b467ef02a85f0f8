//! The standard scenarios of `just bench`, each seeding its own users and chats, opening
//! its sockets through a fleet of workers, measuring a window after a warm-up, and turning
//! what it saw into `Row`s: idle sockets, fan-out ladder, every member sending, durable
//! ingest, history pages under load, handshakes while holding sockets, two nodes, and
//! message search over 100k messages.

use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;

use crate::fleet::{Fleet, Merged};
use crate::proto::{self, SocketSpec};
use crate::report::{Cpu, Row, set_latency};
use crate::seed::{SeedUser, Seeder, VOCABULARY};
use crate::stack::Stack;
use crate::sys;
use crate::worker::now_us;

/// Every knob of a run (see `main`'s usage for the flags).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Options {
    pub scenarios: Vec<String>,
    pub warm_s: f64,
    pub measure_s: f64,
    /// Longest wait for owed deliveries after the last send: what is still missing then is lost.
    pub drain_s: f64,
    pub idle_sockets: usize,
    pub fanout_clients: usize,
    pub fanout_room: usize,
    pub fanout_rates: Vec<f64>,
    pub allsend_clients: usize,
    pub allsend_room: usize,
    pub allsend_rates: Vec<f64>,
    pub ingest_sockets: usize,
    pub ingest_inflight: usize,
    pub history_rate: f64,
    pub history_send_rate: f64,
    pub hold_sockets: usize,
    pub handshake_s: f64,
    pub handshake_concurrency: usize,
    pub two_node_rates: Vec<f64>,
    /// Messages searched, in `search_chats` groups of `search_room` among `search_users`.
    pub search_messages: usize,
    pub search_chats: usize,
    pub search_room: usize,
    pub search_users: usize,
    /// Searches/s, open loop, each kind of query in its own step.
    pub search_rate: f64,
    pub per_worker: usize,
    pub connect_concurrency: usize,
    /// A ladder stops after a step that lost more than this share of its deliveries.
    pub ladder_stop_lost: f64,
}

/// Share of a core other processes may use during a window before it counts as disturbed.
pub const DISTURBED: f64 = 0.15;

pub const ALL: &[&str] =
    &["idle", "handshakes", "fanout", "history", "allsend", "ingest", "two_nodes", "search"];

/// Runs the chosen scenarios in order, appending rows as they come (kept on failure).
pub async fn run_all(stack: &mut Stack, o: &Options, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let mut ctx = Ctx { seeder: Seeder::connect(&stack.database_url).await?, run: 0, gid: 0, corpus: None };
    for name in ALL.iter().filter(|n| o.scenarios.iter().any(|s| s == *n)) {
        let started = Instant::now();
        // A scenario that other processes disturbed runs once more (its rows replaced).
        for attempt in 0..2 {
            stack.settle(Duration::from_secs(30)).await;
            eprintln!("confab-load: scenario {name} ...");
            let mark = rows.len();
            scenario(name, stack, o, &mut ctx, rows).await?;
            let disturbed = rows[mark..].iter().any(|r| r.cpu.as_ref().is_some_and(|c| c.other > DISTURBED));
            if !disturbed {
                break;
            }
            if attempt == 0 {
                eprintln!("confab-load: other processes disturbed {name}: once more");
                rows.truncate(mark);
            } else {
                for row in &mut rows[mark..] {
                    row.notes.push("disturbed twice: kept the second attempt".into());
                }
            }
        }
        eprintln!("confab-load: scenario {name} done in {:.0} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// One scenario by name.
async fn scenario(
    name: &str,
    stack: &mut Stack,
    o: &Options,
    ctx: &mut Ctx,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    match name {
        "idle" => idle(stack, o, ctx, rows).await?,
        "handshakes" => handshakes(stack, o, ctx, rows).await?,
        "fanout" => {
            let one_node = vec![node_port(stack, 1)?];
            ladder(stack, o, ctx, rows, Shape::fanout(o, "fanout", one_node, &o.fanout_rates)).await?;
        }
        "history" => history(stack, o, ctx, rows).await?,
        "allsend" => {
            let one_node = vec![node_port(stack, 1)?];
            let shape = Shape {
                scenario: "allsend",
                clients: o.allsend_clients,
                room: o.allsend_room,
                every_member_sends: true,
                ports: one_node,
                rates: o.allsend_rates.clone(),
            };
            ladder(stack, o, ctx, rows, shape).await?;
        }
        "ingest" => ingest(stack, o, ctx, rows).await?,
        "two_nodes" => {
            if !stack.nodes.iter().any(|n| n.id == 2) {
                stack.start_node(2).await?;
            }
            let ports = vec![node_port(stack, 1)?, node_port(stack, 2)?];
            ladder(stack, o, ctx, rows, Shape::fanout(o, "two_nodes", ports, &o.two_node_rates)).await?;
            compare_two_nodes(rows);
        }
        "search" => search(stack, o, ctx, rows).await?,
        _ => {}
    }
    Ok(())
}

struct Ctx {
    seeder: Seeder,
    /// Run ids: every run's bodies carry its own.
    run: u32,
    /// Socket ids, unique over the whole run.
    gid: u32,
    /// The search scenario's users and messages, seeded once (a disturbed run reuses them).
    corpus: Option<Vec<SeedUser>>,
}

impl Ctx {
    fn next_run(&mut self) -> u32 {
        self.run += 1;
        self.run
    }

    fn spec(
        &mut self,
        user: &SeedUser,
        port: u16,
        send_chat: Option<String>,
        chat_sockets: usize,
    ) -> SocketSpec {
        self.gid += 1;
        SocketSpec {
            gid: self.gid,
            token: user.token.clone(),
            port,
            send_chat,
            chat_sockets: chat_sockets as u32,
        }
    }
}

fn node_port(stack: &Stack, id: u32) -> anyhow::Result<u16> {
    stack
        .nodes
        .iter()
        .find(|n| n.id == id)
        .map(|n| n.port)
        .with_context(|| format!("node {id} is not running"))
}

fn nodes_rss(stack: &Stack) -> u64 {
    stack.nodes.iter().filter_map(|n| sys::rss_bytes(n.pid()).ok()).sum()
}

/// CPU counters at one instant.
struct CpuSample {
    at: Instant,
    server: Vec<(String, u64)>,
    generator: u64,
    machine: u64,
}

fn sample(stack: &Stack, fleets: &[&Fleet]) -> CpuSample {
    let server = stack.processes().into_iter().map(|(name, pid)| (name, sys::tree_cpu_ticks(pid))).collect();
    let mut generator = sys::cpu_ticks(std::process::id());
    for fleet in fleets {
        generator += fleet.pids().into_iter().map(sys::cpu_ticks).sum::<u64>();
    }
    CpuSample { at: Instant::now(), server, generator, machine: sys::machine_busy_ticks() }
}

fn cpu_between(a: &CpuSample, b: &CpuSample) -> Cpu {
    let ticks = sys::clock_ticks();
    let secs = b.at.duration_since(a.at).as_secs_f64().max(1e-3);
    let cores = |t0: u64, t1: u64| t1.saturating_sub(t0) as f64 / ticks / secs;
    let mut cpu = Cpu { generator: cores(a.generator, b.generator), ..Default::default() };
    for (name, t1) in &b.server {
        let t0 = a.server.iter().find(|(n, _)| n == name).map_or(0, |(_, t)| *t);
        let used = cores(t0, *t1);
        cpu.server += used;
        cpu.per_process.insert(name.clone(), (used * 1000.0).round() / 1000.0);
    }
    cpu.other = (cores(a.machine, b.machine) - cpu.server - cpu.generator).max(0.0);
    cpu
}

async fn sleep_until_us(us: u64) {
    let now = now_us();
    if us > now {
        tokio::time::sleep(Duration::from_micros(us - now)).await;
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

/// What a ladder runs: rooms of `room` among `clients`, over `ports` (members spread
/// round-robin, so every room spans every node).
struct Shape {
    scenario: &'static str,
    clients: usize,
    room: usize,
    every_member_sends: bool,
    ports: Vec<u16>,
    rates: Vec<f64>,
}

impl Shape {
    fn fanout(o: &Options, scenario: &'static str, ports: Vec<u16>, rates: &[f64]) -> Self {
        Self {
            scenario,
            clients: o.fanout_clients,
            room: o.fanout_room,
            every_member_sends: false,
            ports,
            rates: rates.to_vec(),
        }
    }
}

/// Seeds the rooms of `shape` and opens every member's socket. Returns the fleet, the
/// rooms (chat id, members) and the connect report's notes.
async fn open_rooms(
    o: &Options,
    ctx: &mut Ctx,
    shape: &Shape,
) -> anyhow::Result<(Fleet, Vec<(String, Vec<SeedUser>)>, u64, Vec<String>)> {
    let room = shape.room.max(1);
    let users = ctx.seeder.users(shape.clients).await?;
    let groups: Vec<Vec<&SeedUser>> = users.chunks(room).map(|c| c.iter().collect()).collect();
    let chats = ctx.seeder.groups(&groups).await?;
    let mut specs = Vec::new();
    let mut rooms = Vec::new();
    for (r, (chat, members)) in chats.iter().zip(users.chunks(room)).enumerate() {
        for (i, user) in members.iter().enumerate() {
            let sends = shape.every_member_sends || i == 0;
            // Room r's sender sits on node r mod n; the others alternate from there.
            let port = shape.ports[(r + i) % shape.ports.len()];
            let spec = ctx.spec(user, port, sends.then(|| chat.clone()), members.len());
            specs.push(spec);
        }
        rooms.push((chat.clone(), members.to_vec()));
    }
    let (fleet, report) = Fleet::connect(specs, o.per_worker, o.connect_concurrency).await?;
    let mut notes = Vec::new();
    if report.failed > 0 {
        notes.push(format!(
            "{} of {} sockets failed to open: {}",
            report.failed,
            report.ok + report.failed,
            report.first_error.unwrap_or_default()
        ));
    }
    Ok((fleet, rooms, report.ok, notes))
}

/// One open-loop step at `rate`, with an optional side load started with the window.
async fn step(
    stack: &Stack,
    o: &Options,
    ctx: &mut Ctx,
    fleet: &mut Fleet,
    rate: f64,
    side_load: Option<&RequestLoad>,
) -> anyhow::Result<(Merged, Cpu, u64, Option<RequestResult>, f64)> {
    let run = ctx.next_run();
    let (warm, measure) = (secs(o.warm_s), secs(o.measure_s));
    let start_us = now_us() + 300_000;
    let end_us = fleet.start_run(run, start_us, warm, measure, rate)?;
    let win_start = start_us + warm.as_micros() as u64;
    let side = side_load.map(|load| tokio::spawn(load.clone().run(win_start, end_us)));
    sleep_until_us(win_start).await;
    let before = sample(stack, &[fleet]);
    sleep_until_us(end_us).await;
    let after = sample(stack, &[fleet]);
    let rss = nodes_rss(stack);
    let (_sent, unsent) = fleet.await_sent(end_us).await?;
    let drained = fleet.drain(secs(o.drain_s), Duration::from_secs(20)).await?;
    let merged = fleet.collect(unsent).await?;
    let side = match side {
        Some(task) => Some(task.await.context("side load")??),
        None => None,
    };
    Ok((merged, cpu_between(&before, &after), rss, side, drained.as_secs_f64()))
}

/// Fills a row from an open-loop step.
fn open_row(row: &mut Row, o: &Options, merged: &Merged, cpu: Cpu, rss: u64) {
    let t = &merged.totals;
    row.window_s = o.measure_s;
    row.deliveries_per_s = Some(t.received_in_window as f64 / o.measure_s.max(1e-3));
    set_latency(row, &merged.latency, "delivery (receive − scheduled send)");
    row.ack_p50 = crate::report::pct(&merged.ack, 0.5);
    row.ack_p99 = crate::report::pct(&merged.ack, 0.99);
    row.expected = Some(t.expected);
    row.received = Some(t.received);
    row.lost = Some(t.expected.saturating_sub(t.received));
    row.undelivered = Some(t.owed.saturating_sub(t.received));
    row.duplicated = Some(t.duplicated);
    row.out_of_order = Some(t.out_of_order);
    row.sends_scheduled = Some(t.scheduled);
    row.sends_acked = Some(t.acked);
    row.send_errors = Some(t.send_errors);
    row.unacked = Some(t.scheduled.saturating_sub(t.acked + t.send_errors));
    row.disconnects = Some(t.disconnects);
    row.server_rss_bytes = Some(rss);
    if t.received_in_window > 0 {
        row.cpu_us_per_delivery = Some(cpu.server * o.measure_s / t.received_in_window as f64 * 1e6);
    }
    row.cpu = Some(cpu);
    row.first_error = t.first_error.clone();
    row.timeline = Some(
        t.timeline
            .iter()
            .enumerate()
            .map(|(i, &(n, sum, max))| crate::report::Second {
                t: i as u64,
                deliveries: n,
                mean_ms: if n > 0 { (sum as f64 / n as f64 / 10.0).round() / 100.0 } else { 0.0 },
                max_ms: (max as f64 / 10.0).round() / 100.0,
            })
            .collect(),
    );
    if merged.unsent > 0 {
        row.notes.push(format!("{} sends had no open socket", merged.unsent));
    }
}

/// A rate ladder over one set of rooms; stops after a step that lost too much.
async fn ladder(
    stack: &mut Stack,
    o: &Options,
    ctx: &mut Ctx,
    rows: &mut Vec<Row>,
    shape: Shape,
) -> anyhow::Result<()> {
    let (mut fleet, _rooms, open, notes) = open_rooms(o, ctx, &shape).await?;
    stack.settle(Duration::from_secs(20)).await;
    let mut stopped: Option<String> = None;
    for &rate in &shape.rates {
        let mut row = Row {
            scenario: shape.scenario.into(),
            label: format!("{rate:.0} sends/s"),
            nodes: shape.ports.len() as u32,
            clients: open,
            room_size: Some(shape.room as u64),
            rate: Some(rate),
            notes: notes.clone(),
            ..Default::default()
        };
        if let Some(why) = &stopped {
            row.notes.push(format!("skipped: {why}"));
            rows.push(row);
            continue;
        }
        eprintln!("confab-load:   {} at {rate:.0} sends/s", shape.scenario);
        let (merged, cpu, rss, _, drained) = step(stack, o, ctx, &mut fleet, rate, None).await?;
        open_row(&mut row, o, &merged, cpu, rss);
        let t = &merged.totals;
        let missing = t.owed.saturating_sub(t.received).max(t.expected.saturating_sub(t.received));
        let lost_share = missing as f64 / t.owed.max(t.expected).max(1) as f64;
        if lost_share > o.ladder_stop_lost {
            stopped = Some(format!(
                "the {rate:.0} sends/s step lost {:.1} % (not delivered within {:.0} s)",
                lost_share * 100.0,
                o.drain_s
            ));
        }
        if drained > 1.0 {
            row.notes.push(format!("drain {drained:.1} s"));
        }
        eprintln!(
            "confab-load:     {:.0} deliveries/s, p99 {:?} ms, lost {}, server CPU {:.0} %",
            row.deliveries_per_s.unwrap_or(0.0),
            row.p99,
            row.lost.unwrap_or(0),
            row.cpu.as_ref().map_or(0.0, |c| c.server * 100.0)
        );
        rows.push(row);
        stack.settle(Duration::from_secs(30)).await;
    }
    fleet.close();
    Ok(())
}

/// Idle sockets on one node: server RSS before and after, per connection.
async fn idle(stack: &mut Stack, o: &Options, ctx: &mut Ctx, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let port = node_port(stack, 1)?;
    let users = ctx.seeder.users(o.idle_sockets).await?;
    let specs: Vec<SocketSpec> = users.iter().map(|u| ctx.spec(u, port, None, 0)).collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = nodes_rss(stack);
    let (fleet, report) = Fleet::connect(specs, o.per_worker, o.connect_concurrency).await?;
    stack.settle(Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = sample(stack, &[&fleet]);
    tokio::time::sleep(secs(o.measure_s.min(5.0))).await;
    let after = sample(stack, &[&fleet]);
    let rss_after = nodes_rss(stack);
    let mut row = Row {
        scenario: "idle".into(),
        label: format!("{} sockets", o.idle_sockets),
        nodes: 1,
        clients: report.ok,
        window_s: o.measure_s.min(5.0),
        server_rss_bytes: Some(rss_after),
        rss_per_conn: Some(rss_after.saturating_sub(rss_before) as f64 / report.ok.max(1) as f64),
        handshakes_per_s: Some(report.ok as f64 / report.elapsed_s.max(1e-3)),
        cpu: Some(cpu_between(&before, &after)),
        notes: vec![format!(
            "RSS {:.0} → {:.0} MiB; opened in {:.1} s (handshakes/s with nothing held)",
            rss_before as f64 / 1048576.0,
            rss_after as f64 / 1048576.0,
            report.elapsed_s
        )],
        ..Default::default()
    };
    set_latency(&mut row, &report.handshake, "handshake (connect → ready), while opening");
    if report.failed > 0 {
        row.notes.push(format!("{} sockets failed to open", report.failed));
        row.first_error = report.first_error;
    }
    rows.push(row);
    fleet.close();
    Ok(())
}

/// Authenticated handshakes per second while holding sockets.
async fn handshakes(
    stack: &mut Stack,
    o: &Options,
    ctx: &mut Ctx,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let port = node_port(stack, 1)?;
    let held_users = ctx.seeder.users(o.hold_sockets).await?;
    let pool_users = ctx.seeder.users(2_000).await?;
    let held: Vec<SocketSpec> = held_users.iter().map(|u| ctx.spec(u, port, None, 0)).collect();
    let pool: Vec<SocketSpec> = pool_users.iter().map(|u| ctx.spec(u, port, None, 0)).collect();
    let per_worker = o.per_worker.min(5_000);
    let (held_fleet, report) = Fleet::connect(held, per_worker, o.connect_concurrency).await?;
    stack.settle(Duration::from_secs(30)).await;
    let mut churn = Fleet::spawn(2)?;
    let before = sample(stack, &[&held_fleet, &churn]);
    let (ok, failed, first_error, seconds, hist) =
        churn.handshakes(pool, o.handshake_concurrency, secs(o.handshake_s)).await?;
    let after = sample(stack, &[&held_fleet, &churn]);
    let mut row = Row {
        scenario: "handshakes".into(),
        label: format!("holding {}", report.ok),
        nodes: 1,
        clients: report.ok,
        window_s: seconds,
        handshakes_per_s: Some(ok as f64 / seconds.max(1e-3)),
        server_rss_bytes: Some(nodes_rss(stack)),
        cpu: Some(cpu_between(&before, &after)),
        first_error,
        ..Default::default()
    };
    set_latency(&mut row, &hist, "handshake (connect → ready)");
    row.notes.push(format!("{ok} handshakes, {failed} failed, {} at a time", o.handshake_concurrency * 2));
    if report.failed > 0 {
        row.notes.push(format!("{} held sockets failed to open", report.failed));
    }
    rows.push(row);
    churn.close();
    held_fleet.close();
    Ok(())
}

/// Durable ingest: closed loop, every socket alone in its chat keeping sends in flight.
async fn ingest(stack: &mut Stack, o: &Options, ctx: &mut Ctx, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let port = node_port(stack, 1)?;
    let users = ctx.seeder.users(o.ingest_sockets).await?;
    let groups: Vec<Vec<&SeedUser>> = users.iter().map(|u| vec![u]).collect();
    let chats = ctx.seeder.groups(&groups).await?;
    let specs: Vec<SocketSpec> =
        users.iter().zip(&chats).map(|(u, chat)| ctx.spec(u, port, Some(chat.clone()), 1)).collect();
    let (mut fleet, report) = Fleet::connect(specs, o.per_worker, o.connect_concurrency).await?;
    stack.settle(Duration::from_secs(20)).await;
    let run = ctx.next_run();
    let (warm, measure) = (secs(o.warm_s), secs(o.measure_s));
    let start_us = now_us() + 300_000;
    let end_us = fleet.start_ingest(run, start_us, warm, measure, o.ingest_inflight)?;
    sleep_until_us(start_us + warm.as_micros() as u64).await;
    let before = sample(stack, &[&fleet]);
    sleep_until_us(end_us).await;
    let after = sample(stack, &[&fleet]);
    let (_sent, unsent) = fleet.await_sent(end_us).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let merged = fleet.collect(unsent).await?;
    let t = &merged.totals;
    let mut row = Row {
        scenario: "ingest".into(),
        label: format!("{} sockets × {} in flight", report.ok, o.ingest_inflight),
        nodes: 1,
        clients: report.ok,
        room_size: Some(1),
        window_s: o.measure_s,
        durable_sends_per_s: Some(t.acked_in_window as f64 / o.measure_s.max(1e-3)),
        sends_scheduled: Some(t.scheduled),
        sends_acked: Some(t.acked_in_window),
        send_errors: Some(t.send_errors),
        duplicated: Some(t.duplicated),
        out_of_order: Some(t.out_of_order),
        disconnects: Some(t.disconnects),
        server_rss_bytes: Some(nodes_rss(stack)),
        cpu: Some(cpu_between(&before, &after)),
        first_error: t.first_error.clone(),
        notes: vec!["fsync=on, synchronous_commit=on".into()],
        ..Default::default()
    };
    set_latency(&mut row, &merged.ack, "acknowledgement (ack − send), closed loop");
    rows.push(row);
    fleet.close();
    Ok(())
}

/// GET requests (history pages, searches) at a fixed rate, open loop, each with its
/// member's session.
#[derive(Clone)]
struct RequestLoad {
    client: reqwest::Client,
    /// (url, cookie)
    targets: Vec<(String, String)>,
    rate: f64,
}

struct RequestResult {
    latency: Histogram<u64>,
    ok: u64,
    failed: u64,
    first_error: Option<String>,
}

impl RequestLoad {
    async fn run(self, start_us: u64, end_us: u64) -> anyhow::Result<RequestResult> {
        let mut result = RequestResult { latency: proto::new_hist()?, ok: 0, failed: 0, first_error: None };
        if self.targets.is_empty() || self.rate <= 0.0 {
            return Ok(result);
        }
        let n = ((end_us.saturating_sub(start_us)) as f64 / 1e6 * self.rate) as u64;
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..n {
            let due = start_us + (k as f64 * 1e6 / self.rate) as u64;
            sleep_until_us(due).await;
            let (url, cookie) = self.targets[(k as usize) % self.targets.len()].clone();
            let client = self.client.clone();
            tasks.spawn(async move {
                let outcome = client.get(&url).header("cookie", cookie).send().await;
                let outcome = match outcome {
                    Ok(r) if r.status().is_success() => {
                        r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
                    }
                    Ok(r) => Err(format!("status {}", r.status())),
                    Err(e) => Err(e.to_string()),
                };
                (now_us().saturating_sub(due), outcome)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((latency, Ok(()))) => {
                    result.ok += 1;
                    proto::record(&mut result.latency, latency);
                }
                Ok((_, Err(e))) => {
                    result.failed += 1;
                    result.first_error.get_or_insert(e);
                }
                Err(e) => {
                    result.failed += 1;
                    result.first_error.get_or_insert(e.to_string());
                }
            }
        }
        Ok(result)
    }
}

/// History pages (limit 50) at a fixed rate while the fan-out runs.
async fn history(stack: &mut Stack, o: &Options, ctx: &mut Ctx, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let port = node_port(stack, 1)?;
    let shape = Shape::fanout(o, "history", vec![port], &[o.history_send_rate]);
    let (mut fleet, rooms, open, notes) = open_rooms(o, ctx, &shape).await?;
    stack.settle(Duration::from_secs(20)).await;
    let targets = rooms
        .iter()
        .flat_map(|(chat, members)| {
            members.iter().skip(1).map(move |m| {
                (
                    format!("http://127.0.0.1:{port}/api/chats/{chat}/messages?limit=50"),
                    format!("confab_session={}", m.token),
                )
            })
        })
        .collect();
    let load = RequestLoad {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(512)
            .build()?,
        targets,
        rate: o.history_rate,
    };
    eprintln!(
        "confab-load:   {:.0} pages/s during fan-out at {:.0} sends/s",
        o.history_rate, o.history_send_rate
    );
    let (merged, cpu, rss, side, _) =
        step(stack, o, ctx, &mut fleet, o.history_send_rate, Some(&load)).await?;
    let mut row = Row {
        scenario: "history".into(),
        label: format!("{:.0} pages/s + fan-out {:.0} sends/s", o.history_rate, o.history_send_rate),
        nodes: 1,
        clients: open,
        room_size: Some(o.fanout_room as u64),
        rate: Some(o.history_rate),
        notes,
        ..Default::default()
    };
    open_row(&mut row, o, &merged, cpu, rss);
    let fanout_p99 = row.p99;
    if let Some(side) = side {
        set_latency(&mut row, &side.latency, "history page of 50 (response − scheduled request)");
        row.notes.push(format!(
            "{} pages ok, {} failed; the fan-out's own delivery p99 {:.1} ms",
            side.ok,
            side.failed,
            fanout_p99.unwrap_or(f64::NAN)
        ));
        if side.first_error.is_some() {
            row.first_error = side.first_error;
        }
    }
    rows.push(row);
    fleet.close();
    Ok(())
}

/// Message search: `search_messages` messages (seeded in one statement, see
/// `Seeder::messages`) in groups whose members are each in a few of them, then
/// `GET /api/search` at `search_rate` by those members, one step per kind of query.
async fn search(stack: &mut Stack, o: &Options, ctx: &mut Ctx, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let port = node_port(stack, 1)?;
    let seeded = match ctx.corpus.take() {
        Some(users) => users,
        None => seed_corpus(o, ctx).await?,
    };
    let users = ctx.corpus.insert(seeded);
    stack.settle(Duration::from_secs(20)).await;
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).pool_max_idle_per_host(512).build()?;
    let memberships = o.search_chats * o.search_room / o.search_users.max(1);
    for (kind, queries) in search_queries() {
        let targets = users
            .iter()
            .zip(queries.iter().cycle())
            .map(|(user, q)| {
                let url = reqwest::Url::parse_with_params(
                    &format!("http://127.0.0.1:{port}/api/search"),
                    [("q", q)],
                )?;
                Ok((url.to_string(), format!("confab_session={}", user.token)))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let load = RequestLoad { client: client.clone(), targets, rate: o.search_rate };
        eprintln!("confab-load:   {kind}: {:.0} searches/s", o.search_rate);
        let start_us = now_us() + 300_000;
        let win_start = start_us + secs(o.warm_s).as_micros() as u64;
        let end_us = win_start + secs(o.measure_s).as_micros() as u64;
        let warm_up = tokio::spawn(load.clone().run(start_us, win_start));
        let measured = tokio::spawn(load.run(win_start, end_us));
        sleep_until_us(win_start).await;
        let before = sample(stack, &[]);
        sleep_until_us(end_us).await;
        let after = sample(stack, &[]);
        warm_up.await.context("search warm-up")??;
        let result = measured.await.context("search load")??;
        let mut row = Row {
            scenario: "search".into(),
            label: format!("{kind}, {:.0}/s", o.search_rate),
            nodes: 1,
            rate: Some(o.search_rate),
            window_s: o.measure_s,
            server_rss_bytes: Some(nodes_rss(stack)),
            cpu: Some(cpu_between(&before, &after)),
            first_error: result.first_error,
            notes: vec![
                format!(
                    "{} messages in {} chats of {}; each of {} users in {memberships} chats; q like {:?}",
                    o.search_messages,
                    o.search_chats,
                    o.search_room,
                    o.search_users,
                    queries.first().cloned().unwrap_or_default()
                ),
                format!("{} searches ok, {} failed", result.ok, result.failed),
            ],
            ..Default::default()
        };
        set_latency(&mut row, &result.latency, "search, a page of 20 (response − scheduled request)");
        rows.push(row);
    }
    Ok(())
}

/// Users in groups of `search_room` (group c holds the users from c·stride on, so each
/// user is in a few of them), and the messages.
async fn seed_corpus(o: &Options, ctx: &mut Ctx) -> anyhow::Result<Vec<SeedUser>> {
    anyhow::ensure!(o.search_users > 0 && o.search_chats > 0, "search needs users and chats");
    let users = ctx.seeder.users(o.search_users).await?;
    let stride = (o.search_users / o.search_chats).max(1);
    let groups: Vec<Vec<&SeedUser>> = (0..o.search_chats)
        .map(|c| (0..o.search_room).map(|j| &users[(c * stride + j) % users.len()]).collect())
        .collect();
    let chats = ctx.seeder.groups(&groups).await?;
    let started = Instant::now();
    ctx.seeder.messages(&chats, o.search_messages).await?;
    eprintln!(
        "confab-load:   seeded {} messages in {:.1} s (one INSERT ... SELECT, then VACUUM ANALYZE)",
        o.search_messages,
        started.elapsed().as_secs_f64()
    );
    Ok(users)
}

/// The kinds of query measured, each with the queries its requests take in turn: words
/// from the rare end of [`VOCABULARY`] (about 1 % of messages each), from its middle, from
/// its head (in most messages), phrases of two middle words, and a middle word without a
/// common one.
fn search_queries() -> Vec<(&'static str, Vec<String>)> {
    let words: Vec<&str> = VOCABULARY.split(' ').collect();
    let middle = &words[40..60];
    let common = &words[..5];
    let rare = &words[words.len().saturating_sub(20)..];
    vec![
        ("rare word", rare.iter().map(|w| (*w).to_owned()).collect()),
        ("middle word", middle.iter().map(|w| (*w).to_owned()).collect()),
        ("common word", common.iter().map(|w| (*w).to_owned()).collect()),
        ("phrase", middle.windows(2).map(|pair| format!("\"{} {}\"", pair[0], pair[1])).collect()),
        ("word -word", middle.iter().zip(common.iter().cycle()).map(|(w, c)| format!("{w} -{c}")).collect()),
    ]
}

/// Two-node rows: CPU per delivery over the one-node fan-out's at the same rate.
fn compare_two_nodes(rows: &mut [Row]) {
    let one: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.scenario == "fanout")
        .filter_map(|r| Some((r.rate?, r.cpu_us_per_delivery?)))
        .collect();
    for row in rows.iter_mut().filter(|r| r.scenario == "two_nodes") {
        if let (Some(rate), Some(cpu)) = (row.rate, row.cpu_us_per_delivery)
            && let Some((_, base)) = one.iter().find(|(r, _)| (*r - rate).abs() < 0.5)
            && *base > 0.0
        {
            row.cpu_per_delivery_vs_one_node = Some(cpu / base);
        }
    }
}
