//! The API end to end: the real application on a fresh database per test, driven over HTTP
//! and WebSocket like a browser would (see `confab-test-support`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abuse;
mod attachments;
mod auth;
mod authorization;
mod bad_input;
mod cache;
mod chats;
mod cluster;
mod edits;
mod faults;
mod frontend;
mod health;
mod logs;
mod members;
mod mentions;
mod messages;
mod oidc;
mod openapi;
mod presence;
mod profile;
mod receipts;
mod replies;
mod search;
mod security;
mod sessions;
mod sockets;
mod system_messages;
mod typing;
