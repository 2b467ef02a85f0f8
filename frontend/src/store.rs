//! The query cache: `session`, `chats` and `messages(chat)`. REST fills it, every
//! `ServerEvent` patches it in one place (`Store::apply`), and views only read it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use confab_shared::api::{Chat, Member, Message, MessagePage, Role, ServerLimits, User};
use confab_shared::limits::PAGE_LIMIT_MAX;
use confab_shared::ws::{ErrorEvent, Reaction, ServerEvent};
use confab_shared::{ApiError, ChatId, ClientId, ErrorCode, MessageId, UserId};
use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Page};
use crate::format;
use crate::uploads::{self, Upload, UploadId};

/// Messages fetched per history page.
const PAGE_SIZE: u32 = 50;
/// A typing indicator lasts this long after the last `typing` event.
pub const TYPING_TTL_MS: f64 = 5_000.0;

/// Who is signed in, as far as this tab knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    /// `GET /api/auth/me` has not answered yet.
    Loading,
    SignedOut,
    SignedIn(User),
}

/// The state of the realtime socket, shown by the connection indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    Offline,
}

impl Connection {
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Connecting => "connecting",
            Connection::Online => "online",
            Connection::Offline => "offline",
        }
    }
}

/// Where an optimistic send stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendState {
    /// Sent (or being sent); waiting for `message_created` with our `client_id`.
    Sending,
    /// An error or no acknowledgement in time; the text says which.
    Failed(String),
}

/// The message the composer's next message answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Replying {
    pub message_id: MessageId,
    pub sender: String,
    pub excerpt: String,
}

/// A message this tab sent that the server has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: ClientId,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub state: SendState,
    /// Bumped on every retry so a stale timeout cannot fail a newer attempt.
    pub attempt: u32,
    /// Files sent with it, still uploading or ready (`Store::uploads`).
    pub uploads: Vec<UploadId>,
    /// The message it answers.
    pub reply_to: Option<MessageId>,
    /// Failed for want of a connection (no answer, server unreachable): sent again by
    /// itself once the socket is back. A refusal (invalid, forbidden) waits for the user.
    pub retry_on_reconnect: bool,
}

/// One chat's messages: confirmed ones keyed by `seq` (promise 3: render by seq), then
/// this tab's pending sends keyed by `client_id`, in the order they were written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatMessages {
    pub by_seq: BTreeMap<i64, Message>,
    pub pending: Vec<Pending>,
    /// The newest page has been fetched; live events can be checked for gaps.
    pub loaded: bool,
    pub has_older: bool,
    pub loading_older: bool,
    /// A window around a message jumped to: newer messages than those held exist. Live
    /// messages past it are not kept (they would leave a hole); newer pages load as the
    /// reader scrolls down, and the last one makes the entry live again.
    pub has_newer: bool,
    pub loading_newer: bool,
    /// Missed events while the socket was down: catch up before trusting this entry.
    pub stale: bool,
    pub error: Option<String>,
    /// Promise 4: the chat's change position this entry is complete up to; everything
    /// changed after it is fetched from `/changes?since=last_change`.
    pub last_change: i64,
}

impl ChatMessages {
    /// The highest `seq` known, 0 when none.
    pub fn last_seq(&self) -> i64 {
        self.by_seq.keys().next_back().copied().unwrap_or(0)
    }

    pub fn first_seq(&self) -> Option<i64> {
        self.by_seq.keys().next().copied()
    }

    /// Merges a confirmed message; it replaces the pending row with its `client_id`.
    /// `seq` and `id` are both server-assigned and one-to-one within a chat, so the seq key
    /// merges by id too: a message seen in a page and in an event is kept once.
    pub fn merge(&mut self, message: Message) {
        self.pending.retain(|p| p.client_id != message.client_id);
        match self.by_seq.get(&message.seq) {
            // An older copy (a page read before a live event) never overwrites a newer one.
            Some(held) if held.change_seq > message.change_seq => {}
            _ => {
                self.by_seq.insert(message.seq, message);
            }
        }
    }

    /// A window of history around a message (an `around` page), complete up to the
    /// chat's change number `last_change`, with this tab's pending sends.
    fn window(page: MessagePage, last_change: i64, pending: Vec<Pending>) -> Self {
        let mut entry = Self {
            pending,
            loaded: true,
            has_older: page.has_more,
            has_newer: page.has_newer.unwrap_or(false),
            last_change,
            ..Self::default()
        };
        for message in page.messages {
            entry.merge(message);
        }
        entry
    }

    /// Merges a message from a change feed: history beyond what is held, older or (in a
    /// window) newer, stays out (it arrives fresh when that page is loaded), so the list
    /// never shows holes.
    fn merge_change(&mut self, message: Message) {
        let older = self.has_older && self.first_seq().is_some_and(|first| message.seq < first);
        let newer = self.has_newer && message.seq > self.last_seq();
        if !older && !newer {
            self.merge(message);
        }
    }

    /// Notes a live event's change number. `Some(since)` when changes were missed and
    /// must be fetched from `since`.
    fn note_change(&mut self, change_seq: i64) -> Option<i64> {
        if change_seq <= 0 {
            return None;
        }
        let missed =
            (self.loaded && !self.stale && change_seq > self.last_change + 1).then_some(self.last_change);
        if self.loaded && !self.stale {
            self.last_change = self.last_change.max(change_seq);
        }
        missed
    }

    fn message_mut(&mut self, id: MessageId) -> Option<&mut Message> {
        self.by_seq.values_mut().find(|m| m.id == id)
    }

    fn pending_mut(&mut self, client_id: ClientId) -> Option<&mut Pending> {
        self.pending.iter_mut().find(|p| p.client_id == client_id)
    }
}

/// The sidebar's chats, newest activity first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatList {
    pub chats: Vec<Chat>,
    pub loaded: bool,
    pub error: Option<String>,
}

impl ChatList {
    pub fn get(&self, id: ChatId) -> Option<&Chat> {
        self.chats.iter().find(|c| c.id == id)
    }

    /// Inserts or replaces `chat`; `to_front` when it has new activity.
    /// `chat_updated` carries what all members share (one event for everyone); my own
    /// read position and unread count stay as I know them.
    fn update_shared(&mut self, chat: Chat) {
        match self.chats.iter_mut().find(|c| c.id == chat.id) {
            Some(mine) => {
                *mine = Chat {
                    last_read_seq: mine.last_read_seq,
                    unread_count: mine.unread_count,
                    mention_count: mine.mention_count,
                    muted: mine.muted,
                    ..chat
                }
            }
            None => self.chats.insert(0, chat),
        }
    }

    /// Shows `user` as they are now wherever they are a member; `true` if that changed
    /// anything.
    fn update_user(&mut self, user: &User) -> bool {
        let members = self.chats.iter_mut().flat_map(|chat| chat.members.iter_mut());
        let mut changed = false;
        for member in members.filter(|member| member.user != *user && member.user.id == user.id) {
            member.user = user.clone();
            changed = true;
        }
        changed
    }

    fn upsert(&mut self, chat: Chat, to_front: bool) {
        match self.chats.iter().position(|c| c.id == chat.id) {
            Some(i) if !to_front => self.chats[i] = chat,
            Some(i) => {
                self.chats.remove(i);
                self.chats.insert(0, chat);
            }
            None => self.chats.insert(0, chat),
        }
    }
}

/// Work `apply` cannot do synchronously: fetches that repair the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    /// A chat we did not know about has activity.
    RefetchChats,
    /// Promise 4: a gap in `seq` or in change numbers means events were lost; fetch every
    /// change after `since`.
    CatchUp {
        chat_id: ChatId,
        since: i64,
    },
    /// Someone is typing: prune the indicator once it expires.
    ExpireTyping,
    /// A message from someone else: a browser notification if the tab is hidden.
    Notify {
        title: String,
        body: String,
        /// A direct message or a mention of me (Settings may notify only those).
        important: bool,
    },
    SignOut,
    /// The server may have lost live events: refetch as after a reconnect.
    Resync,
    /// My counts in a chat changed in a way only the server can tell: refetch it.
    RefreshChat(ChatId),
    /// A message this tab sent landed past the window on screen: show the newest.
    ShowLatest(ChatId),
}

/// A message to bring into view and highlight (a search result, a quoted message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Focus {
    pub chat_id: ChatId,
    pub seq: i64,
}

/// Whether someone is online; `last_seen` when they left, if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub online: bool,
    pub last_seen: Option<DateTime<Utc>>,
}

/// The whole client-side state, shared through context (all fields are `Copy` handles).
#[derive(Debug, Clone, Copy)]
pub struct Store {
    pub session: RwSignal<Session>,
    pub connection: RwSignal<Connection>,
    pub chats: RwSignal<ChatList>,
    pub messages: RwSignal<HashMap<ChatId, ChatMessages>>,
    /// The chat on screen, set by the chat view; reconnects refetch it first.
    pub open_chat: RwSignal<Option<ChatId>>,
    /// Who is typing where, each with the time (ms) their indicator expires.
    pub typing: RwSignal<HashMap<ChatId, Vec<(UserId, f64)>>>,
    pub presence: RwSignal<HashMap<UserId, Presence>>,
    /// The tab is visible (`document.visibilityState`).
    pub visible: RwSignal<bool>,
    /// The server's caps (`GET /api/limits`), read at start; the compiled-in defaults
    /// until then.
    pub limits: RwSignal<ServerLimits>,
    /// Files being uploaded: waiting in a composer or in a pending message.
    pub uploads: RwSignal<BTreeMap<UploadId, Upload>>,
    /// Chats someone else removed me from, by their name then, so that an open chat can
    /// say so instead of vanishing.
    pub removed_from: RwSignal<HashMap<ChatId, String>>,
    /// Per chat, the message its composer is replying to.
    pub replying: RwSignal<HashMap<ChatId, Replying>>,
    /// The message last jumped to (`show_message`).
    pub focus: RwSignal<Option<Focus>>,
}

impl Store {
    pub fn new() -> Self {
        Self {
            session: RwSignal::new(Session::Loading),
            connection: RwSignal::new(Connection::Offline),
            chats: RwSignal::new(ChatList::default()),
            messages: RwSignal::new(HashMap::new()),
            open_chat: RwSignal::new(None),
            typing: RwSignal::new(HashMap::new()),
            presence: RwSignal::new(HashMap::new()),
            visible: RwSignal::new(true),
            limits: RwSignal::new(ServerLimits {
                message_body_max: confab_shared::limits::MESSAGE_BODY_MAX,
                group_members_max: 1000,
                sockets_per_user_max: 20,
                upload_bytes_max: 25 * 1024 * 1024,
                attachments_per_message_max: confab_shared::limits::ATTACHMENTS_PER_MESSAGE_MAX,
            }),
            uploads: RwSignal::new(BTreeMap::new()),
            removed_from: RwSignal::new(HashMap::new()),
            replying: RwSignal::new(HashMap::new()),
            focus: RwSignal::new(None),
        }
    }

    pub fn me(&self) -> Option<User> {
        self.session.with_untracked(|s| match s {
            Session::SignedIn(user) => Some(user.clone()),
            _ => None,
        })
    }

    /// Forgets everything this tab knew about the signed-in user.
    pub fn sign_out(&self) {
        uploads::cancel_all(*self);
        self.chats.set(ChatList::default());
        self.messages.set(HashMap::new());
        self.removed_from.set(HashMap::new());
        self.open_chat.set(None);
        self.focus.set(None);
        self.session.set(Session::SignedOut);
    }

    /// The server ended this socket's session. Another tab of this browser may have
    /// signed in again meanwhile (a new sign-in ends the session the browser presented):
    /// then the cookie already holds a live session and this tab carries on with it;
    /// the socket reconnects with the new cookie and catches up.
    fn session_ended(&self) {
        let store = *self;
        spawn_local(async move {
            match api::me().await {
                Ok(Some(info)) if store.me().is_some_and(|me| me.id == info.user.id) => {}
                Ok(Some(info)) => store.sign_in(info.user),
                Ok(None) | Err(_) => store.sign_out(),
            }
        });
    }

    pub fn sign_in(&self, user: User) {
        self.chats.set(ChatList::default());
        self.messages.set(HashMap::new());
        self.removed_from.set(HashMap::new());
        self.session.set(Session::SignedIn(user));
    }

    /// Shows `user` as they are now: in my session if it is me, and as a member of every
    /// chat (names are read from there when shown).
    pub fn update_user(&self, user: User) {
        if self.me().is_some_and(|me| me.id == user.id && me != user) {
            self.session.set(Session::SignedIn(user.clone()));
        }
        self.chats.maybe_update(|list| list.update_user(&user));
    }

    /// The one place server events patch the cache. Returns the fetches it needs.
    pub fn apply(&self, event: ServerEvent) -> Vec<FollowUp> {
        let mut follow_ups = Vec::new();
        let me = self.me().map(|u| u.id);
        match event {
            ServerEvent::MessageCreated { message } => {
                let mine = Some(message.sender_id) == me;
                if mine {
                    uploads::forget_message(*self, message.client_id);
                }
                // A chat missing from a loaded list is new to us: refetch the list.
                let unknown_chat = self.chats.try_update(|list| {
                    let Some(i) = list.chats.iter().position(|c| c.id == message.chat_id) else {
                        return list.loaded;
                    };
                    let mut chat = list.chats.remove(i);
                    let new = message.seq > chat.last_seq;
                    if message.seq >= chat.last_seq {
                        chat.last_seq = message.seq;
                        chat.last_message = Some(message.clone());
                    }
                    // Sending moves the sender's read position (server does the same).
                    if mine {
                        chat.last_read_seq = chat.last_read_seq.max(message.seq);
                    } else if new && message.system.is_none() && message.seq > chat.last_read_seq {
                        // As the server counts: others' messages, never system lines.
                        chat.unread_count += 1;
                        if me.is_some_and(|me| message.mentions.contains(&me)) {
                            chat.mention_count += 1;
                        }
                    }
                    if let Some(member) = chat.members.iter_mut().find(|m| m.user.id == message.sender_id) {
                        member.last_read_seq = member.last_read_seq.max(message.seq);
                    }
                    list.chats.insert(0, chat);
                    false
                });
                if unknown_chat == Some(true) {
                    follow_ups.push(FollowUp::RefetchChats);
                }
                self.stop_typing(message.chat_id, message.sender_id);
                // No notification for system lines; in a muted chat, only for a mention of me.
                let muted =
                    self.chats.with_untracked(|list| list.get(message.chat_id).is_some_and(|c| c.muted));
                let mentions_me = me.is_some_and(|me| message.mentions.contains(&me));
                if !mine && !message.deleted && message.system.is_none() && (!muted || mentions_me) {
                    let (title, direct) = self.chats.with_untracked(|list| {
                        let chat = list.get(message.chat_id);
                        let sender = format::member_name(chat, message.sender_id);
                        match chat {
                            Some(chat) if chat.kind == confab_shared::api::ChatKind::Group => {
                                (format!("{sender} in {}", format::chat_name(chat, me)), false)
                            }
                            _ => (sender, true),
                        }
                    });
                    let body = format::message_text(&message);
                    follow_ups.push(FollowUp::Notify { title, body, important: direct || mentions_me });
                }
                self.messages.update(|all| {
                    let Some(entry) = all.get_mut(&message.chat_id) else { return };
                    let last = entry.last_seq();
                    let seq_gap = entry.loaded && !entry.stale && !entry.has_newer && message.seq > last + 1;
                    match entry.note_change(message.change_seq) {
                        Some(since) => follow_ups.push(FollowUp::CatchUp { chat_id: message.chat_id, since }),
                        None if seq_gap => follow_ups
                            .push(FollowUp::CatchUp { chat_id: message.chat_id, since: entry.last_change }),
                        None => {}
                    }
                    if !entry.has_newer {
                        entry.merge(message);
                    } else if entry.pending.iter().any(|p| p.client_id == message.client_id) {
                        follow_ups.push(FollowUp::ShowLatest(message.chat_id));
                    }
                });
            }
            ServerEvent::MessageUpdated { message } => {
                self.patch_last_message(message.chat_id, message.id, |m| *m = message.clone());
                self.messages.update(|all| {
                    let Some(entry) = all.get_mut(&message.chat_id) else { return };
                    if let Some(since) = entry.note_change(message.change_seq) {
                        follow_ups.push(FollowUp::CatchUp { chat_id: message.chat_id, since });
                    }
                    entry.merge_change(message);
                });
            }
            ServerEvent::MessageDeleted { chat_id, message_id, change_seq } => {
                self.patch_last_message(chat_id, message_id, |m| tombstone(m, change_seq));
                self.messages.update(|all| {
                    let Some(entry) = all.get_mut(&chat_id) else { return };
                    if let Some(since) = entry.note_change(change_seq) {
                        follow_ups.push(FollowUp::CatchUp { chat_id, since });
                    }
                    if let Some(message) = entry.message_mut(message_id)
                        && message.change_seq <= change_seq
                    {
                        tombstone(message, change_seq);
                    }
                });
            }
            ServerEvent::ReactionsChanged { chat_id, message_id, reactions, change_seq } => {
                self.messages.update(|all| {
                    let Some(entry) = all.get_mut(&chat_id) else { return };
                    if let Some(since) = entry.note_change(change_seq) {
                        follow_ups.push(FollowUp::CatchUp { chat_id, since });
                    }
                    if let Some(message) = entry.message_mut(message_id)
                        && message.change_seq <= change_seq
                    {
                        message.reactions = reactions;
                        message.change_seq = change_seq;
                    }
                });
            }
            ServerEvent::Read { chat_id, user_id, seq } => self.chats.update(|list| {
                let Some(chat) = list.chats.iter_mut().find(|c| c.id == chat_id) else { return };
                if Some(user_id) == me {
                    chat.last_read_seq = chat.last_read_seq.max(seq);
                    if chat.last_read_seq >= chat.last_seq {
                        chat.unread_count = 0;
                        chat.mention_count = 0;
                    } else {
                        // Read part-way: only the server can count what is left.
                        follow_ups.push(FollowUp::RefreshChat(chat_id));
                    }
                }
                if let Some(member) = chat.members.iter_mut().find(|m| m.user.id == user_id) {
                    member.last_read_seq = member.last_read_seq.max(seq);
                }
            }),
            ServerEvent::Typing { chat_id, user_id } => {
                if Some(user_id) != me {
                    let expires = js_sys::Date::now() + TYPING_TTL_MS;
                    self.typing.update(|typing| {
                        let entries = typing.entry(chat_id).or_default();
                        entries.retain(|(id, _)| *id != user_id);
                        entries.push((user_id, expires));
                    });
                    follow_ups.push(FollowUp::ExpireTyping);
                }
            }
            ServerEvent::Presence { user_id, online, last_seen } => self.presence.update(|presence| {
                presence.insert(user_id, Presence { online, last_seen });
            }),
            ServerEvent::ChatCreated { chat } => {
                // Added back to a chat I was removed from: it is mine again.
                if self.removed_from.with_untracked(|gone| gone.contains_key(&chat.id)) {
                    self.removed_from.update(|gone| {
                        gone.remove(&chat.id);
                    });
                }
                self.chats.update(|list| list.upsert(chat, true));
            }
            ServerEvent::ChatUpdated { chat } => self.chats.update(|list| list.update_shared(chat)),
            ServerEvent::MemberAdded { chat_id, user } => self.chats.update(|list| {
                if let Some(chat) = list.chats.iter_mut().find(|c| c.id == chat_id)
                    && !chat.members.iter().any(|m| m.user.id == user.id)
                {
                    chat.members.push(Member { user, role: Role::Member, last_read_seq: 0 });
                }
            }),
            ServerEvent::MemberRemoved { chat_id, user_id } => {
                if Some(user_id) == me {
                    let name =
                        self.chats.with_untracked(|list| list.get(chat_id).map(|c| format::chat_name(c, me)));
                    if let Some(name) = name {
                        self.removed_from.update(|gone| {
                            gone.insert(chat_id, name);
                        });
                    }
                    self.forget_chat(chat_id);
                } else {
                    self.chats.update(|list| {
                        if let Some(chat) = list.chats.iter_mut().find(|c| c.id == chat_id) {
                            chat.members.retain(|m| m.user.id != user_id);
                        }
                    });
                }
            }
            ServerEvent::Error(ErrorEvent { client_id: Some(client_id), message, .. }) => {
                self.fail_pending(client_id, None, message, false);
            }
            ServerEvent::Error(ErrorEvent { code, message, client_id: None }) => {
                warn!("server error event: {code:?}: {message}");
            }
            ServerEvent::MuteChanged { chat_id, muted } => self.chats.update(|list| {
                if let Some(chat) = list.chats.iter_mut().find(|c| c.id == chat_id) {
                    chat.muted = muted;
                }
            }),
            ServerEvent::UserUpdated { user } => self.update_user(user),
            ServerEvent::SessionExpired {} => follow_ups.push(FollowUp::SignOut),
            // The server's bus between nodes lost events: catch up as after a reconnect.
            ServerEvent::Resync {} => follow_ups.push(FollowUp::Resync),
            // Handled by the socket itself.
            ServerEvent::Ready { .. } | ServerEvent::Pong { .. } => {}
        }
        follow_ups
    }

    /// Runs the fetches `apply` asked for.
    pub fn run(&self, follow_ups: Vec<FollowUp>) {
        for follow_up in follow_ups {
            match follow_up {
                FollowUp::RefetchChats => self.load_chats(),
                FollowUp::CatchUp { chat_id, since } => self.catch_up(chat_id, since),
                FollowUp::ExpireTyping => {
                    let store = *self;
                    spawn_local(async move {
                        gloo_timers::future::TimeoutFuture::new(TYPING_TTL_MS as u32 + 100).await;
                        store.prune_typing();
                    });
                }
                FollowUp::Notify { title, body, important } => crate::notify::show(&title, &body, important),
                FollowUp::SignOut => self.session_ended(),
                FollowUp::Resync => self.resync(),
                FollowUp::RefreshChat(chat_id) => self.load_chat(chat_id),
                FollowUp::ShowLatest(chat_id) => self.show_latest(chat_id),
            }
        }
    }

    /// Drops a chat I left or was removed from.
    pub fn forget_chat(&self, chat_id: ChatId) {
        uploads::cancel_chat(*self, chat_id);
        self.chats.update(|list| list.chats.retain(|c| c.id != chat_id));
        self.messages.update(|all| {
            all.remove(&chat_id);
        });
    }

    fn patch_last_message(&self, chat_id: ChatId, message_id: MessageId, patch: impl FnOnce(&mut Message)) {
        self.chats.update(|list| {
            if let Some(message) = list
                .chats
                .iter_mut()
                .find(|c| c.id == chat_id)
                .and_then(|c| c.last_message.as_mut())
                .filter(|m| m.id == message_id)
            {
                patch(message);
            }
        });
    }

    fn stop_typing(&self, chat_id: ChatId, user_id: UserId) {
        if self
            .typing
            .with_untracked(|t| t.get(&chat_id).is_some_and(|e| e.iter().any(|(id, _)| *id == user_id)))
        {
            self.typing.update(|typing| {
                if let Some(entries) = typing.get_mut(&chat_id) {
                    entries.retain(|(id, _)| *id != user_id);
                }
            });
        }
    }

    fn prune_typing(&self) {
        let now = js_sys::Date::now();
        let expired = self
            .typing
            .with_untracked(|t| t.values().any(|entries| entries.iter().any(|(_, at)| *at <= now)));
        if expired {
            self.typing.try_update(|typing| {
                for entries in typing.values_mut() {
                    entries.retain(|(_, at)| *at > now);
                }
            });
        }
    }

    /// Replaces a message held locally with the server's answer to my edit or reaction.
    pub fn replace_reactions(&self, chat_id: ChatId, message_id: MessageId, reactions: Vec<Reaction>) {
        self.messages.update(|all| {
            if let Some(message) = all.get_mut(&chat_id).and_then(|e| e.message_mut(message_id)) {
                message.reactions = reactions;
            }
        });
    }

    /// After a reconnect: everything may have missed events. Refetch what is on screen
    /// (the chat list and the open chat); other chats catch up when opened.
    pub fn resync(&self) {
        let open = self.open_chat.get_untracked();
        let mut catch_up = None;
        self.messages.update(|all| {
            for (id, entry) in all.iter_mut() {
                if !entry.loaded {
                    continue;
                }
                if Some(*id) == open {
                    catch_up = Some((*id, entry.last_change));
                } else {
                    entry.stale = true;
                }
            }
        });
        if self.chats.with_untracked(|list| list.loaded) {
            self.load_chats();
        }
        if let Some((chat_id, since)) = catch_up {
            self.catch_up(chat_id, since);
        }
    }

    /// Called when a chat is shown: fetch its newest page, or catch up if it went stale.
    pub fn open(&self, chat_id: ChatId) {
        let state =
            self.messages.with_untracked(|all| all.get(&chat_id).map(|e| (e.loaded, e.stale, e.last_change)));
        match state {
            Some((true, false, _)) => {}
            Some((true, true, since)) => self.catch_up(chat_id, since),
            _ => self.load_newest(chat_id),
        }
        self.ensure_chat(chat_id);
    }

    /// Fetches a chat the loaded list lacks (a deep link to a chat it does not show yet).
    pub fn ensure_chat(&self, chat_id: ChatId) {
        if self.chats.with_untracked(|list| list.loaded && list.get(chat_id).is_none()) {
            self.load_chat(chat_id);
        }
    }

    pub fn load_chats(&self) {
        let store = *self;
        spawn_local(async move {
            match api::chats().await {
                Ok(chats) => store.chats.set(ChatList { chats, loaded: true, error: None }),
                Err(error) => {
                    if store.signed_out_by(&error) {
                        return;
                    }
                    store.chats.update(|list| list.error = Some(error.message));
                }
            }
        });
    }

    fn load_chat(&self, chat_id: ChatId) {
        let store = *self;
        spawn_local(async move {
            match api::chat(chat_id).await {
                Ok(chat) => store.chats.update(|list| list.upsert(chat, false)),
                Err(error) => {
                    store.signed_out_by(&error);
                }
            }
        });
    }

    fn load_newest(&self, chat_id: ChatId) {
        self.messages.update(|all| {
            all.entry(chat_id).or_default().error = None;
        });
        let store = *self;
        spawn_local(async move {
            let result = api::messages(chat_id, Page::Newest, PAGE_SIZE).await;
            let baseline = result.as_ref().ok().and_then(|p| p.messages.iter().map(|m| m.change_seq).max());
            store.merge_page(chat_id, result, |entry, has_more| {
                // The newest page is the baseline for change tracking; later pages by seq
                // must not move it (a missed edit would then never be fetched).
                if !entry.loaded {
                    entry.last_change = entry.last_change.max(baseline.unwrap_or(0));
                }
                entry.loaded = true;
                entry.has_older = has_more;
            });
        });
    }

    /// Fetches the page before the oldest message held.
    pub fn load_older(&self, chat_id: ChatId) {
        let mut before = None;
        self.messages.update(|all| {
            if let Some(entry) = all.get_mut(&chat_id)
                && entry.has_older
                && !entry.loading_older
                && let Some(first) = entry.first_seq()
            {
                entry.loading_older = true;
                before = Some(first);
            }
        });
        let Some(before) = before else { return };
        let store = *self;
        spawn_local(async move {
            let result = api::messages(chat_id, Page::Before(before), PAGE_SIZE).await;
            let failed = result.is_err();
            let still_first = move |entry: &ChatMessages| entry.first_seq() == Some(before);
            store.merge_next_to(chat_id, result, still_first, |entry, has_more| entry.has_older = has_more);
            store.messages.update(|all| {
                if let Some(entry) = all.get_mut(&chat_id) {
                    entry.loading_older = false;
                    if failed {
                        entry.has_older = true;
                    }
                }
            });
        });
    }

    /// Shows the message `seq` of a chat in context (a search result, a quoted message):
    /// it becomes the focus, and unless it is held already the page around it replaces
    /// what is held (a window, see [`ChatMessages::has_newer`]).
    pub async fn show_message(&self, chat_id: ChatId, seq: i64) -> Result<(), ApiError> {
        self.focus.set(Some(Focus { chat_id, seq }));
        if self.messages.with_untracked(|all| all.get(&chat_id).is_some_and(|e| e.by_seq.contains_key(&seq)))
        {
            return Ok(());
        }
        // Promise 4: the chat's change position, read before the page, is where catching
        // up starts: whatever changes while the page is read is fetched again, never lost.
        let since = api::chat(chat_id).await?.last_change;
        let page = api::messages(chat_id, Page::Around(seq), PAGE_SIZE).await?;
        self.messages.try_update(|all| {
            let entry = all.entry(chat_id).or_default();
            *entry = ChatMessages::window(page, since, std::mem::take(&mut entry.pending));
        });
        Ok(())
    }

    /// Back from a window to the newest messages: what is held is dropped (pending sends
    /// stay) and the newest page fetched.
    pub fn show_latest(&self, chat_id: ChatId) {
        self.messages.update(|all| {
            let entry = all.entry(chat_id).or_default();
            *entry = ChatMessages { pending: std::mem::take(&mut entry.pending), ..ChatMessages::default() };
        });
        self.load_newest(chat_id);
    }

    /// In a window, fetches the page after the newest message held. The last page makes
    /// the entry live again; live messages that arrived meanwhile were not kept, so what
    /// changed since the request is fetched too.
    pub fn load_newer(&self, chat_id: ChatId) {
        let mut from = None;
        self.messages.update(|all| {
            if let Some(entry) = all.get_mut(&chat_id)
                && entry.has_newer
                && !entry.loading_newer
            {
                entry.loading_newer = true;
                from = Some((entry.last_seq(), entry.last_change));
            }
        });
        let Some((after, since)) = from else { return };
        let store = *self;
        spawn_local(async move {
            let result = api::messages(chat_id, Page::After(after), PAGE_SIZE).await;
            let mut missed = false;
            let still_last = move |entry: &ChatMessages| entry.has_newer && entry.last_seq() == after;
            store.merge_next_to(chat_id, result, still_last, |entry, has_more| {
                entry.has_newer = has_more;
                missed = !has_more && entry.last_change > since;
            });
            store.messages.try_update(|all| {
                if let Some(entry) = all.get_mut(&chat_id) {
                    entry.loading_newer = false;
                }
            });
            if missed {
                store.catch_up(chat_id, since);
            }
        });
    }

    /// Promise 4: fetches every change after `since`, page by page, and merges by id
    /// (new messages inserted; edited, deleted and re-reacted ones replaced).
    pub fn catch_up(&self, chat_id: ChatId, since: i64) {
        let store = *self;
        spawn_local(async move {
            let mut since = since;
            loop {
                let page = match api::changes(chat_id, since, PAGE_LIMIT_MAX).await {
                    Ok(page) => page,
                    Err(error) => {
                        store.merge_page(chat_id, Err(error), |_, _| {});
                        return;
                    }
                };
                let next = page.messages.last().map(|m| m.change_seq).filter(|_| page.has_more);
                let newest = page.messages.iter().max_by_key(|m| m.seq).cloned();
                let reached = if page.has_more { next.unwrap_or(since) } else { page.last_change };
                let updated = store.messages.try_update(|all| {
                    let Some(entry) = all.get_mut(&chat_id) else { return false };
                    for message in page.messages {
                        entry.merge_change(message);
                    }
                    entry.last_change = entry.last_change.max(reached);
                    entry.stale = false;
                    entry.error = None;
                    true
                });
                if updated != Some(true) {
                    return;
                }
                if let Some(message) = newest {
                    store.touch_chat(&message);
                }
                match next {
                    Some(change) if change > since => since = change,
                    _ => break,
                }
            }
        });
    }

    fn merge_page(
        &self,
        chat_id: ChatId,
        result: Result<confab_shared::api::MessagePage, ApiError>,
        then: impl FnOnce(&mut ChatMessages, bool),
    ) {
        match result {
            Ok(page) => {
                let newest = page.messages.last().cloned();
                self.messages.try_update(|all| {
                    let entry = all.entry(chat_id).or_default();
                    for message in page.messages {
                        entry.merge(message);
                    }
                    entry.error = None;
                    then(entry, page.has_more);
                });
                if let Some(message) = newest {
                    self.touch_chat(&message);
                }
            }
            Err(error) => {
                if self.signed_out_by(&error) {
                    return;
                }
                let text = match error.code {
                    ErrorCode::NotFound => "This chat does not exist, or you are not a member.".to_owned(),
                    _ => error.message,
                };
                self.messages.try_update(|all| all.entry(chat_id).or_default().error = Some(text));
            }
        }
    }

    /// Merges a page fetched next to what the chat held when it was asked for, if `still`
    /// says it holds that yet: a jump meanwhile (`show_message`, `show_latest`) replaced
    /// what was held, and the page would leave a hole in it.
    fn merge_next_to(
        &self,
        chat_id: ChatId,
        result: Result<MessagePage, ApiError>,
        still: impl Fn(&ChatMessages) -> bool,
        then: impl FnOnce(&mut ChatMessages, bool),
    ) {
        let fits = self.messages.with_untracked(|all| all.get(&chat_id).is_some_and(&still));
        if fits || result.is_err() {
            self.merge_page(chat_id, result, then);
        }
    }

    /// Keeps the sidebar preview in step with the newest message seen in a page.
    fn touch_chat(&self, message: &Message) {
        self.chats.try_update(|list| {
            if let Some(chat) = list.chats.iter_mut().find(|c| c.id == message.chat_id)
                && message.seq > chat.last_seq
            {
                chat.last_seq = message.seq;
                chat.last_message = Some(message.clone());
            }
        });
    }

    /// A 401 anywhere means the session is gone: back to the login page.
    pub fn signed_out_by(&self, error: &ApiError) -> bool {
        if error.code == ErrorCode::Unauthorized {
            self.sign_out();
            return true;
        }
        false
    }

    pub fn add_pending(&self, chat_id: ChatId, pending: Pending) {
        self.messages.update(|all| all.entry(chat_id).or_default().pending.push(pending));
    }

    pub fn pending(&self, chat_id: ChatId, client_id: ClientId) -> Option<Pending> {
        self.messages.with_untracked(|all| {
            all.get(&chat_id)?.pending.iter().find(|p| p.client_id == client_id).cloned()
        })
    }

    /// The sends that failed for want of a connection, by chat.
    pub fn interrupted_sends(&self) -> Vec<(ChatId, ClientId)> {
        self.messages.with_untracked(|all| {
            all.iter()
                .flat_map(|(chat_id, entry)| {
                    entry
                        .pending
                        .iter()
                        .filter(|p| p.retry_on_reconnect && matches!(p.state, SendState::Failed(_)))
                        .map(|p| (*chat_id, p.client_id))
                })
                .collect()
        })
    }

    /// Drops a pending send that has nothing left to send (its only files were cancelled).
    pub fn discard_pending(&self, chat_id: ChatId, client_id: ClientId) {
        self.messages.try_update(|all| {
            if let Some(entry) = all.get_mut(&chat_id) {
                entry.pending.retain(|p| p.client_id != client_id);
            }
        });
    }

    /// Marks a pending send as being retried; returns the new attempt number.
    pub fn restart_pending(&self, chat_id: ChatId, client_id: ClientId) -> Option<u32> {
        self.messages
            .try_update(|all| {
                let pending = all.get_mut(&chat_id)?.pending_mut(client_id)?;
                pending.attempt += 1;
                pending.state = SendState::Sending;
                Some(pending.attempt)
            })
            .flatten()
    }

    /// Fails a pending send (in any chat) unless it was confirmed or retried meanwhile:
    /// `attempt` is `Some` for a timeout, which only fails the attempt that set it.
    /// `transient`: the connection was at fault, so a reconnect sends it again.
    pub fn fail_pending(&self, client_id: ClientId, attempt: Option<u32>, reason: String, transient: bool) {
        self.messages.try_update(|all| {
            for entry in all.values_mut() {
                if let Some(pending) = entry.pending_mut(client_id)
                    && pending.state == SendState::Sending
                    && attempt.is_none_or(|a| a == pending.attempt)
                {
                    pending.state = SendState::Failed(reason);
                    pending.retry_on_reconnect = transient;
                    return;
                }
            }
        });
    }
}

/// What a deleted message becomes: a tombstone without text or reactions.
fn tombstone(message: &mut Message, change_seq: i64) {
    message.deleted = true;
    message.body.clear();
    message.body_html.clear();
    message.reactions.clear();
    message.attachments.clear();
    message.change_seq = message.change_seq.max(change_seq);
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(seq: i64, change_seq: i64, body: &str) -> Message {
        let id = uuid::Uuid::from_u128(u128::try_from(seq).expect("a positive seq"));
        serde_json::from_value(serde_json::json!({
            "id": id, "chat_id": uuid::Uuid::nil(), "seq": seq, "sender_id": uuid::Uuid::nil(),
            "client_id": id, "body": body, "created_at": "2026-12-02T00:00:00Z", "edited_at": null,
            "deleted": false, "change_seq": change_seq,
        }))
        .expect("a message")
    }

    fn seqs(entry: &ChatMessages) -> Vec<i64> {
        entry.by_seq.keys().copied().collect()
    }

    fn user(n: u128, name: &str) -> User {
        User { id: UserId(uuid::Uuid::from_u128(n)), username: format!("user{n}"), display_name: name.into() }
    }

    fn chat(n: u128, members: &[&User]) -> Chat {
        let members: Vec<Member> = members
            .iter()
            .map(|u| Member { user: (*u).clone(), role: Role::Member, last_read_seq: 0 })
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::from_u128(n), "kind": "group", "title": format!("chat {n}"), "owner_id": null,
            "closed": false, "members": members, "last_seq": 0, "last_read_seq": 0, "unread_count": 0,
            "last_message": null,
        }))
        .expect("a chat")
    }

    fn names(store: &Store) -> Vec<Vec<String>> {
        store.chats.with_untracked(|list| {
            list.chats
                .iter()
                .map(|c| c.members.iter().map(|m| m.user.display_name.clone()).collect())
                .collect()
        })
    }

    #[test]
    fn a_renamed_user_shows_with_the_new_name_in_every_chat_and_as_me() {
        let (me, bob, carol) = (user(1, "Me"), user(2, "Bob"), user(3, "Carol"));
        let store = Store::new();
        store.sign_in(me.clone());
        store.chats.set(ChatList {
            chats: vec![chat(10, &[&me, &bob]), chat(11, &[&carol, &bob]), chat(12, &[&me, &carol])],
            loaded: true,
            error: None,
        });

        let renamed_bob = User { display_name: "Robert".into(), ..bob };
        assert!(store.apply(ServerEvent::UserUpdated { user: renamed_bob }).is_empty());
        let renamed_me = User { display_name: "New me".into(), ..me };
        store.apply(ServerEvent::UserUpdated { user: renamed_me.clone() });

        assert_eq!(
            names(&store),
            [vec!["New me", "Robert"], vec!["Carol", "Robert"], vec!["New me", "Carol"]],
            "each member's name, and no one else's, follows"
        );
        assert_eq!(store.session.get_untracked(), Session::SignedIn(renamed_me));
    }

    #[test]
    fn someone_else_renamed_leaves_my_session_alone() {
        let (me, bob) = (user(1, "Me"), user(2, "Bob"));
        let store = Store::new();
        store.sign_in(me.clone());

        store.apply(ServerEvent::UserUpdated { user: User { display_name: "Robert".into(), ..bob } });

        assert_eq!(store.session.get_untracked(), Session::SignedIn(me));
    }

    #[test]
    fn a_window_takes_changes_to_what_it_holds_only() {
        let page = MessagePage {
            messages: (10..=14).map(|s| message(s, s, "hi")).collect(),
            has_more: true,
            has_newer: Some(true),
        };
        let mut window = ChatMessages::window(page, 40, Vec::new());
        assert!(window.loaded && window.has_older && window.has_newer);
        assert_eq!(window.last_change, 40, "complete up to the chat's change position read before");

        window.merge_change(message(12, 41, "edited"));
        window.merge_change(message(20, 42, "past the window"));
        window.merge_change(message(5, 43, "before the window"));

        assert_eq!(seqs(&window), vec![10, 11, 12, 13, 14], "no holes on either side");
        assert_eq!(window.by_seq[&12].body, "edited");
    }

    #[test]
    fn a_window_that_reaches_the_newest_message_is_live() {
        let page = MessagePage {
            messages: vec![message(1, 1, "a"), message(2, 2, "b")],
            has_more: false,
            has_newer: Some(false),
        };
        let mut entry = ChatMessages::window(page, 2, Vec::new());
        assert!(!entry.has_newer && !entry.has_older);
        entry.merge_change(message(3, 3, "new"));
        assert_eq!(seqs(&entry), vec![1, 2, 3]);
    }
}
