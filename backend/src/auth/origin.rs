//! Promise 7: sockets and state-changing calls are accepted only from allowed origins, so
//! another site cannot act with a visitor's cookie (cross-site WebSocket hijacking, CSRF).
//! Allowed: the server's own origin (the `Origin` names the same host as the `Host`
//! header) and those listed in `ALLOWED_ORIGINS`. Requests without `Origin` come from
//! non-browser clients, which cannot carry a victim's cookie, and are let through.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::AppError;

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
