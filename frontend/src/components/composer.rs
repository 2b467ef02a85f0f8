//! Writing a message: Enter sends, Shift+Enter adds a line; checked with the server's own
//! rules before it is sent optimistically. Files join through the attach button, a paste
//! or a drop on the chat (see `ChatPane`); they start uploading at once and wait here,
//! each with its progress, until the message goes. `@` and a few letters offer the chat's
//! members to mention (`mention_picker`).

use confab_shared::ChatId;
use confab_shared::validate::MessageBody;
use confab_shared::ws::ClientEvent;
use leptos::html;
use leptos::prelude::*;

use crate::components::attachments::UploadChip;
use crate::components::mention_picker::{self, mention_options_view, mention_options_view_load};
use crate::format;
use crate::outbox;
use crate::store::Store;
use crate::uploads::{self, UploadId};
use crate::ws::Realtime;

/// The least time between two `typing` events from this composer.
const TYPING_EVERY_MS: f64 = 3_000.0;
/// The server relays at most one `typing` per connection and chat in this interval.
const TYPING_SERVER_THROTTLE_MS: f64 = 2_100.0;

/// Show the character count once a message gets this close to the limit.
const COUNT_FROM_END: usize = 500;

#[component]
pub fn Composer(chat_id: ChatId) -> impl IntoView {
    let store = expect_context::<Store>();
    let realtime = expect_context::<Realtime>();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let input_ref = NodeRef::<html::Textarea>::new();
    let file_input = NodeRef::<html::Input>::new();
    let files = Memo::new(move |_| {
        store.uploads.track();
        uploads::in_composer(store, chat_id)
    });
    let closed = Memo::new(move |_| store.chats.with(|list| list.get(chat_id).is_some_and(|c| c.closed)));

    // The mention being typed, if any, and the members it could be.
    let mention = RwSignal::new(None::<mention_picker::Typing>);
    let active_option = RwSignal::new(0_usize);
    let options = Memo::new(move |_| {
        let Some(typing) = mention.get() else { return Vec::new() };
        let me = store.me().map(|me| me.id);
        store.chats.with(|list| {
            list.get(chat_id).map_or_else(Vec::new, |chat| {
                let members: Vec<_> = chat.members.iter().map(|m| m.user.clone()).collect();
                mention_picker::suggestions(&members, me, &typing.typed)
            })
        })
    });
    let offering = move || options.with(|o| !o.is_empty());
    // Reads the mention at the caret again (after typing, a click, moving the caret).
    let look_for_mention = move || {
        let Some(input) = input_ref.get_untracked() else { return };
        let found = input
            .selection_start()
            .ok()
            .flatten()
            .and_then(|caret| mention_picker::typing(&input.value(), caret));
        if found != mention.get_untracked() {
            active_option.set(0);
            mention.set(found);
        }
    };
    let pick = move |user: confab_shared::api::User| {
        let (Some(input), Some(typing)) = (input_ref.get_untracked(), mention.get_untracked()) else {
            return;
        };
        let (completed, caret) = mention_picker::complete(&input.value(), &typing, &user.username);
        input.set_value(&completed);
        // The caret goes after the name; if the browser refuses, it stays at the end.
        let _ = input.set_selection_range(caret, caret);
        text.set(completed);
        mention.set(None);
    };

    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            // Focus may fail on a detached element; the user can still click the field.
            let _ = input.focus();
        }
    });

    // Others see "… is typing": tell the server at most every few seconds.
    let typing_sent_at = StoredValue::new(f64::NEG_INFINITY);
    let submit = move || {
        let files = uploads::in_composer(store, chat_id);
        let draft = text.get_untracked();
        let body =
            if files.is_empty() { MessageBody::parse(&draft) } else { MessageBody::parse_optional(&draft) };
        let body = match body {
            Ok(body) => body,
            Err(e) => {
                error.set(Some(format::capitalised(&e.to_string())));
                return;
            }
        };
        if let Some(problem) = files_problem(store, &files) {
            error.set(Some(problem));
            return;
        }
        let reply_to = store.replying.with_untracked(|r| r.get(&chat_id).map(|target| target.message_id));
        match outbox::send(store, realtime, chat_id, body, files, reply_to) {
            Ok(()) => {
                // A sent message ends the typing burst: the next one may be announced as
                // soon as the server's own throttle (2 s) allows.
                typing_sent_at.update_value(|at| *at -= TYPING_EVERY_MS - TYPING_SERVER_THROTTLE_MS);
                text.set(String::new());
                error.set(None);
                store.replying.update(|r| {
                    r.remove(&chat_id);
                });
            }
            Err(message) => error.set(Some(message)),
        }
    };
    let announce_typing = move || {
        let now = js_sys::Date::now();
        if now - typing_sent_at.get_value() >= TYPING_EVERY_MS
            && realtime.send(&ClientEvent::Typing { chat_id })
        {
            typing_sent_at.set_value(now);
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if offering() && !ev.is_composing() {
            let count = options.with_untracked(Vec::len);
            match ev.key().as_str() {
                "ArrowDown" => active_option.update(|i| *i = (*i + 1) % count),
                "ArrowUp" => active_option.update(|i| *i = (*i + count - 1) % count),
                "Enter" | "Tab" if !ev.shift_key() => {
                    let chosen = options.with_untracked(|o| o.get(active_option.get_untracked()).cloned());
                    if let Some(user) = chosen {
                        pick(user);
                    }
                }
                "Escape" => mention.set(None),
                _ => return,
            }
            ev.prevent_default();
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };
    let count = move || {
        let n = text.with(|t| t.chars().count());
        let max = store.limits.with(|l| l.message_body_max);
        (n >= max.saturating_sub(COUNT_FROM_END)).then(|| format!("{n} / {max}"))
    };

    view! {
        <form
            class="composer"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                submit();
            }
        >
            {move || {
                store
                    .replying
                    .with(|r| r.get(&chat_id).cloned())
                    .map(|target| {
                        view! {
                            <div class="composer-reply" data-testid="composer-reply">
                                <span>"Replying to " <strong>{target.sender}</strong> ": " {target.excerpt}</span>
                                <button
                                    type="button"
                                    class="icon"
                                    aria-label="Cancel the reply"
                                    data-testid="composer-reply-cancel"
                                    on:click=move |_| {
                                        store.replying.update(|r| {
                                            r.remove(&chat_id);
                                        });
                                    }
                                >
                                    "✕"
                                </button>
                            </div>
                        }
                    })
            }}
            <Show when=move || files.with(|f| !f.is_empty())>
                <div class="composer-files" data-testid="composer-files" aria-label="Files to send" role="group">
                    <For each=move || files.get() key=|id| *id let:id>
                        <UploadChip id=id />
                    </For>
                </div>
            </Show>
            <button
                type="button"
                class="attach"
                data-testid="composer-attach"
                aria-label="Attach files"
                title="Attach files"
                disabled=closed
                on:click=move |_| {
                    if let Some(input) = file_input.get_untracked() {
                        input.click();
                    }
                }
            >
                // A paper clip, drawn: no icon font or emoji font needed.
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                    <path
                        d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l9.2-9.2a3.7 3.7 0 0 1 5.2 5.2l-9.2 9.2a1.8 1.8 0 0 1-2.6-2.6l8.5-8.5"
                        fill="none"
                        stroke="currentColor"
                        stroke-width="2"
                        stroke-linecap="round"
                        stroke-linejoin="round"
                    />
                </svg>
            </button>
            <input
                type="file"
                multiple
                hidden
                node_ref=file_input
                data-testid="composer-file-input"
                on:change=move |_| {
                    let Some(input) = file_input.get_untracked() else { return };
                    uploads::add_files(store, chat_id, file_list(input.files()));
                    // Cleared, so that choosing the same file again is a change too.
                    input.set_value("");
                    error.set(None);
                }
            />
            <Show when=offering>
                {
                    let on_pick = Callback::new(pick);
                    crate::split::deferred(mention_options_view_load, move || {
                        mention_options_view(options, active_option, on_pick)
                    })
                }
            </Show>
            <label for="composer-input" class="visually-hidden">"Message"</label>
            <textarea
                id="composer-input"
                data-testid="composer-input"
                node_ref=input_ref
                rows="1"
                placeholder=move || if closed.get() { "This chat is closed." } else { "Write a message…" }
                disabled=closed
                aria-describedby="composer-error"
                aria-invalid=move || error.read().is_some().to_string()
                // The combobox pattern as a textarea may take it: no role (a textarea keeps
                // its own), the list it completes from and the option highlighted there.
                aria-autocomplete="list"
                aria-controls=move || offering().then_some(mention_picker::LIST_ID)
                aria-activedescendant=move || offering().then(|| mention_picker::option_id(active_option.get()))
                prop:value=text
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    if !value.trim().is_empty() {
                        announce_typing();
                    }
                    text.set(value);
                    error.set(None);
                    look_for_mention();
                }
                on:keydown=on_keydown
                on:click=move |_| look_for_mention()
                on:keyup=move |ev: leptos::ev::KeyboardEvent| {
                    if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                        look_for_mention();
                    }
                }
                on:blur=move |_| mention.set(None)
                on:paste=move |ev: leptos::ev::ClipboardEvent| {
                    let pasted = file_list(ev.clipboard_data().and_then(|data| data.files()));
                    if !pasted.is_empty() {
                        ev.prevent_default();
                        uploads::add_files(store, chat_id, pasted);
                        error.set(None);
                    }
                }
            ></textarea>
            <button type="submit" class="primary" data-testid="composer-send" disabled=closed>
                "Send"
            </button>
            <p class="composer-footer">
                <span
                    id="composer-error"
                    class="form-error"
                    data-testid="composer-error"
                    role="alert"
                    hidden=move || error.read().is_none()
                >
                    {move || error.get().unwrap_or_default()}
                </span>
                <span class="count">{count}</span>
            </p>
        </form>
    }
}

/// Why these files cannot go yet, if they cannot.
fn files_problem(store: Store, files: &[UploadId]) -> Option<String> {
    let max = store.limits.with_untracked(|l| l.attachments_per_message_max);
    if files.len() > max {
        return Some(format!("At most {max} files go in one message: remove {}.", files.len() - max));
    }
    store.uploads.with_untracked(|all| {
        files.iter().filter_map(|id| all.get(id)).find_map(|upload| {
            let problem = upload.problem()?;
            let hint = if upload.retryable() { "retry or remove it" } else { "remove it" };
            Some(format!("{}: {problem} ({hint})", upload.filename))
        })
    })
}

/// The files of a `FileList` (a file input's or a paste's), in order.
pub fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}
