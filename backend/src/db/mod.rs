//! PostgreSQL access: the pool, the embedded migrations, and one module of query functions
//! per table. Nothing above this layer writes SQL.

pub mod chats;
pub mod messages;
pub mod models;
pub mod schema;
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
/// blocking thread (it panics on a current-thread runtime otherwise).
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
            let conn = AsyncPgConnection::establish(&url).await.context("connecting to PostgreSQL")?;
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
