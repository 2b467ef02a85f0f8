//! The `confab` binary's logs when stdout is a pipe (a file, a log collector): no colour
//! codes, and one JSON object per line with `LOG_FORMAT=json`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use confab_test_support::postgres::fresh_database;
use confab_test_support::process::spawn_bound;
use serde_json::Value;

/// Starts `confab` with stdout piped and returns what it logged up to and including the
/// line that says it is listening.
async fn startup_log(log_format: Option<&str>) -> Vec<String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confab"));
    command
        .env_clear()
        .env("DATABASE_URL", fresh_database().await)
        .env("UPLOAD_DIR", confab_test_support::app::fresh_upload_dir())
        .env("PORT", "0")
        .env("METRICS_ADDR", "")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(format) = log_format {
        command.env("LOG_FORMAT", format);
    }
    let mut child = spawn_bound(command).unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while !lines.last().is_some_and(|line: &String| line.contains("confab listening")) {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => lines.push(line),
            Err(e) => panic!("confab did not log that it is listening ({e}); it logged {lines:#?}"),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_to_a_pipe_have_no_colour_codes() {
    let lines = startup_log(None).await;

    for line in &lines {
        assert!(!line.contains('\u{1b}'), "an escape sequence in {line:?}");
    }
    let listening = lines.last().unwrap();
    assert!(listening.contains(" INFO ") && listening.contains("port="), "plain text: {listening:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn log_format_json_writes_one_json_object_per_line() {
    let lines = startup_log(Some("json")).await;

    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}")))
        .collect();
    let listening = parsed.last().unwrap();
    assert_eq!(listening["level"], "INFO", "{listening}");
    assert_eq!(listening["fields"]["message"], "confab listening", "{listening}");
    assert!(listening["fields"]["port"].as_u64().is_some_and(|port| port > 0), "{listening}");
}
