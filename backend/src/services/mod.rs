//! One function per use case, called from both doors (REST handlers and socket events).
//! Authorization happens here, so neither door can forget it (promise 5).

pub mod attachments;
pub mod auth;
pub mod chats;
pub mod members;
pub mod messages;
pub mod oidc;
pub mod presence;
pub mod profile;
pub mod receipts;
pub mod search;
pub mod system;
pub mod typing;
