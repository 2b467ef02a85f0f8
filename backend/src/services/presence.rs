//! Presence announcements (promise 10): who hears that a user came online or went
//! offline, and the snapshot a new connection starts with — across nodes.
//!
//! Each node runs the state machine of `realtime::presence` for its own connections
//! (online while any is open, offline only after the grace window) and mirrors it in
//! Redis as a claim with a TTL (`cache::presence`). A user comes online when the first
//! node claims them and goes offline when the last claim goes: a tab on another node
//! keeps them online, so moving between nodes never flaps. A node that dies stops renewing
//! its claims; once it has been silent for the TTL plus the grace window, a live node
//! reaps it and announces its users offline. Without Redis each node announces from its
//! own view, as a single node does.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use confab_shared::ws::ServerEvent;
use confab_shared::{ChatId, UserId};

use crate::db::chats;
use crate::error::AppResult;
use crate::state::AppState;

/// The people a user shares chats with, chat by chat: one query serves a new socket's
/// subscriptions, its presence snapshot and the announcement that the user came online.
pub struct Circle {
    user: UserId,
    by_chat: Vec<(ChatId, Vec<UserId>)>,
    /// Each chat's change number when loaded (see `Events::connected`).
    last_changes: Vec<(ChatId, i64)>,
}

impl Circle {
    pub async fn load(state: &AppState, user: UserId) -> AppResult<Self> {
        let mut conn = state.conn().await?;
        let mut by_chat: HashMap<ChatId, Vec<UserId>> = HashMap::new();
        for (chat, member) in chats::circle(&mut conn, user.0).await? {
            by_chat.entry(ChatId(chat)).or_default().push(UserId(member));
        }
        let ids: Vec<uuid::Uuid> = by_chat.keys().map(|c| c.0).collect();
        let last_changes = chats::last_changes(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|(id, change)| (ChatId(id), change))
            .collect();
        Ok(Self { user, by_chat: by_chat.into_iter().collect(), last_changes })
    }

    /// The user's chats, each with its change number when loaded.
    pub fn chats(&self) -> Vec<(ChatId, i64)> {
        self.last_changes.clone()
    }

    /// Everyone the user shares a chat with, once each.
    pub fn contacts(&self) -> Vec<UserId> {
        self.audiences().into_iter().flat_map(|(_, users)| users).collect()
    }

    /// Tells every contact `event` once: one chat event per shared chat (one publish
    /// each, reaching them on whichever node), not one per contact.
    pub fn tell(&self, state: &AppState, event: &ServerEvent) {
        for (chat, audience) in self.audiences() {
            state.events.to_chat(chat, &audience, event);
        }
    }

    /// Each contact once, under the first of their shared chats.
    fn audiences(&self) -> Vec<(ChatId, Vec<UserId>)> {
        let mut told = HashSet::from([self.user]);
        self.by_chat
            .iter()
            .map(|(chat, members)| {
                (*chat, members.iter().copied().filter(|m| told.insert(*m)).collect::<Vec<_>>())
            })
            .filter(|(_, audience)| !audience.is_empty())
            .collect()
    }
}

/// A connection opened: announce the user if they just came online (here and everywhere).
pub async fn connected(state: &AppState, circle: &Circle) {
    let user = circle.user;
    if !state.presence.connect(user) {
        return;
    }
    let node = state.events.node();
    let online_elsewhere = state.cache.presence_claim(user, node, claim_ttl_ms(state)).await;
    if online_elsewhere != Some(true) {
        circle.tell(state, &ServerEvent::Presence { user_id: user, online: true, last_seen: None });
    }
}

/// A connection closed: if it was the user's last here, wait out the grace window, then
/// give up this node's claim and announce them offline unless they are connected
/// elsewhere or came back.
pub fn disconnected(state: actix_web::web::Data<AppState>, user: UserId) {
    let Some(generation) = state.presence.disconnect(user) else { return };
    actix_web::rt::spawn(async move {
        tokio::time::sleep(state.settings.presence_grace).await;
        let Some(last_seen) = state.presence.expire(user, generation) else { return };
        let online_elsewhere = state.cache.presence_release(user, state.events.node(), last_seen).await;
        if online_elsewhere != Some(true) {
            went_offline(&state, user, last_seen).await;
        }
    });
}

async fn went_offline(state: &AppState, user: UserId, last_seen: DateTime<Utc>) {
    let event = ServerEvent::Presence { user_id: user, online: false, last_seen: Some(last_seen) };
    match Circle::load(state, user).await {
        Ok(circle) => circle.tell(state, &event),
        Err(e) => tracing::warn!(error = %e, "could not announce offline"),
    }
}

/// Renews this node's claims and reaps dead nodes, every third of the claim TTL, forever.
pub async fn heartbeat(state: actix_web::web::Data<AppState>) {
    let ttl = state.settings.presence_ttl;
    let mut tick = tokio::time::interval((ttl / 3).max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let users = state.presence.claimed_users();
        if !state.cache.presence_heartbeat(state.events.node(), &users, claim_ttl_ms(&state)).await {
            continue;
        }
        let silent = ttl + state.settings.presence_grace;
        let silent_ms = i64::try_from(silent.as_millis()).unwrap_or(i64::MAX);
        for (node, last_beat, users) in state.cache.presence_take_dead_nodes(silent_ms).await {
            tracing::warn!(%node, users = users.len(), "node stopped beating; its users go offline");
            for user in users {
                if state.cache.presence_release(user, &node, last_beat).await == Some(false)
                    && !state.presence.is_online(user)
                {
                    went_offline(&state, user, last_beat).await;
                }
            }
        }
    }
}

/// The presence of everyone the user shares a chat with, for a new connection.
pub async fn snapshot(state: &AppState, circle: &Circle) -> Vec<ServerEvent> {
    let contacts = circle.contacts();
    let statuses = statuses(state, &contacts).await;
    contacts
        .into_iter()
        .zip(statuses)
        .map(|(user_id, (online, last_seen))| ServerEvent::Presence { user_id, online, last_seen })
        .collect()
}

/// Online anywhere (this node's view, or any node's claim in Redis) and last seen.
async fn statuses(state: &AppState, users: &[UserId]) -> Vec<(bool, Option<DateTime<Utc>>)> {
    let cluster = state.cache.presence_of(users).await;
    users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let local = (state.presence.is_online(*user), state.presence.last_seen(*user));
            match cluster.as_ref().and_then(|c| c.get(i)) {
                Some((online, seen)) => (*online || local.0, seen.or(local.1)),
                None => local,
            }
        })
        .collect()
}

/// People who just started sharing a chat (a new chat, or a member added) learn each
/// other's presence at once, without waiting for a reconnect's snapshot. Linear in the
/// group: each person's presence is looked up and encoded once and goes to the others as
/// one chat event.
pub async fn introduce(state: &AppState, chat_id: ChatId, newcomers: &[UserId], members: &[UserId]) {
    let statuses = statuses(state, members).await;
    for (subject, (online, last_seen)) in members.iter().zip(statuses) {
        let event = ServerEvent::Presence { user_id: *subject, online, last_seen };
        // A newcomer hears about everyone; the others only about the newcomers.
        let audience: Vec<UserId> = if newcomers.contains(subject) {
            members.iter().copied().filter(|m| m != subject).collect()
        } else {
            newcomers.to_vec()
        };
        state.events.to_chat(chat_id, &audience, &event);
    }
}

/// How long a claim lives without renewal.
fn claim_ttl_ms(state: &AppState) -> i64 {
    i64::try_from(state.settings.presence_ttl.as_millis()).unwrap_or(i64::MAX)
}
