//! `Authenticated`: the signed-in user of a request or socket and their session. Handlers
//! get one through its extractor (`routes::extract`), so they only run for a valid session
//! (promise 6: checked on every REST call and on the socket upgrade).

use chrono::{DateTime, Utc};
use confab_shared::UserId;
use confab_shared::api::User;
use serde::{Deserialize, Serialize};

use super::token::TokenHash;

/// The signed-in user of this request and their session. Cached in Redis as is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Authenticated {
    pub user: User,
    pub token_hash: TokenHash,
    pub expires_at: DateTime<Utc>,
}

impl Authenticated {
    pub fn user_id(&self) -> UserId {
        self.user.id
    }
}
