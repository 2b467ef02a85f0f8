//! The chat details panel: members with roles and presence; for the owner of a group,
//! rename, add and remove members, hand over ownership, close and reopen; leave for all.

use confab_shared::api::{Chat, ChatKind, Role, User};
use confab_shared::validate::ChatTitle;
use confab_shared::ws::ServerEvent;
use confab_shared::{ApiError, ChatId, UserId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::chat_list::PresenceDot;
use crate::format;
use crate::route::use_router;
use crate::store::Store;

crate::split::split_view! {
    /// The panel, split off from the first download (`crate::split`).
    pub fn chat_settings_view(chat_id: ChatId, on_close: Callback<()>) -> AnyView {
        view! { <ChatSettings chat_id=chat_id on_close=move || on_close.run(()) /> }.into_any()
    }
    load chat_settings_view_load;
}

#[component]
pub fn ChatSettings(chat_id: ChatId, on_close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let store = expect_context::<Store>();
    let router = use_router();
    let me = store.me().map(|u| u.id);
    let chat = Memo::new(move |_| store.chats.with(|list| list.get(chat_id).cloned()));
    let is_group = move || chat.with(|c| c.as_ref().is_some_and(|c| c.kind == ChatKind::Group));
    let is_owner = move || {
        is_group() && chat.with(|c| c.as_ref().is_some_and(|c| c.owner_id.is_some() && c.owner_id == me))
    };
    let closed = move || chat.with(|c| c.as_ref().is_some_and(|c| c.closed));
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Whom "Remove" was pressed for: it acts only once confirmed.
    let confirm_remove = RwSignal::new(None::<UserId>);
    let title =
        RwSignal::new(chat.with_untracked(|c| c.as_ref().and_then(|c| c.title.clone()).unwrap_or_default()));
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<User>::new());
    let search_seq = StoredValue::new(0u64);

    // Runs one owner action; a returned chat replaces ours, errors show in the panel.
    let act =
        move |work: std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Chat>, ApiError>>>>| {
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = work.await;
                busy.try_set(false);
                match result {
                    Ok(Some(chat)) => {
                        store.apply(ServerEvent::ChatUpdated { chat });
                    }
                    Ok(None) => {}
                    Err(e) if !store.signed_out_by(&e) => {
                        error.try_set(Some(e.message));
                    }
                    Err(_) => {}
                }
            });
        };

    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match ChatTitle::parse(&title.get_untracked()) {
            Ok(new_title) => {
                act(Box::pin(
                    async move { api::rename_chat(chat_id, new_title.into_inner()).await.map(Some) },
                ))
            }
            Err(e) => error.set(Some(format!("Not renamed: {e}"))),
        }
    };

    let search = move |text: String| {
        query.set(text.clone());
        search_seq.update_value(|n| *n += 1);
        let seq = search_seq.get_value();
        // The server lower-cases the prefix itself.
        let text = text.trim().to_owned();
        if text.is_empty() {
            results.set(Vec::new());
            return;
        }
        spawn_local(async move {
            let found = api::search_users(&text).await;
            if search_seq.try_get_value() != Some(seq) {
                return;
            }
            match found {
                Ok(users) => {
                    let members: Vec<UserId> = chat
                        .with_untracked(|c| c.as_ref().map(|c| c.members.iter().map(|m| m.user.id).collect()))
                        .unwrap_or_default();
                    results.set(users.into_iter().filter(|u| !members.contains(&u.id)).collect());
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    let add = move |user_id: UserId| {
        query.set(String::new());
        results.set(Vec::new());
        act(Box::pin(async move { api::add_member(chat_id, user_id).await.map(Some) }));
    };
    let remove = move |user_id: UserId| {
        act(Box::pin(async move {
            api::remove_member(chat_id, user_id).await?;
            store.apply(ServerEvent::MemberRemoved { chat_id, user_id });
            Ok(None)
        }));
    };
    let make_owner = move |user_id: UserId| {
        act(Box::pin(async move { api::transfer_owner(chat_id, user_id).await.map(Some) }))
    };
    let set_closed =
        move |close: bool| act(Box::pin(async move { api::set_closed(chat_id, close).await.map(Some) }));
    let leave = move |_| {
        let Some(me) = me else { return };
        busy.set(true);
        spawn_local(async move {
            match api::remove_member(chat_id, me).await {
                Ok(()) => {
                    store.forget_chat(chat_id);
                    router.navigate("/");
                }
                Err(e) => {
                    busy.try_set(false);
                    if !store.signed_out_by(&e) {
                        error.try_set(Some(e.message));
                    }
                }
            }
        });
    };

    // The server's cap (`GET /api/limits`): past it, adding is not offered.
    let full = move || {
        let count = chat.with(|c| c.as_ref().map_or(0, |c| c.members.len()));
        count >= store.limits.with(|l| l.group_members_max)
    };
    let members = move || {
        chat.with(|c| {
            c.as_ref()
                .map(|c| c.members.iter().map(|m| (m.user.clone(), m.role)).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    let on_close_button = on_close.clone();

    view! {
        <aside class="chat-settings" data-testid="chat-settings" aria-labelledby="chat-settings-title">
            <header class="settings-header">
                <h3 id="chat-settings-title">"Chat details"</h3>
                <button type="button" class="secondary small" data-testid="chat-settings-close" on:click=move |_| on_close_button()>
                    "Close"
                </button>
            </header>
            <p class="form-error" role="alert" data-testid="settings-error" hidden=move || error.read().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
            <Show when=is_owner>
                <form class="settings-row" on:submit=rename>
                    <label for="rename-input">"Title"</label>
                    <input
                        id="rename-input"
                        data-testid="rename-input"
                        autocomplete="off"
                        prop:value=title
                        on:input=move |ev| title.set(event_target_value(&ev))
                    />
                    <button type="submit" class="primary small" data-testid="rename-submit" disabled=busy>
                        "Rename"
                    </button>
                </form>
            </Show>
            <label class="mute-toggle">
                <input
                    type="checkbox"
                    data-testid="chat-mute"
                    prop:checked=move || chat.with(|c| c.as_ref().is_some_and(|c| c.muted))
                    on:change=move |ev| {
                        let muted = event_target_checked(&ev);
                        spawn_local(async move {
                            match api::set_muted(chat_id, muted).await {
                                Ok(chat) => {
                                    store.apply(ServerEvent::MuteChanged { chat_id, muted: chat.muted });
                                }
                                Err(e) if !store.signed_out_by(&e) => {
                                    error.try_set(Some(e.message));
                                }
                                Err(_) => {}
                            }
                        });
                    }
                />
                " Mute notifications (a mention of me still notifies)"
            </label>
            <h4>"Members"</h4>
            <ul class="member-list">
                <For each=members key=|(user, role)| (user.id, *role) let:member>
                    {
                        let (user, role) = member;
                        let user_id = user.id;
                        let is_me = Some(user_id) == me;
                        let seen = move || {
                            store.presence.with(|p| {
                                p.get(&user_id).and_then(|p| format::last_seen(p.online, p.last_seen))
                            })
                        };
                        view! {
                            <li class="member-row" data-testid="member-row" data-user-id=user_id.to_string()>
                                <PresenceDot user_id=user_id />
                                <span class="member-name">
                                    {user.display_name.clone()}
                                    {is_me.then_some(" (you)")}
                                    <span class="user-name">" @" {user.username.clone()}</span>
                                </span>
                                {(role == Role::Owner).then(|| view! { <span class="tag">"owner"</span> })}
                                <span class="last-seen" data-testid="last-seen">{seen}</span>
                                <Show when=move || is_owner() && !is_me>
                                    <span class="member-actions">
                                        <button
                                            type="button"
                                            class="secondary small"
                                            data-testid="member-make-owner"
                                            disabled=busy
                                            on:click=move |_| make_owner(user_id)
                                        >
                                            "Make owner"
                                        </button>
                                        <button
                                            type="button"
                                            class="danger small"
                                            data-testid="member-remove"
                                            disabled=busy
                                            aria-expanded=move || (confirm_remove.get() == Some(user_id)).to_string()
                                            on:click=move |_| confirm_remove.set(Some(user_id))
                                        >
                                            "Remove"
                                        </button>
                                    </span>
                                </Show>
                                <Show when=move || confirm_remove.get() == Some(user_id)>
                                    <p class="confirm-remove" role="alert">
                                        {format!("Remove {} from this group? ", user.display_name)}
                                        <button
                                            type="button"
                                            class="danger small"
                                            data-testid="member-remove-confirm"
                                            disabled=busy
                                            on:click=move |_| {
                                                confirm_remove.set(None);
                                                remove(user_id);
                                            }
                                        >
                                            "Remove"
                                        </button>
                                        <button
                                            type="button"
                                            class="secondary small"
                                            on:click=move |_| confirm_remove.set(None)
                                        >
                                            "Cancel"
                                        </button>
                                    </p>
                                </Show>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=move || is_owner() && full()>
                <p class="hint" data-testid="group-full">
                    {move || format!("This group is full ({} members).", store.limits.with(|l| l.group_members_max))}
                </p>
            </Show>
            <Show when=move || is_owner() && !full()>
                <label for="add-member-search">"Add someone"</label>
                <input
                    id="add-member-search"
                    data-testid="add-member-search"
                    type="search"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    placeholder="Search by username"
                    prop:value=query
                    on:input=move |ev| search(event_target_value(&ev))
                />
                <ul class="user-results">
                    <For each=move || results.get() key=|user| user.id let:user>
                        <li>
                            <button
                                type="button"
                                class="user-result"
                                data-testid="add-member-result"
                                disabled=busy
                                on:click=move |_| add(user.id)
                            >
                                <span class="user-display">{user.display_name.clone()}</span>
                                <span class="user-name">"@" {user.username.clone()}</span>
                            </button>
                        </li>
                    </For>
                </ul>
                <div class="settings-row">
                    {move || {
                        if closed() {
                            view! {
                                <button type="button" class="secondary" data-testid="chat-reopen" disabled=busy on:click=move |_| set_closed(false)>
                                    "Reopen chat"
                                </button>
                            }
                                .into_any()
                        } else {
                            view! {
                                <button type="button" class="secondary" data-testid="chat-close" disabled=busy on:click=move |_| set_closed(true)>
                                    "Close chat (read-only)"
                                </button>
                            }
                                .into_any()
                        }
                    }}
                </div>
            </Show>
            <Show when=is_group>
                <div class="settings-row">
                    <button type="button" class="danger" data-testid="chat-leave" disabled=busy on:click=leave>
                        "Leave chat"
                    </button>
                </div>
            </Show>
        </aside>
    }
}
