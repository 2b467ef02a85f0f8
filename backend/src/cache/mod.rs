//! Redis as a cache in front of PostgreSQL. Every operation is best-effort: with Redis
//! unset, down or slow, reads miss and writes are skipped, so the app keeps working from
//! Postgres alone (DESIGN: "with Redis gone a single node keeps working").
//!
//! Nothing here grants access: sessions and memberships are always read from PostgreSQL.
//! What is cached are *views* (chat lists, newest pages), and a view must never be served
//! stale because an invalidation was lost. So an invalidation that fails or is skipped is
//! remembered ("pending"), and this node reads no cached view until the pending ones have
//! reached Redis. A [`breaker::Breaker`] keeps a sick Redis from slowing requests down.

mod breaker;
mod counters;
pub mod keys;
mod presence;

pub use counters::Window;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_redis::redis::{self, AsyncCommands};
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long any one Redis round trip may take before we give up and use Postgres.
const OP_TIMEOUT: Duration = Duration::from_millis(500);

/// Versions outlive every value stored under them (values live minutes), so a version
/// that expires and restarts from 0 cannot meet a value of its earlier life.
const VERSION_TTL_SECS: i64 = 24 * 60 * 60;

#[derive(Clone)]
pub struct Cache {
    pool: Option<Pool>,
    breaker: Arc<breaker::Breaker>,
    /// Families whose invalidation has not reached Redis yet (see the module docs).
    pending: Arc<Mutex<HashSet<String>>>,
    stats: Arc<Stats>,
}

/// A versioned read: the value if cached, and the version to store a fresh one under
/// (`None` when Redis is unavailable: then nothing is stored).
pub struct Versioned<T> {
    pub value: Option<T>,
    pub version: Option<i64>,
}

#[derive(Default)]
struct Stats {
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
}

impl Stats {
    fn record(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }
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
        Self { pool, breaker: Arc::default(), pending: Arc::default(), stats: Arc::default() }
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

    /// Read-through caching without the stale-write race: a *family* (one user's chat
    /// list, one chat's newest page) has a version number that every write bumps
    /// ([`Cache::invalidate`]). A reader takes the version first, and on a miss stores what
    /// it read from PostgreSQL under that version; if a write bumped it meanwhile, the
    /// possibly stale value lands under a version nobody reads again.
    pub async fn get_versioned<T: DeserializeOwned>(&self, family: &str) -> Versioned<T> {
        if !self.deliver_pending().await {
            return Versioned { value: None, version: None };
        }
        let version_key = keys::version(family);
        let Some(version) = self.run(async |conn| conn.get::<_, Option<i64>>(&version_key).await).await
        else {
            return Versioned { value: None, version: None };
        };
        let version = version.unwrap_or(0);
        let value = self.get_json(&keys::versioned(family, version)).await;
        self.stats.record(value.is_some());
        Versioned { value, version: Some(version) }
    }

    /// Stores `value` for `family` at the `version` a [`Cache::get_versioned`] returned.
    pub async fn set_versioned<T: Serialize>(
        &self,
        family: &str,
        version: Option<i64>,
        value: &T,
        ttl: Duration,
    ) {
        if let Some(version) = version {
            self.set_json(&keys::versioned(family, version), value, ttl).await;
        }
    }

    /// Bumps the version of each family: their cached values are never read again. When
    /// Redis can't be reached the families are remembered and bumped with the next call
    /// that gets through; until then this node reads no cached view.
    pub async fn invalidate(&self, families: &[String]) {
        if families.is_empty() || self.pool.is_none() {
            return;
        }
        let mut all = self.take_pending();
        all.extend(families.iter().cloned());
        self.bump(all).await;
    }

    /// Delivers the invalidations that failed earlier; `true` when none is left, so cached
    /// views may be read again.
    async fn deliver_pending(&self) -> bool {
        let pending = self.take_pending();
        if pending.is_empty() {
            return true;
        }
        self.bump(pending).await
    }

    /// One pipeline of INCRs; on failure the families go back to `pending`.
    async fn bump(&self, families: HashSet<String>) -> bool {
        let done: Option<()> = self
            .run(async |conn| {
                let mut pipe = redis::pipe();
                for family in &families {
                    let key = keys::version(family);
                    pipe.incr(&key, 1).ignore().expire(&key, VERSION_TTL_SECS).ignore();
                }
                pipe.query_async(conn).await
            })
            .await;
        if done.is_none() {
            self.lock_pending().extend(families);
        }
        done.is_some()
    }

    fn take_pending(&self) -> HashSet<String> {
        std::mem::take(&mut *self.lock_pending())
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A set of strings: a panic elsewhere cannot leave it half-written.
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current version of each family (0 if never bumped), or `None` without Redis.
    pub async fn versions(&self, families: &[String]) -> Option<Vec<i64>> {
        if families.is_empty() {
            return Some(Vec::new());
        }
        if !self.deliver_pending().await {
            return None;
        }
        let keys: Vec<String> = families.iter().map(|f| keys::version(f)).collect();
        let versions: Vec<Option<i64>> = self.run(async |conn| conn.mget(&keys).await).await?;
        Some(versions.into_iter().map(|v| v.unwrap_or(0)).collect())
    }

    /// Hits and misses of versioned reads since start.
    pub fn stats(&self) -> (u64, u64) {
        (self.stats.hits.load(Ordering::Relaxed), self.stats.misses.load(Ordering::Relaxed))
    }

    /// Runs one command with a connection from the pool, bounded by [`OP_TIMEOUT`], unless
    /// the circuit breaker says Redis is sick (then `None` at once).
    async fn run<T>(
        &self,
        op: impl AsyncFnOnce(&mut deadpool_redis::Connection) -> redis::RedisResult<T>,
    ) -> Option<T> {
        let pool = self.pool.as_ref()?;
        if !self.breaker.allow() {
            return None;
        }
        let attempt = async {
            let mut conn = pool.get().await.map_err(|e| e.to_string())?;
            op(&mut conn).await.map_err(|e| e.to_string())
        };
        let result = match tokio::time::timeout(OP_TIMEOUT, attempt).await {
            Ok(result) => result,
            Err(_) => Err("timed out".to_owned()),
        };
        match self.breaker.finish(result.is_ok()) {
            breaker::Transition::Opened => {
                let error = result.as_ref().err().map(String::as_str).unwrap_or_default();
                tracing::warn!(%error, "Redis unavailable; skipping it and serving from PostgreSQL");
                crate::metrics::redis_circuit(true);
            }
            breaker::Transition::Closed => {
                tracing::info!("Redis is back; cache enabled again");
                crate::metrics::redis_circuit(false);
            }
            breaker::Transition::None => {}
        }
        result.ok()
    }
}
