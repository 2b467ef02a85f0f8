//! `confab-load`: the load generator behind `just bench`. It starts its own durable
//! PostgreSQL, Redis and `confab` nodes as separate processes, pins them to the server CPUs
//! and itself to the others (when the machine has two or more), seeds users, sessions and
//! chats straight into PostgreSQL (bench-only, no argon2), then runs the standard scenarios
//! with worker processes of itself holding the sockets, and writes
//! `bench/results/<date>.json` and `<date>.md` (printed too).
//!
//! Modules: `stack` (the server processes), `seed` (bench-only rows), `fleet` (worker
//! processes, from the coordinator's side), `worker` (a worker's sockets and measurements),
//! `proto` (their line protocol), `scenarios` (what is measured), `report` (rows, JSON,
//! markdown), `sys` (/proc, taskset, machine).

mod fleet;
mod proto;
mod report;
mod scenarios;
mod seed;
mod stack;
mod sys;
mod worker;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::scenarios::{ALL, Options};
use crate::stack::{NodeOptions, Stack};

const USAGE: &str = "\
usage: confab-load [flags]

Starts a durable PostgreSQL, Redis and confab nodes, runs the load scenarios and writes
<out>/<YYYY-MM-DD>.json and .md (<YYYY-MM-DD>-quick.* with --quick).
Scenarios (in this order): idle, handshakes, fanout, history, allsend, ingest, two_nodes,
search.

  --scenarios LIST         comma-separated subset (default: all)
  --quick                  small sizes and short windows: a smoke test in about a minute
  --warmup S               warm-up per step (default 3)
  --duration S             measured window per step (default 10)
  --drain S                wait for owed deliveries after the last send; what is missing
                           then counts as lost (default 5)
  --idle-sockets N         (default 15000)
  --fanout-clients N       (default 1000)     --fanout-room N   (default 100)
  --fanout-rates LIST      sends/s ladder (default 500,1000,1500,2000,3000)
  --allsend-clients N      (default 2000)     --allsend-room N  (default 20)
  --allsend-rates LIST     (default 2000,4000)
  --ingest-sockets N       (default 200)      --ingest-inflight N (default 8)
  --history-rate R         pages/s (default 200) during fan-out at --history-send-rate
                           (default 1000)
  --hold N                 sockets held during the handshake test (default 10000)
  --handshake-secs S       (default 10)       --handshake-concurrency N per worker (default 64)
  --two-node-rates LIST    (default 1000,2000)
  --search-messages N      messages to search (default 100000), in --search-chats N
                           (default 200) groups of --search-room N (default 25) among
                           --search-users N (default 1000)
  --search-rate R          searches/s, each kind of query in its own step (default 50)
  --ladder-stop-lost F     stop a ladder after a step losing more than this share (default 0.05)
  --per-worker N           sockets per worker process (default 7500)
  --server-bin PATH        the confab binary (default: next to this one)
  --out DIR                results directory (default bench/results)
  --suffix S               appended to the results' file name (e.g. -search)
  --server-cpus LIST       taskset list for PostgreSQL, Redis, nodes (default 0 when nproc >= 2)
  --generator-cpus LIST    taskset list for this generator (default 1 when nproc >= 2)
  --no-pin                 no CPU pinning
  --pool-size N            DATABASE_POOL_SIZE of the nodes (default: the server's)
  --node-env NAME=VALUE    extra environment for the nodes (repeatable)
  --server-log FILTER      RUST_LOG of the nodes (default warn)
  --server-commit REV      record this as the server's commit (default: git HEAD here)";

struct Args {
    options: Options,
    server_bin: Option<PathBuf>,
    out: PathBuf,
    server_cpus: Option<String>,
    generator_cpus: Option<String>,
    pool_size: Option<usize>,
    node_env: Vec<(String, String)>,
    server_log: String,
    /// Appended to the results' file name (`-quick` for smoke tests).
    suffix: String,
    /// The commit the server was built from, when not this checkout's HEAD.
    server_commit: Option<String>,
}

fn list<T: std::str::FromStr>(raw: &str) -> anyhow::Result<Vec<T>> {
    raw.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<T>().map_err(|_| anyhow::anyhow!("bad list item {s:?}")))
        .collect()
}

fn parse_args(mut raw: impl Iterator<Item = String>) -> anyhow::Result<Option<Args>> {
    let mut o = Options {
        scenarios: ALL.iter().map(|s| s.to_string()).collect(),
        warm_s: 3.0,
        measure_s: 10.0,
        drain_s: 5.0,
        idle_sockets: 15_000,
        fanout_clients: 1_000,
        fanout_room: 100,
        fanout_rates: vec![500.0, 1000.0, 1500.0, 2000.0, 3000.0],
        allsend_clients: 2_000,
        allsend_room: 20,
        allsend_rates: vec![2000.0, 4000.0],
        ingest_sockets: 200,
        ingest_inflight: 8,
        history_rate: 200.0,
        history_send_rate: 1000.0,
        hold_sockets: 10_000,
        handshake_s: 10.0,
        handshake_concurrency: 64,
        two_node_rates: vec![1000.0, 2000.0],
        search_messages: 100_000,
        search_chats: 200,
        search_room: 25,
        search_users: 1_000,
        search_rate: 50.0,
        per_worker: 7_500,
        connect_concurrency: 128,
        ladder_stop_lost: 0.05,
    };
    let pin_default = sys::nproc() >= 2;
    let mut args = Args {
        options: o.clone(),
        server_bin: None,
        out: PathBuf::from("bench/results"),
        server_cpus: pin_default.then(|| "0".to_owned()),
        generator_cpus: pin_default.then(|| "1".to_owned()),
        pool_size: None,
        node_env: Vec::new(),
        server_log: "warn".into(),
        suffix: String::new(),
        server_commit: None,
    };
    while let Some(arg) = raw.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") && flag != "--node-env" => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        let mut value =
            || inline.clone().or_else(|| raw.next()).with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--scenarios" => {
                o.scenarios = list(&value()?)?;
                for s in &o.scenarios {
                    if !ALL.contains(&s.as_str()) {
                        bail!("unknown scenario {s:?} (known: {})", ALL.join(", "));
                    }
                }
            }
            "--quick" => {
                args.suffix = "-quick".into();
                o.warm_s = 1.0;
                o.measure_s = 3.0;
                o.drain_s = 3.0;
                o.idle_sockets = 1_000;
                o.fanout_clients = 200;
                o.fanout_room = 50;
                o.fanout_rates = vec![100.0, 200.0];
                o.allsend_clients = 200;
                o.allsend_room = 20;
                o.allsend_rates = vec![200.0];
                o.ingest_sockets = 20;
                o.history_rate = 20.0;
                o.history_send_rate = 100.0;
                o.hold_sockets = 500;
                o.handshake_s = 2.0;
                o.handshake_concurrency = 8;
                o.two_node_rates = vec![100.0];
                o.search_messages = 10_000;
                o.search_rate = 20.0;
            }
            "--warmup" => o.warm_s = value()?.parse()?,
            "--duration" => o.measure_s = value()?.parse()?,
            "--drain" => o.drain_s = value()?.parse()?,
            "--idle-sockets" => o.idle_sockets = value()?.parse()?,
            "--fanout-clients" => o.fanout_clients = value()?.parse()?,
            "--fanout-room" => o.fanout_room = value()?.parse()?,
            "--fanout-rates" => o.fanout_rates = list(&value()?)?,
            "--allsend-clients" => o.allsend_clients = value()?.parse()?,
            "--allsend-room" => o.allsend_room = value()?.parse()?,
            "--allsend-rates" => o.allsend_rates = list(&value()?)?,
            "--ingest-sockets" => o.ingest_sockets = value()?.parse()?,
            "--ingest-inflight" => o.ingest_inflight = value()?.parse()?,
            "--history-rate" => o.history_rate = value()?.parse()?,
            "--history-send-rate" => o.history_send_rate = value()?.parse()?,
            "--hold" => o.hold_sockets = value()?.parse()?,
            "--handshake-secs" => o.handshake_s = value()?.parse()?,
            "--handshake-concurrency" => o.handshake_concurrency = value()?.parse()?,
            "--two-node-rates" => o.two_node_rates = list(&value()?)?,
            "--search-messages" => o.search_messages = value()?.parse()?,
            "--search-chats" => o.search_chats = value()?.parse()?,
            "--search-room" => o.search_room = value()?.parse()?,
            "--search-users" => o.search_users = value()?.parse()?,
            "--search-rate" => o.search_rate = value()?.parse()?,
            "--ladder-stop-lost" => o.ladder_stop_lost = value()?.parse()?,
            "--per-worker" => o.per_worker = value()?.parse::<usize>()?.clamp(1, 9_000),
            "--server-bin" => args.server_bin = Some(value()?.into()),
            "--out" => args.out = value()?.into(),
            "--suffix" => args.suffix = value()?,
            "--server-cpus" => args.server_cpus = Some(value()?),
            "--generator-cpus" => args.generator_cpus = Some(value()?),
            "--no-pin" => {
                args.server_cpus = None;
                args.generator_cpus = None;
            }
            "--pool-size" => args.pool_size = Some(value()?.parse()?),
            "--node-env" => {
                let raw = value()?;
                let (name, v) = raw.split_once('=').context("--node-env takes NAME=VALUE")?;
                args.node_env.push((name.to_owned(), v.to_owned()));
            }
            "--server-log" => args.server_log = value()?,
            "--server-commit" => args.server_commit = Some(value()?),
            other => bail!("unknown argument {other:?}"),
        }
    }
    if o.measure_s <= 0.0 {
        bail!("--duration must be positive");
    }
    args.options = o;
    Ok(Some(args))
}

fn main() -> ExitCode {
    let mut raw = std::env::args().skip(1).peekable();
    if raw.peek().map(String::as_str) == Some("worker") {
        return match worker::main() {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        };
    }
    let args = match parse_args(raw) {
        Ok(Some(args)) => args,
        Ok(None) => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("confab-load: {e:#}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match coordinate(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confab-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn coordinate(args: Args) -> anyhow::Result<()> {
    // Described before pinning: afterwards this process sees only its own CPUs.
    let mut machine = sys::machine();
    // Pin before any thread or child exists: they all inherit it (the server side is
    // re-pinned to its own CPUs).
    if let Some(cpus) = &args.generator_cpus {
        sys::pin(std::process::id(), cpus)?;
    }
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("confab"),
    };
    if !binary.is_file() {
        bail!(
            "no server binary at {} (cargo build --release -p confab-backend --bin confab)",
            binary.display()
        );
    }
    let node_options = NodeOptions {
        binary,
        cpus: args.server_cpus.clone(),
        log_level: args.server_log.clone(),
        pool_size: args.pool_size,
        env: args.node_env.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    if let Some(rev) = &args.server_commit {
        machine["git_commit"] = serde_json::json!(rev);
        machine["git_dirty"] = serde_json::json!(false);
    }
    machine["server_cpus"] = serde_json::json!(args.server_cpus);
    machine["generator_cpus"] = serde_json::json!(args.generator_cpus);
    let mut config = serde_json::to_value(&args.options)?;
    config["server_pool_size"] = serde_json::json!(args.pool_size);
    config["node_env"] = serde_json::json!(args.node_env);
    config["server_log"] = serde_json::json!(args.server_log);
    config["body_bytes"] = serde_json::json!(worker::BODY_BYTES);
    config["postgres"] = serde_json::json!("fresh cluster, fsync=on, synchronous_commit=on");

    let mut rows = Vec::new();
    let mut nodes = serde_json::Value::Null;
    let outcome: anyhow::Result<()> = runtime.block_on(async {
        eprintln!("confab-load: starting PostgreSQL (durable), Redis and node 1 ...");
        let mut stack = Stack::start(node_options).await?;
        let result = async {
            stack.start_node(1).await?;
            tokio::select! {
                result = scenarios::run_all(&mut stack, &args.options, &mut rows) => result,
                _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
            }
        }
        .await;
        nodes = stack.describe_nodes();
        eprintln!("confab-load: stopping the servers ...");
        if let Err(e) = stack.stop() {
            eprintln!("confab-load: stopping the servers: {e:#}");
        }
        result
    });
    config["nodes"] = nodes;
    let error = outcome.as_ref().err().map(|e| format!("{e:#}"));
    if !rows.is_empty() || error.is_some() {
        let date = format!("{}{}", sys::today(), args.suffix);
        let md = report::write(&args.out, &date, &machine, &config, &rows, error.as_deref())?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "\n{md}")?;
        writeln!(stdout, "written: {}/{date}.json and .md", args.out.display())?;
    }
    outcome
}
