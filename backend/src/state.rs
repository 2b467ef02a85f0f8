//! What every request and socket shares: configuration, the pools, and the live parts.

use std::sync::Arc;

use crate::auth::oidc::Providers;
use crate::auth::origin::AllowedOrigins;
use crate::auth::password::PasswordHasher;
use crate::cache::Cache;
use crate::config::Settings;
use crate::db::DbPool;
use crate::ingest::Ingest;
use crate::ratelimit::RateLimits;
use crate::realtime::{Events, Presence, TypingThrottle};
use crate::storage::Stores;

pub struct AppState {
    pub settings: Settings,
    /// Origins allowed to open sockets and change state (`PUBLIC_URL`, `ALLOWED_ORIGINS`).
    pub origins: AllowedOrigins,
    pub db: DbPool,
    pub cache: Cache,
    /// The one door for live events: this node's sockets and, through Redis, the others.
    pub events: Arc<Events>,
    /// The group-commit writers every send goes through.
    pub ingest: Ingest,
    pub presence: Presence,
    pub typing: TypingThrottle,
    pub hasher: PasswordHasher,
    pub limits: RateLimits,
    /// Where attachments are kept.
    pub stores: Stores,
    /// Identity providers to sign in with (`OIDC_PROVIDERS`).
    pub oidc: Providers,
}

impl AppState {
    /// A PostgreSQL connection from the pool; the wait is recorded in the metrics.
    pub async fn conn(
        &self,
    ) -> Result<crate::db::DbConn, diesel_async::pooled_connection::deadpool::PoolError> {
        crate::db::timed_get(&self.db).await
    }
}
