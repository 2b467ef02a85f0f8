//! Structured logs through `tracing`, on stdout. `RUST_LOG` overrides the default filter;
//! `LOG_FORMAT=json` writes one JSON object per line for log collectors. Colour codes are
//! written only when stdout is a terminal, so files and collectors get plain text.

use std::io::IsTerminal;

use anyhow::bail;
use tracing_subscriber::EnvFilter;

/// How log lines look (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (`text`, the default).
    Text,
    /// One JSON object per line (`json`).
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT`: `text` (or unset) or `json`.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("LOG_FORMAT").unwrap_or_default().trim() {
            "" | "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => bail!("LOG_FORMAT={other:?} is invalid: use text or json"),
        }
    }
}

/// Installs the global subscriber once; later calls (several tests in one process) are no-ops.
pub fn init(default_filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(std::io::stdout().is_terminal()).try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
