//! Accounts and sessions: register, login, logout, resolving a cookie to a user, listing
//! and revoking one's sessions, and changing one's password.

use anyhow::Context;
use chrono::Utc;
use confab_shared::api::{ActiveSession, ChangePasswordRequest, LoginRequest, RegisterRequest, SessionInfo};
use confab_shared::validate::{DisplayName, Password, Username};
use confab_shared::{SessionId, UserId};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::auth::token::TokenHash;
use crate::auth::{Authenticated, Presented, token};
use crate::db::models::{SessionRow, UserRow};
use crate::db::{sessions, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How much of a `User-Agent` a session keeps: enough to tell browsers apart.
const USER_AGENT_MAX: usize = 256;

/// How stale a session's `last_used_at` may get: it is written at most this often, so
/// recording use costs a write every few minutes per session, not one per request.
const LAST_USED_PRECISION: chrono::Duration = chrono::Duration::minutes(5);

/// A new session: what the client is told, and the token for its cookie.
pub struct NewSession {
    pub info: SessionInfo,
    pub token: String,
}

pub async fn register(state: &AppState, req: RegisterRequest, presented: Presented) -> AppResult<NewSession> {
    let username = Username::parse(&req.username)?;
    let password = Password::parse(&req.password)?;
    let display_name = match DisplayName::parse_optional(req.display_name.as_deref())? {
        Some(name) => name,
        None => DisplayName::parse(username.as_str())?,
    };
    let password_hash = state.hasher.hash(&password).await?;
    let row = UserRow {
        id: Uuid::new_v4(),
        username: username.into_inner(),
        display_name: display_name.into_inner(),
        password_hash: Some(password_hash),
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
    start_session(state, &user, presented).await
}

/// The same error, after the same work, for an unknown user and a wrong password.
pub async fn login(state: &AppState, req: LoginRequest, presented: Presented) -> AppResult<NewSession> {
    let refused = || AppError::WrongCredentials;
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
    // An account without a password (made by an identity provider) is refused like an
    // unknown one, after the same work.
    let verified =
        state.hasher.verify(&req.password, user.as_ref().and_then(|u| u.password_hash.clone())).await?;
    match user {
        Some(user) if verified => start_session(state, &user, presented).await,
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
    let now = Utc::now();
    let mut conn = state.conn().await?;
    let (session, user) =
        sessions::find_valid(&mut conn, &token_hash, now).await?.ok_or(AppError::Unauthorized)?;
    if now - session.last_used_at > LAST_USED_PRECISION {
        sessions::touch(&mut conn, &token_hash, now).await?;
    }
    Ok(Authenticated {
        user: user.to_api(),
        token_hash,
        expires_at: session.expires_at,
        has_password: user.password_hash.is_some(),
    })
}

/// My unexpired sessions, most recently used first, the one asking marked `current`.
pub async fn list_sessions(state: &AppState, auth: &Authenticated) -> AppResult<Vec<ActiveSession>> {
    let mut conn = state.conn().await?;
    let rows = sessions::of_user(&mut conn, auth.user_id().0, Utc::now()).await?;
    Ok(rows.into_iter().map(|row| session_view(row, &auth.token_hash)).collect())
}

/// What revoking a session by id did to the session that asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// Another session of mine ended.
    Other,
    /// The asking session itself ended (like a logout).
    Current,
}

/// Ends one of my sessions everywhere, like a logout from that browser. Someone else's
/// session id is `not_found`, the same as an unknown one.
pub async fn revoke_session(state: &AppState, auth: &Authenticated, id: SessionId) -> AppResult<Revoked> {
    let mut conn = state.conn().await?;
    let token_hash =
        sessions::delete_of_user(&mut conn, auth.user_id().0, id.0).await?.ok_or(AppError::NotFound)?;
    end_sockets(state, auth.user_id(), std::slice::from_ref(&token_hash));
    Ok(if token_hash == auth.token_hash { Revoked::Current } else { Revoked::Other })
}

/// Ends every session of mine but the asking one; returns how many ended.
pub async fn revoke_other_sessions(state: &AppState, auth: &Authenticated) -> AppResult<u64> {
    let mut conn = state.conn().await?;
    let ended = sessions::delete_others(&mut conn, auth.user_id().0, &auth.token_hash).await?;
    end_sockets(state, auth.user_id(), &ended);
    Ok(ended.len() as u64)
}

/// A new password, given the current one; an account without one (made by an identity
/// provider) sets its first with its session alone. Every other session ends (whoever
/// learnt the old password is signed out); the asking one stays. A wrong current password
/// is `forbidden`, not `unauthorized`: the session is fine, and clients take a 401 as
/// "signed out". It is a guess at the account's password all the same, so it counts
/// against the same per-account limit as a failed login.
pub async fn change_password(
    state: &AppState,
    auth: &Authenticated,
    req: ChangePasswordRequest,
) -> AppResult<()> {
    let new_password = Password::parse(&req.new_password)?;
    let username = auth.user.username.as_str();
    state.limits.check_login(username).await?;
    let user = {
        let mut conn = state.conn().await?;
        users::by_id(&mut conn, auth.user_id().0).await?.ok_or(AppError::Unauthorized)?
    };
    if let Some(current) = user.password_hash
        && !state.hasher.verify(&req.current_password, Some(current)).await?
    {
        state.limits.login_failed(username).await;
        return Err(AppError::Forbidden("the current password is wrong".into()));
    }
    let password_hash = state.hasher.hash(&new_password).await?;
    let mut conn = state.conn().await?;
    let ended = users::set_password(&mut conn, user.id, &password_hash, &auth.token_hash).await?;
    end_sockets(state, auth.user_id(), &ended);
    Ok(())
}

/// A fresh token on every login (promise 6), with the configured absolute lifetime. The
/// session the browser presented, if any, ends as this one starts.
pub async fn start_session(state: &AppState, user: &UserRow, presented: Presented) -> AppResult<NewSession> {
    let token = token::generate();
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.settings.session_ttl).context("session TTL out of range")?;
    let row = SessionRow {
        token_hash: token::hash(&token).to_vec(),
        user_id: user.id,
        created_at: now,
        expires_at: now + ttl,
        id: Uuid::new_v4(),
        user_agent: recorded_user_agent(presented.user_agent.as_deref()),
        last_used_at: now,
    };
    let mut conn = state.conn().await?;
    match presented.token {
        Some(previous) => {
            let previous = token::hash(&previous);
            if let Some(owner) = sessions::replace(&mut conn, &row, &previous).await? {
                state.events.end_session(UserId(owner), &previous);
            }
        }
        None => sessions::insert(&mut conn, &row).await?,
    }
    let info = SessionInfo {
        user: user.to_api(),
        expires_at: row.expires_at,
        has_password: user.password_hash.is_some(),
    };
    Ok(NewSession { info, token })
}

/// Whether an open socket's session still exists (re-checked on every heartbeat, so a
/// logout whose Redis broadcast was lost still ends the socket within one interval). An
/// unreachable database keeps the socket: a blip must not sign everyone out.
pub async fn session_alive(state: &AppState, token_hash: &[u8]) -> bool {
    let Ok(mut conn) = state.conn().await else { return true };
    !matches!(sessions::find_valid(&mut conn, token_hash, Utc::now()).await, Ok(None))
}

/// Closes the open sockets of ended sessions, on every node (promise 6).
fn end_sockets(state: &AppState, user: UserId, token_hashes: &[Vec<u8>]) {
    for hash in token_hashes {
        if let Ok(hash) = TokenHash::try_from(hash.as_slice()) {
            state.events.end_session(user, &hash);
        }
    }
}

fn session_view(row: SessionRow, current: &TokenHash) -> ActiveSession {
    ActiveSession {
        id: SessionId(row.id),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        current: row.token_hash == *current,
        user_agent: row.user_agent,
    }
}

/// The `User-Agent` as stored: printable ASCII only (what browsers send, and nothing that
/// could hide or reorder text where it is shown), at most [`USER_AGENT_MAX`] characters.
fn recorded_user_agent(raw: Option<&str>) -> String {
    raw.unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(USER_AGENT_MAX)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_stored_printable_and_short() {
        assert_eq!(recorded_user_agent(None), "");
        assert_eq!(recorded_user_agent(Some(" Firefox/128\u{7}\t ")), "Firefox/128");
        assert_eq!(recorded_user_agent(Some("evil\u{202e}gpj.exe é")), "evilgpj.exe");
        assert_eq!(recorded_user_agent(Some(&"x".repeat(1000))).len(), USER_AGENT_MAX);
    }
}
