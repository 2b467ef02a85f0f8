//! Test support for confab: throwaway PostgreSQL and Redis servers, the real application
//! spawned in-process, and typed HTTP and WebSocket clients that fail the test with a clear
//! message. Panicking is how this crate reports failure, hence the allow below.
//!
//! Environment: `DATABASE_URL` / `REDIS_URL` use those servers instead of starting our own
//! (a template database `confab_template` and one `test_<uuid>` database per test are
//! created there); `PG_BIN` (default `/usr/lib/postgresql/15/bin`) and `REDIS_SERVER`
//! (default `redis-server` on the PATH) locate the binaries; `MOTO_SERVER` (default
//! `.tools/moto/bin/moto_server`, else the PATH) or `S3_TEST_ENDPOINT` give the attachment
//! tests their S3-compatible server; `NODE` (default `node`) runs the sign-in tests'
//! OpenID provider; `TEST_LOG=debug` shows the application's logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod oidc;
pub mod postgres;
pub mod process;
pub mod redis;
pub mod s3;
pub mod ws;

pub use app::{PASSWORD, TestApp, TestUser, assert_error, expect_ok, spawn_app, spawn_app_with};
pub use ws::WsClient;

/// Logs of the application under test, when `TEST_LOG` is set (e.g. `TEST_LOG=debug`);
/// silent otherwise.
pub fn init_test_tracing() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let filter = if filter.trim().is_empty() || filter == "1" { "info".to_owned() } else { filter };
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}
