//! The pieces the chat screen is built from.

pub mod attachments;
pub mod avatar;
pub mod chat_list;
pub mod chat_settings;
pub mod composer;
pub mod connection_status;
pub mod emoji_picker;
pub mod mention_picker;
pub mod message_list;
pub mod modal;
pub mod new_chat;
pub mod search;
