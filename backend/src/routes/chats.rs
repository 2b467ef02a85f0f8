//! `/api/chats`: list, create, get, rename, close, membership, read positions, mute.

use actix_web::{HttpResponse, web};
use confab_shared::api::{Chat, CreateChatRequest, MarkReadRequest, MuteRequest, RenameChatRequest, UserRef};
use confab_shared::{ChatId, ErrorBody, UserId};

use super::openapi::{JsonBody, SameSite, SignedIn};
use crate::auth::Authenticated;
use crate::error::AppResult;
use crate::services;
use crate::state::AppState;

/// The 403 of the owner's calls.
const NOT_THE_OWNER: &str =
    "Not the group's owner, a direct chat (it has no owner), or sent from a page of another site";

#[utoipa::path(get, path = "/api/chats", tag = "chats", security(("session" = [])),
    responses(
        (status = 200, description = "My chats, newest activity first", body = [Chat]),
        SignedIn,
    ))]
pub async fn list(state: web::Data<AppState>, auth: Authenticated) -> AppResult<web::Json<Vec<Chat>>> {
    Ok(web::Json(services::chats::list(&state, &auth).await?))
}

#[utoipa::path(post, path = "/api/chats", tag = "chats", request_body = CreateChatRequest, security(("session" = [])),
    responses(
        (status = 201, description = "Chat created; members get `chat_created`", body = Chat),
        (status = 200, description = "The direct chat with that user already exists", body = Chat),
        (status = 403, description = "A direct chat with yourself, or sent from a page of another site", body = ErrorBody),
        (status = 409, description = "No such user (or one is disabled)", body = ErrorBody),
        JsonBody, SignedIn,
    ))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: web::Json<CreateChatRequest>,
) -> AppResult<HttpResponse> {
    let (chat, created) = services::chats::create(&state, &auth, body.into_inner()).await?;
    Ok(if created { HttpResponse::Created().json(chat) } else { HttpResponse::Ok().json(chat) })
}

#[utoipa::path(get, path = "/api/chats/{chat_id}", tag = "chats", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 200, description = "The chat with members and roles", body = Chat),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        SignedIn,
    ))]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
) -> AppResult<web::Json<Chat>> {
    Ok(web::Json(services::chats::get(&state, &auth, path.into_inner()).await?))
}

#[utoipa::path(patch, path = "/api/chats/{chat_id}", tag = "chats", request_body = RenameChatRequest, security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 200, description = "Renamed; members get `chat_updated`", body = Chat),
        (status = 403, description = NOT_THE_OWNER, body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        JsonBody, SignedIn,
    ))]
pub async fn rename(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    body: web::Json<RenameChatRequest>,
) -> AppResult<web::Json<Chat>> {
    Ok(web::Json(services::chats::rename(&state, &auth, path.into_inner(), &body.title).await?))
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/close", tag = "chats", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 200, description = "Closed: read-only until reopened; members get `chat_updated`", body = Chat),
        (status = 403, description = NOT_THE_OWNER, body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        SignedIn,
    ))]
pub async fn close(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
) -> AppResult<web::Json<Chat>> {
    Ok(web::Json(services::chats::set_closed(&state, &auth, path.into_inner(), true).await?))
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/reopen", tag = "chats", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 200, description = "Reopened; members get `chat_updated`", body = Chat),
        (status = 403, description = NOT_THE_OWNER, body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        SignedIn,
    ))]
pub async fn reopen(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
) -> AppResult<web::Json<Chat>> {
    Ok(web::Json(services::chats::set_closed(&state, &auth, path.into_inner(), false).await?))
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/members", tag = "members", request_body = UserRef, security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 201, description = "Added; they get `chat_created`, the others `member_added`", body = Chat),
        (status = 403, description = NOT_THE_OWNER, body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        (status = 409, description = "Already a member, no such user, or the group is full", body = ErrorBody),
        JsonBody, SignedIn,
    ))]
pub async fn add_member(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    body: web::Json<UserRef>,
) -> AppResult<HttpResponse> {
    let chat = services::members::add(&state, &auth, path.into_inner(), body.user_id).await?;
    Ok(HttpResponse::Created().json(chat))
}

#[utoipa::path(delete, path = "/api/chats/{chat_id}/members/{user_id}", tag = "members", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id"), ("user_id" = UserId, Path, description = "Member to remove; your own id to leave")),
    responses(
        (status = 204, description = "Removed; every member (and they) get `member_removed`"),
        (status = 403, description = "Removing someone without owning the group, leaving a direct chat, or sent from a page of another site", body = ErrorBody),
        (status = 404, description = "No such chat or member", body = ErrorBody),
        (status = 409, description = "The owner must hand ownership on before leaving", body = ErrorBody),
        SignedIn,
    ))]
pub async fn remove_member(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(ChatId, UserId)>,
) -> AppResult<HttpResponse> {
    let (chat_id, user_id) = path.into_inner();
    services::members::remove(&state, &auth, chat_id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/owner", tag = "members", request_body = UserRef, security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 200, description = "Ownership transferred; members get `chat_updated`", body = Chat),
        (status = 403, description = NOT_THE_OWNER, body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        (status = 409, description = "They are not a member", body = ErrorBody),
        JsonBody, SignedIn,
    ))]
pub async fn transfer_ownership(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    body: web::Json<UserRef>,
) -> AppResult<web::Json<Chat>> {
    Ok(web::Json(
        services::members::transfer_ownership(&state, &auth, path.into_inner(), body.user_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/read", tag = "chats", request_body = MarkReadRequest, security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 200, description = "My read position now; members get `read` if it moved", body = MarkReadRequest),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        JsonBody, SameSite, SignedIn,
    ))]
pub async fn mark_read(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    body: web::Json<MarkReadRequest>,
) -> AppResult<web::Json<MarkReadRequest>> {
    let seq = services::receipts::mark_read(&state, &auth, path.into_inner(), body.seq).await?;
    Ok(web::Json(MarkReadRequest { seq }))
}

#[utoipa::path(put, path = "/api/chats/{chat_id}/mute", tag = "chats", request_body = MuteRequest, security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    responses(
        (status = 200, description = "The chat as I see it now (`muted`); my other devices get `mute_changed`", body = Chat),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        JsonBody, SameSite, SignedIn,
    ))]
pub async fn mute(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    body: web::Json<MuteRequest>,
) -> AppResult<web::Json<Chat>> {
    Ok(web::Json(services::chats::set_muted(&state, &auth, path.into_inner(), body.muted).await?))
}
