//! System messages: renames, membership changes, closing and ownership told in the chat's
//! own history. Each is written in the transaction of the change it records and takes the
//! chat's next seq like any message (promise 3), so history, catch-up (promise 4) and
//! every device show it; it goes out live as `message_created`. Only the server writes
//! them: they can't be edited, deleted, reacted or replied to, and they never count as
//! unread (see `db::chats::unread`).

use anyhow::Context;
use confab_shared::api::{SystemEvent, User};
use confab_shared::{ChatId, UserId};
use diesel_async::AsyncPgConnection;

use crate::db::models::MessageRow;
use crate::db::{messages, users};
use crate::error::{AppError, AppResult};

/// Stores `event` as a message of `chat_id` by `actor`, in the caller's transaction.
pub(crate) async fn record(
    conn: &mut AsyncPgConnection,
    chat_id: ChatId,
    actor: UserId,
    event: &SystemEvent,
) -> AppResult<MessageRow> {
    let value = serde_json::to_value(event).context("encoding a system message")?;
    Ok(messages::insert_system(conn, chat_id.0, actor.0, value).await?)
}

/// A user as a system message names them: as they are now.
pub(crate) async fn person(conn: &mut AsyncPgConnection, id: UserId) -> AppResult<User> {
    let row = users::by_id(conn, id.0).await?.ok_or(AppError::NotFound)?;
    Ok(row.to_api())
}
