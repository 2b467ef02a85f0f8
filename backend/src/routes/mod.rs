//! HTTP routes. Handlers are thin: extract, call one service function, encode.

pub mod auth;
pub mod chats;
pub mod extract;
pub mod health;
pub mod messages;
pub mod openapi;
pub mod socket;
pub mod tcp;
pub mod users;
pub mod ws;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{Next, from_fn};
use actix_web::web;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Mounts `/api/...` and `/ws`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .wrap(from_fn(require_allowed_origin))
            .route("/health", web::get().to(health::health))
            .route("/limits", web::get().to(health::limits))
            .route("/openapi.json", web::get().to(openapi::spec))
            .route("/auth/register", web::post().to(auth::register))
            .route("/auth/login", web::post().to(auth::login))
            .route("/auth/logout", web::post().to(auth::logout))
            .route("/auth/me", web::get().to(auth::me))
            .route("/auth/sessions", web::get().to(auth::sessions))
            .route("/auth/sessions/revoke-others", web::post().to(auth::revoke_other_sessions))
            .route("/auth/sessions/{session_id}", web::delete().to(auth::revoke_session))
            .route("/auth/password", web::post().to(auth::change_password))
            .route("/users", web::get().to(users::search))
            .route("/chats", web::get().to(chats::list))
            .route("/chats", web::post().to(chats::create))
            .route("/chats/{chat_id}", web::get().to(chats::get))
            .route("/chats/{chat_id}", web::patch().to(chats::rename))
            .route("/chats/{chat_id}/close", web::post().to(chats::close))
            .route("/chats/{chat_id}/reopen", web::post().to(chats::reopen))
            .route("/chats/{chat_id}/members", web::post().to(chats::add_member))
            .route("/chats/{chat_id}/members/{user_id}", web::delete().to(chats::remove_member))
            .route("/chats/{chat_id}/owner", web::post().to(chats::transfer_ownership))
            .route("/chats/{chat_id}/read", web::post().to(chats::mark_read))
            .route("/chats/{chat_id}/messages", web::get().to(messages::history))
            .route("/chats/{chat_id}/messages", web::post().to(messages::send))
            .route("/chats/{chat_id}/messages/{message_id}", web::patch().to(messages::edit))
            .route("/chats/{chat_id}/messages/{message_id}", web::delete().to(messages::delete))
            .route("/chats/{chat_id}/messages/{message_id}/reactions", web::post().to(messages::react))
            .route("/chats/{chat_id}/changes", web::get().to(messages::changes))
            .default_service(web::to(not_found)),
    )
    .route("/ws", web::get().to(ws::upgrade));
}

/// Unknown API paths get the JSON error shape, not the SPA's `index.html`.
async fn not_found() -> AppResult<actix_web::HttpResponse> {
    Err(AppError::NotFound)
}

/// Middleware for `/api`: state-changing methods must come from an allowed origin
/// (`auth::origin`).
pub async fn require_allowed_origin(
    state: web::Data<AppState>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        state.origins.check(req.request())?;
    }
    next.call(req).await
}
