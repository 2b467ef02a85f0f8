//! A PostgreSQL 15 server of our own: a throwaway cluster per test process (or the server
//! named by `DATABASE_URL`), a migrated template database, and a fresh copy of it per test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::process::{free_port, scratch_dir, spawn_bound, stop, wait_until};

/// Where the PostgreSQL 15 binaries are (Debian's layout); `PG_BIN` overrides it.
fn pg_bin(name: &str) -> PathBuf {
    let dir =
        std::env::var_os("PG_BIN").map(PathBuf::from).unwrap_or_else(|| "/usr/lib/postgresql/15/bin".into());
    dir.join(name)
}

/// The database every test database is copied from: migrated once per test process.
pub const TEMPLATE: &str = "confab_template";

/// A PostgreSQL cluster run by this process: superuser `postgres`, trust authentication,
/// listening on 127.0.0.1 only.
#[derive(Debug)]
pub struct PgCluster {
    child: Child,
    port: u16,
    data_dir: PathBuf,
    log: PathBuf,
    durable: bool,
}

/// `initdb`/`postgres` refuse to run as root: then they run as the `postgres` system user.
fn run_as() -> anyhow::Result<Option<(u32, u32)>> {
    #[allow(unsafe_code)]
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() > 3 && fields[0] == "postgres" {
            return Ok(Some((fields[2].parse()?, fields[3].parse()?)));
        }
    }
    bail!("running as root, but there is no `postgres` user to run PostgreSQL as")
}

fn chown(path: &Path, owner: Option<(u32, u32)>) -> anyhow::Result<()> {
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .with_context(|| format!("chown {}", path.display()))?;
    }
    Ok(())
}

fn command(program: &str, owner: Option<(u32, u32)>, cwd: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(pg_bin(program));
    cmd.current_dir(cwd).stdin(Stdio::null());
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

impl PgCluster {
    /// A cluster in a scratch directory, tuned for speed over durability (tests, throwaway
    /// dev stacks).
    pub fn throwaway() -> anyhow::Result<Self> {
        let dir = scratch_dir("pg")?;
        Self::start(&dir.join("data"), false)
    }

    /// Starts the cluster in `data_dir`, running `initdb` first when it holds none yet.
    /// `durable: false` turns fsync and friends off.
    pub fn start(data_dir: &Path, durable: bool) -> anyhow::Result<Self> {
        Self::start_on(data_dir, durable, None)
    }

    /// Stops the cluster and starts it again on the same port, keeping its data (a
    /// database restart as clients see it).
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        *self = Self::start_on(&self.data_dir.clone(), self.durable, Some(self.port))?;
        Ok(())
    }

    /// Like [`PgCluster::start`], on `fixed_port` when given (else a free one).
    fn start_on(data_dir: &Path, durable: bool, fixed_port: Option<u16>) -> anyhow::Result<Self> {
        // Absolute: the server runs in another working directory (and maybe as another user).
        let data_dir = &std::path::absolute(data_dir).context("resolving the data dir")?;
        let owner = run_as()?;
        let parent = data_dir.parent().context("data dir has no parent")?.to_path_buf();
        std::fs::create_dir_all(&parent)?;
        let socket_dir = parent.join("pg-socket");
        std::fs::create_dir_all(&socket_dir)?;
        chown(&socket_dir, owner)?;
        let log = parent.join("postgres.log");

        if !data_dir.join("PG_VERSION").exists() {
            std::fs::create_dir_all(data_dir)?;
            chown(data_dir, owner)?;
            let out = command("initdb", owner, &parent)
                .arg("-D")
                .arg(data_dir)
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-instructions",
                ])
                .args(if durable { &[][..] } else { &["--no-sync"][..] })
                .output()
                .context("running initdb (is PostgreSQL 15 installed? set PG_BIN otherwise)")?;
            if !out.status.success() {
                bail!(
                    "initdb failed ({}):\n{}{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }

        // A free port can be taken between our probe and the server's bind: try a few.
        let mut last_error = None;
        for _ in 0..3 {
            let port = match fixed_port {
                Some(port) => port,
                None => free_port()?,
            };
            let log_file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
            let mut cmd = command("postgres", owner, &parent);
            cmd.arg("-D")
                .arg(data_dir)
                .arg("-k")
                .arg(&socket_dir)
                .args(["-p", &port.to_string()])
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=500"])
                .stdout(log_file.try_clone()?)
                .stderr(log_file);
            if !durable {
                cmd.args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
            }
            let mut child = spawn_bound(cmd)?;
            let ready = wait_until("postgres", &mut child, &log, Duration::from_secs(60), || {
                Command::new(pg_bin("pg_isready"))
                    .args([
                        "-q",
                        "-h",
                        "127.0.0.1",
                        "-U",
                        "postgres",
                        "-d",
                        "postgres",
                        "-p",
                        &port.to_string(),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            });
            match ready {
                Ok(()) => return Ok(Self { child, port, data_dir: data_dir.to_path_buf(), log, durable }),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("postgres did not start")))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn log_file(&self) -> &Path {
        &self.log
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>`
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Fast shutdown (SIGINT to the postmaster): sessions are ended, the cluster is left
    /// consistent.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        stop(&mut self.child, libc::SIGINT, Duration::from_secs(30))
    }
}

/// `url` with its database name replaced by `database` (query parameters are kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// Runs one statement on `url` with a short-lived connection.
pub async fn execute(url: &str, sql: &str) -> anyhow::Result<()> {
    let client = connect(url).await?;
    client.batch_execute(sql).await.with_context(|| format!("running `{sql}`"))?;
    Ok(())
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Whether the database `name` exists on the server of `admin_url`.
pub async fn database_exists(admin_url: &str, name: &str) -> anyhow::Result<bool> {
    let client = connect(admin_url).await?;
    let row = client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).await?;
    Ok(row.is_some())
}

/// Creates the database `name` unless it exists.
pub async fn ensure_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    if !database_exists(admin_url, name).await? {
        execute(admin_url, &format!("CREATE DATABASE \"{name}\"")).await?;
    }
    Ok(())
}

/// The server all tests of this process use, with its migrated template.
struct Shared {
    /// A URL of the server (any database); test databases are this with another name.
    server_url: String,
    /// Kept alive for the life of the process; the child dies with us.
    _cluster: Option<PgCluster>,
}

fn shared() -> &'static Result<Shared, String> {
    static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Its own thread and runtime: callers may be on any runtime, of any flavour.
        std::thread::spawn(|| init_shared().map_err(|e| format!("{e:#}")))
            .join()
            .unwrap_or_else(|_| Err("starting PostgreSQL panicked".into()))
    })
}

fn init_shared() -> anyhow::Result<Shared> {
    let (server_url, cluster) = match std::env::var("DATABASE_URL").ok().filter(|u| !u.trim().is_empty()) {
        Some(url) => (url, None),
        None => {
            let cluster = PgCluster::throwaway()?;
            (cluster.url("postgres"), Some(cluster))
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(prepare_template(&server_url))?;
    Ok(Shared { server_url, _cluster: cluster })
}

/// Creates and migrates the template. A shared server may serve several test processes at
/// once: an advisory lock makes them take turns.
async fn prepare_template(server_url: &str) -> anyhow::Result<()> {
    let admin_url = with_database(server_url, "postgres");
    let admin = connect(&admin_url).await?;
    admin.batch_execute("SELECT pg_advisory_lock(727274)").await?;
    ensure_database(&admin_url, TEMPLATE).await?;
    let migrated = confab_backend::db::run_migrations(&with_database(server_url, TEMPLATE))
        .await
        .context("migrating the template database");
    admin.batch_execute("SELECT pg_advisory_unlock(727274)").await?;
    migrated
}

/// A new, migrated, empty database for one test: a copy of the template (fast).
pub async fn fresh_database() -> String {
    let shared = match tokio::task::spawn_blocking(shared).await {
        Ok(Ok(shared)) => shared,
        Ok(Err(e)) => panic!("no PostgreSQL for the tests: {e}"),
        Err(e) => panic!("starting PostgreSQL failed: {e}"),
    };
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin_url = with_database(&shared.server_url, "postgres");
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE {TEMPLATE}");
    // Copying fails while another session is connected to the template (a migration run of
    // another process): retry for a while.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match execute(&admin_url, &sql).await {
            Ok(()) => break,
            Err(e)
                if tokio::time::Instant::now() < deadline && format!("{e:#}").contains("being accessed") =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("creating the test database {name}: {e:#}"),
        }
    }
    with_database(&shared.server_url, &name)
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_swapped_keeping_credentials_and_params() {
        assert_eq!(with_database("postgres://u:p@h:5432/app", "x"), "postgres://u:p@h:5432/x");
        assert_eq!(
            with_database("postgres://u@h/app?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }
}
