//! `confab-stack`: PostgreSQL, Redis and the backend serving the built SPA, in one command,
//! for `just dev` and the Playwright tests. Ctrl-C or SIGTERM stops the backend, then shuts
//! PostgreSQL (fast shutdown) and Redis down cleanly.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use confab_backend::{Application, Settings};
use confab_test_support::postgres::{PgCluster, ensure_database};
use confab_test_support::redis::RedisServer;
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str = "\
usage: confab-stack [--port PORT] [--dist DIR] [--data-dir DIR] [--nodes N]

Starts PostgreSQL, Redis and the confab backend on http://127.0.0.1:PORT.

  --port PORT      port of the backend (default 8091)
  --nodes N        run N backend processes (the `confab` binary next to this one) on
                   PORT, PORT+1, ..., sharing the databases, each killable on its own;
                   their metrics on 127.0.0.1:9464+i (default: one node, in-process)
  --dist DIR       the built SPA to serve (trunk's dist/)
  --data-dir DIR   keep PostgreSQL's data under DIR/postgres (initdb on first use,
                   database `confab`); without it everything is thrown away on exit

DATABASE_URL / REDIS_URL, when set, name servers to use instead of starting them;
RATE_*, UPLOAD_DIR / S3_* and OIDC_* are read as by confab itself.
Logs: RUST_LOG (default info).";

#[derive(Debug)]
struct Args {
    port: u16,
    nodes: Option<u16>,
    dist: Option<PathBuf>,
    data_dir: Option<PathBuf>,
}

fn parse_args(mut raw: impl Iterator<Item = String>) -> anyhow::Result<Option<Args>> {
    let mut args = Args { port: 8091, nodes: None, dist: None, data_dir: None };
    while let Some(arg) = raw.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value =
            || inline.clone().or_else(|| raw.next()).with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => args.port = value()?.parse().context("--port must be a port number")?,
            "--dist" => args.dist = Some(value()?.into()),
            "--nodes" => args.nodes = Some(value()?.parse().context("--nodes must be a number")?),
            "--data-dir" => args.data_dir = Some(value()?.into()),
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    // Logs go to stderr: stdout carries only the ready line that scripts wait for.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "confab-stack: {e:#}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut servers = Servers { postgres: None, redis: None };
    let result = runtime.block_on(run(args, &mut servers));
    servers.stop();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("confab-stack failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The servers we started, stopped in `main` however `run` ends.
struct Servers {
    postgres: Option<PgCluster>,
    redis: Option<RedisServer>,
}

impl Servers {
    fn stop(&mut self) {
        if let Some(mut redis) = self.redis.take() {
            match redis.stop() {
                Ok(()) => tracing::info!("redis stopped"),
                Err(e) => tracing::warn!("stopping redis: {e:#}"),
            }
        }
        if let Some(mut postgres) = self.postgres.take() {
            match postgres.stop() {
                Ok(()) => tracing::info!("postgres stopped"),
                Err(e) => tracing::warn!("stopping postgres: {e:#}"),
            }
        }
    }
}

fn env_url(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

async fn run(args: Args, servers: &mut Servers) -> anyhow::Result<()> {
    let mut sigterm = signal(SignalKind::terminate()).context("listening for SIGTERM")?;

    let database_url = match env_url("DATABASE_URL") {
        Some(url) => {
            tracing::info!("using the PostgreSQL of DATABASE_URL");
            url
        }
        None => {
            let data_dir = args.data_dir.clone();
            let cluster = tokio::task::spawn_blocking(move || match data_dir {
                Some(dir) => PgCluster::start(&dir.join("postgres").join("data"), true),
                None => PgCluster::throwaway(),
            })
            .await
            .context("starting postgres")??;
            tracing::info!(port = cluster.port(), log = %cluster.log_file().display(), "postgres is up");
            let admin_url = cluster.url("postgres");
            let url = cluster.url("confab");
            servers.postgres = Some(cluster);
            ensure_database(&admin_url, "confab").await?;
            url
        }
    };

    let redis_url = match env_url("REDIS_URL") {
        Some(url) => url,
        None => {
            let dir = args.data_dir.as_ref().map(|d| d.join("redis"));
            let server = tokio::task::spawn_blocking(move || match dir {
                Some(dir) => RedisServer::start(&dir),
                None => RedisServer::throwaway(),
            })
            .await
            .context("starting redis")??;
            tracing::info!(port = server.port(), "redis is up");
            let url = server.url();
            servers.redis = Some(server);
            url
        }
    };

    let mut settings = Settings::new(database_url);
    settings.host = "127.0.0.1".into();
    settings.port = args.port;
    settings.redis_url = Some(redis_url);
    // RATE_*, GROUP_MEMBERS_MAX, ... as for `confab` itself (the browser tests relax some).
    settings.limits = confab_backend::config::Limits::from_env()?;
    // UPLOAD_DIR (default .data/uploads) or the S3_* variables, as for `confab` itself.
    settings.storage = confab_backend::config::StorageSettings::from_env()?;
    // OIDC_PROVIDERS and OIDC_<ID>_* (`just oidc-demo`, the browser tests' provider).
    settings.oidc_providers = confab_backend::config::OidcProviderSettings::from_env()?;
    if let Some(dist) = &args.dist {
        if !dist.join("index.html").is_file() {
            tracing::warn!("{} has no index.html: build the frontend first (trunk build)", dist.display());
        }
        settings.dist_dir = Some(dist.clone());
    }

    if let Some(nodes) = args.nodes {
        return run_nodes(&settings, nodes, &mut sigterm).await;
    }
    let application = Application::build(settings).await.context("starting the backend")?;
    let port = application.port();
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "confab-stack ready on http://127.0.0.1:{port}")?;
        stdout.flush()?;
    }
    let mut server = tokio::spawn(application.run_until_stopped());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted: shutting down"),
        _ = sigterm.recv() => tracing::info!("terminated: shutting down"),
        stopped = &mut server => match stopped {
            Ok(Ok(())) => tracing::info!("the backend stopped"),
            Ok(Err(e)) => bail!("the backend failed: {e}"),
            Err(e) => bail!("the backend panicked: {e}"),
        },
    }
    server.abort();
    let _ = server.await;
    Ok(())
}

/// `--nodes N`: N `confab` processes on one PostgreSQL and one Redis (`just dev-cluster`).
async fn run_nodes(
    settings: &Settings,
    nodes: u16,
    sigterm: &mut tokio::signal::unix::Signal,
) -> anyhow::Result<()> {
    let binary = std::env::current_exe()?.with_file_name("confab");
    if !binary.is_file() {
        bail!("{} is missing: cargo build -p confab-backend --bin confab", binary.display());
    }
    let mut children = Vec::new();
    for i in 0..nodes {
        let port = settings.port + i;
        let mut command = std::process::Command::new(&binary);
        command
            .env("DATABASE_URL", &settings.database_url)
            .env("REDIS_URL", settings.redis_url.as_deref().unwrap_or_default())
            .env("HOST", &settings.host)
            .env("PORT", port.to_string())
            .env("NODE_ID", format!("node{}", i + 1))
            .env("METRICS_ADDR", format!("127.0.0.1:{}", 9464 + i));
        if let Some(dist) = &settings.dist_dir {
            command.env("DIST_DIR", dist);
        }
        let child = confab_test_support::process::spawn_bound(command)?;
        tracing::info!(pid = child.id(), port, "node{} started", i + 1);
        children.push((port, child));
    }
    let http = reqwest::Client::new();
    for (port, _) in &children {
        let url = format!("http://127.0.0.1:{port}/api/health");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
            if std::time::Instant::now() > deadline {
                bail!("the node on port {port} did not come up");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    {
        let mut stdout = std::io::stdout().lock();
        for (port, child) in &children {
            writeln!(stdout, "confab-stack node ready on http://127.0.0.1:{port} (pid {})", child.id())?;
        }
        stdout.flush()?;
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted: shutting down"),
        _ = sigterm.recv() => tracing::info!("terminated: shutting down"),
    }
    for (_, mut child) in children {
        let _ =
            confab_test_support::process::stop(&mut child, libc::SIGTERM, std::time::Duration::from_secs(10));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::parse_args;

    fn parse(args: &[&str]) -> anyhow::Result<Option<super::Args>> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_parse_in_both_spellings() {
        let args = parse(&["--port", "9000", "--dist=../dist", "--data-dir", ".data"]).unwrap().unwrap();
        assert_eq!(args.port, 9000);
        assert_eq!(args.dist.unwrap().to_str(), Some("../dist"));
        assert_eq!(args.data_dir.unwrap().to_str(), Some(".data"));
        assert_eq!(parse(&[]).unwrap().unwrap().port, 8091);
        assert_eq!(parse(&["--nodes", "2"]).unwrap().unwrap().nodes, Some(2));
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
