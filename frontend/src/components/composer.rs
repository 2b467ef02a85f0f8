//! Writing a message: Enter sends, Shift+Enter adds a line; checked with the server's own
//! rules before it is sent optimistically.

use confab_shared::ChatId;
use confab_shared::validate::MessageBody;
use confab_shared::ws::ClientEvent;
use leptos::html;
use leptos::prelude::*;

use crate::outbox;
use crate::store::Store;
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
    let closed = Memo::new(move |_| store.chats.with(|list| list.get(chat_id).is_some_and(|c| c.closed)));

    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            // Focus may fail on a detached element; the user can still click the field.
            let _ = input.focus();
        }
    });

    // Others see "… is typing": tell the server at most every few seconds.
    let typing_sent_at = StoredValue::new(f64::NEG_INFINITY);
    let submit = move || {
        let body = match MessageBody::parse(&text.get_untracked()) {
            Ok(body) => body,
            Err(e) => {
                error.set(Some(capitalise(&e.to_string())));
                return;
            }
        };
        match outbox::send(store, realtime, chat_id, body) {
            Ok(()) => {
                // A sent message ends the typing burst: the next one may be announced as
                // soon as the server's own throttle (2 s) allows.
                typing_sent_at.update_value(|at| *at -= TYPING_EVERY_MS - TYPING_SERVER_THROTTLE_MS);
                text.set(String::new());
                error.set(None);
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
                prop:value=text
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    if !value.trim().is_empty() {
                        announce_typing();
                    }
                    text.set(value);
                    error.set(None);
                }
                on:keydown=on_keydown
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

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
