//! Presence announcements (promise 10): who hears that a user came online or went
//! offline, and the snapshot a new connection starts with.

use confab_shared::ws::ServerEvent;
use confab_shared::{ChatId, UserId};

use crate::db::chats;
use crate::error::AppResult;
use crate::state::AppState;

/// A connection opened: announce the user if they just came online.
pub async fn connected(state: &AppState, user: UserId) -> AppResult<()> {
    if state.presence.connect(user) {
        announce(state, user, ServerEvent::Presence { user_id: user, online: true, last_seen: None }).await?;
    }
    Ok(())
}

/// A connection closed: if it was the user's last, wait out the grace window and announce
/// them offline unless they came back.
pub fn disconnected(state: actix_web::web::Data<AppState>, user: UserId) {
    let Some(generation) = state.presence.disconnect(user) else { return };
    actix_web::rt::spawn(async move {
        tokio::time::sleep(state.settings.presence_grace).await;
        if let Some(last_seen) = state.presence.expire(user, generation) {
            let event = ServerEvent::Presence { user_id: user, online: false, last_seen: Some(last_seen) };
            if let Err(e) = announce(&state, user, event).await {
                tracing::warn!(error = %e, "could not announce offline");
            }
        }
    });
}

/// The presence of everyone the user shares a chat with, for a new connection.
pub async fn snapshot(state: &AppState, user: UserId) -> AppResult<Vec<ServerEvent>> {
    let mut conn = state.db.get().await?;
    let contacts = chats::contacts(&mut conn, user.0).await?;
    Ok(contacts
        .into_iter()
        .map(UserId)
        .map(|id| ServerEvent::Presence {
            user_id: id,
            online: state.presence.is_online(id),
            last_seen: state.presence.last_seen(id),
        })
        .collect())
}

async fn announce(state: &AppState, user: UserId, event: ServerEvent) -> AppResult<()> {
    let mut conn = state.db.get().await?;
    let contacts: Vec<UserId> = chats::contacts(&mut conn, user.0).await?.into_iter().map(UserId).collect();
    state.events.to_users(&contacts, &event);
    Ok(())
}

/// People who just started sharing a chat (a new chat, or a member added) learn each
/// other's presence at once, without waiting for a reconnect's snapshot. Linear in the
/// group: each person's presence is encoded once and goes to the others as one chat event.
pub fn introduce(state: &AppState, chat_id: ChatId, newcomers: &[UserId], members: &[UserId]) {
    for subject in members {
        let event = ServerEvent::Presence {
            user_id: *subject,
            online: state.presence.is_online(*subject),
            last_seen: state.presence.last_seen(*subject),
        };
        // A newcomer hears about everyone; the others only about the newcomers.
        let audience: Vec<UserId> = if newcomers.contains(subject) {
            members.iter().copied().filter(|m| m != subject).collect()
        } else {
            newcomers.to_vec()
        };
        state.events.to_chat(chat_id, &audience, &event);
    }
}
