//! One module per screen.

pub mod auth;
pub mod chat;
pub mod settings;
