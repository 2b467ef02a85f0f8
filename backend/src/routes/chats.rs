//! `/api/chats`: list, create, get.

use actix_web::{HttpResponse, web};
use confab_shared::api::{Chat, CreateChatRequest};
use confab_shared::{ChatId, ErrorBody};

use crate::auth::Authenticated;
use crate::error::AppResult;
use crate::services;
use crate::startup::AppState;

#[utoipa::path(get, path = "/api/chats", tag = "chats",
    responses(
        (status = 200, description = "My chats, newest activity first", body = [Chat]),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn list(state: web::Data<AppState>, auth: Authenticated) -> AppResult<web::Json<Vec<Chat>>> {
    Ok(web::Json(services::chats::list(&state, &auth).await?))
}

#[utoipa::path(post, path = "/api/chats", tag = "chats", request_body = CreateChatRequest,
    responses(
        (status = 201, description = "Chat created; members get `chat_created`", body = Chat),
        (status = 200, description = "The direct chat with that user already exists", body = Chat),
        (status = 400, description = "Invalid title or unknown user", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: web::Json<CreateChatRequest>,
) -> AppResult<HttpResponse> {
    let (chat, created) = services::chats::create(&state, &auth, body.into_inner()).await?;
    Ok(if created { HttpResponse::Created().json(chat) } else { HttpResponse::Ok().json(chat) })
}

#[utoipa::path(get, path = "/api/chats/{chat_id}", tag = "chats",
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 200, description = "The chat with members and roles", body = Chat),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
) -> AppResult<web::Json<Chat>> {
    Ok(web::Json(services::chats::get(&state, &auth, path.into_inner()).await?))
}
