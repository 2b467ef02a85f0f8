//! `/api/health`: is PostgreSQL reachable, is Redis? And `/api/limits`: the caps clients
//! must respect.

use actix_web::{HttpResponse, web};
use confab_shared::api::{Health, ServerLimits};
use confab_shared::limits::{ATTACHMENTS_PER_MESSAGE_MAX, MESSAGE_BODY_MAX};
use diesel_async::RunQueryDsl;

use crate::cache::CacheStatus;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/health", tag = "meta",
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

#[utoipa::path(get, path = "/api/limits", tag = "meta",
    responses(
        (status = 200, description = "The caps this server enforces; the UI reads them", body = ServerLimits),
    ))]
pub async fn limits(state: web::Data<AppState>) -> web::Json<ServerLimits> {
    let caps = &state.settings.limits;
    web::Json(ServerLimits {
        message_body_max: MESSAGE_BODY_MAX,
        group_members_max: caps.group_members_max,
        sockets_per_user_max: caps.sockets_per_user_max,
        upload_bytes_max: caps.upload_bytes_max,
        attachments_per_message_max: ATTACHMENTS_PER_MESSAGE_MAX,
    })
}
