//! Redis as a cache in front of PostgreSQL. Every operation is best-effort: with Redis
//! unset, down or slow, reads miss and writes are skipped, so the app keeps working from
//! Postgres alone (DESIGN: "with Redis gone a single node keeps working"). The first
//! failure after a success is logged as a warning, the recovery as info.

pub mod keys;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_redis::redis::{self, AsyncCommands};
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long any one Redis round trip may take before we give up and use Postgres.
const OP_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct Cache {
    pool: Option<Pool>,
    healthy: Arc<AtomicBool>,
}

/// What `GET /api/health` reports for Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Ok,
    Down,
    Disabled,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Ok => "ok",
            CacheStatus::Down => "down",
            CacheStatus::Disabled => "disabled",
        }
    }
}

impl Cache {
    /// A cache on `redis_url`, or a disabled one. Never fails: a bad URL is logged and
    /// disables the cache.
    pub fn new(redis_url: Option<&str>) -> Self {
        let pool = redis_url.and_then(|url| {
            let mut config = Config::from_url(url);
            config.pool = Some(PoolConfig {
                max_size: 32,
                timeouts: Timeouts {
                    wait: Some(OP_TIMEOUT),
                    create: Some(OP_TIMEOUT),
                    recycle: Some(OP_TIMEOUT),
                },
                ..PoolConfig::default()
            });
            match config.create_pool(Some(Runtime::Tokio1)) {
                Ok(pool) => Some(pool),
                Err(e) => {
                    tracing::warn!(error = %e, "invalid REDIS_URL; running without a cache");
                    None
                }
            }
        });
        if pool.is_none() {
            tracing::warn!(
                "no Redis configured: sessions and memberships are read from PostgreSQL every time"
            );
        }
        Self { pool, healthy: Arc::new(AtomicBool::new(true)) }
    }

    pub fn disabled() -> Self {
        Self { pool: None, healthy: Arc::new(AtomicBool::new(false)) }
    }

    pub async fn status(&self) -> CacheStatus {
        if self.pool.is_none() {
            return CacheStatus::Disabled;
        }
        let pong: Option<String> = self.run(async |conn| redis::cmd("PING").query_async(conn).await).await;
        if pong.is_some() { CacheStatus::Ok } else { CacheStatus::Down }
    }

    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let raw: Option<String> = self.run(async |conn| conn.get(key).await).await.flatten();
        raw.and_then(|raw| match serde_json::from_str(&raw) {
            Ok(value) => Some(value),
            Err(e) => {
                tracing::warn!(key, error = %e, "undecodable cache entry ignored");
                None
            }
        })
    }

    /// Stores `value` for `ttl` (rounded down to whole seconds; nothing under one second is
    /// cached).
    pub async fn set_json<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) {
        let secs = ttl.as_secs();
        if secs == 0 {
            return;
        }
        let Ok(raw) = serde_json::to_string(value) else { return };
        let _: Option<()> = self.run(async |conn| conn.set_ex(key, raw, secs).await).await;
    }

    pub async fn delete(&self, key: &str) {
        let _: Option<()> = self.run(async |conn| conn.del(key).await).await;
    }

    /// Runs one command with a connection from the pool, bounded by [`OP_TIMEOUT`].
    async fn run<T>(
        &self,
        op: impl AsyncFnOnce(&mut deadpool_redis::Connection) -> redis::RedisResult<T>,
    ) -> Option<T> {
        let pool = self.pool.as_ref()?;
        let attempt = async {
            let mut conn = pool.get().await.map_err(|e| e.to_string())?;
            op(&mut conn).await.map_err(|e| e.to_string())
        };
        let result = match tokio::time::timeout(OP_TIMEOUT, attempt).await {
            Ok(result) => result,
            Err(_) => Err("timed out".to_owned()),
        };
        match result {
            Ok(value) => {
                if !self.healthy.swap(true, Ordering::Relaxed) {
                    tracing::info!("Redis is back; cache enabled again");
                }
                Some(value)
            }
            Err(error) => {
                if self.healthy.swap(false, Ordering::Relaxed) {
                    tracing::warn!(%error, "Redis unavailable; serving from PostgreSQL");
                }
                None
            }
        }
    }
}
