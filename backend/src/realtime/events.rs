//! The one door for live events: services hand every event to [`Events`], which delivers
//! it to this node's sockets (through the [`Hub`]) and publishes it once on the Redis
//! [`Bus`] for the other nodes. Services never reach into the hub.
//!
//! - Chat events go out on the chat's channel, user events on each recipient's channel;
//!   a node subscribes only to the chats and users of its own connections.
//! - Each event is encoded once here and once per receiving node (the JSON body crosses
//!   Redis as-is); sockets share that one buffer.
//! - Events that carry a chat's change number pass through the [`Sequencer`]
//!   (promise 11), local and remote alike.
//! - Local delivery never waits on Redis: with Redis gone a node keeps serving its own
//!   clients, and when Redis returns they are told to `resync` (promise 4).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytestring::ByteString;
use confab_shared::ws::ServerEvent;
use confab_shared::{ChatId, UserId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::bus::{Bus, Channel, Inbound};
use super::hub::{Hub, SessionKey};
use super::order::{Admitted, Sequencer};
use crate::metrics;

/// How long an event waits for a missing predecessor before it is delivered anyway.
const ORDER_HOLD: Duration = Duration::from_millis(300);

/// A membership change that an event announces: the node that hosts `user` starts or
/// stops listening to the chat.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Membership {
    pub chat: ChatId,
    pub user: UserId,
    pub joined: bool,
}

/// An encoded event and who gets it.
struct Delivery {
    to: Vec<UserId>,
    text: ByteString,
    membership: Option<Membership>,
}

/// What crosses Redis in front of the event's JSON (one line of JSON, then `\n`, then the
/// event exactly as sockets receive it).
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    node: String,
    #[serde(default)]
    to: Vec<UserId>,
    #[serde(default)]
    order: Option<(ChatId, i64)>,
    #[serde(default)]
    membership: Option<Membership>,
    /// Close every socket of this session (hex SHA-256 of its token): promise 6 across nodes.
    #[serde(default)]
    end_session: Option<String>,
}

/// Which chats and users this node listens to: the local users (with their connection
/// count) and the chats they are members of.
#[derive(Default)]
struct Subscriptions {
    connections: HashMap<UserId, usize>,
    chats_of: HashMap<UserId, HashSet<ChatId>>,
    local_members: HashMap<ChatId, HashSet<UserId>>,
}

impl Subscriptions {
    fn join_chat(&mut self, chat: ChatId, user: UserId) -> Option<Channel> {
        let chats = self.chats_of.get_mut(&user)?;
        chats.insert(chat);
        let members = self.local_members.entry(chat).or_default();
        let first = members.is_empty();
        members.insert(user);
        first.then_some(Channel::Chat(chat))
    }

    fn leave_chat(&mut self, chat: ChatId, user: UserId) -> Option<Channel> {
        self.chats_of.get_mut(&user)?.remove(&chat);
        let members = self.local_members.get_mut(&chat)?;
        members.remove(&user);
        if members.is_empty() {
            self.local_members.remove(&chat);
            return Some(Channel::Chat(chat));
        }
        None
    }
}

pub struct Events {
    node: String,
    hub: Hub,
    order: Sequencer<Delivery>,
    bus: Option<Bus>,
    subscriptions: Mutex<Subscriptions>,
}

impl Events {
    /// Local delivery only, or local plus the Redis bus at `redis_url`. Spawns the tasks
    /// that receive from the bus and give up on lost predecessors.
    pub fn start(node: String, redis_url: Option<&str>) -> Arc<Self> {
        let (inbound_tx, inbound_rx) = mpsc::channel(4096);
        let bus = redis_url.and_then(|url| Bus::start(url, inbound_tx));
        let events = Arc::new(Self {
            node,
            hub: Hub::new(),
            order: Sequencer::new(ORDER_HOLD),
            bus,
            subscriptions: Mutex::default(),
        });
        tokio::spawn(receive(Arc::downgrade(&events), inbound_rx));
        tokio::spawn(expire_holds(Arc::downgrade(&events)));
        events
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// A chat event for `members` (those still members when it happened).
    pub fn to_chat(&self, chat: ChatId, members: &[UserId], event: &ServerEvent) {
        metrics::events_published("chat");
        let delivery = Delivery {
            to: members.to_vec(),
            text: ByteString::from(event.to_json()),
            membership: membership_of(event, None),
        };
        let order = change_order(event);
        if let Some(bus) = &self.bus {
            let header = Header {
                node: self.node.clone(),
                to: delivery.to.clone(),
                order,
                membership: delivery.membership,
                end_session: None,
            };
            bus.publish(Channel::Chat(chat), envelope(&header, &delivery.text));
        }
        self.deliver(order, delivery);
    }

    /// An event for each of `users` on their own (their channel each).
    pub fn to_users(&self, users: &[UserId], event: &ServerEvent) {
        metrics::events_published("users");
        let text = ByteString::from(event.to_json());
        for user in users {
            let delivery = Delivery {
                to: vec![*user],
                text: text.clone(),
                membership: membership_of(event, Some(*user)),
            };
            if let Some(bus) = &self.bus {
                let header = Header {
                    node: self.node.clone(),
                    to: vec![*user],
                    order: None,
                    membership: delivery.membership,
                    end_session: None,
                };
                bus.publish(Channel::User(*user), envelope(&header, &text));
            }
            self.deliver(None, delivery);
        }
    }

    /// Promise 6 on every node: closes every socket opened with this session.
    pub fn end_session(&self, user: UserId, session: &SessionKey) {
        self.hub.close_session(session);
        if let Some(bus) = &self.bus {
            let header = Header {
                node: self.node.clone(),
                to: Vec::new(),
                order: None,
                membership: None,
                end_session: Some(hex::encode(session)),
            };
            bus.publish(Channel::User(user), envelope(&header, &ByteString::new()));
        }
    }

    /// A connection of `user` opened; `chats` are the user's chats with their
    /// `last_change`. When it is the user's first here, the node starts listening to them,
    /// and returns once Redis confirmed, so the client's catch-up that follows `ready`
    /// misses nothing (subscribe first, fetch second: promise 4).
    pub async fn connected(&self, user: UserId, chats: Vec<(ChatId, i64)>) {
        for (chat, last_change) in &chats {
            self.order.expect(*chat, last_change + 1);
        }
        let new_channels = {
            let mut subs = lock(&self.subscriptions);
            let count = subs.connections.entry(user).or_default();
            *count += 1;
            if *count > 1 {
                return;
            }
            subs.chats_of.insert(user, HashSet::new());
            let mut channels = vec![Channel::User(user)];
            channels.extend(chats.into_iter().filter_map(|(chat, _)| subs.join_chat(chat, user)));
            channels
        };
        if let Some(bus) = &self.bus {
            bus.subscribe(new_channels).await;
        }
    }

    /// A connection of `user` closed; after their last, the node stops listening for them.
    pub fn disconnected(&self, user: UserId) {
        let gone = {
            let mut subs = lock(&self.subscriptions);
            let Some(count) = subs.connections.get_mut(&user) else { return };
            *count -= 1;
            if *count > 0 {
                return;
            }
            subs.connections.remove(&user);
            let chats = subs.chats_of.get(&user).cloned().unwrap_or_default();
            let mut gone: Vec<Channel> =
                chats.into_iter().filter_map(|chat| subs.leave_chat(chat, user)).collect();
            subs.chats_of.remove(&user);
            gone.push(Channel::User(user));
            gone
        };
        if let Some(bus) = &self.bus {
            bus.unsubscribe(gone);
        }
    }

    /// Delivery on this node, through the sequencer when the event is ordered.
    fn deliver(&self, order: Option<(ChatId, i64)>, delivery: Delivery) {
        match order {
            Some((chat, change)) => match self.order.admit(chat, change, delivery, |d| self.apply(d)) {
                Admitted::InOrder => {}
                Admitted::Held => metrics::events_reordered("held"),
                Admitted::Late => metrics::events_reordered("late"),
            },
            None => self.apply(delivery),
        }
    }

    fn apply(&self, delivery: Delivery) {
        if let Some(m) = delivery.membership {
            let channel = {
                let mut subs = lock(&self.subscriptions);
                if m.joined { subs.join_chat(m.chat, m.user) } else { subs.leave_chat(m.chat, m.user) }
            };
            if let (Some(channel), Some(bus)) = (channel, &self.bus) {
                if m.joined {
                    bus.subscribe_later(vec![channel]);
                } else {
                    bus.unsubscribe(vec![channel]);
                }
            }
        }
        if !delivery.text.is_empty() {
            let sockets = self.hub.deliver(&delivery.to, &delivery.text);
            metrics::events_delivered(sockets);
        }
    }

    /// An envelope from another node.
    fn receive(&self, payload: &[u8]) {
        let Some(newline) = payload.iter().position(|b| *b == b'\n') else { return };
        let header: Header = match serde_json::from_slice(&payload[..newline]) {
            Ok(header) => header,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable bus envelope ignored");
                return;
            }
        };
        if header.node == self.node {
            return;
        }
        if let Some(session) = header.end_session.as_deref().and_then(|h| hex::decode(h).ok()) {
            if let Ok(session) = SessionKey::try_from(session.as_slice()) {
                self.hub.close_session(&session);
            }
            return;
        }
        let Ok(text) = ByteString::try_from(payload[newline + 1..].to_vec()) else { return };
        self.deliver(header.order, Delivery { to: header.to, text, membership: header.membership });
    }

    /// Redis came back after an outage and the bus listens again: whatever crossed nodes
    /// meanwhile was lost, so every local client catches up (promise 4).
    fn resync(&self) {
        self.hub.deliver_to_all(&ByteString::from(ServerEvent::Resync {}.to_json()));
    }
}

/// Chat events that carry the chat's change number: the ones promise 11 orders.
fn change_order(event: &ServerEvent) -> Option<(ChatId, i64)> {
    match event {
        ServerEvent::MessageCreated { message } | ServerEvent::MessageUpdated { message } => {
            Some((message.chat_id, message.change_seq))
        }
        ServerEvent::MessageDeleted { chat_id, change_seq, .. }
        | ServerEvent::ReactionsChanged { chat_id, change_seq, .. } => Some((*chat_id, *change_seq)),
        _ => None,
    }
}

/// The membership change an event announces (to `recipient`, for user events).
fn membership_of(event: &ServerEvent, recipient: Option<UserId>) -> Option<Membership> {
    match event {
        ServerEvent::ChatCreated { chat } => {
            recipient.map(|user| Membership { chat: chat.id, user, joined: true })
        }
        ServerEvent::MemberAdded { chat_id, user } => {
            Some(Membership { chat: *chat_id, user: user.id, joined: true })
        }
        ServerEvent::MemberRemoved { chat_id, user_id } => {
            Some(Membership { chat: *chat_id, user: *user_id, joined: false })
        }
        _ => None,
    }
}

fn envelope(header: &Header, text: &ByteString) -> Vec<u8> {
    let mut out = serde_json::to_vec(header).unwrap_or_default();
    out.push(b'\n');
    out.extend_from_slice(text.as_bytes());
    out
}

async fn receive(events: std::sync::Weak<Events>, mut inbound: mpsc::Receiver<Inbound>) {
    while let Some(message) = inbound.recv().await {
        let Some(events) = events.upgrade() else { return };
        match message {
            Inbound::Message(payload) => events.receive(&payload),
            Inbound::Reconnected => events.resync(),
        }
    }
}

async fn expire_holds(events: std::sync::Weak<Events>) {
    let mut tick = tokio::time::interval(ORDER_HOLD / 3);
    loop {
        tick.tick().await;
        let Some(events) = events.upgrade() else { return };
        let gaps = events.order.expire(|d| events.apply(d));
        if gaps > 0 {
            metrics::order_gaps(gaps);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
