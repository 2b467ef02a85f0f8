//! Presence (promise 10) as a small state machine per user, kept in memory on this node:
//! never a database write per connect or disconnect.
//!
//! A user is online while any of their connections is open. When the last one closes the
//! user is *leaving*: still shown online, and a timer of the grace window starts. A new
//! connection within the window cancels it silently (a reload never flaps); otherwise the
//! timer's `expire` turns the user offline and the caller announces it.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use confab_shared::UserId;

#[derive(Debug, Clone, Copy)]
enum State {
    Online {
        connections: usize,
    },
    /// The last connection closed; `generation` identifies the pending timer.
    Leaving {
        generation: u64,
        since: DateTime<Utc>,
    },
    Offline {
        last_seen: DateTime<Utc>,
    },
}

#[derive(Default)]
pub struct Presence {
    users: Mutex<HashMap<UserId, State>>,
    next_generation: std::sync::atomic::AtomicU64,
}

impl Presence {
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection opened. Returns `true` if the user just came online (announce it).
    pub fn connect(&self, user: UserId) -> bool {
        let mut users = self.lock();
        let state = users.entry(user).or_insert(State::Offline { last_seen: Utc::now() });
        let (next, came_online) = match *state {
            State::Online { connections } => (State::Online { connections: connections + 1 }, false),
            State::Leaving { .. } => (State::Online { connections: 1 }, false),
            State::Offline { .. } => (State::Online { connections: 1 }, true),
        };
        *state = next;
        came_online
    }

    /// A connection closed. Returns the generation of the grace timer to start when it was
    /// the user's last connection.
    pub fn disconnect(&self, user: UserId) -> Option<u64> {
        let mut users = self.lock();
        let state = users.get_mut(&user)?;
        match *state {
            State::Online { connections } if connections > 1 => {
                *state = State::Online { connections: connections - 1 };
                None
            }
            State::Online { .. } => {
                let generation = self.next_generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                *state = State::Leaving { generation, since: Utc::now() };
                Some(generation)
            }
            State::Leaving { .. } | State::Offline { .. } => None,
        }
    }

    /// The grace window of timer `generation` ended. Returns when the user was last seen if
    /// they are now offline (announce it); `None` if they came back meanwhile.
    pub fn expire(&self, user: UserId, generation: u64) -> Option<DateTime<Utc>> {
        let mut users = self.lock();
        let state = users.get_mut(&user)?;
        match *state {
            State::Leaving { generation: pending, since } if pending == generation => {
                *state = State::Offline { last_seen: since };
                Some(since)
            }
            _ => None,
        }
    }

    /// Users this node claims in Redis: online here, or leaving within the grace window.
    pub fn claimed_users(&self) -> Vec<UserId> {
        self.lock()
            .iter()
            .filter(|(_, state)| matches!(state, State::Online { .. } | State::Leaving { .. }))
            .map(|(user, _)| *user)
            .collect()
    }

    /// Online, or leaving within the grace window.
    pub fn is_online(&self, user: UserId) -> bool {
        matches!(self.lock().get(&user), Some(State::Online { .. } | State::Leaving { .. }))
    }

    /// When an offline user was last connected, if this node saw them.
    pub fn last_seen(&self, user: UserId) -> Option<DateTime<Utc>> {
        match self.lock().get(&user) {
            Some(State::Offline { last_seen }) => Some(*last_seen),
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, State>> {
        self.users.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn online_with_any_connection_and_offline_only_after_the_grace_timer() {
        let presence = Presence::new();
        let user = UserId(Uuid::new_v4());
        assert!(presence.connect(user));
        assert!(!presence.connect(user), "a second tab is not news");
        assert_eq!(presence.disconnect(user), None, "one tab is still open");
        let generation = presence.disconnect(user).unwrap();
        assert!(presence.is_online(user), "leaving users are shown online during the grace window");
        assert!(presence.expire(user, generation).is_some());
        assert!(!presence.is_online(user));
        assert!(presence.last_seen(user).is_some());
    }

    #[test]
    fn a_reconnect_within_the_grace_window_cancels_the_offline() {
        let presence = Presence::new();
        let user = UserId(Uuid::new_v4());
        presence.connect(user);
        let generation = presence.disconnect(user).unwrap();
        assert!(!presence.connect(user), "coming back is silent");
        assert_eq!(presence.expire(user, generation), None);
        assert!(presence.is_online(user));
        let later = presence.disconnect(user).unwrap();
        assert_eq!(presence.expire(user, generation), None, "a stale timer does nothing");
        assert!(presence.expire(user, later).is_some());
    }
}
