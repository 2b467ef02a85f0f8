//! `/api/auth/*`: register, login, logout, me.

use actix_web::{HttpResponse, HttpResponseBuilder, web};
use confab_shared::ErrorBody;
use confab_shared::api::{LoginRequest, RegisterRequest, SessionInfo};

use crate::auth::{Authenticated, token};
use crate::error::AppResult;
use crate::routes::extract::ClientIp;
use crate::services::{self, auth::NewSession};
use crate::state::AppState;

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in; sets the session cookie", body = SessionInfo),
        (status = 400, description = "Invalid username, password or display name", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address (`RATE_REGISTRATIONS_PER_IP`); see `Retry-After`", body = ErrorBody),
    ))]
pub async fn register(
    state: web::Data<AppState>,
    client: ClientIp,
    body: web::Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    state.limits.check_registration(client.0)?;
    let session = services::auth::register(&state, body.into_inner()).await?;
    Ok(with_session_cookie(HttpResponse::Created(), &state, session))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in with a new session; sets the session cookie", body = SessionInfo),
        (status = 401, description = "Unknown user or wrong password (indistinguishable)", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins for this account (`RATE_LOGIN_FAILURES`); see `Retry-After`", body = ErrorBody),
    ))]
pub async fn login(state: web::Data<AppState>, body: web::Json<LoginRequest>) -> AppResult<HttpResponse> {
    let session = services::auth::login(&state, body.into_inner()).await?;
    Ok(with_session_cookie(HttpResponse::Ok(), &state, session))
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Session ended, cookie cleared, its sockets closed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn logout(state: web::Data<AppState>, auth: Authenticated) -> AppResult<HttpResponse> {
    services::auth::logout(&state, &auth).await?;
    Ok(HttpResponse::NoContent().cookie(token::removal_cookie(state.settings.cookie_secure)).finish())
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The signed-in user and when the session expires", body = SessionInfo),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn me(auth: Authenticated) -> web::Json<SessionInfo> {
    web::Json(SessionInfo { user: auth.user, expires_at: auth.expires_at })
}

fn with_session_cookie(
    mut response: HttpResponseBuilder,
    state: &AppState,
    session: NewSession,
) -> HttpResponse {
    let cookie = token::cookie(session.token, state.settings.cookie_secure, state.settings.session_ttl);
    response.cookie(cookie).json(session.info)
}
