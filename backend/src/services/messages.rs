//! Messages: sending (durable, idempotent, ordered: promises 1–3) and reading history.

use confab_shared::api::{HistoryQuery, Message, MessagePage};
use confab_shared::limits::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX};
use confab_shared::validate::MessageBody;
use confab_shared::ws::ServerEvent;
use confab_shared::{ChatId, ClientId};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use super::chats::require_member;
use crate::auth::Authenticated;
use crate::db::messages::{self, Cursor, NewMessage};
use crate::db::models::MessageRow;
use crate::error::{AppError, AppResult};
use crate::startup::AppState;

/// The result of a send: the stored message, and whether this call stored it (`false`
/// for a retry that found the original).
pub struct Sent {
    pub message: Message,
    pub created: bool,
}

/// Stores a message and, once committed, fans `message_created` out to every connection
/// of every member (the sender's own tabs included: that is their ack).
pub async fn send(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    client_id: ClientId,
    body: &str,
) -> AppResult<Sent> {
    let body = MessageBody::parse(body)?;
    let members = require_member(state, chat_id, me.user_id()).await?;
    let mut conn = state.db.get().await?;
    // Promise 2: a retry finds the original instead of storing a duplicate.
    if let Some(original) = messages::by_client_id(&mut conn, me.user_id().0, client_id.0).await? {
        return original_for_retry(original, chat_id);
    }
    let new = NewMessage {
        id: Uuid::new_v4(),
        chat_id: chat_id.0,
        sender_id: me.user_id().0,
        client_id: client_id.0,
        body: body.into_inner(),
    };
    let row = match messages::insert_next(&mut conn, new).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(AppError::Forbidden("this chat is closed".into())),
        // The same retry raced us and won: its row is the answer.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            let original = messages::by_client_id(&mut conn, me.user_id().0, client_id.0).await?;
            return original
                .ok_or(AppError::Conflict("client_id already used".into()))
                .and_then(|row| original_for_retry(row, chat_id));
        }
        Err(e) => return Err(e.into()),
    };
    drop(conn);
    let message = row.to_api();
    // Promise 1: only now, after the commit, does anyone hear of it.
    state.hub.send_to_users(&members, &ServerEvent::MessageCreated { message: message.clone() });
    Ok(Sent { message, created: true })
}

fn original_for_retry(original: MessageRow, chat_id: ChatId) -> AppResult<Sent> {
    if original.chat_id != chat_id.0 {
        return Err(AppError::Conflict("client_id was already used for another message".into()));
    }
    Ok(Sent { message: original.to_api(), created: false })
}

/// A page of a chat's history, ascending by seq (promise 4 uses `after`).
pub async fn history(
    state: &AppState,
    me: &Authenticated,
    chat_id: ChatId,
    q: HistoryQuery,
) -> AppResult<MessagePage> {
    require_member(state, chat_id, me.user_id()).await?;
    let limit = q.limit.unwrap_or(PAGE_LIMIT_DEFAULT);
    if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
        return Err(AppError::Validation(format!("limit must be 1 to {PAGE_LIMIT_MAX}")));
    }
    let cursor = match (q.before, q.after) {
        (Some(_), Some(_)) => return Err(AppError::Validation("give before or after, not both".into())),
        (Some(seq), None) | (None, Some(seq)) if seq < 0 => {
            return Err(AppError::Validation("seq must not be negative".into()));
        }
        (Some(seq), None) => Cursor::Before(seq),
        (None, Some(seq)) => Cursor::After(seq),
        (None, None) => Cursor::Latest,
    };
    let mut conn = state.db.get().await?;
    let (rows, has_more) = messages::page(&mut conn, chat_id.0, cursor, i64::from(limit)).await?;
    Ok(MessagePage { messages: rows.iter().map(MessageRow::to_api).collect(), has_more })
}
