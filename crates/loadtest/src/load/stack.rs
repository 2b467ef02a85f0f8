//! The server side of a run, all separate processes that die with us: a durable PostgreSQL
//! (fsync and synchronous_commit on, fresh cluster per run), a Redis, and one or more
//! `confab` nodes on them, with every rate limit off. When pinning, all of it runs on the
//! server CPUs (PostgreSQL and Redis are re-pinned with their threads and children; nodes
//! start under `taskset`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use confab_test_support::postgres::{PgCluster, ensure_database};
use confab_test_support::process::{free_port, scratch_dir, spawn_bound, stop};
use confab_test_support::redis::RedisServer;

use crate::sys;

/// The server's default `PRESENCE_GRACE_SECS` plus a second.
const PRESENCE_WAVE: Duration = Duration::from_secs(11);

/// Longest wait for other processes to quiet down before a step.
const QUIET_MAX: Duration = Duration::from_secs(120);
/// Share of a core other processes may use while we measure.
const QUIET_SHARE: f64 = 0.15;

/// How the nodes are configured beyond the defaults.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    pub binary: PathBuf,
    /// CPUs for the server side (`taskset` list), or none.
    pub cpus: Option<String>,
    pub log_level: String,
    /// `DATABASE_POOL_SIZE`, when given.
    pub pool_size: Option<usize>,
    /// Extra `NAME=value` settings for every node.
    pub env: Vec<(String, String)>,
}

/// One `confab` process.
pub struct Node {
    pub id: u32,
    pub port: u16,
    /// Where its Prometheus metrics are served (`METRICS_ADDR`).
    pub metrics_port: u16,
    child: Child,
}

impl Node {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

pub struct Stack {
    pub dir: PathBuf,
    pub database_url: String,
    pub redis_url: String,
    pub pg_pid: u32,
    pub redis_pid: u32,
    pub nodes: Vec<Node>,
    options: NodeOptions,
    postgres: Option<PgCluster>,
    redis: Option<RedisServer>,
}

impl Stack {
    /// Starts PostgreSQL (durable) and Redis in a scratch directory.
    pub async fn start(options: NodeOptions) -> anyhow::Result<Self> {
        let dir = scratch_dir("bench")?;
        // PostgreSQL may run as the `postgres` user: it must be able to reach its data dir.
        set_mode(&dir, 0o755)?;
        let pg_dir = dir.join("postgres").join("data");
        let postgres = tokio::task::spawn_blocking(move || PgCluster::start(&pg_dir, true))
            .await
            .context("starting postgres")??;
        let pg_pid = postmaster_pid(postgres.data_dir())?;
        let redis_dir = dir.join("redis");
        let redis = tokio::task::spawn_blocking(move || RedisServer::start(&redis_dir))
            .await
            .context("starting redis")??;
        let redis_pid = redis_pid(redis.port())?;
        if let Some(cpus) = &options.cpus {
            sys::pin_tree(pg_pid, cpus)?;
            sys::pin_tree(redis_pid, cpus)?;
        }
        ensure_database(&postgres.url("postgres"), "confab").await?;
        let database_url = postgres.url("confab");
        let redis_url = redis.url();
        Ok(Self {
            dir,
            database_url,
            redis_url,
            pg_pid,
            redis_pid,
            nodes: Vec::new(),
            options,
            postgres: Some(postgres),
            redis: Some(redis),
        })
    }

    /// Starts node `id` and waits for `/api/health` (the first node runs the migrations).
    pub async fn start_node(&mut self, id: u32) -> anyhow::Result<&Node> {
        let port = free_port()?;
        let metrics_port = free_port()?;
        let log_path = self.dir.join(format!("node{id}.log"));
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path)?;
        let mut command = match &self.options.cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpus]).arg(&self.options.binary);
                c
            }
            None => Command::new(&self.options.binary),
        };
        command
            .env("DATABASE_URL", &self.database_url)
            .env("REDIS_URL", &self.redis_url)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("NODE_ID", id.to_string())
            .env("RATE_MESSAGES_PER_USER", "0")
            .env("RATE_LOGIN_FAILURES", "0")
            .env("RATE_REGISTRATIONS_PER_IP", "0")
            .env("SOCKETS_PER_USER_MAX", "0")
            .env("RATE_SOCKET_UPGRADES_PER_USER", "0")
            .env("RUST_LOG", &self.options.log_level)
            .env_remove("DIST_DIR")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(n) = self.options.pool_size {
            command.env("DATABASE_POOL_SIZE", n.to_string());
        }
        for (name, value) in &self.options.env {
            command.env(name, value);
        }
        let mut child = spawn_bound(command)
            .with_context(|| format!("starting {} (build it first)", self.options.binary.display()))?;
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let url = format!("http://127.0.0.1:{port}/api/health");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "node {id} exited with {status}; its log:\n{}",
                    confab_test_support::process::tail(&log_path)
                );
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!("node {id} not healthy after 120 s; log: {}", log_path.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.nodes.push(Node { id, port, metrics_port, child });
        let index = self.nodes.len() - 1;
        Ok(&self.nodes[index])
    }

    /// Each node's id, port and metrics address, for the results file.
    pub fn describe_nodes(&self) -> serde_json::Value {
        self.nodes
            .iter()
            .map(|n| serde_json::json!({"id": n.id, "port": n.port, "metrics": format!("127.0.0.1:{}", n.metrics_port)}))
            .collect()
    }

    /// Server-side processes to account CPU to: (name, root pid).
    pub fn processes(&self) -> Vec<(String, u32)> {
        let mut out = vec![("postgres".to_owned(), self.pg_pid), ("redis".to_owned(), self.redis_pid)];
        for node in &self.nodes {
            out.push((format!("node{}", node.id), node.pid()));
        }
        out
    }

    /// Waits (at most `max`) until the server side uses less than a fifth of a core: the
    /// previous scenario's backlog is worked off before the next one starts. Then waits (at
    /// most `QUIET_MAX`) until processes that are not ours use less than `QUIET_SHARE` of a
    /// core, so another build or benchmark does not skew the next step.
    pub async fn settle(&self, max: Duration) {
        // The previous step's clients are announced offline only after the server's
        // presence grace window: let that wave land before measuring whether the server
        // is idle, or it falls into the next step's measured window.
        tokio::time::sleep(PRESENCE_WAVE).await;
        let ticks = sys::clock_ticks();
        let deadline = Instant::now() + max;
        let total = || self.processes().iter().map(|(_, pid)| sys::tree_cpu_ticks(*pid)).sum::<u64>();
        while Instant::now() < deadline {
            let before = total();
            tokio::time::sleep(Duration::from_millis(500)).await;
            let used = (total().saturating_sub(before)) as f64 / ticks / 0.5;
            if used < 0.2 {
                break;
            }
        }
        // Ours: this process and every descendant (workers, servers).
        let others = || sys::machine_busy_ticks().saturating_sub(sys::tree_cpu_ticks(std::process::id()));
        let started = Instant::now();
        let mut said = false;
        while started.elapsed() < QUIET_MAX {
            let before = others();
            tokio::time::sleep(Duration::from_secs(1)).await;
            let used = others().saturating_sub(before) as f64 / ticks;
            if used < QUIET_SHARE {
                break;
            }
            if !said {
                eprintln!(
                    "confab-load: other processes use {:.0} % CPU: waiting (at most {QUIET_MAX:?})",
                    used * 100.0
                );
                said = true;
            }
        }
    }

    /// Stops everything, nodes first; reports the first failure after trying all.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        for mut node in self.nodes.drain(..) {
            if let Err(e) = stop(&mut node.child, libc::SIGTERM, Duration::from_secs(10)) {
                first_error.get_or_insert(e);
            }
        }
        if let Some(mut redis) = self.redis.take()
            && let Err(e) = redis.stop()
        {
            first_error.get_or_insert(e);
        }
        if let Some(mut postgres) = self.postgres.take()
            && let Err(e) = postgres.stop()
        {
            first_error.get_or_insert(e);
        }
        match first_error {
            None => {
                let _ = std::fs::remove_dir_all(&self.dir);
                Ok(())
            }
            Some(e) => Err(e),
        }
    }
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

/// The postmaster's pid: the first line of `postmaster.pid`.
fn postmaster_pid(data_dir: &Path) -> anyhow::Result<u32> {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).context("reading postmaster.pid")?;
    text.lines().next().and_then(|l| l.trim().parse().ok()).context("no pid in postmaster.pid")
}

/// Redis's pid, from `INFO server`.
fn redis_pid(port: u16) -> anyhow::Result<u32> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"INFO server\r\n")?;
    let mut reply = Vec::new();
    let mut buf = [0_u8; 4096];
    // The reply is a few KiB: read until the pid line is in (bounded).
    for _ in 0..64 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&reply);
        if let Some(line) = text.lines().find(|l| l.starts_with("process_id:"))
            && text.contains("run_id:")
        {
            return line["process_id:".len()..].trim().parse().context("process_id");
        }
    }
    bail!("no process_id in Redis's INFO")
}
