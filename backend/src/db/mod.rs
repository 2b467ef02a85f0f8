//! PostgreSQL access: the pool, the embedded migrations, and one module of query functions
//! per table. Nothing above this layer writes SQL.

pub mod attachments;
pub mod chats;
pub mod identities;
pub mod messages;
pub mod models;
pub mod oidc_attempts;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod users;

use anyhow::Context;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::{AsyncMigrationHarness, AsyncPgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Any fixed number works; it only has to be the same on every node ("confab" in ASCII, 0x636f6e666162).
const MIGRATION_LOCK: &str = "SELECT pg_advisory_lock(109330244723042)";

pub fn pool(database_url: &str, max_size: usize) -> anyhow::Result<DbPool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url);
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(std::time::Duration::from_secs(10)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("building the PostgreSQL pool")
}

/// Applies pending migrations. diesel-async's harness blocks inside, so it runs on a
/// blocking thread (it panics on a current-thread runtime otherwise). Nodes starting
/// together take turns: a session-level advisory lock, held until this connection closes.
pub async fn run_migrations(database_url: &str) -> anyhow::Result<()> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("starting the migration runtime")?;
        runtime.block_on(async {
            use diesel_async::AsyncConnection;
            let mut conn = AsyncPgConnection::establish(&url).await.context("connecting to PostgreSQL")?;
            diesel_async::RunQueryDsl::execute(diesel::sql_query(MIGRATION_LOCK), &mut conn)
                .await
                .context("waiting for another node's migrations")?;
            let mut harness = AsyncMigrationHarness::new(conn);
            harness
                .run_pending_migrations(MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
            Ok(())
        })
    })
    .await
    .context("migration task panicked")?
}

/// A pooled connection, with the wait recorded (pool waits are the first sign that
/// PostgreSQL, or the pool size, is the limit).
pub async fn timed_get(
    pool: &DbPool,
) -> Result<DbConn, diesel_async::pooled_connection::deadpool::PoolError> {
    let started = std::time::Instant::now();
    let conn = pool.get().await;
    crate::metrics::pool_wait(started.elapsed());
    conn
}
