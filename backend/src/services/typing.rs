//! "Alice is typing…": relayed to the other members of an open chat, throttled per user
//! and chat. Nobody can send into a closed chat, so nobody is typing in one.

use confab_shared::ChatId;
use confab_shared::ws::ServerEvent;

use super::chats::require_member;
use crate::auth::Authenticated;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub async fn relay(state: &AppState, me: &Authenticated, chat_id: ChatId) -> AppResult<()> {
    let chat = require_member(state, chat_id, me.user_id()).await?;
    if chat.closed {
        return Err(AppError::Forbidden("this chat is closed".into()));
    }
    if !state.typing.allow(me.user_id(), chat_id) {
        return Ok(());
    }
    let others: Vec<_> = chat.members.into_iter().filter(|m| *m != me.user_id()).collect();
    state.events.to_chat(chat_id, &others, &ServerEvent::Typing { chat_id, user_id: me.user_id() });
    Ok(())
}
