//! Promise 7: sockets and state-changing calls are accepted only from allowed origins, so
//! another site cannot act with a visitor's cookie (cross-site WebSocket hijacking, CSRF).
//! Allowed: the server's own origin (the `Origin` names the same host as the `Host`
//! header) and those listed in `ALLOWED_ORIGINS`. Requests without `Origin` come from
//! non-browser clients, which cannot carry a victim's cookie, and are let through.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};

use crate::error::AppError;
use crate::state::AppState;

pub fn check(req: &HttpRequest, allowed: &[String]) -> Result<(), AppError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else { return Ok(()) };
    let refuse = || AppError::Forbidden("requests from this origin are not allowed".into());
    let origin = origin.to_str().map_err(|_| refuse())?.trim_end_matches('/');
    if allowed.iter().any(|a| a == origin) {
        return Ok(());
    }
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin.split_once("://").map(|(_, authority)| authority);
    match (authority, host) {
        (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(refuse()),
    }
}

/// Middleware for `/api`: state-changing methods must pass [`check`].
pub async fn require_allowed_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let allowed = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.allowed_origins.clone())
            .unwrap_or_default();
        check(req.request(), &allowed)?;
    }
    next.call(req).await
}
