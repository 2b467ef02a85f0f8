//! The signed-in screen: a sidebar with the chat list and the open chat beside it.

use confab_shared::ChatId;
use confab_shared::api::ChatKind;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::chat_list::{ChatList, PresenceDot};
use crate::components::chat_settings::{chat_settings_view, chat_settings_view_load};
use crate::components::composer::{Composer, file_list};
use crate::components::connection_status::ConnectionStatus;
use crate::components::message_list::MessageList;
use crate::components::new_chat::{new_chat_view, new_chat_view_load};
use crate::components::search::MessageSearch;
use crate::route::{Route, use_router};
use crate::store::{Session, Store};
use crate::{format, notify, uploads};

/// The sidebar, with `children` (the page) beside it.
#[component]
pub fn ChatLayout(children: Children) -> impl IntoView {
    let store = expect_context::<Store>();
    let router = use_router();
    let dialog_open = RwSignal::new(false);
    // On a phone one pane shows at a time: the conversation or the settings page when one is
    // open, the chat list otherwise.
    let main_open = move || store.open_chat.read().is_some() || router.route() == Route::Settings;
    // Offered until answered: allowed, blocked, or "Not now" (remembered in this browser).
    let notifications_offer = RwSignal::new(notify::undecided() && !notify::offer_dismissed());

    if !store.chats.with_untracked(|list| list.loaded) {
        store.load_chats();
    }

    let me_name = move || match &*store.session.read() {
        Session::SignedIn(user) => user.display_name.clone(),
        _ => String::new(),
    };
    let logout = move |_| {
        spawn_local(async move {
            // Signed out locally whatever the server says: the cookie may already be gone.
            if let Err(error) = api::logout().await {
                leptos::logging::warn!("logout: {error}");
            }
            store.sign_out();
            router.navigate("/");
        });
    };

    view! {
        <div class="app" class:main-open=main_open>
            <aside class="sidebar" aria-label="Chats">
                <header class="sidebar-header">
                    <span class="brand">"confab"</span>
                    <ConnectionStatus />
                </header>
                <div class="me">
                    <span class="me-name" data-testid="me-name">{me_name}</span>
                    <a class="button secondary small" href="/settings" data-testid="settings-link">
                        "Settings"
                    </a>
                    <button class="secondary small" data-testid="logout-button" on:click=logout>
                        "Log out"
                    </button>
                </div>
                <button class="primary new-chat" data-testid="new-chat-button" on:click=move |_| dialog_open.set(true)>
                    "New chat"
                </button>
                <MessageSearch />
                <Show when=move || notifications_offer.get()>
                    <div class="notifications-offer" role="region" aria-label="Notifications">
                        <p>"Get notified of new messages while confab is in the background?"</p>
                        <button
                            class="primary small"
                            data-testid="notifications-enable"
                            on:click=move |_| notify::request(move |_| {
                                notifications_offer.try_set(notify::undecided());
                            })
                        >
                            "Enable"
                        </button>
                        <button
                            class="secondary small"
                            data-testid="notifications-dismiss"
                            on:click=move |_| {
                                notify::dismiss_offer();
                                notifications_offer.set(false);
                            }
                        >
                            "Not now"
                        </button>
                    </div>
                </Show>
                <ChatList />
            </aside>
            <main class="main">
                {children()}
            </main>
            <Show when=move || dialog_open.get()>
                {
                    let on_close = Callback::new(move |()| dialog_open.set(false));
                    crate::split::deferred(new_chat_view_load, move || new_chat_view(on_close))
                }
            </Show>
        </div>
    }
}

#[component]
pub fn NoChatOpen() -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>"No chat open"</h2>
            <p>"Pick a chat on the left, or start a new one."</p>
        </div>
    }
}

/// `/chats/{id}`: one `ChatPane` per chat id, so switching chats starts fresh; `None` for
/// a link whose id is not a chat id.
#[component]
pub fn ChatView(chat_id: Option<ChatId>) -> impl IntoView {
    match chat_id {
        Some(chat_id) => view! { <ChatPane chat_id=chat_id /> }.into_any(),
        None => view! {
            <div class="empty-state">
                <h2>"No such chat"</h2>
                <a href="/">"Back to your chats"</a>
            </div>
        }
        .into_any(),
    }
}

#[component]
fn ChatPane(chat_id: ChatId) -> impl IntoView {
    let store = expect_context::<Store>();
    store.open_chat.set(Some(chat_id));
    store.open(chat_id);
    on_cleanup(move || {
        store.open_chat.try_update(|open| {
            if *open == Some(chat_id) {
                *open = None;
            }
        });
    });

    // Once the list arrives, a deep link to a chat it lacks fetches that chat.
    Effect::new(move |was_loaded: Option<bool>| {
        let loaded = store.chats.with(|list| list.loaded);
        if loaded && was_loaded == Some(false) {
            store.ensure_chat(chat_id);
        }
        loaded
    });

    // Removed by someone else: the pane says so (below). Gone otherwise (I left, or the
    // list was refetched without it): back to the list.
    let removed_from = Memo::new(move |_| store.removed_from.with(|gone| gone.get(&chat_id).cloned()));
    let router = use_router();
    Effect::new(move |was_present: Option<bool>| {
        let present = store.chats.with(|list| list.get(chat_id).is_some());
        if was_present == Some(true) && !present && removed_from.get_untracked().is_none() {
            router.navigate("/");
        }
        present
    });

    let me = move || store.me().map(|u| u.id);
    let title = move || store.chats.with(|list| list.get(chat_id).map(|chat| format::chat_name(chat, me())));
    let peer = Memo::new(move |_| {
        store.chats.with(|list| {
            list.get(chat_id)
                .filter(|chat| chat.kind == ChatKind::Direct)
                .and_then(|chat| chat.members.iter().map(|m| m.user.id).find(|id| Some(*id) != me()))
        })
    });
    let members = move || {
        if let Some(peer) = peer.get() {
            return store
                .presence
                .with(|p| p.get(&peer).and_then(|p| format::last_seen(p.online, p.last_seen)))
                .unwrap_or_default();
        }
        store.chats.with(|list| {
            list.get(chat_id)
                .map(|chat| {
                    chat.members.iter().map(|m| m.user.display_name.clone()).collect::<Vec<_>>().join(", ")
                })
                .unwrap_or_default()
        })
    };
    let closed = Memo::new(move |_| store.chats.with(|list| list.get(chat_id).is_some_and(|c| c.closed)));
    let settings_open = RwSignal::new(false);

    // Files dropped anywhere on the conversation join the composer. `dragenter` and
    // `dragleave` also fire over every child, so the overlay counts them.
    let drag_depth = RwSignal::new(0i32);
    let carries_files = move |ev: &leptos::ev::DragEvent| {
        !closed.get_untracked()
            && ev
                .data_transfer()
                .is_some_and(|data| data.types().includes(&wasm_bindgen::JsValue::from_str("Files"), 0))
    };
    let on_drag_enter = move |ev: leptos::ev::DragEvent| {
        if carries_files(&ev) {
            ev.prevent_default();
            drag_depth.update(|n| *n += 1);
        }
    };
    let on_drag_over = move |ev: leptos::ev::DragEvent| {
        if carries_files(&ev) {
            // Without this the browser would open the file instead of dropping it here.
            ev.prevent_default();
        }
    };
    let on_drag_leave = move |_: leptos::ev::DragEvent| drag_depth.update(|n| *n = (*n - 1).max(0));
    let on_drop = move |ev: leptos::ev::DragEvent| {
        drag_depth.set(0);
        if carries_files(&ev) {
            ev.prevent_default();
            let files = file_list(ev.data_transfer().and_then(|data| data.files()));
            uploads::add_files(store, chat_id, files);
        }
    };

    view! {
        <Show when=move || removed_from.read().is_none() fallback=move || view! { <RemovedNotice chat_id=chat_id /> }>
        <div class="chat-pane">
        <section
            class="chat"
            aria-labelledby="chat-title"
            on:dragenter=on_drag_enter
            on:dragover=on_drag_over
            on:dragleave=on_drag_leave
            on:drop=on_drop
        >
            <Show when=move || { drag_depth.get() > 0 }>
                <div class="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
                    <p>"Drop files to share them here"</p>
                </div>
            </Show>
            <header class="chat-header" data-testid="chat-header">
                <a class="back" href="/" aria-label="Back to chats">"‹"</a>
                {move || peer.get().map(|peer| view! { <PresenceDot user_id=peer /> })}
                <div class="chat-heading">
                    <h2 id="chat-title">{move || title().unwrap_or_else(|| "Loading…".to_owned())}</h2>
                    <p class="members">{members}</p>
                </div>
                <button
                    type="button"
                    class="secondary small"
                    data-testid="chat-settings-button"
                    aria-expanded=move || settings_open.get().to_string()
                    on:click=move |_| settings_open.update(|open| *open = !*open)
                >
                    "Details"
                </button>
            </header>
            <Show when=move || closed.get()>
                <p class="closed-banner" data-testid="chat-closed-banner" role="status">
                    "This chat is closed: it is read-only until its owner reopens it."
                </p>
            </Show>
            <MessageList chat_id=chat_id />
            <TypingIndicator chat_id=chat_id />
            <Composer chat_id=chat_id />
        </section>
        // Beside the conversation (a sheet over it on a phone), never squeezing it.
        <Show when=move || settings_open.get()>
            {
                let on_close = Callback::new(move |()| settings_open.set(false));
                crate::split::deferred(chat_settings_view_load, move || chat_settings_view(chat_id, on_close))
            }
        </Show>
        </div>
        </Show>
    }
}

/// What someone removed from an open chat sees in its place.
#[component]
fn RemovedNotice(chat_id: ChatId) -> impl IntoView {
    let store = expect_context::<Store>();
    let name = store.removed_from.with_untracked(|gone| gone.get(&chat_id).cloned()).unwrap_or_default();
    view! {
        <div class="empty-state" role="status" data-testid="removed-notice">
            <h2>{format!("You were removed from {name}")}</h2>
            <p>"Its messages are no longer available to you."</p>
            <a href="/">"Back to your chats"</a>
        </div>
    }
}

/// "Alice is typing…", "Alice and Bob are typing…", "Several people are typing…".
#[component]
fn TypingIndicator(chat_id: ChatId) -> impl IntoView {
    let store = expect_context::<Store>();
    let text = Memo::new(move |_| {
        let typing =
            store.typing.with(|t| t.get(&chat_id).map(|e| e.iter().map(|(id, _)| *id).collect::<Vec<_>>()));
        let typing = typing.unwrap_or_default();
        let names: Vec<String> = store
            .chats
            .with(|list| typing.iter().map(|id| format::member_name(list.get(chat_id), *id)).collect());
        match names.as_slice() {
            [] => None,
            [one] => Some(format!("{one} is typing…")),
            [one, two] => Some(format!("{one} and {two} are typing…")),
            _ => Some("Several people are typing…".to_owned()),
        }
    });
    view! {
        <div class="typing-slot" aria-live="polite">
            {move || text.get().map(|text| view! { <p class="typing" data-testid="typing-indicator">{text}</p> })}
        </div>
    }
}
