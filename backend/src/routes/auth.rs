//! `/api/auth/*`: register, login, logout, me (and my display name), whether I am signed
//! in; my sessions; password change.

use actix_web::{HttpResponse, HttpResponseBuilder, web};
use confab_shared::api::{
    ActiveSession, ChangePasswordRequest, LoginRequest, RegisterRequest, RevokedSessions, SessionInfo,
    UpdateProfileRequest,
};
use confab_shared::{ErrorBody, SessionId};

use super::openapi::{JsonBody, SameSite, SignedIn, Stored};
use crate::auth::{Authenticated, Presented, token};
use crate::error::{AppError, AppResult};
use crate::routes::extract::ClientIp;
use crate::services::{self, auth::NewSession, auth::Revoked};
use crate::state::AppState;

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in. A session cookie the request carried is revoked", body = SessionInfo,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address (`RATE_REGISTRATIONS_PER_IP`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it is allowed again"))),
        JsonBody, SameSite, Stored,
    ))]
pub async fn register(
    state: web::Data<AppState>,
    client: ClientIp,
    presented: Presented,
    body: web::Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    state.limits.check_registration(client.0)?;
    let session = services::auth::register(&state, body.into_inner(), presented).await?;
    Ok(with_session_cookie(HttpResponse::Created(), &state, session))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in with a new session. A session cookie the request carried is revoked", body = SessionInfo,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 401, description = "Unknown user or wrong password (indistinguishable)", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins for this account (`RATE_LOGIN_FAILURES`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it is allowed again"))),
        JsonBody, SameSite, Stored,
    ))]
pub async fn login(
    state: web::Data<AppState>,
    presented: Presented,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let session = services::auth::login(&state, body.into_inner(), presented).await?;
    Ok(with_session_cookie(HttpResponse::Ok(), &state, session))
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("session" = [])),
    responses(
        (status = 204, description = "Session ended, its sockets closed",
            headers(("Set-Cookie" = String, description = "Clears the session cookie"))),
        SameSite, SignedIn,
    ))]
pub async fn logout(state: web::Data<AppState>, auth: Authenticated) -> AppResult<HttpResponse> {
    services::auth::logout(&state, &auth).await?;
    Ok(signed_out(&state))
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("session" = [])),
    responses(
        (status = 200, description = "The signed-in user and when the session expires", body = SessionInfo),
        SignedIn,
    ))]
pub async fn me(auth: Authenticated) -> web::Json<SessionInfo> {
    web::Json(SessionInfo { user: auth.user, expires_at: auth.expires_at, has_password: auth.has_password })
}

#[utoipa::path(get, path = "/api/auth/session", tag = "auth", security(("session" = []), ()),
    responses(
        (status = 200, description = "Signed in: the user and when the session expires, as `GET /api/auth/me` answers", body = SessionInfo),
        (status = 204, description = "Not signed in (no session cookie, or its session has ended)"),
        (status = 503, description = "The database is unavailable: whether I am signed in is not known", body = ErrorBody),
    ))]
/// `GET /api/auth/me` for a page that doesn't know yet whether it is signed in: "no" is an
/// answer (204), not a failure, so a signed-out start logs no error in the browser's console.
/// Any other failure (the database down) stays one: it must not read as signed out.
pub async fn session(auth: Result<Authenticated, AppError>) -> AppResult<HttpResponse> {
    match auth {
        Ok(auth) => Ok(HttpResponse::Ok().json(me(auth).await.into_inner())),
        Err(AppError::Unauthorized) => Ok(HttpResponse::NoContent().finish()),
        Err(other) => Err(other),
    }
}

#[utoipa::path(patch, path = "/api/auth/me", tag = "auth", request_body = UpdateProfileRequest, security(("session" = [])),
    responses(
        (status = 200, description = "My display name changed; everyone I share a chat with, and my other tabs, get `user_updated`", body = SessionInfo),
        JsonBody, SameSite, SignedIn,
    ))]
pub async fn update_profile(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: web::Json<UpdateProfileRequest>,
) -> AppResult<web::Json<SessionInfo>> {
    Ok(web::Json(services::profile::update(&state, &auth, body.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/auth/sessions", tag = "auth", security(("session" = [])),
    responses(
        (status = 200, description = "My unexpired sessions, most recently used first; the asking one has `current: true`", body = [ActiveSession]),
        SignedIn,
    ))]
pub async fn sessions(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> AppResult<web::Json<Vec<ActiveSession>>> {
    Ok(web::Json(services::auth::list_sessions(&state, &auth).await?))
}

#[utoipa::path(delete, path = "/api/auth/sessions/{session_id}", tag = "auth", security(("session" = [])),
    params(("session_id" = SessionId, Path, description = "Session id, from `GET /api/auth/sessions`")),
    responses(
        (status = 204, description = "Session ended, its sockets closed; when it was the asking session, the cookie is cleared too"),
        (status = 404, description = "No such session of mine", body = ErrorBody),
        SameSite, SignedIn,
    ))]
pub async fn revoke_session(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<SessionId>,
) -> AppResult<HttpResponse> {
    Ok(match services::auth::revoke_session(&state, &auth, path.into_inner()).await? {
        Revoked::Current => signed_out(&state),
        Revoked::Other => HttpResponse::NoContent().finish(),
    })
}

#[utoipa::path(post, path = "/api/auth/sessions/revoke-others", tag = "auth", security(("session" = [])),
    responses(
        (status = 200, description = "Every other session of mine ended, their sockets closed; this one stays", body = RevokedSessions),
        SameSite, SignedIn,
    ))]
pub async fn revoke_other_sessions(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> AppResult<web::Json<RevokedSessions>> {
    let revoked = services::auth::revoke_other_sessions(&state, &auth).await?;
    Ok(web::Json(RevokedSessions { revoked }))
}

#[utoipa::path(post, path = "/api/auth/password", tag = "auth", request_body = ChangePasswordRequest, security(("session" = [])),
    responses(
        (status = 204, description = "Password changed (or set, on an account made by an identity provider, which needs no `current_password`); every other session ended, their sockets closed; this one stays"),
        (status = 403, description = "The current password is wrong (nothing changed), or sent from a page of another site", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords for this account, here or at login (`RATE_LOGIN_FAILURES`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until it is allowed again"))),
        JsonBody, SignedIn,
    ))]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: web::Json<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    services::auth::change_password(&state, &auth, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// 204 with a cookie that tells the browser to forget its ended session.
fn signed_out(state: &AppState) -> HttpResponse {
    HttpResponse::NoContent().cookie(token::removal_cookie(state.settings.cookie_secure)).finish()
}

fn with_session_cookie(
    mut response: HttpResponseBuilder,
    state: &AppState,
    session: NewSession,
) -> HttpResponse {
    let cookie = token::cookie(session.token, state.settings.cookie_secure, state.settings.session_ttl);
    response.cookie(cookie).json(session.info)
}
