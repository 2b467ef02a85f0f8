//! Queries on `attachments`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::models::AttachmentRow;
use super::schema::attachments;

pub async fn insert(conn: &mut AsyncPgConnection, row: &AttachmentRow) -> QueryResult<()> {
    diesel::insert_into(attachments::table).values(row).execute(conn).await.map(drop)
}

/// One attachment of a chat.
pub async fn in_chat(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .filter(attachments::id.eq(id))
        .filter(attachments::chat_id.eq(chat_id))
        .select(AttachmentRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<AttachmentRow>> {
    attachments::table.find(id).select(AttachmentRow::as_select()).first(conn).await.optional()
}

/// What completion learnt from the stored bytes.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub sniffed_type: String,
    pub thumbnail_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

/// Marks a pending attachment ready; `None` when it was not pending (any more).
pub async fn mark_ready(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    checked: &Checked,
) -> QueryResult<Option<AttachmentRow>> {
    diesel::update(attachments::table.find(id).filter(attachments::status.eq(AttachmentRow::PENDING)))
        .set((
            attachments::status.eq(AttachmentRow::READY),
            attachments::sniffed_type.eq(&checked.sniffed_type),
            attachments::thumbnail_key.eq(&checked.thumbnail_key),
            attachments::width.eq(checked.width),
            attachments::height.eq(checked.height),
        ))
        .returning(AttachmentRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// The attachments of these messages, oldest first.
pub async fn for_messages(
    conn: &mut AsyncPgConnection,
    message_ids: &[Uuid],
) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::message_id.eq_any(message_ids))
        .order((attachments::created_at.asc(), attachments::id))
        .select(AttachmentRow::as_select())
        .load(conn)
        .await
}

/// Forgets a message's attachments and returns them, so their objects can be deleted.
pub async fn delete_for_message(
    conn: &mut AsyncPgConnection,
    message_id: Uuid,
) -> QueryResult<Vec<AttachmentRow>> {
    diesel::delete(attachments::table.filter(attachments::message_id.eq(message_id)))
        .returning(AttachmentRow::as_returning())
        .get_results(conn)
        .await
}

/// Forgets up to `limit` attachments never attached and started before `cutoff`, and
/// returns them. Each row is returned to one caller only (rows another node is deleting are
/// skipped), so several nodes can run this at once and every object is deleted once; a row
/// a send is attaching meanwhile is locked, and skipped too.
pub async fn delete_unattached_before(
    conn: &mut AsyncPgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<AttachmentRow>> {
    diesel::sql_query(
        "DELETE FROM attachments WHERE message_id IS NULL AND id IN ( \
             SELECT id FROM attachments WHERE message_id IS NULL AND created_at < $1 \
             LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING *",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(cutoff)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await
}
