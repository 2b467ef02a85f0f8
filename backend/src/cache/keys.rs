//! Every Redis key the app uses, in one place.

use confab_shared::ChatId;

/// A session lookup by token hash (hex): the user and the expiry.
pub fn session(token_hash: &[u8]) -> String {
    format!("confab:session:{}", hex::encode(token_hash))
}

/// The member ids of a chat: checked on every send, and the fan-out list.
pub fn members(chat_id: ChatId) -> String {
    format!("confab:members:{chat_id}")
}
