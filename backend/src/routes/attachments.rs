//! `/api/chats/{id}/attachments` (start and complete an upload) and
//! `/api/attachments/{id}` (download, by redirect to a short-lived signed URL).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use confab_shared::api::{Attachment, StartUploadRequest, UploadStarted};
use confab_shared::{AttachmentId, ChatId, ErrorBody};

use super::openapi::{SameSite, SignedIn};
use crate::auth::Authenticated;
use crate::error::AppResult;
use crate::services;
use crate::services::attachments::Variant;
use crate::state::AppState;

#[utoipa::path(post, path = "/api/chats/{chat_id}/attachments", tag = "attachments", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id")),
    request_body = StartUploadRequest,
    responses(
        (status = 201, description = "Pending; upload the bytes as `upload` says within 15 minutes", body = UploadStarted),
        (status = 400, description = "Malformed JSON, or an invalid name, type or size (the message says which)", body = ErrorBody),
        (status = 403, description = "The chat is closed, or sent from a page of another site", body = ErrorBody),
        (status = 404, description = "No such chat, or not a member", body = ErrorBody),
        (status = 413, description = "The file is larger than `UPLOAD_BYTES_MAX` (code `validation`), or the body larger than 64 KiB", body = ErrorBody),
        SignedIn,
    ))]
pub async fn start(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<ChatId>,
    body: web::Json<StartUploadRequest>,
) -> AppResult<HttpResponse> {
    let started = services::attachments::start(&state, &auth, path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(started))
}

#[utoipa::path(post, path = "/api/chats/{chat_id}/attachments/{attachment_id}/complete", tag = "attachments", security(("session" = [])),
    params(("chat_id" = ChatId, Path, description = "Chat id"), ("attachment_id" = AttachmentId, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "Checked and ready to attach", body = Attachment),
        (status = 404, description = "No such attachment of mine in a chat of mine", body = ErrorBody),
        (status = 409, description = "Nothing uploaded yet, or the stored size is not the declared one (then the object is deleted)", body = ErrorBody),
        SameSite, SignedIn,
    ))]
pub async fn complete(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(ChatId, AttachmentId)>,
) -> AppResult<web::Json<Attachment>> {
    let (chat_id, attachment_id) = path.into_inner();
    Ok(web::Json(services::attachments::complete(&state, &auth, chat_id, attachment_id).await?))
}

#[utoipa::path(get, path = "/api/attachments/{attachment_id}", tag = "attachments", security(("session" = [])),
    params(("attachment_id" = AttachmentId, Path, description = "Attachment id")),
    responses(
        (status = 302, description = "To a signed URL valid for 5 minutes",
            headers(("Location" = String, description = "The signed URL"))),
        (status = 404, description = "No such attachment, or not a member of its chat", body = ErrorBody),
        SignedIn,
    ))]
pub async fn download(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<AttachmentId>,
) -> AppResult<HttpResponse> {
    redirect(services::attachments::download_url(&state, &auth, path.into_inner(), Variant::Original).await?)
}

#[utoipa::path(get, path = "/api/attachments/{attachment_id}/thumbnail", tag = "attachments", security(("session" = [])),
    params(("attachment_id" = AttachmentId, Path, description = "Attachment id")),
    responses(
        (status = 302, description = "To a signed URL of the preview, valid for 5 minutes",
            headers(("Location" = String, description = "The signed URL"))),
        (status = 404, description = "No preview, no such attachment, or not a member of its chat", body = ErrorBody),
        SignedIn,
    ))]
pub async fn thumbnail(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<AttachmentId>,
) -> AppResult<HttpResponse> {
    redirect(services::attachments::download_url(&state, &auth, path.into_inner(), Variant::Thumbnail).await?)
}

/// The signed URL must not outlive its check in any cache.
fn redirect(url: String) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .finish())
}
