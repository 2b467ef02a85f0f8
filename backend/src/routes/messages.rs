//! `/api/chats/{id}/messages`: history by seq cursor, and sending.

use actix_web::{HttpResponse, web};
use confab_shared::api::{HistoryQuery, Message, MessagePage, SendMessageRequest};
use confab_shared::{ChatId, ErrorBody};

use crate::auth::Authenticated;
use crate::error::AppResult;
use crate::services;
use crate::startup::AppState;

#[utoipa::path(get, path = "/api/chats/{chat_id}/messages", tag = "messages",
    params(("chat_id" = ChatId, Path, description = "Chat id"), HistoryQuery),
    responses(
        (status = 200, description = "A page ascending by seq", body = MessagePage),
        (status = 400, description = "Bad cursor or limit", body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
    ))]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    query: web::Query<HistoryQuery>,
) -> AppResult<web::Json<MessagePage>> {
    Ok(web::Json(services::messages::history(&state, &auth, path.into_inner(), query.into_inner()).await?))
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/messages", tag = "messages",
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    request_body = SendMessageRequest,
    responses(
        (status = 201, description = "Stored and committed; members get `message_created`", body = Message),
        (status = 200, description = "A retry: the message stored earlier under this client_id", body = Message),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 403, description = "The chat is closed", body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        (status = 409, description = "client_id already used for a message in another chat", body = ErrorBody),
    ))]
pub async fn send(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    body: web::Json<SendMessageRequest>,
) -> AppResult<HttpResponse> {
    let SendMessageRequest { client_id, body } = body.into_inner();
    let sent = services::messages::send(&state, &auth, path.into_inner(), client_id, &body).await?;
    Ok(if sent.created { HttpResponse::Created() } else { HttpResponse::Ok() }.json(sent.message))
}
