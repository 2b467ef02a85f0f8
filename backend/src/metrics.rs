//! Prometheus metrics, served on their own listener (`METRICS_ADDR`, default
//! `127.0.0.1:9464`) so they never share a port with the public API. Each function below
//! names one measurement; call sites stay one line.

use std::net::SocketAddr;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::PrometheusBuilder;

/// Starts the exporter. A second application in the same process (tests) or a port in
/// use only costs the metrics, with a warning.
pub fn install(addr: SocketAddr) {
    match PrometheusBuilder::new().with_http_listener(addr).install() {
        Ok(()) => tracing::info!(%addr, "metrics on http://{addr}/metrics"),
        Err(e) => tracing::warn!(error = %e, %addr, "metrics exporter not started"),
    }
}

pub fn sockets_open(delta: f64) {
    gauge!("confab_sockets_open").increment(delta);
}

pub fn events_published(kind: &'static str) {
    counter!("confab_events_published_total", "audience" => kind).increment(1);
}

pub fn events_delivered(sockets: usize) {
    counter!("confab_events_delivered_total").increment(sockets as u64);
}

/// `how`: `held` (waited for a predecessor) or `late` (its predecessor was given up on).
pub fn events_reordered(how: &'static str) {
    counter!("confab_events_reordered_total", "how" => how).increment(1);
}

pub fn order_gaps(gaps: usize) {
    counter!("confab_order_gaps_given_up_total").increment(gaps as u64);
}

pub fn commit_batch(size: usize, took: Duration) {
    histogram!("confab_commit_batch_size").record(size as f64);
    histogram!("confab_commit_seconds").record(took.as_secs_f64());
}

pub fn pool_wait(took: Duration) {
    histogram!("confab_db_pool_wait_seconds").record(took.as_secs_f64());
}

pub fn bus_published(envelopes: usize, took: Duration) {
    counter!("confab_bus_published_total").increment(envelopes as u64);
    histogram!("confab_bus_publish_seconds").record(took.as_secs_f64());
}

pub fn bus_dropped() {
    bus_dropped_many(1);
}

pub fn bus_dropped_many(envelopes: usize) {
    counter!("confab_bus_dropped_total").increment(envelopes as u64);
}

pub fn bus_reconnected() {
    counter!("confab_bus_reconnects_total").increment(1);
}

/// A socket this node closed: `too_slow` (its queue overflowed) or `session_ended`.
pub fn kick(why: &'static str) {
    counter!("confab_kicks_total", "why" => why).increment(1);
}

/// 1 while the Redis circuit breaker skips Redis, 0 while calls go through.
pub fn redis_circuit(open: bool) {
    gauge!("confab_redis_circuit_open").set(if open { 1.0 } else { 0.0 });
}

/// A request or event refused by a rate limit, by limit.
pub fn rate_limited(limit: &'static str) {
    counter!("confab_rate_limited_total", "limit" => limit).increment(1);
}

/// A socket whose TCP connection this node aborted: `too slow`, `timed out`, `stuck`.
pub fn socket_aborted(why: &'static str) {
    counter!("confab_sockets_aborted_total", "why" => why).increment(1);
}
