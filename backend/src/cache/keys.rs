//! Every Redis key the app uses, in one place.

use confab_shared::{ChatId, UserId};

/// A session lookup by token hash (hex): the user and the expiry.
pub fn session(token_hash: &[u8]) -> String {
    format!("confab:session:{}", hex::encode(token_hash))
}

/// The member ids of a chat: checked on every send, and the fan-out list.
pub fn members(chat_id: ChatId) -> String {
    format!("confab:members:{chat_id}")
}

/// The family of one user's chat list (versioned, see `Cache::get_versioned`).
pub fn chat_list(user_id: UserId) -> String {
    format!("chats:{user_id}")
}

/// The family of one chat's newest page of messages.
pub fn newest_page(chat_id: ChatId) -> String {
    format!("page:{chat_id}")
}

pub fn version(family: &str) -> String {
    format!("confab:v:{family}")
}

pub fn versioned(family: &str, version: i64) -> String {
    format!("confab:{family}:{version}")
}
