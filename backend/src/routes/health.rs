//! `/api/health`: is PostgreSQL reachable, is Redis?

use actix_web::{HttpResponse, web};
use confab_shared::api::Health;
use diesel_async::RunQueryDsl;

use crate::cache::CacheStatus;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/health", tag = "health",
    responses(
        (status = 200, description = "PostgreSQL answers (Redis may be down: status `degraded`)", body = Health),
        (status = 503, description = "PostgreSQL does not answer", body = Health),
    ))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let postgres_ok = match state.conn().await {
        Ok(mut conn) => diesel::sql_query("SELECT 1").execute(&mut conn).await.is_ok(),
        Err(_) => false,
    };
    let redis = state.cache.status().await;
    let status = match (postgres_ok, redis) {
        (false, _) => "down",
        (true, CacheStatus::Down) => "degraded",
        (true, _) => "ok",
    };
    let body = Health {
        status: status.into(),
        postgres: if postgres_ok { "ok" } else { "down" }.into(),
        redis: redis.as_str().into(),
        cache_hits: state.cache.stats().0,
        cache_misses: state.cache.stats().1,
    };
    if postgres_ok { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}
