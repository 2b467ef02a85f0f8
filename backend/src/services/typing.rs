//! "Alice is typing…": relayed to the other members of a chat, throttled per user and chat.

use confab_shared::ChatId;
use confab_shared::ws::ServerEvent;

use super::chats::require_member;
use crate::auth::Authenticated;
use crate::error::AppResult;
use crate::state::AppState;

pub async fn relay(state: &AppState, me: &Authenticated, chat_id: ChatId) -> AppResult<()> {
    let members = require_member(state, chat_id, me.user_id()).await?;
    if !state.typing.allow(me.user_id(), chat_id) {
        return Ok(());
    }
    let others: Vec<_> = members.into_iter().filter(|m| *m != me.user_id()).collect();
    state.events.to_chat(chat_id, &others, &ServerEvent::Typing { chat_id, user_id: me.user_id() });
    Ok(())
}
