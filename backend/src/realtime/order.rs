//! Promise 11 (live order): every connection receives a chat's events in change-number
//! order, whichever writer or node produced them.
//!
//! Each chat's changes are numbered gap-free in PostgreSQL (`chats.last_change`), but the
//! events reach a node from several places — its own writers, its request handlers, and
//! other nodes through Redis — and in whatever order those finish. The sequencer holds an
//! event that arrives ahead of its predecessor until the predecessor comes, then releases
//! both in order. A predecessor that never comes (a node died between commit and publish,
//! Redis dropped it) is given up after a short hold: the held events go out, and clients
//! fill the gap from PostgreSQL (promise 4).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use confab_shared::ChatId;

/// Chats idle this long are forgotten; the next event of such a chat starts its order anew.
const FORGET_AFTER: Duration = Duration::from_secs(120);

struct ChatOrder<T> {
    /// The change number expected next.
    next: i64,
    held: BTreeMap<i64, T>,
    /// When the oldest held event started waiting.
    waiting_since: Option<Instant>,
    last_seen: Instant,
}

/// Orders ordered events per chat. `deliver` runs under the sequencer's lock, so two
/// callers can't interleave a chat's deliveries.
pub struct Sequencer<T> {
    chats: Mutex<HashMap<ChatId, ChatOrder<T>>>,
    hold: Duration,
}

/// What [`Sequencer::admit`] did, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// In order: delivered (with any held successors).
    InOrder,
    /// Ahead of a missing predecessor: held.
    Held,
    /// Behind what was already delivered (its predecessor was given up on): delivered.
    Late,
}

impl<T> Sequencer<T> {
    pub fn new(hold: Duration) -> Self {
        Self { chats: Mutex::new(HashMap::new()), hold }
    }

    /// Tells the sequencer which change of `chat` comes next, when it does not know yet
    /// (a node that starts listening to a chat reads its `last_change` first). Without it,
    /// the first event seen sets the order, and one overtaken by it would go out late.
    pub fn expect(&self, chat: ChatId, next: i64) {
        lock(&self.chats).entry(chat).or_insert(ChatOrder {
            next,
            held: BTreeMap::new(),
            waiting_since: None,
            last_seen: Instant::now(),
        });
    }

    /// Admits the event numbered `change` of `chat`, calling `deliver` for everything that
    /// may go out now, in order.
    pub fn admit(&self, chat: ChatId, change: i64, item: T, mut deliver: impl FnMut(T)) -> Admitted {
        let now = Instant::now();
        let mut chats = lock(&self.chats);
        let order = chats.entry(chat).or_insert(ChatOrder {
            next: change,
            held: BTreeMap::new(),
            waiting_since: None,
            last_seen: now,
        });
        order.last_seen = now;
        if change < order.next {
            deliver(item);
            return Admitted::Late;
        }
        if change > order.next {
            order.held.insert(change, item);
            order.waiting_since.get_or_insert(now);
            return Admitted::Held;
        }
        deliver(item);
        order.next = change + 1;
        release_ready(order, &mut deliver);
        Admitted::InOrder
    }

    /// Gives up on predecessors that haven't come within the hold: what waited for them
    /// goes out in order. Returns how many gaps were given up on.
    pub fn expire(&self, mut deliver: impl FnMut(T)) -> usize {
        let now = Instant::now();
        let mut gaps = 0;
        let mut chats = lock(&self.chats);
        for order in chats.values_mut() {
            let overdue = order.waiting_since.is_some_and(|since| now.duration_since(since) >= self.hold);
            if !overdue {
                continue;
            }
            if let Some((&first, _)) = order.held.first_key_value() {
                gaps += 1;
                order.next = first;
                release_ready(order, &mut deliver);
            }
        }
        chats.retain(|_, order| !order.held.is_empty() || now.duration_since(order.last_seen) < FORGET_AFTER);
        gaps
    }
}

/// Delivers held events that are now next in line.
fn release_ready<T>(order: &mut ChatOrder<T>, deliver: &mut impl FnMut(T)) {
    while let Some(entry) = order.held.first_entry() {
        if *entry.key() != order.next {
            break;
        }
        deliver(entry.remove());
        order.next += 1;
    }
    order.waiting_since = if order.held.is_empty() { None } else { Some(Instant::now()) };
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every mutation is a single step, so a poisoned lock still holds consistent data.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn collect(seq: &Sequencer<i64>, chat: ChatId, changes: &[i64]) -> Vec<i64> {
        let mut out = Vec::new();
        for &c in changes {
            seq.admit(chat, c, c, |x| out.push(x));
        }
        out
    }

    #[test]
    fn events_out_of_order_are_released_in_order() {
        let seq = Sequencer::new(Duration::from_secs(60));
        let chat = ChatId(Uuid::new_v4());
        assert_eq!(collect(&seq, chat, &[5, 7, 8, 6, 9]), vec![5, 6, 7, 8, 9]);
    }

    #[test]
    fn an_expected_start_holds_an_event_that_overtook_its_predecessors() {
        let seq = Sequencer::new(Duration::from_secs(60));
        let chat = ChatId(Uuid::new_v4());
        seq.expect(chat, 1);
        assert_eq!(collect(&seq, chat, &[3, 1, 2]), vec![1, 2, 3]);
        seq.expect(chat, 1);
        assert_eq!(collect(&seq, chat, &[4]), vec![4], "a known chat keeps its place");
    }

    #[test]
    fn chats_are_ordered_independently() {
        let seq = Sequencer::new(Duration::from_secs(60));
        let (a, b) = (ChatId(Uuid::new_v4()), ChatId(Uuid::new_v4()));
        let mut out = Vec::new();
        seq.admit(a, 1, 1, |x| out.push(x));
        seq.admit(a, 3, 3, |x| out.push(x));
        seq.admit(b, 10, 10, |x| out.push(x));
        seq.admit(a, 2, 2, |x| out.push(x));
        assert_eq!(out, vec![1, 10, 2, 3]);
    }

    #[test]
    fn a_lost_predecessor_is_given_up_after_the_hold() {
        let seq = Sequencer::new(Duration::ZERO);
        let chat = ChatId(Uuid::new_v4());
        assert_eq!(collect(&seq, chat, &[1, 3, 4]), vec![1]);
        let mut out = Vec::new();
        assert_eq!(seq.expire(|x| out.push(x)), 1);
        assert_eq!(out, vec![3, 4]);
        assert_eq!(seq.admit(chat, 2, 2, |x| out.push(x)), Admitted::Late, "a straggler still goes out");
        assert_eq!(seq.admit(chat, 5, 5, |x| out.push(x)), Admitted::InOrder);
    }
}
