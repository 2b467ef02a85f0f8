//! Typing indicators are relayed at most once per [`TYPING_THROTTLE`] per user and chat,
//! whatever the number of tabs: a held-down key cannot flood the other members.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use confab_shared::{ChatId, UserId};

pub const TYPING_THROTTLE: Duration = Duration::from_secs(2);

/// Entries older than the throttle are pruned once the map grows past this.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct TypingThrottle {
    last_relayed: Mutex<HashMap<(UserId, ChatId), Instant>>,
}

impl TypingThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether this `typing` should be relayed now (and if so, it counts as relayed).
    pub fn allow(&self, user: UserId, chat: ChatId) -> bool {
        let now = Instant::now();
        let mut last = self.last_relayed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.get(&(user, chat)).is_some_and(|at| now.duration_since(*at) < TYPING_THROTTLE) {
            return false;
        }
        if last.len() > PRUNE_ABOVE {
            last.retain(|_, at| now.duration_since(*at) < TYPING_THROTTLE);
        }
        last.insert((user, chat), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn one_relay_per_user_and_chat_within_the_window() {
        let throttle = TypingThrottle::new();
        let (alice, bob) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
        let (chat, other) = (ChatId(Uuid::new_v4()), ChatId(Uuid::new_v4()));
        assert!(throttle.allow(alice, chat));
        assert!(!throttle.allow(alice, chat));
        assert!(throttle.allow(alice, other));
        assert!(throttle.allow(bob, chat));
    }
}
