//! `/api/chats/{id}/messages` and `/changes`: history by seq cursor, sending, editing,
//! deleting, reacting, and catching up on changes.

use actix_web::{HttpResponse, web};
use confab_shared::api::{
    ChangesPage, ChangesQuery, EditMessageRequest, HistoryQuery, Message, MessagePage, Reaction,
    ReactionRequest, SendMessageRequest,
};
use confab_shared::{ChatId, ErrorBody, MessageId};

use super::openapi::{JsonBody, SignedIn};
use crate::auth::Authenticated;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/chats/{chat_id}/messages", tag = "messages", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id"), HistoryQuery),
    responses(
        (status = 200, description = "A page ascending by seq", body = MessagePage),
        (status = 400, description = "More than one of `before`, `after` and `around`, or a parameter out of its range", body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        SignedIn,
    ))]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    query: web::Query<HistoryQuery>,
) -> AppResult<web::Json<MessagePage>> {
    Ok(web::Json(services::messages::history(&state, &auth, path.into_inner(), query.into_inner()).await?))
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/messages", tag = "messages", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    request_body = SendMessageRequest,
    responses(
        (status = 201, description = "Stored and committed; members get `message_created`", body = Message),
        (status = 200, description = "A retry: the message stored earlier under this client_id", body = Message),
        (status = 403, description = "The chat is closed, `reply_to` names a system message, or sent from a page of another site", body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        (status = 409, description = "client_id already used for a message in another chat, an attachment that is not my completed, unattached upload to this chat, or `reply_to` not a message of this chat that is not deleted (nothing stored)", body = ErrorBody),
        (status = 429, description = "Too many sends by this user, on every tab and node together (`RATE_MESSAGES_PER_USER`); nothing stored", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it is allowed again"))),
        JsonBody, SignedIn,
    ))]
pub async fn send(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    body: web::Json<SendMessageRequest>,
) -> AppResult<HttpResponse> {
    let sent = services::messages::send(&state, &auth, path.into_inner(), body.into_inner()).await?;
    Ok(if sent.created { HttpResponse::Created() } else { HttpResponse::Ok() }.json(sent.message))
}

#[utoipa::path(get, path = "/api/chats/{chat_id}/changes", tag = "messages", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id"), ChangesQuery),
    responses(
        (status = 200, description = "Messages changed after `since`, in change order", body = ChangesPage),
        (status = 400, description = "`since` missing, or a parameter out of its range", body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        SignedIn,
    ))]
pub async fn changes(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    query: web::Query<ChangesQuery>,
) -> AppResult<web::Json<ChangesPage>> {
    Ok(web::Json(services::messages::changes(&state, &auth, path.into_inner(), query.into_inner()).await?))
}

#[utoipa::path(patch, path = "/api/chats/{chat_id}/messages/{message_id}", tag = "messages", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id"), ("message_id" = MessageId, Path, description = "Message id")),
    request_body = EditMessageRequest,
    responses(
        (status = 200, description = "Edited; members get `message_updated`", body = Message),
        (status = 403, description = "Not the sender, a system message, the chat is closed, or sent from a page of another site", body = ErrorBody),
        (status = 404, description = "No such chat or message, or not a member", body = ErrorBody),
        (status = 409, description = "The message was deleted", body = ErrorBody),
        JsonBody, SignedIn,
    ))]
pub async fn edit(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(ChatId, MessageId)>,
    body: web::Json<EditMessageRequest>,
) -> AppResult<web::Json<Message>> {
    let (chat_id, message_id) = path.into_inner();
    Ok(web::Json(services::messages::edit(&state, &auth, chat_id, message_id, &body.body).await?))
}

#[utoipa::path(delete, path = "/api/chats/{chat_id}/messages/{message_id}", tag = "messages", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id"), ("message_id" = MessageId, Path, description = "Message id")),
    responses(
        (status = 204, description = "Deleted (a tombstone stays); members get `message_deleted`"),
        (status = 403, description = "Neither the sender nor the group's owner, a system message, the chat is closed, or sent from a page of another site", body = ErrorBody),
        (status = 404, description = "No such chat or message, or not a member", body = ErrorBody),
        (status = 409, description = "Already deleted", body = ErrorBody),
        SignedIn,
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(ChatId, MessageId)>,
) -> AppResult<HttpResponse> {
    let (chat_id, message_id) = path.into_inner();
    services::messages::delete(&state, &auth, chat_id, message_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/messages/{message_id}/reactions", tag = "messages", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id"), ("message_id" = MessageId, Path, description = "Message id")),
    request_body = ReactionRequest,
    responses(
        (status = 200, description = "Toggled; the message's reactions now; members get `reactions_changed`", body = [Reaction]),
        (status = 403, description = "A system message, the chat is closed, or sent from a page of another site", body = ErrorBody),
        (status = 404, description = "No such chat or message, or not a member", body = ErrorBody),
        (status = 409, description = "The message was deleted, or already has the most different emoji allowed (20) and this is another", body = ErrorBody),
        JsonBody, SignedIn,
    ))]
pub async fn react(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(ChatId, MessageId)>,
    body: web::Json<ReactionRequest>,
) -> AppResult<web::Json<Vec<Reaction>>> {
    let (chat_id, message_id) = path.into_inner();
    Ok(web::Json(services::messages::react(&state, &auth, chat_id, message_id, &body.emoji).await?))
}
