//! Read receipts: a member's read position in a chat, which drives unread counts.

use confab_shared::ChatId;
use confab_shared::ws::ServerEvent;

use super::chats::{forget_lists, require_member};
use crate::auth::Authenticated;
use crate::db::chats;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Moves my read position to `seq` (clamped to the chat's newest message; it never moves
/// back). When it moves, every member gets `read` — my other tabs too, so their unread
/// badges clear. Returns my read position.
pub async fn mark_read(state: &AppState, me: &Authenticated, chat_id: ChatId, seq: i64) -> AppResult<i64> {
    if seq < 0 {
        return Err(AppError::Validation("seq must not be negative".into()));
    }
    let members = require_member(state, chat_id, me.user_id()).await?.members;
    let mut conn = state.conn().await?;
    let (chat, member) =
        chats::membership(&mut conn, chat_id.0, me.user_id().0).await?.ok_or(AppError::NotFound)?;
    let target = seq.min(chat.last_seq);
    match chats::advance_read(&mut conn, chat_id.0, me.user_id().0, target).await? {
        Some(position) => {
            forget_lists(state, &[me.user_id()]).await;
            state.events.to_chat(
                chat_id,
                &members,
                &ServerEvent::Read { chat_id, user_id: me.user_id(), seq: position },
            );
            Ok(position)
        }
        None => Ok(member.last_read_seq.max(target)),
    }
}
