//! Extractors: `Authenticated` (a handler that takes one only runs for a valid session;
//! promise 6: checked on every REST call and on the socket upgrade), `ClientIp`, and
//! `Presented` (the cookie and user agent a sign-in request comes with).

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::{Authenticated, Presented, token};
use crate::error::AppError;
use crate::services;
use crate::state::AppState;

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = session_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
            let token = token.ok_or(AppError::Unauthorized)?;
            services::auth::authenticate(&state, &token).await
        })
    }
}

/// The client's address, for per-address limits: the TCP peer, unless the peer is one of
/// `TRUSTED_PROXIES`; then the `X-Forwarded-For` entries are read from the right (the
/// ones our proxies appended) and the first address that is not a trusted proxy is the
/// client. Entries further left were written by the client and are never believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn of(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<Self> {
        let peer = req.peer_addr()?.ip();
        if !trusted_proxies.contains(&peer) {
            return Some(Self(peer));
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let client = forwarded
            .iter()
            .rev()
            .map(|entry| entry.parse::<IpAddr>().ok())
            .find(|ip| ip.is_none_or(|ip| !trusted_proxies.contains(&ip)));
        // An unparsable entry where the client should be: fall back to the proxy itself
        // (a shared bucket is safer than one the client can pick).
        Some(Self(client.flatten().unwrap_or(peer)))
    }
}

impl FromRequest for ClientIp {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req.app_data::<web::Data<AppState>>().map(|s| s.settings.trusted_proxies.as_slice());
        ready(
            ClientIp::of(req, trusted.unwrap_or_default())
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request without a peer address"))),
        )
    }
}

impl FromRequest for Presented {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        ready(Ok(Presented { token: session_token(req), user_agent }))
    }
}

/// The value of the session cookie, if the request carries one.
fn session_token(req: &HttpRequest) -> Option<String> {
    let state = req.app_data::<web::Data<AppState>>()?;
    req.cookie(token::cookie_name(state.settings.cookie_secure)).map(|c| c.value().to_owned())
}
