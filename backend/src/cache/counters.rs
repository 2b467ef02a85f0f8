//! Fixed-window counters in Redis, for the rate limits that must hold across nodes
//! (`crate::ratelimit`). A window is one key: the first hit creates it with the window's
//! length as its TTL, later hits only count.

use std::time::Duration;

use deadpool_redis::redis;

use super::Cache;

/// A window's count and the time left until it resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub count: u64,
    pub resets_in: Duration,
}

impl Cache {
    /// Counts one hit in the window `key` of length `period`; `None` when Redis is
    /// unavailable (the caller falls back to a count of its own).
    pub async fn window_hit(&self, key: &str, period: Duration) -> Option<Window> {
        let ms = i64::try_from(period.as_millis()).unwrap_or(i64::MAX);
        let (count, ttl): (u64, i64) = self
            .run(async |conn| {
                redis::pipe()
                    .incr(key, 1)
                    .cmd("PEXPIRE")
                    .arg(key)
                    .arg(ms)
                    .arg("NX")
                    .ignore()
                    .pttl(key)
                    .query_async(conn)
                    .await
            })
            .await?;
        Some(Window { count, resets_in: resets_in(ttl, period) })
    }

    /// The window `key` as it stands, without counting; `None` when Redis is unavailable.
    pub async fn window_peek(&self, key: &str, period: Duration) -> Option<Window> {
        let (count, ttl): (Option<u64>, i64) =
            self.run(async |conn| redis::pipe().get(key).pttl(key).query_async(conn).await).await?;
        Some(Window { count: count.unwrap_or(0), resets_in: resets_in(ttl, period) })
    }
}

/// PTTL answers -2 for a missing key and -1 for one without expiry (never left so by
/// `window_hit`, but be safe): both read as a fresh window.
fn resets_in(pttl_ms: i64, period: Duration) -> Duration {
    u64::try_from(pttl_ms).map_or(period, Duration::from_millis)
}
