//! Queries on `messages`.

use chrono::Utc;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use confab_shared::UserId;
use confab_shared::api::{Message, Reaction};

use super::models::{MessageRow, ReactionRow};
use super::schema::{chat_members, chats, message_reactions, messages};

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
        let numbers: Option<(i64, i64)> =
            diesel::update(chats::table.find(new.chat_id).filter(chats::closed.eq(false)))
                .set((
                    chats::last_seq.eq(chats::last_seq + 1),
                    chats::last_change.eq(chats::last_change + 1),
                    chats::last_activity_at.eq(now),
                ))
                .returning((chats::last_seq, chats::last_change))
                .get_result(conn)
                .await
                .optional()?;
        let Some((seq, change_seq)) = numbers else { return Ok(None) };
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
            change_seq,
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

/// One message of a chat.
pub async fn in_chat(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    message_id: Uuid,
) -> QueryResult<Option<MessageRow>> {
    messages::table
        .filter(messages::id.eq(message_id))
        .filter(messages::chat_id.eq(chat_id))
        .select(MessageRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Messages changed after change number `since`, in change order, and whether more follow.
pub async fn changes_since(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    since: i64,
    limit: i64,
) -> QueryResult<(Vec<MessageRow>, bool)> {
    let mut rows: Vec<MessageRow> = messages::table
        .filter(messages::chat_id.eq(chat_id))
        .filter(messages::change_seq.gt(since))
        .order(messages::change_seq.asc())
        .limit(limit + 1)
        .select(MessageRow::as_select())
        .load(conn)
        .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((rows, has_more))
}

/// The outcome of a change to an existing message.
#[derive(Debug)]
pub enum Changed<T> {
    Done(T),
    /// The chat is closed (read-only).
    ChatClosed,
    /// The message is gone or already a tombstone.
    Missing,
}

/// Takes the chat's next change number, unless the chat is closed.
async fn next_change(conn: &mut AsyncPgConnection, chat_id: Uuid) -> QueryResult<Option<i64>> {
    diesel::update(chats::table.find(chat_id).filter(chats::closed.eq(false)))
        .set(chats::last_change.eq(chats::last_change + 1))
        .returning(chats::last_change)
        .get_result(conn)
        .await
        .optional()
}

/// Replaces a live message's body and marks it edited, with the next change number.
pub async fn edit(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    message_id: Uuid,
    body: &str,
) -> QueryResult<Changed<MessageRow>> {
    conn.transaction(async |conn| {
        let Some(change) = next_change(conn, chat_id).await? else { return Ok(Changed::ChatClosed) };
        let row = diesel::update(
            messages::table
                .filter(messages::id.eq(message_id))
                .filter(messages::chat_id.eq(chat_id))
                .filter(messages::deleted_at.is_null()),
        )
        .set((messages::body.eq(body), messages::edited_at.eq(Utc::now()), messages::change_seq.eq(change)))
        .returning(MessageRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
        // Nothing changed: roll the change number back with the transaction.
        row.map_or(Err(diesel::result::Error::RollbackTransaction), |row| Ok(Changed::Done(row)))
    })
    .await
    .or_else(missing_on_rollback)
}

/// Turns a message into a tombstone: its body and reactions are erased, the row (and so
/// its seq) stays.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    message_id: Uuid,
) -> QueryResult<Changed<MessageRow>> {
    conn.transaction(async |conn| {
        let Some(change) = next_change(conn, chat_id).await? else { return Ok(Changed::ChatClosed) };
        let row = diesel::update(
            messages::table
                .filter(messages::id.eq(message_id))
                .filter(messages::chat_id.eq(chat_id))
                .filter(messages::deleted_at.is_null()),
        )
        .set((messages::body.eq(""), messages::deleted_at.eq(Utc::now()), messages::change_seq.eq(change)))
        .returning(MessageRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
        let Some(row) = row else { return Err(diesel::result::Error::RollbackTransaction) };
        diesel::delete(message_reactions::table.filter(message_reactions::message_id.eq(message_id)))
            .execute(conn)
            .await?;
        Ok(Changed::Done(row))
    })
    .await
    .or_else(missing_on_rollback)
}

/// What toggling a reaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    Added,
    Removed,
    /// The message already has the most different emoji allowed.
    TooMany,
}

/// Adds my reaction with `emoji`, or removes it if I had it; the message takes the next
/// change number. Returns the new change number with the outcome.
pub async fn toggle_reaction(
    conn: &mut AsyncPgConnection,
    chat_id: Uuid,
    message_id: Uuid,
    user_id: Uuid,
    emoji: &str,
    max_distinct: usize,
) -> QueryResult<Changed<(Toggle, i64)>> {
    conn.transaction(async |conn| {
        let Some(change) = next_change(conn, chat_id).await? else { return Ok(Changed::ChatClosed) };
        let touched = diesel::update(
            messages::table
                .filter(messages::id.eq(message_id))
                .filter(messages::chat_id.eq(chat_id))
                .filter(messages::deleted_at.is_null()),
        )
        .set(messages::change_seq.eq(change))
        .execute(conn)
        .await?;
        if touched == 0 {
            return Err(diesel::result::Error::RollbackTransaction);
        }
        let removed =
            diesel::delete(message_reactions::table.find((message_id, user_id, emoji))).execute(conn).await?;
        if removed > 0 {
            return Ok(Changed::Done((Toggle::Removed, change)));
        }
        let emoji_in_use: Vec<String> = message_reactions::table
            .filter(message_reactions::message_id.eq(message_id))
            .select(message_reactions::emoji)
            .distinct()
            .load(conn)
            .await?;
        if emoji_in_use.len() >= max_distinct && !emoji_in_use.iter().any(|e| e == emoji) {
            return Ok(Changed::Done((Toggle::TooMany, change)));
        }
        let row = ReactionRow { message_id, user_id, emoji: emoji.to_owned(), created_at: Utc::now() };
        diesel::insert_into(message_reactions::table).values(&row).execute(conn).await?;
        Ok(Changed::Done((Toggle::Added, change)))
    })
    .await
    .or_else(missing_on_rollback)
}

fn missing_on_rollback<T>(e: diesel::result::Error) -> QueryResult<Changed<T>> {
    match e {
        diesel::result::Error::RollbackTransaction => Ok(Changed::Missing),
        other => Err(other),
    }
}

/// The reactions on one message, each emoji with its users, in order of first use.
pub async fn reactions(conn: &mut AsyncPgConnection, message_id: Uuid) -> QueryResult<Vec<Reaction>> {
    let rows = reaction_rows(conn, &[message_id]).await?;
    Ok(group_reactions(rows.iter()))
}

/// API messages with their reactions: one extra query whatever the count.
pub async fn to_api(conn: &mut AsyncPgConnection, rows: &[MessageRow]) -> QueryResult<Vec<Message>> {
    let ids: Vec<Uuid> = rows.iter().filter(|m| m.deleted_at.is_none()).map(|m| m.id).collect();
    let reactions = if ids.is_empty() { Vec::new() } else { reaction_rows(conn, &ids).await? };
    Ok(rows
        .iter()
        .map(|row| {
            let mut message = row.to_api();
            message.reactions = group_reactions(reactions.iter().filter(|r| r.message_id == row.id));
            message
        })
        .collect())
}

async fn reaction_rows(conn: &mut AsyncPgConnection, message_ids: &[Uuid]) -> QueryResult<Vec<ReactionRow>> {
    message_reactions::table
        .filter(message_reactions::message_id.eq_any(message_ids))
        .order((message_reactions::created_at.asc(), message_reactions::user_id))
        .select(ReactionRow::as_select())
        .load(conn)
        .await
}

fn group_reactions<'a>(rows: impl Iterator<Item = &'a ReactionRow>) -> Vec<Reaction> {
    let mut grouped: Vec<Reaction> = Vec::new();
    for row in rows {
        match grouped.iter_mut().find(|r| r.emoji == row.emoji) {
            Some(reaction) => reaction.user_ids.push(UserId(row.user_id)),
            None => grouped.push(Reaction { emoji: row.emoji.clone(), user_ids: vec![UserId(row.user_id)] }),
        }
    }
    grouped
}
