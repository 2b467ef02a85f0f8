//! `confab-bench`: measures what the Redis cache buys. It starts a throwaway PostgreSQL and
//! Redis, then the real backend twice — with the cache and without — seeds the same chats,
//! and drives both with the same read-mostly traffic from concurrent users: open the chat
//! list, open a chat (its newest page), now and then send a message (which invalidates
//! every member's cached list and the chat's page). Latencies go into HDR histograms.
//!
//! Usage: `confab-bench [--users N] [--workers N] [--requests N] [--write-every N]`

// The report on stdout is what this tool is for.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use confab_shared::api::{Chat, Health};
use confab_test_support::{TestApp, TestUser, spawn_app_with};
use hdrhistogram::Histogram;

#[derive(Debug, Clone, Copy)]
struct Options {
    users: usize,
    workers: usize,
    /// Requests per worker.
    requests: usize,
    /// One request in this many is a send.
    write_every: usize,
    /// Messages seeded into the group before measuring.
    seed_messages: usize,
}

impl Options {
    fn parse() -> anyhow::Result<Self> {
        let mut o = Options { users: 20, workers: 16, requests: 400, write_every: 20, seed_messages: 200 };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value: usize =
                args.next().context("a flag needs a value")?.parse().context("not a number")?;
            match flag.as_str() {
                "--users" => o.users = value.max(2),
                "--workers" => o.workers = value.max(1),
                "--requests" => o.requests = value.max(1),
                "--write-every" => o.write_every = value.max(1),
                "--seed-messages" => o.seed_messages = value,
                other => bail!("unknown flag {other}"),
            }
        }
        Ok(o)
    }
}

/// Latencies of one kind of request, in microseconds.
struct Series {
    name: &'static str,
    histogram: Histogram<u64>,
}

impl Series {
    fn new(name: &'static str) -> anyhow::Result<Self> {
        Ok(Self { name, histogram: Histogram::new_with_bounds(1, 60_000_000, 3)? })
    }
}

struct Run {
    label: &'static str,
    series: Vec<Series>,
    elapsed: Duration,
    health: Health,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    println!(
        "confab-bench: {} users, {} concurrent workers x {} requests, 1 send in {}, {} seeded messages\n",
        options.users, options.workers, options.requests, options.write_every, options.seed_messages
    );
    let with_cache = run("with Redis cache", options, true).await?;
    let without = run("PostgreSQL only", options, false).await?;
    report(&[with_cache, without]);
    Ok(())
}

async fn run(label: &'static str, options: Options, cache: bool) -> anyhow::Result<Run> {
    let app = spawn_app_with(|s| {
        if !cache {
            s.redis_url = None;
        }
        s.database_pool_size = options.workers.max(4);
    })
    .await;
    let users = seed(&app, options).await?;
    let group = users[0].chats().await.into_iter().find(|c| c.title.is_some()).context("the group")?;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..options.workers {
        let user = users[worker % users.len()].clone();
        let group = group.clone();
        tasks.push(tokio::spawn(async move { drive(user, group, worker, options).await }));
    }
    let mut series =
        vec![Series::new("GET /api/chats")?, Series::new("GET newest page")?, Series::new("POST message")?];
    for task in tasks {
        let [list, page, send] = task.await??;
        series[0].histogram.add(list)?;
        series[1].histogram.add(page)?;
        series[2].histogram.add(send)?;
    }
    let elapsed = started.elapsed();
    let (_, health) = app.health().await;
    Ok(Run { label, series, elapsed, health })
}

/// Registers the users: one group with everyone, a direct chat between the first user and
/// each other one, and `seed_messages` messages in the group.
async fn seed(app: &TestApp, options: Options) -> anyhow::Result<Vec<TestUser>> {
    let mut users = Vec::new();
    for i in 0..options.users {
        users.push(app.register(&format!("bench{i}")).await);
    }
    let others: Vec<&TestUser> = users.iter().skip(1).collect();
    let group = users[0].create_group("Everyone", &others).await;
    for other in &others {
        let direct = users[0].create_direct(other).await;
        users[0].send(direct.id, "hello").await;
    }
    for i in 0..options.seed_messages {
        users[i % users.len()].send(group.id, &format!("seed message {i}")).await;
    }
    Ok(users)
}

/// One worker's share of the traffic: lists, pages and, every `write_every`th request, a send.
async fn drive(
    user: TestUser,
    group: Chat,
    worker: usize,
    options: Options,
) -> anyhow::Result<[Histogram<u64>; 3]> {
    let mut list = Histogram::new_with_bounds(1, 60_000_000, 3)?;
    let mut page = list.clone();
    let mut send = list.clone();
    let page_path = format!("/api/chats/{}/messages", group.id);
    for i in 0..options.requests {
        let started = Instant::now();
        let (status, target) = if (i + worker).is_multiple_of(options.write_every) {
            let body = serde_json_body(worker, i);
            (user.post(&page_path, body).await.0, &mut send)
        } else if i % 2 == 0 {
            (user.get("/api/chats").await.0, &mut list)
        } else {
            (user.get(&page_path).await.0, &mut page)
        };
        if !status.is_success() {
            bail!("worker {worker}: request {i} failed with {status}");
        }
        target.record(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX))?;
    }
    Ok([list, page, send])
}

fn serde_json_body(worker: usize, i: usize) -> serde_json::Value {
    serde_json::json!({ "client_id": uuid_for(worker, i), "body": format!("load {worker}/{i}") })
}

/// A fresh client id per send (version-4 layout, from the worker and request numbers plus
/// the clock, so runs never collide).
fn uuid_for(worker: usize, i: usize) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let bits = (nanos as u64) ^ ((worker as u64) << 48) ^ (i as u64);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        bits >> 32,
        (bits >> 16) & 0xffff,
        worker & 0xfff,
        i & 0xfff,
        bits & 0xffff_ffff_ffff
    )
}

fn report(runs: &[Run]) {
    println!("| setup | request | count | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for run in runs {
        for s in &run.series {
            let h = &s.histogram;
            let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            println!(
                "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                run.label,
                s.name,
                h.len(),
                ms(0.5),
                ms(0.95),
                ms(0.99),
                h.max() as f64 / 1000.0
            );
        }
    }
    println!();
    for run in runs {
        let total: u64 = run.series.iter().map(|s| s.histogram.len()).sum();
        let lookups = run.health.cache_hits + run.health.cache_misses;
        let hit_rate = if lookups == 0 { 0.0 } else { 100.0 * run.health.cache_hits as f64 / lookups as f64 };
        println!(
            "{}: {total} requests in {:.2} s = {:.0} req/s; cache hits {} / misses {} ({hit_rate:.1}% hit rate), redis {}",
            run.label,
            run.elapsed.as_secs_f64(),
            total as f64 / run.elapsed.as_secs_f64(),
            run.health.cache_hits,
            run.health.cache_misses,
            run.health.redis
        );
    }
}
