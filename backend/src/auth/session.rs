//! `Authenticated`: the signed-in user of a request or socket and their session. Handlers
//! get one through its extractor (`routes::extract`), so they only run for a valid session
//! (promise 6: checked on every REST call and on the socket upgrade). `Presented`: what a
//! sign-in request brings besides its credentials.

use chrono::{DateTime, Utc};
use confab_shared::UserId;
use confab_shared::api::User;
use serde::{Deserialize, Serialize};

use super::token::TokenHash;

/// The signed-in user of this request and their session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Authenticated {
    pub user: User,
    pub token_hash: TokenHash,
    pub expires_at: DateTime<Utc>,
    /// Whether the account has a password (one made by an identity provider may not).
    pub has_password: bool,
}

impl Authenticated {
    pub fn user_id(&self) -> UserId {
        self.user.id
    }
}

/// What a register or login request presents besides its credentials (extracted in
/// `routes::extract`).
#[derive(Debug, Clone, Default)]
pub struct Presented {
    /// The session cookie the browser still holds: that session ends when the new one is
    /// issued, so signing in again never piles up sessions.
    pub token: Option<String>,
    /// The `User-Agent` header, kept with the new session so its owner can tell it apart.
    pub user_agent: Option<String>,
}
