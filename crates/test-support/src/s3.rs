//! A real S3-compatible server for the attachment tests: moto's, started once per test
//! process on a free port (`moto_server`, installed by `.ci/setup` into `.tools/moto`), or
//! the one `S3_TEST_ENDPOINT` names. Each test gets a bucket of its own.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context;
use confab_backend::config::S3Settings;

use crate::process::{free_port, scratch_dir, spawn_bound, stop, wait_until};

/// A `moto_server` run by this process on 127.0.0.1.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
}

impl MotoServer {
    /// Starts `moto_server` (`MOTO_SERVER` overrides the binary, else `.tools/moto/bin/`,
    /// else the PATH), its log in a scratch directory.
    pub fn throwaway() -> anyhow::Result<Self> {
        let dir = scratch_dir("moto")?;
        let log = dir.join("moto.log");
        let port = free_port()?;
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let mut cmd = Command::new(binary());
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let mut child = spawn_bound(cmd).context("starting moto_server (run .ci/setup)")?;
        let listening = || TcpStream::connect(("127.0.0.1", port)).is_ok();
        if let Err(e) = wait_until("moto_server", &mut child, &log, Duration::from_secs(60), listening) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(Self { child, port })
    }

    /// `http://127.0.0.1:<port>`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn stop(&mut self) -> anyhow::Result<()> {
        stop(&mut self.child, libc::SIGTERM, Duration::from_secs(10))
    }
}

fn binary() -> PathBuf {
    if let Some(binary) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(binary);
    }
    let tools = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/moto/bin/moto_server");
    if tools.is_file() { tools } else { PathBuf::from("moto_server") }
}

/// The endpoint for tests: `S3_TEST_ENDPOINT`, or a moto server started once per process.
pub async fn s3_endpoint() -> String {
    static SHARED: OnceLock<Result<(String, Option<MotoServer>), String>> = OnceLock::new();
    let shared = tokio::task::spawn_blocking(|| {
        SHARED.get_or_init(|| match std::env::var("S3_TEST_ENDPOINT").ok().filter(|u| !u.trim().is_empty()) {
            Some(url) => Ok((url, None)),
            None => MotoServer::throwaway()
                .map(|server| (server.endpoint(), Some(server)))
                .map_err(|e| format!("{e:#}")),
        })
    })
    .await;
    match shared {
        Ok(Ok((url, _))) => url.clone(),
        Ok(Err(e)) => panic!("no S3-compatible server for the tests: {e}"),
        Err(e) => panic!("starting moto failed: {e}"),
    }
}

/// Settings for a new, empty bucket on the test server (moto takes any credentials).
pub async fn fresh_bucket() -> S3Settings {
    let endpoint = s3_endpoint().await;
    let bucket = format!("confab-{}", uuid::Uuid::new_v4().simple());
    let created =
        reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.expect("creating a bucket");
    assert!(created.status().is_success(), "creating bucket {bucket}: {}", created.status());
    S3Settings {
        endpoint,
        bucket,
        region: "us-east-1".to_owned(),
        access_key_id: "confab-test".to_owned(),
        secret_access_key: "confab-test-secret".to_owned(),
    }
}

/// The keys in a test bucket, sorted (moto lists without a signature).
pub async fn object_keys(settings: &S3Settings) -> Vec<String> {
    let url = format!("{}/{}?list-type=2", settings.endpoint, settings.bucket);
    let listing = reqwest::get(&url).await.expect("listing a bucket").text().await.expect("a listing");
    let mut keys: Vec<String> = listing
        .split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
        .collect();
    keys.sort();
    keys
}
