//! Every Redis key the app uses, in one place.

use confab_shared::{ChatId, UserId};

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
