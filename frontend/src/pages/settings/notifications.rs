//! Notifications: whether this browser may show them, how much it shows (kept in this
//! browser, see `notify`), and the chats I muted, each one click from unmuted.

use confab_shared::ChatId;
use confab_shared::ws::ServerEvent;
use leptos::prelude::*;

use super::{Status, StatusLine};
use crate::api;
use crate::format;
use crate::notify::{self, Level};
use crate::store::Store;

#[component]
pub fn Notifications() -> impl IntoView {
    let store = expect_context::<Store>();
    let status = Status::new();
    let level = RwSignal::new(notify::level());
    let choose = move |chosen: Level| {
        if notify::set_level(chosen) {
            level.set(chosen);
            status.done(format!("Saved: {}.", chosen.label()));
        } else {
            status.fail("This browser refused to keep the setting (is storage blocked?).");
        }
    };
    let muted = Memo::new(move |_| {
        let me = store.me().map(|me| me.id);
        store.chats.with(|list| {
            list.chats
                .iter()
                .filter(|chat| chat.muted)
                .map(|chat| (chat.id, format::chat_name(chat, me)))
                .collect::<Vec<_>>()
        })
    });
    let unmute = move |chat_id: ChatId, name: String| {
        status.run(
            store,
            async move {
                let chat = api::set_muted(chat_id, false).await?;
                store.apply(ServerEvent::MuteChanged { chat_id, muted: chat.muted });
                Ok(format!("{name} is no longer muted."))
            },
            || {},
        );
    };

    view! {
        <section class="settings-section" aria-labelledby="notifications-title">
            <h3 id="notifications-title">"Notifications"</h3>
            <Permission />
            <fieldset class="choices" data-testid="notification-level">
                <legend>"In this browser, notify me of"</legend>
                {Level::ALL.into_iter().map(|option| view! {
                    <label>
                        <input
                            type="radio"
                            name="notification-level"
                            value=option.key()
                            data-testid=format!("notification-level-{}", option.key())
                            prop:checked=move || level.get() == option
                            on:change=move |_| choose(option)
                        />
                        " " {option.label()}
                    </label>
                }).collect_view()}
            </fieldset>
            <h4>"Muted chats"</h4>
            <p class="hint">"A muted chat never notifies, except when someone mentions you."</p>
            <Show
                when=move || muted.with(|m| !m.is_empty())
                fallback=|| view! { <p class="hint" data-testid="no-muted-chats">"No muted chats."</p> }
            >
                <ul class="muted-chats" data-testid="muted-chats">
                    <For each=move || muted.get() key=|(id, name)| (*id, name.clone()) let:chat>
                        <li data-testid="muted-chat">
                            <span>{chat.1.clone()}</span>
                            <button
                                type="button"
                                class="secondary small"
                                data-testid="unmute-chat"
                                disabled=status.busy
                                on:click=move |_| unmute(chat.0, chat.1.clone())
                            >
                                "Unmute"
                            </button>
                        </li>
                    </For>
                </ul>
            </Show>
            <StatusLine status=status testid="notifications-status" />
        </section>
    }
}

/// Whether this browser lets confab notify, and the button to ask when it hasn't decided.
#[component]
fn Permission() -> impl IntoView {
    let state = RwSignal::new(notify::permission());
    view! {
        <p class="settings-row" data-testid="notification-permission">
            {move || state.get().sentence()}
            <Show when=move || state.get() == notify::Permission::Undecided>
                <button
                    type="button"
                    class="primary small"
                    data-testid="notifications-allow"
                    on:click=move |_| notify::request(move |_| {
                        state.try_set(notify::permission());
                    })
                >
                    "Allow notifications"
                </button>
            </Show>
        </p>
    }
}
