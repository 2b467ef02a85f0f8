//! confab's server as a library: `main.rs` only reads the configuration and runs an
//! [`startup::Application`]; tests spawn the same application in-process on port 0.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod error;
pub mod frontend;
pub mod ingest;
pub mod markdown;
pub mod metrics;
pub mod ratelimit;
pub mod realtime;
pub mod routes;
pub mod security_headers;
pub mod services;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod thumbnails;

pub use config::Settings;
pub use startup::Application;
