//! Queries on `messages`.

use chrono::Utc;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::models::MessageRow;
use super::schema::{chat_members, chats, messages};

/// A message about to be stored; `seq` is assigned by [`insert_next`].
pub struct NewMessage {
    pub id: Uuid,
    pub chat_id: Uuid,
    pub sender_id: Uuid,
    pub client_id: Uuid,
    pub body: String,
}

/// Stores a message with the chat's next `seq`, or returns `None` if the chat is closed.
///
/// Promise 3: the chat row's `last_seq` is bumped inside the inserting transaction. The
/// row lock serialises concurrent sends to one chat and a rollback returns the number, so
/// seqs are gap-free. Promise 1: the caller acknowledges only after this commits.
/// The sender has read their own message, so their read position moves with it.
pub async fn insert_next(conn: &mut AsyncPgConnection, new: NewMessage) -> QueryResult<Option<MessageRow>> {
    conn.transaction(async |conn| {
        let now = Utc::now();
        let seq: Option<i64> = diesel::update(chats::table.find(new.chat_id).filter(chats::closed.eq(false)))
            .set((chats::last_seq.eq(chats::last_seq + 1), chats::last_activity_at.eq(now)))
            .returning(chats::last_seq)
            .get_result(conn)
            .await
            .optional()?;
        let Some(seq) = seq else { return Ok(None) };
        let row = MessageRow {
            id: new.id,
            chat_id: new.chat_id,
            seq,
            sender_id: new.sender_id,
            client_id: new.client_id,
            body: new.body,
            created_at: now,
            edited_at: None,
            deleted_at: None,
        };
        let row = diesel::insert_into(messages::table)
            .values(&row)
            .returning(MessageRow::as_returning())
            .get_result(conn)
            .await?;
        diesel::update(chat_members::table.find((new.chat_id, new.sender_id)))
            .set(chat_members::last_read_seq.eq(seq))
            .execute(conn)
            .await?;
        Ok(Some(row))
    })
    .await
}

/// Promise 2: the message a sender already stored under this `client_id`, if any.
pub async fn by_client_id(
    conn: &mut AsyncPgConnection,
    sender_id: Uuid,
    client_id: Uuid,
) -> QueryResult<Option<MessageRow>> {
    messages::table
        .filter(messages::sender_id.eq(sender_id))
        .filter(messages::client_id.eq(client_id))
        .select(MessageRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The newest message of each of the given chats.
pub async fn latest_for_chats(
    conn: &mut AsyncPgConnection,
    chat_ids: &[Uuid],
) -> QueryResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::chat_id.eq_any(chat_ids))
        .distinct_on(messages::chat_id)
        .order((messages::chat_id, messages::seq.desc()))
        .select(MessageRow::as_select())
        .load(conn)
        .await
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// The newest messages.
    Latest,
    /// Messages with `seq` below this one (scrolling back).
    Before(i64),
    /// Messages with `seq` above this one (catching up).
    After(i64),
}

/// Up to `limit` messages from `cursor`, ascending by seq, and whether more lie beyond.
pub async fn page(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    cursor: Cursor,
    limit: i64,
) -> QueryResult<(Vec<MessageRow>, bool)> {
    let query = messages::table.filter(messages::chat_id.eq(chat_id)).select(MessageRow::as_select());
    let fetch = limit + 1;
    let mut rows: Vec<MessageRow> = match cursor {
        Cursor::Latest => query.order(messages::seq.desc()).limit(fetch).load(conn).await?,
        Cursor::Before(seq) => {
            query.filter(messages::seq.lt(seq)).order(messages::seq.desc()).limit(fetch).load(conn).await?
        }
        Cursor::After(seq) => {
            query.filter(messages::seq.gt(seq)).order(messages::seq.asc()).limit(fetch).load(conn).await?
        }
    };
    let has_more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    if !matches!(cursor, Cursor::After(_)) {
        rows.reverse();
    }
    Ok((rows, has_more))
}
