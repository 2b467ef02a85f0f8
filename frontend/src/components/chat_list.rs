//! The sidebar list of chats, newest activity first, live-updated by the store.

use confab_shared::api::{Chat, ChatKind};
use confab_shared::{ChatId, UserId};
use leptos::prelude::*;

use crate::format;
use crate::store::Store;

/// What one sidebar row shows; rows re-render only when this changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Item {
    id: ChatId,
    name: String,
    preview: String,
    time: Option<String>,
    unread: i64,
    /// Unread messages that mention me.
    mentions: i64,
    muted: bool,
    /// The other person in a direct chat (their presence dot).
    peer: Option<UserId>,
    closed: bool,
}

impl Item {
    fn new(chat: &Chat, me: Option<UserId>) -> Self {
        Self {
            id: chat.id,
            name: format::chat_name(chat, me),
            preview: format::preview(chat, me),
            time: chat.last_message.as_ref().map(|m| format::short_time(m.created_at)),
            unread: format::unread(chat),
            mentions: chat.mention_count.max(0),
            muted: chat.muted,
            peer: match chat.kind {
                ChatKind::Direct => chat.members.iter().map(|m| m.user.id).find(|id| Some(*id) != me),
                ChatKind::Group => None,
            },
            closed: chat.closed,
        }
    }
}

#[component]
pub fn ChatList() -> impl IntoView {
    let store = expect_context::<Store>();
    let items = Memo::new(move |_| {
        let me = store.me().map(|u| u.id);
        store.chats.with(|list| list.chats.iter().map(|chat| Item::new(chat, me)).collect::<Vec<_>>())
    });
    let status = move || {
        store.chats.with(|list| match (&list.error, list.loaded, list.chats.is_empty()) {
            (Some(error), _, _) => Some(format!("Could not load chats: {error}")),
            (None, false, _) => Some("Loading chats…".to_owned()),
            (None, true, true) => Some("No chats yet. Start one with “New chat”.".to_owned()),
            (None, true, false) => None,
        })
    };

    view! {
        <nav class="chat-list-nav" aria-label="Your chats">
            <p class="hint">{status}</p>
            <ul class="chat-list" data-testid="chat-list">
                <For each=move || items.get() key=|item| item.clone() let:item>
                    <ChatItem item=item />
                </For>
            </ul>
        </nav>
    }
}

#[component]
fn ChatItem(item: Item) -> impl IntoView {
    let store = expect_context::<Store>();
    let id = item.id;
    let active = move || store.open_chat.get() == Some(id);
    view! {
        <li>
            <a
                class="chat-item"
                class:active=active
                class:muted=item.muted
                href=format!("/chats/{id}")
                data-testid="chat-item"
                data-chat-id=id.to_string()
                aria-current=move || active().then_some("page")
            >
                <span class="chat-item-top">
                    {item.peer.map(|peer| view! { <PresenceDot user_id=peer /> })}
                    <span class="chat-item-name">{item.name}</span>
                    {item.closed.then(|| view! { <span class="tag">"closed"</span> })}
                    {item.muted.then(|| view! { <span class="tag" data-testid="chat-muted">"muted"</span> })}
                    <span class="chat-item-time">{item.time}</span>
                </span>
                <span class="chat-item-bottom">
                    <span class="chat-item-preview">{item.preview}</span>
                    {(item.mentions > 0)
                        .then(|| {
                            let label = match item.mentions {
                                1 => "1 mention".to_owned(),
                                n => format!("{n} mentions"),
                            };
                            view! {
                                <span class="mentions" data-testid="chat-mentions" aria-label=label>
                                    {format!("@{}", item.mentions)}
                                </span>
                            }
                        })}
                    {(item.unread > 0)
                        .then(|| {
                            view! {
                                <span
                                    class="unread"
                                    data-testid="chat-unread"
                                    aria-label=format!("{} unread", item.unread)
                                >
                                    {if item.unread > 99 { "99+".to_owned() } else { item.unread.to_string() }}
                                </span>
                            }
                        })}
                </span>
            </a>
        </li>
    }
}

/// A green or grey dot: whether `user_id` is online.
#[component]
pub fn PresenceDot(user_id: UserId) -> impl IntoView {
    let store = expect_context::<Store>();
    let online = move || store.presence.with(|p| p.get(&user_id).is_some_and(|p| p.online));
    view! {
        <span
            class="presence-dot"
            class:online=online
            data-testid="presence-dot"
            data-online=move || online().to_string()
            role="img"
            aria-label=move || if online() { "online" } else { "offline" }
            title=move || if online() { "online" } else { "offline" }
        ></span>
    }
}
