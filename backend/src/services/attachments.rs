//! Attachments (DESIGN.md, "Attachments"): starting an upload, completing it, and
//! downloading. The bytes never pass through here on the way in (the browser sends them to
//! storage on a signed URL); what does is a check of the stored object, its real type read
//! from its bytes, and an image preview.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use confab_shared::api::{Attachment, StartUploadRequest, UploadInstructions, UploadStarted};
use confab_shared::validate::{Filename, MediaType};
use confab_shared::{AttachmentId, ChatId};
use uuid::Uuid;

use super::chats::require_member;
use crate::auth::Authenticated;
use crate::db::attachments::{self, Checked};
use crate::db::models::AttachmentRow;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::Delivery;
use crate::thumbnails;

/// How long an upload URL accepts the bytes.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);

/// How long a download URL works: long enough to start the download, short enough that a
/// copied link soon stops working for someone removed from the chat.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);

/// Bytes read to tell a file's type (`infer` needs far fewer).
const SNIFF_BYTES: u64 = 8192;

/// What every file that is not a picture is served as.
const UNKNOWN_TYPE: &str = "application/octet-stream";

/// Records a pending attachment and signs the URL its bytes go to. Members only; the
/// size is capped by `UPLOAD_BYTES_MAX`.
pub async fn start(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    request: StartUploadRequest,
) -> AppResult<UploadStarted> {
    let filename = Filename::parse(&request.filename)?;
    let content_type = MediaType::parse(&request.content_type)?;
    if request.size == 0 {
        return Err(AppError::Validation("the file is empty".into()));
    }
    let membership = require_member(state, chat_id, me.user_id()).await?;
    if membership.closed {
        return Err(AppError::Forbidden("this chat is closed".into()));
    }
    let max = state.settings.limits.upload_bytes_max;
    if request.size > max {
        return Err(AppError::PayloadTooLarge(format!(
            "a file must be at most {} ({max} bytes)",
            confab_shared::display::file_size(max)
        )));
    }
    let id = Uuid::new_v4();
    let row = AttachmentRow {
        id,
        chat_id: chat_id.0,
        uploader_id: me.user_id().0,
        message_id: None,
        filename: filename.into_inner(),
        content_type: content_type.into_inner(),
        sniffed_type: None,
        size: i64::try_from(request.size).map_err(|_| AppError::Validation("size is too large".into()))?,
        status: AttachmentRow::PENDING.to_owned(),
        storage_key: id.simple().to_string(),
        thumbnail_key: None,
        width: None,
        height: None,
        created_at: Utc::now(),
    };
    let upload =
        state.stores.storage.sign_upload(&row.storage_key, request.size, &row.content_type, UPLOAD_TTL)?;
    attachments::insert(&mut *state.conn().await?, &row).await?;
    let expires_at = Utc::now() + UPLOAD_TTL;
    Ok(UploadStarted {
        attachment: row.to_api(),
        upload: UploadInstructions {
            method: "PUT".to_owned(),
            url: upload.url,
            headers: upload.headers.into_iter().collect::<BTreeMap<_, _>>(),
            expires_at,
        },
    })
}

/// Checks the stored object against the declared size, reads its real type from its
/// bytes, previews pictures, and marks the attachment ready. Only its uploader completes
/// it; completing twice returns it as it is.
pub async fn complete(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    attachment_id: AttachmentId,
) -> AppResult<Attachment> {
    require_member(state, chat_id, me.user_id()).await?;
    let row = attachments::in_chat(&mut *state.conn().await?, chat_id.0, attachment_id.0)
        .await?
        .filter(|row| row.uploader_id == me.user_id().0)
        .ok_or(AppError::NotFound)?;
    if row.is_ready() {
        return Ok(row.to_api());
    }
    let checked = check_stored(state, &row).await?;
    let ready = attachments::mark_ready(&mut *state.conn().await?, row.id, &checked).await?;
    match ready {
        Some(ready) => Ok(ready.to_api()),
        // A concurrent completion won; it wrote the same thumbnail under the same key.
        None => {
            let row =
                attachments::by_id(&mut *state.conn().await?, row.id).await?.ok_or(AppError::NotFound)?;
            Ok(row.to_api())
        }
    }
}

/// The stored object's size must be the declared one; a wrong one is deleted, so the
/// still-valid upload URL can be used again.
async fn check_stored(state: &AppState, row: &AttachmentRow) -> AppResult<Checked> {
    let storage = &state.stores.storage;
    let declared = u64::try_from(row.size).unwrap_or_default();
    match storage.size(&row.storage_key).await? {
        None => return Err(AppError::Conflict("the file has not been uploaded yet".into())),
        Some(size) if size != declared => {
            delete_object(state, &row.storage_key).await;
            return Err(AppError::Conflict(format!(
                "the upload has {size} bytes, not the {declared} declared"
            )));
        }
        Some(_) => {}
    }
    let head = storage.read(&row.storage_key, SNIFF_BYTES).await?;
    let sniffed = infer::get(&head).map_or(UNKNOWN_TYPE, |kind| kind.mime_type());
    if !thumbnails::is_picture(sniffed) {
        return Ok(Checked { sniffed_type: sniffed.to_owned(), ..Checked::default() });
    }
    let bytes = storage.read(&row.storage_key, declared).await?;
    let media = sniffed.to_owned();
    let preview = tokio::task::spawn_blocking(move || thumbnails::preview(&bytes, &media))
        .await
        .map_err(|e| anyhow::anyhow!("the preview task failed: {e}"))?;
    let preview = match preview {
        Ok(preview) => preview,
        // Looks like a picture but does not decode (or is too large to): a download.
        Err(e) => {
            tracing::info!(attachment = %row.id, error = %e, "no preview");
            return Ok(Checked { sniffed_type: UNKNOWN_TYPE.to_owned(), ..Checked::default() });
        }
    };
    let thumbnail_key = format!("{}.thumb.{}", row.storage_key, extension(preview.thumbnail_type));
    storage.write(&thumbnail_key, preview.thumbnail, preview.thumbnail_type).await?;
    Ok(Checked {
        sniffed_type: sniffed.to_owned(),
        thumbnail_key: Some(thumbnail_key),
        width: i32::try_from(preview.width).ok(),
        height: i32::try_from(preview.height).ok(),
    })
}

/// Which file a download asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    Thumbnail,
}

/// A short-lived signed URL for a ready attachment. Membership is read from PostgreSQL
/// now, so a removed member gets 404 like everyone else who is not one; an upload not yet
/// attached to a message is its uploader's alone.
pub async fn download_url(
    state: &AppState,
    me: &Authenticated,
    attachment_id: AttachmentId,
    variant: Variant,
) -> AppResult<String> {
    let row =
        attachments::by_id(&mut *state.conn().await?, attachment_id.0).await?.ok_or(AppError::NotFound)?;
    require_member(state, ChatId(row.chat_id), me.user_id()).await?;
    let visible = row.is_ready() && (row.message_id.is_some() || row.uploader_id == me.user_id().0);
    if !visible {
        return Err(AppError::NotFound);
    }
    let (key, delivery) = match variant {
        Variant::Original => {
            let sniffed = row.sniffed_type.as_deref().unwrap_or(UNKNOWN_TYPE);
            let delivery = if thumbnails::is_picture(sniffed) {
                Delivery::inline(sniffed)
            } else {
                Delivery::download(&row.filename)
            };
            (row.storage_key.as_str(), delivery)
        }
        Variant::Thumbnail => {
            let key = row.thumbnail_key.as_deref().ok_or(AppError::NotFound)?;
            (key, Delivery::inline(thumbnail_type(key)))
        }
    };
    Ok(state.stores.storage.sign_download(key, &delivery, DOWNLOAD_TTL)?)
}

/// Uploads never attached are deleted after this long.
pub const UNATTACHED_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Rows deleted per statement by the sweep.
const SWEEP_BATCH: i64 = 100;

/// Deletes uploads never attached to a message and started more than a day ago, rows
/// first, then their objects; returns how many. Several nodes may sweep at once: each row
/// goes to one of them (`db::attachments::delete_unattached_before`).
pub async fn delete_unattached(state: &AppState) -> AppResult<usize> {
    let cutoff = Utc::now() - UNATTACHED_TTL;
    let mut deleted = 0;
    loop {
        let rows =
            attachments::delete_unattached_before(&mut *state.conn().await?, cutoff, SWEEP_BATCH).await?;
        delete_objects(state, &rows).await;
        deleted += rows.len();
        if rows.len() < SWEEP_BATCH as usize {
            return Ok(deleted);
        }
    }
}

/// Deletes stored objects after their rows are gone. A failure is logged, not raised: the
/// row, which gave access, no longer exists.
pub async fn delete_objects(state: &AppState, rows: &[AttachmentRow]) {
    for row in rows {
        delete_object(state, &row.storage_key).await;
        if let Some(key) = &row.thumbnail_key {
            delete_object(state, key).await;
        }
    }
}

async fn delete_object(state: &AppState, key: &str) {
    if let Err(e) = state.stores.storage.delete(key).await {
        tracing::warn!(key, error = %e, "could not delete a stored object");
    }
}

fn extension(media_type: &str) -> &'static str {
    if media_type == "image/webp" { "webp" } else { "jpg" }
}

fn thumbnail_type(key: &str) -> &'static str {
    if key.ends_with(".webp") { "image/webp" } else { "image/jpeg" }
}
