//! The hub: a registry of this node's open sockets by user, and fan-out to them.
//!
//! Each connection task owns its socket; the hub only holds, per connection, the sending
//! half of a bounded queue and a one-shot "kick" channel. Delivery never waits: an event
//! is encoded once and `try_send` to each queue, and a connection whose queue is full is
//! kicked (promise 9) so one slow reader cannot delay or grow memory for anyone else.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytestring::ByteString;
use confab_shared::UserId;
use tokio::sync::{mpsc, oneshot};

/// The session a socket was opened with (the SHA-256 of its token, as stored).
pub type SessionKey = [u8; 32];

/// Identifies one socket on this node.
pub type ConnId = u64;

/// Why the hub ends a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kick {
    /// Logout (or expiry): tell the client `session_expired`, then close.
    SessionEnded,
    /// Its outbound queue overflowed; the client reconnects and catches up (promise 4).
    TooSlow,
}

/// What a connection task gets when it registers.
pub struct Registration {
    pub id: ConnId,
    /// Encoded events to write to the socket, in order.
    pub outbound: mpsc::Receiver<ByteString>,
    /// Fires when the hub ends the connection.
    pub kicked: oneshot::Receiver<Kick>,
}

struct Entry {
    id: ConnId,
    session: SessionKey,
    queue: mpsc::Sender<ByteString>,
    kick: oneshot::Sender<Kick>,
}

#[derive(Default)]
pub struct Hub {
    next_id: AtomicU64,
    /// Short critical sections only: no `.await` while it is held.
    by_user: Mutex<HashMap<UserId, Vec<Entry>>>,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new connection of `user`, or `None` when they already have `max_per_user` on this
    /// node (0: no cap). Checked and taken under one lock, so parallel upgrades can't
    /// overshoot.
    pub fn register(
        &self,
        user: UserId,
        session: SessionKey,
        queue_size: usize,
        max_per_user: usize,
    ) -> Option<Registration> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, outbound) = mpsc::channel(queue_size.max(1));
        let (kick, kicked) = oneshot::channel();
        let mut by_user = self.lock();
        let entries = by_user.entry(user).or_default();
        if max_per_user > 0 && entries.len() >= max_per_user {
            return None;
        }
        entries.push(Entry { id, session, queue, kick });
        Some(Registration { id, outbound, kicked })
    }

    /// Forgets a connection. Returns `true` when it was the user's last one on this node.
    pub fn unregister(&self, user: UserId, id: ConnId) -> bool {
        let mut by_user = self.lock();
        let Some(entries) = by_user.get_mut(&user) else { return true };
        entries.retain(|e| e.id != id);
        if entries.is_empty() {
            by_user.remove(&user);
            return true;
        }
        false
    }

    /// Queues an encoded event for every connection of every user in `users` that is on
    /// this node (others are skipped). Returns how many connections it was queued for.
    /// The text is shared, not copied, per connection.
    pub fn deliver(&self, users: &[UserId], text: &ByteString) -> usize {
        let mut delivered = 0;
        let mut by_user = self.lock();
        for user in users {
            let Some(entries) = by_user.get_mut(user) else { continue };
            let mut i = 0;
            while i < entries.len() {
                match entries[i].queue.try_send(text.clone()) {
                    Ok(()) => {
                        delivered += 1;
                        i += 1;
                    }
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        let entry = entries.swap_remove(i);
                        tracing::warn!(conn = entry.id, user = %user, "outbound queue full; disconnecting slow client");
                        let _ = entry.kick.send(Kick::TooSlow);
                        crate::metrics::kick("too_slow");
                    }
                    // The task is gone and will unregister itself.
                    Err(mpsc::error::TrySendError::Closed(_)) => i += 1,
                }
            }
        }
        by_user.retain(|_, entries| !entries.is_empty());
        delivered
    }

    /// Queues an encoded event for every connection on this node.
    pub fn deliver_to_all(&self, text: &ByteString) {
        let users: Vec<UserId> = self.lock().keys().copied().collect();
        self.deliver(&users, text);
    }

    /// Promise 6: closes every socket opened with this session.
    pub fn close_session(&self, session: &SessionKey) {
        let mut by_user = self.lock();
        for entries in by_user.values_mut() {
            let (ended, kept): (Vec<Entry>, Vec<Entry>) =
                entries.drain(..).partition(|e| &e.session == session);
            *entries = kept;
            for entry in ended {
                let _ = entry.kick.send(Kick::SessionEnded);
                crate::metrics::kick("session_ended");
            }
        }
        by_user.retain(|_, entries| !entries.is_empty());
    }

    /// Open connections of `user` on this node.
    pub fn connection_count(&self, user: UserId) -> usize {
        self.lock().get(&user).map_or(0, Vec::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Vec<Entry>>> {
        // A panic while holding the lock cannot leave the map inconsistent (every
        // mutation is a single call), so a poisoned lock is still usable.
        self.by_user.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_shared::ws::ServerEvent;
    use uuid::Uuid;

    fn pong(nonce: u64) -> ServerEvent {
        ServerEvent::Pong { nonce }
    }

    impl Hub {
        fn send_to_users(&self, users: &[UserId], event: &ServerEvent) {
            self.deliver(users, &ByteString::from(event.to_json()));
        }
    }

    #[test]
    fn delivers_to_every_connection_of_the_named_users_only() {
        let hub = Hub::new();
        let (alice, bob) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
        let mut a1 = hub.register(alice, [1; 32], 8, 0).expect("no cap");
        let mut a2 = hub.register(alice, [2; 32], 8, 0).expect("no cap");
        let mut b = hub.register(bob, [3; 32], 8, 0).expect("no cap");
        hub.send_to_users(&[alice], &pong(1));
        assert_eq!(a1.outbound.try_recv().ok(), Some(ByteString::from(pong(1).to_json())));
        assert_eq!(a2.outbound.try_recv().ok(), Some(ByteString::from(pong(1).to_json())));
        assert!(b.outbound.try_recv().is_err());
    }

    #[test]
    fn a_full_queue_kicks_only_that_connection() {
        let hub = Hub::new();
        let user = UserId(Uuid::new_v4());
        let mut slow = hub.register(user, [1; 32], 1, 0).expect("no cap");
        let mut fast = hub.register(user, [2; 32], 8, 0).expect("no cap");
        hub.send_to_users(&[user], &pong(1));
        let _ = fast.outbound.try_recv();
        hub.send_to_users(&[user], &pong(2));
        assert_eq!(slow.kicked.try_recv(), Ok(Kick::TooSlow));
        assert!(fast.kicked.try_recv().is_err());
        assert_eq!(hub.connection_count(user), 1);
    }

    #[test]
    fn the_cap_refuses_one_more_connection_per_user_and_frees_a_slot_on_close() {
        let hub = Hub::new();
        let (alice, bob) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
        let first = hub.register(alice, [1; 32], 8, 2).expect("below the cap");
        let _second = hub.register(alice, [2; 32], 8, 2).expect("at the cap");
        assert!(hub.register(alice, [3; 32], 8, 2).is_none(), "past the cap");
        assert!(hub.register(bob, [4; 32], 8, 2).is_some(), "per user");
        hub.unregister(alice, first.id);
        assert!(hub.register(alice, [5; 32], 8, 2).is_some(), "a closed one frees its slot");
    }

    #[test]
    fn closing_a_session_kicks_its_sockets_and_keeps_others() {
        let hub = Hub::new();
        let user = UserId(Uuid::new_v4());
        let mut ended = hub.register(user, [1; 32], 8, 0).expect("no cap");
        let mut other = hub.register(user, [2; 32], 8, 0).expect("no cap");
        hub.close_session(&[1; 32]);
        assert_eq!(ended.kicked.try_recv(), Ok(Kick::SessionEnded));
        assert!(other.kicked.try_recv().is_err());
        assert_eq!(hub.connection_count(user), 1);
    }
}
