//! The sidebar list of chats, newest activity first, live-updated by the store.

use confab_shared::ChatId;
use confab_shared::api::Chat;
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
}

impl Item {
    fn new(chat: &Chat, me: Option<confab_shared::UserId>) -> Self {
        Self {
            id: chat.id,
            name: format::chat_name(chat, me),
            preview: format::preview(chat, me),
            time: chat.last_message.as_ref().map(|m| format::short_time(m.created_at)),
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
                href=format!("/chats/{id}")
                data-testid="chat-item"
                data-chat-id=id.to_string()
                aria-current=move || active().then_some("page")
            >
                <span class="chat-item-top">
                    <span class="chat-item-name">{item.name}</span>
                    <span class="chat-item-time">{item.time}</span>
                </span>
                <span class="chat-item-preview">{item.preview}</span>
            </a>
        </li>
    }
}
