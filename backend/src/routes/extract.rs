//! The `Authenticated` extractor: a handler that takes one only runs for a valid session
//! (promise 6: checked on every REST call and on the socket upgrade).

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::{Authenticated, token};
use crate::error::AppError;
use crate::services;
use crate::state::AppState;

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
