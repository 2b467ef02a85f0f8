//! Accounts and sessions: register, login, logout, and resolving a cookie to a user.

use anyhow::Context;
use chrono::Utc;
use confab_shared::api::{LoginRequest, RegisterRequest, SessionInfo};
use confab_shared::validate::{DisplayName, Password, Username};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::auth::{Authenticated, token};
use crate::db::models::{SessionRow, UserRow};
use crate::db::{sessions, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A new session: what the client is told, and the token for its cookie.
pub struct NewSession {
    pub info: SessionInfo,
    pub token: String,
}

pub async fn register(state: &AppState, req: RegisterRequest) -> AppResult<NewSession> {
    let username = Username::parse(&req.username)?;
    let password = Password::parse(&req.password)?;
    let display_name = match req.display_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => DisplayName::parse(name)?,
        None => DisplayName::parse(username.as_str())?,
    };
    let password_hash = state.hasher.hash(&password).await?;
    let row = UserRow {
        id: Uuid::new_v4(),
        username: username.into_inner(),
        display_name: display_name.into_inner(),
        password_hash,
        disabled: false,
        created_at: Utc::now(),
    };
    let mut conn = state.conn().await?;
    let user = match users::insert(&mut conn, &row).await {
        Ok(user) => user,
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            return Err(AppError::Conflict("that username is taken".into()));
        }
        Err(e) => return Err(e.into()),
    };
    drop(conn);
    start_session(state, &user).await
}

/// The same error, after the same work, for an unknown user and a wrong password.
pub async fn login(state: &AppState, req: LoginRequest) -> AppResult<NewSession> {
    let refused = || AppError::Unauthorized;
    let username = Username::parse(&req.username).ok();
    // Counted per account that could exist: a name that can't be one has no account to guess.
    if let Some(name) = &username {
        state.limits.check_login(name.as_str()).await?;
    }
    let user = match &username {
        Some(name) => {
            let mut conn = state.conn().await?;
            users::by_username(&mut conn, name.as_str()).await?.filter(|u| !u.disabled)
        }
        None => None,
    };
    let verified = state.hasher.verify(&req.password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    match user {
        Some(user) if verified => start_session(state, &user).await,
        _ => {
            if let Some(name) = &username {
                state.limits.login_failed(name.as_str()).await;
            }
            Err(refused())
        }
    }
}

/// Ends this session everywhere: the row, and its open sockets on every node.
pub async fn logout(state: &AppState, auth: &Authenticated) -> AppResult<()> {
    let mut conn = state.conn().await?;
    sessions::delete(&mut conn, &auth.token_hash).await?;
    state.events.end_session(auth.user_id(), &auth.token_hash);
    Ok(())
}

/// Promise 6: a token is valid while its row exists, has not expired and the user is
/// active. Read from PostgreSQL on every request (one primary-key probe), never from
/// Redis: a cached copy could outlive a logout whose cache delete failed, and revocation
/// must never depend on Redis (DESIGN, "Limits and abuse").
pub async fn authenticate(state: &AppState, token: &str) -> AppResult<Authenticated> {
    let token_hash = token::hash(token);
    let mut conn = state.conn().await?;
    let (session, user) =
        sessions::find_valid(&mut conn, &token_hash, Utc::now()).await?.ok_or(AppError::Unauthorized)?;
    Ok(Authenticated { user: user.to_api(), token_hash, expires_at: session.expires_at })
}

/// A fresh token on every login (promise 6), with the configured absolute lifetime.
async fn start_session(state: &AppState, user: &UserRow) -> AppResult<NewSession> {
    let token = token::generate();
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.settings.session_ttl).context("session TTL out of range")?;
    let row = SessionRow {
        token_hash: token::hash(&token).to_vec(),
        user_id: user.id,
        created_at: now,
        expires_at: now + ttl,
    };
    let mut conn = state.conn().await?;
    sessions::insert(&mut conn, &row).await?;
    Ok(NewSession { info: SessionInfo { user: user.to_api(), expires_at: row.expires_at }, token })
}

/// Whether an open socket's session still exists (re-checked on every heartbeat, so a
/// logout whose Redis broadcast was lost still ends the socket within one interval). An
/// unreachable database keeps the socket: a blip must not sign everyone out.
pub async fn session_alive(state: &AppState, token_hash: &[u8]) -> bool {
    let Ok(mut conn) = state.conn().await else { return true };
    !matches!(sessions::find_valid(&mut conn, token_hash, Utc::now()).await, Ok(None))
}
