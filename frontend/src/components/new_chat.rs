//! The "New chat" dialog: search people as you type, pick one for a direct chat or
//! several plus a title for a group, create it and open it.

use confab_shared::api::{CreateChatRequest, User};
use confab_shared::limits::GROUP_INITIAL_MEMBERS_MAX;
use confab_shared::validate::ChatTitle;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::route::use_router;
use crate::store::Store;

crate::split::split_view! {
    /// The dialog, split off from the first download (`crate::split`).
    pub fn new_chat_view(on_close: Callback<()>) -> AnyView {
        view! { <NewChatDialog on_close=move || on_close.run(()) /> }.into_any()
    }
    load new_chat_view_load;
}

#[component]
pub fn NewChatDialog(on_close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let store = expect_context::<Store>();
    let router = use_router();
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<User>::new());
    let selected = RwSignal::new(Vec::<User>::new());
    let title = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Only the answer to the latest keystroke may fill the results.
    let search_seq = StoredValue::new(0u64);
    let search_ref = NodeRef::<html::Input>::new();

    Effect::new(move |_| {
        if let Some(input) = search_ref.get() {
            // Focus may fail on a detached element; the user can still click the field.
            let _ = input.focus();
        }
    });

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
                    let me = store.me().map(|u| u.id);
                    results.set(users.into_iter().filter(|u| Some(u.id) != me).collect());
                    error.set(None);
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };

    let toggle = move |user: User| {
        selected.update(|list| match list.iter().position(|u| u.id == user.id) {
            Some(i) => {
                list.remove(i);
            }
            None => list.push(user),
        });
    };

    let on_close_submit = on_close.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let request = match build_request(&selected.get_untracked(), &title.get_untracked()) {
            Ok(request) => request,
            Err(message) => {
                error.set(Some(message));
                return;
            }
        };
        busy.set(true);
        let on_close = on_close_submit.clone();
        spawn_local(async move {
            let result = api::create_chat(&request).await;
            busy.try_set(false);
            match result {
                Ok(chat) => {
                    let id = chat.id;
                    let follow_ups = store.apply(confab_shared::ws::ServerEvent::ChatCreated { chat });
                    store.run(follow_ups);
                    on_close();
                    router.navigate(&format!("/chats/{id}"));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };

    // A modal `<dialog>`: the browser keeps focus inside it and makes the page behind
    // inert; Escape (its `cancel`) and a click on the backdrop close it.
    let dialog_ref = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog_ref.get()
            && !dialog.open()
        {
            // Fails only if the dialog left the document; then it is closed anyway.
            let _ = dialog.show_modal();
        }
    });
    let on_close_cancel = on_close.clone();
    // Escape in the search field would only clear it (and swallow the dialog's `cancel`).
    let on_close_key = on_close.clone();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close_key();
        }
    };
    let on_close_backdrop = on_close.clone();
    let on_close_button = on_close.clone();
    let is_selected = move |user: &User| selected.with(|list| list.iter().any(|u| u.id == user.id));

    view! {
        <dialog
            class="dialog"
            aria-labelledby="new-chat-title"
            data-testid="new-chat-dialog"
            node_ref=dialog_ref
            on:keydown=on_keydown
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                on_close_cancel();
            }
            on:click=move |ev: leptos::ev::MouseEvent| {
                let on_backdrop = dialog_ref.get_untracked().is_some_and(|el| crate::components::modal::clicked_backdrop(&ev, &el));
                if on_backdrop {
                    on_close_backdrop();
                }
            }
        >
            <form on:submit=submit>
                <h2 id="new-chat-title">"New chat"</h2>
                <label for="user-search">"Find people by username"</label>
                <input
                    id="user-search"
                    data-testid="user-search"
                    type="search"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    node_ref=search_ref
                    prop:value=query
                    on:input=move |ev| search(event_target_value(&ev))
                />
                <ul class="user-results" aria-label="Search results">
                    <For each=move || results.get() key=|user| user.id let:user>
                        {
                            let pressed = {
                                let user = user.clone();
                                move || is_selected(&user)
                            };
                            let on_pick = {
                                let user = user.clone();
                                move |_| toggle(user.clone())
                            };
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="user-result"
                                        data-testid="user-result"
                                        aria-pressed=move || pressed().to_string()
                                        on:click=on_pick
                                    >
                                        <span class="user-display">{user.display_name.clone()}</span>
                                        <span class="user-name">"@" {user.username.clone()}</span>
                                    </button>
                                </li>
                            }
                        }
                    </For>
                </ul>
                <p class="hint" hidden=move || selected.read().is_empty()>
                    "Selected: "
                    {move || {
                        selected.with(|list| {
                            list.iter().map(|u| u.display_name.clone()).collect::<Vec<_>>().join(", ")
                        })
                    }}
                </p>
                <label for="group-title">
                    "Group title " <span class="optional">"(needed for a group)"</span>
                </label>
                <input
                    id="group-title"
                    data-testid="group-title"
                    autocomplete="off"
                    prop:value=title
                    on:input=move |ev| title.set(event_target_value(&ev))
                />
                <p class="form-error" role="alert" hidden=move || error.read().is_none()>
                    {move || error.get().unwrap_or_default()}
                </p>
                <div class="dialog-actions">
                    <button type="button" class="secondary" on:click=move |_| on_close_button()>
                        "Cancel"
                    </button>
                    <button
                        type="submit"
                        class="primary"
                        data-testid="create-chat-submit"
                        disabled=move || busy.get() || selected.read().is_empty()
                    >
                        {move || {
                            if selected.read().len() == 1 && title.read().trim().is_empty() {
                                "Start chat"
                            } else {
                                "Create group"
                            }
                        }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// One person and no title is a direct chat; anything else is a group.
fn build_request(selected: &[User], title: &str) -> Result<CreateChatRequest, String> {
    match selected {
        [] => Err("Pick at least one person.".to_owned()),
        [user] if title.trim().is_empty() => Ok(CreateChatRequest::Direct { user_id: user.id }),
        _ if selected.len() > GROUP_INITIAL_MEMBERS_MAX => {
            Err(format!("A new group can have at most {GROUP_INITIAL_MEMBERS_MAX} members."))
        }
        _ => {
            let title = ChatTitle::parse(title).map_err(|e| match title.trim() {
                "" => "A group needs a title.".to_owned(),
                _ => e.to_string(),
            })?;
            Ok(CreateChatRequest::Group {
                title: title.into_inner(),
                member_ids: selected.iter().map(|u| u.id).collect(),
            })
        }
    }
}
