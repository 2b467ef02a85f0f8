//! A Redis server of our own (no persistence), or the one named by `REDIS_URL`. All tests of
//! a process share one: keys are uuid-based, so they do not collide.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context;

use crate::process::{free_port, scratch_dir, spawn_bound, stop, wait_until};

/// A `redis-server` run by this process on 127.0.0.1.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts `redis-server` (`REDIS_SERVER` overrides the binary) with its working files in
    /// `dir`, no snapshots and no append-only file.
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        Self::start_on(dir, None)
    }

    /// Like [`RedisServer::start`], on `port` when given (else a free one).
    fn start_on(dir: &Path, fixed_port: Option<u16>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let binary =
            std::env::var_os("REDIS_SERVER").map_or_else(|| PathBuf::from("redis-server"), PathBuf::from);
        let log = dir.join("redis.log");
        let mut last_error = None;
        for _ in 0..3 {
            let port = match fixed_port {
                Some(port) => port,
                None => free_port()?,
            };
            let log_file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
            let mut cmd = Command::new(&binary);
            cmd.args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
            let mut child = spawn_bound(cmd).context("starting redis-server (is it installed?)")?;
            match wait_until("redis-server", &mut child, &log, Duration::from_secs(30), || ping(port)) {
                Ok(()) => return Ok(Self { child, port }),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("redis-server did not start")))
    }

    /// A server in a scratch directory.
    pub fn throwaway() -> anyhow::Result<Self> {
        Self::start(&scratch_dir("redis")?)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops this server and starts a fresh, empty one on the same port (a Redis restart
    /// without persistence: every key and subscription is gone).
    pub fn restart(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.stop()?;
        *self = Self::start_on(dir, Some(self.port))?;
        Ok(())
    }

    /// SIGSTOP: the server stops answering but keeps every connection open — a sick
    /// Redis, as opposed to a dead one. [`RedisServer::resume`] wakes it.
    pub fn pause(&self) -> anyhow::Result<()> {
        crate::process::signal(self.child.id(), libc::SIGSTOP)
    }

    /// SIGCONT: a paused server carries on (its queued commands run).
    pub fn resume(&self) -> anyhow::Result<()> {
        crate::process::signal(self.child.id(), libc::SIGCONT)
    }

    /// SIGTERM: Redis shuts down cleanly.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        stop(&mut self.child, libc::SIGTERM, Duration::from_secs(10))
    }
}

/// Whether a Redis on `port` answers `PING` with `+PONG`.
fn ping(port: u16) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(1)))?;
        stream.write_all(b"PING\r\n")?;
        let mut reply = [0_u8; 7];
        stream.read_exact(&mut reply)?;
        Ok(&reply == b"+PONG\r\n")
    };
    attempt().unwrap_or(false)
}

/// The Redis URL for tests: `REDIS_URL`, or a server started once per test process.
pub async fn redis_url() -> String {
    static SHARED: OnceLock<Result<(String, Option<RedisServer>), String>> = OnceLock::new();
    let shared = tokio::task::spawn_blocking(|| {
        SHARED.get_or_init(|| match std::env::var("REDIS_URL").ok().filter(|u| !u.trim().is_empty()) {
            Some(url) => Ok((url, None)),
            None => RedisServer::throwaway()
                .map(|server| (server.url(), Some(server)))
                .map_err(|e| format!("{e:#}")),
        })
    })
    .await;
    match shared {
        Ok(Ok((url, _))) => url.clone(),
        Ok(Err(e)) => panic!("no Redis for the tests: {e}"),
        Err(e) => panic!("starting Redis failed: {e}"),
    }
}

/// A URL where no Redis listens: a port that was free a moment ago.
pub fn dead_redis_url() -> String {
    format!("redis://127.0.0.1:{}", free_port().unwrap_or(1))
}
