//! `Authenticated`: a handler that takes one only runs for a valid session (promise 6:
//! checked on every REST call and on the socket upgrade).

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::{DateTime, Utc};
use confab_shared::UserId;
use confab_shared::api::User;
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};

use super::token::{self, TokenHash};
use crate::error::AppError;
use crate::services;
use crate::state::AppState;

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

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = state
            .as_ref()
            .and_then(|s| req.cookie(token::cookie_name(s.settings.cookie_secure)))
            .map(|c| c.value().to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
            let token = token.ok_or(AppError::Unauthorized)?;
            services::auth::authenticate(&state, &token).await
        })
    }
}
